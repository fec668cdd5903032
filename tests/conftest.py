"""Shared fixtures: a fresh app and database per test.

SQLite (default): a temporary database file per test.
PostgreSQL (TEST_DATABASE_URL set): one fresh schema per test session (per xdist
worker), tables created once and truncated after every test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from config import TestConfig, database_url
from portal import create_app
from portal.extensions import db

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


#: The official 1EdTech schemas and examples live beside the repository, in ../shared (CI
#: provides them). Without them the tests that read them are skipped with that reason;
#: with REQUIRE_SHARED_REFERENCE=1 (set by .ci/run) they fail instead.
REQUIRE_REFERENCE = os.environ.get("REQUIRE_SHARED_REFERENCE") == "1"
_SHARED_PREFIX = str(SHARED.resolve()) + os.sep


#: For tests that list the reference files (a missing folder would make them vacuous).
needs_reference = pytest.mark.skipif(
    not REQUIRE_REFERENCE and not SHARED.is_dir(),
    reason=f"needs the reference files in {SHARED} (CI provides them)",
)


def pytest_report_header() -> str:
    database = "postgresql " + PG_URL if PG_URL else "sqlite (temp file per test)"
    reference = "found" if SHARED.is_dir() else "MISSING (tests that read it are skipped)"
    return f"database: {database}; reference files {SHARED}: {reference}"


def _skip_without_reference() -> Any:
    try:
        return (yield)
    except FileNotFoundError as exc:
        filename = str(exc.filename or "")
        if not REQUIRE_REFERENCE and Path(filename).resolve().as_posix().startswith(
            _SHARED_PREFIX
        ):
            pytest.skip(f"needs the reference files in {SHARED} (CI provides them)")
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Any:
    return (yield from _skip_without_reference())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    return (yield from _skip_without_reference())


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str | None]:
    """A fresh PostgreSQL schema for this test session, dropped at the end."""
    if not PG_URL:
        yield None
        return
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


_pg_tables_created: set[str] = set()


def make_config(tmp_path: Path, pg_schema: str | None, **overrides: Any) -> type[TestConfig]:
    values: dict[str, Any] = {
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "SIGNING_KEY_DIR": str(tmp_path / "keys"),
    }
    if pg_schema:
        values["SQLALCHEMY_DATABASE_URI"] = database_url(PG_URL, PG_URL)
        values["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={pg_schema}"},
            "pool_pre_ping": True,
        }
    else:
        values["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'test.db'}"
    values.update(overrides)
    return type("PerTestConfig", (TestConfig,), values)


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override this (or parametrize) to change config values for one test module."""
    return {}


@pytest.fixture
def app(tmp_path: Path, pg_schema: str | None, app_config: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(make_config(tmp_path, pg_schema, **app_config))
    application.extensions["mail_outbox"] = []
    with application.app_context():
        if pg_schema is None or pg_schema not in _pg_tables_created:
            db.create_all()
            if pg_schema:
                _pg_tables_created.add(pg_schema)
        try:
            yield application
        finally:
            db.session.remove()
            if pg_schema:
                tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
                with db.engine.begin() as conn:
                    conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def outbox(app: Flask) -> list[Any]:
    return app.extensions["mail_outbox"]


def login(client: FlaskClient, person: Any) -> None:
    """Log `person` in on `client` without going through the password form."""
    with client.session_transaction() as session:
        session["_user_id"] = person.get_id()
        session["_fresh"] = True


@pytest.fixture
def login_as(client: FlaskClient):  # type: ignore[no-untyped-def]
    def _login(person: Any) -> FlaskClient:
        login(client, person)
        return client

    return _login


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask):  # type: ignore[no-untyped-def]
    """Context manager counting the SQL statements run inside it."""

    @contextmanager
    def _count() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "PRAGMA")):
                counter.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", _before)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", _before)

    return _count
