"""Organisations and their unit trees."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, insert, select, update

from portal.exceptions import Conflict, NotFound, ValidationFailed
from portal.models import (
    LeaderDesignation,
    Organisation,
    OrgKind,
    Person,
    Placement,
    Subprefecture,
    Unit,
    UnitKind,
)
from portal.models.base import DBSession
from portal.services.audit import record_event

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MUNICIPALITIES_CSV = DATA_DIR / "municipalities.csv"

PREFECTURE = {
    "lgcode": "010006",
    "slug": "hokkaido",
    "name_ja": "北海道",
    "name_kana": "ほっかいどう",
    "name_en": "Hokkaido Prefecture",
    "official_url": "https://www.pref.hokkaido.lg.jp/",
}


@dataclass(frozen=True)
class SyncResult:
    created: int
    updated: int
    unchanged: int
    subprefectures: int


def municipality_slugs(rows: list[dict[str, str]]) -> dict[str, str]:
    """Stable URL slugs: the English name, made unique with the type, then the code."""
    base = Counter(r["name_en"].lower() for r in rows)
    typed = Counter(f"{r['name_en'].lower()}-{r['type']}" for r in rows)
    slugs = {}
    for r in rows:
        name = r["name_en"].lower().replace(" ", "-")
        if base[r["name_en"].lower()] == 1:
            slugs[r["lgcode"]] = name
        elif typed[f"{r['name_en'].lower()}-{r['type']}"] == 1:
            slugs[r["lgcode"]] = f"{name}-{r['type']}"
        else:
            slugs[r["lgcode"]] = f"{name}-{r['lgcode']}"
    return slugs


def sync_organisations(session: DBSession, csv_path: Path = MUNICIPALITIES_CSV) -> SyncResult:
    """Upsert the prefecture, the 14 振興局 and the 179 municipalities (idempotent)."""
    with csv_path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    created = updated = unchanged = 0

    subs: dict[str, Subprefecture] = {s.name_ja: s for s in session.scalars(select(Subprefecture))}
    order: list[str] = []
    for r in rows:
        if r["subprefecture"] not in order:
            order.append(r["subprefecture"])
    for position, name_ja in enumerate(order):
        en = next(r["subprefecture_en"] for r in rows if r["subprefecture"] == name_ja)
        slug = en.split()[0].lower()
        sub = subs.get(name_ja)
        if sub is None:
            sub = Subprefecture(name_ja=name_ja, name_en=en, slug=slug, position=position)
            session.add(sub)
            subs[name_ja] = sub
        else:
            sub.name_en, sub.slug, sub.position = en, slug, position
    session.flush()

    existing = {o.lgcode: o for o in session.scalars(select(Organisation))}
    pref = existing.get(PREFECTURE["lgcode"])
    pref_values = {**PREFECTURE, "kind": OrgKind.PREFECTURE, "position": 0}
    if pref is None:
        pref = Organisation(**pref_values)
        session.add(pref)
        created += 1
    elif _apply(pref, pref_values):
        updated += 1
    else:
        unchanged += 1
    session.flush()

    slugs = municipality_slugs(rows)
    for position, r in enumerate(rows, start=1):
        values = {
            "kind": OrgKind.MUNICIPALITY,
            "lgcode": r["lgcode"],
            "slug": slugs[r["lgcode"]],
            "name_ja": r["name_ja"],
            "name_kana": r["name_kana"],
            "name_en": r["name_en"],
            "municipality_type": r["type"],
            "subprefecture_id": subs[r["subprefecture"]].id,
            "parent_id": pref.id,
            "official_url": r["official_url"] or None,
            "position": position,
        }
        org = existing.get(r["lgcode"])
        if org is None:
            session.add(Organisation(**values))
            created += 1
        elif _apply(org, values):
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return SyncResult(created, updated, unchanged, len(subs))


def _apply(obj: object, values: dict[str, object]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def get_organisation(session: DBSession, slug: str) -> Organisation:
    """:raises NotFound: no organisation has that slug."""
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise NotFound("organisation_not_found", slug=slug)
    return org


def get_operator(session: DBSession, slug: str) -> Organisation:
    """The operating organisation (北海道). :raises NotFound: `flask orgs sync` has not run."""
    return get_organisation(session, slug)


# Units -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentTree:
    department: Unit
    sections: list[Unit]


def list_unit_tree(
    session: DBSession, organisation_id: int, *, active_only: bool = True
) -> list[DepartmentTree]:
    """Departments with their sections, in display order (two queries)."""
    query = select(Unit).where(Unit.organisation_id == organisation_id)
    if active_only:
        query = query.where(Unit.is_active.is_(True))
    units = list(session.scalars(query.order_by(Unit.position, Unit.name)))
    departments = [u for u in units if u.kind == UnitKind.DEPARTMENT]
    by_parent: dict[int, list[Unit]] = {}
    for u in units:
        if u.kind == UnitKind.SECTION and u.parent_id is not None:
            by_parent.setdefault(u.parent_id, []).append(u)
    return [DepartmentTree(d, by_parent.get(d.id, [])) for d in departments]


def list_sections(session: DBSession, organisation_id: int) -> list[tuple[Unit, Unit]]:
    """(department, section) pairs of an organisation's active sections."""
    return [
        (tree.department, s)
        for tree in list_unit_tree(session, organisation_id)
        for s in tree.sections
    ]


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed("unit_name_required", field_errors={"name": ["required"]})
    if len(name) > 120:
        raise ValidationFailed("unit_name_too_long", field_errors={"name": ["too_long"]})
    return name


def ensure_unit(
    session: DBSession, organisation_id: int, name: str, *, parent: Unit | None = None
) -> tuple[Unit, bool]:
    """Find or create a department (no parent) or a section (under `parent`)."""
    name = _clean_name(name)
    unit = session.scalar(
        select(Unit).where(
            Unit.organisation_id == organisation_id,
            Unit.name == name,
            Unit.parent_id.is_(None) if parent is None else Unit.parent_id == parent.id,
        )
    )
    if unit is not None:
        return unit, False
    position = (
        session.scalar(select(func.count(Unit.id)).where(Unit.organisation_id == organisation_id))
        or 0
    )
    unit = Unit(
        organisation_id=organisation_id,
        parent_id=parent.id if parent else None,
        kind=UnitKind.DEPARTMENT if parent is None else UnitKind.SECTION,
        name=name,
        position=position,
    )
    session.add(unit)
    session.flush()
    return unit, True


def create_unit(
    session: DBSession,
    organisation: Organisation,
    name: str,
    *,
    parent_id: int | None,
    actor: Person | None,
    now: datetime,
) -> Unit:
    """Add a department (no parent) or a section under a department of the same organisation.

    :raises Conflict: a sibling already has this name.
    :raises ValidationFailed: the parent is not a department of this organisation.
    """
    parent = None
    if parent_id is not None:
        parent = session.get(Unit, parent_id)
        if (
            parent is None
            or parent.organisation_id != organisation.id
            or parent.kind != UnitKind.DEPARTMENT
        ):
            raise ValidationFailed("parent_not_department", field_errors={"parent_id": ["invalid"]})
    unit, created = ensure_unit(session, organisation.id, name, parent=parent)
    if not created:
        raise Conflict("unit_name_taken", name=unit.name)
    record_event(
        session,
        action="unit.created",
        subject_type="unit",
        subject_id=unit.id,
        actor=actor,
        organisation_id=organisation.id,
        data={"name": unit.name, "kind": unit.kind.value},
        now=now,
    )
    return unit


def rename_unit(
    session: DBSession, unit: Unit, name: str, *, actor: Person | None, now: datetime
) -> Unit:
    """:raises Conflict: a sibling already has this name."""
    name = _clean_name(name)
    if name == unit.name:
        return unit
    clash = session.scalar(
        select(Unit.id).where(
            Unit.organisation_id == unit.organisation_id,
            Unit.name == name,
            Unit.parent_id.is_(None)
            if unit.parent_id is None
            else Unit.parent_id == unit.parent_id,
            Unit.id != unit.id,
        )
    )
    if clash:
        raise Conflict("unit_name_taken", name=name)
    old = unit.name
    unit.name = name
    record_event(
        session,
        action="unit.renamed",
        subject_type="unit",
        subject_id=unit.id,
        actor=actor,
        organisation_id=unit.organisation_id,
        data={"from": old, "to": name},
        now=now,
    )
    return unit


def get_unit_in_org(session: DBSession, unit_id: int, organisation_id: int) -> Unit:
    """:raises NotFound: no such unit in this organisation (never reveals others')."""
    unit = session.get(Unit, unit_id)
    if unit is None or unit.organisation_id != organisation_id:
        raise NotFound("unit_not_found")
    return unit


def _check_movable(unit: Unit) -> None:
    if not unit.is_active:
        raise ValidationFailed("unit_inactive")


def move_section(
    session: DBSession,
    section: Unit,
    department: Unit,
    *,
    actor: Person | None,
    now: datetime,
) -> Unit:
    """Put a section under another department of the same organisation.

    Its people, leader designations and history stay with it (only the parent changes).

    :raises ValidationFailed: not a section / not a department of the same organisation,
        or either is inactive.
    :raises Conflict: the department already has a section of that name.
    """
    _check_movable(section)
    _check_movable(department)
    if (
        section.kind != UnitKind.SECTION
        or department.kind != UnitKind.DEPARTMENT
        or department.organisation_id != section.organisation_id
    ):
        raise ValidationFailed("move_target_invalid", field_errors={"target_id": ["invalid"]})
    if section.parent_id == department.id:
        return section
    clash = session.scalar(
        select(Unit.id).where(
            Unit.organisation_id == section.organisation_id,
            Unit.parent_id == department.id,
            Unit.name == section.name,
        )
    )
    if clash:
        raise Conflict("unit_name_taken", name=section.name)
    old_parent = section.parent_id
    section.parent_id = department.id
    record_event(
        session,
        action="unit.moved",
        subject_type="unit",
        subject_id=section.id,
        actor=actor,
        organisation_id=section.organisation_id,
        data={"from_department_id": old_parent, "to_department_id": department.id},
        now=now,
    )
    session.flush()
    return section


def merge_units(
    session: DBSession,
    source: Unit,
    target: Unit,
    *,
    actor: Person | None,
    now: datetime,
) -> Unit:
    """Merge `source` into `target` (both sections, or both departments, of one organisation).

    Sections: the people move to the target (their placements are closed and reopened, as
    on any transfer) and the leader designations, history included, move with them; if
    both sections have a leader, the target's stays and the source's designation ends.
    Departments: the source's sections move under the target. The source is deactivated
    with `merged_into_id`, never deleted.

    :raises ValidationFailed: different kinds or organisations, the same unit, or inactive.
    :raises Conflict: a section name exists under both departments.
    """
    _check_movable(source)
    _check_movable(target)
    if (
        source.id == target.id
        or source.kind != target.kind
        or source.organisation_id != target.organisation_id
    ):
        raise ValidationFailed("merge_target_invalid", field_errors={"target_id": ["invalid"]})
    data: dict[str, object] = {"into": target.id, "into_name": target.name}
    if source.kind == UnitKind.SECTION:
        people = list(
            session.execute(
                select(Person.id, Person.staff_number).where(Person.section_id == source.id)
            )
        )
        person_ids = [p.id for p in people]
        if person_ids:
            session.execute(
                update(Placement)
                .where(Placement.person_id.in_(person_ids), Placement.ended_at.is_(None))
                .values(ended_at=now)
            )
            session.execute(
                insert(Placement),
                [
                    {
                        "person_id": p.id,
                        "organisation_id": source.organisation_id,
                        "section_id": target.id,
                        "staff_number": p.staff_number,
                        "started_at": now,
                        "recorded_by_id": actor.id if actor else None,
                    }
                    for p in people
                ],
            )
            session.execute(
                update(Person).where(Person.id.in_(person_ids)).values(section_id=target.id)
            )
        target_open = session.scalar(
            select(LeaderDesignation.id).where(
                LeaderDesignation.section_id == target.id, LeaderDesignation.ended_at.is_(None)
            )
        )
        if target_open is not None:
            session.execute(
                update(LeaderDesignation)
                .where(
                    LeaderDesignation.section_id == source.id,
                    LeaderDesignation.ended_at.is_(None),
                )
                .values(ended_at=now)
            )
        moved = session.execute(
            update(LeaderDesignation)
            .where(LeaderDesignation.section_id == source.id)
            .values(section_id=target.id)
        )
        data.update(people=len(person_ids), designations=moved.rowcount)  # type: ignore[attr-defined]
    else:
        names = set(session.scalars(select(Unit.name).where(Unit.parent_id == target.id)))
        moving = list(session.scalars(select(Unit).where(Unit.parent_id == source.id)))
        clashes = sorted(u.name for u in moving if u.name in names)
        if clashes:
            raise Conflict("unit_name_taken", name="、".join(clashes))
        for unit in moving:
            unit.parent_id = target.id
        data.update(sections=len(moving))
    source.is_active = False
    source.merged_into_id = target.id
    record_event(
        session,
        action="unit.merged",
        subject_type="unit",
        subject_id=source.id,
        actor=actor,
        organisation_id=source.organisation_id,
        data=data,
        now=now,
    )
    session.flush()
    # The bulk statements above bypassed the identity map.
    session.expire_all()
    return target


@dataclass(frozen=True)
class UnitFigures:
    people: int
    sections: int
    designations: int


def unit_figures(session: DBSession, unit: Unit) -> UnitFigures:
    """What a merge or move would carry: people, sections and leader designations."""
    section_ids = (
        select(Unit.id).where(Unit.parent_id == unit.id)
        if unit.kind == UnitKind.DEPARTMENT
        else select(Unit.id).where(Unit.id == unit.id)
    )
    row = session.execute(
        select(
            select(func.count(Person.id))
            .where(Person.section_id.in_(section_ids))
            .scalar_subquery(),
            select(func.count(Unit.id)).where(Unit.parent_id == unit.id).scalar_subquery(),
            select(func.count(LeaderDesignation.id))
            .where(LeaderDesignation.section_id.in_(section_ids))
            .scalar_subquery(),
        )
    ).one()
    return UnitFigures(int(row[0]), int(row[1]), int(row[2]))


@dataclass(frozen=True)
class UnitOption:
    id: int
    name: str
    parent_id: int | None


def list_unit_options(
    session: DBSession, organisation_id: int, *, parent_id: int | None = None
) -> list[UnitOption]:
    """Active departments (no `parent_id`) or the active sections of one department, as
    light rows for filter menus (no ORM objects: an organisation has ~1,000 units)."""
    query = select(Unit.id, Unit.name, Unit.parent_id).where(
        Unit.organisation_id == organisation_id, Unit.is_active.is_(True)
    )
    if parent_id is None:
        query = query.where(Unit.kind == UnitKind.DEPARTMENT)
    else:
        query = query.where(Unit.parent_id == parent_id)
    return [
        UnitOption(r.id, r.name, r.parent_id)
        for r in session.execute(query.order_by(Unit.position, Unit.name))
    ]
