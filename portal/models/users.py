"""People (職員), their emails, roles and placements."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, new_uuid, str_enum, utcnow
from portal.models.orgs import Organisation, Unit


class Role(enum.StrEnum):
    """Roles beyond learner (every person is a learner)."""

    TRAINER = "trainer"  # 研修担当: curates courses, reviews exercises
    EDITOR = "editor"  # trainer who may approve catalogue changes
    HR = "hr"  # 人事担当: scoped to its own organisation
    ADMIN = "admin"  # portal-wide


class Person(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A staff member. The uuid is theirs for life and is the badge subject."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("organisation_id", "staff_number", name="uq_people_org_staff_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    staff_number: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    name_kana: Mapped[str] = mapped_column(String(160), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active_account: Mapped[bool] = mapped_column("is_active", Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Changes on every password change and logout-everywhere; signs reset tokens and sessions.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="raise_on_sql")
    section: Mapped[Unit | None] = relationship(lazy="raise_on_sql")
    emails: Mapped[list[Email]] = relationship(
        back_populates="person", lazy="selectin", order_by="Email.id", cascade="all, delete-orphan"
    )
    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="person",
        lazy="selectin",
        cascade="all, delete-orphan",
        foreign_keys="RoleGrant.person_id",
    )

    def __repr__(self) -> str:
        return f"<Person {self.uuid}>"

    # Flask-Login ---------------------------------------------------------
    def get_id(self) -> str:
        return f"{self.uuid}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return bool(self.is_active_account)

    # Roles ---------------------------------------------------------------
    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.role_grants)

    def has_role(self, role: Role | str) -> bool:
        return Role(role) in self.roles

    @property
    def is_trainer(self) -> bool:
        return bool(self.roles & {Role.TRAINER, Role.EDITOR, Role.ADMIN})

    @property
    def is_editor(self) -> bool:
        return bool(self.roles & {Role.EDITOR, Role.ADMIN})

    @property
    def is_hr(self) -> bool:
        return Role.HR in self.roles

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    # Display -------------------------------------------------------------
    @property
    def display_name(self) -> str:
        return self.name

    @property
    def primary_email(self) -> str | None:
        for email in self.emails:
            if email.is_primary:
                return email.address
        return self.emails[0].address if self.emails else None

    @property
    def organisation_name(self) -> str:
        org = self.__dict__.get("organisation")
        return org.name_ja if org is not None else ""


class Email(db.Model):  # type: ignore[name-defined,misc]
    """An address of a person; any verified one can log in."""

    __tablename__ = "emails"
    __table_args__ = (
        Index(
            "uq_emails_one_primary",
            "person_id",
            unique=True,
            sqlite_where=text("is_primary"),
            postgresql_where=text("is_primary"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    #: Stored lower-cased; unique across the portal.
    address: Mapped[str] = mapped_column(String(254), unique=True)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(back_populates="emails", lazy="raise_on_sql")

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class RoleGrant(db.Model):  # type: ignore[name-defined,misc]
    """A role held by a person. HR is scoped to the person's own organisation."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("person_id", "role", name="uq_role_grants_person_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    person: Mapped[Person] = relationship(
        back_populates="role_grants", foreign_keys=[person_id], lazy="raise_on_sql"
    )


class Placement(db.Model):  # type: ignore[name-defined,misc]
    """Where a person worked, and when. Transfers close one placement and open the next."""

    __tablename__ = "placements"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    staff_number: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    organisation: Mapped[Organisation] = relationship(lazy="raise_on_sql")
    section: Mapped[Unit | None] = relationship(lazy="raise_on_sql")
