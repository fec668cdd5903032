"""Charts (tiers per department, badges per month, coverage over time) and badge holders."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from flask import render_template
from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from portal.exceptions import NotFound
from portal.extensions import db
from portal.hr import bp
from portal.hr.common import (
    achievement_index,
    display_tz,
    export_response,
    int_arg,
    lang,
    organisation,
)
from portal.models.base import utcnow
from portal.services import charts, coverage, hr_stats
from portal.services.exports import fmt_date
from portal.services.hr_talent import TIERS, AchievementIndex


def month_labels(months: Sequence[date]) -> list[str]:
    """Short month names for a chart axis, with the year under the first and every January."""
    return [
        format_date(m, "MMM") + ("\n" + format_date(m, "yyyy") if i == 0 or m.month == 1 else "")
        for i, m in enumerate(months)
    ]


def tier_series(rows: Sequence[hr_stats.TierRow]) -> list[charts.Series]:
    """'None yet' and T1–T4 as chart series (highest tier reached)."""
    return [
        charts.Series(_("未到達"), [r.by_top[0] for r in rows], neutral=True),
        *(charts.Series(tier, [r.by_top[i + 1] for r in rows]) for i, tier in enumerate(TIERS)),
    ]


def tier_chart(chart_id: str, title: str, rows: Sequence[hr_stats.TierRow]) -> Markup:
    total = sum(r.total for r in rows)
    reached = sum(r.reached for r in rows)
    best = max(rows, key=lambda r: (r.reached / r.total) if r.total else 0, default=None)
    desc = _(
        "%(groups)s 区分、%(total)s 人。T1 以上に到達した人は %(reached)s 人（%(pct)s%%）。",
        groups=len(rows),
        total=f"{total:,}",
        reached=f"{reached:,}",
        pct=round(100 * reached / total) if total else 0,
    )
    if best is not None and best.total:
        desc += " " + _(
            "到達率が最も高いのは %(name)s（%(pct)s%%）。",
            name=best.label,
            pct=round(100 * best.reached / best.total),
        )
    return charts.bar_chart(
        chart_id=chart_id,
        title=title,
        desc=desc,
        categories=[r.label for r in rows],
        series=tier_series(rows),
        stacked=True,
        horizontal=True,
        percent=True,
    )


@bp.get("/charts")
def charts_page() -> str:
    org = organisation()
    index = achievement_index()
    now, tz = utcnow(), display_tz()
    tiers = hr_stats.tier_distribution_by_department(
        db.session, org.id, index, unassigned=_("（所属なし）")
    )
    months = hr_stats.badges_per_month(db.session, org.id, now=now, tz=tz)
    history = coverage.coverage_history(db.session, org.id, now=now, tz=tz)
    issued = sum(m.total for m in months)
    badge_chart = charts.bar_chart(
        chart_id="badges-per-month",
        title=_("月別のバッジ発行数"),
        desc=_(
            "直近12か月で %(n)s 件（パスバッジ %(p)s 件、スキル認定 %(c)s 件）。",
            n=f"{issued:,}",
            p=f"{sum(m.paths for m in months):,}",
            c=f"{sum(m.certifications for m in months):,}",
        ),
        categories=month_labels([m.month for m in months]),
        series=[
            charts.Series(_("パスバッジ"), [m.paths for m in months]),
            charts.Series(_("スキル認定"), [m.certifications for m in months]),
        ],
        stacked=True,
    )
    last = history[-1] if history else None
    coverage_chart = charts.line_chart(
        chart_id="coverage-over-time",
        title=_("デジタル推進リーダー配置率の推移"),
        desc=_(
            "各月末時点でリーダーが指名されている課の割合。現在 %(pct)s%%（%(c)s / %(n)s 課）。",
            pct=last.percent if last else 0,
            c=last.covered if last else 0,
            n=last.sections if last else 0,
        ),
        categories=month_labels([p.month for p in history]),
        values=[p.percent for p in history],
        y_max=100,
        percent=True,
    )
    return render_template(
        "hr/charts.html",
        org=org,
        tiers=tiers,
        tier_chart=tier_chart(
            "tiers-by-department", _("部ごとの最高到達ティア（職員の割合）"), tiers
        ),
        months=months,
        badge_chart=badge_chart,
        history=history,
        coverage_chart=coverage_chart,
        tier_codes=TIERS,
    )


def _badge_rows(index: AchievementIndex) -> list[dict[str, Any]]:
    kinds = [
        *((a, _("パスバッジ"), t) for a, t in index.tier_of.items()),
        *((a, _("レベル別パスバッジ"), lv) for a, lv in index.path_level_of.items()),
        *((a, _("スキル認定"), lv) for a, lv in index.cert_level_of.items()),
    ]
    order = {code: i for i, code in enumerate((*TIERS, "L1", "L2"))}
    return sorted(
        (
            {"id": a, "kind": kind, "code": code, "name": index.name(a, lang())}
            for a, kind, code in kinds
        ),
        key=lambda b: (b["kind"] == _("スキル認定"), order.get(b["code"], 99)),
    )


@bp.get("/badges")
def badges() -> str:
    org = organisation()
    index = achievement_index()
    counts = hr_stats.holder_counts(db.session, org.id, index, now=utcnow())
    return render_template("hr/badges.html", org=org, badges=_badge_rows(index), counts=counts)


def _holder_rows(
    org_id: int, index: AchievementIndex, achievement_id: int | None
) -> Iterator[list[Any]]:
    tz = display_tz()
    language = lang()
    kinds = {b["id"]: (b["kind"], b["code"]) for b in _badge_rows(index)}
    for h in hr_stats.iter_badge_holders(db.session, org_id, index, achievement_id=achievement_id):
        kind, code = kinds.get(h.achievement_id, ("", ""))
        yield [
            h.staff_number,
            h.name,
            h.department or "",
            h.section or "",
            index.name(h.achievement_id, language),
            kind,
            code,
            fmt_date(h.issued_at, tz),
            fmt_date(h.valid_until, tz),
        ]


@bp.get("/exports/badges.<any(csv, xlsx):fmt>")
def badges_export(fmt: str) -> Response:
    org = organisation()
    achievement_id = int_arg("achievement")
    index = achievement_index()
    if achievement_id is not None and achievement_id not in index.badge_ids:
        raise NotFound("achievement_not_found")
    header = [
        _("職員番号"),
        _("氏名"),
        _("部"),
        _("課"),
        _("バッジ"),
        _("種類"),
        _("ティア・レベル"),
        _("発行日"),
        _("有効期限"),
    ]
    return export_response(
        fmt,
        name="badge-holders",
        header=header,
        rows=_holder_rows(org.id, index, achievement_id),
        sheet_title=_("バッジ保有者"),
        org=org,
        widths=(10, 14, 16, 18, 44, 16, 8, 12, 12),
        audit={"achievement": achievement_id},
    )
