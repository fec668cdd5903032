"""Frozen domain objects of the catalogue: tiers, levels, frameworks, courses, paths.

Everything here is immutable and compares by value, so two catalogues loaded
from the same data are equal. Lookups follow the house naming: ``get_*`` raises
:class:`~curricula.errors.UnknownReferenceError`, ``find_*`` returns ``None``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal, TypeVar

from curricula.errors import UnknownReferenceError

Language = Literal["ja", "en"]
CourseFormat = Literal[
    "mooc",
    "e-learning",
    "video",
    "text",
    "web",
    "slides",
    "notebooks",
    "portal",
    "reference",
    "checklist",
    "dataset",
    "exam-practice",
    "pbl",
    "programme",
]
#: ``free``: a certificate of completion is issued at no cost; ``paid``: only for
#: a fee (the course itself can be audited free); ``none``: no certificate;
#: ``unknown``: not checked.
Certificate = Literal["free", "paid", "none", "unknown"]
ReviewMode = Literal["self", "trainer"]
StepKind = Literal["course", "exercise"]
AchievementType = Literal["LearningProgram", "Certificate"]
Issuance = Literal["path-completion", "hr-approval"]
LevelKind = Literal["baseline", "staff-level"]
ItemKind = Literal["area", "group", "item", "type", "role"]
Sector = Literal["agriculture", "fisheries", "tourism", "administration"]

#: Japanese and English labels of the controlled vocabularies, for filters and badges.
LANGUAGES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {"ja": ("日本語", "Japanese"), "en": ("英語", "English")}
)
FORMATS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "mooc": ("MOOC（オンライン講座）", "MOOC"),
        "e-learning": ("eラーニング", "e-learning"),
        "video": ("動画", "video"),
        "text": ("テキスト・PDF", "text / PDF"),
        "web": ("Webページ", "web pages"),
        "slides": ("スライド", "slides"),
        "notebooks": ("ノートブック演習", "notebooks"),
        "portal": ("講座ポータル", "course portal"),
        "reference": ("参考資料", "reference"),
        "checklist": ("チェックリスト・自己診断", "checklist / self-assessment"),
        "dataset": ("データセット", "dataset"),
        "exam-practice": ("試験問題演習", "exam practice"),
        "pbl": ("課題解決型学習（PBL）", "project-based learning"),
        "programme": ("制度・プログラム", "programme"),
    }
)
CERTIFICATES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "free": ("無料の修了証あり", "free certificate of completion"),
        "paid": ("修了証は有料", "paid certificate only"),
        "none": ("修了証なし", "no certificate"),
        "unknown": ("未確認", "not checked"),
    }
)
REVIEW_MODES: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {"self": ("自己申告", "self-attested"), "trainer": ("研修担当がレビュー", "trainer-reviewed")}
)
SECTORS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "agriculture": ("農業", "agriculture"),
        "fisheries": ("水産", "fisheries"),
        "tourism": ("観光", "tourism"),
        "administration": ("行政事務", "administration"),
    }
)
#: The scale a trainer uses for each rubric item of an exercise.
RUBRIC_LEVELS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "exceeds": ("十分に達成", "exceeds"),
        "meets": ("達成", "meets"),
        "revise": ("要修正", "needs revision"),
    }
)

#: Framework slugs of the two portal-hosted schemes, usable in alignment references.
TIER_FRAMEWORK: Final = "tier"
LEVEL_FRAMEWORK: Final = "level"

MIN_STEPS: Final = 5
MAX_STEPS: Final = 12


def make_ref(framework: str, code: str) -> str:
    """Join a framework slug and an item code into an alignment reference ``fw:code``."""
    return f"{framework}:{code}"


def split_ref(ref: str) -> tuple[str, str]:
    """Split ``"dss-l:why.society"`` into ``("dss-l", "why.society")``.

    :raises UnknownReferenceError: if ``ref`` has no framework part.
    """
    framework, sep, code = ref.partition(":")
    if not sep or not framework or not code:
        raise UnknownReferenceError("alignment", ref)
    return framework, code


@dataclass(frozen=True, slots=True)
class Scheme:
    """Name of a portal-hosted alignment framework (the tiers or the staff levels)."""

    name_ja: str
    name_en: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Tier:
    """One of the working group's four talent tiers (人材像) T1–T4."""

    code: str
    name_ja: str
    name_en: str
    short_ja: str
    short_en: str
    description_ja: str


@dataclass(frozen=True, slots=True)
class StaffLevel:
    """An audience level: the all-staff baseline or a digital talent level (L1, L2+)."""

    code: str
    kind: LevelKind
    name_ja: str
    name_en: str
    short_ja: str
    description_ja: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class FrameworkItem:
    """An area, item, talent type or role of a skill framework (DSS-L, DSS-P)."""

    code: str
    kind: ItemKind
    name_ja: str
    name_en: str
    parent: str | None = None
    #: False where the reference marks the wording [K] (not seen in a stored source).
    confirmed: bool = True
    description_ja: str | None = None


@dataclass(frozen=True, slots=True)
class Framework:
    """An external skill framework used as an alignment target."""

    slug: str
    name_ja: str
    name_en: str
    publisher: str
    url: str
    items: tuple[FrameworkItem, ...]
    document_url: str | None = None
    version: str | None = None
    note: str | None = None

    def find_item(self, code: str) -> FrameworkItem | None:
        """The item with ``code``, or ``None``."""
        return next((item for item in self.items if item.code == code), None)


@dataclass(frozen=True, slots=True)
class HoursEstimate:
    """Estimated study hours as a range; ``text`` keeps the original wording."""

    min: float
    max: float
    text: str | None = None

    def __add__(self, other: HoursEstimate) -> HoursEstimate:
        return HoursEstimate(self.min + other.min, self.max + other.max)


@dataclass(frozen=True, slots=True)
class Course:
    """An external, free course or material that the portal links to (never hosts)."""

    slug: str
    title: str
    provider: str
    url: str
    #: True only where the reference saw this exact URL in a stored source.
    url_verified: bool
    language: Language
    hours: HoursEstimate
    format: CourseFormat
    certificate: Certificate
    tiers: tuple[str, ...]
    levels: tuple[str, ...]
    description: str
    source: str
    #: The reference's verdict, verbatim (e.g. ``confirmed (URL cited in public repos)``).
    verification: str
    dss: tuple[str, ...] = ()
    language_note: str | None = None
    format_note: str | None = None
    certificate_note: str | None = None
    audience_note: str | None = None
    #: Provider caution shown to learners (e.g. only the first module is free).
    caution: str | None = None
    #: Slug of an earlier course at the same URL (e.g. several courses on one portal page).
    shares_url_with: str | None = None
    retired: bool = False

    @property
    def has_free_certificate(self) -> bool:
        """True if a certificate of completion is known to be issued free of charge."""
        return self.certificate == "free"


@dataclass(frozen=True, slots=True)
class RubricItem:
    """One thing a trainer checks in an exercise submission."""

    code: str
    title: str
    criteria: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rubric:
    """Review rubric of an exercise: items plus the rule for passing."""

    pass_rule: str
    items: tuple[RubricItem, ...]


@dataclass(frozen=True, slots=True)
class Exercise:
    """A regional 模擬演習 with a deliverable, reviewed by a trainer."""

    slug: str
    title: str
    title_en: str
    sector: Sector
    region: str
    hours: HoursEstimate
    tiers: tuple[str, ...]
    levels: tuple[str, ...]
    scenario: str
    tasks: tuple[str, ...]
    deliverable: str
    rubric: Rubric
    dss: tuple[str, ...] = ()
    related_courses: tuple[str, ...] = ()
    note: str | None = None
    retired: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    """One ordered step of a path: a course or an exercise, required or elective."""

    kind: StepKind
    slug: str
    required: bool
    review: ReviewMode
    note: str | None = None

    @property
    def key(self) -> str:
        """Stable identifier of the step inside its path, e.g. ``course:ipa-10-major-threats``.

        Use it for progress records: it survives reordering of the steps.
        """
        return f"{self.kind}:{self.slug}"


@dataclass(frozen=True, slots=True)
class LearningPath:
    """Ordered steps towards one achievement, aimed at one tier or one staff level."""

    slug: str
    name_ja: str
    name_en: str
    summary_ja: str
    summary_en: str
    achievement: str
    min_reflection_chars: int
    electives_required: int
    steps: tuple[Step, ...]
    tier: str | None = None
    level: str | None = None
    prerequisites: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        """The tier or level code the path leads to (``T1``…``T4``, ``L1``, ``L2``)."""
        return self.tier or self.level or ""

    @property
    def required_steps(self) -> tuple[Step, ...]:
        """Steps every learner must complete."""
        return tuple(step for step in self.steps if step.required)

    @property
    def elective_steps(self) -> tuple[Step, ...]:
        """Steps a learner chooses ``electives_required`` of."""
        return tuple(step for step in self.steps if not step.required)

    def is_complete(self, done_step_keys: set[str] | frozenset[str]) -> bool:
        """True if the completed steps (by :attr:`Step.key`) satisfy the completion rule."""
        if any(step.key not in done_step_keys for step in self.required_steps):
            return False
        electives = sum(step.key in done_step_keys for step in self.elective_steps)
        return electives >= self.electives_required

    def completion_rule_text(self) -> tuple[str, str]:
        """The completion rule in words, ``(ja, en)``."""
        required = len(self.required_steps)
        electives = self.electives_required
        if electives == 0:
            return (f"必須{required}件をすべて修了", f"complete all {required} required steps")
        return (
            f"必須{required}件をすべて修了し、選択{len(self.elective_steps)}件から{electives}件以上を修了",
            f"complete all {required} required steps and at least {electives} of "
            f"{len(self.elective_steps)} electives",
        )


@dataclass(frozen=True, slots=True)
class Achievement:
    """A badge-ready Open Badges 3.0 achievement: a path badge or a level certification."""

    slug: str
    achievement_type: AchievementType
    issuance: Issuance
    name_ja: str
    name_en: str
    description_ja: str
    criteria_ja: str
    image: str
    image_alt: str
    alignments: tuple[str, ...]
    description_en: str | None = None
    criteria_en: str | None = None
    #: Achievements the holder must already have (e.g. the L1 path badge for L1 certification).
    requires: tuple[str, ...] = ()
    #: Years a certification stays valid; ``None`` for path badges, which do not expire.
    validity_years: int | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class BadgeImage:
    """An SVG badge image shipped with the catalogue (``filename`` under ``images/``)."""

    filename: str
    svg: str


@dataclass(frozen=True, slots=True)
class AlignmentTarget:
    """A resolved alignment reference, ready to become an OB 3.0 ``Alignment``.

    ``url`` is the official page for external frameworks (DSS). It is ``None``
    for the portal-hosted tiers and levels: the portal builds ``targetUrl`` from
    its own tier/level pages using ``framework`` and ``code``.
    """

    ref: str
    framework: str
    framework_name_ja: str
    framework_name_en: str
    code: str
    name_ja: str
    name_en: str
    url: str | None
    confirmed: bool


_T = TypeVar("_T")


def _index(items: tuple[_T, ...], key: str) -> Mapping[str, _T]:
    index: dict[str, _T] = {}
    for item in items:
        index.setdefault(getattr(item, key), item)
    return MappingProxyType(index)


def _get(index: Mapping[str, _T], kind: str, key: str) -> _T:
    try:
        return index[key]
    except KeyError:
        raise UnknownReferenceError(kind, key) from None


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The whole catalogue: every kind of object plus lookups by slug or code."""

    tier_scheme: Scheme
    tiers: tuple[Tier, ...]
    level_scheme: Scheme
    levels: tuple[StaffLevel, ...]
    frameworks: tuple[Framework, ...]
    courses: tuple[Course, ...]
    exercises: tuple[Exercise, ...]
    paths: tuple[LearningPath, ...]
    achievements: tuple[Achievement, ...]
    images: tuple[BadgeImage, ...] = ()

    _tiers: Mapping[str, Tier] = field(init=False, repr=False, compare=False)
    _levels: Mapping[str, StaffLevel] = field(init=False, repr=False, compare=False)
    _frameworks: Mapping[str, Framework] = field(init=False, repr=False, compare=False)
    _courses: Mapping[str, Course] = field(init=False, repr=False, compare=False)
    _exercises: Mapping[str, Exercise] = field(init=False, repr=False, compare=False)
    _paths: Mapping[str, LearningPath] = field(init=False, repr=False, compare=False)
    _achievements: Mapping[str, Achievement] = field(init=False, repr=False, compare=False)
    _images: Mapping[str, BadgeImage] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_tiers", _index(self.tiers, "code"))
        object.__setattr__(self, "_levels", _index(self.levels, "code"))
        object.__setattr__(self, "_frameworks", _index(self.frameworks, "slug"))
        object.__setattr__(self, "_courses", _index(self.courses, "slug"))
        object.__setattr__(self, "_exercises", _index(self.exercises, "slug"))
        object.__setattr__(self, "_paths", _index(self.paths, "slug"))
        object.__setattr__(self, "_achievements", _index(self.achievements, "slug"))
        object.__setattr__(self, "_images", _index(self.images, "filename"))

    # -- lookups ------------------------------------------------------------
    def find_tier(self, code: str) -> Tier | None:
        """The tier with ``code`` (``T1``…), or ``None``."""
        return self._tiers.get(code)

    def get_tier(self, code: str) -> Tier:
        """The tier with ``code``.

        :raises UnknownReferenceError: if there is none.
        """
        return _get(self._tiers, "tier", code)

    def find_level(self, code: str) -> StaffLevel | None:
        """The staff level with ``code`` (``ALL``, ``L1``, ``L2``), or ``None``."""
        return self._levels.get(code)

    def get_level(self, code: str) -> StaffLevel:
        """The staff level with ``code``.

        :raises UnknownReferenceError: if there is none.
        """
        return _get(self._levels, "level", code)

    def find_framework(self, slug: str) -> Framework | None:
        """The external framework with ``slug`` (``dss-l``, ``dss-p``), or ``None``."""
        return self._frameworks.get(slug)

    def get_framework(self, slug: str) -> Framework:
        """The external framework with ``slug``.

        :raises UnknownReferenceError: if there is none.
        """
        return _get(self._frameworks, "framework", slug)

    def find_course(self, slug: str) -> Course | None:
        """The course with ``slug``, or ``None``."""
        return self._courses.get(slug)

    def get_course(self, slug: str) -> Course:
        """The course with ``slug``.

        :raises UnknownReferenceError: if there is none.
        """
        return _get(self._courses, "course", slug)

    def find_exercise(self, slug: str) -> Exercise | None:
        """The exercise with ``slug``, or ``None``."""
        return self._exercises.get(slug)

    def get_exercise(self, slug: str) -> Exercise:
        """The exercise with ``slug``.

        :raises UnknownReferenceError: if there is none.
        """
        return _get(self._exercises, "exercise", slug)

    def find_path(self, slug: str) -> LearningPath | None:
        """The learning path with ``slug``, or ``None``."""
        return self._paths.get(slug)

    def get_path(self, slug: str) -> LearningPath:
        """The learning path with ``slug``.

        :raises UnknownReferenceError: if there is none.
        """
        return _get(self._paths, "path", slug)

    def find_achievement(self, slug: str) -> Achievement | None:
        """The achievement with ``slug``, or ``None``."""
        return self._achievements.get(slug)

    def get_achievement(self, slug: str) -> Achievement:
        """The achievement with ``slug``.

        :raises UnknownReferenceError: if there is none.
        """
        return _get(self._achievements, "achievement", slug)

    def find_image(self, filename: str) -> BadgeImage | None:
        """The badge image stored as ``images/<filename>``, or ``None``."""
        return self._images.get(filename)

    def get_image(self, filename: str) -> BadgeImage:
        """The badge image stored as ``images/<filename>``.

        :raises UnknownReferenceError: if there is none.
        """
        return _get(self._images, "image", filename)

    # -- derived views --------------------------------------------------------
    @property
    def active_courses(self) -> tuple[Course, ...]:
        """Courses that are not retired."""
        return tuple(course for course in self.courses if not course.retired)

    def step_hours(self, step: Step) -> HoursEstimate:
        """Estimated hours of one step (its course's or exercise's estimate).

        :raises UnknownReferenceError: if the step's course or exercise is unknown.
        """
        if step.kind == "course":
            return self.get_course(step.slug).hours
        return self.get_exercise(step.slug).hours

    def path_hours(self, path: LearningPath | str) -> HoursEstimate:
        """Estimated hours to complete ``path`` under its completion rule.

        The lower bound takes the cheapest electives and the upper bound the
        most expensive ones, on top of every required step.

        :raises UnknownReferenceError: if the path or one of its steps is unknown.
        """
        if isinstance(path, str):
            path = self.get_path(path)
        total = HoursEstimate(0.0, 0.0)
        for step in path.required_steps:
            total = total + self.step_hours(step)
        electives = [self.step_hours(step) for step in path.elective_steps]
        k = path.electives_required
        low = sum(sorted(hours.min for hours in electives)[:k])
        high = sum(sorted((hours.max for hours in electives), reverse=True)[:k])
        return HoursEstimate(round(total.min + low, 2), round(total.max + high, 2))

    def achievement_for_path(self, path: LearningPath | str) -> Achievement:
        """The achievement that completing ``path`` earns.

        :raises UnknownReferenceError: if the path or its achievement is unknown.
        """
        if isinstance(path, str):
            path = self.get_path(path)
        return self.get_achievement(path.achievement)

    def path_for_achievement(self, slug: str) -> LearningPath | None:
        """The path whose completion earns achievement ``slug`` (``None`` for certifications)."""
        return next((path for path in self.paths if path.achievement == slug), None)

    def prerequisite_closure(self, slug: str) -> tuple[str, ...]:
        """Every path that must be completed before ``slug``, prerequisites first.

        :raises UnknownReferenceError: if a path on the way is unknown.
        """
        ordered: list[str] = []
        visiting: set[str] = set()

        def visit(current: str) -> None:
            if current in ordered or current in visiting:
                return
            visiting.add(current)
            for prerequisite in self.get_path(current).prerequisites:
                visit(prerequisite)
            visiting.discard(current)
            ordered.append(current)

        for prerequisite in self.get_path(slug).prerequisites:
            visit(prerequisite)
        return tuple(ordered)

    def paths_using(self, kind: StepKind, slug: str) -> tuple[LearningPath, ...]:
        """Paths with a step on the course or exercise ``slug``."""
        return tuple(
            path
            for path in self.paths
            if any(step.kind == kind and step.slug == slug for step in path.steps)
        )

    def iter_alignment_refs(self) -> Iterator[str]:
        """Every alignment reference that can be resolved, tiers and levels first."""
        for tier in self.tiers:
            yield make_ref(TIER_FRAMEWORK, tier.code)
        for level in self.levels:
            yield make_ref(LEVEL_FRAMEWORK, level.code)
        for framework in self.frameworks:
            for item in framework.items:
                yield make_ref(framework.slug, item.code)

    def find_alignment_target(self, ref: str) -> AlignmentTarget | None:
        """Resolve ``tier:T1``, ``level:L1`` or ``dss-l:why.society``; ``None`` if unknown."""
        framework_slug, sep, code = ref.partition(":")
        if not sep:
            return None
        if framework_slug == TIER_FRAMEWORK:
            tier = self.find_tier(code)
            if tier is None:
                return None
            scheme = self.tier_scheme
            return AlignmentTarget(
                ref=ref,
                framework=framework_slug,
                framework_name_ja=scheme.name_ja,
                framework_name_en=scheme.name_en,
                code=code,
                name_ja=tier.name_ja,
                name_en=tier.name_en,
                url=None,
                confirmed=True,
            )
        if framework_slug == LEVEL_FRAMEWORK:
            level = self.find_level(code)
            if level is None:
                return None
            scheme = self.level_scheme
            return AlignmentTarget(
                ref=ref,
                framework=framework_slug,
                framework_name_ja=scheme.name_ja,
                framework_name_en=scheme.name_en,
                code=code,
                name_ja=level.name_ja,
                name_en=level.name_en,
                url=None,
                confirmed=True,
            )
        framework = self.find_framework(framework_slug)
        item = framework.find_item(code) if framework else None
        if framework is None or item is None:
            return None
        return AlignmentTarget(
            ref=ref,
            framework=framework.slug,
            framework_name_ja=framework.name_ja,
            framework_name_en=framework.name_en,
            code=code,
            name_ja=item.name_ja,
            name_en=item.name_en,
            url=framework.url,
            confirmed=item.confirmed,
        )

    def get_alignment_target(self, ref: str) -> AlignmentTarget:
        """Resolve an alignment reference.

        :raises UnknownReferenceError: if it names no known tier, level or framework item.
        """
        target = self.find_alignment_target(ref)
        if target is None:
            raise UnknownReferenceError("alignment", ref)
        return target
