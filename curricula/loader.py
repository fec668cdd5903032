"""Load the catalogue data files into frozen domain objects, collecting every issue.

Reading happens in two passes. The first pass checks the shape of each file
(types, required and unknown fields, allowed values) and builds the objects;
the second runs the semantic rules of :mod:`curricula.validate`. Every problem
from both passes is collected, with file, line and field, into one
:class:`~curricula.errors.CatalogueError`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast, get_args

from curricula._yaml import LineDict, LineList, read_yaml
from curricula.errors import Bilingual, CatalogueError, Issue
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
    Achievement,
    AchievementType,
    BadgeImage,
    Catalogue,
    Certificate,
    Course,
    CourseFormat,
    Exercise,
    Framework,
    FrameworkItem,
    HoursEstimate,
    Issuance,
    ItemKind,
    Language,
    LearningPath,
    LevelKind,
    ReviewMode,
    Rubric,
    RubricItem,
    Scheme,
    Sector,
    StaffLevel,
    Step,
    Tier,
)
from curricula.validate import IMAGE_NAME_RE, Located, LocatedCatalogue, Sink, Token, run_rules

#: The catalogue shipped with the package.
DEFAULT_DATA_DIR: Final = Path(__file__).resolve().parent / "data"

_EXPECTED: Final[dict[str, Bilingual]] = {
    "mapping": ("マッピング（キー: 値）", "a mapping (key: value)"),
    "list": ("リスト", "a list"),
    "string": (
        "文字列（数字・日付・yes/no だけの値は引用符で囲む）",
        "a string (quote values that look like numbers, dates or yes/no)",
    ),
    "boolean": ("true または false", "true or false"),
    "number": ("数値", "a number"),
    "integer": ("整数", "an integer"),
}

_L = TypeVar("_L", bound=str)


class _Reader:
    """Reads the fields of one YAML mapping, reporting shape problems to the sink."""

    def __init__(self, sink: Sink, file: str, raw: LineDict, prefix: str) -> None:
        self.sink = sink
        self.file = file
        self.raw = raw
        self.prefix = prefix
        self.used: set[str] = set()

    def issue(self, tokens: Sequence[Token], code: str, **params: Any) -> None:
        self.sink.add(self.file, self.raw, self.prefix, tokens, code, **params)

    def _wrong_type(self, tokens: Sequence[Token], expected: str) -> None:
        self.issue(tokens, "wrong-type", expected=_EXPECTED[expected])

    def _value(self, name: str, required: bool) -> Any:
        self.used.add(name)
        value = self.raw.get(name)
        if value is None and required:
            self.issue([name], "missing-field", name=name)
        return value

    def text(self, name: str) -> str:
        value = self.opt_text(name, required=True)
        return "" if value is None else value

    def opt_text(self, name: str, *, required: bool = False) -> str | None:
        value = self._value(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            self._wrong_type([name], "string")
            return None
        return value

    def flag(self, name: str, default: bool | None = None) -> bool:
        value = self._value(name, default is None)
        if value is None:
            return bool(default)
        if not isinstance(value, bool):
            self._wrong_type([name], "boolean")
            return bool(default)
        return value

    def number(self, name: str) -> float:
        value = self._value(name, True)
        if value is None:
            return math.nan
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._wrong_type([name], "number")
            return math.nan
        return float(value)

    def integer(self, name: str, *, required: bool = True) -> int | None:
        value = self._value(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong_type([name], "integer")
            return None
        return value

    def choice(self, name: str, literal: Any) -> Any:
        allowed: tuple[str, ...] = get_args(literal)
        value = self._value(name, True)
        if value is None:
            return allowed[0]
        if not isinstance(value, str) or value not in allowed:
            self.issue([name], "bad-value", value=str(value), allowed=", ".join(allowed))
            return allowed[0]
        return value

    def strings(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        value = self._value(name, required)
        if value is None:
            return ()
        if not isinstance(value, list):
            self._wrong_type([name], "list")
            return ()
        result: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                result.append(item)
            else:
                self._wrong_type([name, i], "string")
        return tuple(result)

    def mapping(self, name: str) -> LineDict | None:
        value = self._value(name, True)
        if value is None:
            return None
        if not isinstance(value, LineDict):
            self._wrong_type([name], "mapping")
            return None
        return value

    def mappings(self, name: str, *, required: bool = True) -> list[tuple[int, LineDict]]:
        value = self._value(name, required)
        if value is None:
            return []
        if not isinstance(value, LineList):
            self._wrong_type([name], "list")
            return []
        result: list[tuple[int, LineDict]] = []
        for i, item in enumerate(value):
            if isinstance(item, LineDict):
                result.append((i, item))
            else:
                self._wrong_type([name, i], "mapping")
        return result

    def hours(self, *, with_text: bool) -> HoursEstimate:
        low = self.number("hours_min")
        high = self.number("hours_max")
        text = self.opt_text("hours_text") if with_text else None
        return HoursEstimate(low, high, text)

    def child(self, raw: LineDict, prefix: str) -> _Reader:
        return _Reader(self.sink, self.file, raw, prefix)

    def finish(self) -> None:
        """Report keys that no rule read (typos, fields from another kind)."""
        for key in self.raw:
            if key not in self.used:
                self.issue([key], "unknown-field", name=key)


def _record_prefix(collection: str, raw: LineDict, key: str, index: int) -> str:
    value = raw.get(key)
    label = value if isinstance(value, str) and value.strip() else f"#{index}"
    return f"{collection}[{label}]"


class _Parser:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.sink = Sink()

    def root(self, file: str) -> _Reader | None:
        """Read ``file`` and check that it holds a mapping."""
        path = self.directory / file
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self.sink.add(file, None, "", [], "missing-file")
            return None
        except UnicodeDecodeError:
            self.sink.add(
                file, None, "", [], "yaml-syntax", detail=("UTF-8ではありません", "not UTF-8")
            )
            return None
        data, problems = read_yaml(text)
        for problem in problems:
            raw = LineDict(problem.line) if problem.line is not None else None
            if problem.code == "yaml-syntax":
                self.sink.add(file, raw, "", [], problem.code, detail=problem.detail)
            else:
                self.sink.add_once_per_line(
                    file, raw, problem.detail, [], problem.code, name=problem.detail
                )
        if data is None and problems:
            return None
        if not isinstance(data, LineDict):
            self.sink.add(file, None, "", [], "wrong-type", expected=_EXPECTED["mapping"])
            return None
        return _Reader(self.sink, file, data, "")

    # -- tiers and levels ------------------------------------------------------
    def scheme(self, reader: _Reader) -> Scheme:
        raw = reader.mapping("scheme")
        if raw is None:
            return Scheme("", "")
        r = reader.child(raw, "scheme")
        scheme = Scheme(r.text("name_ja"), r.text("name_en"), r.opt_text("note"))
        r.finish()
        return scheme

    def tiers(self) -> tuple[Scheme, list[Located[Tier]]]:
        reader = self.root(TIERS_FILE)
        if reader is None:
            return Scheme("", ""), []
        scheme = self.scheme(reader)
        result: list[Located[Tier]] = []
        for i, raw in reader.mappings("tiers"):
            r = reader.child(raw, _record_prefix("tiers", raw, "code", i))
            tier = Tier(
                code=r.text("code"),
                name_ja=r.text("name_ja"),
                name_en=r.text("name_en"),
                short_ja=r.text("short_ja"),
                short_en=r.text("short_en"),
                description_ja=r.text("description_ja"),
            )
            r.finish()
            result.append(Located(tier, raw, r.prefix))
        reader.finish()
        return scheme, result

    def levels(self) -> tuple[Scheme, list[Located[StaffLevel]]]:
        reader = self.root(LEVELS_FILE)
        if reader is None:
            return Scheme("", ""), []
        scheme = self.scheme(reader)
        result: list[Located[StaffLevel]] = []
        for i, raw in reader.mappings("levels"):
            r = reader.child(raw, _record_prefix("levels", raw, "code", i))
            level = StaffLevel(
                code=r.text("code"),
                kind=cast(LevelKind, r.choice("kind", LevelKind)),
                name_ja=r.text("name_ja"),
                name_en=r.text("name_en"),
                short_ja=r.text("short_ja"),
                description_ja=r.text("description_ja"),
                note=r.opt_text("note"),
            )
            r.finish()
            result.append(Located(level, raw, r.prefix))
        reader.finish()
        return scheme, result

    # -- frameworks --------------------------------------------------------------
    def frameworks(self) -> list[Located[Framework]]:
        reader = self.root(FRAMEWORKS_FILE)
        if reader is None:
            return []
        result: list[Located[Framework]] = []
        for i, raw in reader.mappings("frameworks"):
            r = reader.child(raw, _record_prefix("frameworks", raw, "slug", i))
            items: list[FrameworkItem] = []
            for j, item_raw in r.mappings("items"):
                ir = r.child(item_raw, f"{r.prefix}.{_record_prefix('items', item_raw, 'code', j)}")
                items.append(
                    FrameworkItem(
                        code=ir.text("code"),
                        kind=cast(ItemKind, ir.choice("kind", ItemKind)),
                        name_ja=ir.text("name_ja"),
                        name_en=ir.text("name_en"),
                        parent=ir.opt_text("parent"),
                        confirmed=ir.flag("confirmed", default=True),
                        description_ja=ir.opt_text("description_ja"),
                    )
                )
                ir.finish()
            framework = Framework(
                slug=r.text("slug"),
                name_ja=r.text("name_ja"),
                name_en=r.text("name_en"),
                publisher=r.text("publisher"),
                url=r.text("url"),
                items=tuple(items),
                document_url=r.opt_text("document_url"),
                version=r.opt_text("version"),
                note=r.opt_text("note"),
            )
            r.finish()
            result.append(Located(framework, raw, r.prefix))
        reader.finish()
        return result

    # -- courses -----------------------------------------------------------------
    def courses(self) -> list[Located[Course]]:
        reader = self.root(COURSES_FILE)
        if reader is None:
            return []
        result: list[Located[Course]] = []
        for i, raw in reader.mappings("courses"):
            r = reader.child(raw, _record_prefix("courses", raw, "slug", i))
            course = Course(
                slug=r.text("slug"),
                title=r.text("title"),
                provider=r.text("provider"),
                url=r.text("url"),
                url_verified=r.flag("url_verified"),
                shares_url_with=r.opt_text("shares_url_with"),
                language=cast(Language, r.choice("language", Language)),
                language_note=r.opt_text("language_note"),
                hours=r.hours(with_text=True),
                format=cast(CourseFormat, r.choice("format", CourseFormat)),
                format_note=r.opt_text("format_note"),
                certificate=cast(Certificate, r.choice("certificate", Certificate)),
                certificate_note=r.opt_text("certificate_note"),
                tiers=r.strings("tiers", required=True),
                levels=r.strings("levels", required=True),
                audience_note=r.opt_text("audience_note"),
                dss=r.strings("dss"),
                description=r.text("description"),
                caution=r.opt_text("caution"),
                source=r.text("source"),
                verification=r.text("verification"),
                retired=r.flag("retired", default=False),
            )
            r.finish()
            result.append(Located(course, raw, r.prefix))
        reader.finish()
        return result

    # -- exercises ---------------------------------------------------------------
    def exercises(self) -> list[Located[Exercise]]:
        reader = self.root(EXERCISES_FILE)
        if reader is None:
            return []
        result: list[Located[Exercise]] = []
        for i, raw in reader.mappings("exercises"):
            r = reader.child(raw, _record_prefix("exercises", raw, "slug", i))
            exercise = Exercise(
                slug=r.text("slug"),
                title=r.text("title"),
                title_en=r.text("title_en"),
                sector=cast(Sector, r.choice("sector", Sector)),
                region=r.text("region"),
                tiers=r.strings("tiers", required=True),
                levels=r.strings("levels", required=True),
                dss=r.strings("dss"),
                hours=r.hours(with_text=False),
                scenario=r.text("scenario"),
                tasks=r.strings("tasks", required=True),
                deliverable=r.text("deliverable"),
                related_courses=r.strings("related_courses"),
                rubric=self.rubric(r),
                note=r.opt_text("note"),
                retired=r.flag("retired", default=False),
            )
            r.finish()
            result.append(Located(exercise, raw, r.prefix))
        reader.finish()
        return result

    def rubric(self, reader: _Reader) -> Rubric:
        raw = reader.mapping("rubric")
        if raw is None:
            return Rubric("", ())
        r = reader.child(raw, f"{reader.prefix}.rubric")
        items: list[RubricItem] = []
        for j, item_raw in r.mappings("items"):
            ir = r.child(item_raw, f"{r.prefix}.items[{j}]")
            items.append(
                RubricItem(
                    code=ir.text("code"),
                    title=ir.text("title"),
                    criteria=ir.strings("criteria", required=True),
                )
            )
            ir.finish()
        rubric = Rubric(pass_rule=r.text("pass_rule"), items=tuple(items))
        r.finish()
        return rubric

    # -- paths -------------------------------------------------------------------
    def paths(self) -> list[Located[LearningPath]]:
        reader = self.root(PATHS_FILE)
        if reader is None:
            return []
        result: list[Located[LearningPath]] = []
        for i, raw in reader.mappings("paths"):
            r = reader.child(raw, _record_prefix("paths", raw, "slug", i))
            tier = r.opt_text("tier")
            level = r.opt_text("level")
            if (tier is None) == (level is None) and not (
                r.sink.is_tainted(r.file, r.prefix, ["tier"])
                or r.sink.is_tainted(r.file, r.prefix, ["level"])
            ):
                r.issue(["tier"], "conflicting-fields", first="tier", second="level")
            steps = [self.step(r, j, step_raw) for j, step_raw in r.mappings("steps")]
            path = LearningPath(
                slug=r.text("slug"),
                tier=tier,
                level=level,
                name_ja=r.text("name_ja"),
                name_en=r.text("name_en"),
                summary_ja=r.text("summary_ja"),
                summary_en=r.text("summary_en"),
                prerequisites=r.strings("prerequisites"),
                achievement=r.text("achievement"),
                min_reflection_chars=r.integer("min_reflection_chars") or 0,
                electives_required=r.integer("electives_required") or 0,
                steps=tuple(steps),
            )
            r.finish()
            result.append(Located(path, raw, r.prefix))
        reader.finish()
        return result

    def step(self, reader: _Reader, index: int, raw: LineDict) -> Step:
        r = reader.child(raw, f"{reader.prefix}.steps[{index}]")
        course = r.opt_text("course")
        exercise = r.opt_text("exercise")
        kind: Literal["course", "exercise"] = "course" if exercise is None else "exercise"
        if (course is None) == (exercise is None) and not (
            r.sink.is_tainted(r.file, r.prefix, ["course"])
            or r.sink.is_tainted(r.file, r.prefix, ["exercise"])
        ):
            r.issue(["course"], "conflicting-fields", first="course", second="exercise")
        step = Step(
            kind=kind,
            slug=course or exercise or "",
            required=r.flag("required"),
            review=cast(ReviewMode, r.choice("review", ReviewMode)),
            note=r.opt_text("note"),
        )
        r.finish()
        return step

    # -- achievements and images -------------------------------------------------
    def achievements(self) -> list[Located[Achievement]]:
        reader = self.root(ACHIEVEMENTS_FILE)
        if reader is None:
            return []
        result: list[Located[Achievement]] = []
        for i, raw in reader.mappings("achievements"):
            r = reader.child(raw, _record_prefix("achievements", raw, "slug", i))
            achievement = Achievement(
                slug=r.text("slug"),
                achievement_type=cast(
                    AchievementType, r.choice("achievement_type", AchievementType)
                ),
                issuance=cast(Issuance, r.choice("issuance", Issuance)),
                name_ja=r.text("name_ja"),
                name_en=r.text("name_en"),
                description_ja=r.text("description_ja"),
                description_en=r.opt_text("description_en"),
                criteria_ja=r.text("criteria_ja"),
                criteria_en=r.opt_text("criteria_en"),
                image=r.text("image"),
                image_alt=r.text("image_alt"),
                alignments=r.strings("alignments", required=True),
                requires=r.strings("requires"),
                validity_years=r.integer("validity_years", required=False),
                note=r.opt_text("note"),
            )
            r.finish()
            result.append(Located(achievement, raw, r.prefix))
        reader.finish()
        return result

    def images(self, achievements: Sequence[Located[Achievement]]) -> list[BadgeImage]:
        """Read the SVG files the achievements name (missing ones are reported later)."""
        images: dict[str, BadgeImage] = {}
        for a in achievements:
            name = a.obj.image
            if name in images or not IMAGE_NAME_RE.fullmatch(name):
                continue
            path = self.directory / IMAGES_DIR / name
            try:
                svg = path.read_bytes().decode("utf-8")
            except FileNotFoundError:
                continue
            except UnicodeDecodeError:
                svg = ""
            images[name] = BadgeImage(name, svg)
        return [images[name] for name in sorted(images)]


def parse_catalogue(
    path: str | os.PathLike[str] | None = None,
) -> tuple[Catalogue, tuple[Issue, ...]]:
    """Parse and validate a catalogue directory without raising on issues.

    Returns the catalogue built from whatever could be read and every issue
    found. Prefer :func:`load_catalogue` unless you want to show all issues
    next to a partial result.
    """
    directory = DEFAULT_DATA_DIR if path is None else Path(path)
    parser = _Parser(directory)
    tier_scheme, tiers = parser.tiers()
    level_scheme, levels = parser.levels()
    frameworks = parser.frameworks()
    courses = parser.courses()
    exercises = parser.exercises()
    paths = parser.paths()
    achievements = parser.achievements()
    catalogue = Catalogue(
        tier_scheme=tier_scheme,
        tiers=tuple(t.obj for t in tiers),
        level_scheme=level_scheme,
        levels=tuple(lv.obj for lv in levels),
        frameworks=tuple(f.obj for f in frameworks),
        courses=tuple(c.obj for c in courses),
        exercises=tuple(e.obj for e in exercises),
        paths=tuple(p.obj for p in paths),
        achievements=tuple(a.obj for a in achievements),
        images=tuple(parser.images(achievements)),
    )
    located = LocatedCatalogue(
        catalogue=catalogue,
        tiers=tiers,
        levels=levels,
        frameworks=frameworks,
        courses=courses,
        exercises=exercises,
        paths=paths,
        achievements=achievements,
    )
    run_rules(located, parser.sink)
    return catalogue, tuple(parser.sink.issues)


def load_catalogue(path: str | os.PathLike[str] | None = None) -> Catalogue:
    """Load and validate the catalogue in ``path`` (default: the shipped data).

    :raises CatalogueError: listing every issue (file, line, field, code,
        Japanese and English message) if any rule fails.
    """
    catalogue, issues = parse_catalogue(path)
    if issues:
        raise CatalogueError(issues)
    return catalogue
