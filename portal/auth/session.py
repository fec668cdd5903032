"""Flask-Login wiring: how a session cookie becomes a Person."""

from __future__ import annotations

from flask import Flask, jsonify, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.extensions import db, login_manager
from portal.models import Person


def configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("このページを見るにはログインしてください。")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> Person | None:
        uuid, _, version = user_id.partition(":")
        person = db.session.scalar(
            select(Person).options(joinedload(Person.organisation)).where(Person.uuid == uuid)
        )
        if person is None or str(person.session_version) != version or not person.is_active:
            return None
        return person

    @login_manager.unauthorized_handler
    def unauthorized():  # type: ignore[no-untyped-def]
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify({"error": "login_required"}), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
