"""The learner's journey: enrolment, step records with evidence, trainer review, completion.

Rules that hold here (and are backed by database constraints):

- At most one open (non-withdrawn) enrolment per (person, path): ``uq_enrolments_one_open``.
  Re-enrolling after a withdrawal *reactivates* the same enrolment, so every earlier
  record is still attached and counts again.
- At most one record per (enrolment, step): ``uq_step_records_enrolment_step``. Every
  change adds a `StepRecordVersion`; versions are never updated.
- At most one completion per enrolment: ``path_completions.enrolment_id`` is unique. The
  completion and the issuance hook run in one savepoint: both are kept or neither is.
- At most one review per submitted version: ``uq_reviews_record_version``.

Writers lock the enrolment row first (``SELECT … FOR UPDATE`` on PostgreSQL; the UPDATE of
``last_activity_at`` that follows takes SQLite's writer lock), so double clicks, two tabs
and retries are serialised; an `IntegrityError` that still slips through is treated as
"already recorded". Services flush and never commit; the caller commits.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal.models import (
    Course,
    Enrolment,
    EnrolmentStatus,
    EvidenceFile,
    Exercise,
    LearningPath,
    PathCompletion,
    PathPrerequisite,
    PathStep,
    Person,
    PublicationStatus,
    RecordState,
    Review,
    ReviewDecision,
    ReviewMode,
    StepKind,
    StepRecord,
    StepRecordVersion,
)
from portal.models.base import DBSession
from portal.services import notifications
from portal.services.audit import record_event
from portal.services.evidence import EvidenceStore, EvidenceUpload

log = logging.getLogger(__name__)

#: `(session, completion, now) -> None`, registered by the issuance area as
#: ``app.extensions["completion_hook"]``. It runs inside the completion's savepoint:
#: if it raises, the completion is rolled back with whatever the hook wrote.
CompletionHook = Callable[[DBSession, PathCompletion, datetime], None]

DONE_STATES = frozenset({RecordState.DONE, RecordState.APPROVED})
#: Record states the learner may still change (approved work and completed paths are final).
EDITABLE_STATES = frozenset(
    {RecordState.DONE, RecordState.SUBMITTED, RecordState.CHANGES_REQUESTED}
)

MAX_EVIDENCE_AGE = timedelta(days=3653)  # about ten years
MAX_URL_LENGTH = 1000
MAX_REFLECTION_CHARS = 4000
MAX_DELIVERABLE_CHARS = 20000
MAX_REVIEW_COMMENT_CHARS = 2000
RUBRIC_LEVELS = ("exceeds", "meets", "revise")
#: Course certificate kinds (Course.certificate) for which a URL or file is required.
CERTIFICATE_KINDS = frozenset({"free", "paid"})


class CompletionFailed(Conflict):
    """The completion hook (credential issuance) failed; the completion was rolled back."""

    code = "completion_failed"


# Progress ---------------------------------------------------------------------------


def step_title(step: PathStep) -> str:
    """The course or exercise title of a loaded step."""
    target = step.course if step.kind == StepKind.COURSE else step.exercise
    return target.title if target is not None else step.key


def step_hours(step: PathStep) -> Decimal:
    """The (lower) study-hour estimate of a loaded step."""
    target: Course | Exercise | None = (
        step.course if step.kind == StepKind.COURSE else step.exercise
    )
    return Decimal(target.hours_min) if target is not None else Decimal(0)


def needs_review(step: PathStep) -> bool:
    """Exercises, and course steps marked trainer-reviewed, go to a trainer."""
    return step.kind == StepKind.EXERCISE or step.review == ReviewMode.TRAINER


@dataclass(frozen=True)
class StepProgress:
    step: PathStep
    record: StepRecord | None

    @property
    def state(self) -> RecordState | None:
        return self.record.state if self.record is not None else None

    @property
    def is_done(self) -> bool:
        return self.state in DONE_STATES

    @property
    def needs_action(self) -> bool:
        """The learner has something to do (nothing recorded yet, or changes requested)."""
        return self.state is None or self.state == RecordState.CHANGES_REQUESTED

    @property
    def title(self) -> str:
        return step_title(self.step)

    @property
    def hours(self) -> Decimal:
        return step_hours(self.step)

    @property
    def needs_review(self) -> bool:
        return needs_review(self.step)


@dataclass(frozen=True)
class PathProgress:
    """Where a learner stands on a path (or would, when `enrolment` is None)."""

    path: LearningPath
    enrolment: Enrolment | None
    steps: list[StepProgress]
    steps_done: int
    steps_total: int
    hours_done: Decimal
    hours_total: Decimal
    required_done: int
    required_total: int
    electives_done: int
    electives_required: int
    waiting_review: int
    rule_met: bool
    next_step: StepProgress | None
    #: Records on steps that were later removed from the path (kept as history).
    retired: list[StepProgress] = field(default_factory=list)

    @property
    def status(self) -> str:
        """not_enrolled / in_progress / completed / withdrawn."""
        if self.enrolment is None:
            return "not_enrolled"
        return {
            EnrolmentStatus.ACTIVE: "in_progress",
            EnrolmentStatus.COMPLETED: "completed",
            EnrolmentStatus.WITHDRAWN: "withdrawn",
        }[self.enrolment.status]

    @property
    def is_completed(self) -> bool:
        return self.enrolment is not None and self.enrolment.status == EnrolmentStatus.COMPLETED

    @property
    def completion_pending(self) -> bool:
        """The rule is met but the completion is not written (the hook failed earlier)."""
        return (
            self.rule_met
            and self.enrolment is not None
            and self.enrolment.status == EnrolmentStatus.ACTIVE
        )


def compute_progress(
    path: LearningPath,
    steps: Sequence[PathStep],
    records: Iterable[StepRecord],
    enrolment: Enrolment | None = None,
) -> PathProgress:
    """Progress of one path from its steps (course/exercise loaded) and the learner's records.

    Completion rule: every active required step and `electives_required` active electives
    are DONE or APPROVED. Hours are the lower estimates: required steps, the electives
    counted so far, and the shortest remaining electives still needed.
    """
    by_step = {r.step_id: r for r in records}
    ordered = sorted(steps, key=lambda s: (s.position, s.id))
    active = [StepProgress(s, by_step.get(s.id)) for s in ordered if s.is_active]
    retired = [
        StepProgress(s, by_step[s.id]) for s in ordered if not s.is_active and s.id in by_step
    ]
    required = [p for p in active if p.step.required]
    electives = [p for p in active if not p.step.required]
    k = min(path.electives_required or 0, len(electives))
    required_done = [p for p in required if p.is_done]
    electives_done = [p for p in electives if p.is_done]
    counted = electives_done[:k]
    remaining_hours = sorted(p.hours for p in electives if not p.is_done)[: k - len(counted)]
    hours_done = sum((p.hours for p in [*required_done, *counted]), Decimal(0))
    hours_total = (
        sum((p.hours for p in required), Decimal(0))
        + sum((p.hours for p in counted), Decimal(0))
        + sum(remaining_hours, Decimal(0))
    )
    rule_met = len(required_done) == len(required) and len(electives_done) >= k
    next_step = next((p for p in required if p.needs_action), None)
    if next_step is None:
        pending_electives = [p for p in electives if p.state == RecordState.SUBMITTED]
        if len(electives_done) + len(pending_electives) < k:
            next_step = next((p for p in electives if p.needs_action), None)
    return PathProgress(
        path=path,
        enrolment=enrolment,
        steps=active,
        steps_done=len(required_done) + len(counted),
        steps_total=len(required) + k,
        hours_done=hours_done,
        hours_total=hours_total,
        required_done=len(required_done),
        required_total=len(required),
        electives_done=len(electives_done),
        electives_required=k,
        waiting_review=sum(1 for p in active if p.state == RecordState.SUBMITTED),
        rule_met=rule_met,
        next_step=next_step,
        retired=retired,
    )


def _path_options() -> Any:
    return selectinload(LearningPath.steps).options(
        joinedload(PathStep.course), joinedload(PathStep.exercise)
    )


def list_enrolment_progress(
    session: DBSession, person_id: int, *, include_withdrawn: bool = False
) -> list[PathProgress]:
    """The person's enrolments with progress, open ones first (a fixed number of queries)."""
    query = (
        select(Enrolment)
        .join(Enrolment.path)
        .where(Enrolment.person_id == person_id)
        .options(
            joinedload(Enrolment.path).options(_path_options()),
            selectinload(Enrolment.records),
        )
        .order_by(LearningPath.position, LearningPath.id, Enrolment.enrolled_at.desc())
    )
    if not include_withdrawn:
        query = query.where(Enrolment.status != EnrolmentStatus.WITHDRAWN)
    enrolments = session.scalars(query).unique().all()
    rank = {EnrolmentStatus.ACTIVE: 0, EnrolmentStatus.COMPLETED: 1, EnrolmentStatus.WITHDRAWN: 2}
    progress = [compute_progress(e.path, e.path.steps, e.records, e) for e in enrolments]
    return sorted(progress, key=lambda p: rank[p.enrolment.status] if p.enrolment else 3)


def list_person_progress(session: DBSession, person_id: int) -> list[PathProgress]:
    """Every enrolment of a person with its progress, withdrawn ones included.

    For HR views: the caller must already have checked that `person_id` is in HR's own
    organisation. Records stay attached to the person across transfers, so this is the
    whole history. Evidence files are not included; link them through
    ``learner.evidence`` (access rules in `portal.services.evidence.can_view_evidence`).
    """
    return list_enrolment_progress(session, person_id, include_withdrawn=True)


def list_published_paths(session: DBSession) -> list[LearningPath]:
    """Published paths in catalogue order, with steps (course/exercise loaded)."""
    return list(
        session.scalars(
            select(LearningPath)
            .where(LearningPath.status == PublicationStatus.PUBLISHED)
            .options(_path_options())
            .order_by(LearningPath.position, LearningPath.id)
        ).unique()
    )


def get_published_path(session: DBSession, slug: str) -> LearningPath:
    """A published path with its steps loaded.

    :raises NotFound: no such path, or it is not published.
    """
    path = (
        session.scalars(
            select(LearningPath)
            .where(LearningPath.slug == slug, LearningPath.status == PublicationStatus.PUBLISHED)
            .options(_path_options(), joinedload(LearningPath.achievement))
        )
        .unique()
        .one_or_none()
    )
    if path is None:
        raise NotFound("path_not_found", slug=slug)
    return path


def get_path_for_learner(session: DBSession, slug: str, person_id: int) -> LearningPath:
    """A path with its steps loaded: published, or one the person has (had) an enrolment on,
    so that records on a path retired later stay visible.

    :raises NotFound: no such path, or an unpublished one the person never followed.
    """
    path = (
        session.scalars(
            select(LearningPath)
            .where(LearningPath.slug == slug)
            .options(_path_options(), joinedload(LearningPath.achievement))
        )
        .unique()
        .one_or_none()
    )
    if path is None or (
        path.status != PublicationStatus.PUBLISHED
        and session.scalar(
            select(Enrolment.id).where(
                Enrolment.person_id == person_id, Enrolment.path_id == path.id
            )
        )
        is None
    ):
        raise NotFound("path_not_found", slug=slug)
    return path


@dataclass(frozen=True)
class Prerequisite:
    path: LearningPath
    completed: bool


def completed_path_ids(session: DBSession, person_id: int) -> set[int]:
    return set(
        session.scalars(select(PathCompletion.path_id).where(PathCompletion.person_id == person_id))
    )


def prerequisite_map(session: DBSession) -> dict[int, list[LearningPath]]:
    """path id → the paths it requires (one query, for list pages)."""
    rows = session.execute(
        select(PathPrerequisite.path_id, LearningPath)
        .join(LearningPath, LearningPath.id == PathPrerequisite.requires_id)
        .order_by(LearningPath.position, LearningPath.id)
    ).all()
    result: dict[int, list[LearningPath]] = {}
    for path_id, required in rows:
        result.setdefault(path_id, []).append(required)
    return result


def list_prerequisites(session: DBSession, path_id: int, person_id: int) -> list[Prerequisite]:
    """The paths `path_id` builds on and whether the person has completed each."""
    required = session.scalars(
        select(LearningPath)
        .join(PathPrerequisite, PathPrerequisite.requires_id == LearningPath.id)
        .where(PathPrerequisite.path_id == path_id)
        .order_by(LearningPath.position, LearningPath.id)
    ).all()
    done = completed_path_ids(session, person_id) if required else set()
    return [Prerequisite(p, p.id in done) for p in required]


def find_enrolment(
    session: DBSession, person_id: int, path_id: int, *, include_withdrawn: bool = True
) -> Enrolment | None:
    """The person's open enrolment on a path, else (optionally) the latest withdrawn one."""
    rows = session.scalars(
        select(Enrolment)
        .where(Enrolment.person_id == person_id, Enrolment.path_id == path_id)
        .options(selectinload(Enrolment.records))
        .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc())
    ).all()
    open_ = [e for e in rows if e.status != EnrolmentStatus.WITHDRAWN]
    if open_:
        return open_[0]
    return rows[0] if rows and include_withdrawn else None


def get_path_progress(session: DBSession, person_id: int, path: LearningPath) -> PathProgress:
    """Progress of the person on a loaded path (as if not enrolled when there is no enrolment)."""
    enrolment = find_enrolment(session, person_id, path.id)
    records = enrolment.records if enrolment is not None else []
    return compute_progress(path, path.steps, records, enrolment)


# Enrolment --------------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolResult:
    enrolment: Enrolment
    created: bool = False
    reactivated: bool = False


def _lock_enrolment(
    session: DBSession, enrolment_id: int, now: datetime, *, touch: bool = True
) -> Enrolment:
    """Lock the enrolment row for this transaction and return it fresh.

    PostgreSQL: ``SELECT … FOR UPDATE``. SQLite ignores FOR UPDATE; the UPDATE that
    follows takes its single writer lock, and the reads after it happen under that lock.
    `touch` records the learner's activity; a reviewer's lock leaves the time as it is.
    """
    enrolment = session.scalars(
        select(Enrolment)
        .where(Enrolment.id == enrolment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if enrolment is None:
        raise NotFound("enrolment_not_found")
    session.execute(
        update(Enrolment)
        .where(Enrolment.id == enrolment_id)
        .values(last_activity_at=now if touch else Enrolment.last_activity_at)
        .execution_options(synchronize_session=False)
    )
    if touch:
        set_committed_value(enrolment, "last_activity_at", now)
    return enrolment


def enrol(session: DBSession, *, person: Person, path: LearningPath, now: datetime) -> EnrolResult:
    """Enrol `person` on a published path, or return the enrolment they already have.

    After a withdrawal the same enrolment is reactivated, with all its records.

    :raises NotFound: the path is not published.
    :raises Conflict: ``prerequisites_missing`` (``missing``: the paths still to complete).
    """
    if path.status != PublicationStatus.PUBLISHED:
        raise NotFound("path_not_found", slug=path.slug)
    existing = find_enrolment(session, person.id, path.id)
    if existing is not None and existing.status != EnrolmentStatus.WITHDRAWN:
        return EnrolResult(existing)
    missing = [p for p in list_prerequisites(session, path.id, person.id) if not p.completed]
    if missing:
        raise Conflict("prerequisites_missing", missing=[p.path.slug for p in missing])
    if existing is not None:
        enrolment = _lock_enrolment(session, existing.id, now)
        if enrolment.status != EnrolmentStatus.WITHDRAWN:  # another request was quicker
            return EnrolResult(enrolment)
        enrolment.status = EnrolmentStatus.ACTIVE
        enrolment.withdrawn_at = None
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:  # a new enrolment appeared meanwhile
            session.expire(enrolment)
            return EnrolResult(_open_enrolment(session, person.id, path.id))
        _audit(session, "learning.reenrolled", enrolment, person, now)
        return EnrolResult(enrolment, reactivated=True)
    enrolment = Enrolment(
        person_id=person.id,
        path_id=path.id,
        status=EnrolmentStatus.ACTIVE,
        enrolled_at=now,
        last_activity_at=now,
    )
    try:
        with session.begin_nested():
            session.add(enrolment)
            session.flush()
    except IntegrityError:  # a double click: the other request created it
        return EnrolResult(_open_enrolment(session, person.id, path.id))
    _audit(session, "learning.enrolled", enrolment, person, now)
    return EnrolResult(enrolment, created=True)


def _open_enrolment(session: DBSession, person_id: int, path_id: int) -> Enrolment:
    enrolment = session.scalars(
        select(Enrolment)
        .where(
            Enrolment.person_id == person_id,
            Enrolment.path_id == path_id,
            Enrolment.status != EnrolmentStatus.WITHDRAWN,
        )
        .execution_options(populate_existing=True)
    ).one()
    return enrolment


def withdraw(
    session: DBSession, *, person: Person, enrolment: Enrolment, now: datetime
) -> Enrolment:
    """Stop following a path. The records stay; enrolling again picks them up.

    :raises NotFound: not the person's enrolment.
    :raises Conflict: ``already_completed``.
    """
    if enrolment.person_id != person.id:
        raise NotFound()
    enrolment = _lock_enrolment(session, enrolment.id, now)
    if enrolment.status == EnrolmentStatus.COMPLETED:
        raise Conflict("already_completed")
    if enrolment.status == EnrolmentStatus.WITHDRAWN:
        return enrolment
    enrolment.status = EnrolmentStatus.WITHDRAWN
    enrolment.withdrawn_at = now
    session.flush()
    _audit(session, "learning.withdrawn", enrolment, person, now)
    return enrolment


def _audit(
    session: DBSession,
    action: str,
    enrolment: Enrolment,
    person: Person,
    now: datetime,
    **data: Any,
) -> None:
    record_event(
        session,
        action=action,
        subject_type="enrolment",
        subject_id=enrolment.id,
        actor=person,
        organisation_id=person.organisation_id,
        data={"path_id": enrolment.path_id, "person_id": enrolment.person_id, **data},
        now=now,
    )


# Step records -----------------------------------------------------------------------


@dataclass(frozen=True)
class StepEntry:
    """What the learner typed for a step (a course step or an exercise)."""

    completed_on: date | None = None
    certificate_url: str | None = None
    reflection: str = ""
    deliverable_text: str | None = None
    attested: bool = False
    #: When editing without a new file: drop the file of the previous version.
    remove_file: bool = False


def count_chars(text: str | None) -> int:
    """Characters that count towards a minimum length: whitespace is not counted."""
    return sum(1 for c in unicodedata.normalize("NFC", text or "") if not c.isspace())


def clean_text(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").strip()


def is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url


def check_entry(
    path: LearningPath,
    step: PathStep,
    entry: StepEntry,
    *,
    has_file: bool,
    today: date,
) -> None:
    """Check what the learner entered against the step's rules.

    `has_file` says whether the new version will carry a file (a new upload, or the
    previous version's file kept).

    :raises ValidationFailed: ``invalid_entry`` with ``field_errors`` (field → codes) and
        the parameters the messages need.
    """
    errors: dict[str, list[str]] = {}

    def add(name: str, code: str) -> None:
        errors.setdefault(name, []).append(code)

    url = (entry.certificate_url or "").strip()
    if url and (len(url) > MAX_URL_LENGTH or not is_http_url(url)):
        add("certificate_url", "url_invalid")
    reflection = count_chars(entry.reflection)
    if len(clean_text(entry.reflection)) > MAX_REFLECTION_CHARS:
        add("reflection", "reflection_too_long")
    if step.kind == StepKind.COURSE:
        if entry.completed_on is None:
            add("completed_on", "date_required")
        elif entry.completed_on > today:
            add("completed_on", "date_future")
        elif entry.completed_on < today - MAX_EVIDENCE_AGE:
            add("completed_on", "date_too_old")
        certificate = step.course.certificate if step.course is not None else "unknown"
        if certificate in CERTIFICATE_KINDS and not url and not has_file:
            add("certificate_url", "evidence_required")
        if reflection < path.min_reflection_chars:
            add("reflection", "reflection_too_short")
    else:
        text = clean_text(entry.deliverable_text)
        if not text and not has_file:
            add("deliverable_text", "deliverable_required")
        if len(text) > MAX_DELIVERABLE_CHARS:
            add("deliverable_text", "deliverable_too_long")
    if not entry.attested:
        add("attested", "attestation_required")
    if errors:
        raise ValidationFailed(
            "invalid_entry",
            field_errors=errors,
            min_reflection_chars=path.min_reflection_chars,
            max_reflection_chars=MAX_REFLECTION_CHARS,
            max_deliverable_chars=MAX_DELIVERABLE_CHARS,
            max_age_years=MAX_EVIDENCE_AGE.days // 365,
        )


@dataclass(frozen=True)
class RecordOutcome:
    record: StepRecord
    #: A new version was written (False: the same content was already recorded).
    changed: bool
    completion: PathCompletion | None = None
    #: The completion rule was met but the hook failed; the completion was rolled back.
    completion_failed: bool = False


@dataclass(frozen=True)
class StepContext:
    """A step of a learner's enrolment, with the record and its history loaded."""

    enrolment: Enrolment
    path: LearningPath
    step: PathStep
    record: StepRecord | None

    @property
    def current(self) -> StepRecordVersion | None:
        if self.record is None:
            return None
        return next(
            (v for v in self.record.versions if v.version == self.record.current_version), None
        )

    @property
    def editable(self) -> bool:
        return self.enrolment.status == EnrolmentStatus.ACTIVE and (
            self.record is None or self.record.state in EDITABLE_STATES
        )


def _record_query() -> Select[StepRecord]:
    return select(StepRecord).options(
        selectinload(StepRecord.versions).joinedload(StepRecordVersion.evidence_file),
        selectinload(StepRecord.reviews).joinedload(Review.reviewer),
    )


def get_step_context(
    session: DBSession, person_id: int, path: LearningPath, step_id: int
) -> StepContext:
    """The person's step on a loaded path, for the step page.

    :raises NotFound: the step is not on the path (or was removed from it and never
        recorded), or the person is not enrolled.
    """
    step = next((s for s in path.steps if s.id == step_id), None)
    enrolment = find_enrolment(session, person_id, path.id)
    if step is None or enrolment is None:
        raise NotFound("step_not_found")
    record = (
        session.scalars(
            _record_query().where(
                StepRecord.enrolment_id == enrolment.id, StepRecord.step_id == step.id
            )
        )
        .unique()
        .one_or_none()
    )
    if not step.is_active and record is None:
        raise NotFound("step_not_found")
    return StepContext(enrolment, path, step, record)


def _same_content(
    version: StepRecordVersion, entry: StepEntry, upload: EvidenceUpload | None
) -> bool:
    if upload is not None:
        file_same = (
            version.evidence_file is not None and version.evidence_file.sha256 == upload.sha256
        )
    elif entry.remove_file:
        file_same = version.evidence_file_id is None
    else:
        file_same = True  # no new file: the previous one is kept
    return (
        file_same
        and version.completed_on == entry.completed_on
        and (version.certificate_url or "") == (entry.certificate_url or "").strip()
        and clean_text(version.reflection) == clean_text(entry.reflection)
        and clean_text(version.deliverable_text) == clean_text(entry.deliverable_text)
        and version.attested == entry.attested
    )


def record_step(
    session: DBSession,
    *,
    person: Person,
    path: LearningPath,
    step_id: int,
    entry: StepEntry,
    upload: EvidenceUpload | None,
    store: EvidenceStore,
    base_version: int,
    today: date,
    now: datetime,
    hook: CompletionHook | None,
) -> RecordOutcome:
    """Record (or change) the learner's evidence for one step of their active enrolment.

    Self-attested course steps become DONE; trainer-reviewed course steps and exercises
    become SUBMITTED. A change adds a version. `base_version` is the version the learner's
    form was built from (0 for a first record): a repeat of content already recorded is
    accepted without a new version (double clicks, retries); different content on an
    outdated form is refused. When the step completes the path, the completion and `hook`
    run in one savepoint.

    :raises NotFound: not enrolled, or the step is not an active step of the path.
    :raises Conflict: ``not_enrolled`` (withdrawn), ``path_completed``, ``record_locked``
        (approved), ``record_changed`` (outdated form).
    :raises ValidationFailed: ``invalid_entry`` (see `check_entry`), ``no_change``.
    """
    found = find_enrolment(session, person.id, path.id)
    step = next((s for s in path.steps if s.id == step_id and s.is_active), None)
    if found is None or step is None:
        raise NotFound("step_not_found")
    enrolment = _lock_enrolment(session, found.id, now)
    if enrolment.status == EnrolmentStatus.WITHDRAWN:
        raise Conflict("not_enrolled")
    record = (
        session.scalars(
            _record_query()
            .where(StepRecord.enrolment_id == enrolment.id, StepRecord.step_id == step.id)
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
    )
    current = None
    if record is not None:
        current = next((v for v in record.versions if v.version == record.current_version), None)
    # A repeat of what is already recorded succeeds quietly, even if that record has
    # just completed the path (the other clicks of a double click).
    if current is not None and _same_content(current, entry, upload):
        assert record is not None
        if record.state == RecordState.CHANGES_REQUESTED:
            raise ValidationFailed("no_change")
        return RecordOutcome(record, changed=False)
    if enrolment.status == EnrolmentStatus.COMPLETED:
        raise Conflict("path_completed")
    keeps_file = (
        current is not None and current.evidence_file_id is not None and not entry.remove_file
    )
    check_entry(path, step, entry, has_file=upload is not None or keeps_file, today=today)
    if record is not None and current is not None:
        if record.current_version != base_version:
            raise Conflict("record_changed", current_version=record.current_version)
        if record.state not in EDITABLE_STATES:
            raise Conflict("record_locked")

    evidence_file_id: int | None = None
    if upload is not None:
        if (
            current is not None
            and current.evidence_file is not None
            and current.evidence_file.sha256 == upload.sha256
        ):
            evidence_file_id = current.evidence_file.id
        else:
            evidence_file = store.save(upload, person, now)
            session.add(evidence_file)
            session.flush()
            evidence_file_id = evidence_file.id
    elif keeps_file and current is not None:
        evidence_file_id = current.evidence_file_id

    state = RecordState.SUBMITTED if needs_review(step) else RecordState.DONE
    if record is None:
        record = StepRecord(
            enrolment_id=enrolment.id,
            step_id=step.id,
            state=state,
            current_version=1,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(record)
                session.flush()
        except IntegrityError:  # another request recorded it first (the lock makes this rare)
            existing = (
                session.scalars(
                    _record_query()
                    .where(StepRecord.enrolment_id == enrolment.id, StepRecord.step_id == step.id)
                    .execution_options(populate_existing=True)
                )
                .unique()
                .one()
            )
            return RecordOutcome(existing, changed=False)
        version_no = 1
    else:
        version_no = record.current_version + 1
        record.current_version = version_no
        record.state = state
        record.updated_at = now
    session.add(
        StepRecordVersion(
            record_id=record.id,
            version=version_no,
            completed_on=entry.completed_on if step.kind == StepKind.COURSE else None,
            certificate_url=(entry.certificate_url or "").strip() or None,
            evidence_file_id=evidence_file_id,
            reflection=clean_text(entry.reflection),
            deliverable_text=(clean_text(entry.deliverable_text) or None)
            if step.kind == StepKind.EXERCISE
            else None,
            attested=entry.attested,
            created_at=now,
            created_by_id=person.id,
        )
    )
    session.flush()
    session.expire(record, ["versions"])
    record_event(
        session,
        action="learning.step_recorded" if version_no == 1 else "learning.step_updated",
        subject_type="step_record",
        subject_id=record.id,
        actor=person,
        organisation_id=person.organisation_id,
        data={"path_id": path.id, "step_id": step.id, "version": version_no, "state": state.value},
        now=now,
    )
    completion, failed = None, False
    if state == RecordState.DONE:
        completion, failed = complete_if_due(session, enrolment, path=path, now=now, hook=hook)
    return RecordOutcome(record, changed=True, completion=completion, completion_failed=failed)


# Completion -------------------------------------------------------------------------


def complete_if_due(
    session: DBSession,
    enrolment: Enrolment,
    *,
    path: LearningPath,
    now: datetime,
    hook: CompletionHook | None,
) -> tuple[PathCompletion | None, bool]:
    """Write the path completion when the rule is met, exactly once, and run `hook`.

    The caller holds the enrolment lock and passes the path with its steps loaded. The
    completion, the enrolment's COMPLETED state and whatever `hook` writes share one
    savepoint: if the hook raises, all of it is rolled back (the caller's other changes
    stay) and ``(None, True)`` is returned.

    :returns: (the new completion or None, whether the hook failed)
    """
    if enrolment.status != EnrolmentStatus.ACTIVE:
        return None, False
    records = session.scalars(
        select(StepRecord)
        .where(StepRecord.enrolment_id == enrolment.id)
        .execution_options(populate_existing=True)
    ).all()
    if not compute_progress(path, path.steps, records, enrolment).rule_met:
        return None, False
    savepoint = session.begin_nested()
    completion = PathCompletion(
        enrolment_id=enrolment.id,
        person_id=enrolment.person_id,
        path_id=enrolment.path_id,
        completed_at=now,
    )
    try:
        session.add(completion)
        enrolment.status = EnrolmentStatus.COMPLETED
        enrolment.completed_at = now
        session.flush()
    except IntegrityError:  # completed by a concurrent request: nothing more to do
        savepoint.rollback()
        session.expire(enrolment)
        return None, False
    try:
        if hook is not None:
            hook(session, completion, now)
            session.flush()
        notifications.notify(
            session,
            enrolment.person_id,
            notifications.PATH_COMPLETED,
            {"path_slug": path.slug, "path_name_ja": path.name_ja, "path_name_en": path.name_en},
            now,
        )
        record_event(
            session,
            action="learning.path_completed",
            subject_type="enrolment",
            subject_id=enrolment.id,
            organisation_id=None,
            data={
                "path_id": path.id,
                "person_id": enrolment.person_id,
                "completion_id": completion.id,
            },
            now=now,
        )
        session.flush()
        savepoint.commit()
    except Exception:  # the hook (issuance) failed: keep neither the completion nor its output
        savepoint.rollback()
        session.expire(enrolment)
        log.exception("completion hook failed for enrolment %s", enrolment.id)
        return None, True
    return completion, False


def retry_completion(
    session: DBSession,
    *,
    person: Person,
    path: LearningPath,
    now: datetime,
    hook: CompletionHook | None,
) -> PathCompletion | None:
    """Try the completion again (after a failed hook).

    :raises NotFound: not enrolled.
    :raises CompletionFailed: the hook failed again.
    """
    found = find_enrolment(session, person.id, path.id)
    if found is None:
        raise NotFound("enrolment_not_found")
    enrolment = _lock_enrolment(session, found.id, now)
    completion, failed = complete_if_due(session, enrolment, path=path, now=now, hook=hook)
    if failed:
        raise CompletionFailed()
    return completion


# Trainer review ---------------------------------------------------------------------


@dataclass(frozen=True)
class ItemAssessment:
    level: str
    comment: str = ""


@dataclass(frozen=True)
class ReviewOutcome:
    review: Review
    record: StepRecord
    learner: Person
    completion: PathCompletion | None = None
    completion_failed: bool = False
    #: False: this reviewer had already decided this version the same way (a double click).
    changed: bool = True


def rubric_items(step: PathStep) -> list[dict[str, Any]]:
    """The rubric items (code, title, criteria) of an exercise step; [] for a course."""
    if step.kind != StepKind.EXERCISE or step.exercise is None:
        return []
    items = (step.exercise.rubric or {}).get("items") or []
    return [i for i in items if isinstance(i, dict) and i.get("code")]


def review_queue_query(
    *, reviewer_id: int, states: Sequence[RecordState] = (RecordState.SUBMITTED,)
) -> Select[StepRecord]:
    """Submissions waiting for (or past) review, oldest first, without the reviewer's own.

    Loads learner, organisation, path and step target in the same query (paginate it).
    """
    return (
        select(StepRecord)
        .join(StepRecord.enrolment)
        .where(
            StepRecord.state.in_(list(states)),
            Enrolment.person_id != reviewer_id,
            Enrolment.status != EnrolmentStatus.WITHDRAWN,
        )
        .options(
            joinedload(StepRecord.enrolment).options(
                joinedload(Enrolment.person).joinedload(Person.organisation),
                joinedload(Enrolment.path),
            ),
            joinedload(StepRecord.step).options(
                joinedload(PathStep.course), joinedload(PathStep.exercise)
            ),
        )
        .order_by(StepRecord.updated_at, StepRecord.id)
    )


def list_recent_reviews(session: DBSession, *, limit: int = 20) -> list[Review]:
    """The latest decisions by any trainer, newest first."""
    return list(
        session.scalars(
            select(Review)
            .options(
                joinedload(Review.reviewer),
                joinedload(Review.record).options(
                    joinedload(StepRecord.enrolment).options(
                        joinedload(Enrolment.person), joinedload(Enrolment.path)
                    ),
                    joinedload(StepRecord.step).options(
                        joinedload(PathStep.course), joinedload(PathStep.exercise)
                    ),
                ),
            )
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(limit)
        ).unique()
    )


def get_submission(session: DBSession, record_id: int, *, fresh: bool = False) -> StepRecord:
    """A record with everything the review page shows (`fresh`: reload what the session holds).

    :raises NotFound: no such record.
    """
    record = (
        session.scalars(
            _record_query()
            .where(StepRecord.id == record_id)
            .execution_options(populate_existing=fresh)
            .options(
                joinedload(StepRecord.enrolment).options(
                    joinedload(Enrolment.person).joinedload(Person.organisation),
                    joinedload(Enrolment.path),
                ),
                joinedload(StepRecord.step).options(
                    joinedload(PathStep.course), joinedload(PathStep.exercise)
                ),
            )
        )
        .unique()
        .one_or_none()
    )
    if record is None:
        raise NotFound("record_not_found")
    return record


def check_review(
    step: PathStep, decision: ReviewDecision, items: Mapping[str, ItemAssessment], comment: str
) -> None:
    """Check a trainer's decision against the rubric.

    :raises ValidationFailed: ``invalid_review`` with ``field_errors`` keyed by
        ``item-<code>`` / ``comment``.
    """
    errors: dict[str, list[str]] = {}
    for item in rubric_items(step):
        assessment = items.get(item["code"])
        key = f"item-{item['code']}"
        if assessment is None or assessment.level not in RUBRIC_LEVELS:
            errors.setdefault(key, []).append("level_required")
            continue
        if len(assessment.comment) > MAX_REVIEW_COMMENT_CHARS:
            errors.setdefault(key, []).append("comment_too_long")
        if assessment.level == "revise" and not assessment.comment.strip():
            errors.setdefault(key, []).append("revise_needs_comment")
        if decision == ReviewDecision.APPROVED and assessment.level == "revise":
            errors.setdefault(key, []).append("approve_with_revise")
    if len(comment) > MAX_REVIEW_COMMENT_CHARS:
        errors.setdefault("comment", []).append("comment_too_long")
    if decision == ReviewDecision.CHANGES_REQUESTED and not comment.strip():
        has_item_comment = any(a.level == "revise" for a in items.values())
        if not has_item_comment:
            errors.setdefault("comment", []).append("changes_need_comment")
    if errors:
        raise ValidationFailed(
            "invalid_review", field_errors=errors, max_chars=MAX_REVIEW_COMMENT_CHARS
        )


def review_submission(
    session: DBSession,
    *,
    reviewer: Person,
    record_id: int,
    version: int,
    decision: ReviewDecision,
    items: Mapping[str, ItemAssessment],
    comment: str,
    now: datetime,
    hook: CompletionHook | None,
) -> ReviewOutcome:
    """A trainer approves a submitted version or asks for changes (comments per rubric item).

    The learner gets an in-app notice (the caller mails after the commit). Approving the
    last missing step completes the path (with `hook`, as in `complete_if_due`).

    :raises NotFound: no such record.
    :raises PermissionDenied: not a trainer, or the reviewer's own submission.
    :raises Conflict: ``not_awaiting_review`` (already decided), ``stale_version`` (the
        learner changed it meanwhile).
    :raises ValidationFailed: ``invalid_review``.
    """
    if not reviewer.is_trainer:
        raise PermissionDenied()
    found = session.get(StepRecord, record_id)
    if found is None:
        raise NotFound("record_not_found")
    enrolment = _lock_enrolment(session, found.enrolment_id, now, touch=False)
    record = get_submission(session, record_id, fresh=True)
    if enrolment.person_id == reviewer.id:
        raise PermissionDenied("own_submission")
    if enrolment.status == EnrolmentStatus.WITHDRAWN:
        raise Conflict("learner_withdrew")
    if record.state != RecordState.SUBMITTED:
        mine = next(
            (
                r
                for r in record.reviews
                if r.version == version and r.reviewer_id == reviewer.id and r.decision == decision
            ),
            None,
        )
        if mine is not None:
            return ReviewOutcome(mine, record, record.enrolment.person, changed=False)
        raise Conflict("not_awaiting_review")
    if record.current_version != version:
        raise Conflict("stale_version", current_version=record.current_version)
    step = record.step
    comment = clean_text(comment)
    items = {code: ItemAssessment(a.level, clean_text(a.comment)) for code, a in items.items()}
    check_review(step, decision, items, comment)
    known = {i["code"] for i in rubric_items(step)}
    review = Review(
        record_id=record.id,
        version=version,
        reviewer_id=reviewer.id,
        decision=decision,
        item_comments={
            c: {"level": a.level, "comment": a.comment} for c, a in items.items() if c in known
        },
        comment=comment or None,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(review)
            session.flush()
    except IntegrityError:
        raise Conflict("not_awaiting_review") from None
    record.state = (
        RecordState.APPROVED
        if decision == ReviewDecision.APPROVED
        else RecordState.CHANGES_REQUESTED
    )
    record.updated_at = now
    path = enrolment_path(session, enrolment)
    notifications.notify(
        session,
        enrolment.person_id,
        notifications.REVIEW_APPROVED
        if decision == ReviewDecision.APPROVED
        else notifications.REVIEW_CHANGES_REQUESTED,
        {
            "record_id": record.id,
            "step_id": step.id,
            "step_title": step_title(step),
            "step_title_en": step.exercise.title_en if step.exercise is not None else None,
            "path_slug": path.slug,
            "path_name_ja": path.name_ja,
            "path_name_en": path.name_en,
        },
        now,
    )
    session.flush()
    record_event(
        session,
        action="learning.reviewed",
        subject_type="step_record",
        subject_id=record.id,
        actor=reviewer,
        organisation_id=None,
        data={"version": version, "decision": decision.value, "person_id": enrolment.person_id},
        now=now,
    )
    completion, failed = None, False
    if decision == ReviewDecision.APPROVED:
        completion, failed = complete_if_due(session, enrolment, path=path, now=now, hook=hook)
    learner = record.enrolment.person
    return ReviewOutcome(review, record, learner, completion, failed)


def enrolment_path(session: DBSession, enrolment: Enrolment) -> LearningPath:
    """The enrolment's path with its steps (course/exercise) loaded."""
    return (
        session.scalars(
            select(LearningPath)
            .where(LearningPath.id == enrolment.path_id)
            .options(_path_options())
        )
        .unique()
        .one()
    )


# Evidence ---------------------------------------------------------------------------


def get_evidence(session: DBSession, uuid: str) -> tuple[EvidenceFile, Person]:
    """An evidence file and its owner (for the access check).

    :raises NotFound: no such file.
    """
    row = session.execute(
        select(EvidenceFile, Person)
        .join(Person, Person.id == EvidenceFile.owner_id)
        .where(EvidenceFile.uuid == uuid)
    ).one_or_none()
    if row is None:
        raise NotFound("evidence_not_found")
    return row[0], row[1]
