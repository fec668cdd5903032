"""Error pages in Japanese (and JSON for API clients). Database errors roll back."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from jinja2 import TemplateNotFound
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from portal.exceptions import NotFound, PermissionDenied
from portal.extensions import db

log = logging.getLogger(__name__)


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(code: int, description: str | None = None) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify({"error": code, "message": description or ""}), code
    try:
        return render_template(f"errors/{code}.html", code=code), code
    except TemplateNotFound:
        return render_template("errors/500.html", code=code), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        code = exc.code or 500
        if code >= 500:
            db.session.rollback()
        response = render_error(code)
        if code == 405 and exc.get_response().headers.get("Allow"):
            body, status = response
            return body, status, {"Allow": exc.get_response().headers["Allow"]}
        return response

    @app.errorhandler(NotFound)
    def _not_found(_exc: NotFound):  # type: ignore[no-untyped-def]
        return render_error(404)

    @app.errorhandler(PermissionDenied)
    def _denied(_exc: PermissionDenied):  # type: ignore[no-untyped-def]
        return render_error(403)

    @app.errorhandler(SQLAlchemyError)
    def _database(exc: SQLAlchemyError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        log.exception("database error", exc_info=exc)
        return render_error(500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        db.session.rollback()
        log.exception("unhandled error", exc_info=exc)
        if app.config.get("PROPAGATE_EXCEPTIONS") and app.testing:
            raise exc
        return render_error(InternalServerError.code)
