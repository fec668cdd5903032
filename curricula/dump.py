"""Write a catalogue back as data files, in the one canonical layout.

The output is deterministic (fixed key order, UTF-8, Japanese written as-is),
so ``load_catalogue(dump_catalogue(c))`` equals ``c`` and a re-export of an
unchanged catalogue gives no diff. The shipped data files are kept in this
form; ``python -m curricula format`` rewrites hand-edited files into it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import yaml

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
    Catalogue,
    Course,
    Exercise,
    Framework,
    LearningPath,
    Scheme,
    StaffLevel,
    Step,
    Tier,
)

_HEADERS: Final[dict[str, str]] = {
    TIERS_FILE: """\
# 人材像（4類型）: 北海道のデジタル人材育成作業部会が定めた4つの人材像。
# Talent tiers T1-T4 defined by the prefecture's working group.
# code は講座・パス・バッジから参照されるため変更しないこと (codes are referenced; never change them).
""",
    LEVELS_FILE: """\
# 対象レベル: 全職員（基礎）と デジタル人材区分のレベル1・レベル2以上。
# Audience levels: the all-staff baseline and the staff digital-talent levels L1 and L2+.
# kind: baseline = 全職員向けの基礎 / staff-level = スキル認定の対象となるレベル
""",
    FRAMEWORKS_FILE: """\
# アラインメント先のスキル標準: DXリテラシー標準 (DSS-L) と DX推進スキル標準 (DSS-P)。
# Skill frameworks used as alignment targets. Reference them as "<slug>:<code>", e.g. dss-l:why.society.
# confirmed: false = 出典で未確認の名称（参考資料で [K]）。公式PDFで確認すること。
#            false = wording not seen in a stored source ([K] in the reference); check the official PDF.
# 親項目 (parent) は子より前に書くこと (parents come before their children).
""",
    COURSES_FILE: """\
# 講座・教材カタログ（すべて無料で学べる外部の講座・教材。ポータルはリンクのみ）。
# Catalogue of free external courses and materials (the portal links, never hosts).
#
# slug            一度公開したら変更・再利用しない (stable; never reused). 廃止は retired: true
# url_verified    出典でURLを確認済みなら true、推定URLは false (false = best guess; check before publishing)
# shares_url_with 同じURL（講座一覧ページ等）を使う先行の講座 (an earlier course at the same URL)
# language        ja / en        format  mooc, e-learning, video, text, web, slides, notebooks,
#                                        portal, reference, checklist, dataset, exam-practice, pbl, programme
# hours_min/max   学習時間の目安（時間）。hours_text は出典の表記 (original wording)
# certificate     free = 無料の修了証あり / paid = 修了証は有料 / none = なし / unknown = 未確認
# tiers           T1-T4          levels  ALL (全職員) / L1 / L2 (レベル2以上)
# dss             スキル標準の項目 (framework items), e.g. dss-l:how.caution.security, dss-p:sec.manager
# caution         受講者への注意（有料部分、開講期間など） (provider cautions shown to learners)
# source / verification  参考資料 courses.csv の出典と確認状況（原文のまま） (kept verbatim)
""",
    EXERCISES_FILE: """\
# 模擬演習: 道内の地域課題を題材にした演習。提出物は研修担当がルーブリックでレビューする。
# Regional exercises; submissions are reviewed by a trainer against the rubric.
# 地域・団体名は架空の設定です (towns and figures in the scenarios are fictional).
""",
    PATHS_FILE: """\
# ラーニングパス: 人材像 T1-T4 と レベル L1・L2 の6本。
# Learning paths. Each step is a course or an exercise:
#   required: true = 必須 / false = 選択     review: self = 自己申告 / trainer = 研修担当がレビュー
# 修了条件 (completion rule): 必須ステップすべて + 選択ステップ electives_required 件以上。
# 学習時間はステップから自動計算する (hours are computed from the steps).
# min_reflection_chars: 各ステップの振り返りの最低文字数 (minimum reflection length per step).
# step の識別子は "course:<slug>" / "exercise:<slug>" なので、並べ替えても進捗は失われない。
""",
    ACHIEVEMENTS_FILE: """\
# バッジ（オープンバッジ3.0 の Achievement）。パス修了バッジ (LearningProgram) と
# 人事担当が承認するレベル認定 (Certificate、有効期間つき)。
# Open Badges 3.0 achievements: one LearningProgram per path, plus the HR-approved level
# certifications (Certificate, with a validity period in years).
# alignments: tier:T1 / level:L1 はポータルの人材像・レベルのページ、dss-l: / dss-p: は IPA の公式ページ。
# image: images/ 以下の SVG (512x512, 外部参照なし).
""",
}


class _Flow(list[Any]):
    """A list written on one line: ``[T1, T2]``."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent block sequences under their key, as people usually write them.
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: _Dumper, data: str) -> yaml.ScalarNode:
    if "\n" in data.strip():
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


def _represent_float(dumper: _Dumper, data: float) -> yaml.ScalarNode:
    if data.is_integer():
        return dumper.represent_int(int(data))
    return dumper.represent_float(data)


def _represent_flow(dumper: _Dumper, data: _Flow) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(float, _represent_float)
_Dumper.add_representer(_Flow, _represent_flow)


def _put(record: dict[str, Any], key: str, value: Any) -> None:
    """Set an optional field, leaving out ``None``, empty lists and ``False``."""
    if value is None or value is False or (isinstance(value, tuple | list) and not value):
        return
    record[key] = _Flow(value) if isinstance(value, tuple) else value


def _scheme(scheme: Scheme) -> dict[str, Any]:
    record: dict[str, Any] = {"name_ja": scheme.name_ja, "name_en": scheme.name_en}
    _put(record, "note", scheme.note)
    return record


def _tier(tier: Tier) -> dict[str, Any]:
    return {
        "code": tier.code,
        "name_ja": tier.name_ja,
        "name_en": tier.name_en,
        "short_ja": tier.short_ja,
        "short_en": tier.short_en,
        "description_ja": tier.description_ja,
    }


def _level(level: StaffLevel) -> dict[str, Any]:
    record: dict[str, Any] = {
        "code": level.code,
        "kind": level.kind,
        "name_ja": level.name_ja,
        "name_en": level.name_en,
        "short_ja": level.short_ja,
        "description_ja": level.description_ja,
    }
    _put(record, "note", level.note)
    return record


def _framework(framework: Framework) -> dict[str, Any]:
    record: dict[str, Any] = {
        "slug": framework.slug,
        "name_ja": framework.name_ja,
        "name_en": framework.name_en,
        "publisher": framework.publisher,
        "url": framework.url,
    }
    _put(record, "document_url", framework.document_url)
    _put(record, "version", framework.version)
    _put(record, "note", framework.note)
    items: list[dict[str, Any]] = []
    for item in framework.items:
        entry: dict[str, Any] = {"code": item.code, "kind": item.kind}
        _put(entry, "parent", item.parent)
        entry["name_ja"] = item.name_ja
        entry["name_en"] = item.name_en
        entry["confirmed"] = item.confirmed
        _put(entry, "description_ja", item.description_ja)
        items.append(entry)
    record["items"] = items
    return record


def _course(course: Course) -> dict[str, Any]:
    record: dict[str, Any] = {
        "slug": course.slug,
        "title": course.title,
        "provider": course.provider,
        "url": course.url,
        "url_verified": course.url_verified,
    }
    _put(record, "shares_url_with", course.shares_url_with)
    record["language"] = course.language
    _put(record, "language_note", course.language_note)
    record["hours_min"] = course.hours.min
    record["hours_max"] = course.hours.max
    _put(record, "hours_text", course.hours.text)
    record["format"] = course.format
    _put(record, "format_note", course.format_note)
    record["certificate"] = course.certificate
    _put(record, "certificate_note", course.certificate_note)
    record["tiers"] = _Flow(course.tiers)
    record["levels"] = _Flow(course.levels)
    _put(record, "audience_note", course.audience_note)
    _put(record, "dss", course.dss)
    record["description"] = course.description
    _put(record, "caution", course.caution)
    record["source"] = course.source
    record["verification"] = course.verification
    _put(record, "retired", course.retired)
    return record


def _exercise(exercise: Exercise) -> dict[str, Any]:
    record: dict[str, Any] = {
        "slug": exercise.slug,
        "title": exercise.title,
        "title_en": exercise.title_en,
        "sector": exercise.sector,
        "region": exercise.region,
        "tiers": _Flow(exercise.tiers),
        "levels": _Flow(exercise.levels),
    }
    _put(record, "dss", exercise.dss)
    record["hours_min"] = exercise.hours.min
    record["hours_max"] = exercise.hours.max
    record["scenario"] = exercise.scenario
    record["tasks"] = list(exercise.tasks)
    record["deliverable"] = exercise.deliverable
    _put(record, "related_courses", exercise.related_courses)
    record["rubric"] = {
        "pass_rule": exercise.rubric.pass_rule,
        "items": [
            {"code": item.code, "title": item.title, "criteria": list(item.criteria)}
            for item in exercise.rubric.items
        ],
    }
    _put(record, "note", exercise.note)
    _put(record, "retired", exercise.retired)
    return record


def _step(step: Step) -> dict[str, Any]:
    record: dict[str, Any] = {
        step.kind: step.slug,
        "required": step.required,
        "review": step.review,
    }
    _put(record, "note", step.note)
    return record


def _path(path: LearningPath) -> dict[str, Any]:
    record: dict[str, Any] = {"slug": path.slug}
    _put(record, "tier", path.tier)
    _put(record, "level", path.level)
    record["name_ja"] = path.name_ja
    record["name_en"] = path.name_en
    record["summary_ja"] = path.summary_ja
    record["summary_en"] = path.summary_en
    _put(record, "prerequisites", path.prerequisites)
    record["achievement"] = path.achievement
    record["min_reflection_chars"] = path.min_reflection_chars
    record["electives_required"] = path.electives_required
    record["steps"] = [_step(step) for step in path.steps]
    return record


def _achievement(achievement: Achievement) -> dict[str, Any]:
    record: dict[str, Any] = {
        "slug": achievement.slug,
        "achievement_type": achievement.achievement_type,
        "issuance": achievement.issuance,
        "name_ja": achievement.name_ja,
        "name_en": achievement.name_en,
        "description_ja": achievement.description_ja,
    }
    _put(record, "description_en", achievement.description_en)
    record["criteria_ja"] = achievement.criteria_ja
    _put(record, "criteria_en", achievement.criteria_en)
    record["image"] = achievement.image
    record["image_alt"] = achievement.image_alt
    record["alignments"] = _Flow(achievement.alignments)
    _put(record, "requires", achievement.requires)
    _put(record, "validity_years", achievement.validity_years)
    _put(record, "note", achievement.note)
    return record


def render_yaml(file: str, document: dict[str, Any]) -> str:
    """Render one data file: its header comment, then the YAML with a blank line between records."""
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=4096,
    )
    lines: list[str] = []
    for line in body.splitlines():
        # A blank line between records and between top-level keys, for reviewers.
        record_start = line.startswith("  - ") and lines and not lines[-1].endswith(":")
        if record_start or (lines and line[:1] not in (" ", "")):
            lines.append("")
        lines.append(line)
    return _HEADERS.get(file, "") + "\n" + "\n".join(lines) + "\n"


def catalogue_documents(catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    """The plain data of each file, keyed by file name, in canonical order."""

    def many(items: Iterable[Any], convert: Any) -> list[dict[str, Any]]:
        return [convert(item) for item in items]

    return {
        TIERS_FILE: {
            "scheme": _scheme(catalogue.tier_scheme),
            "tiers": many(catalogue.tiers, _tier),
        },
        LEVELS_FILE: {
            "scheme": _scheme(catalogue.level_scheme),
            "levels": many(catalogue.levels, _level),
        },
        FRAMEWORKS_FILE: {"frameworks": many(catalogue.frameworks, _framework)},
        COURSES_FILE: {"courses": many(catalogue.courses, _course)},
        EXERCISES_FILE: {"exercises": many(catalogue.exercises, _exercise)},
        PATHS_FILE: {"paths": many(catalogue.paths, _path)},
        ACHIEVEMENTS_FILE: {"achievements": many(catalogue.achievements, _achievement)},
    }


def dump_catalogue(catalogue: Catalogue, directory: str | os.PathLike[str]) -> list[Path]:
    """Write ``catalogue`` as data files (and ``images/*.svg``) into ``directory``.

    Existing files of the same names are overwritten; other files are left
    alone. Returns the paths written.

    :raises OSError: if the directory cannot be written.
    """
    root = Path(directory)
    (root / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for file, document in catalogue_documents(catalogue).items():
        target = root / file
        target.write_text(render_yaml(file, document), encoding="utf-8", newline="\n")
        written.append(target)
    for image in catalogue.images:
        target = root / IMAGES_DIR / image.filename
        target.write_text(image.svg, encoding="utf-8", newline="\n")
        written.append(target)
    return written
