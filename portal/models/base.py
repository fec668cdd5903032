"""Shared column types and helpers for the models."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any, TypeAlias

from sqlalchemy import DateTime, Enum, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Session, scoped_session
from sqlalchemy.types import TypeDecorator

#: What services accept: a plain Session or Flask-SQLAlchemy's scoped `db.session`.
DBSession: TypeAlias = Session | scoped_session[Any]


def utcnow() -> datetime:
    """The current time, aware, in UTC, to whole microseconds."""
    return datetime.now(UTC)


def str_enum(cls: type[enum.Enum], length: int = 20) -> Enum:
    """A portable VARCHAR column for a str enum, storing the members' values."""
    return Enum(
        cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e]
    )


def new_uuid() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware.

    SQLite drops the offset; PostgreSQL keeps ``timestamptz``. Naive values are
    refused so that local times never slip in unnoticed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def install_sqlite_pragmas(engine: Engine) -> None:
    """Foreign keys on, and a busy timeout so concurrent writers wait instead of failing."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
