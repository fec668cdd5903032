"""Public pages at the root: no login needed."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from portal.public import catalogue, credentials, verify, views  # noqa: E402,F401
