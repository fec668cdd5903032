"""Migrations are reviewed code: one head, and upgrading an empty DB yields the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from portal.extensions import db


def _script(app) -> ScriptDirectory:
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_single_head(app):
    assert len(_script(app).get_heads()) == 1


def test_upgrade_from_empty_matches_models(app):
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP FUNCTION IF EXISTS audit_events_append_only() CASCADE"))
    upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
    tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set(db.metadata.tables)


def test_audit_events_are_append_only_after_migration(app):
    import pytest
    from sqlalchemy.exc import DatabaseError

    from portal.services.audit import record_event

    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP FUNCTION IF EXISTS audit_events_append_only() CASCADE"))
    upgrade()
    record_event(db.session, action="test", subject_type="x", subject_id=1)
    db.session.commit()
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE audit_events SET action = 'changed'"))
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM audit_events"))
    db.session.rollback()


def test_change_notifications_after_migration(app):
    """PostgreSQL: the migrated database announces changes like a created one."""
    if db.engine.dialect.name != "postgresql":
        return  # SQLite has no notifications and the migration adds nothing there
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        conn.execute(text("DROP FUNCTION IF EXISTS portal_notify_change() CASCADE"))
    upgrade()
    with db.engine.connect() as conn:
        triggers = set(
            conn.execute(
                text(
                    "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE NOT tgisinternal AND n.nspname = current_schema()"
                )
            ).scalars()
        )
    assert {
        "issued_credentials_notify",
        "issued_credentials_notify_truncate",
        "people_notify",
        "signing_keys_notify",
    } <= triggers
