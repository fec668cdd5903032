"""Authorization: role checks per blueprint, organisation scope per object."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue
from flask_login import current_user

from portal.extensions import login_manager
from portal.models import Person


def guard_blueprint(bp: Blueprint, allowed: Callable[[Person], bool] | None = None) -> None:
    """Require login for every view of `bp`, and `allowed(user)` (else 403)."""

    @bp.before_request
    def _guard() -> ResponseReturnValue | None:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if allowed is not None and not allowed(current_user._get_current_object()):
            abort(403)
        return None


def safe_next(target: str | None) -> str | None:
    """A local path to go to after login, or None. Refuses anything that leaves the site."""
    if not target:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 33 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
