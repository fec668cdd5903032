"""The portal administrators' area (/admin/)."""

from flask import Blueprint

from portal.authz import guard_blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, lambda user: user.is_admin)

from portal.admin import audit, overview, views  # noqa: E402,F401
