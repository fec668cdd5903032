"""All models, imported here so that the mappers and tables are registered.

One module per aggregate. Add new modules to the import list below.
"""

from portal.models.audit import AuditEvent
from portal.models.orgs import Organisation, OrgKind, Subprefecture, Unit, UnitKind
from portal.models.users import Email, Person, Placement, Role, RoleGrant

__all__ = [
    "AuditEvent",
    "Email",
    "OrgKind",
    "Organisation",
    "Person",
    "Placement",
    "Role",
    "RoleGrant",
    "Subprefecture",
    "Unit",
    "UnitKind",
]
