"""Aggregates for HR charts and the prefecture admin's overview (counts only, never names)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from portal.models import (
    Achievement,
    CredentialStatus,
    Enrolment,
    EnrolmentStatus,
    IssuedCredential,
    LeaderDesignation,
    Organisation,
    OrgKind,
    Person,
    Subprefecture,
    Unit,
    UnitKind,
)
from portal.models.base import DBSession
from portal.services.hr_talent import (
    EXPIRY_WINDOW_DAYS,
    HR_APPROVAL,
    TIERS,
    AchievementIndex,
    AnySelect,
    dialect_of,
    month_key,
    month_starts,
)


@dataclass
class TierRow:
    """People of one group by the highest tier they have reached (0 = none yet)."""

    key: int | None
    label: str
    by_top: list[int] = field(default_factory=lambda: [0] * (len(TIERS) + 1))

    @property
    def total(self) -> int:
        return sum(self.by_top)

    @property
    def reached(self) -> int:
        return self.total - self.by_top[0]


def _top_tier_per_person(index: AchievementIndex, *where: Any) -> AnySelect:
    """(person id, section id, organisation id, highest tier rank 0..4) of the people
    matching `where` (one row per person, people with no tier badge included)."""
    rank = index.tier_rank()
    top = func.max(case(rank, value=IssuedCredential.achievement_id, else_=0) if rank else 0)
    return (
        select(
            Person.id.label("person_id"),
            Person.section_id.label("section_id"),
            Person.organisation_id.label("organisation_id"),
            func.coalesce(top, 0).label("top"),
        )
        .outerjoin(
            IssuedCredential,
            (IssuedCredential.person_id == Person.id)
            & (IssuedCredential.status == CredentialStatus.ACTIVE)
            & IssuedCredential.achievement_id.in_(index.tier_ids()),
        )
        .where(*where)
        .group_by(Person.id, Person.section_id, Person.organisation_id)
    )


def tier_distribution_by_department(
    session: DBSession, organisation_id: int, index: AchievementIndex, *, unassigned: str
) -> list[TierRow]:
    """Staff per department by highest tier reached (two statements)."""
    per_person = _top_tier_per_person(index, Person.organisation_id == organisation_id).subquery()
    counts = session.execute(
        select(Unit.parent_id, per_person.c.top, func.count())
        .select_from(per_person)
        .outerjoin(Unit, Unit.id == per_person.c.section_id)
        .group_by(Unit.parent_id, per_person.c.top)
    ).all()
    departments = session.execute(
        select(Unit.id, Unit.name)
        .where(
            Unit.organisation_id == organisation_id,
            Unit.kind == UnitKind.DEPARTMENT,
            Unit.is_active.is_(True),
        )
        .order_by(Unit.position, Unit.name)
    ).all()
    rows = {d.id: TierRow(d.id, d.name) for d in departments}
    other = TierRow(None, unassigned)
    for dept_id, top, n in counts:
        row = rows.get(dept_id, other) if dept_id is not None else other
        row.by_top[int(top or 0)] += n
    return [*rows.values(), *([other] if other.total else [])]


def tier_distribution_by_subprefecture(
    session: DBSession, index: AchievementIndex
) -> list[TierRow]:
    """Municipal staff per 振興局 by highest tier reached (aggregates only)."""
    municipal = select(Organisation.id).where(Organisation.kind == OrgKind.MUNICIPALITY)
    per_person = _top_tier_per_person(index, Person.organisation_id.in_(municipal)).subquery()
    counts = session.execute(
        select(Organisation.subprefecture_id, per_person.c.top, func.count())
        .select_from(per_person)
        .join(Organisation, Organisation.id == per_person.c.organisation_id)
        .group_by(Organisation.subprefecture_id, per_person.c.top)
    ).all()
    subs = session.execute(
        select(Subprefecture.id, Subprefecture.name_ja).order_by(Subprefecture.position)
    ).all()
    rows = {s.id: TierRow(s.id, s.name_ja) for s in subs}
    for sub_id, top, n in counts:
        if sub_id in rows:
            rows[sub_id].by_top[int(top or 0)] += n
    return list(rows.values())


@dataclass(frozen=True)
class MonthCount:
    month: date
    paths: int
    certifications: int

    @property
    def total(self) -> int:
        return self.paths + self.certifications


def badges_per_month(
    session: DBSession,
    organisation_id: int,
    *,
    now: datetime,
    tz: tzinfo,
    months: int = 12,
) -> list[MonthCount]:
    """Credentials issued to the organisation's current staff per month (path badges and
    certifications), whatever their status now."""
    starts = month_starts(now, months, tz)
    since = datetime.combine(starts[0], time(), tzinfo=tz)
    key = month_key(IssuedCredential.issued_at, dialect_of(session), tz, now).label("month")
    is_cert = case((Achievement.issuance == HR_APPROVAL, 1), else_=0).label("is_cert")
    counts: dict[tuple[str, int], int] = {
        (m, c): n
        for m, c, n in session.execute(
            select(key, is_cert, func.count())
            .join(Achievement, Achievement.id == IssuedCredential.achievement_id)
            .join(Person, Person.id == IssuedCredential.person_id)
            .where(Person.organisation_id == organisation_id, IssuedCredential.issued_at >= since)
            .group_by(key, is_cert)
        )
    }
    return [
        MonthCount(
            s, counts.get((s.strftime("%Y-%m"), 0), 0), counts.get((s.strftime("%Y-%m"), 1), 0)
        )
        for s in starts
    ]


# Prefecture admin overview ----------------------------------------------------------


@dataclass
class OrgFigures:
    """Aggregate figures of one municipality, one 振興局 or a total."""

    label: str
    key: int | None = None
    subprefecture_id: int | None = None
    municipality_type: str | None = None
    organisations: int = 0
    staff: int = 0
    participants: int = 0
    badges: int = 0
    holders: int = 0
    sections: int = 0
    covered: int = 0

    def add(self, other: OrgFigures) -> None:
        self.organisations += other.organisations
        self.staff += other.staff
        self.participants += other.participants
        self.badges += other.badges
        self.holders += other.holders
        self.sections += other.sections
        self.covered += other.covered

    @property
    def participation(self) -> float:
        return round(100.0 * self.participants / self.staff, 1) if self.staff else 0.0

    @property
    def coverage(self) -> float:
        return round(100.0 * self.covered / self.sections, 1) if self.sections else 0.0


@dataclass(frozen=True)
class Overview:
    prefecture: OrgFigures
    municipalities: list[OrgFigures]
    subprefectures: list[OrgFigures]
    total: OrgFigures


def _per_org(session: DBSession, query: AnySelect) -> dict[int, int]:
    return {int(row[0]): int(row[1]) for row in session.execute(query)}


def overview(session: DBSession) -> Overview:
    """Participation, badges and leader coverage per organisation and per 振興局.

    Six grouped statements whatever the number of organisations or staff.
    """
    staff = _per_org(
        session,
        select(Person.organisation_id, func.count(Person.id)).group_by(Person.organisation_id),
    )
    participants = _per_org(
        session,
        select(Person.organisation_id, func.count(func.distinct(Enrolment.person_id)))
        .join(Person, Person.id == Enrolment.person_id)
        .where(Enrolment.status != EnrolmentStatus.WITHDRAWN)
        .group_by(Person.organisation_id),
    )
    badge_rows = session.execute(
        select(
            Person.organisation_id,
            func.count(IssuedCredential.id),
            func.count(func.distinct(IssuedCredential.person_id)),
        )
        .join(Person, Person.id == IssuedCredential.person_id)
        .where(IssuedCredential.status == CredentialStatus.ACTIVE)
        .group_by(Person.organisation_id)
    ).all()
    badges = {r[0]: (r[1], r[2]) for r in badge_rows}
    active_section = (Unit.kind == UnitKind.SECTION) & Unit.is_active.is_(True)
    sections = _per_org(
        session,
        select(Unit.organisation_id, func.count(Unit.id))
        .where(active_section)
        .group_by(Unit.organisation_id),
    )
    covered = _per_org(
        session,
        select(Unit.organisation_id, func.count(func.distinct(LeaderDesignation.section_id)))
        .join(Unit, Unit.id == LeaderDesignation.section_id)
        .where(LeaderDesignation.ended_at.is_(None), active_section)
        .group_by(Unit.organisation_id),
    )
    orgs = session.execute(
        select(
            Organisation.id,
            Organisation.kind,
            Organisation.name_ja,
            Organisation.subprefecture_id,
            Organisation.municipality_type,
        ).order_by(Organisation.position, Organisation.id)
    ).all()
    subs = session.execute(
        select(Subprefecture.id, Subprefecture.name_ja).order_by(Subprefecture.position)
    ).all()

    def figures(o: Any) -> OrgFigures:
        oid = o.id
        n_badges, n_holders = badges.get(oid, (0, 0))
        return OrgFigures(
            label=o.name_ja,
            key=oid,
            subprefecture_id=o.subprefecture_id,
            municipality_type=o.municipality_type,
            organisations=1,
            staff=staff.get(oid, 0),
            participants=participants.get(oid, 0),
            badges=n_badges,
            holders=n_holders,
            sections=sections.get(oid, 0),
            covered=covered.get(oid, 0),
        )

    prefecture = OrgFigures(label="")
    municipalities = []
    for o in orgs:
        if o.kind == OrgKind.PREFECTURE:
            prefecture = figures(o)
        else:
            municipalities.append(figures(o))
    by_sub = {s.id: OrgFigures(label=s.name_ja, key=s.id) for s in subs}
    total = OrgFigures(label="")
    for m in municipalities:
        if m.subprefecture_id in by_sub:
            by_sub[m.subprefecture_id].add(m)
        total.add(m)
    return Overview(prefecture, municipalities, list(by_sub.values()), total)


# Badge holders -----------------------------------------------------------------------


@dataclass(frozen=True)
class HolderCount:
    achievement_id: int
    holders: int
    expiring: int


def holder_counts(
    session: DBSession, organisation_id: int, index: AchievementIndex, *, now: datetime
) -> dict[int, HolderCount]:
    """Active holders per badge among the organisation's staff, and how many expire soon."""
    soon = now + timedelta(days=EXPIRY_WINDOW_DAYS)
    expiring = func.sum(
        case(
            (
                IssuedCredential.valid_until.is_not(None) & (IssuedCredential.valid_until < soon),
                1,
            ),
            else_=0,
        )
    )
    return {
        a: HolderCount(a, int(n), int(e or 0))
        for a, n, e in session.execute(
            select(IssuedCredential.achievement_id, func.count(IssuedCredential.id), expiring)
            .join(Person, Person.id == IssuedCredential.person_id)
            .where(
                Person.organisation_id == organisation_id,
                IssuedCredential.status == CredentialStatus.ACTIVE,
                IssuedCredential.achievement_id.in_(index.badge_ids),
            )
            .group_by(IssuedCredential.achievement_id)
        )
    }


@dataclass(frozen=True)
class BadgeHolder:
    staff_number: str
    name: str
    department: str | None
    section: str | None
    achievement_id: int
    issued_at: datetime
    valid_until: datetime | None


def iter_badge_holders(
    session: DBSession,
    organisation_id: int,
    index: AchievementIndex,
    *,
    achievement_id: int | None = None,
    chunk: int = 1000,
) -> Iterator[BadgeHolder]:
    """Active credentials of the organisation's staff, by department, section and person."""
    section = aliased(Unit, name="section")
    department = aliased(Unit, name="department")
    ids = [achievement_id] if achievement_id is not None else index.badge_ids
    query = (
        select(
            Person.staff_number,
            Person.name,
            department.name.label("department_name"),
            section.name.label("section_name"),
            IssuedCredential.achievement_id,
            IssuedCredential.issued_at,
            IssuedCredential.valid_until,
        )
        .join(Person, Person.id == IssuedCredential.person_id)
        .outerjoin(section, section.id == Person.section_id)
        .outerjoin(department, department.id == section.parent_id)
        .where(
            Person.organisation_id == organisation_id,
            IssuedCredential.status == CredentialStatus.ACTIVE,
            IssuedCredential.achievement_id.in_(ids),
        )
        .order_by(
            department.position,
            department.name,
            section.position,
            section.name,
            Person.staff_number,
            IssuedCredential.achievement_id,
        )
        .execution_options(yield_per=chunk)
    )
    for r in session.execute(query):
        yield BadgeHolder(
            r.staff_number,
            r.name,
            r.department_name,
            r.section_name,
            r.achievement_id,
            r.issued_at,
            r.valid_until,
        )
