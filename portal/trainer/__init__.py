"""The trainers' area (/trainer/): course curation and exercise review."""

from flask import Blueprint

from portal.authz import guard_blueprint

bp = Blueprint("trainer", __name__, url_prefix="/trainer")
guard_blueprint(bp, lambda user: user.is_trainer)

from portal.trainer import reviews, views  # noqa: E402,F401
