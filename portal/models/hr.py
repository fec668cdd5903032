"""HR records: section leader designations (デジタル推進リーダー) and awards (表彰)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, text
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


class Award(db.Model):  # type: ignore[name-defined,misc]
    """An award (表彰) given to a person, recorded by HR of their organisation."""

    __tablename__ = "awards"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    awarded_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(foreign_keys=[person_id], lazy="raise_on_sql")
