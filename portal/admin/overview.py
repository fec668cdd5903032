"""The prefecture admin's overview: participation, badges and leader coverage across the
179 municipalities, per municipality and per 振興局 — aggregates only, never names."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup

from portal.admin import bp
from portal.extensions import db
from portal.hr.reports import tier_chart  # the same chart as HR's, over 振興局
from portal.services import charts, hr_stats
from portal.services.hr_talent import TIERS, load_achievement_index


def _percent_chart(
    chart_id: str, title: str, desc: str, rows: list[hr_stats.OrgFigures], attr: str
) -> Markup:
    return charts.bar_chart(
        chart_id=chart_id,
        title=title,
        desc=desc,
        categories=[r.label for r in rows],
        series=[charts.Series(title, [getattr(r, attr) for r in rows])],
        horizontal=True,
        value_format=charts.fmt_percent,
        max_value=100,
    )


@bp.get("/overview")
def overview() -> str:
    figures = hr_stats.overview(db.session)
    index = load_achievement_index(db.session)
    tiers = hr_stats.tier_distribution_by_subprefecture(db.session, index)
    subs = figures.subprefectures
    total = figures.total
    return render_template(
        "admin/overview.html",
        figures=figures,
        total=total,
        tiers=tiers,
        tier_codes=TIERS,
        tier_chart=tier_chart(
            "admin-tiers-by-subprefecture",
            _("振興局ごとの最高到達ティア（市町村職員の割合）"),
            tiers,
        ),
        participation_chart=_percent_chart(
            "admin-participation",
            _("参加率"),
            _(
                "市町村の登録職員のうち、ラーニングパスに参加した人の割合。全体 %(pct)s%%。",
                pct=total.participation,
            ),
            subs,
            "participation",
        ),
        coverage_chart=_percent_chart(
            "admin-coverage",
            _("リーダー配置率"),
            _(
                "市町村の課のうち、デジタル推進リーダーが指名されている課の割合。全体 %(pct)s%%。",
                pct=total.coverage,
            ),
            subs,
            "coverage",
        ),
    )
