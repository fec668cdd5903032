"""Each validator rule rejects bad data with the right file, line, field and code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from curricula import CatalogueError, Issue, load_catalogue, validate_catalogue

Check = Callable[[dict[str, str]], list[Issue]]
LineOf = Callable[..., int]


def only(issues: list[Issue]) -> Issue:
    assert len(issues) == 1, "\n".join(str(issue) for issue in issues)
    return issues[0]


def assert_issue(issue: Issue, file: str, line: int | None, field: str, code: str) -> None:
    assert (issue.file, issue.line, issue.field, issue.code) == (file, line, field, code), str(
        issue
    )
    assert issue.message_ja
    assert issue.message_en


def test_minimal_fixture_is_valid(check: Check, files: dict[str, str]) -> None:
    assert check(files) == []


def test_load_catalogue_raises_with_every_issue(
    write: Callable[[dict[str, str]], Path], files: dict[str, str]
) -> None:
    files["courses.yaml"] = files["courses.yaml"].replace("tiers: [T1]", "tiers: [T9]", 1)
    files["paths.yaml"] = files["paths.yaml"].replace("course: course-3", "course: nope")
    files["achievements.yaml"] = files["achievements.yaml"].replace("badge.svg", "gone.svg")
    with pytest.raises(CatalogueError) as excinfo:
        load_catalogue(write(files))
    codes = sorted((issue.file, issue.code) for issue in excinfo.value.issues)
    assert codes == [
        ("achievements.yaml", "unknown-reference"),
        ("courses.yaml", "unknown-reference"),
        ("paths.yaml", "unknown-reference"),
    ]
    assert "3 catalogue issue(s)" in str(excinfo.value)


# -- unknown references -----------------------------------------------------------


def test_unknown_tier(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["courses.yaml"].replace("tiers: [T1]", "tiers: [T1, T9]", 2)
    files["courses.yaml"] = text
    issues = check(files)
    assert len(issues) == 2
    assert_issue(
        issues[1],
        "courses.yaml",
        line_of(text, "T9", 2),
        "courses[course-2].tiers[1]",
        "unknown-reference",
    )
    assert "T9" in issues[1].message_ja


def test_unknown_level(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["exercises.yaml"].replace("levels: [L1]", "levels: [L3]")
    files["exercises.yaml"] = text
    assert_issue(
        only(check(files)),
        "exercises.yaml",
        line_of(text, "L3"),
        "exercises[exercise-1].levels[0]",
        "unknown-reference",
    )


def test_unknown_framework_item(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["courses.yaml"].replace("dss-l:why.society", "dss-l:why.nothing", 1)
    files["courses.yaml"] = text
    assert_issue(
        only(check(files)),
        "courses.yaml",
        line_of(text, "why.nothing"),
        "courses[course-1].dss[0]",
        "unknown-reference",
    )


def test_unknown_course_and_exercise_in_steps(
    check: Check, files: dict[str, str], line_of: LineOf
) -> None:
    text = (
        files["paths.yaml"]
        .replace("course: course-2", "course: course-99")
        .replace("exercise: exercise-1", "exercise: exercise-99")
    )
    files["paths.yaml"] = text
    issues = check(files)
    assert len(issues) == 2
    assert_issue(
        issues[0],
        "paths.yaml",
        line_of(text, "course-99"),
        "paths[path-1].steps[1].course",
        "unknown-reference",
    )
    assert_issue(
        issues[1],
        "paths.yaml",
        line_of(text, "exercise-99"),
        "paths[path-1].steps[4].exercise",
        "unknown-reference",
    )


def test_unknown_prerequisite(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["paths.yaml"].replace(
        "    achievement: badge-1", "    prerequisites: [path-0]\n    achievement: badge-1"
    )
    files["paths.yaml"] = text
    assert_issue(
        only(check(files)),
        "paths.yaml",
        line_of(text, "prerequisites"),
        "paths[path-1].prerequisites[0]",
        "unknown-reference",
    )


def test_unknown_achievement_image(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["achievements.yaml"].replace("image: badge.svg", "image: missing.svg")
    files["achievements.yaml"] = text
    issue = only(check(files))
    assert_issue(
        issue,
        "achievements.yaml",
        line_of(text, "missing.svg"),
        "achievements[badge-1].image",
        "unknown-reference",
    )


def test_image_name_cannot_leave_the_images_directory(check: Check, files: dict[str, str]) -> None:
    files["achievements.yaml"] = files["achievements.yaml"].replace(
        "image: badge.svg", "image: ../tiers.yaml"
    )
    assert only(check(files)).code == "bad-slug"


def test_unknown_alignment(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["achievements.yaml"].replace("'tier:T1'", "'tier:T7'")
    files["achievements.yaml"] = text
    assert_issue(
        only(check(files)),
        "achievements.yaml",
        line_of(text, "alignments"),
        "achievements[badge-1].alignments[0]",
        "unknown-reference",
    )


def test_unknown_achievement_in_path(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["paths.yaml"].replace("achievement: badge-1", "achievement: badge-x")
    files["paths.yaml"] = text
    issues = check(files)
    assert_issue(
        issues[0],
        "paths.yaml",
        line_of(text, "badge-x"),
        "paths[path-1].achievement",
        "unknown-reference",
    )
    # badge-1 is now awarded by no path.
    assert issues[1].code == "achievement-mismatch"
    assert issues[1].field == "achievements[badge-1].slug"


def test_unknown_framework_parent(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["frameworks.yaml"].replace("parent: why", "parent: what")
    files["frameworks.yaml"] = text
    assert_issue(
        only(check(files)),
        "frameworks.yaml",
        line_of(text, "parent: what"),
        "frameworks[dss-l].items[why.society].parent",
        "unknown-reference",
    )


# -- duplicates -----------------------------------------------------------------


def test_duplicate_slug(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["courses.yaml"].replace("slug: course-2", "slug: course-1")
    files["courses.yaml"] = text
    issues = [issue for issue in check(files) if issue.code == "duplicate-slug"]
    assert_issue(
        only(issues),
        "courses.yaml",
        line_of(text, "slug: course-1", 2),
        "courses[course-1].slug",
        "duplicate-slug",
    )
    assert f"courses.yaml:{line_of(text, 'slug: course-1')}" in issues[0].message_en


def test_duplicate_url_after_normalisation(
    check: Check, files: dict[str, str], line_of: LineOf
) -> None:
    text = files["courses.yaml"].replace(
        "url: https://example.org/course/3",
        "url: HTTPS://WWW.Example.org:443/course/1/?utm_source=mail&utm_medium=x#top",
    )
    files["courses.yaml"] = text
    issue = only(check(files))
    assert_issue(
        issue, "courses.yaml", line_of(text, "HTTPS://"), "courses[course-3].url", "duplicate-url"
    )
    assert "course-1" in issue.message_ja
    assert "https://example.org/course/1" in issue.message_en


def test_shared_url_is_allowed_when_declared(check: Check, files: dict[str, str]) -> None:
    files["courses.yaml"] = files["courses.yaml"].replace(
        "    url: https://example.org/course/3\n",
        "    url: https://example.org/course/1#part-3\n    shares_url_with: course-1\n",
    )
    assert check(files) == []


def test_shared_url_must_really_match(check: Check, files: dict[str, str]) -> None:
    files["courses.yaml"] = files["courses.yaml"].replace(
        "    url: https://example.org/course/3\n",
        "    url: https://example.org/course/3\n    shares_url_with: course-1\n",
    )
    assert only(check(files)).code == "bad-shared-url"


def test_duplicate_yaml_key(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["tiers.yaml"].replace(
        "    short_en: Everyday digital literacy\n",
        "    short_en: Everyday digital literacy\n    short_en: again\n",
    )
    files["tiers.yaml"] = text
    issue = only(check(files))
    assert (issue.file, issue.line, issue.code) == (
        "tiers.yaml",
        line_of(text, "short_en: again"),
        "duplicate-key",
    )


# -- URLs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("javascript:alert(1)", "bad-url-scheme"),
        ("data:text/html;base64,PHNjcmlwdD4=", "bad-url-scheme"),
        ("ftp://example.org/file", "bad-url-scheme"),
        ("example.org/no-scheme", "bad-url-scheme"),
        ("https://", "bad-url"),
        ("https://exa mple.org/", "bad-url"),
        ("https://user:pw@example.org/", "bad-url"),
        ("https://example.org:99999/", "bad-url"),
    ],
)
def test_bad_urls(
    check: Check, files: dict[str, str], line_of: LineOf, url: str, code: str
) -> None:
    text = files["courses.yaml"].replace("url: https://example.org/course/4", f"url: '{url}'")
    files["courses.yaml"] = text
    assert_issue(
        only(check(files)), "courses.yaml", line_of(text, f"'{url}'"), "courses[course-4].url", code
    )


def test_framework_url_must_be_http(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["frameworks.yaml"].replace("url: https://www.ipa", "url: file:///www.ipa")
    files["frameworks.yaml"] = text
    assert_issue(
        only(check(files)),
        "frameworks.yaml",
        line_of(text, "file:"),
        "frameworks[dss-l].url",
        "bad-url-scheme",
    )


def test_verified_flag_must_follow_the_reference(
    check: Check, files: dict[str, str], line_of: LineOf
) -> None:
    text = files["courses.yaml"].replace(
        "verification: confirmed", "verification: unconfirmed-url", 1
    )
    files["courses.yaml"] = text
    assert_issue(
        only(check(files)),
        "courses.yaml",
        line_of(text, "url_verified: true"),
        "courses[course-1].url_verified",
        "verification-mismatch",
    )


# -- Japanese text ---------------------------------------------------------------


def test_description_must_be_japanese(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["courses.yaml"].replace(
        "description: 講座6の説明。", "description: An English text."
    )
    files["courses.yaml"] = text
    assert_issue(
        only(check(files)),
        "courses.yaml",
        line_of(text, "An English text."),
        "courses[course-6].description",
        "missing-japanese",
    )


def test_english_title_needs_english_language(
    check: Check, files: dict[str, str], line_of: LineOf
) -> None:
    # course-6 is an English course: its English title is fine (see the fixture).
    text = files["courses.yaml"].replace("title: 講座5", "title: Only English")
    files["courses.yaml"] = text
    assert_issue(
        only(check(files)),
        "courses.yaml",
        line_of(text, "Only English"),
        "courses[course-5].title",
        "missing-japanese",
    )


@pytest.mark.parametrize(
    ("file", "old", "new", "field"),
    [
        (
            "tiers.yaml",
            "name_ja: 生活レベルでのデジタルリテラシーを発揮できる人",
            "name_ja: Everyday",
            "tiers[T1].name_ja",
        ),
        ("paths.yaml", "name_ja: ラーニングパス1", "name_ja: Path one", "paths[path-1].name_ja"),
        (
            "achievements.yaml",
            "criteria_ja: パス1の必須ステップをすべて修了する。",
            "criteria_ja: Finish it.",
            "achievements[badge-1].criteria_ja",
        ),
        (
            "exercises.yaml",
            "      - 課題を整理する。",
            "      - Sort out the problems.",
            "exercises[exercise-1].tasks[1]",
        ),
        (
            "exercises.yaml",
            "            - 出典が明記されている",
            "            - Sources are cited",
            "exercises[exercise-1].rubric.items[0].criteria[0]",
        ),
    ],
)
def test_japanese_required_elsewhere(
    check: Check, files: dict[str, str], line_of: LineOf, file: str, old: str, new: str, field: str
) -> None:
    assert old in files[file]
    text = files[file].replace(old, new)
    files[file] = text
    assert_issue(only(check(files)), file, line_of(text, new.strip()), field, "missing-japanese")


def test_markup_and_control_characters(
    check: Check, files: dict[str, str], line_of: LineOf
) -> None:
    text = (
        files["courses.yaml"]
        .replace("title: 講座1", "title: 講座<script>alert(1)</script>")
        .replace("title: 講座2", 'title: "講座\\u0007二"')
    )
    files["courses.yaml"] = text
    issues = check(files)
    assert [(i.field, i.code) for i in issues] == [
        ("courses[course-1].title", "markup-in-text"),
        ("courses[course-2].title", "bad-text"),
    ]
    assert issues[0].line == line_of(text, "<script>")


def test_text_too_long(check: Check, files: dict[str, str]) -> None:
    files["courses.yaml"] = files["courses.yaml"].replace(
        "description: 講座1の説明。", "description: " + "長" * 1001
    )
    issue = only(check(files))
    assert (issue.field, issue.code) == ("courses[course-1].description", "text-too-long")


# -- hours -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "code"),
    [
        ("hours_min: 1", "hours_min: three", "hours_min", "wrong-type"),
        ("hours_min: 1", "hours_min: true", "hours_min", "wrong-type"),
        ("hours_min: 1", "hours_min: 0", "hours_min", "bad-hours"),
        ("hours_min: 1", "hours_min: -2", "hours_min", "bad-hours"),
        ("hours_max: 2", "hours_max: 501", "hours_max", "bad-hours"),
        ("hours_max: 2", "hours_max: .nan", "hours_max", "bad-hours"),
        ("hours_min: 1", "hours_min: 3", "hours_min", "bad-hours"),
    ],
)
def test_bad_hours(
    check: Check, files: dict[str, str], line_of: LineOf, old: str, new: str, field: str, code: str
) -> None:
    text = files["courses.yaml"].replace(old, new, 1)
    files["courses.yaml"] = text
    assert_issue(
        only(check(files)), "courses.yaml", line_of(text, new), f"courses[course-1].{field}", code
    )


def test_missing_hours(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["exercises.yaml"].replace("    hours_max: 8\n", "")
    files["exercises.yaml"] = text
    assert_issue(
        only(check(files)),
        "exercises.yaml",
        line_of(text, "slug: exercise-1"),
        "exercises[exercise-1].hours_max",
        "missing-field",
    )


# -- paths ---------------------------------------------------------------------------


def _steps(count: int) -> str:
    return "".join(
        f"      - course: course-{n}\n        required: true\n        review: self\n"
        for n in range(1, count + 1)
    )


@pytest.mark.parametrize("count", [4, 13])
def test_step_count(check: Check, files: dict[str, str], line_of: LineOf, count: int) -> None:
    extra = "".join(
        f"""\
  - slug: course-{n}
    title: 講座{n}
    provider: 提供者
    url: https://example.org/extra/{n}
    url_verified: false
    language: ja
    hours_min: 1
    hours_max: 1
    format: web
    certificate: unknown
    tiers: [T1]
    levels: [ALL]
    description: 追加の講座。
    source: テスト
    verification: unconfirmed
"""
        for n in range(7, 14)
    )
    files["courses.yaml"] += extra
    head, _, _ = files["paths.yaml"].partition("    steps:\n")
    text = (
        head.replace("electives_required: 1", "electives_required: 0")
        + "    steps:\n"
        + _steps(count)
    )
    files["paths.yaml"] = text
    assert_issue(
        only(check(files)),
        "paths.yaml",
        line_of(text, "steps:"),
        "paths[path-1].steps",
        "step-count",
    )


def _second_path(prerequisites: str) -> str:
    return f"""\
  - slug: path-2
    tier: T1
    name_ja: ラーニングパス2
    name_en: Path 2
    summary_ja: 二つ目のパス。
    summary_en: The second path.
    prerequisites: [{prerequisites}]
    achievement: badge-2
    min_reflection_chars: 50
    electives_required: 0
    steps:
{_steps(5)}"""


_BADGE_2 = """\
  - slug: badge-2
    achievement_type: LearningProgram
    issuance: path-completion
    name_ja: パス2修了
    name_en: Path 2 completed
    description_ja: パス2を修了した。
    criteria_ja: パス2を修了する。
    image: badge.svg
    image_alt: 青い円のバッジ
    alignments: ['tier:T1']
"""


def test_cyclic_prerequisites(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    paths = files["paths.yaml"].replace(
        "    achievement: badge-1", "    prerequisites: [path-2]\n    achievement: badge-1"
    )
    text = paths + _second_path("path-1")
    files["paths.yaml"] = text
    files["achievements.yaml"] += _BADGE_2
    issue = only(check(files))
    assert_issue(
        issue,
        "paths.yaml",
        line_of(text, "prerequisites: [path-1]"),
        "paths[path-2].prerequisites[0]",
        "cyclic-prerequisite",
    )
    assert "path-1 → path-2 → path-1" in issue.message_en


def test_self_prerequisite_is_a_cycle(check: Check, files: dict[str, str]) -> None:
    files["paths.yaml"] = files["paths.yaml"].replace(
        "    achievement: badge-1", "    prerequisites: [path-1]\n    achievement: badge-1"
    )
    assert only(check(files)).code == "cyclic-prerequisite"


def test_acyclic_prerequisites_pass(check: Check, files: dict[str, str]) -> None:
    files["paths.yaml"] += _second_path("path-1")
    files["achievements.yaml"] += _BADGE_2
    assert check(files) == []


def test_exercise_steps_are_trainer_reviewed(
    check: Check, files: dict[str, str], line_of: LineOf
) -> None:
    text = files["paths.yaml"].replace("review: trainer", "review: self")
    files["paths.yaml"] = text
    lines = [i for i, line in enumerate(text.splitlines(), 1) if "review: self" in line]
    assert_issue(
        only(check(files)), "paths.yaml", lines[-1], "paths[path-1].steps[4].review", "review-mode"
    )


def test_duplicate_step(check: Check, files: dict[str, str]) -> None:
    files["paths.yaml"] = files["paths.yaml"].replace("course: course-4", "course: course-3")
    issue = only(check(files))
    assert (issue.field, issue.code) == ("paths[path-1].steps[3].course", "duplicate-step")


def test_retired_course_cannot_be_a_step(check: Check, files: dict[str, str]) -> None:
    files["courses.yaml"] = files["courses.yaml"].replace(
        "source/2\n    verification: confirmed\n",
        "source/2\n    verification: confirmed\n    retired: true\n",
    )
    issue = only(check(files))
    assert (issue.field, issue.code) == ("paths[path-1].steps[1].course", "retired-reference")


def test_completion_rule(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["paths.yaml"].replace("electives_required: 1", "electives_required: 3")
    files["paths.yaml"] = text
    assert_issue(
        only(check(files)),
        "paths.yaml",
        line_of(text, "electives_required"),
        "paths[path-1].electives_required",
        "bad-completion-rule",
    )


def test_tier_or_level_exactly_one(check: Check, files: dict[str, str]) -> None:
    files["paths.yaml"] = files["paths.yaml"].replace(
        "    tier: T1\n", "    tier: T1\n    level: L1\n"
    )
    assert only(check(files)).code == "conflicting-fields"


def test_path_achievement_must_be_a_learning_program(check: Check, files: dict[str, str]) -> None:
    files["achievements.yaml"] = (
        files["achievements.yaml"]
        .replace("LearningProgram", "Certificate")
        .replace("path-completion", "hr-approval")
        + "    validity_years: 3\n"
    )
    issue = only(check(files))
    assert (issue.field, issue.code) == ("paths[path-1].achievement", "achievement-mismatch")


def test_certificate_needs_validity(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    cert = (
        _BADGE_2.replace("badge-2", "cert-1")
        .replace("LearningProgram", "Certificate")
        .replace("path-completion", "hr-approval")
    )
    text = files["achievements.yaml"] + cert
    files["achievements.yaml"] = text
    assert_issue(
        only(check(files)),
        "achievements.yaml",
        line_of(text, "slug: cert-1"),
        "achievements[cert-1].validity_years",
        "achievement-mismatch",
    )
    files["achievements.yaml"] = text + "    validity_years: 3\n    requires: [badge-1]\n"
    assert check(files) == []


# -- shape of the files ------------------------------------------------------------


def test_unknown_field(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["courses.yaml"].replace("    provider: 提供者2\n", "    provder: 提供者2\n")
    files["courses.yaml"] = text
    issues = check(files)
    assert [(i.field, i.code) for i in issues] == [
        ("courses[course-2].provider", "missing-field"),
        ("courses[course-2].provder", "unknown-field"),
    ]
    assert issues[0].line == line_of(text, "slug: course-2")
    assert issues[1].line == line_of(text, "provder")


def test_wrong_types(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = (
        files["courses.yaml"]
        .replace("url_verified: true", "url_verified: 'yes'", 1)
        .replace("tiers: [T1]", "tiers: T1", 1)
    )
    files["courses.yaml"] = text
    issues = check(files)
    assert [(i.line, i.field, i.code) for i in issues] == [
        (line_of(text, "'yes'"), "courses[course-1].url_verified", "wrong-type"),
        (line_of(text, "tiers: T1"), "courses[course-1].tiers", "wrong-type"),
    ]


def test_bad_enum_value(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["courses.yaml"].replace("format: web", "format: podcast", 1)
    files["courses.yaml"] = text
    issue = only(check(files))
    assert_issue(
        issue, "courses.yaml", line_of(text, "podcast"), "courses[course-1].format", "bad-value"
    )
    assert "mooc" in issue.message_en


def test_bad_slug(check: Check, files: dict[str, str], line_of: LineOf) -> None:
    text = files["courses.yaml"].replace("slug: course-1", "slug: Course_1")
    text = text.replace("shares_url_with: course-1", "shares_url_with: Course_1")
    files["courses.yaml"] = text
    files["paths.yaml"] = files["paths.yaml"].replace("course: course-1", "course: Course_1")
    assert_issue(
        only(check(files)),
        "courses.yaml",
        line_of(text, "Course_1"),
        "courses[Course_1].slug",
        "bad-slug",
    )


def test_yaml_syntax_error_has_a_line(check: Check, files: dict[str, str]) -> None:
    files["levels.yaml"] = files["levels.yaml"].replace("kind: baseline", "kind: [baseline")
    issues = check(files)
    syntax = [issue for issue in issues if issue.file == "levels.yaml"]
    assert only(syntax).code == "yaml-syntax"
    assert syntax[0].line is not None


def test_missing_file(check: Check, files: dict[str, str]) -> None:
    del files["exercises.yaml"]
    issues = check(files)
    assert issues[0].file == "exercises.yaml"
    assert issues[0].code == "missing-file"
    # Steps on the missing exercise are reported too.
    assert {issue.code for issue in issues[1:]} == {"unknown-reference"}


def test_unsafe_svg(check: Check, files: dict[str, str]) -> None:
    files["images/badge.svg"] = files["images/badge.svg"].replace(
        "<title>", '<image href="https://evil.example/x.png"/><script>alert(1)</script><title>'
    )
    issue = only(check(files))
    assert (issue.file, issue.field, issue.code) == (
        "images/badge.svg",
        "images[badge.svg]",
        "bad-image",
    )


def test_in_memory_validation_has_no_lines(
    write: Callable[[dict[str, str]], Path], files: dict[str, str]
) -> None:
    catalogue = load_catalogue(write(files))
    assert validate_catalogue(catalogue) == ()
    bad_course = replace(
        catalogue.courses[0],
        url="javascript:alert(1)",
        hours=replace(catalogue.courses[0].hours, min=0),
    )
    broken = replace(catalogue, courses=(bad_course, *catalogue.courses[1:]))
    issues = validate_catalogue(broken)
    assert [(i.file, i.line, i.field, i.code) for i in issues] == [
        ("courses.yaml", None, "courses[course-1].hours_min", "bad-hours"),
        ("courses.yaml", None, "courses[course-1].url", "bad-url-scheme"),
    ]
