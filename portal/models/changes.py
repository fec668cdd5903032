"""PostgreSQL triggers that announce the changes verification keeps copies of.

Each commit that changes a stored credential, a person's name or organisation, or a
signing key sends a notification on ``portal_changes`` (see
:mod:`portal.services.change_feed`), its payload prefixed with the table's schema so that
portals sharing one database (in different schemas) ignore each other's changes. Being triggers, they cover every way of writing,
the application's and anyone's SQL alike. Migrations carry the same DDL. SQLite has no
notifications; nothing there keeps such copies.
"""

from __future__ import annotations

from sqlalchemy import DDL, event

from portal.models.credentials import IssuedCredential, SigningKey
from portal.models.users import Person

FUNCTION = (
    "CREATE OR REPLACE FUNCTION portal_notify_change() RETURNS trigger AS $$ "
    "BEGIN "
    "IF TG_LEVEL = 'ROW' AND TG_TABLE_NAME = 'issued_credentials' THEN "
    "IF TG_OP <> 'INSERT' THEN "
    "PERFORM pg_notify('portal_changes', TG_TABLE_SCHEMA || '/credential:' || OLD.uuid); "
    "END IF; "
    "IF TG_OP <> 'DELETE' THEN "
    "PERFORM pg_notify('portal_changes', TG_TABLE_SCHEMA || '/credential:' || NEW.uuid); "
    "END IF; "
    "ELSE PERFORM pg_notify('portal_changes', TG_TABLE_SCHEMA || '/' || TG_TABLE_NAME); "
    "END IF; "
    "RETURN NULL; "
    "END; $$ LANGUAGE plpgsql"
)
TRIGGERS = {
    "issued_credentials": [
        "CREATE TRIGGER issued_credentials_notify AFTER UPDATE OR DELETE ON issued_credentials "
        "FOR EACH ROW EXECUTE FUNCTION portal_notify_change()",
        "CREATE TRIGGER issued_credentials_notify_truncate AFTER TRUNCATE ON issued_credentials "
        "FOR EACH STATEMENT EXECUTE FUNCTION portal_notify_change()",
    ],
    "people": [
        "CREATE TRIGGER people_notify AFTER UPDATE OF name, organisation_id OR DELETE OR TRUNCATE "
        "ON people FOR EACH STATEMENT EXECUTE FUNCTION portal_notify_change()",
    ],
    "signing_keys": [
        "CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON signing_keys FOR EACH STATEMENT EXECUTE FUNCTION portal_notify_change()",
    ],
}


def _ddl(statement: str) -> DDL:
    return DDL(statement).execute_if(dialect="postgresql")  # type: ignore[no-untyped-call]


for _model in (IssuedCredential, Person, SigningKey):
    _table = _model.__table__
    event.listen(_table, "after_create", _ddl(FUNCTION))
    for _statement in TRIGGERS[_table.name]:
        event.listen(_table, "after_create", _ddl(_statement))
