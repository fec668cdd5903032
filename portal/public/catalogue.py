"""Public catalogue pages (no login): courses, paths, the curriculum map, tiers and levels.

The working group asked for the paths and the curriculum map to be open to anyone
(residents, other municipalities, partner universities). Only published courses and
paths are shown; retired and draft ones are "not found".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from curricula.model import CERTIFICATES, FORMATS, LANGUAGES, REVIEW_MODES, SECTORS
from curricula.opendata import CSV_FILE, CSV_METADATA_FILE, JSON_FILE, open_data_documents
from portal.exceptions import NotFound
from portal.extensions import db
from portal.models import Achievement, LearningPath, PathStep, PublicationStatus
from portal.public import bp
from portal.services import catalogue
from portal.services.catalogue_sync import build_catalogue

PAGE_SIZE = 20
TOKYO = ZoneInfo("Asia/Tokyo")
#: The achievement image is served on its own: it must never run script or load anything.
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"
VOCABULARIES: dict[str, Mapping[str, tuple[str, str]]] = {
    "format": FORMATS,
    "language": LANGUAGES,
    "certificate": CERTIFICATES,
    "review": REVIEW_MODES,
    "sector": SECTORS,
}


# -- template helpers (also used by the trainer pages) ------------------------------


def is_english() -> bool:
    locale = get_locale()
    return bool(locale and locale.language == "en")


def localized(obj: Any, name: str) -> str:
    """``obj.<name>_en`` in the English UI where it exists, else ``obj.<name>_ja``
    (catalogue data is not translated through gettext)."""
    if is_english():
        value = getattr(obj, f"{name}_en", None)
        if value:
            return str(value)
    value = getattr(obj, f"{name}_ja", None)
    if value is None:
        value = getattr(obj, name, "")
    return str(value or "")


def short_name(target: Any) -> str:
    """The short name of a tier or level (``extra.short_ja`` / ``short_en``), else its name."""
    extra = getattr(target, "extra", None) or {}
    if is_english() and extra.get("short_en"):
        return str(extra["short_en"])
    if is_english():
        return str(target.name_en)
    return str(extra.get("short_ja") or target.name_ja)


def vocab(kind: str, code: str | None) -> str:
    """Label of a controlled value (format, language, certificate, review, sector)."""
    labels = VOCABULARIES.get(kind, {}).get(code or "")
    if labels is None:
        return code or ""
    return labels[1] if is_english() else labels[0]


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def fmt_hours(low: Decimal | None, high: Decimal | None) -> str:
    """``1.5〜3時間`` / ``1.5–3 h``."""
    if low is None or high is None:
        return ""
    if low == high:
        return _("%(n)s時間", n=_number(low))
    return _("%(min)s〜%(max)s時間", min=_number(low), max=_number(high))


def today_in_japan() -> date:
    """Today in Japan (the featured course changes at midnight JST)."""
    return datetime.now(TOKYO).date()


def catalogue_helpers() -> dict[str, Any]:
    return {
        "localized": localized,
        "short_name": short_name,
        "vocab": vocab,
        "fmt_hours": fmt_hours,
        "is_english": is_english,
    }


bp.context_processor(catalogue_helpers)


# -- courses ------------------------------------------------------------------------


@bp.get("/courses", endpoint="catalogue")
def catalogue_page() -> str:
    filters = catalogue.CourseFilters.clean(request.args)
    dss_refs = catalogue.dss_descendants(db.session, filters.dss) if filters.dss else None
    query = catalogue.course_search(filters, dss_refs=dss_refs)
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False)
    facets = catalogue.list_facets(db.session)
    featured = None
    if not filters.active and page.page == 1:
        featured = catalogue.current_featured(db.session, today_in_japan())
    return render_template(
        "public/catalogue.html",
        page=page,
        filters=filters,
        facets=facets,
        featured=featured,
        hours_labels=hours_labels(),
        active_filters=_active_filters(filters, facets),
    )


def hours_labels() -> dict[str, str]:
    return {
        "short": _("2時間まで"),
        "medium": _("2〜10時間"),
        "long": _("10〜40時間"),
        "very-long": _("40時間を超える"),
    }


def _active_filters(
    filters: catalogue.CourseFilters, facets: catalogue.Facets
) -> list[tuple[str, str, dict[str, str]]]:
    """(what, value, query args without it) for each filter in use, for "remove" links."""
    targets = {t.ref: t for t in [*facets.tiers, *facets.levels]}
    targets.update({t.ref: t for _f, items in facets.frameworks for t in items})
    certificates = {"free": _("無料の修了証あり"), "any": _("修了証あり（有料を含む）")}
    values: list[tuple[str, str, str]] = []
    if filters.q:
        values.append(("q", _("キーワード"), filters.q))
    if filters.tier:
        t = targets.get(f"tier:{filters.tier}")
        values.append(
            ("tier", _("人材像"), f"{filters.tier} {short_name(t)}" if t else filters.tier)
        )
    if filters.level:
        t = targets.get(f"level:{filters.level}")
        values.append(("level", _("対象レベル"), localized(t, "name") if t else filters.level))
    if filters.dss:
        t = targets.get(filters.dss)
        values.append(("dss", _("デジタルスキル標準"), localized(t, "name") if t else filters.dss))
    if filters.provider:
        values.append(("provider", _("提供者"), filters.provider))
    if filters.language:
        values.append(("language", _("言語"), vocab("language", filters.language)))
    if filters.format:
        values.append(("format", _("形式"), vocab("format", filters.format)))
    if filters.hours:
        values.append(("hours", _("学習時間の目安"), hours_labels()[filters.hours]))
    if filters.certificate:
        values.append(("certificate", _("修了証"), certificates[filters.certificate]))
    return [(label, value, filters.without(key)) for key, label, value in values]


@bp.get("/courses/<slug>")
def course(slug: str) -> str:
    try:
        item = catalogue.get_published_course(db.session, slug)
    except NotFound:
        abort(404)
    targets = catalogue.targets_by_ref(
        db.session,
        [f"tier:{t}" for t in item.tiers] + [f"level:{lv}" for lv in item.levels] + item.dss,
    )
    return render_template(
        "public/course.html",
        course=item,
        targets=targets,
        paths=catalogue.paths_using_course(db.session, item.id),
    )


@bp.get("/exercises/<slug>")
def exercise(slug: str) -> str:
    try:
        item = catalogue.get_published_exercise(db.session, slug)
    except NotFound:
        abort(404)
    return render_template("public/exercise.html", exercise=item)


# -- paths --------------------------------------------------------------------------


def published_steps(steps: list[PathStep]) -> list[PathStep]:
    """Steps whose course is published (exercise steps always count)."""
    return [s for s in steps if s.course is None or s.course.status == PublicationStatus.PUBLISHED]


@bp.get("/paths")
def paths() -> str:
    items = catalogue.list_paths(db.session)
    return render_template(
        "public/paths.html",
        paths=items,
        prerequisites=catalogue.prerequisites_of(db.session, items),
    )


@bp.get("/paths/<slug>")
def path(slug: str) -> str:
    try:
        item = catalogue.get_path_with_steps(db.session, slug)
    except NotFound:
        abort(404)
    steps = published_steps(item.steps)
    return render_template(
        "public/path.html",
        path=item,
        steps=steps,
        hours=catalogue.path_hours(item),
        prerequisites=catalogue.prerequisites_of(db.session, [item])[item.id],
        dependants=catalogue.dependants_of(db.session, item),
    )


# -- the curriculum map --------------------------------------------------------------


MAP_WIDTH = 960
BOX_W = 200
BOX_H = 136
ROW_TIERS_Y = 64
ROW_LEVELS_Y = 300


def _map_layout(
    paths: list[LearningPath], prerequisites: dict[int, list[LearningPath]]
) -> dict[str, Any]:
    """Boxes (x, y) for the tiers row and the levels row, and the arrows between them."""
    tiers = [p for p in paths if p.tier_code]
    levels = [p for p in paths if not p.tier_code]
    boxes: dict[int, dict[str, Any]] = {}
    gap = (MAP_WIDTH - len(tiers) * BOX_W) / (len(tiers) + 1) if tiers else 0
    for i, p in enumerate(tiers):
        boxes[p.id] = {"x": round(gap + i * (BOX_W + gap)), "y": ROW_TIERS_Y, "path": p}
    gap_levels = (MAP_WIDTH - len(levels) * BOX_W) / (len(levels) + 1) if levels else 0
    for i, p in enumerate(levels):
        required = [boxes[r.id]["x"] for r in prerequisites.get(p.id, []) if r.id in boxes]
        x = (
            round(sum(required) / len(required))
            if required
            else round(gap_levels + i * (BOX_W + gap_levels))
        )
        boxes[p.id] = {"x": x, "y": ROW_LEVELS_Y, "path": p}
    arrows = []
    for p in paths:
        for required in prerequisites.get(p.id, []):
            if required.id in boxes and p.id in boxes:
                a, b = boxes[required.id], boxes[p.id]
                arrows.append(
                    {
                        "x1": a["x"] + BOX_W // 2,
                        "y1": a["y"] + BOX_H,
                        "x2": b["x"] + BOX_W // 2,
                        "y2": b["y"] - 6,
                        "from": required,
                        "to": p,
                    }
                )
    return {
        "boxes": [boxes[p.id] for p in paths if p.id in boxes],
        "arrows": arrows,
        "width": MAP_WIDTH,
        "height": ROW_LEVELS_Y + BOX_H + 48,
        "box_w": BOX_W,
        "box_h": BOX_H,
        "tiers_y": ROW_TIERS_Y,
        "levels_y": ROW_LEVELS_Y,
    }


def wrap_label(text: str, width: float, max_lines: int = 3) -> list[str]:
    """Split `text` into SVG lines of about `width` full-width characters.

    Japanese wraps between any two characters, other text between words; half-width
    characters count as half. The last line gets an ellipsis if the text is cut.
    """
    lines: list[str] = []
    line, used = "", 0.0
    tokens = [t for t in _TOKEN.findall(text) if t]
    for token in tokens:
        size = sum(0.55 if ord(c) < 0x2E80 else 1.0 for c in token)
        if line and used + size > width and token not in _NO_LINE_START:
            carry = ""
            if line[-1] in _NO_LINE_END:  # keep an opening bracket with what follows
                line, carry = line[:-1], line[-1]
            lines.append(line.rstrip())
            line, used = carry + token.lstrip(), size + len(carry)
        else:
            line, used = line + token, used + size
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > 1 and len(lines[-1]) == 1 and len(lines[-2]) > 2:  # no lone last character
        lines[-2], lines[-1] = lines[-2][:-1], lines[-2][-1] + lines[-1]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, len(lines[-1]) - 1)] + "…"
    return lines


_NO_LINE_START = frozenset("）」』、。・ー）,.)")
_NO_LINE_END = frozenset("（「『(")
# Words of Latin text (with their leading space), runs of katakana (not split inside
# a loanword), or single other characters.
_TOKEN = re.compile(
    r"\s*[\u0000-\u2e7f]+?(?=\s|[\u2e80-\uffff]|$)|[\u30a0-\u30ff]+|[\u2e80-\uffff]"
)


def _map_name(path: LearningPath, targets: dict[str, Any]) -> str:
    target = targets.get(path.code)
    if target is None:
        return localized(path, "name")
    return short_name(target) if path.tier_code else localized(target, "name")


@bp.get("/curriculum-map")
def curriculum_map() -> str:
    items = catalogue.list_paths(db.session)
    prerequisites = catalogue.prerequisites_of(db.session, items)
    facets = catalogue.list_facets(db.session)
    targets = {t.code: t for t in [*facets.tiers, *facets.levels]}
    labels = {p.id: wrap_label(_map_name(p, targets), 11.5) for p in items}
    return render_template(
        "public/curriculum_map.html",
        paths=items,
        prerequisites=prerequisites,
        hours={p.id: catalogue.path_hours(p) for p in items},
        layout=_map_layout(items, prerequisites),
        targets=targets,
        labels=labels,
    )


# -- alignment targets (Open Badges targetUrl) ----------------------------------------


def _course_count(filters: catalogue.CourseFilters) -> int:
    query = catalogue.course_search(filters).order_by(None)
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


@bp.get("/tiers/<code>")
def tier(code: str) -> str:
    target = catalogue.find_target(db.session, catalogue.TIER_FRAMEWORK, code)
    if target is None:
        abort(404)
    items = [p for p in catalogue.list_paths(db.session) if p.tier_code == code]
    return render_template(
        "public/tier.html",
        target=target,
        scheme=catalogue.get_framework(db.session, catalogue.TIER_FRAMEWORK),
        paths=items,
        course_count=_course_count(catalogue.CourseFilters(tier=code)),
        filter_args={"tier": code},
    )


@bp.get("/levels/<code>")
def level(code: str) -> str:
    target = catalogue.find_target(db.session, catalogue.LEVEL_FRAMEWORK, code)
    if target is None:
        abort(404)
    items = [p for p in catalogue.list_paths(db.session) if p.level_code == code]
    return render_template(
        "public/tier.html",
        target=target,
        scheme=catalogue.get_framework(db.session, catalogue.LEVEL_FRAMEWORK),
        paths=items,
        course_count=_course_count(catalogue.CourseFilters(level=code)),
        filter_args={"level": code},
    )


@bp.get("/frameworks/<framework>/<code>")
def framework_item(framework: str, code: str) -> str:
    if framework in (catalogue.TIER_FRAMEWORK, catalogue.LEVEL_FRAMEWORK):
        abort(404)
    target = catalogue.find_target(db.session, framework, code)
    if target is None:
        abort(404)
    refs = catalogue.dss_descendants(db.session, target.ref)
    all_items = catalogue.list_facets(db.session).frameworks
    items = next((items for f, items in all_items if f.slug == framework), [])
    courses = db.session.scalars(
        catalogue.course_search(catalogue.CourseFilters(dss=target.ref), dss_refs=refs).limit(50)
    ).all()
    return render_template(
        "public/framework_item.html",
        target=target,
        framework=catalogue.get_framework(db.session, framework),
        parent=next((t for t in items if t.code == target.parent_code), None),
        children=[t for t in items if t.parent_code == target.code],
        courses=courses,
    )


# -- achievement images, featured courses, open data --------------------------------------


@bp.get("/images/achievements/<slug>.svg")
def achievement_image(slug: str) -> Response:
    achievement = db.session.scalar(select(Achievement).where(Achievement.slug == slug))
    if achievement is None or not achievement.image_svg:
        abort(404)
    response = Response(achievement.image_svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = IMAGE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["Content-Disposition"] = f'inline; filename="{achievement.image_filename}"'
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/featured")
def featured() -> str:
    today = today_in_japan()
    return render_template(
        "public/featured.html",
        items=catalogue.list_featured(db.session, until=today),
        current_month=catalogue.month_start(today),
    )


OPEN_DATA_TYPES = {
    CSV_FILE: "text/csv; charset=utf-8",
    JSON_FILE: "application/json; charset=utf-8",
    CSV_METADATA_FILE: "application/json; charset=utf-8",
}


@bp.get("/open-data/<name>")
def open_data(name: str) -> Response:
    """The course catalogue as open data (CC BY 4.0), built from the live catalogue."""
    if name not in OPEN_DATA_TYPES:
        abort(404)
    documents = open_data_documents(build_catalogue(db.session))
    response = Response(documents[name], content_type=OPEN_DATA_TYPES[name])
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    if name == CSV_FILE:
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
