"""The admins' audit log (/admin/audit) and their credential pages (any organisation).

The audit log is append-only (a database trigger refuses updates and deletes). Admins
see every event; HR sees its own organisation's credential events in
`portal.hr.credentials`. The credential list, revocation and award views are the same
as HR's, without the organisation scope.
"""

from __future__ import annotations

from uuid import UUID

from flask import url_for
from werkzeug.wrappers import Response

from portal.admin import bp
from portal.hr.credentials import (
    CREDENTIAL_ACTIONS,
    audit_view,
    award_view,
    list_view,
    revoke_view,
)

ADMIN_EXTRA = {"nav_template": "admin/_nav.html", "area": "admin"}
#: Actions offered as filters (any other action is still listed under "all").
ADMIN_ACTIONS = (
    *CREDENTIAL_ACTIONS,
    "keys.generated",
    "keys.rotated",
    "keys.compromised",
    "learning.",
    "evidence.",
    "hr.",
)


@bp.get("/audit")
def audit() -> str:
    return audit_view(org=None, template="admin/audit.html", actions=ADMIN_ACTIONS, **ADMIN_EXTRA)


@bp.get("/credentials")
def credentials() -> str:
    return list_view(org=None, template="hr/credentials.html", **ADMIN_EXTRA)


@bp.route("/credentials/<uuid:uuid>/revoke", methods=["GET", "POST"])
def credential_revoke(uuid: UUID) -> Response | str | tuple[str, int]:
    return revoke_view(
        uuid,
        org=None,
        template="hr/credentials_revoke.html",
        done=lambda: url_for("admin.credentials", status="revoked"),
        **ADMIN_EXTRA,
    )


@bp.route("/credentials/award", methods=["GET", "POST"])
def credentials_award() -> Response | tuple[str, int]:
    return award_view(org=None, template="hr/credentials_award.html", **ADMIN_EXTRA)
