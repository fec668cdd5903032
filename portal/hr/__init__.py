"""HR's area (/hr/): staff, sections and onboarding, scoped to HR's own organisation.

Views live in one module per topic: views (dashboard, people, units), roster, coverage,
reports (charts, badge holders), awards.
"""

from flask import Blueprint

from portal.authz import guard_blueprint

bp = Blueprint("hr", __name__, url_prefix="/hr")
guard_blueprint(bp, lambda user: user.is_hr)

from portal.hr import awards, coverage, credentials, reports, roster, views  # noqa: E402,F401
