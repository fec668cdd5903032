"""Level 1 leader coverage: one designated デジタル推進リーダー per section (課).

A section is covered while it has an open `LeaderDesignation`. Candidates are the
section's holders of the Level 1 path badge; the leader's Level 1 certification expiry
is flagged within `EXPIRY_WINDOW_DAYS`. The whole organisation is read in a fixed number
of grouped statements (947 sections are a few hundred kilobytes of rows at most).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from portal.exceptions import Conflict, NotFound, ValidationFailed
from portal.models import (
    CredentialStatus,
    IssuedCredential,
    LeaderDesignation,
    Person,
    Unit,
    UnitKind,
)
from portal.models.base import DBSession
from portal.services.audit import record_event
from portal.services.hr_talent import (
    EXPIRY_WINDOW_DAYS,
    AchievementIndex,
    AnySelect,
    expiry_state,
    month_starts,
)

CANDIDATES_SHOWN = 3

#: Why a designation ended when its leader moved (shown in the section's history).
TRANSFER_REASON = "異動により終了（課を離れたため）"

STATUS_VACANT = "vacant"
STATUS_EXPIRING = "expiring"
STATUS_COVERED = "covered"
STATUSES = (STATUS_VACANT, STATUS_EXPIRING, STATUS_COVERED)


@dataclass(frozen=True)
class Leader:
    designation_id: int
    person_id: int
    uuid: str
    name: str
    since: datetime
    #: False when the person has since moved to another section or organisation.
    in_section: bool
    cert_valid_until: datetime | None
    #: 'ok' / 'expiring' / 'expired' / 'none' (no active Level 1 certification)
    cert_state: str


@dataclass(frozen=True)
class Candidate:
    person_id: int
    uuid: str
    name: str


@dataclass(frozen=True)
class SectionCoverage:
    section_id: int
    section_name: str
    department_id: int
    department_name: str
    staff_count: int
    leader: Leader | None
    candidate_count: int
    candidates: tuple[Candidate, ...]

    @property
    def status(self) -> str:
        """vacant (no leader); expiring: the leader needs attention (certification expired,
        expiring or missing, or moved to another section); else covered."""
        if self.leader is None:
            return STATUS_VACANT
        if self.leader.cert_state != "ok" or not self.leader.in_section:
            return STATUS_EXPIRING
        return STATUS_COVERED


@dataclass(frozen=True)
class CoverageReport:
    rows: list[SectionCoverage] = field(default_factory=list)

    @property
    def sections(self) -> int:
        return len(self.rows)

    @property
    def covered(self) -> int:
        return sum(1 for r in self.rows if r.leader is not None)

    @property
    def vacant(self) -> int:
        return self.sections - self.covered

    @property
    def attention(self) -> int:
        return sum(1 for r in self.rows if r.status == STATUS_EXPIRING)

    @property
    def vacant_with_candidates(self) -> int:
        return sum(1 for r in self.rows if r.leader is None and r.candidate_count)

    @property
    def percent(self) -> float:
        return round(100.0 * self.covered / self.sections, 1) if self.sections else 0.0

    def filtered(
        self, *, department_id: int | None = None, status: str | None = None
    ) -> list[SectionCoverage]:
        return [
            r
            for r in self.rows
            if (department_id is None or r.department_id == department_id)
            and (status not in STATUSES or r.status == status)
        ]


def _l1_cert_expiry(
    session: DBSession, index: AchievementIndex, people: AnySelect
) -> dict[int, datetime | None]:
    """Latest expiry of the active Level 1 (or higher) certification of each of `people`
    (None: no expiry); people without one are absent."""
    ids = index.cert_ids("L1") + index.cert_ids("L2")
    if not ids:
        return {}
    out: dict[int, datetime | None] = {}
    for person_id, valid_until in session.execute(
        select(IssuedCredential.person_id, IssuedCredential.valid_until).where(
            IssuedCredential.person_id.in_(people),
            IssuedCredential.status == CredentialStatus.ACTIVE,
            IssuedCredential.achievement_id.in_(ids),
        )
    ):
        current = out.get(person_id, valid_until)
        out[person_id] = (
            None if valid_until is None or current is None else max(current, valid_until)
        )
    return out


def _leader(row: Any, cert: dict[int, datetime | None], now: datetime) -> Leader:
    person_id = row.person_id
    has_cert = person_id in cert
    valid_until = cert.get(person_id)
    return Leader(
        designation_id=row.id,
        person_id=person_id,
        uuid=row.uuid,
        name=row.name,
        since=row.started_at,
        in_section=row.current_section_id == row.section_id,
        cert_valid_until=valid_until,
        cert_state=expiry_state(valid_until, now) if has_cert else "none",
    )


def coverage_report(
    session: DBSession,
    organisation_id: int,
    index: AchievementIndex,
    *,
    now: datetime,
    section_ids: Sequence[int] | None = None,
) -> CoverageReport:
    """Coverage of the organisation's active sections (or of `section_ids` only)."""
    department = (
        select(Unit.id, Unit.name, Unit.position)
        .where(Unit.organisation_id == organisation_id, Unit.kind == UnitKind.DEPARTMENT)
        .subquery()
    )
    section_query = (
        select(
            Unit.id,
            Unit.name,
            Unit.parent_id,
            department.c.name.label("department_name"),
        )
        .join(department, department.c.id == Unit.parent_id)
        .where(
            Unit.organisation_id == organisation_id,
            Unit.kind == UnitKind.SECTION,
            Unit.is_active.is_(True),
        )
        .order_by(department.c.position, department.c.name, Unit.position, Unit.name)
    )
    if section_ids is not None:
        section_query = section_query.where(Unit.id.in_(list(section_ids)))
    sections = session.execute(section_query).all()
    if not sections:
        return CoverageReport()
    in_sections = (
        Person.section_id.is_not(None)
        if section_ids is None
        else Person.section_id.in_(list(section_ids))
    )
    staff = dict(
        session.execute(
            select(Person.section_id, func.count(Person.id))
            .where(Person.organisation_id == organisation_id, in_sections)
            .group_by(Person.section_id)
        ).all()
    )
    candidates: dict[int, list[Candidate]] = {}
    l1_path = index.path_level_ids("L1")
    if l1_path:
        for c in session.execute(
            select(Person.section_id, Person.id, Person.uuid, Person.name)
            .where(
                Person.organisation_id == organisation_id,
                in_sections,
                Person.id.in_(
                    select(IssuedCredential.person_id).where(
                        IssuedCredential.status == CredentialStatus.ACTIVE,
                        IssuedCredential.achievement_id.in_(l1_path),
                    )
                ),
            )
            .order_by(Person.name_kana, Person.id)
        ):
            candidates.setdefault(c.section_id, []).append(Candidate(c.id, c.uuid, c.name))
    open_here = [
        LeaderDesignation.ended_at.is_(None),
        LeaderDesignation.section_id.in_(
            select(Unit.id).where(Unit.organisation_id == organisation_id)
            if section_ids is None
            else list(section_ids)
        ),
    ]
    designations = session.execute(
        select(
            LeaderDesignation.id,
            LeaderDesignation.section_id,
            LeaderDesignation.person_id,
            LeaderDesignation.started_at,
            Person.uuid,
            Person.name,
            Person.section_id.label("current_section_id"),
        )
        .join(Person, Person.id == LeaderDesignation.person_id)
        .where(*open_here)
    ).all()
    cert = _l1_cert_expiry(session, index, select(LeaderDesignation.person_id).where(*open_here))
    leaders = {d.section_id: _leader(d, cert, now) for d in designations}
    rows = []
    for s in sections:
        found = candidates.get(s.id, [])
        rows.append(
            SectionCoverage(
                section_id=s.id,
                section_name=s.name,
                department_id=s.parent_id,
                department_name=s.department_name,
                staff_count=staff.get(s.id, 0),
                leader=leaders.get(s.id),
                candidate_count=len(found),
                candidates=tuple(found[:CANDIDATES_SHOWN]),
            )
        )
    return CoverageReport(rows)


# One section -------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    person_uuid: str
    person_name: str
    started_at: datetime
    ended_at: datetime | None
    note: str | None


@dataclass(frozen=True)
class StaffChoice:
    person_id: int
    uuid: str
    name: str
    staff_number: str
    is_candidate: bool


def get_section(session: DBSession, section_id: int, organisation_id: int) -> Unit:
    """:raises NotFound: not an active section of this organisation."""
    unit = session.get(Unit, section_id)
    if (
        unit is None
        or unit.organisation_id != organisation_id
        or unit.kind != UnitKind.SECTION
        or not unit.is_active
    ):
        raise NotFound("unit_not_found")
    return unit


def section_history(session: DBSession, section_id: int) -> list[HistoryEntry]:
    """Designations of a section, newest first."""
    return [
        HistoryEntry(r.uuid, r.name, r.started_at, r.ended_at, r.note)
        for r in session.execute(
            select(
                Person.uuid,
                Person.name,
                LeaderDesignation.started_at,
                LeaderDesignation.ended_at,
                LeaderDesignation.note,
            )
            .join(Person, Person.id == LeaderDesignation.person_id)
            .where(LeaderDesignation.section_id == section_id)
            .order_by(LeaderDesignation.started_at.desc(), LeaderDesignation.id.desc())
        )
    ]


def section_staff(session: DBSession, section: Unit, index: AchievementIndex) -> list[StaffChoice]:
    """The section's staff, Level 1 path badge holders first."""
    l1_path = index.path_level_ids("L1")
    holders = (
        set(
            session.scalars(
                select(IssuedCredential.person_id).where(
                    IssuedCredential.status == CredentialStatus.ACTIVE,
                    IssuedCredential.achievement_id.in_(l1_path),
                    IssuedCredential.person_id.in_(
                        select(Person.id).where(Person.section_id == section.id)
                    ),
                )
            )
        )
        if l1_path
        else set()
    )
    people = session.execute(
        select(Person.id, Person.uuid, Person.name, Person.staff_number)
        .where(Person.section_id == section.id, Person.organisation_id == section.organisation_id)
        .order_by(Person.name_kana, Person.staff_number)
    ).all()
    choices = [StaffChoice(p.id, p.uuid, p.name, p.staff_number, p.id in holders) for p in people]
    return sorted(choices, key=lambda c: not c.is_candidate)


def _open_designation(session: DBSession, section: Unit) -> LeaderDesignation | None:
    return session.scalar(
        select(LeaderDesignation)
        .where(LeaderDesignation.section_id == section.id, LeaderDesignation.ended_at.is_(None))
        .with_for_update()
    )


def _lock_section(session: DBSession, section: Unit) -> None:
    # Serialises designations of one section on PostgreSQL (SQLite has one writer anyway).
    session.execute(select(Unit.id).where(Unit.id == section.id).with_for_update())


def designate_leader(
    session: DBSession,
    section: Unit,
    person: Person,
    *,
    actor: Person | None,
    now: datetime,
    note: str | None = None,
) -> LeaderDesignation:
    """Make `person` the section's leader, ending the current designation (one transaction).

    :raises NotFound: the person is not in the section's organisation.
    :raises ValidationFailed: the person is not in this section, or the section is inactive.
    :raises Conflict: someone else changed the leader at the same moment.
    """
    if person.organisation_id != section.organisation_id:
        raise NotFound("person_not_found")
    if not section.is_active or section.kind != UnitKind.SECTION:
        raise ValidationFailed("section_inactive")
    if person.section_id != section.id:
        raise ValidationFailed("leader_not_in_section", field_errors={"person": ["not_in_section"]})
    _lock_section(session, section)
    current = _open_designation(session, section)
    if current is not None and current.person_id == person.id:
        return current
    previous_person_id = None
    if current is not None:
        current.ended_at = now
        previous_person_id = current.person_id
    designation = LeaderDesignation(
        section_id=section.id,
        person_id=person.id,
        started_at=now,
        designated_by_id=actor.id if actor else None,
        note=(note or "").strip() or None,
    )
    session.add(designation)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("leader_changed_concurrently") from exc
    previous_uuid = (
        session.scalar(select(Person.uuid).where(Person.id == previous_person_id))
        if previous_person_id
        else None
    )
    record_event(
        session,
        action="leader.designated" if current is None else "leader.replaced",
        subject_type="unit",
        subject_id=section.id,
        actor=actor,
        organisation_id=section.organisation_id,
        reason=designation.note,
        data={"person": person.uuid, "previous": previous_uuid, "designation_id": designation.id},
        now=now,
    )
    return designation


def end_leader(
    session: DBSession,
    section: Unit,
    *,
    actor: Person | None,
    now: datetime,
    note: str | None = None,
) -> LeaderDesignation:
    """End the section's current designation without a successor.

    :raises NotFound: the section has no leader.
    """
    _lock_section(session, section)
    current = _open_designation(session, section)
    if current is None:
        raise NotFound("no_leader")
    current.ended_at = now
    person_uuid = session.scalar(select(Person.uuid).where(Person.id == current.person_id))
    record_event(
        session,
        action="leader.ended",
        subject_type="unit",
        subject_id=section.id,
        actor=actor,
        organisation_id=section.organisation_id,
        reason=(note or "").strip() or None,
        data={"person": person_uuid, "designation_id": current.id},
        now=now,
    )
    session.flush()
    return current


def end_designations_on_transfer(
    session: DBSession,
    person: Person,
    *,
    keep_section_id: int | None,
    actor: Person | None,
    now: datetime,
) -> list[LeaderDesignation]:
    """End `person`'s open designations in sections other than `keep_section_id` (a
    transfer: a leader leads only the section they work in). Each ending is audited
    like :func:`end_leader`, with the transfer as its reason; the sections show as vacant.
    """
    open_ones = session.scalars(
        select(LeaderDesignation)
        .where(
            LeaderDesignation.person_id == person.id,
            LeaderDesignation.ended_at.is_(None),
            LeaderDesignation.section_id != (keep_section_id or 0),
        )
        .order_by(LeaderDesignation.id)
        .with_for_update()
    ).all()
    for designation in open_ones:
        designation.ended_at = now
        section_org = session.scalar(
            select(Unit.organisation_id).where(Unit.id == designation.section_id)
        )
        record_event(
            session,
            action="leader.ended",
            subject_type="unit",
            subject_id=designation.section_id,
            actor=actor,
            organisation_id=section_org,
            reason=TRANSFER_REASON,
            data={"person": person.uuid, "designation_id": designation.id, "cause": "transfer"},
            now=now,
        )
    return list(open_ones)


def person_designations(
    session: DBSession, person_id: int
) -> list[tuple[str, str, datetime, datetime | None]]:
    """(department, section, started, ended) of a person's designations, newest first."""
    department = select(Unit.id, Unit.name).subquery()
    return [
        (r.department_name or "", r.name, r.started_at, r.ended_at)
        for r in session.execute(
            select(
                Unit.name,
                department.c.name.label("department_name"),
                LeaderDesignation.started_at,
                LeaderDesignation.ended_at,
            )
            .join(Unit, Unit.id == LeaderDesignation.section_id)
            .outerjoin(department, department.c.id == Unit.parent_id)
            .where(LeaderDesignation.person_id == person_id)
            .order_by(LeaderDesignation.started_at.desc())
        )
    ]


# Over time ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CoveragePoint:
    month: date
    covered: int
    sections: int

    @property
    def percent(self) -> float:
        return round(100.0 * self.covered / self.sections, 1) if self.sections else 0.0


def coverage_history(
    session: DBSession, organisation_id: int, *, now: datetime, tz: tzinfo, months: int = 12
) -> list[CoveragePoint]:
    """Coverage at the end of each of the last `months` months (the current month: now).

    Derived from the designation history against today's active sections (merged
    sections' designations have moved with them), counting a section from its creation.
    """
    current = select(Unit.id).where(
        Unit.organisation_id == organisation_id,
        Unit.kind == UnitKind.SECTION,
        Unit.is_active.is_(True),
    )
    floor = datetime.min.replace(tzinfo=UTC)
    created = {
        r.id: r.created_at or floor
        for r in session.execute(select(Unit.id, Unit.created_at).where(Unit.id.in_(current)))
    }
    designations = session.execute(
        select(
            LeaderDesignation.section_id,
            LeaderDesignation.started_at,
            LeaderDesignation.ended_at,
        ).where(LeaderDesignation.section_id.in_(current))
    ).all()
    starts = month_starts(now, months, tz)
    moments = []
    for start in starts:
        next_month = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        end_of_month = datetime.combine(next_month, time(), tzinfo=tz) - timedelta(microseconds=1)
        moments.append(min(now, end_of_month))
    # A designation covers its section at the moments in [started_at, ended_at).
    covered: list[set[int]] = [set() for _ in moments]
    for d in designations:
        first = bisect_left(moments, d.started_at)
        last = len(moments) if d.ended_at is None else bisect_left(moments, d.ended_at)
        for i in range(first, last):
            covered[i].add(d.section_id)
    creation_times = sorted(created.values())
    points = []
    for start, moment, sections in zip(starts, moments, covered, strict=True):
        existing = bisect_right(creation_times, moment)
        in_time = sum(1 for sid in sections if created[sid] <= moment)
        points.append(CoveragePoint(start, in_time, existing))
    return points


@dataclass(frozen=True)
class CoverageSummary:
    sections: int
    covered: int
    vacant_with_candidates: int
    attention: int

    @property
    def vacant(self) -> int:
        return self.sections - self.covered

    @property
    def percent(self) -> float:
        return round(100.0 * self.covered / self.sections, 1) if self.sections else 0.0


def coverage_summary(
    session: DBSession, organisation_id: int, index: AchievementIndex, *, now: datetime
) -> CoverageSummary:
    """The headline figures of `coverage_report`, in one statement (for the dashboard)."""
    section = aliased(Unit)
    active = (
        (section.organisation_id == organisation_id)
        & (section.kind == UnitKind.SECTION)
        & section.is_active.is_(True)
    )
    open_here = (
        select(LeaderDesignation.id)
        .join(section, section.id == LeaderDesignation.section_id)
        .where(active, LeaderDesignation.ended_at.is_(None))
    )
    has_leader = (
        select(LeaderDesignation.id)
        .where(LeaderDesignation.section_id == section.id, LeaderDesignation.ended_at.is_(None))
        .exists()
    )
    has_candidate = (
        select(Person.id)
        .join(IssuedCredential, IssuedCredential.person_id == Person.id)
        .where(
            Person.section_id == section.id,
            IssuedCredential.status == CredentialStatus.ACTIVE,
            IssuedCredential.achievement_id.in_(index.path_level_ids("L1")),
        )
        .exists()
    )
    soon = now + timedelta(days=EXPIRY_WINDOW_DAYS)
    certified_for_a_while = (
        select(IssuedCredential.id)
        .where(
            IssuedCredential.person_id == LeaderDesignation.person_id,
            IssuedCredential.status == CredentialStatus.ACTIVE,
            IssuedCredential.achievement_id.in_(index.cert_ids("L1") + index.cert_ids("L2")),
            or_(IssuedCredential.valid_until.is_(None), IssuedCredential.valid_until >= soon),
        )
        .exists()
    )
    leader = aliased(Person)
    row = session.execute(
        select(
            select(func.count(section.id)).where(active).scalar_subquery(),
            select(func.count()).select_from(open_here.subquery()).scalar_subquery(),
            select(func.count(section.id))
            .where(active, ~has_leader, has_candidate)
            .scalar_subquery(),
            select(func.count(LeaderDesignation.id))
            .join(section, section.id == LeaderDesignation.section_id)
            .join(leader, leader.id == LeaderDesignation.person_id)
            .where(
                active,
                LeaderDesignation.ended_at.is_(None),
                or_(
                    leader.section_id.is_(None),
                    leader.section_id != LeaderDesignation.section_id,
                    ~certified_for_a_while,
                ),
            )
            .scalar_subquery(),
        )
    ).one()
    return CoverageSummary(*(int(v or 0) for v in row))
