"""The HR roster: an organisation's staff with tiers, certifications, paths and last activity.

A page is a constant number of statements whatever the staff count:
`roster_query` selects ordered person ids (the view paginates it: count + page), then
`load_rows` reads the page's people, their active credentials and their enrolments in
three statements keyed by the page's ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import aliased

from portal.exceptions import NotFound
from portal.models import (
    CredentialStatus,
    Email,
    Enrolment,
    EnrolmentStatus,
    IssuedCredential,
    LearningPath,
    Person,
    Unit,
    UnitKind,
)
from portal.models.base import DBSession
from portal.services.hr_talent import (
    EXPIRY_WINDOW_DAYS,
    LEVELS,
    TIERS,
    AchievementIndex,
    AnySelect,
    expiry_state,
    fold_query,
    folded_text,
    text_matches,
)

EXPORT_CHUNK = 1000


@dataclass(frozen=True)
class RosterFilters:
    q: str = ""
    department_id: int | None = None
    section_id: int | None = None
    tier: str | None = None
    level: str | None = None
    #: holds any active certification
    certified: bool = False
    #: a certification has expired or expires within EXPIRY_WINDOW_DAYS
    expiring: bool = False

    @property
    def active(self) -> bool:
        return any(
            (
                self.q,
                self.department_id,
                self.section_id,
                self.tier,
                self.level,
                self.certified,
                self.expiring,
            )
        )


@dataclass(frozen=True)
class Certification:
    level: str
    valid_until: datetime | None
    state: str  # ok / expiring / expired


@dataclass(frozen=True)
class PathInProgress:
    name_ja: str
    name_en: str
    code: str

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_ja


@dataclass(frozen=True)
class RosterRow:
    person_id: int
    uuid: str
    staff_number: str
    name: str
    name_kana: str
    department: str | None
    section: str | None
    tiers: tuple[str, ...]
    certifications: tuple[Certification, ...]
    in_progress: tuple[PathInProgress, ...]
    last_activity: datetime | None
    #: Level paths completed (L1 / L2 path badges); L1 makes a leader candidate.
    level_paths: tuple[str, ...]

    @property
    def is_leader_candidate(self) -> bool:
        return "L1" in self.level_paths


def check_filters(session: DBSession, organisation_id: int, filters: RosterFilters) -> None:
    """:raises NotFound: a department or section filter names another organisation's unit."""
    for unit_id, kind in (
        (filters.department_id, UnitKind.DEPARTMENT),
        (filters.section_id, UnitKind.SECTION),
    ):
        if unit_id is None:
            continue
        unit = session.get(Unit, unit_id)
        if unit is None or unit.organisation_id != organisation_id or unit.kind != kind:
            raise NotFound("unit_not_found")


def _holders(achievement_ids: Sequence[int], *extra: ColumnElement[bool]) -> AnySelect:
    return select(IssuedCredential.person_id).where(
        IssuedCredential.status == CredentialStatus.ACTIVE,
        IssuedCredential.achievement_id.in_(list(achievement_ids)),
        *extra,
    )


def roster_query(
    organisation_id: int,
    filters: RosterFilters,
    index: AchievementIndex,
    *,
    now: datetime,
    dialect: str,
) -> AnySelect:
    """Ordered person ids of the organisation's staff matching `filters`.

    Ordered by department, section (display order), then staff number; people without
    a section come last. Call `hr_talent.prepare_search` first when `filters.q` is set.
    """
    section = aliased(Unit, name="section")
    department = aliased(Unit, name="department")
    query = (
        select(Person.id)
        .outerjoin(section, section.id == Person.section_id)
        .outerjoin(department, department.id == section.parent_id)
        .where(Person.organisation_id == organisation_id)
        .order_by(
            case((department.id.is_(None), 1), else_=0),
            department.position,
            department.name,
            section.position,
            section.name,
            Person.staff_number,
        )
    )
    if filters.department_id is not None:
        query = query.where(section.parent_id == filters.department_id)
    if filters.section_id is not None:
        query = query.where(Person.section_id == filters.section_id)
    if filters.tier in TIERS:
        query = query.where(Person.id.in_(_holders(index.tier_ids(filters.tier))))
    if filters.level in LEVELS:
        valid = or_(IssuedCredential.valid_until.is_(None), IssuedCredential.valid_until >= now)
        query = query.where(Person.id.in_(_holders(index.cert_ids(filters.level), valid)))
    if filters.certified:
        query = query.where(Person.id.in_(_holders(index.cert_ids())))
    if filters.expiring:
        soon = now + timedelta(days=EXPIRY_WINDOW_DAYS)
        query = query.where(
            Person.id.in_(
                _holders(
                    index.cert_ids(),
                    IssuedCredential.valid_until.is_not(None),
                    IssuedCredential.valid_until < soon,
                )
            )
        )
    terms = fold_query(filters.q)
    if terms:
        # Fold each person's text once (OFFSET 0 keeps PostgreSQL from inlining the
        # subquery and folding again for every term and script).
        text = folded_text(dialect, Person.name, Person.name_kana, Person.staff_number)
        folded = (
            select(Person.id, text.label("text"))
            .where(Person.organisation_id == organisation_id)
            .offset(0)
            .subquery()
        )
        matching = select(folded.c.id).where(
            *(
                or_(
                    text_matches(folded.c.text, term, dialect),
                    folded.c.id.in_(
                        select(Email.person_id).where(
                            func.lower(Email.address).contains(term, autoescape=True)
                        )
                    ),
                )
                for term in terms
            )
        )
        query = query.where(Person.id.in_(matching))
    return query


def load_rows(
    session: DBSession, person_ids: Sequence[int], index: AchievementIndex, *, now: datetime
) -> list[RosterRow]:
    """Roster rows for `person_ids`, in that order (three statements)."""
    if not person_ids:
        return []
    ids = list(person_ids)
    section = aliased(Unit, name="section")
    department = aliased(Unit, name="department")
    people = {
        r.id: r
        for r in session.execute(
            select(
                Person.id,
                Person.uuid,
                Person.staff_number,
                Person.name,
                Person.name_kana,
                Person.last_login_at,
                Person.last_activity_at,
                section.name.label("section_name"),
                department.name.label("department_name"),
            )
            .outerjoin(section, section.id == Person.section_id)
            .outerjoin(department, department.id == section.parent_id)
            .where(Person.id.in_(ids))
        )
    }
    tiers: dict[int, set[str]] = {}
    certs: dict[int, list[Certification]] = {}
    level_paths: dict[int, set[str]] = {}
    if index.badge_ids:
        for c in session.execute(
            select(
                IssuedCredential.person_id,
                IssuedCredential.achievement_id,
                IssuedCredential.valid_until,
            ).where(
                IssuedCredential.person_id.in_(ids),
                IssuedCredential.status == CredentialStatus.ACTIVE,
                IssuedCredential.achievement_id.in_(index.badge_ids),
            )
        ):
            if c.achievement_id in index.tier_of:
                tiers.setdefault(c.person_id, set()).add(index.tier_of[c.achievement_id])
            elif c.achievement_id in index.cert_level_of:
                certs.setdefault(c.person_id, []).append(
                    Certification(
                        index.cert_level_of[c.achievement_id],
                        c.valid_until,
                        expiry_state(c.valid_until, now),
                    )
                )
            elif c.achievement_id in index.path_level_of:
                level_paths.setdefault(c.person_id, set()).add(
                    index.path_level_of[c.achievement_id]
                )
    paths: dict[int, list[PathInProgress]] = {}
    activity: dict[int, datetime] = {}
    for e in session.execute(
        select(
            Enrolment.person_id,
            Enrolment.status,
            Enrolment.last_activity_at,
            LearningPath.name_ja,
            LearningPath.name_en,
            LearningPath.tier_code,
            LearningPath.level_code,
        )
        .join(LearningPath, LearningPath.id == Enrolment.path_id)
        .where(Enrolment.person_id.in_(ids))
        .order_by(Enrolment.enrolled_at)
    ):
        if e.status == EnrolmentStatus.ACTIVE:
            paths.setdefault(e.person_id, []).append(
                PathInProgress(e.name_ja, e.name_en, e.tier_code or e.level_code or "")
            )
        if e.last_activity_at and (
            e.person_id not in activity or e.last_activity_at > activity[e.person_id]
        ):
            activity[e.person_id] = e.last_activity_at
    rows = []
    for pid in ids:
        p = people.get(pid)
        if p is None:
            continue
        moments = [m for m in (p.last_login_at, p.last_activity_at, activity.get(pid)) if m]
        rows.append(
            RosterRow(
                person_id=pid,
                uuid=p.uuid,
                staff_number=p.staff_number,
                name=p.name,
                name_kana=p.name_kana or "",
                department=p.department_name,
                section=p.section_name,
                tiers=tuple(t for t in TIERS if t in tiers.get(pid, ())),
                certifications=tuple(sorted(certs.get(pid, ()), key=lambda c: c.level)),
                in_progress=tuple(paths.get(pid, ())),
                last_activity=max(moments) if moments else None,
                level_paths=tuple(lv for lv in LEVELS if lv in level_paths.get(pid, ())),
            )
        )
    return rows


def iter_rows(
    session: DBSession,
    organisation_id: int,
    filters: RosterFilters,
    index: AchievementIndex,
    *,
    now: datetime,
    dialect: str,
    chunk: int = EXPORT_CHUNK,
) -> Iterator[RosterRow]:
    """Every matching row, read `chunk` people at a time (for exports)."""
    ids: list[int] = list(
        session.scalars(roster_query(organisation_id, filters, index, now=now, dialect=dialect))
    )
    for start in range(0, len(ids), chunk):
        yield from load_rows(session, ids[start : start + chunk], index, now=now)


def roster_counts(
    session: DBSession, organisation_id: int, index: AchievementIndex, *, now: datetime
) -> dict[str, int]:
    """Headline figures for the HR dashboard (one statement)."""
    soon = now + timedelta(days=EXPIRY_WINDOW_DAYS)
    staff = select(Person.id).where(Person.organisation_id == organisation_id)

    def holders(ids: list[int], *extra: ColumnElement[bool]) -> Any:
        return (
            select(func.count(func.distinct(IssuedCredential.person_id)))
            .where(
                IssuedCredential.person_id.in_(staff),
                IssuedCredential.status == CredentialStatus.ACTIVE,
                IssuedCredential.achievement_id.in_(ids),
                *extra,
            )
            .scalar_subquery()
        )

    row = session.execute(
        select(
            select(func.count(Person.id))
            .where(Person.organisation_id == organisation_id)
            .scalar_subquery()
            .label("staff"),
            select(func.count(func.distinct(Enrolment.person_id)))
            .where(Enrolment.person_id.in_(staff), Enrolment.status == EnrolmentStatus.ACTIVE)
            .scalar_subquery()
            .label("learning"),
            holders(index.tier_ids()).label("tier_holders"),
            holders(index.cert_ids()).label("certified"),
            holders(
                index.cert_ids(),
                and_(
                    IssuedCredential.valid_until.is_not(None),
                    IssuedCredential.valid_until < soon,
                ),
            ).label("expiring"),
        )
    ).one()
    return dict(row._mapping)
