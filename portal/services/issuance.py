"""Issuing, renewing, revoking and reissuing Open Badges 3.0 credentials.

Every credential is built and signed by `badges/`; this module decides *who* gets *what*
from *whom*, and stores it:

* **Path badges** (``Achievement.issuance == "path-completion"``) are issued by the
  operating organisation (北海道, ``OPERATOR_ORG_SLUG``): automatically when a path is
  completed (:func:`issue_for_completion`, registered as the learning service's
  completion hook), or by hand for offline training events (:func:`award`,
  :func:`plan_awards` + :func:`issue_planned`).
* **Level certifications** (``"hr-approval"``) are issued by the person's own
  organisation, with ``parentOrg`` 北海道, when HR of that organisation approves
  someone holding the required path badge (:func:`certify`). They expire after
  ``CERTIFICATION_VALID_YEARS``; :func:`renew` issues a new credential that references
  the old one, which becomes SUPERSEDED.
* **Revocation** (:func:`revoke`) is a state with a reason; nothing is deleted, and the
  same achievement can be awarded again later as a new credential.

At most one ACTIVE credential per (person, achievement) is guaranteed by the partial
unique index ``uq_issued_credentials_one_active``. Every issue, renewal and revocation
writes a `CredentialEvent` and an audit event (organisation = the holder's, so their HR
can read it). Services flush and never commit.
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid as uuid_module
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import joinedload, raiseload, selectinload

import badges
from portal.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal.models import (
    Achievement,
    AlignmentTarget,
    AuditEvent,
    CredentialEvent,
    CredentialStatus,
    Email,
    Enrolment,
    EnrolmentStatus,
    IssuedCredential,
    LearningPath,
    Organisation,
    PathCompletion,
    PathStep,
    Person,
    RecordState,
    StepKind,
    StepRecord,
    StepRecordVersion,
)
from portal.models.base import DBSession
from portal.services import status_lists
from portal.services.audit import record_event
from portal.services.keys import ActiveKey

log = logging.getLogger(__name__)

PATH_COMPLETION = "path-completion"
HR_APPROVAL = "hr-approval"
#: Evidence narratives longer than this are shortened in the credential (the full text
#: stays in the portal); it keeps tokens and baked images a sensible size.
MAX_NARRATIVE_CHARS = 1500
MAX_REASON_CHARS = 1000
DONE_STATES = (RecordState.DONE, RecordState.APPROVED)
#: Alignment ``targetType`` per framework slug (``ext:`` + name, as OB 3.0 allows).
TARGET_TYPES = {"tier": "ext:HokkaidoDigitalTalentTier", "level": "ext:HokkaidoStaffLevel"}


@dataclass(frozen=True)
class IssuanceSettings:
    """What issuance needs from the configuration (built by the web/CLI edge)."""

    #: https origin of every id (see `portal.services.keys.credential_base_url`).
    base_url: str
    operator_slug: str
    certification_years: int = 3


# Building blocks ------------------------------------------------------------------------


def issuer_id(settings: IssuanceSettings, org: Organisation) -> str:
    return f"{settings.base_url}/issuers/{org.slug}"


def achievement_id(settings: IssuanceSettings, achievement: Achievement) -> str:
    return f"{settings.base_url}/achievements/{achievement.slug}"


def credential_url(settings: IssuanceSettings, credential_uuid: str) -> str:
    return f"{settings.base_url}/credentials/{credential_uuid}"


def _https_or(url: str | None, fallback: str) -> str:
    return url if url and url.startswith("https://") else fallback


def issuer_profile(
    settings: IssuanceSettings, org: Organisation, operator: Organisation
) -> badges.IssuerProfile:
    """The issuer Profile of `org`; a municipality gets ``parentOrg`` = the operator."""
    own = issuer_id(settings, org)
    parent = None
    if org.id != operator.id:
        parent = issuer_profile(settings, operator, operator)
    return badges.IssuerProfile(
        id=own, name=org.name_ja, url=_https_or(org.official_url, own), parent=parent
    )


def _alignment(
    settings: IssuanceSettings, ref: str, target: AlignmentTarget | None
) -> badges.Alignment | None:
    framework, _, code = ref.partition(":")
    if target is None or not code:
        return None
    from portal.services.catalogue import alignment_target_url

    url = alignment_target_url(ref, settings.base_url) or settings.base_url
    kind = TARGET_TYPES.get(framework) or "ext:" + "".join(
        c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in framework
    )
    return badges.Alignment(
        target_name=target.name_ja,
        target_url=url,
        target_type=kind,
        target_framework=target.framework_name_ja,
        target_code=target.code,
        target_description=target.description_ja or None,
    )


def achievement_spec(
    settings: IssuanceSettings,
    achievement: Achievement,
    targets: dict[str, AlignmentTarget],
) -> badges.AchievementSpec:
    """The achievement as OB 3.0 builds it (ids on the portal origin)."""
    own = achievement_id(settings, achievement)
    alignments = tuple(
        a
        for a in (_alignment(settings, ref, targets.get(ref)) for ref in achievement.alignments)
        if a is not None
    )
    codes = [
        r.partition(":")[2] for r in achievement.alignments if r.startswith(("tier:", "level:"))
    ]
    return badges.AchievementSpec(
        id=own,
        name=achievement.name_ja,
        description=achievement.description_ja,
        criteria_narrative=achievement.criteria_ja,
        criteria_url=f"{own}#criteria",
        image=f"{settings.base_url}/images/achievements/{achievement.slug}.svg",
        image_caption=achievement.image_alt or None,
        achievement_type=achievement.achievement_type,
        alignments=alignments,
        human_code=codes[0] if codes and codes[0] != "ALL" else None,
    )


def load_targets(
    session: DBSession, achievements: Iterable[Achievement]
) -> dict[str, AlignmentTarget]:
    refs = sorted({r for a in achievements for r in (a.alignments or [])})
    if not refs:
        return {}
    rows = session.scalars(select(AlignmentTarget).where(AlignmentTarget.ref.in_(refs))).all()
    return {t.ref: t for t in rows}


def _shorten(text: str, limit: int = MAX_NARRATIVE_CHARS) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def get_operator(session: DBSession, settings: IssuanceSettings) -> Organisation:
    """:raises NotFound: ``operator_missing`` (run `flask orgs sync`)."""
    org = session.scalar(select(Organisation).where(Organisation.slug == settings.operator_slug))
    if org is None:
        raise NotFound("operator_missing", slug=settings.operator_slug)
    return org


def add_years(moment: datetime, years: int) -> datetime:
    """`moment` plus whole years (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def can_manage(actor: Person | None, organisation_id: int) -> bool:
    """Admin anywhere, HR in its own organisation; None is the CLI (an operator)."""
    if actor is None or actor.is_admin:
        return True
    return actor.is_hr and actor.organisation_id == organisation_id


# Issuing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """One credential to issue: who, what, by whom, with what evidence."""

    person: Person
    achievement: Achievement
    issuer_org: Organisation
    evidence: tuple[badges.EvidenceItem, ...] = ()
    valid_until: datetime | None = None
    completion_id: int | None = None
    replaces: IssuedCredential | None = None
    batch_key: str | None = None
    #: Preset credential uuid (evidence links that point at the credential need it).
    credential_uuid: str | None = None
    line: int | None = None
    #: The address hashed into the credential (default: the person's primary address).
    recipient_email: str | None = None


@dataclass
class _Context:
    settings: IssuanceSettings
    key: ActiveKey
    operator: Organisation
    targets: dict[str, AlignmentTarget] = field(default_factory=dict)
    specs: dict[int, badges.AchievementSpec] = field(default_factory=dict)
    profiles: dict[int, badges.IssuerProfile] = field(default_factory=dict)

    def spec(self, achievement: Achievement) -> badges.AchievementSpec:
        found = self.specs.get(achievement.id)
        if found is None:
            found = achievement_spec(self.settings, achievement, self.targets)
            self.specs[achievement.id] = found
        return found

    def profile(self, org: Organisation) -> badges.IssuerProfile:
        found = self.profiles.get(org.id)
        if found is None:
            found = issuer_profile(self.settings, org, self.operator)
            self.profiles[org.id] = found
        return found


def _recipient_email(person: Person) -> str:
    email = person.primary_email
    if not email:
        raise ValidationFailed("person_without_email", person=person.uuid)
    return email


@dataclass(frozen=True)
class _RowInput:
    """Everything one credential is built from, as plain values: read from the ORM in the
    session's thread, then built and signed in any thread."""

    credential_uuid: str
    issuer: badges.IssuerProfile
    achievement: badges.AchievementSpec
    person_uuid: str
    recipient_email: str
    evidence: tuple[badges.EvidenceItem, ...]
    valid_until: datetime | None
    previous_uuid: str | None
    columns: dict[str, Any]


def _row_input(ctx: _Context, item: Planned) -> _RowInput:
    return _RowInput(
        credential_uuid=item.credential_uuid or str(uuid_module.uuid4()),
        issuer=ctx.profile(item.issuer_org),
        achievement=ctx.spec(item.achievement),
        person_uuid=item.person.uuid,
        recipient_email=item.recipient_email or _recipient_email(item.person),
        evidence=item.evidence,
        valid_until=item.valid_until,
        previous_uuid=item.replaces.uuid if item.replaces is not None else None,
        columns={
            "person_id": item.person.id,
            "achievement_id": item.achievement.id,
            "issuer_org_id": item.issuer_org.id,
            "completion_id": item.completion_id,
            "replaces_id": item.replaces.id if item.replaces is not None else None,
            "batch_key": item.batch_key,
        },
    )


def _sign_row(
    base_url: str,
    key: ActiveKey,
    given: _RowInput,
    index: int,
    now: datetime,
    *,
    check_schema: bool = True,
) -> dict[str, Any]:
    """Build and sign one credential (no database access: safe in any thread); the column
    values of its IssuedCredential row."""
    credential = badges.build_credential(
        credential_id=given.credential_uuid,
        issuer=given.issuer,
        achievement=given.achievement,
        recipient=badges.Recipient.from_email(
            given.person_uuid, given.recipient_email, secrets.token_hex(16)
        ),
        valid_from=now,
        valid_until=given.valid_until,
        status=badges.RevocationListStatus(
            status_lists.revocation_list_url(base_url, status_lists.list_number(index))
        ),
        evidence=given.evidence,
        previous_credential_id=given.previous_uuid,
        awarded_date=now,
        check_schema=check_schema,
    )
    return {
        "uuid": given.credential_uuid,
        **given.columns,
        "signing_key_id": key.row_id,
        "status_list_index": index,
        "jws": badges.sign_credential(credential, key.signer),
        "credential": credential,
        "status": CredentialStatus.ACTIVE,
        "issued_at": now,
        "valid_until": given.valid_until.replace(microsecond=0) if given.valid_until else None,
    }


def _build_row(
    ctx: _Context, item: Planned, index: int, now: datetime, *, check_schema: bool = True
) -> dict[str, Any]:
    """Build and sign one credential; the column values of its IssuedCredential row."""
    return _sign_row(
        ctx.settings.base_url, ctx.key, _row_input(ctx, item), index, now, check_schema=check_schema
    )


#: Signing threads for many credentials at once (RSA signing releases the GIL).
SIGNING_THREADS = max(1, min(4, os.cpu_count() or 1))
#: Below this many credentials one thread signs them all.
PARALLEL_SIGNING_MIN = 32


def _sign_rows(
    ctx: _Context, items: Sequence[Planned], indexes: Sequence[int], now: datetime
) -> list[dict[str, Any]]:
    """Build and sign `items` in order, in several threads when there are many.

    The ORM is read here, in the caller's thread; the threads get plain values only. The
    strict schema check guards the builder, whose output has the same shape for every
    credential of one achievement: the first of each is checked, the rest built unchecked.
    """
    inputs = [_row_input(ctx, item) for item in items]
    checked: set[int] = set()
    checks = []
    for item in items:
        checks.append(item.achievement.id not in checked)
        checked.add(item.achievement.id)
    base_url, key = ctx.settings.base_url, ctx.key

    def sign(start: int, stop: int) -> list[dict[str, Any]]:
        return [
            _sign_row(base_url, key, inputs[i], indexes[i], now, check_schema=checks[i])
            for i in range(start, stop)
        ]

    threads = SIGNING_THREADS if len(items) >= PARALLEL_SIGNING_MIN else 1
    if threads == 1:
        return sign(0, len(items))
    bounds = [len(items) * n // threads for n in range(threads + 1)]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sign") as pool:
        parts = [pool.submit(sign, bounds[n], bounds[n + 1]) for n in range(threads)]
        return [row for part in parts for row in part.result()]


def _context(
    session: DBSession,
    settings: IssuanceSettings,
    key: ActiveKey,
    achievements: Iterable[Achievement],
) -> _Context:
    return _Context(
        settings=settings,
        key=key,
        operator=get_operator(session, settings),
        targets=load_targets(session, achievements),
    )


def issue_one(
    session: DBSession,
    settings: IssuanceSettings,
    key: ActiveKey,
    item: Planned,
    *,
    actor: Person | None,
    now: datetime,
    action: str = "credential.issued",
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> IssuedCredential:
    """Build, sign and store one credential, with its event and audit entry."""
    ctx = _context(session, settings, key, [item.achievement])
    index = status_lists.allocate_indexes(session, 1)[0]
    row = IssuedCredential(**_build_row(ctx, item, index, now))
    session.add(row)
    session.flush()
    kind = "renewed" if item.replaces is not None else "issued"
    session.add(
        CredentialEvent(
            credential_id=row.id,
            kind=kind,
            occurred_at=now,
            actor_id=actor.id if actor else None,
            reason=reason,
        )
    )
    record_event(
        session,
        action=action,
        subject_type="credential",
        subject_id=row.uuid,
        actor=actor,
        organisation_id=item.person.organisation_id,
        reason=reason,
        data={
            "person_id": item.person.id,
            "achievement": item.achievement.slug,
            "issuer": item.issuer_org.slug,
            "status_list_index": index,
            **(data or {}),
        },
        now=now,
    )
    session.flush()
    return row


def find_active(session: DBSession, person_id: int, achievement_id: int) -> IssuedCredential | None:
    return session.scalar(
        select(IssuedCredential).where(
            IssuedCredential.person_id == person_id,
            IssuedCredential.achievement_id == achievement_id,
            IssuedCredential.status == CredentialStatus.ACTIVE,
        )
    )


# Path completion (the learning service's hook) ------------------------------------------


def completion_evidence(
    session: DBSession, settings: IssuanceSettings, enrolment_id: int, credential_uuid: str
) -> tuple[badges.EvidenceItem, ...]:
    """One evidence entry per completed step: the step's title and the learner's reflection.

    An uploaded file is linked (``/credentials/<uuid>/evidence/<file>``) only when the
    learner chose to share it (`EvidenceFile.share_in_credential`); certificate URLs the
    learner typed are not published.
    """
    records = session.scalars(
        select(StepRecord)
        .where(StepRecord.enrolment_id == enrolment_id, StepRecord.state.in_(DONE_STATES))
        .options(selectinload(StepRecord.versions).joinedload(StepRecordVersion.evidence_file))
    ).all()
    steps = {
        s.id: s
        for s in session.scalars(
            select(PathStep)
            .where(PathStep.id.in_([r.step_id for r in records]))
            .options(joinedload(PathStep.course), joinedload(PathStep.exercise))
        ).unique()
    }
    items: list[badges.EvidenceItem] = []
    for record in sorted(records, key=lambda r: (steps[r.step_id].position, r.id)):
        step = steps[record.step_id]
        version = next((v for v in record.versions if v.version == record.current_version), None)
        if version is None and record.versions:
            version = record.versions[-1]
        is_exercise = step.kind == StepKind.EXERCISE
        title = (
            step.exercise.title
            if is_exercise and step.exercise
            else (step.course.title if step.course else step.key)
        )
        when = version.completed_on.isoformat() if version and version.completed_on else None
        reviewed = record.state == RecordState.APPROVED
        description = "、".join(
            p
            for p in (
                f"修了日 {when}" if when else None,
                "研修担当が確認・承認" if reviewed else "本人の申告",
            )
            if p
        )
        file = version.evidence_file if version else None
        link = (
            f"{credential_url(settings, credential_uuid)}/evidence/{file.uuid}"
            if file is not None and file.share_in_credential
            else None
        )
        narrative = _shorten(version.reflection) if version and version.reflection else None
        items.append(
            badges.EvidenceItem(
                id=link,
                name=title,
                description=description or None,
                narrative=narrative,
                genre="模擬演習" if is_exercise else "講座",
            )
        )
    return tuple(items)


def issue_for_completion(
    session: DBSession,
    settings: IssuanceSettings,
    key: ActiveKey,
    completion: PathCompletion,
    now: datetime,
) -> IssuedCredential | None:
    """Issue the path badge for a completion (runs inside the completion's savepoint).

    Returns None (and audits why) when the path's achievement is not a path badge or the
    person already holds it (e.g. awarded by hand at an offline event).
    """
    path = session.scalar(
        select(LearningPath)
        .where(LearningPath.id == completion.path_id)
        .options(joinedload(LearningPath.achievement))
    )
    if path is None:  # pragma: no cover - the foreign key guarantees it
        raise NotFound("path_not_found")
    achievement = path.achievement
    person = session.get(Person, completion.person_id)
    if person is None:  # pragma: no cover
        raise NotFound("person_not_found")
    skip = None
    if achievement.issuance != PATH_COMPLETION:
        skip = "not_path_badge"
    elif find_active(session, person.id, achievement.id) is not None:
        skip = "already_held"
    if skip is not None:
        record_event(
            session,
            action="credential.not_issued",
            subject_type="path_completion",
            subject_id=completion.id,
            organisation_id=person.organisation_id,
            reason=skip,
            data={"person_id": person.id, "achievement": achievement.slug},
            now=now,
        )
        return None
    enrolment = session.get(Enrolment, completion.enrolment_id)
    if enrolment is None or enrolment.status != EnrolmentStatus.COMPLETED:
        raise Conflict("enrolment_not_completed")
    cred_uuid = str(uuid_module.uuid4())
    item = Planned(
        person=person,
        achievement=achievement,
        issuer_org=get_operator(session, settings),
        evidence=completion_evidence(session, settings, completion.enrolment_id, cred_uuid),
        completion_id=completion.id,
        credential_uuid=cred_uuid,
    )
    return issue_one(
        session,
        settings,
        key,
        item,
        actor=None,
        now=now,
        data={"path": path.slug, "completion_id": completion.id},
    )


# Manual and bulk award -------------------------------------------------------------------


@dataclass(frozen=True)
class AwardRow:
    """One requested award (a form submission or a CSV line)."""

    email: str
    achievement_slug: str
    evidence_url: str | None = None
    narrative: str | None = None
    line: int | None = None


@dataclass
class AwardPlan:
    """Checked awards: what will be issued, and the per-line errors (codes + params)."""

    items: list[Planned] = field(default_factory=list)
    errors: list[tuple[int | None, str, dict[str, Any]]] = field(default_factory=list)
    #: Lines skipped because this batch already issued them (a rerun).
    already_done: list[int | None] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


#: CSV header names (English or Japanese) → AwardRow field.
AWARD_COLUMNS = {
    "email": "email",
    "メールアドレス": "email",
    "achievement": "achievement_slug",
    "badge": "achievement_slug",
    "バッジ": "achievement_slug",
    "evidence_url": "evidence_url",
    "証跡url": "evidence_url",
    "narrative": "narrative",
    "説明": "narrative",
}


def read_award_csv(
    raw: bytes, *, max_rows: int
) -> tuple[list[AwardRow], list[tuple[int | None, str, dict[str, Any]]]]:
    """Parse an award CSV (header: email, achievement[, evidence_url, narrative]).

    UTF-8 (with or without BOM) or Shift_JIS. Returns the rows (with their line numbers)
    and file-level errors (``bad_encoding``, ``missing_column``, ``no_rows``,
    ``too_many_rows``, ``malformed_csv``).
    """
    import csv
    import io

    from portal.services.staff_import import decode_csv

    decoded = decode_csv(raw)
    if decoded is None or "\x00" in decoded[0]:
        return [], [(None, "bad_encoding", {})]
    reader = csv.reader(io.StringIO(decoded[0], newline=""))
    try:
        header = next(reader)
        columns = [AWARD_COLUMNS.get(h.strip().lower()) for h in header]
        missing = [c for c in ("email", "achievement_slug") if c not in columns]
        if missing:
            return [], [(1, "missing_column", {"column": m}) for m in missing]
        rows: list[AwardRow] = []
        for line, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= max_rows:
                return [], [(None, "too_many_rows", {"limit": max_rows})]
            values = {c: v.strip() for c, v in zip(columns, record, strict=False) if c}
            rows.append(
                AwardRow(
                    email=values.get("email", ""),
                    achievement_slug=values.get("achievement_slug", ""),
                    evidence_url=values.get("evidence_url") or None,
                    narrative=values.get("narrative") or None,
                    line=line,
                )
            )
    except StopIteration:
        return [], [(None, "no_rows", {})]
    except csv.Error as exc:
        return [], [(reader.line_num, "malformed_csv", {"error": str(exc)[:200]})]
    if not rows:
        return [], [(None, "no_rows", {})]
    return rows, []


def _valid_evidence_url(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and len(url) <= 1000


def plan_awards(
    session: DBSession,
    rows: Sequence[AwardRow],
    *,
    actor: Person | None,
    batch_key: str | None = None,
    operator: Organisation,
) -> AwardPlan:
    """Check award rows in bulk (a few queries whatever the number of rows).

    Errors per line: ``unknown_email``, ``unknown_achievement``, ``not_awardable`` (a level
    certification: use :func:`certify`), ``out_of_scope`` (HR of another organisation),
    ``already_holds``, ``duplicate_line``, ``bad_evidence_url``. With `batch_key`, rows
    this batch already issued are listed in `already_done` instead (rerun after a crash).
    """
    plan = AwardPlan()
    emails = sorted({badges.normalise_email(r.email) for r in rows if r.email.strip()})
    people: dict[str, Person] = {}
    for start in range(0, len(emails), 500):
        chunk = emails[start : start + 500]
        for address, holder in session.execute(
            select(Email.address, Person)
            .join(Person, Person.id == Email.person_id)
            .where(Email.address.in_(chunk))
            # Only the columns: the address on the line is the one hashed into the credential.
            .options(raiseload(Person.emails), raiseload(Person.role_grants))
        ):
            people[address] = holder
    slugs = sorted({r.achievement_slug.strip() for r in rows})
    achievements = {
        a.slug: a for a in session.scalars(select(Achievement).where(Achievement.slug.in_(slugs)))
    }
    pairs = {
        (people[badges.normalise_email(r.email)].id, achievements[r.achievement_slug.strip()].id)
        for r in rows
        if badges.normalise_email(r.email) in people and r.achievement_slug.strip() in achievements
    }
    holders: dict[tuple[int, int], str | None] = {}
    pair_list = sorted(pairs)
    for start in range(0, len(pair_list), 500):
        pair_chunk = pair_list[start : start + 500]
        for pid, aid, bkey in session.execute(
            select(
                IssuedCredential.person_id,
                IssuedCredential.achievement_id,
                IssuedCredential.batch_key,
            ).where(
                IssuedCredential.status == CredentialStatus.ACTIVE,
                tuple_(IssuedCredential.person_id, IssuedCredential.achievement_id).in_(pair_chunk),
            )
        ):
            holders[(pid, aid)] = bkey
    seen: set[tuple[int, int]] = set()
    for row in rows:
        line = row.line
        found = people.get(badges.normalise_email(row.email))
        achievement = achievements.get(row.achievement_slug.strip())
        if found is None:
            plan.errors.append((line, "unknown_email", {"email": row.email[:254]}))
            continue
        if achievement is None:
            plan.errors.append((line, "unknown_achievement", {"slug": row.achievement_slug[:120]}))
            continue
        if achievement.issuance != PATH_COMPLETION:
            plan.errors.append((line, "not_awardable", {"slug": achievement.slug}))
            continue
        if not can_manage(actor, found.organisation_id):
            plan.errors.append((line, "out_of_scope", {"email": row.email[:254]}))
            continue
        pair = (found.id, achievement.id)
        if pair in seen:
            plan.errors.append((line, "duplicate_line", {"email": row.email[:254]}))
            continue
        seen.add(pair)
        if pair in holders:
            if batch_key is not None and holders[pair] == batch_key:
                plan.already_done.append(line)
            else:
                plan.errors.append(
                    (line, "already_holds", {"email": row.email[:254], "slug": achievement.slug})
                )
            continue
        url = (row.evidence_url or "").strip() or None
        if url is not None and not _valid_evidence_url(url):
            plan.errors.append((line, "bad_evidence_url", {"url": url[:200]}))
            continue
        narrative = (row.narrative or "").strip() or None
        evidence = (
            badges.EvidenceItem(
                id=url,
                name="研修・イベントへの参加",
                narrative=_shorten(narrative) if narrative else None,
                genre="研修",
            ),
        )
        plan.items.append(
            Planned(
                person=found,
                achievement=achievement,
                issuer_org=operator,
                evidence=evidence,
                batch_key=batch_key,
                line=line,
                recipient_email=badges.normalise_email(row.email),
            )
        )
    return plan


@dataclass(frozen=True)
class Signed:
    """Credentials built and signed for storing: their rows and audit entries (plain data,
    so that another thread or transaction may store them)."""

    rows: list[dict[str, Any]]
    audits: list[dict[str, Any]]


def sign_planned(
    session: DBSession,
    settings: IssuanceSettings,
    key: ActiveKey,
    items: Sequence[Planned],
    *,
    now: datetime,
) -> Signed:
    """Reserve status-list indexes for `items` (one statement) and build and sign them."""
    if not items:
        return Signed([], [])
    ctx = _context(
        session, settings, key, {i.achievement.id: i.achievement for i in items}.values()
    )
    indexes = status_lists.allocate_indexes(session, len(items))
    rows = _sign_rows(ctx, items, indexes, now)
    audits = [
        {
            "organisation_id": item.person.organisation_id,
            "data": {
                "person_id": item.person.id,
                "achievement": item.achievement.slug,
                "issuer": item.issuer_org.slug,
                "status_list_index": index,
                "batch_key": item.batch_key,
                "line": item.line,
            },
        }
        for item, index in zip(items, indexes, strict=True)
    ]
    return Signed(rows, audits)


def store_signed(
    session: DBSession,
    signed: Signed,
    *,
    actor_id: int | None,
    now: datetime,
    reason: str | None = None,
) -> list[tuple[int, str]]:
    """Store signed credentials with their events and audit rows: one statement per table.

    Returns ``(row id, uuid)`` in order.
    """
    if not signed.rows:
        return []
    # A plain executemany (pipelined on PostgreSQL) and one query for the new ids is cheaper
    # than INSERT … RETURNING for hundreds of rows (one huge statement to build and parse).
    credentials = IssuedCredential.__table__
    session.execute(credentials.insert(), signed.rows)
    new_ids = select(credentials.c.uuid, credentials.c.id).where(
        credentials.c.uuid.in_([row["uuid"] for row in signed.rows])
    )
    ids: dict[str, int] = {row.uuid: row.id for row in session.execute(new_ids)}
    inserted = [(ids[row["uuid"]], row["uuid"]) for row in signed.rows]
    session.execute(
        CredentialEvent.__table__.insert(),
        [
            {
                "credential_id": cid,
                "kind": "issued",
                "occurred_at": now,
                "actor_id": actor_id,
                "reason": reason,
            }
            for cid, _uuid in inserted
        ],
    )
    session.execute(
        AuditEvent.__table__.insert(),
        [
            {
                "occurred_at": now,
                "actor_id": actor_id,
                "organisation_id": audit["organisation_id"],
                "action": "credential.issued",
                "subject_type": "credential",
                "subject_id": row["uuid"],
                "reason": reason,
                "data": audit["data"],
                "ip_address": None,
            }
            for row, audit in zip(signed.rows, signed.audits, strict=True)
        ],
    )
    return inserted


def issue_planned(
    session: DBSession,
    settings: IssuanceSettings,
    key: ActiveKey,
    items: Sequence[Planned],
    *,
    actor: Person | None,
    now: datetime,
    reason: str | None = None,
) -> list[tuple[int, str]]:
    """Issue many credentials in the caller's transaction: sign, then store in bulk.

    Returns ``(row id, uuid)`` in order.
    """
    signed = sign_planned(session, settings, key, items, now=now)
    return store_signed(
        session, signed, actor_id=actor.id if actor is not None else None, now=now, reason=reason
    )


def award(
    session: DBSession,
    settings: IssuanceSettings,
    key: ActiveKey,
    row: AwardRow,
    *,
    actor: Person | None,
    now: datetime,
) -> IssuedCredential:
    """Award one path badge by hand (offline training event).

    :raises ValidationFailed: with the plan's error code (see :func:`plan_awards`).
    """
    plan = plan_awards(session, [row], actor=actor, operator=get_operator(session, settings))
    if plan.errors:
        _line, code, params = plan.errors[0]
        if code == "out_of_scope":
            raise PermissionDenied(code, **params)
        raise ValidationFailed(code, **params)
    item = plan.items[0]
    return issue_one(
        session, settings, key, item, actor=actor, now=now, action="credential.awarded"
    )


# Level certification -------------------------------------------------------------------


def _held_slugs(session: DBSession, person_id: int, now: datetime) -> set[str]:
    rows = session.execute(
        select(Achievement.slug, IssuedCredential.valid_until)
        .join(Achievement, Achievement.id == IssuedCredential.achievement_id)
        .where(
            IssuedCredential.person_id == person_id,
            IssuedCredential.status == CredentialStatus.ACTIVE,
        )
    ).all()
    return {slug for slug, until in rows if until is None or until > now}


def check_certifiable(
    session: DBSession,
    *,
    person: Person,
    achievement: Achievement,
    actor: Person | None,
    now: datetime,
) -> None:
    """:raises PermissionDenied: ``out_of_scope``. :raises ValidationFailed:
    ``not_certification``, ``missing_requirement`` (params: ``missing``)."""
    if not can_manage(actor, person.organisation_id):
        raise PermissionDenied("out_of_scope")
    if achievement.issuance != HR_APPROVAL:
        raise ValidationFailed("not_certification", slug=achievement.slug)
    missing = [
        s for s in achievement.requires or [] if s not in _held_slugs(session, person.id, now)
    ]
    if missing:
        raise ValidationFailed("missing_requirement", missing=missing)


def certify(
    session: DBSession,
    settings: IssuanceSettings,
    key: ActiveKey,
    *,
    person: Person,
    achievement: Achievement,
    actor: Person | None,
    now: datetime,
    note: str | None = None,
) -> IssuedCredential:
    """HR approves a Level 1/2 certification: issued by the person's own organisation.

    :raises Conflict: ``already_certified`` (renew instead). See :func:`check_certifiable`.
    """
    check_certifiable(session, person=person, achievement=achievement, actor=actor, now=now)
    if find_active(session, person.id, achievement.id) is not None:
        raise Conflict("already_certified")
    org = session.get(Organisation, person.organisation_id)
    assert org is not None
    item = Planned(
        person=person,
        achievement=achievement,
        issuer_org=org,
        evidence=_certification_evidence(actor, note),
        valid_until=add_years(now, settings.certification_years),
    )
    return issue_one(
        session,
        settings,
        key,
        item,
        actor=actor,
        now=now,
        action="credential.certified",
        reason=note,
    )


def _certification_evidence(
    actor: Person | None, note: str | None
) -> tuple[badges.EvidenceItem, ...]:
    narrative = _shorten(note) if note and note.strip() else None
    return (
        badges.EvidenceItem(
            name="人事担当による認定",
            description="所属組織の人事担当が、必要なラーニングパスの修了を確認して認定しました。",
            narrative=narrative,
            genre="認定",
        ),
    )


def renew(
    session: DBSession,
    settings: IssuanceSettings,
    key: ActiveKey,
    *,
    credential: IssuedCredential,
    actor: Person | None,
    now: datetime,
    note: str | None = None,
) -> IssuedCredential:
    """Renew a certification: a new credential referencing the old one (now SUPERSEDED).

    :raises Conflict: ``not_renewable`` (revoked, superseded or not a certification).
    """
    achievement = session.get(Achievement, credential.achievement_id)
    person = session.get(Person, credential.person_id)
    if achievement is None or person is None:  # pragma: no cover - foreign keys
        raise NotFound("credential_incomplete")
    if credential.status != CredentialStatus.ACTIVE or achievement.issuance != HR_APPROVAL:
        raise Conflict("not_renewable")
    check_certifiable(session, person=person, achievement=achievement, actor=actor, now=now)
    credential.status = CredentialStatus.SUPERSEDED
    session.add(
        CredentialEvent(
            credential_id=credential.id,
            kind="superseded",
            occurred_at=now,
            actor_id=actor.id if actor else None,
            reason=note,
        )
    )
    session.flush()
    org = session.get(Organisation, person.organisation_id)
    assert org is not None
    item = Planned(
        person=person,
        achievement=achievement,
        issuer_org=org,
        evidence=_certification_evidence(actor, note),
        valid_until=add_years(now, settings.certification_years),
        replaces=credential,
    )
    return issue_one(
        session,
        settings,
        key,
        item,
        actor=actor,
        now=now,
        action="credential.renewed",
        reason=note,
        data={"replaces": credential.uuid},
    )


# Revocation -------------------------------------------------------------------------------


def revoke(
    session: DBSession,
    *,
    credential: IssuedCredential,
    actor: Person | None,
    reason: str,
    now: datetime,
) -> IssuedCredential:
    """Revoke a credential (ACTIVE or SUPERSEDED) with a reason; it shows in the lists at once.

    :raises PermissionDenied: ``out_of_scope``. :raises ValidationFailed:
        ``reason_required``/``reason_too_long``. :raises Conflict: ``already_revoked``.
    """
    person_org = session.scalar(
        select(Person.organisation_id).where(Person.id == credential.person_id)
    )
    if person_org is None or not can_manage(actor, person_org):
        raise PermissionDenied("out_of_scope")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("reason_required")
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationFailed("reason_too_long", limit=MAX_REASON_CHARS)
    if credential.status == CredentialStatus.REVOKED:
        raise Conflict("already_revoked")
    credential.status = CredentialStatus.REVOKED
    credential.revoked_at = now
    credential.revocation_reason = reason
    session.add(
        CredentialEvent(
            credential_id=credential.id,
            kind="revoked",
            occurred_at=now,
            actor_id=actor.id if actor else None,
            reason=reason,
        )
    )
    record_event(
        session,
        action="credential.revoked",
        subject_type="credential",
        subject_id=credential.uuid,
        actor=actor,
        organisation_id=person_org,
        reason=reason,
        data={
            "person_id": credential.person_id,
            "achievement_id": credential.achievement_id,
            "status_list_index": credential.status_list_index,
        },
        now=now,
    )
    session.flush()
    return credential


# Reissue after a key compromise ------------------------------------------------------------


def _evidence_from_json(
    credential: dict[str, Any], old_prefix: str, new_prefix: str
) -> tuple[badges.EvidenceItem, ...]:
    """The evidence of a stored credential, with links to its own URL moved to the new one."""
    items = []
    for entry in credential.get("evidence") or []:
        if not isinstance(entry, dict) or entry.get("genre") == badges.PREVIOUS_CREDENTIAL_GENRE:
            continue
        link = entry.get("id")
        if isinstance(link, str) and link.startswith(old_prefix + "/"):
            link = new_prefix + link[len(old_prefix) :]
        try:
            items.append(
                badges.EvidenceItem(
                    id=link,
                    name=entry.get("name"),
                    description=entry.get("description"),
                    narrative=entry.get("narrative"),
                    genre=entry.get("genre"),
                    audience=entry.get("audience"),
                )
            )
        except badges.BadgeError:
            continue
    return tuple(items)


def reissue_for_key(
    session: DBSession,
    settings: IssuanceSettings,
    key: ActiveKey,
    *,
    signing_key_id: int,
    actor: Person | None,
    now: datetime,
    reason: str,
    limit: int = 500,
) -> tuple[int, int]:
    """Revoke up to `limit` credentials signed with a compromised key and reissue the
    active ones with the active key (same holder, achievement, issuer, evidence and
    expiry). Call repeatedly (commit between calls) until it returns ``(0, 0)``.

    :returns: (revoked, reissued)
    """
    olds = (
        session.scalars(
            select(IssuedCredential)
            .where(
                IssuedCredential.signing_key_id == signing_key_id,
                IssuedCredential.status != CredentialStatus.REVOKED,
            )
            .options(
                joinedload(IssuedCredential.person),
                joinedload(IssuedCredential.achievement),
                joinedload(IssuedCredential.issuer),
            )
            .order_by(IssuedCredential.id)
            .limit(limit)
        )
        .unique()
        .all()
    )
    reissued = 0
    for old in olds:
        was_active = old.status == CredentialStatus.ACTIVE
        revoke(session, credential=old, actor=actor, reason=reason, now=now)
        if not was_active or (old.valid_until is not None and old.valid_until <= now):
            continue
        new_uuid = str(uuid_module.uuid4())
        item = Planned(
            person=old.person,
            achievement=old.achievement,
            issuer_org=old.issuer,
            evidence=_evidence_from_json(
                old.credential,
                credential_url(settings, old.uuid),
                credential_url(settings, new_uuid),
            ),
            valid_until=old.valid_until,
            credential_uuid=new_uuid,
        )
        new = issue_one(
            session,
            settings,
            key,
            item,
            actor=actor,
            now=now,
            action="credential.reissued",
            reason=reason,
            data={"replaces": old.uuid},
        )
        new.replaces_id = old.id
        reissued += 1
    session.flush()
    return len(olds), reissued
