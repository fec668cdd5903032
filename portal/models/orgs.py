"""Organisations (北海道 and its 179 市町村), 振興局 and the unit tree (部 → 課)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow


class OrgKind(enum.StrEnum):
    PREFECTURE = "prefecture"
    MUNICIPALITY = "municipality"


class UnitKind(enum.StrEnum):
    DEPARTMENT = "department"  # 部
    SECTION = "section"  # 課


class Subprefecture(db.Model):  # type: ignore[name-defined,misc]
    """振興局: 14 of them; every municipality belongs to one."""

    __tablename__ = "subprefectures"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name_ja: Mapped[str] = mapped_column(String(80), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Subprefecture {self.slug}>"


class Organisation(db.Model):  # type: ignore[name-defined,misc]
    """The prefecture or a municipality."""

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(
            "kind = 'prefecture' OR subprefecture_id IS NOT NULL",
            name="municipality_has_subprefecture",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(
        Enum(OrgKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    #: 全国地方公共団体コード (6 digits with check digit).
    lgcode: Mapped[str] = mapped_column(String(6), unique=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_ja: Mapped[str] = mapped_column(String(80))
    name_kana: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    #: city / town / village for municipalities.
    municipality_type: Mapped[str | None] = mapped_column(String(10))
    subprefecture_id: Mapped[int | None] = mapped_column(
        ForeignKey("subprefectures.id"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    official_url: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)

    subprefecture: Mapped[Subprefecture | None] = relationship(lazy="raise_on_sql")
    parent: Mapped[Organisation | None] = relationship(remote_side=[id], lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"

    @property
    def is_prefecture(self) -> bool:
        return self.kind == OrgKind.PREFECTURE


class Unit(db.Model):  # type: ignore[name-defined,misc]
    """A department (部) or a section (課) inside one organisation."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("organisation_id", "parent_id", "name", name="uq_units_sibling_name"),
        CheckConstraint(
            "(kind = 'department' AND parent_id IS NULL) OR (kind = 'section' AND parent_id IS NOT NULL)",
            name="kind_matches_parent",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[UnitKind] = mapped_column(
        Enum(UnitKind, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(160))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when a unit is merged into another; its people moved there.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))

    organisation: Mapped[Organisation] = relationship(lazy="raise_on_sql")
    parent: Mapped[Unit | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], lazy="raise_on_sql"
    )

    def __repr__(self) -> str:
        return f"<Unit {self.kind} {self.name}>"
