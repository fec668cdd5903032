"""Round trip through dump_catalogue, and the open-data export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from curricula import Catalogue, dump_catalogue, export_open_data, load_catalogue


def test_round_trip_of_shipped_data(tmp_path: Path) -> None:
    original = load_catalogue()
    dump_catalogue(original, tmp_path / "out")
    again = load_catalogue(tmp_path / "out")
    assert again == original
    # And the second dump is byte-identical to the first.
    dump_catalogue(again, tmp_path / "out2")
    for path in sorted((tmp_path / "out").rglob("*")):
        if path.is_file():
            twin = tmp_path / "out2" / path.relative_to(tmp_path / "out")
            assert twin.read_bytes() == path.read_bytes(), path.name


def _with_every_optional_field(catalogue: Catalogue) -> Catalogue:
    course = replace(
        catalogue.courses[0],
        language_note="日本語字幕あり",
        format_note="PDF",
        certificate="free",
        certificate_note="修了証あり",
        audience_note="観光部門向け",
        caution="開講期間あり: 1月〜3月",
        hours=replace(catalogue.courses[0].hours, min=0.75, max=1.5, text="~1"),
        title="yes",  # must survive YAML 1.1 boolean look-alikes
        retired=False,
    )
    retired = replace(
        catalogue.courses[5],
        retired=True,
        description="説明: 「引用」 #記号 - 'ダッシュ' & \"二重\"。",
    )
    exercise = replace(catalogue.exercises[0], note="注意: 架空の設定。", retired=False)
    return replace(
        catalogue,
        courses=(course, *catalogue.courses[1:5], retired),
        exercises=(exercise,),
    )


def test_round_trip_with_optional_fields(
    tmp_path: Path, write: Callable[[dict[str, str]], Path], files: dict[str, str]
) -> None:
    catalogue = load_catalogue(write(files))
    enriched = _with_every_optional_field(catalogue)
    # An English-looking title on a Japanese course would be rejected, so make it English.
    enriched = replace(
        enriched, courses=(replace(enriched.courses[0], language="en"), *enriched.courses[1:])
    )
    dump_catalogue(enriched, tmp_path / "out")
    assert load_catalogue(tmp_path / "out") == enriched


def test_dump_writes_the_images(tmp_path: Path) -> None:
    catalogue = load_catalogue()
    written = dump_catalogue(catalogue, tmp_path)
    names = {path.name for path in written}
    assert {"courses.yaml", "paths.yaml", "t1.svg", "cert-l2.svg"} <= names
    assert (tmp_path / "images" / "t1.svg").read_text(encoding="utf-8") == catalogue.get_image(
        "t1.svg"
    ).svg


def test_dump_is_utf8_japanese(tmp_path: Path) -> None:
    dump_catalogue(load_catalogue(), tmp_path)
    text = (tmp_path / "tiers.yaml").read_text(encoding="utf-8")
    assert "生活レベルでのデジタルリテラシーを発揮できる人" in text
    assert "\\u" not in text


def test_open_data_export(tmp_path: Path) -> None:
    catalogue = load_catalogue()
    written = export_open_data(catalogue, tmp_path)
    assert {path.name for path in written} == {
        "courses.csv",
        "courses.json",
        "courses.csv-metadata.json",
    }
    raw = (tmp_path / "courses.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert len(rows) == len(catalogue.courses)
    first = rows[0]
    course = catalogue.courses[0]
    assert first["slug"] == course.slug
    assert first["title"] == course.title
    assert first["url_verified"] == "true"
    assert first["tiers"] == ";".join(course.tiers)
    assert first["hours_min"] == "3"

    document = json.loads((tmp_path / "courses.json").read_text(encoding="utf-8"))
    assert document["license"]["name"] == "CC BY 4.0"
    assert document["license"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert document["course_count"] == len(catalogue.courses)
    assert document["courses"][0]["slug"] == course.slug
    assert [t["code"] for t in document["vocabularies"]["tiers"]] == ["T1", "T2", "T3", "T4"]

    metadata = json.loads((tmp_path / "courses.csv-metadata.json").read_text(encoding="utf-8"))
    assert metadata["dc:license"]["@id"] == "https://creativecommons.org/licenses/by/4.0/"
    assert [c["name"] for c in metadata["tableSchema"]["columns"]] == list(rows[0])


def test_open_data_is_deterministic_and_skips_retired(tmp_path: Path) -> None:
    catalogue = load_catalogue()
    export_open_data(catalogue, tmp_path / "a")
    export_open_data(catalogue, tmp_path / "b")
    for name in ("courses.csv", "courses.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    retired = replace(
        catalogue, courses=(replace(catalogue.courses[0], retired=True), *catalogue.courses[1:])
    )
    export_open_data(retired, tmp_path / "c", excel_bom=True)
    raw = (tmp_path / "c" / "courses.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    document = json.loads((tmp_path / "c" / "courses.json").read_text(encoding="utf-8"))
    assert document["course_count"] == len(catalogue.courses) - 1
    assert catalogue.courses[0].slug not in {c["slug"] for c in document["courses"]}
