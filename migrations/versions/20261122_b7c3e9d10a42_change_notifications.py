"""change notifications for verification copies (PostgreSQL triggers)

Revision ID: b7c3e9d10a42
Revises: 4a516d02c852
Create Date: 2026-11-22 23:30:00

"""

from alembic import op

revision = "b7c3e9d10a42"
down_revision = "4a516d02c852"
branch_labels = None
depends_on = None

# The same DDL as portal/models/changes.py, frozen here as of this revision.
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
TRIGGERS = [
    "CREATE TRIGGER issued_credentials_notify AFTER UPDATE OR DELETE ON issued_credentials "
    "FOR EACH ROW EXECUTE FUNCTION portal_notify_change()",
    "CREATE TRIGGER issued_credentials_notify_truncate AFTER TRUNCATE ON issued_credentials "
    "FOR EACH STATEMENT EXECUTE FUNCTION portal_notify_change()",
    "CREATE TRIGGER people_notify AFTER UPDATE OF name, organisation_id OR DELETE OR TRUNCATE "
    "ON people FOR EACH STATEMENT EXECUTE FUNCTION portal_notify_change()",
    "CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
    "ON signing_keys FOR EACH STATEMENT EXECUTE FUNCTION portal_notify_change()",
]
DROPS = [
    "DROP TRIGGER IF EXISTS issued_credentials_notify ON issued_credentials",
    "DROP TRIGGER IF EXISTS issued_credentials_notify_truncate ON issued_credentials",
    "DROP TRIGGER IF EXISTS people_notify ON people",
    "DROP TRIGGER IF EXISTS signing_keys_notify ON signing_keys",
    "DROP FUNCTION IF EXISTS portal_notify_change()",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # (A database built by create_all and stamped at an older revision has them.)
        for statement in [*DROPS[:-1], FUNCTION, *TRIGGERS]:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in DROPS:
            op.execute(statement)
