"""Export the course catalogue as open data (CSV and JSON) under CC BY 4.0."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, Final

from curricula.model import CERTIFICATES, FORMATS, LANGUAGES, Catalogue, Course

LICENSE_NAME: Final = "CC BY 4.0"
LICENSE_URL: Final = "https://creativecommons.org/licenses/by/4.0/"
DEFAULT_ATTRIBUTION: Final = "北海道デジタル人材育成ポータル（講座カタログ）"

CSV_FILE: Final = "courses.csv"
JSON_FILE: Final = "courses.json"
CSV_METADATA_FILE: Final = "courses.csv-metadata.json"

#: CSV columns with their Japanese and English titles.
COLUMNS: Final[tuple[tuple[str, str, str], ...]] = (
    ("slug", "識別子", "stable identifier"),
    ("title", "講座名", "title"),
    ("provider", "提供者", "provider"),
    ("url", "URL", "URL"),
    ("url_verified", "URL確認済み", "URL verified in a source (true/false)"),
    ("language", "言語", "language (ja/en)"),
    ("language_note", "言語の補足", "language note"),
    ("hours_min", "学習時間の目安（下限・時間）", "estimated hours, lower bound"),
    ("hours_max", "学習時間の目安（上限・時間）", "estimated hours, upper bound"),
    ("hours_text", "学習時間（出典の表記）", "hours as given in the source"),
    ("format", "形式", "format"),
    ("certificate", "修了証", "certificate of completion (free/paid/none/unknown)"),
    ("tiers", "人材像（;区切り）", "tiers T1-T4 (semicolon-separated)"),
    ("levels", "対象レベル（;区切り）", "audience levels ALL/L1/L2 (semicolon-separated)"),
    ("dss", "デジタルスキル標準（;区切り）", "DSS alignment (semicolon-separated)"),
    ("description", "説明", "description (Japanese)"),
    ("caution", "注意", "caution"),
    ("source", "出典", "source"),
    ("verification", "確認状況", "verification status"),
)

_NOTE_JA: Final = (
    "このデータ（講座の分類・説明文・学習時間の目安などのメタデータ）はCC BY 4.0で提供します。"
    "講座そのものと講座名・ロゴ等の権利は各提供者に帰属します。URLの一部は未確認です（url_verified）。"
)
_NOTE_EN: Final = (
    "This catalogue metadata (classification, descriptions, hour estimates) is licensed under "
    "CC BY 4.0. The courses themselves and their names belong to their providers. Some URLs are "
    "unverified (see url_verified)."
)


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _row(course: Course) -> dict[str, str]:
    return {
        "slug": course.slug,
        "title": course.title,
        "provider": course.provider,
        "url": course.url,
        "url_verified": "true" if course.url_verified else "false",
        "language": course.language,
        "language_note": course.language_note or "",
        "hours_min": _number(course.hours.min),
        "hours_max": _number(course.hours.max),
        "hours_text": course.hours.text or "",
        "format": course.format,
        "certificate": course.certificate,
        "tiers": ";".join(course.tiers),
        "levels": ";".join(course.levels),
        "dss": ";".join(course.dss),
        "description": course.description,
        "caution": course.caution or "",
        "source": course.source,
        "verification": course.verification,
    }


def _json_course(course: Course) -> dict[str, Any]:
    return {
        "slug": course.slug,
        "title": course.title,
        "provider": course.provider,
        "url": course.url,
        "url_verified": course.url_verified,
        "language": course.language,
        "language_note": course.language_note,
        "hours": {"min": course.hours.min, "max": course.hours.max, "text": course.hours.text},
        "format": course.format,
        "format_note": course.format_note,
        "certificate": course.certificate,
        "certificate_note": course.certificate_note,
        "tiers": list(course.tiers),
        "levels": list(course.levels),
        "audience_note": course.audience_note,
        "dss": list(course.dss),
        "description": course.description,
        "caution": course.caution,
        "source": course.source,
        "verification": course.verification,
    }


def _license(attribution: str) -> dict[str, str]:
    return {
        "name": LICENSE_NAME,
        "url": LICENSE_URL,
        "attribution": attribution,
        "note_ja": _NOTE_JA,
        "note_en": _NOTE_EN,
    }


def open_data_documents(
    catalogue: Catalogue,
    *,
    attribution: str = DEFAULT_ATTRIBUTION,
    include_retired: bool = False,
) -> dict[str, str]:
    """The open-data files as text, keyed by file name (``courses.csv`` and the JSON files)."""
    courses = [c for c in catalogue.courses if include_retired or not c.retired]

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[name for name, _, _ in COLUMNS])
    writer.writeheader()
    for course in courses:
        writer.writerow(_row(course))

    vocabularies = {
        "tiers": [
            {"code": t.code, "name_ja": t.name_ja, "name_en": t.name_en} for t in catalogue.tiers
        ],
        "levels": [
            {"code": lv.code, "name_ja": lv.name_ja, "name_en": lv.name_en}
            for lv in catalogue.levels
        ],
        "languages": {code: {"ja": ja, "en": en} for code, (ja, en) in LANGUAGES.items()},
        "formats": {code: {"ja": ja, "en": en} for code, (ja, en) in FORMATS.items()},
        "certificates": {code: {"ja": ja, "en": en} for code, (ja, en) in CERTIFICATES.items()},
        "frameworks": [
            {
                "slug": f.slug,
                "name_ja": f.name_ja,
                "name_en": f.name_en,
                "url": f.url,
                "items": [
                    {
                        "ref": f"{f.slug}:{item.code}",
                        "name_ja": item.name_ja,
                        "name_en": item.name_en,
                        "confirmed": item.confirmed,
                    }
                    for item in f.items
                ],
            }
            for f in catalogue.frameworks
        ],
    }
    document = {
        "title_ja": "北海道デジタル人材育成ポータル 無料講座カタログ",
        "title_en": "Hokkaido digital-talent portal: catalogue of free courses",
        "license": _license(attribution),
        "course_count": len(courses),
        "vocabularies": vocabularies,
        "courses": [_json_course(course) for course in courses],
    }
    metadata = {
        "@context": "http://www.w3.org/ns/csvw",
        "url": CSV_FILE,
        "dc:title": document["title_ja"],
        "dc:license": {"@id": LICENSE_URL},
        "dc:rights": _NOTE_JA,
        "dc:creator": attribution,
        "tableSchema": {
            "columns": [{"name": name, "titles": {"ja": ja, "en": en}} for name, ja, en in COLUMNS],
            "primaryKey": "slug",
        },
    }
    return {
        CSV_FILE: buffer.getvalue(),
        JSON_FILE: json.dumps(document, ensure_ascii=False, indent=2) + "\n",
        CSV_METADATA_FILE: json.dumps(metadata, ensure_ascii=False, indent=2) + "\n",
    }


def export_open_data(
    catalogue: Catalogue,
    directory: str | os.PathLike[str],
    *,
    attribution: str = DEFAULT_ATTRIBUTION,
    include_retired: bool = False,
    excel_bom: bool = False,
) -> list[Path]:
    """Write ``courses.csv``, ``courses.json`` and CSVW metadata (CC BY 4.0) into ``directory``.

    The CSV is UTF-8 (with a BOM only if ``excel_bom``, for older Excel);
    the licence is stated in ``courses.json`` and ``courses.csv-metadata.json``.
    The output is deterministic. Returns the paths written.

    :raises OSError: if the directory cannot be written.
    """
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    documents = open_data_documents(
        catalogue, attribution=attribution, include_retired=include_retired
    )
    for name, text in documents.items():
        target = root / name
        encoding = "utf-8-sig" if excel_bom and name == CSV_FILE else "utf-8"
        # newline="" keeps the CSV's CRLF row endings as the csv module wrote them.
        with target.open("w", encoding=encoding, newline="") as handle:
            handle.write(text)
        written.append(target)
    return written
