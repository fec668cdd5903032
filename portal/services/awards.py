"""Awards (表彰): candidates proposed by an organisation's rules, and awards HR marks as given.

Rules live in the `award_rules` table, one set per organisation, so that each HR office
keeps its own. Two kinds exist (see `AwardRuleKind`):

* level_in_year: first certified at a level (not a renewal) within the fiscal year;
  at most one award per person, rule and fiscal year.
* tiers_completed: holds active path badges of all the listed tiers; once per person
  and rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from portal.exceptions import NotFound, ValidationFailed
from portal.models import (
    Award,
    AwardRule,
    AwardRuleKind,
    CredentialStatus,
    IssuedCredential,
    Organisation,
    Person,
    Unit,
)
from portal.models.base import DBSession
from portal.services.audit import record_event
from portal.services.hr_talent import (
    LEVELS,
    TIERS,
    AchievementIndex,
    AnySelect,
    fiscal_year_bounds,
)

MANUAL = "manual"


@dataclass(frozen=True)
class RuleSpec:
    name: str
    kind: AwardRuleKind
    level_code: str | None = None
    tier_codes: tuple[str, ...] = ()


#: Offered to an organisation that has no rules yet (HR adds them with one click).
DEFAULT_RULES = (
    RuleSpec("レベル2認定（年度内）", AwardRuleKind.LEVEL_IN_YEAR, level_code="L2"),
    RuleSpec("T3・T4 修了", AwardRuleKind.TIERS_COMPLETED, tier_codes=("T3", "T4")),
)


@dataclass(frozen=True)
class Candidate:
    person_id: int
    uuid: str
    staff_number: str
    name: str
    department: str | None
    section: str | None
    #: When the person met the rule (the credential's issue time).
    since: datetime | None


@dataclass(frozen=True)
class GivenAward:
    id: int
    uuid: str
    name: str
    title: str
    awarded_on: date
    note: str | None


def list_rules(session: DBSession, organisation_id: int) -> list[AwardRule]:
    return list(
        session.scalars(
            select(AwardRule)
            .where(AwardRule.organisation_id == organisation_id)
            .order_by(AwardRule.is_active.desc(), AwardRule.id)
        )
    )


def get_rule(session: DBSession, rule_id: int, organisation_id: int) -> AwardRule:
    """:raises NotFound: no such rule in this organisation."""
    rule = session.get(AwardRule, rule_id)
    if rule is None or rule.organisation_id != organisation_id:
        raise NotFound("award_rule_not_found")
    return rule


def add_rule(
    session: DBSession,
    organisation: Organisation,
    spec: RuleSpec,
    *,
    actor: Person | None,
    now: datetime,
) -> AwardRule:
    """:raises ValidationFailed: a level rule without a level, or a tier rule without tiers."""
    name = " ".join(spec.name.split())[:200]
    if not name:
        raise ValidationFailed("award_rule_name_required", field_errors={"name": ["required"]})
    tiers = [t for t in TIERS if t in spec.tier_codes]
    if spec.kind == AwardRuleKind.LEVEL_IN_YEAR and spec.level_code not in LEVELS:
        raise ValidationFailed("award_rule_needs_level", field_errors={"level_code": ["required"]})
    if spec.kind == AwardRuleKind.TIERS_COMPLETED and not tiers:
        raise ValidationFailed("award_rule_needs_tiers", field_errors={"tier_codes": ["required"]})
    rule = AwardRule(
        organisation_id=organisation.id,
        name=name,
        kind=spec.kind,
        level_code=spec.level_code if spec.kind == AwardRuleKind.LEVEL_IN_YEAR else None,
        tier_codes=tiers if spec.kind == AwardRuleKind.TIERS_COMPLETED else [],
        created_at=now,
        created_by_id=actor.id if actor else None,
    )
    session.add(rule)
    session.flush()
    record_event(
        session,
        action="award_rule.created",
        subject_type="award_rule",
        subject_id=rule.id,
        actor=actor,
        organisation_id=organisation.id,
        data={"name": name, "kind": spec.kind.value, "level": rule.level_code, "tiers": tiers},
        now=now,
    )
    return rule


def set_rule_active(
    session: DBSession, rule: AwardRule, active: bool, *, actor: Person | None, now: datetime
) -> AwardRule:
    if rule.is_active != active:
        rule.is_active = active
        record_event(
            session,
            action="award_rule.activated" if active else "award_rule.deactivated",
            subject_type="award_rule",
            subject_id=rule.id,
            actor=actor,
            organisation_id=rule.organisation_id,
            now=now,
        )
        session.flush()
    return rule


def _candidate_query(
    rule: AwardRule, index: AchievementIndex, year: int, tz: tzinfo
) -> tuple[AnySelect, AnySelect]:
    """(person id, since) of the people who meet `rule` and have no award under it yet."""
    already = select(Award.person_id).where(Award.rule_id == rule.id)
    if rule.kind == AwardRuleKind.LEVEL_IN_YEAR:
        start, end = fiscal_year_bounds(year, tz)
        already = already.where(Award.awarded_on >= start.date(), Award.awarded_on < end.date())
        met = (
            select(
                IssuedCredential.person_id.label("person_id"),
                func.min(IssuedCredential.issued_at).label("since"),
            )
            .where(
                IssuedCredential.achievement_id.in_(index.cert_ids(rule.level_code)),
                IssuedCredential.status != CredentialStatus.REVOKED,
                IssuedCredential.replaces_id.is_(None),
                IssuedCredential.issued_at >= start,
                IssuedCredential.issued_at < end,
            )
            .group_by(IssuedCredential.person_id)
        )
    else:
        wanted = [t for t in TIERS if t in (rule.tier_codes or [])]
        tier_case = [(IssuedCredential.achievement_id.in_(index.tier_ids(t)), t) for t in wanted]
        tier = case(*tier_case, else_=None) if tier_case else None
        met = (
            select(
                IssuedCredential.person_id.label("person_id"),
                func.max(IssuedCredential.issued_at).label("since"),
            )
            .where(
                IssuedCredential.status == CredentialStatus.ACTIVE,
                IssuedCredential.achievement_id.in_([a for t in wanted for a in index.tier_ids(t)]),
            )
            .group_by(IssuedCredential.person_id)
            .having(func.count(func.distinct(tier)) == len(wanted))
        )
    return met, already


def list_candidates(
    session: DBSession,
    organisation_id: int,
    rule: AwardRule,
    index: AchievementIndex,
    *,
    year: int,
    tz: tzinfo,
    limit: int | None = None,
) -> list[Candidate]:
    """People of the organisation who meet `rule` in fiscal `year` and were not yet awarded."""
    met_query, already = _candidate_query(rule, index, year, tz)
    met = met_query.subquery()
    section = aliased(Unit, name="section")
    department = aliased(Unit, name="department")
    query = (
        select(
            Person.id,
            Person.uuid,
            Person.staff_number,
            Person.name,
            section.name.label("section_name"),
            department.name.label("department_name"),
            met.c.since,
        )
        .join(met, met.c.person_id == Person.id)
        .outerjoin(section, section.id == Person.section_id)
        .outerjoin(department, department.id == section.parent_id)
        .where(Person.organisation_id == organisation_id, Person.id.not_in(already))
        .order_by(met.c.since, Person.staff_number)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        Candidate(r.id, r.uuid, r.staff_number, r.name, r.department_name, r.section_name, r.since)
        for r in session.execute(query)
    ]


def give_awards(
    session: DBSession,
    organisation: Organisation,
    rule: AwardRule,
    person_uuids: list[str],
    index: AchievementIndex,
    *,
    awarded_on: date,
    year: int,
    tz: tzinfo,
    actor: Person | None,
    now: datetime,
    note: str | None = None,
) -> list[Award]:
    """Record the rule's award for the given candidates (others are refused).

    :raises NotFound: a person is not in this organisation.
    :raises ValidationFailed: a person is not (or no longer) a candidate of the rule.
    """
    people = {
        p.uuid: p
        for p in session.execute(
            select(Person.id, Person.uuid, Person.organisation_id).where(
                Person.uuid.in_(person_uuids)
            )
        )
    }
    if any(
        people.get(u) is None or people[u].organisation_id != organisation.id for u in person_uuids
    ):
        raise NotFound("person_not_found")
    candidates = {
        c.uuid for c in list_candidates(session, organisation.id, rule, index, year=year, tz=tz)
    }
    if any(u not in candidates for u in person_uuids):
        raise ValidationFailed("not_a_candidate")
    awards = []
    for uuid in dict.fromkeys(person_uuids):
        award = Award(
            person_id=people[uuid].id,
            organisation_id=organisation.id,
            kind=rule.kind.value,
            title=rule.name,
            awarded_on=awarded_on,
            note=(note or "").strip() or None,
            recorded_by_id=actor.id if actor else None,
            created_at=now,
            rule_id=rule.id,
        )
        session.add(award)
        awards.append(award)
    session.flush()
    for award, uuid in zip(awards, dict.fromkeys(person_uuids), strict=True):
        record_event(
            session,
            action="award.given",
            subject_type="person",
            subject_id=uuid,
            actor=actor,
            organisation_id=organisation.id,
            data={"award_id": award.id, "rule_id": rule.id, "title": rule.name},
            now=now,
        )
    return awards


def record_award(
    session: DBSession,
    person: Person,
    *,
    title: str,
    awarded_on: date,
    note: str | None,
    actor: Person | None,
    now: datetime,
) -> Award:
    """Record an award given outside the rules.

    :raises ValidationFailed: no title.
    """
    title = " ".join(title.split())[:200]
    if not title:
        raise ValidationFailed("award_title_required", field_errors={"title": ["required"]})
    award = Award(
        person_id=person.id,
        organisation_id=person.organisation_id,
        kind=MANUAL,
        title=title,
        awarded_on=awarded_on,
        note=(note or "").strip() or None,
        recorded_by_id=actor.id if actor else None,
        created_at=now,
    )
    session.add(award)
    session.flush()
    record_event(
        session,
        action="award.given",
        subject_type="person",
        subject_id=person.uuid,
        actor=actor,
        organisation_id=person.organisation_id,
        data={"award_id": award.id, "title": title},
        now=now,
    )
    return award


def list_given(
    session: DBSession, organisation_id: int, *, year: int, tz: tzinfo
) -> list[GivenAward]:
    """Awards given by the organisation in fiscal `year`, newest first."""
    start, end = fiscal_year_bounds(year, tz)
    return [
        GivenAward(r.id, r.uuid, r.name, r.title, r.awarded_on, r.note)
        for r in session.execute(
            select(Award.id, Person.uuid, Person.name, Award.title, Award.awarded_on, Award.note)
            .join(Person, Person.id == Award.person_id)
            .where(
                Award.organisation_id == organisation_id,
                Award.awarded_on >= start.date(),
                Award.awarded_on < end.date(),
            )
            .order_by(Award.awarded_on.desc(), Award.id.desc())
        )
    ]


def person_awards(session: DBSession, person_id: int) -> list[Award]:
    return list(
        session.scalars(
            select(Award)
            .where(Award.person_id == person_id)
            .order_by(Award.awarded_on.desc(), Award.id.desc())
        )
    )
