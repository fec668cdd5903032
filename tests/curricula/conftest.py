"""Fixtures for the catalogue package tests: a tiny valid catalogue written to tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from curricula import Issue, parse_catalogue

SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" role="img">
  <title>テスト用バッジ</title>
  <circle id="bg" cx="256" cy="256" r="240" fill="#1D4ED8"/>
</svg>
"""

TIERS = """\
scheme:
  name_ja: 人材像（4類型）
  name_en: Tiers
tiers:
  - code: T1
    name_ja: 生活レベルでのデジタルリテラシーを発揮できる人
    name_en: Everyday digital literacy
    short_ja: 生活レベルのデジタルリテラシー
    short_en: Everyday digital literacy
    description_ja: すべての職員が身につける基礎。
"""

LEVELS = """\
scheme:
  name_ja: デジタル人材区分
  name_en: Staff levels
levels:
  - code: ALL
    kind: baseline
    name_ja: 全職員（基礎）
    name_en: All staff
    short_ja: 全職員
    description_ja: すべての職員の基礎。
  - code: L1
    kind: staff-level
    name_ja: デジタル推進リーダー（レベル1）
    name_en: Digital Promotion Leader (Level 1)
    short_ja: L1
    description_ja: 各課に1名置く職員。
"""

FRAMEWORKS = """\
frameworks:
  - slug: dss-l
    name_ja: DXリテラシー標準
    name_en: DX Literacy Standard
    publisher: IPA
    url: https://www.ipa.go.jp/jinzai/skill-standard/dss/about_dss-l.html
    items:
      - code: why
        kind: area
        name_ja: Why（DXの背景）
        name_en: Why
        confirmed: true
      - code: why.society
        kind: item
        parent: why
        name_ja: 社会の変化
        name_en: Changes in society
        confirmed: false
"""


def _course(n: int, *, language: str = "ja", title: str | None = None) -> str:
    return f"""\
  - slug: course-{n}
    title: {title or f"講座{n}"}
    provider: 提供者{n}
    url: https://example.org/course/{n}
    url_verified: true
    language: {language}
    hours_min: 1
    hours_max: 2
    format: web
    certificate: none
    tiers: [T1]
    levels: [ALL]
    dss: ['dss-l:why.society']
    description: 講座{n}の説明。
    source: https://example.org/source/{n}
    verification: confirmed
"""


COURSES = (
    "courses:\n"
    + "".join(_course(n) for n in range(1, 6))
    + _course(6, language="en", title="An English Course")
)

EXERCISES = """\
exercises:
  - slug: exercise-1
    title: 【模擬演習】空知の農業
    title_en: 'Exercise: agriculture'
    sector: agriculture
    region: 空知総合振興局管内
    tiers: [T1]
    levels: [L1]
    hours_min: 5
    hours_max: 8
    scenario: |
      架空の町の農業の課題を考える。
      二行目。
    tasks:
      - データを集める。
      - 課題を整理する。
    deliverable: 提案書を提出する。
    rubric:
      pass_rule: すべての項目が「達成」以上。
      items:
        - code: data
          title: データの収集
          criteria:
            - 出典が明記されている
"""

PATHS = """\
paths:
  - slug: path-1
    tier: T1
    name_ja: ラーニングパス1
    name_en: Path 1
    summary_ja: テスト用のパス。
    summary_en: A test path.
    achievement: badge-1
    min_reflection_chars: 50
    electives_required: 1
    steps:
      - course: course-1
        required: true
        review: self
      - course: course-2
        required: true
        review: self
      - course: course-3
        required: false
        review: self
      - course: course-4
        required: false
        review: self
      - exercise: exercise-1
        required: true
        review: trainer
"""

ACHIEVEMENTS = """\
achievements:
  - slug: badge-1
    achievement_type: LearningProgram
    issuance: path-completion
    name_ja: パス1修了
    name_en: Path 1 completed
    description_ja: パス1を修了したことを示す。
    criteria_ja: パス1の必須ステップをすべて修了する。
    image: badge.svg
    image_alt: 青い円のバッジ
    alignments: ['tier:T1', 'dss-l:why']
"""

FILES: dict[str, str] = {
    "tiers.yaml": TIERS,
    "levels.yaml": LEVELS,
    "frameworks.yaml": FRAMEWORKS,
    "courses.yaml": COURSES,
    "exercises.yaml": EXERCISES,
    "paths.yaml": PATHS,
    "achievements.yaml": ACHIEVEMENTS,
    "images/badge.svg": SVG,
}


@pytest.fixture
def files() -> dict[str, str]:
    """A fresh copy of the tiny valid catalogue, file name → text."""
    return dict(FILES)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write files into a fresh directory under tmp_path and return it."""
    counter = iter(range(1_000))

    def _write(contents: dict[str, str]) -> Path:
        root = tmp_path / f"catalogue{next(counter)}"
        for name, text in contents.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return root

    return _write


@pytest.fixture
def check(write: Callable[[dict[str, str]], Path]) -> Callable[[dict[str, str]], list[Issue]]:
    """Write files and return the issues the loader reports for them."""

    def _check(contents: dict[str, str]) -> list[Issue]:
        _, issues = parse_catalogue(write(contents))
        return list(issues)

    return _check


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the n-th line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


@pytest.fixture(name="line_of")
def line_of_fixture() -> Callable[..., int]:
    """:func:`line_of` as a fixture."""
    return line_of
