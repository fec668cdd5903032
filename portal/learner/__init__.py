"""The learner's area (/learn/): every logged-in person."""

from flask import Blueprint

from portal.authz import guard_blueprint

bp = Blueprint("learner", __name__, url_prefix="/learn")
guard_blueprint(bp)

from portal.learner import badges, views  # noqa: E402,F401
