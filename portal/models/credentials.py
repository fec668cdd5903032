"""Issued Open Badges 3.0 credentials, their events, signing keys and status lists."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, str_enum, utcnow
from portal.models.catalogue import Achievement
from portal.models.orgs import Organisation
from portal.models.users import Person


class CredentialStatus(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"  # renewed: a newer credential replaces it


class Visibility(enum.StrEnum):
    PRIVATE = "private"  # owner, their HR, admin
    LINK = "link"  # anyone with the unguessable share link
    PUBLIC = "public"


class KeyStatus(enum.StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"  # no longer signs; still published so old credentials verify
    #: Leaked or suspected: no longer published or trusted, so nothing it signed verifies
    #: (its credentials are revoked and reissued with the active key).
    COMPROMISED = "compromised"


class SigningKey(db.Model):  # type: ignore[name-defined,misc]
    """A public signing key. Private keys stay encrypted in SIGNING_KEY_DIR."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        Index(
            "uq_signing_keys_one_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The key id used in /keys/<key_id>; never reused.
    key_id: Mapped[str] = mapped_column(String(80), unique=True)
    kid_url: Mapped[str] = mapped_column(String(300), unique=True)
    algorithm: Mapped[str] = mapped_column(String(10), default="RS256")
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[KeyStatus] = mapped_column(str_enum(KeyStatus), default=KeyStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_published(self) -> bool:
        """Served at its kid URL and in the JWKS (active and retired keys)."""
        return self.status != KeyStatus.COMPROMISED


class IssuedCredential(db.Model):  # type: ignore[name-defined,misc]
    """One signed credential. At most one active per (person, achievement)."""

    __tablename__ = "issued_credentials"
    __table_args__ = (
        Index(
            "uq_issued_credentials_one_active",
            "person_id",
            "achievement_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        UniqueConstraint("status_list_index", name="uq_issued_credentials_status_list_index"),
        CheckConstraint("status_list_index >= 0", name="status_index_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The credential id is urn:uuid:<uuid>; never reused.
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"), index=True)
    issuer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    signing_key_id: Mapped[int] = mapped_column(ForeignKey("signing_keys.id"))
    #: Where this credential's bit sits in the status list (never reused).
    status_list_index: Mapped[int] = mapped_column(Integer)
    #: Set when issued on path completion.
    completion_id: Mapped[int | None] = mapped_column(
        ForeignKey("path_completions.id"), unique=True
    )
    #: The credential this one renews (level certifications).
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("issued_credentials.id"))
    jws: Mapped[str] = mapped_column(Text)
    credential: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[CredentialStatus] = mapped_column(
        str_enum(CredentialStatus), default=CredentialStatus.ACTIVE
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[Visibility] = mapped_column(str_enum(Visibility), default=Visibility.PRIVATE)
    #: Unguessable token for share links (secrets.token_urlsafe).
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: A bulk-issue job key, so a rerun issues only what is missing.
    batch_key: Mapped[str | None] = mapped_column(String(120), index=True)

    person: Mapped[Person] = relationship(lazy="raise_on_sql")
    achievement: Mapped[Achievement] = relationship(lazy="raise_on_sql")
    issuer: Mapped[Organisation] = relationship(lazy="raise_on_sql")
    signing_key: Mapped[SigningKey] = relationship(lazy="raise_on_sql")


class CredentialEvent(db.Model):  # type: ignore[name-defined,misc]
    """issued / revoked / renewed, with who and why (also mirrored to the audit log)."""

    __tablename__ = "credential_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("issued_credentials.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class StatusListCounter(db.Model):  # type: ignore[name-defined,misc]
    """Hands out status-list indexes; a row lock (or SQLite's writer lock) serialises it."""

    __tablename__ = "status_list_counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_name: Mapped[str] = mapped_column(String(40), unique=True)
    next_index: Mapped[int] = mapped_column(Integer, default=0)
