"""Language and time zone selection, and the language toggle."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.authz import safe_next
from portal.extensions import db

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """Japanese by default; the toggle (session) or the user's saved choice switch to English."""
    languages = current_app.config["LANGUAGES"]
    lang = session.get("lang")
    if lang in languages:
        return str(lang)
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def select_timezone() -> str:
    return str(current_app.config["BABEL_DEFAULT_TIMEZONE"])


@bp.post("/locale")
def set_locale() -> Response:
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("public.index"))
