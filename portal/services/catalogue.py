"""Reading the live catalogue: search and filters, paths with their steps, featured courses.

Other areas call these to show courses and paths (the learner's path page uses
:func:`get_path_with_steps`, the learner home :func:`current_featured`). Everything
here only reads; writes live in :mod:`portal.services.catalogue_sync` (data files),
:mod:`portal.services.curation` (trainers) and :mod:`portal.services.linkcheck`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from curricula import normalise_search_text
from curricula.model import CERTIFICATES, FORMATS, LANGUAGES
from portal.exceptions import NotFound
from portal.models import (
    AlignmentFramework,
    AlignmentTarget,
    Course,
    CourseAlignment,
    Exercise,
    FeaturedCourse,
    LearningPath,
    PathPrerequisite,
    PathStep,
    PublicationStatus,
)
from portal.models.base import DBSession

#: The portal-hosted schemes (framework slugs of AlignmentTarget rows).
TIER_FRAMEWORK: Final = "tier"
LEVEL_FRAMEWORK: Final = "level"

#: Filter buckets for the estimated study time (upper estimate, in hours).
HOURS_BUCKETS: Final[dict[str, tuple[Decimal | None, Decimal | None]]] = {
    "short": (None, Decimal(2)),
    "medium": (Decimal(2), Decimal(10)),
    "long": (Decimal(10), Decimal(40)),
    "very-long": (Decimal(40), None),
}
#: ``free``: a free certificate of completion; ``any``: free or paid.
CERTIFICATE_FILTERS: Final = ("free", "any")
SORTS: Final = ("recommended", "hours", "newest")
MAX_QUERY_LENGTH: Final = 100


def course_search_text(*parts: str | None) -> str:
    """The folded text stored in `Course.search_text` (see curricula.normalise_search_text)."""
    return normalise_search_text(" ".join(p for p in parts if p))


def search_text_for(course: Course) -> str:
    """`course_search_text` of a course's searchable fields."""
    return course_search_text(
        course.title, course.provider, course.description, course.caution, course.slug
    )


# -- search and filters ----------------------------------------------------------


@dataclass(frozen=True)
class CourseFilters:
    """What a catalogue visitor asked for; unknown values are dropped by :meth:`clean`."""

    q: str = ""
    tier: str = ""
    level: str = ""
    dss: str = ""
    provider: str = ""
    language: str = ""
    format: str = ""
    certificate: str = ""
    hours: str = ""
    sort: str = "recommended"

    @classmethod
    def clean(cls, args: Any) -> CourseFilters:
        """Build filters from a mapping of query arguments, dropping values that are not allowed."""

        def get(name: str, allowed: Iterable[str] | None = None, limit: int = 120) -> str:
            value = str(args.get(name, "") or "").strip()[:limit]
            if allowed is not None and value not in allowed:
                return ""
            return value

        return cls(
            q=get("q", limit=MAX_QUERY_LENGTH),
            tier=get("tier"),
            level=get("level"),
            dss=get("dss"),
            provider=get("provider", limit=200),
            language=get("language", LANGUAGES),
            format=get("format", FORMATS),
            certificate=get("certificate", CERTIFICATE_FILTERS),
            hours=get("hours", HOURS_BUCKETS),
            sort=get("sort", SORTS) or "recommended",
        )

    def as_args(self) -> dict[str, str]:
        """Non-empty filters as query arguments (for pagination links)."""
        values = {
            "q": self.q,
            "tier": self.tier,
            "level": self.level,
            "dss": self.dss,
            "provider": self.provider,
            "language": self.language,
            "format": self.format,
            "certificate": self.certificate,
            "hours": self.hours,
            "sort": "" if self.sort == "recommended" else self.sort,
        }
        return {k: v for k, v in values.items() if v}

    @property
    def active(self) -> bool:
        """True if anything narrows the list (sorting does not)."""
        return any(v for k, v in self.as_args().items() if k != "sort")

    def without(self, name: str) -> dict[str, str]:
        """The query arguments with filter `name` removed."""
        return {k: v for k, v in self.as_args().items() if k != name}

    @property
    def narrowed(self) -> bool:
        """True if a filter other than the keyword is set."""
        return any(v for k, v in self.as_args().items() if k not in ("q", "sort"))


def search_terms(q: str) -> list[str]:
    """The folded, de-duplicated words of a query (at most 8)."""
    terms: list[str] = []
    for term in normalise_search_text(q).split(" "):
        if term and term not in terms:
            terms.append(term)
    return terms[:8]


def _aligned_to(refs: Sequence[str]) -> Any:
    return Course.id.in_(
        select(CourseAlignment.course_id)
        .join(AlignmentTarget, AlignmentTarget.id == CourseAlignment.target_id)
        .where(AlignmentTarget.ref.in_(refs))
    )


def course_search(
    filters: CourseFilters,
    *,
    statuses: Sequence[PublicationStatus] = (PublicationStatus.PUBLISHED,),
    dss_refs: Sequence[str] | None = None,
) -> Select[Course]:
    """The query for courses matching `filters` (published only, unless `statuses` says otherwise).

    `dss_refs` are the DSS references that count for ``filters.dss`` (the item and the
    items under it); see :func:`dss_descendants`.
    """
    query = select(Course).where(Course.status.in_(list(statuses)))
    for term in search_terms(filters.q):
        query = query.where(Course.search_text.contains(term, autoescape=True))
    if filters.tier:
        query = query.where(_aligned_to([f"{TIER_FRAMEWORK}:{filters.tier}"]))
    if filters.level:
        query = query.where(_aligned_to([f"{LEVEL_FRAMEWORK}:{filters.level}"]))
    if filters.dss:
        query = query.where(_aligned_to(list(dss_refs or [filters.dss])))
    if filters.provider:
        query = query.where(Course.provider == filters.provider)
    if filters.language:
        query = query.where(Course.language == filters.language)
    if filters.format:
        query = query.where(Course.format == filters.format)
    if filters.certificate == "free":
        query = query.where(Course.certificate == "free")
    elif filters.certificate == "any":
        query = query.where(Course.certificate.in_(["free", "paid"]))
    if filters.hours:
        low, high = HOURS_BUCKETS[filters.hours]
        if low is not None:
            query = query.where(Course.hours_max > low)
        if high is not None:
            query = query.where(Course.hours_max <= high)
    if filters.sort == "hours":
        query = query.order_by(Course.hours_max, Course.hours_min, Course.position, Course.id)
    elif filters.sort == "newest":
        query = query.order_by(Course.created_at.desc(), Course.id.desc())
    else:
        query = query.order_by(Course.position, Course.id)
    return query


def dss_descendants(session: DBSession, ref: str) -> list[str]:
    """`ref` and the references of every DSS item below it (areas include their items)."""
    framework, _, code = ref.partition(":")
    rows = session.execute(
        select(AlignmentTarget.code, AlignmentTarget.parent_code).where(
            AlignmentTarget.framework == framework
        )
    ).all()
    children: dict[str, list[str]] = defaultdict(list)
    for child, parent in rows:
        if parent:
            children[parent].append(child)
    found, stack = [code], [code]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.append(child)
                stack.append(child)
    return [f"{framework}:{c}" for c in found]


@dataclass(frozen=True)
class Facets:
    """The choices of the catalogue's filters."""

    tiers: list[AlignmentTarget]
    levels: list[AlignmentTarget]
    #: (framework, its items in order) for the external frameworks.
    frameworks: list[tuple[AlignmentFramework, list[AlignmentTarget]]]
    providers: list[str]
    formats: list[str] = field(default_factory=lambda: list(FORMATS))
    languages: list[str] = field(default_factory=lambda: list(LANGUAGES))
    certificates: list[str] = field(default_factory=lambda: list(CERTIFICATES))


def list_facets(session: DBSession) -> Facets:
    """Filter choices: tiers, levels, DSS items, providers of published courses (3 queries)."""
    targets = session.scalars(
        select(AlignmentTarget).order_by(AlignmentTarget.framework, AlignmentTarget.position)
    ).all()
    frameworks = session.scalars(
        select(AlignmentFramework)
        .where(AlignmentFramework.kind == "external")
        .order_by(AlignmentFramework.position)
    ).all()
    providers = session.scalars(
        select(Course.provider)
        .where(Course.status == PublicationStatus.PUBLISHED)
        .group_by(Course.provider)
        .order_by(func.count().desc(), Course.provider)
    ).all()
    by_framework: dict[str, list[AlignmentTarget]] = defaultdict(list)
    for target in targets:
        by_framework[target.framework].append(target)
    return Facets(
        tiers=by_framework.get(TIER_FRAMEWORK, []),
        levels=by_framework.get(LEVEL_FRAMEWORK, []),
        frameworks=[(f, by_framework.get(f.slug, [])) for f in frameworks],
        providers=list(providers),
    )


def targets_by_ref(session: DBSession, refs: Iterable[str]) -> dict[str, AlignmentTarget]:
    """Alignment targets for the given references (one query)."""
    wanted = sorted(set(refs))
    if not wanted:
        return {}
    rows = session.scalars(select(AlignmentTarget).where(AlignmentTarget.ref.in_(wanted))).all()
    return {t.ref: t for t in rows}


def find_target(session: DBSession, framework: str, code: str) -> AlignmentTarget | None:
    """The alignment target `framework:code`, or None."""
    return session.scalar(
        select(AlignmentTarget).where(AlignmentTarget.ref == f"{framework}:{code}")
    )


def get_framework(session: DBSession, slug: str) -> AlignmentFramework:
    """The framework `slug`.

    :raises NotFound: if there is none.
    """
    framework = session.scalar(select(AlignmentFramework).where(AlignmentFramework.slug == slug))
    if framework is None:
        raise NotFound(kind="framework", slug=slug)
    return framework


def alignment_target_path(ref: str) -> str | None:
    """The portal page of an alignment target, as a path (``/tiers/T1``, ``/levels/L1``,
    ``/frameworks/dss-l/why.society``), or None for a malformed reference.

    Use it for an Open Badges ``Alignment.targetUrl``: prefix ``PORTAL_BASE_URL``. The
    routes are `public.tier`, `public.level` and `public.framework_item`.
    """
    framework, sep, code = ref.partition(":")
    if not sep or not framework or not code:
        return None
    if framework == TIER_FRAMEWORK:
        return f"/tiers/{code}"
    if framework == LEVEL_FRAMEWORK:
        return f"/levels/{code}"
    return f"/frameworks/{framework}/{code}"


def alignment_target_url(ref: str, base_url: str) -> str | None:
    """`alignment_target_path` as an absolute URL on `base_url` (e.g. PORTAL_BASE_URL)."""
    path = alignment_target_path(ref)
    return None if path is None else base_url.rstrip("/") + path


# -- courses ---------------------------------------------------------------------


def find_course(session: DBSession, slug: str) -> Course | None:
    """The course `slug` in any status, or None."""
    return session.scalar(select(Course).where(Course.slug == slug))


def get_published_course(session: DBSession, slug: str) -> Course:
    """The published course `slug`.

    :raises NotFound: if there is none or it is not published.
    """
    course = find_course(session, slug)
    if course is None or course.status != PublicationStatus.PUBLISHED:
        raise NotFound(kind="course", slug=slug)
    return course


def paths_using_course(session: DBSession, course_id: int) -> list[LearningPath]:
    """Published paths with an active step on the course (one query)."""
    return list(
        session.scalars(
            select(LearningPath)
            .join(PathStep, PathStep.path_id == LearningPath.id)
            .where(
                PathStep.course_id == course_id,
                PathStep.is_active.is_(True),
                LearningPath.status == PublicationStatus.PUBLISHED,
            )
            .order_by(LearningPath.position)
        ).unique()
    )


def get_published_exercise(session: DBSession, slug: str) -> Exercise:
    """The published exercise `slug`.

    :raises NotFound: if there is none or it is retired.
    """
    exercise = session.scalar(select(Exercise).where(Exercise.slug == slug))
    if exercise is None or exercise.status != PublicationStatus.PUBLISHED:
        raise NotFound(kind="exercise", slug=slug)
    return exercise


# -- paths -----------------------------------------------------------------------


def _path_options() -> list[Any]:
    active = LearningPath.steps.and_(PathStep.is_active.is_(True))
    return [
        joinedload(LearningPath.achievement),
        selectinload(active).joinedload(PathStep.course),
        selectinload(active).joinedload(PathStep.exercise),
    ]


def list_paths(session: DBSession) -> list[LearningPath]:
    """Published paths in order, with their active steps, courses, exercises and achievement.

    `path.steps` holds only the active steps, in order (3 queries, whatever the size).
    """
    return list(
        session.scalars(
            select(LearningPath)
            .where(LearningPath.status == PublicationStatus.PUBLISHED)
            .options(*_path_options())
            .order_by(LearningPath.position, LearningPath.id)
            .execution_options(populate_existing=True)
        ).unique()
    )


def get_path_with_steps(
    session: DBSession, slug: str, *, published_only: bool = True
) -> LearningPath:
    """The path `slug` with its active steps in order (course, exercise loaded) and achievement.

    :raises NotFound: if there is none (or, with `published_only`, it is retired).
    """
    query = (
        select(LearningPath)
        .where(LearningPath.slug == slug)
        .options(*_path_options())
        .execution_options(populate_existing=True)
    )
    path = session.scalars(query).unique().one_or_none()
    if path is None or (published_only and path.status != PublicationStatus.PUBLISHED):
        raise NotFound(kind="path", slug=slug)
    return path


def prerequisites_of(
    session: DBSession, paths: Sequence[LearningPath]
) -> dict[int, list[LearningPath]]:
    """For each path id, the paths it builds on, in path order (one query)."""
    ids = [p.id for p in paths]
    result: dict[int, list[LearningPath]] = {i: [] for i in ids}
    if not ids:
        return result
    rows = session.execute(
        select(PathPrerequisite.path_id, LearningPath)
        .join(LearningPath, LearningPath.id == PathPrerequisite.requires_id)
        .where(PathPrerequisite.path_id.in_(ids))
        .order_by(LearningPath.position, LearningPath.id)
    ).all()
    for path_id, required in rows:
        result[path_id].append(required)
    return result


def dependants_of(session: DBSession, path: LearningPath) -> list[LearningPath]:
    """Published paths that build on `path` (one query)."""
    return list(
        session.scalars(
            select(LearningPath)
            .join(PathPrerequisite, PathPrerequisite.path_id == LearningPath.id)
            .where(
                PathPrerequisite.requires_id == path.id,
                LearningPath.status == PublicationStatus.PUBLISHED,
            )
            .order_by(LearningPath.position)
        )
    )


@dataclass(frozen=True)
class Hours:
    """Estimated study hours as a range."""

    min: Decimal
    max: Decimal


def step_hours(step: PathStep) -> Hours:
    """Estimated hours of a loaded step (its course's or exercise's)."""
    target = step.course if step.course is not None else step.exercise
    if target is None:  # pragma: no cover - the check constraint forbids it
        return Hours(Decimal(0), Decimal(0))
    return Hours(target.hours_min, target.hours_max)


def path_hours(path: LearningPath) -> Hours:
    """Hours to complete a loaded path: every required step plus the cheapest / dearest electives."""
    required = [step_hours(s) for s in path.steps if s.required]
    electives = [step_hours(s) for s in path.steps if not s.required]
    k = path.electives_required
    low = sum((h.min for h in required), Decimal(0)) + sum(
        sorted(h.min for h in electives)[:k], Decimal(0)
    )
    high = sum((h.max for h in required), Decimal(0)) + sum(
        sorted((h.max for h in electives), reverse=True)[:k], Decimal(0)
    )
    return Hours(low, high)


def steps_summary(path: LearningPath) -> tuple[int, int]:
    """(required steps, elective steps) of a loaded path."""
    required = sum(1 for s in path.steps if s.required)
    return required, len(path.steps) - required


# -- featured course -------------------------------------------------------------


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def current_featured(session: DBSession, today: date) -> FeaturedCourse | None:
    """This month's featured course (course loaded), or None if none is set or it is unpublished.

    Pass the date in Japan (Asia/Tokyo), e.g. ``datetime.now(ZoneInfo("Asia/Tokyo")).date()``.
    """
    return session.scalar(
        select(FeaturedCourse)
        .join(Course, Course.id == FeaturedCourse.course_id)
        .where(
            FeaturedCourse.month == month_start(today),
            Course.status == PublicationStatus.PUBLISHED,
        )
        .options(joinedload(FeaturedCourse.course))
    )


def list_featured(
    session: DBSession, *, until: date | None = None, published_only: bool = True
) -> list[FeaturedCourse]:
    """Featured courses, newest month first, up to `until`'s month (future months hidden)."""
    query = (
        select(FeaturedCourse)
        .join(Course, Course.id == FeaturedCourse.course_id)
        .options(joinedload(FeaturedCourse.course))
        .order_by(FeaturedCourse.month.desc())
    )
    if until is not None:
        query = query.where(FeaturedCourse.month <= month_start(until))
    if published_only:
        query = query.where(Course.status == PublicationStatus.PUBLISHED)
    return list(session.scalars(query))


# -- counts for dashboards -------------------------------------------------------


@dataclass(frozen=True)
class CatalogueCounts:
    published: int
    draft: int
    review: int
    retired: int
    unverified: int
    dead: int


def catalogue_counts(session: DBSession) -> CatalogueCounts:
    """Course counts by status, plus unverified URLs and dead links of live courses (one query)."""
    live = Course.status != PublicationStatus.RETIRED
    row = session.execute(
        select(
            func.count().filter(Course.status == PublicationStatus.PUBLISHED),
            func.count().filter(Course.status == PublicationStatus.DRAFT),
            func.count().filter(Course.status == PublicationStatus.REVIEW),
            func.count().filter(Course.status == PublicationStatus.RETIRED),
            func.count().filter(and_(live, Course.url_verified.is_(False))),
            func.count().filter(and_(live, Course.link_ok.is_(False))),
        )
    ).one()
    return CatalogueCounts(*(int(v or 0) for v in row))


def needs_checking_query() -> Select[Course]:
    """Live courses whose URL is unverified or whose link is dead, dead links first."""
    return (
        select(Course)
        .where(
            Course.status != PublicationStatus.RETIRED,
            or_(Course.url_verified.is_(False), Course.link_ok.is_(False)),
        )
        .order_by(
            Course.link_ok.is_(False).desc(),
            Course.url_verified,
            Course.position,
            Course.id,
        )
    )
