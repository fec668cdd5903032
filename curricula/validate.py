"""Semantic rules of the catalogue: references, duplicates, URLs, Japanese text, hours.

The loader runs these rules on freshly parsed files (with line numbers); the
portal can run the very same rules on a catalogue it built in memory with
:func:`validate_catalogue` (without line numbers).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from curricula._yaml import LineDict, LineList
from curricula.errors import Bilingual, InvalidURLError, Issue, Param, make_issue
from curricula.layout import (
    ACHIEVEMENTS_FILE,
    COURSES_FILE,
    EXERCISES_FILE,
    FRAMEWORKS_FILE,
    IMAGES_DIR,
    LEVELS_FILE,
    PATHS_FILE,
    TIERS_FILE,
)
from curricula.model import (
    LEVEL_FRAMEWORK,
    MAX_STEPS,
    MIN_STEPS,
    TIER_FRAMEWORK,
    Achievement,
    Catalogue,
    Course,
    Exercise,
    Framework,
    HoursEstimate,
    LearningPath,
    StaffLevel,
    Tier,
)
from curricula.text import has_control_characters, has_japanese, has_markup, normalise_url

SLUG_RE: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CODE_RE: Final = re.compile(r"[A-Z][A-Z0-9]{0,9}")
ITEM_CODE_RE: Final = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
IMAGE_NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]*\.svg")
MAX_SLUG_LENGTH: Final = 80
MAX_HOURS: Final = 500.0
MAX_URL_LENGTH: Final = 2000
MAX_TITLE: Final = 200
MAX_SHORT_TEXT: Final = 500
MAX_TEXT: Final = 1000
MAX_LONG_TEXT: Final = 4000
MAX_IMAGE_BYTES: Final = 100_000
MAX_REFLECTION_CHARS: Final = 2000
MAX_VALIDITY_YEARS: Final = 10

_SLUG_RULE: Final[Bilingual] = (
    "英小文字・数字・ハイフンのkebab-case、80文字以内",
    "kebab-case ASCII: lower-case letters, digits and hyphens, at most 80 characters",
)
_CODE_RULE: Final[Bilingual] = ("英大文字で始まる英大文字・数字", "upper-case letters and digits")
_ITEM_RULE: Final[Bilingual] = (
    "英小文字・数字をドットかハイフンでつなぐ",
    "lower-case letters and digits joined by dots or hyphens",
)
_IMAGE_RULE: Final[Bilingual] = ("英小文字・数字・ハイフンの .svg", "a kebab-case .svg file name")

KIND_COURSE: Final[Bilingual] = ("講座", "course")
KIND_EXERCISE: Final[Bilingual] = ("模擬演習", "exercise")
KIND_PATH: Final[Bilingual] = ("ラーニングパス", "path")
KIND_ACHIEVEMENT: Final[Bilingual] = ("バッジ", "achievement")
KIND_TIER: Final[Bilingual] = ("人材像", "tier")
KIND_LEVEL: Final[Bilingual] = ("対象レベル", "level")
KIND_ITEM: Final[Bilingual] = ("スキル標準の項目", "framework item")
KIND_ALIGNMENT: Final[Bilingual] = ("アラインメント先", "alignment target")
KIND_IMAGE: Final[Bilingual] = ("バッジ画像", "badge image")
KIND_PARENT: Final[Bilingual] = ("親項目", "parent item")

_UNSAFE_SVG_RE: Final = re.compile(
    r"<\s*(?:script|foreignObject|image|iframe|object|embed)\b|<!DOCTYPE|<!ENTITY|"
    r"\son[a-z]+\s*=|javascript:|@import",
    re.IGNORECASE,
)
_EXTERNAL_REF_RE: Final = re.compile(
    r"(?:href|src)\s*=\s*[\"'](?!#)|url\(\s*[\"']?(?!#)", re.IGNORECASE
)

Token = str | int
_T = TypeVar("_T")


def render_field(prefix: str, tokens: Sequence[Token]) -> str:
    """``render_field("courses[x]", ["steps", 2, "course"])`` → ``courses[x].steps[2].course``."""
    text = prefix
    for token in tokens:
        text += f"[{token}]" if isinstance(token, int) else f".{token}"
    return text.lstrip(".")


def line_at(raw: Any, tokens: Sequence[Token]) -> int | None:
    """The line of the deepest node of ``raw`` reachable along ``tokens``."""
    node: Any = raw
    line: int | None = getattr(raw, "line", None)
    for token in tokens:
        if isinstance(node, LineDict) and isinstance(token, str) and token in node:
            line = node.key_lines.get(token, line)
            node = node[token]
        elif isinstance(node, LineList) and isinstance(token, int) and 0 <= token < len(node):
            line = node.item_lines[token]
            node = node[token]
        else:
            break
    return line


def child_raw(raw: Any, *tokens: Token) -> LineDict | None:
    """The mapping found along ``tokens`` inside ``raw``, if there is one."""
    node: Any = raw
    for token in tokens:
        if isinstance(node, LineDict) and isinstance(token, str):
            node = node.get(token)
        elif isinstance(node, LineList) and isinstance(token, int) and 0 <= token < len(node):
            node = node[token]
        else:
            return None
    return node if isinstance(node, LineDict) else None


class Sink:
    """Collects issues; reports each (file, field, line) once.

    Once a field has an issue, later rules skip it, so a value of the wrong type
    is not reported again as, say, bad hours.
    """

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self._seen: set[tuple[str, str, int | None]] = set()
        self._tainted: set[tuple[str, str]] = set()

    def add(
        self,
        file: str,
        raw: Any,
        prefix: str,
        tokens: Sequence[Token],
        code: str,
        **params: Param,
    ) -> None:
        """Record an issue at ``prefix`` + ``tokens`` unless that field already has one."""
        field = render_field(prefix, tokens)
        line = line_at(raw, tokens)
        if (file, field) in self._tainted or (file, field, line) in self._seen:
            return
        self._seen.add((file, field, line))
        self._tainted.add((file, field))
        self.issues.append(make_issue(file, line, field, code, **params))

    def add_once_per_line(
        self,
        file: str,
        raw: Any,
        prefix: str,
        tokens: Sequence[Token],
        code: str,
        **params: Param,
    ) -> None:
        """Like :meth:`add`, but two records with the same field name both get reported."""
        field = render_field(prefix, tokens)
        line = line_at(raw, tokens)
        if (file, field, line) in self._seen:
            return
        self._seen.add((file, field, line))
        self.issues.append(make_issue(file, line, field, code, **params))

    def is_tainted(self, file: str, prefix: str, tokens: Sequence[Token]) -> bool:
        """True if the field already has an issue."""
        return (file, render_field(prefix, tokens)) in self._tainted


@dataclass(frozen=True, slots=True)
class Located(Generic[_T]):
    """A domain object with its raw YAML mapping (``None`` in memory) and field prefix."""

    obj: _T
    raw: LineDict | None
    prefix: str


@dataclass(frozen=True, slots=True)
class LocatedCatalogue:
    """A catalogue plus where each of its objects came from."""

    catalogue: Catalogue
    tiers: Sequence[Located[Tier]]
    levels: Sequence[Located[StaffLevel]]
    frameworks: Sequence[Located[Framework]]
    courses: Sequence[Located[Course]]
    exercises: Sequence[Located[Exercise]]
    paths: Sequence[Located[LearningPath]]
    achievements: Sequence[Located[Achievement]]

    @classmethod
    def in_memory(cls, catalogue: Catalogue) -> LocatedCatalogue:
        """Wrap a catalogue built in memory (no lines)."""

        def wrap(kind: str, items: Iterable[_T], key: str) -> list[Located[_T]]:
            return [Located(item, None, f"{kind}[{getattr(item, key)}]") for item in items]

        return cls(
            catalogue=catalogue,
            tiers=wrap("tiers", catalogue.tiers, "code"),
            levels=wrap("levels", catalogue.levels, "code"),
            frameworks=wrap("frameworks", catalogue.frameworks, "slug"),
            courses=wrap("courses", catalogue.courses, "slug"),
            exercises=wrap("exercises", catalogue.exercises, "slug"),
            paths=wrap("paths", catalogue.paths, "slug"),
            achievements=wrap("achievements", catalogue.achievements, "slug"),
        )


def validate_catalogue(catalogue: Catalogue) -> tuple[Issue, ...]:
    """Run every semantic rule on an in-memory catalogue; return the issues (lines are ``None``)."""
    sink = Sink()
    run_rules(LocatedCatalogue.in_memory(catalogue), sink)
    return tuple(sink.issues)


def run_rules(located: LocatedCatalogue, sink: Sink) -> None:
    """Apply every semantic rule, adding issues to ``sink``."""
    _check_tiers(located, sink)
    _check_levels(located, sink)
    _check_frameworks(located, sink)
    _check_courses(located, sink)
    _check_exercises(located, sink)
    _check_paths(located, sink)
    _check_achievements(located, sink)
    _check_images(located, sink)


# -- helpers ------------------------------------------------------------------


@dataclass(slots=True)
class _Ctx:
    """Where the rules currently look: one record of one file."""

    sink: Sink
    file: str
    raw: LineDict | None
    prefix: str

    def add(self, tokens: Sequence[Token], code: str, **params: Param) -> None:
        self.sink.add(self.file, self.raw, self.prefix, tokens, code, **params)

    def text(
        self,
        tokens: Sequence[Token],
        value: str | None,
        *,
        japanese: bool,
        max_length: int,
        single_line: bool = True,
    ) -> None:
        """Check a human-readable text field."""
        if value is None:
            return
        if not value.strip():
            self.add(tokens, "empty-text")
        elif has_control_characters(value) or (single_line and "\n" in value.strip()):
            self.add(tokens, "bad-text")
        elif has_markup(value):
            self.add(tokens, "markup-in-text")
        elif len(value) > max_length:
            self.add(tokens, "text-too-long", max=max_length, length=len(value))
        elif japanese and not has_japanese(value):
            self.add(tokens, "missing-japanese")

    def hours(self, hours: HoursEstimate, min_field: str, max_field: str) -> None:
        """Check an hours range: numeric, > 0, ≤ 500 and min ≤ max."""
        for name, value in ((min_field, hours.min), (max_field, hours.max)):
            if not math.isfinite(value):
                self.add([name], "bad-hours", reason=("数値ではありません", "not a number"))
            elif value <= 0:
                self.add([name], "bad-hours", reason=("0より大きくしてください", "must be > 0"))
            elif value > MAX_HOURS:
                self.add(
                    [name],
                    "bad-hours",
                    reason=(f"{MAX_HOURS:g}時間以下にしてください", f"must be ≤ {MAX_HOURS:g}"),
                )
        tainted = self.sink.is_tainted(self.file, self.prefix, [min_field]) or (
            self.sink.is_tainted(self.file, self.prefix, [max_field])
        )
        if not tainted and hours.min > hours.max:
            self.add(
                [min_field],
                "bad-hours",
                reason=(
                    f"{min_field} が {max_field} より大きくなっています",
                    f"{min_field} is greater than {max_field}",
                ),
            )

    def url(self, tokens: Sequence[Token], url: str) -> str | None:
        """Check an http(s) URL; return its normalised form, or ``None`` if it is bad."""
        if len(url) > MAX_URL_LENGTH:
            self.add(tokens, "text-too-long", max=MAX_URL_LENGTH, length=len(url))
            return None
        try:
            return normalise_url(url)
        except InvalidURLError as exc:
            self.add(tokens, exc.code, value=url)
            return None


def _where(file: str, raw: LineDict | None, tokens: Sequence[Token]) -> str:
    line = line_at(raw, tokens)
    return file if line is None else f"{file}:{line}"


def _check_unique(
    sink: Sink,
    file: str,
    records: Iterable[tuple[str, LineDict | None, str]],
    field_name: str,
    pattern: re.Pattern[str],
    rule: Bilingual,
) -> None:
    """Check identifiers against ``pattern`` and for duplicates within one collection."""
    first_seen: dict[str, str] = {}
    for value, raw, prefix in records:
        if len(value) > MAX_SLUG_LENGTH or not pattern.fullmatch(value):
            sink.add(file, raw, prefix, [field_name], "bad-slug", value=value, rule=rule)
            continue
        if value in first_seen:
            sink.add_once_per_line(
                file,
                raw,
                prefix,
                [field_name],
                "duplicate-slug",
                value=value,
                first=first_seen[value],
            )
        else:
            first_seen[value] = _where(file, raw, [field_name])


def _check_codes(
    ctx: _Ctx,
    field_name: str,
    values: Sequence[str],
    known: Iterable[str],
    kind: Bilingual,
) -> None:
    known_set = set(known)
    for i, value in enumerate(values):
        if value not in known_set:
            ctx.add([field_name, i], "unknown-reference", kind=kind, value=value)


def _check_dss(ctx: _Ctx, field_name: str, refs: Sequence[str], catalogue: Catalogue) -> None:
    for i, ref in enumerate(refs):
        framework_slug, _, code = ref.partition(":")
        framework = catalogue.find_framework(framework_slug)
        if framework is None or framework.find_item(code) is None:
            ctx.add([field_name, i], "unknown-reference", kind=KIND_ITEM, value=ref)


# -- rules per kind ------------------------------------------------------------


def _check_tiers(located: LocatedCatalogue, sink: Sink) -> None:
    _check_unique(
        sink,
        TIERS_FILE,
        ((t.obj.code, t.raw, t.prefix) for t in located.tiers),
        "code",
        CODE_RE,
        _CODE_RULE,
    )
    for t in located.tiers:
        ctx = _Ctx(sink, TIERS_FILE, t.raw, t.prefix)
        tier = t.obj
        ctx.text(["name_ja"], tier.name_ja, japanese=True, max_length=MAX_TITLE)
        ctx.text(["name_en"], tier.name_en, japanese=False, max_length=MAX_TITLE)
        ctx.text(["short_ja"], tier.short_ja, japanese=True, max_length=MAX_TITLE)
        ctx.text(["short_en"], tier.short_en, japanese=False, max_length=MAX_TITLE)
        ctx.text(["description_ja"], tier.description_ja, japanese=True, max_length=MAX_TEXT)


def _check_levels(located: LocatedCatalogue, sink: Sink) -> None:
    _check_unique(
        sink,
        LEVELS_FILE,
        ((lv.obj.code, lv.raw, lv.prefix) for lv in located.levels),
        "code",
        CODE_RE,
        _CODE_RULE,
    )
    for lv in located.levels:
        ctx = _Ctx(sink, LEVELS_FILE, lv.raw, lv.prefix)
        level = lv.obj
        ctx.text(["name_ja"], level.name_ja, japanese=True, max_length=MAX_TITLE)
        ctx.text(["name_en"], level.name_en, japanese=False, max_length=MAX_TITLE)
        ctx.text(["short_ja"], level.short_ja, japanese=False, max_length=MAX_TITLE)
        ctx.text(["description_ja"], level.description_ja, japanese=True, max_length=MAX_TEXT)
        ctx.text(["note"], level.note, japanese=True, max_length=MAX_TEXT)


def _check_frameworks(located: LocatedCatalogue, sink: Sink) -> None:
    records = [(f.obj.slug, f.raw, f.prefix) for f in located.frameworks]
    _check_unique(sink, FRAMEWORKS_FILE, records, "slug", SLUG_RE, _SLUG_RULE)
    for f in located.frameworks:
        ctx = _Ctx(sink, FRAMEWORKS_FILE, f.raw, f.prefix)
        framework = f.obj
        if framework.slug in (TIER_FRAMEWORK, LEVEL_FRAMEWORK):
            ctx.add(
                ["slug"],
                "bad-slug",
                value=framework.slug,
                rule=("tier と level は予約語です", "'tier' and 'level' are reserved"),
            )
        ctx.text(["name_ja"], framework.name_ja, japanese=True, max_length=MAX_TITLE)
        ctx.text(["name_en"], framework.name_en, japanese=False, max_length=MAX_TITLE)
        ctx.text(["publisher"], framework.publisher, japanese=False, max_length=MAX_TITLE)
        ctx.text(["note"], framework.note, japanese=True, max_length=MAX_TEXT)
        ctx.url(["url"], framework.url)
        if framework.document_url is not None:
            ctx.url(["document_url"], framework.document_url)
        seen: set[str] = set()
        for i, item in enumerate(framework.items):
            item_raw = child_raw(f.raw, "items", i)
            item_ctx = _Ctx(sink, FRAMEWORKS_FILE, item_raw, f"{f.prefix}.items[{item.code}]")
            if len(item.code) > MAX_SLUG_LENGTH or not ITEM_CODE_RE.fullmatch(item.code):
                item_ctx.add(["code"], "bad-slug", value=item.code, rule=_ITEM_RULE)
            elif item.code in seen:
                sink.add_once_per_line(
                    FRAMEWORKS_FILE,
                    item_raw,
                    item_ctx.prefix,
                    ["code"],
                    "duplicate-slug",
                    value=item.code,
                    first=f"{framework.slug}:{item.code}",
                )
            if item.parent is not None and item.parent not in seen:
                # Parents must come first, which also rules out cycles.
                item_ctx.add(["parent"], "unknown-reference", kind=KIND_PARENT, value=item.parent)
            seen.add(item.code)
            item_ctx.text(["name_ja"], item.name_ja, japanese=False, max_length=MAX_TITLE)
            item_ctx.text(["name_en"], item.name_en, japanese=False, max_length=MAX_TITLE)
            item_ctx.text(
                ["description_ja"], item.description_ja, japanese=True, max_length=MAX_TEXT
            )


def _check_courses(located: LocatedCatalogue, sink: Sink) -> None:
    catalogue = located.catalogue
    records = [(c.obj.slug, c.raw, c.prefix) for c in located.courses]
    _check_unique(sink, COURSES_FILE, records, "slug", SLUG_RE, _SLUG_RULE)
    by_url: dict[str, Located[Course]] = {}
    normalised_of: dict[str, str] = {}
    for c in located.courses:
        ctx = _Ctx(sink, COURSES_FILE, c.raw, c.prefix)
        course = c.obj
        ctx.text(["title"], course.title, japanese=course.language == "ja", max_length=MAX_TITLE)
        ctx.text(["provider"], course.provider, japanese=False, max_length=MAX_TITLE)
        ctx.text(["description"], course.description, japanese=True, max_length=MAX_TEXT)
        ctx.text(["caution"], course.caution, japanese=True, max_length=MAX_TEXT)
        for name in ("language_note", "format_note", "certificate_note", "audience_note"):
            ctx.text([name], getattr(course, name), japanese=False, max_length=MAX_SHORT_TEXT)
        ctx.text(["hours_text"], course.hours.text, japanese=False, max_length=MAX_TITLE)
        ctx.text(["source"], course.source, japanese=False, max_length=MAX_TEXT)
        ctx.text(["verification"], course.verification, japanese=False, max_length=MAX_TITLE)
        ctx.hours(course.hours, "hours_min", "hours_max")
        verdict = course.verification.strip().lower()
        if course.url_verified and not verdict.startswith("confirmed"):
            ctx.add(["url_verified"], "verification-mismatch", value=course.verification)
        if not course.tiers:
            ctx.add(["tiers"], "missing-field", name="tiers")
        if not course.levels:
            ctx.add(["levels"], "missing-field", name="levels")
        _check_codes(ctx, "tiers", course.tiers, (t.code for t in catalogue.tiers), KIND_TIER)
        _check_codes(ctx, "levels", course.levels, (lv.code for lv in catalogue.levels), KIND_LEVEL)
        _check_dss(ctx, "dss", course.dss, catalogue)

        normalised = ctx.url(["url"], course.url)
        if normalised is None:
            continue
        normalised_of[course.slug] = normalised
        first = by_url.get(normalised)
        if first is None:
            by_url[normalised] = c
        elif course.shares_url_with != first.obj.slug and first.obj.shares_url_with != course.slug:
            sink.add_once_per_line(
                COURSES_FILE,
                c.raw,
                c.prefix,
                ["url"],
                "duplicate-url",
                other=first.obj.slug,
                normalised=normalised,
            )

    for c in located.courses:
        course = c.obj
        other = course.shares_url_with
        if other is None:
            continue
        ctx = _Ctx(sink, COURSES_FILE, c.raw, c.prefix)
        if other == course.slug or catalogue.find_course(other) is None:
            ctx.add(["shares_url_with"], "unknown-reference", kind=KIND_COURSE, value=other)
        elif (
            course.slug in normalised_of
            and other in normalised_of
            and normalised_of[course.slug] != normalised_of[other]
        ):
            ctx.add(["shares_url_with"], "bad-shared-url", other=other)


def _check_exercises(located: LocatedCatalogue, sink: Sink) -> None:
    catalogue = located.catalogue
    records = [(e.obj.slug, e.raw, e.prefix) for e in located.exercises]
    _check_unique(sink, EXERCISES_FILE, records, "slug", SLUG_RE, _SLUG_RULE)
    for e in located.exercises:
        ctx = _Ctx(sink, EXERCISES_FILE, e.raw, e.prefix)
        exercise = e.obj
        ctx.text(["title"], exercise.title, japanese=True, max_length=MAX_TITLE)
        ctx.text(["title_en"], exercise.title_en, japanese=False, max_length=MAX_TITLE)
        ctx.text(["region"], exercise.region, japanese=True, max_length=MAX_TITLE)
        ctx.text(
            ["scenario"],
            exercise.scenario,
            japanese=True,
            max_length=MAX_LONG_TEXT,
            single_line=False,
        )
        ctx.text(
            ["deliverable"],
            exercise.deliverable,
            japanese=True,
            max_length=MAX_TEXT,
            single_line=False,
        )
        ctx.text(["note"], exercise.note, japanese=True, max_length=MAX_TEXT, single_line=False)
        if not exercise.tasks:
            ctx.add(["tasks"], "missing-field", name="tasks")
        for i, task in enumerate(exercise.tasks):
            ctx.text(["tasks", i], task, japanese=True, max_length=MAX_SHORT_TEXT)
        ctx.hours(exercise.hours, "hours_min", "hours_max")
        _check_codes(ctx, "tiers", exercise.tiers, (t.code for t in catalogue.tiers), KIND_TIER)
        _check_codes(
            ctx, "levels", exercise.levels, (lv.code for lv in catalogue.levels), KIND_LEVEL
        )
        _check_dss(ctx, "dss", exercise.dss, catalogue)
        for i, slug in enumerate(exercise.related_courses):
            if catalogue.find_course(slug) is None:
                ctx.add(["related_courses", i], "unknown-reference", kind=KIND_COURSE, value=slug)

        rubric = exercise.rubric
        ctx.text(["rubric", "pass_rule"], rubric.pass_rule, japanese=True, max_length=MAX_TEXT)
        if not rubric.items:
            ctx.add(["rubric", "items"], "missing-field", name="items")
        codes: set[str] = set()
        for i, item in enumerate(rubric.items):
            tokens: list[Token] = ["rubric", "items", i]
            if not ITEM_CODE_RE.fullmatch(item.code):
                ctx.add([*tokens, "code"], "bad-slug", value=item.code, rule=_ITEM_RULE)
            elif item.code in codes:
                ctx.add([*tokens, "code"], "duplicate-slug", value=item.code, first="rubric")
            codes.add(item.code)
            ctx.text([*tokens, "title"], item.title, japanese=True, max_length=MAX_TITLE)
            if not item.criteria:
                ctx.add([*tokens, "criteria"], "missing-field", name="criteria")
            for j, criterion in enumerate(item.criteria):
                ctx.text(
                    [*tokens, "criteria", j], criterion, japanese=True, max_length=MAX_SHORT_TEXT
                )


def _check_paths(located: LocatedCatalogue, sink: Sink) -> None:
    catalogue = located.catalogue
    records = [(p.obj.slug, p.raw, p.prefix) for p in located.paths]
    _check_unique(sink, PATHS_FILE, records, "slug", SLUG_RE, _SLUG_RULE)
    awarded_by: dict[str, str] = {}
    for p in located.paths:
        ctx = _Ctx(sink, PATHS_FILE, p.raw, p.prefix)
        path = p.obj
        ctx.text(["name_ja"], path.name_ja, japanese=True, max_length=MAX_TITLE)
        ctx.text(["name_en"], path.name_en, japanese=False, max_length=MAX_TITLE)
        ctx.text(["summary_ja"], path.summary_ja, japanese=True, max_length=MAX_TEXT)
        ctx.text(["summary_en"], path.summary_en, japanese=False, max_length=MAX_TEXT)
        if (path.tier is None) == (path.level is None):
            ctx.add(["tier"], "conflicting-fields", first="tier", second="level")
        if path.tier is not None and catalogue.find_tier(path.tier) is None:
            ctx.add(["tier"], "unknown-reference", kind=KIND_TIER, value=path.tier)
        if path.level is not None and catalogue.find_level(path.level) is None:
            ctx.add(["level"], "unknown-reference", kind=KIND_LEVEL, value=path.level)
        for i, slug in enumerate(path.prerequisites):
            if catalogue.find_path(slug) is None:
                ctx.add(["prerequisites", i], "unknown-reference", kind=KIND_PATH, value=slug)
        if not 0 < path.min_reflection_chars <= MAX_REFLECTION_CHARS:
            ctx.add(
                ["min_reflection_chars"],
                "bad-number",
                reason=(
                    f"1〜{MAX_REFLECTION_CHARS}にしてください",
                    f"must be 1-{MAX_REFLECTION_CHARS}",
                ),
            )

        achievement = catalogue.find_achievement(path.achievement)
        if achievement is None:
            ctx.add(
                ["achievement"], "unknown-reference", kind=KIND_ACHIEVEMENT, value=path.achievement
            )
        elif achievement.achievement_type != "LearningProgram":
            ctx.add(
                ["achievement"],
                "achievement-mismatch",
                reason=(
                    "パスのバッジは LearningProgram にしてください",
                    "a path's achievement must be a LearningProgram",
                ),
            )
        elif path.achievement in awarded_by:
            ctx.add(
                ["achievement"],
                "achievement-mismatch",
                reason=(
                    f"パス「{awarded_by[path.achievement]}」と同じバッジです",
                    f"path '{awarded_by[path.achievement]}' already awards it",
                ),
            )
        else:
            awarded_by[path.achievement] = path.slug

        _check_steps(ctx, path, catalogue)
    _check_prerequisite_cycles(located, sink)


def _check_steps(ctx: _Ctx, path: LearningPath, catalogue: Catalogue) -> None:
    if not MIN_STEPS <= len(path.steps) <= MAX_STEPS:
        ctx.add(["steps"], "step-count", min=MIN_STEPS, max=MAX_STEPS, count=len(path.steps))
    seen: set[str] = set()
    for i, step in enumerate(path.steps):
        tokens: list[Token] = ["steps", i, step.kind]
        kind = KIND_COURSE if step.kind == "course" else KIND_EXERCISE
        target: Course | Exercise | None
        if step.kind == "course":
            target = catalogue.find_course(step.slug)
        else:
            target = catalogue.find_exercise(step.slug)
            if step.review != "trainer":
                ctx.add(["steps", i, "review"], "review-mode")
        if target is None:
            ctx.add(tokens, "unknown-reference", kind=kind, value=step.slug)
        elif target.retired:
            ctx.add(tokens, "retired-reference", kind=kind, value=step.slug)
        if step.key in seen:
            ctx.add(tokens, "duplicate-step", kind=kind, value=step.slug)
        seen.add(step.key)
        ctx.text(["steps", i, "note"], step.note, japanese=True, max_length=MAX_SHORT_TEXT)

    electives = len(path.elective_steps)
    if not path.required_steps:
        ctx.add(
            ["steps"],
            "bad-completion-rule",
            reason=("必須ステップが1件もありません", "no required step"),
        )
    if not 0 <= path.electives_required <= electives:
        ctx.add(
            ["electives_required"],
            "bad-completion-rule",
            reason=(
                f"選択ステップは{electives}件なので0〜{electives}にしてください",
                f"there are {electives} elective steps, so use 0-{electives}",
            ),
        )


def _check_prerequisite_cycles(located: LocatedCatalogue, sink: Sink) -> None:
    catalogue = located.catalogue
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    reported: set[frozenset[str]] = set()
    where = {p.obj.slug: p for p in located.paths}

    def visit(slug: str, stack: list[str]) -> None:
        state[slug] = 1
        stack.append(slug)
        path = catalogue.find_path(slug)
        for i, prerequisite in enumerate(path.prerequisites if path else ()):
            if state.get(prerequisite) == 1:
                cycle = [*stack[stack.index(prerequisite) :], prerequisite]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    p = where[slug]
                    sink.add(
                        PATHS_FILE,
                        p.raw,
                        p.prefix,
                        ["prerequisites", i],
                        "cyclic-prerequisite",
                        cycle=" → ".join(cycle),
                    )
            elif prerequisite not in state and catalogue.find_path(prerequisite) is not None:
                visit(prerequisite, stack)
        stack.pop()
        state[slug] = 2

    for p in located.paths:
        if p.obj.slug not in state:
            visit(p.obj.slug, [])


def _check_achievements(located: LocatedCatalogue, sink: Sink) -> None:
    catalogue = located.catalogue
    records = [(a.obj.slug, a.raw, a.prefix) for a in located.achievements]
    _check_unique(sink, ACHIEVEMENTS_FILE, records, "slug", SLUG_RE, _SLUG_RULE)
    for a in located.achievements:
        ctx = _Ctx(sink, ACHIEVEMENTS_FILE, a.raw, a.prefix)
        achievement = a.obj
        ctx.text(["name_ja"], achievement.name_ja, japanese=True, max_length=MAX_TITLE)
        ctx.text(["name_en"], achievement.name_en, japanese=False, max_length=MAX_TITLE)
        for name, japanese in (
            ("description_ja", True),
            ("description_en", False),
            ("criteria_ja", True),
            ("criteria_en", False),
            ("note", True),
        ):
            ctx.text(
                [name],
                getattr(achievement, name),
                japanese=japanese,
                max_length=MAX_TEXT,
                single_line=False,
            )
        ctx.text(["image_alt"], achievement.image_alt, japanese=True, max_length=MAX_SHORT_TEXT)
        if not IMAGE_NAME_RE.fullmatch(achievement.image):
            ctx.add(["image"], "bad-slug", value=achievement.image, rule=_IMAGE_RULE)
        elif catalogue.find_image(achievement.image) is None:
            ctx.add(["image"], "unknown-reference", kind=KIND_IMAGE, value=achievement.image)
        if not achievement.alignments:
            ctx.add(["alignments"], "missing-field", name="alignments")
        for i, ref in enumerate(achievement.alignments):
            if catalogue.find_alignment_target(ref) is None:
                ctx.add(["alignments", i], "unknown-reference", kind=KIND_ALIGNMENT, value=ref)
        for i, slug in enumerate(achievement.requires):
            if slug == achievement.slug or catalogue.find_achievement(slug) is None:
                ctx.add(["requires", i], "unknown-reference", kind=KIND_ACHIEVEMENT, value=slug)

        awarding_paths = [p.slug for p in catalogue.paths if p.achievement == achievement.slug]
        if achievement.achievement_type == "LearningProgram":
            if achievement.issuance != "path-completion":
                ctx.add(
                    ["issuance"],
                    "achievement-mismatch",
                    reason=(
                        "LearningProgram は path-completion で発行します",
                        "a LearningProgram is issued on path-completion",
                    ),
                )
            if achievement.validity_years is not None:
                ctx.add(
                    ["validity_years"],
                    "achievement-mismatch",
                    reason=(
                        "パスのバッジに有効期間は付けません",
                        "path badges have no validity period",
                    ),
                )
            if not awarding_paths:
                ctx.add(
                    ["slug"],
                    "achievement-mismatch",
                    reason=("どのパスからも参照されていません", "no path awards it"),
                )
        else:
            if achievement.issuance != "hr-approval":
                ctx.add(
                    ["issuance"],
                    "achievement-mismatch",
                    reason=(
                        "Certificate は人事担当の承認（hr-approval）で発行します",
                        "a Certificate is issued on hr-approval",
                    ),
                )
            years = achievement.validity_years
            if years is None or not 1 <= years <= MAX_VALIDITY_YEARS:
                ctx.add(
                    ["validity_years"],
                    "achievement-mismatch",
                    reason=(
                        f"認定には1〜{MAX_VALIDITY_YEARS}年の有効期間が必要です",
                        f"a certification needs a validity of 1-{MAX_VALIDITY_YEARS} years",
                    ),
                )


def svg_problems(svg: str) -> list[Bilingual]:
    """Why an SVG is not acceptable as a self-contained 512×512 badge image (empty if fine)."""
    problems: list[Bilingual] = []
    if len(svg.encode("utf-8")) > MAX_IMAGE_BYTES:
        problems.append(
            (f"{MAX_IMAGE_BYTES}バイトを超えています", f"larger than {MAX_IMAGE_BYTES} bytes")
        )
    if not re.search(r"<svg\b", svg):
        problems.append(("SVGではありません", "not an SVG document"))
    elif not re.search(r"<svg\b[^>]*\bviewBox=\"0 0 512 512\"", svg):
        problems.append(('viewBox="0 0 512 512" が必要です', 'needs viewBox="0 0 512 512"'))
    if _UNSAFE_SVG_RE.search(svg):
        problems.append(
            (
                "スクリプト・外部画像・DOCTYPEなどは使えません",
                "scripts, embedded images, DOCTYPE and the like are not allowed",
            )
        )
    if _EXTERNAL_REF_RE.search(svg):
        problems.append(("外部への参照は使えません", "external references are not allowed"))
    if "<title" not in svg:
        problems.append(
            ("<title> で代替テキストを付けてください", "add a <title> text alternative")
        )
    return problems


def _check_images(located: LocatedCatalogue, sink: Sink) -> None:
    for image in located.catalogue.images:
        file = f"{IMAGES_DIR}/{image.filename}"
        problems = svg_problems(image.svg)
        if problems:
            reason = ("、".join(ja for ja, _ in problems), "; ".join(en for _, en in problems))
            sink.add(file, None, f"images[{image.filename}]", [], "bad-image", reason=reason)
