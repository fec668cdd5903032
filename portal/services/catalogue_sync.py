"""Between the reviewed `curricula/` data files and the live catalogue in the database.

* :func:`sync_catalogue` upserts a loaded :class:`curricula.Catalogue` by stable slug.
  It never deletes a course, exercise, path or step: what is missing from the data is
  marked retired (steps: inactive), so progress keeps pointing at it. It never touches
  learners' progress. Running it twice gives no change the second time.
* :func:`build_catalogue` reads the live catalogue back into a :class:`curricula.Catalogue`,
  which `flask curricula export` writes with the package's dumper; export → sync gives
  no change.

Courses that trainers added on the web (origin ``web``) are not retired by a sync that
does not know them; once the data files contain them they become ordinary data courses.
The data files win: a sync overwrites web edits of a course that the files also hold,
so export and merge the web edits into the files before the next sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import delete, select

import curricula
from curricula import normalise_url
from portal.models import (
    Achievement,
    AlignmentFramework,
    AlignmentTarget,
    CatalogueChange,
    ChangeStatus,
    Course,
    CourseAlignment,
    CourseOrigin,
    Exercise,
    LearningPath,
    PathPrerequisite,
    PathStep,
    PublicationStatus,
    ReviewMode,
    StepKind,
)
from portal.models.base import DBSession
from portal.services.catalogue import LEVEL_FRAMEWORK, TIER_FRAMEWORK, course_search_text

_CENT: Final = Decimal("0.01")
#: Course fields kept in `Course.extra` (they only matter for the data files).
COURSE_EXTRA_FIELDS: Final = (
    "language_note",
    "format_note",
    "certificate_note",
    "audience_note",
    "shares_url_with",
)


def to_decimal(value: float) -> Decimal:
    """Hours as stored (two decimals)."""
    return Decimal(str(value)).quantize(_CENT)


def to_float(value: Decimal) -> float:
    return float(value)


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.retired


@dataclass
class SyncReport:
    """What a sync did, per kind of row."""

    counts: dict[str, Counts] = field(default_factory=dict)

    def of(self, kind: str) -> Counts:
        return self.counts.setdefault(kind, Counts())

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.counts.values())


def _apply(row: Any, values: dict[str, Any]) -> bool:
    """Set the attributes of `row` that differ from `values`; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


# -- snapshots (also used by the change history) ----------------------------------


def course_snapshot(course: Course) -> dict[str, Any]:
    """The curated fields of a course as JSON-ready data (history before/after)."""
    return {
        "title": course.title,
        "provider": course.provider,
        "url": course.url,
        "url_verified": bool(course.url_verified),
        "language": course.language,
        "hours_min": str(course.hours_min),
        "hours_max": str(course.hours_max),
        "hours_text": course.hours_text,
        "format": course.format,
        "certificate": course.certificate,
        "tiers": list(course.tiers or []),
        "levels": list(course.levels or []),
        "dss": list(course.dss or []),
        "description": course.description,
        "caution": course.caution,
        "status": str(course.status),
    }


def path_snapshot(path: LearningPath, steps: Iterable[PathStep]) -> dict[str, Any]:
    """A path's completion rule and active steps, in order, as JSON-ready data."""
    return {
        "electives_required": path.electives_required,
        "steps": [
            {"key": s.key, "required": bool(s.required), "review": str(s.review)}
            for s in sorted(steps, key=lambda s: s.position)
            if s.is_active
        ],
        "status": str(path.status),
    }


def _record(
    session: DBSession,
    *,
    kind: str,
    subject_type: str,
    slug: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
    course_id: int | None = None,
    path_id: int | None = None,
) -> None:
    session.add(
        CatalogueChange(
            kind=kind,
            status=ChangeStatus.PUBLISHED,
            subject_type=subject_type,
            subject_slug=slug,
            course_id=course_id,
            path_id=path_id,
            before=before,
            after=after,
            source="sync",
            created_at=now,
            updated_at=now,
            submitted_at=now,
            decided_at=now,
        )
    )


# -- sync ---------------------------------------------------------------------------


def sync_catalogue(session: DBSession, catalogue: curricula.Catalogue, now: datetime) -> SyncReport:
    """Upsert `catalogue` into the database by slug (flushes; the caller commits).

    Pass a catalogue that validated (`curricula.load_catalogue`).
    """
    report = SyncReport()
    _sync_frameworks(session, catalogue, report)
    targets = _sync_targets(session, catalogue, report)
    courses = _sync_courses(session, catalogue, targets, report, now)
    exercises = _sync_exercises(session, catalogue, report)
    achievements = _sync_achievements(session, catalogue, report)
    _sync_paths(session, catalogue, courses, exercises, achievements, report, now)
    session.flush()
    return report


def _sync_frameworks(
    session: DBSession, catalogue: curricula.Catalogue, report: SyncReport
) -> None:
    existing = {f.slug: f for f in session.scalars(select(AlignmentFramework))}
    wanted: list[dict[str, Any]] = [
        {
            "slug": TIER_FRAMEWORK,
            "kind": "scheme",
            "name_ja": catalogue.tier_scheme.name_ja,
            "name_en": catalogue.tier_scheme.name_en,
            "note": catalogue.tier_scheme.note,
            "publisher": None,
            "url": None,
            "document_url": None,
            "version": None,
        },
        {
            "slug": LEVEL_FRAMEWORK,
            "kind": "scheme",
            "name_ja": catalogue.level_scheme.name_ja,
            "name_en": catalogue.level_scheme.name_en,
            "note": catalogue.level_scheme.note,
            "publisher": None,
            "url": None,
            "document_url": None,
            "version": None,
        },
    ]
    for f in catalogue.frameworks:
        wanted.append(
            {
                "slug": f.slug,
                "kind": "external",
                "name_ja": f.name_ja,
                "name_en": f.name_en,
                "note": f.note,
                "publisher": f.publisher,
                "url": f.url,
                "document_url": f.document_url,
                "version": f.version,
            }
        )
    counts = report.of("frameworks")
    for position, values in enumerate(wanted):
        values["position"] = position
        row = existing.get(values["slug"])
        if row is None:
            session.add(AlignmentFramework(**values))
            counts.created += 1
        elif _apply(row, values):
            counts.updated += 1
        else:
            counts.unchanged += 1


def _target_values(catalogue: curricula.Catalogue) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = []
    for i, tier in enumerate(catalogue.tiers):
        values.append(
            {
                "ref": f"{TIER_FRAMEWORK}:{tier.code}",
                "framework": TIER_FRAMEWORK,
                "framework_name_ja": catalogue.tier_scheme.name_ja,
                "framework_name_en": catalogue.tier_scheme.name_en,
                "code": tier.code,
                "kind": "tier",
                "name_ja": tier.name_ja,
                "name_en": tier.name_en,
                "description_ja": tier.description_ja,
                "parent_code": None,
                "url": None,
                "confirmed": True,
                "position": i,
                "extra": {"short_ja": tier.short_ja, "short_en": tier.short_en},
            }
        )
    for i, level in enumerate(catalogue.levels):
        extra: dict[str, Any] = {"short_ja": level.short_ja}
        if level.note is not None:
            extra["note"] = level.note
        values.append(
            {
                "ref": f"{LEVEL_FRAMEWORK}:{level.code}",
                "framework": LEVEL_FRAMEWORK,
                "framework_name_ja": catalogue.level_scheme.name_ja,
                "framework_name_en": catalogue.level_scheme.name_en,
                "code": level.code,
                "kind": level.kind,
                "name_ja": level.name_ja,
                "name_en": level.name_en,
                "description_ja": level.description_ja,
                "parent_code": None,
                "url": None,
                "confirmed": True,
                "position": i,
                "extra": extra,
            }
        )
    for framework in catalogue.frameworks:
        for i, item in enumerate(framework.items):
            values.append(
                {
                    "ref": f"{framework.slug}:{item.code}",
                    "framework": framework.slug,
                    "framework_name_ja": framework.name_ja,
                    "framework_name_en": framework.name_en,
                    "code": item.code,
                    "kind": item.kind,
                    "name_ja": item.name_ja,
                    "name_en": item.name_en,
                    "description_ja": item.description_ja,
                    "parent_code": item.parent,
                    "url": framework.url,
                    "confirmed": item.confirmed,
                    "position": i,
                    "extra": {},
                }
            )
    return values


def _sync_targets(
    session: DBSession, catalogue: curricula.Catalogue, report: SyncReport
) -> dict[str, AlignmentTarget]:
    existing = {t.ref: t for t in session.scalars(select(AlignmentTarget))}
    counts = report.of("alignment targets")
    for values in _target_values(catalogue):
        row = existing.get(values["ref"])
        if row is None:
            row = AlignmentTarget(**values)
            session.add(row)
            existing[row.ref] = row
            counts.created += 1
        elif _apply(row, values):
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()
    return existing


def course_refs(tiers: Iterable[str], levels: Iterable[str], dss: Iterable[str]) -> list[str]:
    """The alignment references of a course's tiers, levels and DSS items."""
    return (
        [f"{TIER_FRAMEWORK}:{t}" for t in tiers]
        + [f"{LEVEL_FRAMEWORK}:{lv}" for lv in levels]
        + list(dss)
    )


def set_course_alignments(
    session: DBSession,
    course: Course,
    targets: dict[str, AlignmentTarget],
    current: set[int] | None = None,
) -> None:
    """Make the course's CourseAlignment rows mirror its tiers, levels and dss lists.

    `current` is the set of target ids it has now (queried when not given).
    """
    if current is None:
        current = set(
            session.scalars(
                select(CourseAlignment.target_id).where(CourseAlignment.course_id == course.id)
            )
        )
    wanted = {
        targets[ref].id
        for ref in course_refs(course.tiers or [], course.levels or [], course.dss or [])
        if ref in targets
    }
    for target_id in wanted - current:
        session.add(CourseAlignment(course_id=course.id, target_id=target_id))
    gone = current - wanted
    if gone:
        session.execute(
            delete(CourseAlignment).where(
                CourseAlignment.course_id == course.id, CourseAlignment.target_id.in_(gone)
            )
        )


def course_values(course: curricula.Course, position: int) -> dict[str, Any]:
    """Column values of a course row for a curricula course."""
    extra = {
        name: getattr(course, name)
        for name in COURSE_EXTRA_FIELDS
        if getattr(course, name) is not None
    }
    return {
        "title": course.title,
        "provider": course.provider,
        "url": course.url,
        "url_normalised": normalise_url(course.url),
        "url_verified": course.url_verified,
        "language": course.language,
        "hours_min": to_decimal(course.hours.min),
        "hours_max": to_decimal(course.hours.max),
        "hours_text": course.hours.text,
        "format": course.format,
        "certificate": course.certificate,
        "description": course.description,
        "caution": course.caution,
        "source": course.source,
        "verification": course.verification,
        "tiers": list(course.tiers),
        "levels": list(course.levels),
        "dss": list(course.dss),
        "extra": extra,
        "search_text": course_search_text(
            course.title, course.provider, course.description, course.caution, course.slug
        ),
        "status": PublicationStatus.RETIRED if course.retired else PublicationStatus.PUBLISHED,
        "origin": CourseOrigin.DATA,
        "position": position,
    }


def _sync_courses(
    session: DBSession,
    catalogue: curricula.Catalogue,
    targets: dict[str, AlignmentTarget],
    report: SyncReport,
    now: datetime,
) -> dict[str, Course]:
    existing = {c.slug: c for c in session.scalars(select(Course))}
    alignments: dict[int, set[int]] = {}
    for course_id, target_id in session.execute(
        select(CourseAlignment.course_id, CourseAlignment.target_id)
    ):
        alignments.setdefault(course_id, set()).add(target_id)
    counts = report.of("courses")

    def record(row: Course, before: dict[str, Any] | None, after: dict[str, Any]) -> None:
        _record(
            session,
            kind="course.sync",
            subject_type="course",
            slug=row.slug,
            before=before,
            after=after,
            now=now,
            course_id=row.id,
        )

    seen: set[str] = set()
    for position, data in enumerate(catalogue.courses):
        seen.add(data.slug)
        values = course_values(data, position)
        row = existing.get(data.slug)
        if row is None:
            row = Course(slug=data.slug, created_at=now, updated_at=now, **values)
            session.add(row)
            session.flush()
            existing[row.slug] = row
            counts.created += 1
            record(row, None, course_snapshot(row))
        else:
            before = course_snapshot(row)
            # The catalogue order alone is not a change of the course.
            row.position = values.pop("position")
            if _apply(row, values):
                counts.updated += 1
                after = course_snapshot(row)
                if after != before:
                    record(row, before, after)
            else:
                counts.unchanged += 1
        set_course_alignments(session, row, targets, alignments.get(row.id, set()))

    for slug, row in existing.items():
        if slug in seen or row.origin != CourseOrigin.DATA:
            continue
        if row.status == PublicationStatus.RETIRED:
            continue
        before = course_snapshot(row)
        row.status = PublicationStatus.RETIRED
        counts.retired += 1
        record(row, before, course_snapshot(row))
    return existing


def exercise_values(exercise: curricula.Exercise) -> dict[str, Any]:
    """Column values of an exercise row for a curricula exercise."""
    extra: dict[str, Any] = {}
    if exercise.related_courses:
        extra["related_courses"] = list(exercise.related_courses)
    if exercise.note is not None:
        extra["note"] = exercise.note
    return {
        "title": exercise.title,
        "title_en": exercise.title_en,
        "sector": exercise.sector,
        "region": exercise.region,
        "hours_min": to_decimal(exercise.hours.min),
        "hours_max": to_decimal(exercise.hours.max),
        "scenario": exercise.scenario,
        "tasks": list(exercise.tasks),
        "deliverable": exercise.deliverable,
        "rubric": {
            "pass_rule": exercise.rubric.pass_rule,
            "items": [
                {"code": item.code, "title": item.title, "criteria": list(item.criteria)}
                for item in exercise.rubric.items
            ],
        },
        "tiers": list(exercise.tiers),
        "levels": list(exercise.levels),
        "dss": list(exercise.dss),
        "extra": extra,
        "status": PublicationStatus.RETIRED if exercise.retired else PublicationStatus.PUBLISHED,
    }


def _sync_exercises(
    session: DBSession, catalogue: curricula.Catalogue, report: SyncReport
) -> dict[str, Exercise]:
    existing = {e.slug: e for e in session.scalars(select(Exercise))}
    counts = report.of("exercises")
    seen: set[str] = set()
    for data in catalogue.exercises:
        seen.add(data.slug)
        values = exercise_values(data)
        row = existing.get(data.slug)
        if row is None:
            row = Exercise(slug=data.slug, **values)
            session.add(row)
            existing[row.slug] = row
            counts.created += 1
        elif _apply(row, values):
            counts.updated += 1
        else:
            counts.unchanged += 1
    for slug, row in existing.items():
        if slug not in seen and row.status != PublicationStatus.RETIRED:
            row.status = PublicationStatus.RETIRED
            counts.retired += 1
    session.flush()
    return existing


def achievement_values(
    achievement: curricula.Achievement, catalogue: curricula.Catalogue
) -> dict[str, Any]:
    """Column values of an achievement row (with its SVG image markup)."""
    image = catalogue.find_image(achievement.image)
    extra: dict[str, Any] = {}
    if achievement.note is not None:
        extra["note"] = achievement.note
    return {
        "achievement_type": achievement.achievement_type,
        "issuance": achievement.issuance,
        "name_ja": achievement.name_ja,
        "name_en": achievement.name_en,
        "description_ja": achievement.description_ja,
        "description_en": achievement.description_en,
        "criteria_ja": achievement.criteria_ja,
        "criteria_en": achievement.criteria_en,
        "image_filename": achievement.image,
        "image_svg": image.svg if image is not None else "",
        "image_alt": achievement.image_alt,
        "alignments": list(achievement.alignments),
        "requires": list(achievement.requires),
        "validity_years": achievement.validity_years,
        "extra": extra,
    }


def _sync_achievements(
    session: DBSession, catalogue: curricula.Catalogue, report: SyncReport
) -> dict[str, Achievement]:
    existing = {a.slug: a for a in session.scalars(select(Achievement))}
    counts = report.of("achievements")
    for data in catalogue.achievements:
        values = achievement_values(data, catalogue)
        row = existing.get(data.slug)
        if row is None:
            row = Achievement(slug=data.slug, **values)
            session.add(row)
            existing[row.slug] = row
            counts.created += 1
        elif _apply(row, values):
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()
    return existing


def _sync_paths(
    session: DBSession,
    catalogue: curricula.Catalogue,
    courses: dict[str, Course],
    exercises: dict[str, Exercise],
    achievements: dict[str, Achievement],
    report: SyncReport,
    now: datetime,
) -> None:
    existing = {p.slug: p for p in session.scalars(select(LearningPath))}
    all_steps: dict[int, list[PathStep]] = {}
    for step in session.scalars(select(PathStep)):
        all_steps.setdefault(step.path_id, []).append(step)
    counts = report.of("paths")
    step_counts = report.of("steps")
    seen: set[str] = set()
    for position, data in enumerate(catalogue.paths):
        seen.add(data.slug)
        values = {
            "name_ja": data.name_ja,
            "name_en": data.name_en,
            "summary_ja": data.summary_ja,
            "summary_en": data.summary_en,
            "tier_code": data.tier,
            "level_code": data.level,
            "achievement_id": achievements[data.achievement].id,
            "min_reflection_chars": data.min_reflection_chars,
            "electives_required": data.electives_required,
            "position": position,
            "status": PublicationStatus.PUBLISHED,
        }
        row = existing.get(data.slug)
        created = row is None
        if row is None:
            row = LearningPath(slug=data.slug, **values)
            session.add(row)
            session.flush()
            existing[row.slug] = row
            before = None
            path_changed = True
        else:
            before = path_snapshot(row, all_steps.get(row.id, []))
            path_changed = _apply(row, values)
        steps = all_steps.setdefault(row.id, [])
        steps_changed = _sync_steps(session, row, data, steps, courses, exercises, step_counts)
        if created:
            counts.created += 1
        elif path_changed or steps_changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
        after = path_snapshot(row, steps)
        if created or after != before:
            _record(
                session,
                kind="path.sync",
                subject_type="path",
                slug=row.slug,
                before=before,
                after=after,
                now=now,
                path_id=row.id,
            )
    for slug, row in existing.items():
        if slug in seen or row.status == PublicationStatus.RETIRED:
            continue
        before = path_snapshot(row, all_steps.get(row.id, []))
        row.status = PublicationStatus.RETIRED
        counts.retired += 1
        _record(
            session,
            kind="path.sync",
            subject_type="path",
            slug=row.slug,
            before=before,
            after=path_snapshot(row, all_steps.get(row.id, [])),
            now=now,
            path_id=row.id,
        )
    session.flush()
    _sync_prerequisites(session, catalogue, existing, report)


def _sync_steps(
    session: DBSession,
    path: LearningPath,
    data: curricula.LearningPath,
    steps: list[PathStep],
    courses: dict[str, Course],
    exercises: dict[str, Exercise],
    counts: Counts,
) -> bool:
    by_key = {s.key: s for s in steps}
    changed = False
    wanted: set[str] = set()
    for position, step in enumerate(data.steps):
        wanted.add(step.key)
        is_course = step.kind == "course"
        values = {
            "position": position,
            "kind": StepKind.COURSE if is_course else StepKind.EXERCISE,
            "course_id": courses[step.slug].id if is_course else None,
            "exercise_id": None if is_course else exercises[step.slug].id,
            "required": step.required,
            "review": ReviewMode(step.review),
            "note": step.note,
            "is_active": True,
        }
        row = by_key.get(step.key)
        if row is None:
            row = PathStep(path_id=path.id, key=step.key, **values)
            session.add(row)
            steps.append(row)
            counts.created += 1
            changed = True
        elif _apply(row, values):
            counts.updated += 1
            changed = True
        else:
            counts.unchanged += 1
    for row in steps:
        if row.key not in wanted and row.is_active:
            row.is_active = False
            counts.retired += 1
            changed = True
    return changed


def _sync_prerequisites(
    session: DBSession,
    catalogue: curricula.Catalogue,
    paths: dict[str, LearningPath],
    report: SyncReport,
) -> None:
    counts = report.of("prerequisites")
    current: set[tuple[int, int]] = {
        (int(a), int(b))
        for a, b in session.execute(select(PathPrerequisite.path_id, PathPrerequisite.requires_id))
    }
    wanted = {
        (paths[p.slug].id, paths[required].id)
        for p in catalogue.paths
        for required in p.prerequisites
    }
    for path_id, requires_id in sorted(wanted - current):
        session.add(PathPrerequisite(path_id=path_id, requires_id=requires_id))
        counts.created += 1
    counts.unchanged += len(wanted & current)
    # A prerequisite link is structure, not content or progress: one that the data
    # no longer states is removed (there is nothing to retire).
    for path_id, requires_id in sorted(current - wanted):
        session.execute(
            delete(PathPrerequisite).where(
                PathPrerequisite.path_id == path_id, PathPrerequisite.requires_id == requires_id
            )
        )
        counts.retired += 1


# -- export -------------------------------------------------------------------------


def build_catalogue(session: DBSession) -> curricula.Catalogue:
    """The live catalogue as a :class:`curricula.Catalogue` (published and retired courses;
    drafts and proposals under review are left out; inactive steps are left out)."""
    frameworks = {f.slug: f for f in session.scalars(select(AlignmentFramework))}
    targets = list(
        session.scalars(
            select(AlignmentTarget).order_by(AlignmentTarget.position, AlignmentTarget.id)
        )
    )
    by_framework: dict[str, list[AlignmentTarget]] = {}
    for t in targets:
        by_framework.setdefault(t.framework, []).append(t)

    def scheme(slug: str) -> curricula.Scheme:
        f = frameworks.get(slug)
        if f is None:
            return curricula.Scheme("", "")
        return curricula.Scheme(f.name_ja, f.name_en, f.note)

    tiers = tuple(
        curricula.Tier(
            code=t.code,
            name_ja=t.name_ja,
            name_en=t.name_en,
            short_ja=str((t.extra or {}).get("short_ja", "")),
            short_en=str((t.extra or {}).get("short_en", "")),
            description_ja=t.description_ja or "",
        )
        for t in by_framework.get(TIER_FRAMEWORK, [])
    )
    levels = tuple(
        curricula.StaffLevel(
            code=t.code,
            kind=t.kind,  # type: ignore[arg-type]
            name_ja=t.name_ja,
            name_en=t.name_en,
            short_ja=str((t.extra or {}).get("short_ja", "")),
            description_ja=t.description_ja or "",
            note=(t.extra or {}).get("note"),
        )
        for t in by_framework.get(LEVEL_FRAMEWORK, [])
    )
    external = sorted(
        (f for f in frameworks.values() if f.kind == "external"), key=lambda f: (f.position, f.id)
    )
    framework_objs = tuple(
        curricula.Framework(
            slug=f.slug,
            name_ja=f.name_ja,
            name_en=f.name_en,
            publisher=f.publisher or "",
            url=f.url or "",
            items=tuple(
                curricula.FrameworkItem(
                    code=t.code,
                    kind=t.kind,  # type: ignore[arg-type]
                    name_ja=t.name_ja,
                    name_en=t.name_en,
                    parent=t.parent_code,
                    confirmed=bool(t.confirmed),
                    description_ja=t.description_ja,
                )
                for t in by_framework.get(f.slug, [])
            ),
            document_url=f.document_url,
            version=f.version,
            note=f.note,
        )
        for f in external
    )

    course_rows = session.scalars(
        select(Course)
        .where(Course.status.in_([PublicationStatus.PUBLISHED, PublicationStatus.RETIRED]))
        .order_by(Course.position, Course.id)
    ).all()
    courses = tuple(_course_obj(c) for c in course_rows)

    exercise_rows = session.scalars(select(Exercise).order_by(Exercise.id)).all()
    exercises = tuple(_exercise_obj(e) for e in exercise_rows)

    achievement_rows = session.scalars(select(Achievement).order_by(Achievement.id)).all()
    achievements = tuple(
        curricula.Achievement(
            slug=a.slug,
            achievement_type=a.achievement_type,  # type: ignore[arg-type]
            issuance=a.issuance,  # type: ignore[arg-type]
            name_ja=a.name_ja,
            name_en=a.name_en,
            description_ja=a.description_ja,
            criteria_ja=a.criteria_ja,
            image=a.image_filename,
            image_alt=a.image_alt,
            alignments=tuple(a.alignments or ()),
            description_en=a.description_en,
            criteria_en=a.criteria_en,
            requires=tuple(a.requires or ()),
            validity_years=a.validity_years,
            note=(a.extra or {}).get("note"),
        )
        for a in achievement_rows
    )
    images: dict[str, curricula.BadgeImage] = {}
    for a in achievement_rows:
        if a.image_svg and a.image_filename not in images:
            images[a.image_filename] = curricula.BadgeImage(a.image_filename, a.image_svg)

    path_rows = session.scalars(
        select(LearningPath)
        .where(LearningPath.status != PublicationStatus.RETIRED)
        .order_by(LearningPath.position, LearningPath.id)
    ).all()
    path_by_id = {p.id: p for p in session.scalars(select(LearningPath))}
    achievement_by_id = {a.id: a for a in achievement_rows}
    course_by_id = {c.id: c for c in session.scalars(select(Course))}
    exercise_by_id = {e.id: e for e in exercise_rows}
    steps_by_path: dict[int, list[PathStep]] = {}
    for step in session.scalars(
        select(PathStep)
        .where(PathStep.is_active.is_(True))
        .order_by(PathStep.position, PathStep.id)
    ):
        steps_by_path.setdefault(step.path_id, []).append(step)
    prerequisites: dict[int, list[LearningPath]] = {}
    for path_id, requires_id in session.execute(
        select(PathPrerequisite.path_id, PathPrerequisite.requires_id)
    ):
        prerequisites.setdefault(path_id, []).append(path_by_id[requires_id])

    paths = tuple(
        curricula.LearningPath(
            slug=p.slug,
            name_ja=p.name_ja,
            name_en=p.name_en,
            summary_ja=p.summary_ja,
            summary_en=p.summary_en,
            achievement=achievement_by_id[p.achievement_id].slug,
            min_reflection_chars=p.min_reflection_chars,
            electives_required=p.electives_required,
            steps=tuple(
                curricula.Step(
                    kind=str(s.kind),  # type: ignore[arg-type]
                    slug=(
                        course_by_id[s.course_id].slug
                        if s.course_id is not None
                        else exercise_by_id[s.exercise_id].slug  # type: ignore[index]
                    ),
                    required=bool(s.required),
                    review=str(s.review),  # type: ignore[arg-type]
                    note=s.note,
                )
                for s in steps_by_path.get(p.id, [])
            ),
            tier=p.tier_code,
            level=p.level_code,
            prerequisites=tuple(
                r.slug
                for r in sorted(prerequisites.get(p.id, []), key=lambda r: (r.position, r.id))
            ),
        )
        for p in path_rows
    )
    return curricula.Catalogue(
        tier_scheme=scheme(TIER_FRAMEWORK),
        tiers=tiers,
        level_scheme=scheme(LEVEL_FRAMEWORK),
        levels=levels,
        frameworks=framework_objs,
        courses=courses,
        exercises=exercises,
        paths=paths,
        achievements=achievements,
        images=tuple(images[name] for name in sorted(images)),
    )


def _course_obj(c: Course) -> curricula.Course:
    extra = c.extra or {}
    return curricula.Course(
        slug=c.slug,
        title=c.title,
        provider=c.provider,
        url=c.url,
        url_verified=bool(c.url_verified),
        language=c.language,  # type: ignore[arg-type]
        hours=curricula.HoursEstimate(to_float(c.hours_min), to_float(c.hours_max), c.hours_text),
        format=c.format,  # type: ignore[arg-type]
        certificate=c.certificate,  # type: ignore[arg-type]
        tiers=tuple(c.tiers or ()),
        levels=tuple(c.levels or ()),
        description=c.description,
        source=c.source or "",
        verification=c.verification or "",
        dss=tuple(c.dss or ()),
        language_note=extra.get("language_note"),
        format_note=extra.get("format_note"),
        certificate_note=extra.get("certificate_note"),
        audience_note=extra.get("audience_note"),
        caution=c.caution,
        shares_url_with=extra.get("shares_url_with"),
        retired=c.status == PublicationStatus.RETIRED,
    )


def _exercise_obj(e: Exercise) -> curricula.Exercise:
    extra = e.extra or {}
    rubric = e.rubric or {}
    return curricula.Exercise(
        slug=e.slug,
        title=e.title,
        title_en=e.title_en,
        sector=e.sector,  # type: ignore[arg-type]
        region=e.region,
        hours=curricula.HoursEstimate(to_float(e.hours_min), to_float(e.hours_max)),
        tiers=tuple(e.tiers or ()),
        levels=tuple(e.levels or ()),
        scenario=e.scenario,
        tasks=tuple(e.tasks or ()),
        deliverable=e.deliverable,
        rubric=curricula.Rubric(
            pass_rule=str(rubric.get("pass_rule", "")),
            items=tuple(
                curricula.RubricItem(
                    code=str(item.get("code", "")),
                    title=str(item.get("title", "")),
                    criteria=tuple(item.get("criteria", ())),
                )
                for item in rubric.get("items", ())
            ),
        ),
        dss=tuple(e.dss or ()),
        related_courses=tuple(extra.get("related_courses", ())),
        note=extra.get("note"),
        retired=e.status == PublicationStatus.RETIRED,
    )
