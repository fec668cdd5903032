"""HR records: section leader designations (デジタル推進リーダー), awards (表彰) and award rules."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow
from portal.models.orgs import Unit
from portal.models.users import Person


class LeaderDesignation(db.Model):  # type: ignore[name-defined,misc]
    """A section's designated Level 1 leader, over time. One open designation per section."""

    __tablename__ = "leader_designations"
    __table_args__ = (
        Index(
            "uq_leader_designations_one_open",
            "section_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    designated_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    note: Mapped[str | None] = mapped_column(Text)

    section: Mapped[Unit] = relationship(lazy="raise_on_sql")
    person: Mapped[Person] = relationship(foreign_keys=[person_id], lazy="raise_on_sql")


class AwardRuleKind(enum.StrEnum):
    """What an award rule looks for in a person's credentials."""

    #: Certified at `level_code` (a first certification, not a renewal) within the fiscal year.
    LEVEL_IN_YEAR = "level_in_year"
    #: Holds the path badges of every tier in `tier_codes`; awarded once per rule.
    TIERS_COMPLETED = "tiers_completed"


class AwardRule(db.Model):  # type: ignore[name-defined,misc]
    """A rule that proposes award candidates, kept by HR of one organisation."""

    __tablename__ = "award_rules"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'level_in_year' AND level_code IS NOT NULL) OR kind <> 'level_in_year'",
            name="level_rule_has_level",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AwardRuleKind] = mapped_column(
        Enum(
            AwardRuleKind,
            native_enum=False,
            length=30,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    level_code: Mapped[str | None] = mapped_column(String(10))
    tier_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class Award(db.Model):  # type: ignore[name-defined,misc]
    """An award (表彰) given to a person, recorded by HR of their organisation."""

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    #: The rule kind it was given under, or "manual".
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    awarded_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The rule that proposed it (None for an award recorded by hand).
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("award_rules.id"), index=True)

    person: Mapped[Person] = relationship(foreign_keys=[person_id], lazy="raise_on_sql")
    rule: Mapped[AwardRule | None] = relationship(lazy="raise_on_sql")
