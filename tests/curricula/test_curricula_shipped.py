"""The catalogue shipped in curricula/data/ loads and meets the issue's requirements."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own shipped files
from pathlib import Path

import pytest

from curricula import DEFAULT_DATA_DIR, Catalogue, load_catalogue, normalise_url
from curricula.dump import catalogue_documents, render_yaml

REFERENCE_CSV = Path("/work/shared/reference/catalogue/courses.csv")
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_counts(catalogue: Catalogue) -> None:
    assert len(catalogue.courses) >= 80
    assert len(catalogue.exercises) >= 3
    assert [t.code for t in catalogue.tiers] == ["T1", "T2", "T3", "T4"]
    assert [lv.code for lv in catalogue.levels] == ["ALL", "L1", "L2"]
    assert {f.slug for f in catalogue.frameworks} == {"dss-l", "dss-p"}


def test_tier_and_level_names(catalogue: Catalogue) -> None:
    assert [t.name_ja for t in catalogue.tiers] == [
        "生活レベルでのデジタルリテラシーを発揮できる人",
        "デジタル技術を理解して活用できる人",
        "関係者を巻き込みDXを推進できる人",
        "デジタル技術の知識・経験から新たなサービスを創出できる人",
    ]
    assert catalogue.get_level("L1").name_ja == "デジタル推進リーダー（レベル1）"
    assert catalogue.get_level("L2").name_ja == "より高度なデジタル人材（レベル2以上）"
    for named in (*catalogue.tiers, *catalogue.levels, *catalogue.paths, *catalogue.achievements):
        assert named.name_en


def test_six_paths(catalogue: Catalogue) -> None:
    assert sorted(path.code for path in catalogue.paths) == ["L1", "L2", "T1", "T2", "T3", "T4"]
    for path in catalogue.paths:
        assert 5 <= len(path.steps) <= 12
        assert path.min_reflection_chars > 0
        hours = catalogue.path_hours(path)
        assert 0 < hours.min <= hours.max
        for step in path.steps:
            if step.kind == "exercise":
                assert step.review == "trainer"


def test_prerequisites(catalogue: Catalogue) -> None:
    by_code = {path.code: path for path in catalogue.paths}
    assert set(by_code["L1"].prerequisites) == {by_code["T1"].slug, by_code["T2"].slug}
    assert set(by_code["L2"].prerequisites) == {by_code["T3"].slug, by_code["T4"].slug}


def test_exercises_cover_the_regions(catalogue: Catalogue) -> None:
    sectors = {exercise.sector: exercise for exercise in catalogue.exercises}
    assert {"agriculture", "fisheries", "tourism"} <= set(sectors)
    assert "空知" in sectors["agriculture"].region
    assert "釧路" in sectors["fisheries"].region
    for exercise in catalogue.exercises:
        assert exercise.tasks
        assert exercise.deliverable
        assert all(item.criteria for item in exercise.rubric.items)
        assert catalogue.paths_using("exercise", exercise.slug), exercise.slug


def test_achievements(catalogue: Catalogue) -> None:
    for path in catalogue.paths:
        achievement = catalogue.achievement_for_path(path)
        assert achievement.achievement_type == "LearningProgram"
        assert catalogue.path_for_achievement(achievement.slug) == path
    for slug, level in (("cert-l1", "level:L1"), ("cert-l2", "level:L2")):
        cert = catalogue.get_achievement(slug)
        assert cert.achievement_type == "Certificate"
        assert cert.issuance == "hr-approval"
        assert cert.validity_years == 3
        assert level in cert.alignments
    images = {a.image for a in catalogue.achievements}
    assert len(images) == len(catalogue.achievements)  # one distinct design each


def test_alignment_targets_resolve(catalogue: Catalogue) -> None:
    for achievement in catalogue.achievements:
        for ref in achievement.alignments:
            target = catalogue.get_alignment_target(ref)
            if target.framework in ("tier", "level"):
                assert target.url is None  # the portal publishes these pages
            else:
                assert target.url is not None
                assert target.url.startswith("https://www.ipa.go.jp/")


def test_unconfirmed_framework_items_are_marked(catalogue: Catalogue) -> None:
    dss_l = catalogue.get_framework("dss-l")
    areas = [item for item in dss_l.items if item.kind == "area"]
    leaves = [item for item in dss_l.items if item.kind == "item"]
    assert [a.code for a in areas] == ["mind", "why", "what", "how"]
    assert all(a.confirmed for a in areas)
    assert len(leaves) == 23
    assert not any(item.confirmed for item in leaves)
    dss_p = catalogue.get_framework("dss-p")
    assert sum(item.kind == "type" for item in dss_p.items) == 5
    assert sum(item.kind == "role" for item in dss_p.items) == 15
    assert not any(item.confirmed for item in dss_p.items if item.kind == "role")


def test_url_verification_counts(catalogue: Catalogue) -> None:
    verified = [c for c in catalogue.courses if c.url_verified]
    assert len(verified) == 83
    assert len(catalogue.courses) - len(verified) == 10
    for course in catalogue.courses:
        assert course.url_verified == course.verification.startswith("confirmed")


@pytest.mark.skipif(not REFERENCE_CSV.exists(), reason="reference catalogue not available")
def test_every_reference_row_is_in_the_catalogue(catalogue: Catalogue) -> None:
    with REFERENCE_CSV.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(catalogue.courses) == 93
    for row, course in zip(rows, catalogue.courses, strict=True):
        assert course.url == row["url"].strip()
        assert course.provider == row["provider"].strip()
        assert course.source == row["source"].strip()
        assert course.verification == row["confirmed"].strip()
        assert course.tiers == tuple(t.strip() for t in row["tiers"].split(";"))
        assert course.hours.text == row["hours"].strip()
        assert course.language == row["language"][:2]


def test_urls_are_unique_unless_declared(catalogue: Catalogue) -> None:
    seen: dict[str, str] = {}
    for course in catalogue.courses:
        key = normalise_url(course.url)
        if key in seen:
            assert course.shares_url_with == seen[key]
        else:
            seen[key] = course.slug


def test_shipped_files_are_canonical(catalogue: Catalogue) -> None:
    for file, document in catalogue_documents(catalogue).items():
        on_disk = (DEFAULT_DATA_DIR / file).read_text(encoding="utf-8")
        assert on_disk == render_yaml(file, document), (
            f"{file} is not in canonical form: run `python -m curricula format`"
        )


# -- badge images ---------------------------------------------------------------


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_helper() -> None:
    assert contrast("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)


def _svg(catalogue: Catalogue, name: str) -> ET.Element:
    return ET.fromstring(catalogue.get_image(name).svg)  # noqa: S314 - our own shipped file


@pytest.mark.parametrize(
    "name",
    ["t1.svg", "t2.svg", "t3.svg", "t4.svg", "l1.svg", "l2.svg", "cert-l1.svg", "cert-l2.svg"],
)
def test_badge_image(catalogue: Catalogue, name: str) -> None:
    root = _svg(catalogue, name)
    assert root.get("viewBox") == "0 0 512 512"
    assert root.find(f"{SVG_NS}title") is not None
    text = catalogue.get_image(name).svg
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text)
    assert "@font-face" not in text
    # Ids carry the file's stem, so several badges can be inlined in one page.
    stem = name.removesuffix(".svg")
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    assert all(str(key).startswith(f"{stem}-") for key in by_id)
    assert root.get("aria-labelledby") == f"{stem}-title {stem}-desc"
    label = by_id[f"{stem}-label-on-bg"]
    assert contrast(label.get("fill", ""), by_id[f"{stem}-bg"].get("fill", "")) >= 4.5
    if f"{stem}-banner" in by_id:
        banner_label = by_id[f"{stem}-label-on-banner"]
        banner = by_id[f"{stem}-banner"]
        assert contrast(banner_label.get("fill", ""), banner.get("fill", "")) >= 4.5
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]
    code = name.removeprefix("cert-").removesuffix(".svg").upper()
    assert code in texts  # Latin label, e.g. "T1"
    assert any(re.search("[\u3040-\u30ff\u4e00-\u9fff]", t) for t in texts)  # Japanese label


def test_badges_differ_by_shape_and_colour(catalogue: Catalogue) -> None:
    shapes = set()
    colours = set()
    for name in ["t1.svg", "t2.svg", "t3.svg", "t4.svg", "l1.svg", "l2.svg"]:
        bg_id = name.replace(".svg", "-bg")
        bg = next(e for e in _svg(catalogue, name).iter() if e.get("id") == bg_id)
        shape = bg.tag.removeprefix(SVG_NS)
        if shape == "polygon":
            shape += str(len((bg.get("points") or "").split()))
        shapes.add(shape)
        colours.add(bg.get("fill"))
    assert len(shapes) == 6
    assert len(colours) == 6
