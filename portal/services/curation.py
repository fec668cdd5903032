"""Trainers curate the catalogue on the web: draft → review → published.

The rules (the trainer pages and any CLI share them):

* Any trainer may propose: a new course, an edit of a course, a change of a path's
  steps (add, remove, reorder, required/elective). A proposal starts as a draft
  (only its author sees it as theirs to edit) and is submitted for review.
* An editor (``Role.EDITOR``) or an admin approves or rejects proposals under review.
  Nobody approves their own proposal (four eyes), except an admin: an admin is the
  portal's last resort, and the history records that they approved their own change.
* A new course exists from the start as a DRAFT/REVIEW row, invisible to the public,
  so that it can be checked for duplicates and named in a path proposal; approving it
  publishes it (and, if the proposal asked for it, adds it to a path). An edit of a
  published course changes nothing public until it is approved.
* Approval re-checks that the course or path still looks as it did when the change was
  proposed (``before``); otherwise the change is stale and must be proposed again.
* Every change keeps who, when, before and after (:class:`CatalogueChange`).

Services flush and never commit. They raise :class:`ValidationFailed` (with
``field_errors`` mapping a form field to error codes), :class:`Conflict` and
:class:`PermissionDenied`; the view turns the codes into words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from curricula import has_japanese, normalise_url
from curricula.errors import InvalidURLError
from curricula.model import CERTIFICATES, FORMATS, LANGUAGES, MAX_STEPS, MIN_STEPS
from curricula.text import has_control_characters, has_markup
from curricula.validate import MAX_HOURS, MAX_TEXT, MAX_TITLE, MAX_URL_LENGTH, SLUG_RE
from portal.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal.models import (
    AlignmentTarget,
    CatalogueChange,
    ChangeStatus,
    Course,
    CourseOrigin,
    Exercise,
    FeaturedCourse,
    LearningPath,
    PathStep,
    Person,
    PublicationStatus,
    ReviewMode,
    StepKind,
)
from portal.models.base import DBSession
from portal.services.catalogue import (
    LEVEL_FRAMEWORK,
    TIER_FRAMEWORK,
    month_start,
    search_text_for,
)
from portal.services.catalogue_sync import (
    course_refs,
    course_snapshot,
    path_snapshot,
    set_course_alignments,
)

MAX_SHORT_TEXT: Final = 200
MAX_COMMENT: Final = 2000
MAX_SLUG: Final = 80
#: The `source` and `verification` written for courses added on the web (data-file fields).
WEB_SOURCE: Final = "portal: added by a trainer"
UNVERIFIED: Final = "unconfirmed-url"
#: Fields of a course that a proposal may change (keys of the JSON snapshots).
COURSE_FIELDS: Final = (
    "title",
    "provider",
    "url",
    "url_verified",
    "language",
    "hours_min",
    "hours_max",
    "hours_text",
    "format",
    "certificate",
    "tiers",
    "levels",
    "dss",
    "description",
    "caution",
)
_SPACES: Final = re.compile(r"\s+")


# -- inputs and checks -------------------------------------------------------------


@dataclass(frozen=True)
class CourseInput:
    """A course as a trainer entered it (already stripped of surrounding space)."""

    title: str
    provider: str
    url: str
    language: str
    hours_min: Decimal | None
    hours_max: Decimal | None
    format: str
    certificate: str
    description: str
    tiers: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    dss: tuple[str, ...] = ()
    hours_text: str | None = None
    caution: str | None = None
    #: The trainer opened the URL and saw the course there.
    url_checked: bool = False


@dataclass(frozen=True)
class PathAddition:
    """Put a newly proposed course on a path when it is approved."""

    path_slug: str
    required: bool = False


@dataclass(frozen=True)
class StepInput:
    """One step of a proposed path: ``course:<slug>`` or ``exercise:<slug>``."""

    key: str
    required: bool
    review: str = "self"


def tidy_text(value: str | None) -> str:
    """Strip, and fold runs of white space (including line breaks) into one space."""
    return _SPACES.sub(" ", value or "").strip()


def _has_letter(text: str) -> bool:
    return any(unicodedata.category(c).startswith("L") for c in text)


def _has_invisible(text: str) -> bool:
    """Format, surrogate, private-use or unassigned characters (bidi overrides, zero-width …)."""
    return any(unicodedata.category(c) in ("Cf", "Cs", "Co", "Cn") for c in text)


def _check_text(
    errors: dict[str, list[str]],
    name: str,
    value: str | None,
    *,
    max_length: int,
    required: bool = True,
    letter: bool = False,
    japanese: bool = False,
) -> None:
    if not value:
        if required:
            errors.setdefault(name, []).append("required")
        return
    if has_control_characters(value):
        errors.setdefault(name, []).append("control_characters")
    elif _has_invisible(value):
        errors.setdefault(name, []).append("invisible_characters")
    elif has_markup(value):
        errors.setdefault(name, []).append("markup")
    elif len(value) > max_length:
        errors.setdefault(name, []).append(f"too_long:{max_length}:{len(value)}")
    elif letter and not _has_letter(value):
        errors.setdefault(name, []).append("no_letters")
    elif japanese and not has_japanese(value):
        errors.setdefault(name, []).append("not_japanese")


def check_url(url: str) -> str:
    """The normalised form of a course URL.

    :raises ValidationFailed: ``url_scheme`` (not http/https, e.g. ``javascript:``),
        ``url_invalid`` or ``too_long``.
    """
    if len(url) > MAX_URL_LENGTH:
        raise ValidationFailed(field_errors={"url": [f"too_long:{MAX_URL_LENGTH}:{len(url)}"]})
    if _has_invisible(url):
        raise ValidationFailed(field_errors={"url": ["url_invalid"]})
    try:
        return normalise_url(url)
    except InvalidURLError as exc:
        code = "url_scheme" if exc.code == "bad-url-scheme" else "url_invalid"
        raise ValidationFailed(field_errors={"url": [code]}) from None


def _known_codes(session: DBSession) -> dict[str, set[str]]:
    rows = session.execute(select(AlignmentTarget.framework, AlignmentTarget.ref)).all()
    known: dict[str, set[str]] = {"tier": set(), "level": set(), "dss": set()}
    for framework, ref in rows:
        if framework == TIER_FRAMEWORK:
            known["tier"].add(ref.partition(":")[2])
        elif framework == LEVEL_FRAMEWORK:
            known["level"].add(ref.partition(":")[2])
        else:
            known["dss"].add(ref)
    return known


def validate_course_input(session: DBSession, data: CourseInput) -> str:
    """Check a course proposal; return the normalised URL.

    :raises ValidationFailed: with ``field_errors`` codes per field; nothing is written.
    """
    errors: dict[str, list[str]] = {}
    _check_text(
        errors,
        "title",
        data.title,
        max_length=MAX_TITLE,
        letter=True,
        japanese=data.language == "ja",
    )
    _check_text(errors, "provider", data.provider, max_length=MAX_TITLE, letter=True)
    _check_text(errors, "description", data.description, max_length=MAX_TEXT, japanese=True)
    _check_text(errors, "caution", data.caution, max_length=MAX_TEXT, required=False, japanese=True)
    _check_text(errors, "hours_text", data.hours_text, max_length=MAX_SHORT_TEXT, required=False)
    normalised = ""
    try:
        normalised = check_url(data.url) if data.url else ""
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
    if not data.url:
        errors.setdefault("url", []).append("required")
    if data.language not in LANGUAGES:
        errors.setdefault("language", []).append("choice")
    if data.format not in FORMATS:
        errors.setdefault("format", []).append("choice")
    if data.certificate not in CERTIFICATES:
        errors.setdefault("certificate", []).append("choice")
    for name, value in (("hours_min", data.hours_min), ("hours_max", data.hours_max)):
        if value is None:
            errors.setdefault(name, []).append("required")
        elif not value.is_finite() or value <= 0 or value > Decimal(str(MAX_HOURS)):
            errors.setdefault(name, []).append("hours_range")
        elif value != value.quantize(Decimal("0.01")):
            errors.setdefault(name, []).append("hours_precision")
    if (
        data.hours_min is not None
        and data.hours_max is not None
        and "hours_min" not in errors
        and "hours_max" not in errors
        and data.hours_min > data.hours_max
    ):
        errors.setdefault("hours_max", []).append("hours_order")
    known = _known_codes(session)
    if not data.tiers:
        errors.setdefault("tiers", []).append("choose_one")
    elif not set(data.tiers) <= known["tier"]:
        errors.setdefault("tiers", []).append("choice")
    if not data.levels:
        errors.setdefault("levels", []).append("choose_one")
    elif not set(data.levels) <= known["level"]:
        errors.setdefault("levels", []).append("choice")
    if not set(data.dss) <= known["dss"]:
        errors.setdefault("dss", []).append("choice")
    if errors:
        raise ValidationFailed(field_errors=errors)
    return normalised


def find_duplicate(
    session: DBSession, normalised_url: str, *, exclude_id: int | None = None
) -> Course | None:
    """Another course (any status) whose URL normalises to the same thing, or None."""
    query = select(Course).where(Course.url_normalised == normalised_url)
    if exclude_id is not None:
        query = query.where(Course.id != exclude_id)
    return session.scalars(query.order_by(Course.id).limit(1)).first()


def _check_duplicate(session: DBSession, normalised: str, exclude_id: int | None = None) -> None:
    existing = find_duplicate(session, normalised, exclude_id=exclude_id)
    if existing is not None:
        raise Conflict(
            "duplicate_url", slug=existing.slug, title=existing.title, status=str(existing.status)
        )


def _input_snapshot(data: CourseInput, *, url_verified: bool) -> dict[str, Any]:
    return {
        "title": data.title,
        "provider": data.provider,
        "url": data.url,
        "url_verified": url_verified,
        "language": data.language,
        "hours_min": str((data.hours_min or Decimal(0)).quantize(Decimal("0.01"))),
        "hours_max": str((data.hours_max or Decimal(0)).quantize(Decimal("0.01"))),
        "hours_text": data.hours_text or None,
        "format": data.format,
        "certificate": data.certificate,
        "tiers": list(data.tiers),
        "levels": list(data.levels),
        "dss": list(data.dss),
        "description": data.description,
        "caution": data.caution or None,
    }


def _content(snapshot: dict[str, Any] | None, *, stale_check: bool = False) -> dict[str, Any]:
    """The curated fields of a snapshot (drops status and bookkeeping).

    For the stale check, `url_verified` is left out: a trainer marking the URL checked
    meanwhile does not make a pending edit stale.
    """
    fields = [f for f in COURSE_FIELDS if not (stale_check and f == "url_verified")]
    return {k: (snapshot or {}).get(k) for k in fields}


def _verification_text(today: date) -> str:
    return f"confirmed (checked by a trainer on {today.isoformat()})"


def _apply_course(session: DBSession, course: Course, after: dict[str, Any], now: datetime) -> None:
    """Write a snapshot's fields onto the course row (and its alignments, search text)."""
    verified_before = bool(course.url_verified)
    course.title = after["title"]
    course.provider = after["provider"]
    course.url = after["url"]
    course.url_normalised = normalise_url(after["url"])
    course.language = after["language"]
    course.hours_min = Decimal(after["hours_min"])
    course.hours_max = Decimal(after["hours_max"])
    course.hours_text = after.get("hours_text")
    course.format = after["format"]
    course.certificate = after["certificate"]
    course.tiers = list(after["tiers"])
    course.levels = list(after["levels"])
    course.dss = list(after["dss"])
    course.description = after["description"]
    course.caution = after.get("caution")
    verified = bool(after.get("url_verified"))
    course.url_verified = verified
    if verified and not verified_before:
        course.verification = _verification_text(now.date())
    elif not verified:
        course.verification = UNVERIFIED
    course.search_text = search_text_for(course)
    session.flush()
    refs = course_refs(course.tiers, course.levels, course.dss)
    targets = {
        t.ref: t
        for t in session.scalars(select(AlignmentTarget).where(AlignmentTarget.ref.in_(refs)))
    }
    set_course_alignments(session, course, targets)


def make_slug(session: DBSession, url: str) -> str:
    """A free kebab-case slug made from the URL's host and path (``ipa-go-jp-security-…``)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    raw = f"{host} {parts.path}".lower()
    base = "-".join(re.findall(r"[a-z0-9]+", raw))[:60].strip("-") or "course"
    taken = set(
        session.scalars(select(Course.slug).where(Course.slug.like(f"{base}%", escape="\\")))
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# -- open changes --------------------------------------------------------------------


def open_change_for(
    session: DBSession, *, course: Course | None = None, path: LearningPath | None = None
) -> CatalogueChange | None:
    """The draft or under-review proposal on a course or path, if any."""
    query = select(CatalogueChange).where(
        CatalogueChange.status.in_([ChangeStatus.DRAFT, ChangeStatus.REVIEW]),
        CatalogueChange.source == "web",
    )
    if course is not None:
        query = query.where(
            CatalogueChange.course_id == course.id,
            CatalogueChange.kind.in_(["course.create", "course.update"]),
        )
    if path is not None:
        query = query.where(
            CatalogueChange.path_id == path.id, CatalogueChange.kind == "path.update"
        )
    return session.scalars(query.order_by(CatalogueChange.id.desc()).limit(1)).first()


def _stamp(change: CatalogueChange, *, submit: bool, now: datetime) -> None:
    """Set a proposal's status and times after it was (re)written."""
    change.status = _status(submit)
    change.updated_at = now
    change.submitted_at = now if submit else None


def _write_proposal(
    session: DBSession,
    pending: CatalogueChange | None,
    *,
    kind: str,
    subject: dict[str, Any],
    before: dict[str, Any] | None,
    after: dict[str, Any],
    comment: str | None,
    actor: Person,
    now: datetime,
    submit: bool,
    refresh_before: bool = False,
) -> CatalogueChange:
    """Revise the actor's open proposal `pending` (its `before` too if `refresh_before`), or
    open a new one about `subject`; then stamp its status and times."""
    if pending is not None:
        change = pending
        if refresh_before:
            change.before = before
        change.after = after
        change.comment = comment or change.comment
    else:
        change = CatalogueChange(
            kind=kind,
            **subject,
            before=before,
            after=after,
            comment=comment,
            proposed_by_id=actor.id,
            created_at=now,
        )
        session.add(change)
    _stamp(change, submit=submit, now=now)
    return change


def _course_subject(course: Course) -> dict[str, Any]:
    return {"subject_type": "course", "subject_slug": course.slug, "course_id": course.id}


def _status(submit: bool) -> ChangeStatus:
    return ChangeStatus.REVIEW if submit else ChangeStatus.DRAFT


def _check_comment(comment: str | None) -> str | None:
    comment = (comment or "").strip() or None
    if comment is not None and (len(comment) > MAX_COMMENT or has_control_characters(comment)):
        raise ValidationFailed(
            field_errors={"comment": [f"too_long:{MAX_COMMENT}:{len(comment)}"]}
            if len(comment) > MAX_COMMENT
            else {"comment": ["control_characters"]}
        )
    return comment


def _check_path_addition(
    session: DBSession, addition: PathAddition | None
) -> dict[str, Any] | None:
    if addition is None:
        return None
    path = session.scalar(select(LearningPath).where(LearningPath.slug == addition.path_slug))
    if path is None or path.status != PublicationStatus.PUBLISHED:
        raise ValidationFailed(field_errors={"add_to_path": ["choice"]})
    return {"path": path.slug, "required": bool(addition.required)}


# -- course proposals ------------------------------------------------------------------


def propose_course(
    session: DBSession,
    data: CourseInput,
    *,
    actor: Person,
    now: datetime,
    submit: bool,
    slug: str | None = None,
    comment: str | None = None,
    add_to_path: PathAddition | None = None,
) -> CatalogueChange:
    """Propose a new course: a DRAFT (or, with `submit`, REVIEW) course row plus its change.

    :raises ValidationFailed: bad input (field codes); :raises Conflict: ``duplicate_url``
        (params slug, title) or ``slug_taken``.
    """
    normalised = validate_course_input(session, data)
    comment = _check_comment(comment)
    addition = _check_path_addition(session, add_to_path)
    if slug:
        if len(slug) > MAX_SLUG or not SLUG_RE.fullmatch(slug):
            raise ValidationFailed(field_errors={"slug": ["slug"]})
        if session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
            raise Conflict("slug_taken", slug=slug)
    _check_duplicate(session, normalised)
    position = (session.scalar(select(func.max(Course.position))) or 0) + 1
    course = Course(
        slug=slug or make_slug(session, data.url),
        title=data.title,
        provider=data.provider,
        url=data.url,
        url_normalised=normalised,
        url_verified=False,
        language=data.language,
        hours_min=Decimal(0),
        hours_max=Decimal(0),
        format=data.format,
        certificate=data.certificate,
        description=data.description,
        source=WEB_SOURCE,
        verification=UNVERIFIED,
        status=PublicationStatus.REVIEW if submit else PublicationStatus.DRAFT,
        origin=CourseOrigin.WEB,
        position=position,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    after = _input_snapshot(data, url_verified=data.url_checked)
    # hours are written by _apply_course; the check constraint needs valid values first
    course.hours_min = Decimal(after["hours_min"])
    course.hours_max = Decimal(after["hours_max"])
    session.add(course)
    session.flush()
    _apply_course(session, course, after, now)
    change = _write_proposal(
        session,
        None,
        kind="course.create",
        subject=_course_subject(course),
        before=None,
        after={**after, "add_to_path": addition} if addition else after,
        comment=comment,
        actor=actor,
        now=now,
        submit=submit,
    )
    session.flush()
    return change


def propose_course_update(
    session: DBSession,
    course: Course,
    data: CourseInput,
    *,
    actor: Person,
    now: datetime,
    submit: bool,
    comment: str | None = None,
) -> CatalogueChange:
    """Propose an edit of a course (or revise the pending proposal of a new one).

    :raises ValidationFailed: bad input, ``no_changes`` or ``retired``;
        :raises Conflict: ``duplicate_url`` or ``change_pending`` (someone else's open change).
    """
    if course.status == PublicationStatus.RETIRED:
        raise ValidationFailed("retired")
    normalised = validate_course_input(session, data)
    comment = _check_comment(comment)
    _check_duplicate(session, normalised, exclude_id=course.id)
    pending = open_change_for(session, course=course)
    if pending is not None and pending.proposed_by_id != actor.id:
        raise Conflict("change_pending", change_id=pending.id)
    verified = bool(course.url_verified) if normalised == course.url_normalised else False
    after = _input_snapshot(data, url_verified=verified or data.url_checked)

    if course.status != PublicationStatus.PUBLISHED:
        # A course not yet published: revise the draft itself and its creation proposal.
        creation = pending if pending is not None and pending.kind == "course.create" else None
        addition = (creation.after or {}).get("add_to_path") if creation is not None else None
        change = _write_proposal(
            session,
            creation,
            kind="course.create",
            subject=_course_subject(course),
            before=None,
            after={**after, "add_to_path": addition} if addition else after,
            comment=comment,
            actor=actor,
            now=now,
            submit=submit,
        )
        _apply_course(session, course, after, now)
        course.status = PublicationStatus.REVIEW if submit else PublicationStatus.DRAFT
        course.updated_at = now
        session.flush()
        return change

    if _content(after) == _content(course_snapshot(course)):
        raise ValidationFailed("no_changes")
    change = _write_proposal(
        session,
        pending,
        kind="course.update",
        subject=_course_subject(course),
        before=course_snapshot(course),
        after=after,
        comment=comment,
        actor=actor,
        now=now,
        submit=submit,
    )
    session.flush()
    return change


# -- path proposals ----------------------------------------------------------------------


def _resolve_step(session: DBSession, key: str) -> Course | Exercise | None:
    kind, _, slug = key.partition(":")
    if kind == "course":
        return session.scalar(select(Course).where(Course.slug == slug))
    if kind == "exercise":
        return session.scalar(select(Exercise).where(Exercise.slug == slug))
    return None


def validate_path_steps(
    session: DBSession, steps: Sequence[StepInput], electives_required: int
) -> None:
    """Check a proposed list of steps against the same rules as the data files.

    :raises ValidationFailed: ``step_count``, ``duplicate_step``, ``unknown_step``,
        ``retired_step``, ``exercise_review``, ``no_required`` or ``electives``.
    """
    errors: dict[str, list[str]] = {}
    if not MIN_STEPS <= len(steps) <= MAX_STEPS:
        errors.setdefault("steps", []).append(f"step_count:{MIN_STEPS}:{MAX_STEPS}:{len(steps)}")
    seen: set[str] = set()
    for step in steps:
        if step.key in seen:
            errors.setdefault("steps", []).append(f"duplicate_step:{step.key}")
        seen.add(step.key)
        target = _resolve_step(session, step.key)
        if target is None:
            errors.setdefault("steps", []).append(f"unknown_step:{step.key}")
        elif target.status == PublicationStatus.RETIRED:
            errors.setdefault("steps", []).append(f"retired_step:{step.key}")
        if step.review not in ("self", "trainer") or (
            step.key.startswith("exercise:") and step.review != "trainer"
        ):
            errors.setdefault("steps", []).append(f"exercise_review:{step.key}")
    if not any(s.required for s in steps):
        errors.setdefault("steps", []).append("no_required")
    electives = sum(1 for s in steps if not s.required)
    if not 0 <= electives_required <= electives:
        errors.setdefault("electives_required", []).append(f"electives:{electives}")
    if errors:
        raise ValidationFailed(field_errors=errors)


def _path_steps(session: DBSession, path: LearningPath) -> list[PathStep]:
    return list(
        session.scalars(
            select(PathStep).where(PathStep.path_id == path.id).order_by(PathStep.position)
        )
    )


def propose_path_change(
    session: DBSession,
    path: LearningPath,
    steps: Sequence[StepInput],
    electives_required: int,
    *,
    actor: Person,
    now: datetime,
    submit: bool,
    comment: str | None = None,
) -> CatalogueChange:
    """Propose new steps (order, required/elective, additions, removals) for a path.

    :raises ValidationFailed: see :func:`validate_path_steps`, or ``no_changes``;
        :raises Conflict: ``change_pending``.
    """
    validate_path_steps(session, steps, electives_required)
    comment = _check_comment(comment)
    before = path_snapshot(path, _path_steps(session, path))
    after = {
        "electives_required": electives_required,
        "steps": [{"key": s.key, "required": bool(s.required), "review": s.review} for s in steps],
        "status": str(path.status),
    }
    if after == before:
        raise ValidationFailed("no_changes")
    pending = open_change_for(session, path=path)
    if pending is not None and pending.proposed_by_id != actor.id:
        raise Conflict("change_pending", change_id=pending.id)
    change = _write_proposal(
        session,
        pending,
        kind="path.update",
        subject={"subject_type": "path", "subject_slug": path.slug, "path_id": path.id},
        before=before,
        after=after,
        comment=comment,
        actor=actor,
        now=now,
        submit=submit,
        refresh_before=True,
    )
    session.flush()
    return change


def _apply_path(session: DBSession, path: LearningPath, after: dict[str, Any]) -> None:
    existing = {s.key: s for s in _path_steps(session, path)}
    wanted: set[str] = set()
    for position, spec in enumerate(after["steps"]):
        key = spec["key"]
        wanted.add(key)
        target = _resolve_step(session, key)
        if target is None or target.status == PublicationStatus.RETIRED:
            raise Conflict("unknown_step", key=key)
        if isinstance(target, Course) and target.status != PublicationStatus.PUBLISHED:
            raise Conflict("course_not_published", slug=target.slug, title=target.title)
        row = existing.get(key)
        if row is None:
            is_course = isinstance(target, Course)
            row = PathStep(
                path_id=path.id,
                key=key,
                kind=StepKind.COURSE if is_course else StepKind.EXERCISE,
                course_id=target.id if is_course else None,
                exercise_id=None if is_course else target.id,
            )
            session.add(row)
        row.position = position
        row.required = bool(spec["required"])
        row.review = ReviewMode(spec["review"])
        row.is_active = True
    for key, row in existing.items():
        if key not in wanted:
            row.is_active = False  # never deleted: progress records point at steps
    path.electives_required = int(after["electives_required"])
    session.flush()


# -- review ------------------------------------------------------------------------------


def can_approve(change: CatalogueChange, actor: Person) -> bool:
    """True if `actor` may approve or reject `change` (an editor, not their own unless admin)."""
    if not actor.is_editor or change.status != ChangeStatus.REVIEW:
        return False
    return change.proposed_by_id != actor.id or actor.is_admin


def _require_reviewer(change: CatalogueChange, actor: Person) -> None:
    if not actor.is_editor:
        raise PermissionDenied("not_editor")
    if change.status != ChangeStatus.REVIEW:
        raise Conflict("not_in_review", status=str(change.status))


def _course_of(session: DBSession, change: CatalogueChange) -> Course:
    course = session.get(Course, change.course_id) if change.course_id else None
    if course is None:  # pragma: no cover - the check constraint forbids it
        raise NotFound(kind="course")
    return course


def approve_change(
    session: DBSession,
    change: CatalogueChange,
    *,
    actor: Person,
    now: datetime,
    note: str | None = None,
) -> CatalogueChange:
    """Approve a change under review and publish it.

    :raises PermissionDenied: ``not_editor`` or ``own_change``;
        :raises Conflict: ``not_in_review``, ``stale_change``, ``duplicate_url``,
        ``course_not_published``, ``path_full``.
    """
    _require_reviewer(change, actor)
    if change.proposed_by_id == actor.id and not actor.is_admin:
        raise PermissionDenied("own_change")
    note = _check_comment(note)
    after = change.after or {}
    if change.kind == "course.create":
        course = _course_of(session, change)
        _check_duplicate(session, course.url_normalised, exclude_id=course.id)
        _apply_course(session, course, after, now)
        course.status = PublicationStatus.PUBLISHED
        course.updated_at = now
        addition = after.get("add_to_path")
        if addition:
            _add_to_path(session, course, addition, actor=actor, now=now, change=change)
    elif change.kind == "course.update":
        course = _course_of(session, change)
        if _content(course_snapshot(course), stale_check=True) != _content(
            change.before, stale_check=True
        ):
            raise Conflict("stale_change")
        _check_duplicate(session, normalise_url(after["url"]), exclude_id=course.id)
        _apply_course(session, course, after, now)
        course.updated_at = now
    elif change.kind == "path.update":
        path = session.get(LearningPath, change.path_id) if change.path_id else None
        if path is None:  # pragma: no cover - the check constraint forbids it
            raise NotFound(kind="path")
        current = path_snapshot(path, _path_steps(session, path))
        before = dict(change.before or {})
        if {k: current[k] for k in ("steps", "electives_required")} != {
            k: before.get(k) for k in ("steps", "electives_required")
        }:
            raise Conflict("stale_change")
        _apply_path(session, path, after)
    else:  # pragma: no cover - only the kinds above are ever proposed
        raise Conflict("not_in_review", status=str(change.status))
    change.status = ChangeStatus.PUBLISHED
    change.decided_by_id = actor.id
    change.decided_at = now
    change.decision_note = note
    change.updated_at = now
    session.flush()
    return change


def _add_to_path(
    session: DBSession,
    course: Course,
    addition: dict[str, Any],
    *,
    actor: Person,
    now: datetime,
    change: CatalogueChange,
) -> None:
    path = session.scalar(select(LearningPath).where(LearningPath.slug == addition["path"]))
    if path is None or path.status != PublicationStatus.PUBLISHED:
        raise Conflict("unknown_path", slug=addition["path"])
    steps = _path_steps(session, path)
    before = path_snapshot(path, steps)
    key = f"course:{course.slug}"
    active = [s for s in before["steps"] if s["key"] != key]
    if len(active) >= MAX_STEPS:
        raise Conflict("path_full", slug=path.slug, max=MAX_STEPS)
    after = {
        **before,
        "steps": [*active, {"key": key, "required": bool(addition["required"]), "review": "self"}],
    }
    _apply_path(session, path, after)
    session.add(
        CatalogueChange(
            kind="path.update",
            status=ChangeStatus.PUBLISHED,
            subject_type="path",
            subject_slug=path.slug,
            path_id=path.id,
            before=before,
            after=path_snapshot(path, _path_steps(session, path)),
            comment=f"course.create #{change.id}",
            proposed_by_id=change.proposed_by_id,
            created_at=now,
            updated_at=now,
            submitted_at=change.submitted_at,
            decided_by_id=actor.id,
            decided_at=now,
        )
    )


def reject_change(
    session: DBSession,
    change: CatalogueChange,
    *,
    actor: Person,
    now: datetime,
    note: str,
) -> CatalogueChange:
    """Send a change under review back to its author, with a reason.

    :raises PermissionDenied: ``not_editor``; :raises Conflict: ``not_in_review``;
        :raises ValidationFailed: ``note_required``.
    """
    _require_reviewer(change, actor)
    note_text = _check_comment(note)
    if not note_text:
        raise ValidationFailed(field_errors={"note": ["note_required"]})
    if change.kind == "course.create":
        course = _course_of(session, change)
        course.status = PublicationStatus.DRAFT
    change.status = ChangeStatus.REJECTED
    change.decided_by_id = actor.id
    change.decided_at = now
    change.decision_note = note_text
    change.updated_at = now
    session.flush()
    return change


def submit_change(
    session: DBSession, change: CatalogueChange, *, actor: Person, now: datetime
) -> CatalogueChange:
    """Send the author's draft for review.

    :raises PermissionDenied: ``not_author``; :raises Conflict: ``not_draft``.
    """
    if change.proposed_by_id != actor.id:
        raise PermissionDenied("not_author")
    if change.status != ChangeStatus.DRAFT:
        raise Conflict("not_draft", status=str(change.status))
    change.status = ChangeStatus.REVIEW
    change.submitted_at = now
    change.updated_at = now
    if change.kind == "course.create":
        _course_of(session, change).status = PublicationStatus.REVIEW
    session.flush()
    return change


def withdraw_change(
    session: DBSession, change: CatalogueChange, *, actor: Person, now: datetime
) -> CatalogueChange:
    """The author takes back an open change (a new course stays a draft).

    :raises PermissionDenied: ``not_author``; :raises Conflict: ``not_open``.
    """
    if change.proposed_by_id != actor.id:
        raise PermissionDenied("not_author")
    if not change.is_open:
        raise Conflict("not_open", status=str(change.status))
    change.status = ChangeStatus.WITHDRAWN
    change.updated_at = now
    if change.kind == "course.create":
        _course_of(session, change).status = PublicationStatus.DRAFT
    session.flush()
    return change


# -- direct actions (recorded as published changes) ---------------------------------------


def mark_url_checked(
    session: DBSession, course: Course, *, actor: Person, now: datetime
) -> CatalogueChange:
    """A trainer opened the URL and confirms the course is there: mark it verified.

    :raises Conflict: ``already_verified``.
    """
    if course.url_verified:
        raise Conflict("already_verified")
    before = course_snapshot(course)
    course.url_verified = True
    course.verification = _verification_text(now.date())
    course.updated_at = now
    change = CatalogueChange(
        kind="course.verify",
        status=ChangeStatus.PUBLISHED,
        subject_type="course",
        subject_slug=course.slug,
        course_id=course.id,
        before=before,
        after=course_snapshot(course),
        proposed_by_id=actor.id,
        created_at=now,
        updated_at=now,
        submitted_at=now,
        decided_by_id=actor.id,
        decided_at=now,
    )
    session.add(change)
    session.flush()
    return change


@dataclass(frozen=True)
class FeaturedInput:
    month: date
    course_slug: str
    comment_ja: str | None = None
    comment_en: str | None = None


def set_featured(
    session: DBSession, data: FeaturedInput, *, actor: Person, now: datetime
) -> FeaturedCourse:
    """Choose the featured course of a month (replacing an earlier choice); editors only.

    :raises PermissionDenied: ``not_editor``; :raises ValidationFailed: field codes.
    """
    if not actor.is_editor:
        raise PermissionDenied("not_editor")
    errors: dict[str, list[str]] = {}
    course = session.scalar(select(Course).where(Course.slug == data.course_slug))
    if course is None or course.status != PublicationStatus.PUBLISHED:
        errors.setdefault("course", []).append("choice")
    _check_text(errors, "comment_ja", data.comment_ja, max_length=MAX_TEXT, required=False)
    _check_text(errors, "comment_en", data.comment_en, max_length=MAX_TEXT, required=False)
    if errors or course is None:
        raise ValidationFailed(field_errors=errors)
    month = month_start(data.month)
    row = session.scalar(select(FeaturedCourse).where(FeaturedCourse.month == month))
    before = None
    if row is None:
        row = FeaturedCourse(month=month, course_id=course.id, created_at=now)
        session.add(row)
    else:
        before = {"course": row.course_id, "comment_ja": row.comment_ja}
    row.course_id = course.id
    row.comment_ja = data.comment_ja or None
    row.comment_en = data.comment_en or None
    row.chosen_by_id = actor.id
    session.add(
        CatalogueChange(
            kind="featured.set",
            status=ChangeStatus.PUBLISHED,
            subject_type="featured",
            subject_slug=month.strftime("%Y-%m"),
            course_id=course.id,
            before=before,
            after={"course": course.id, "comment_ja": row.comment_ja},
            proposed_by_id=actor.id,
            created_at=now,
            updated_at=now,
            submitted_at=now,
            decided_by_id=actor.id,
            decided_at=now,
        )
    )
    session.flush()
    return row


# -- listing ------------------------------------------------------------------------------


def changes_query(
    *,
    statuses: Sequence[ChangeStatus] | None = None,
    proposed_by: int | None = None,
    course_id: int | None = None,
    path_id: int | None = None,
    include_sync: bool = True,
) -> Select[CatalogueChange]:
    """Changes newest first, with author, decider, course and path loaded."""
    query = select(CatalogueChange).options(
        joinedload(CatalogueChange.proposed_by),
        joinedload(CatalogueChange.decided_by),
        joinedload(CatalogueChange.course),
        joinedload(CatalogueChange.path),
    )
    if statuses:
        query = query.where(CatalogueChange.status.in_(list(statuses)))
    if proposed_by is not None:
        query = query.where(CatalogueChange.proposed_by_id == proposed_by)
    if course_id is not None:
        query = query.where(CatalogueChange.course_id == course_id)
    if path_id is not None:
        query = query.where(CatalogueChange.path_id == path_id)
    if not include_sync:
        query = query.where(CatalogueChange.source == "web")
    return query.order_by(CatalogueChange.updated_at.desc(), CatalogueChange.id.desc())


def get_change(session: DBSession, change_id: int) -> CatalogueChange:
    """One change with its people, course and path.

    :raises NotFound: if there is none.
    """
    change = session.scalars(changes_query().where(CatalogueChange.id == change_id)).first()
    if change is None:
        raise NotFound(kind="change", id=change_id)
    return change


def parse_decimal(value: Any) -> Decimal | None:
    """A Decimal from form input, or None if blank or not a number."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
