"""The roster (職員名簿): staff by department and section, with filters, search and exports."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.hr import bp
from portal.hr.common import (
    ListPage,
    achievement_index,
    choice_arg,
    display_tz,
    export_response,
    int_arg,
    lang,
    organisation,
)
from portal.models import Unit
from portal.models.base import utcnow
from portal.services import orgs, roster
from portal.services.exports import fmt_date
from portal.services.hr_talent import LEVELS, TIERS, dialect_of, prepare_search

PAGE_SIZE = 50


def _filters() -> roster.RosterFilters:
    return roster.RosterFilters(
        q=request.args.get("q", "").strip()[:100],
        department_id=int_arg("department"),
        section_id=int_arg("section"),
        tier=choice_arg("tier", TIERS),
        level=choice_arg("level", LEVELS),
        certified=request.args.get("certified") == "1",
        expiring=request.args.get("expiring") == "1",
    )


def _filter_args(f: roster.RosterFilters) -> dict[str, Any]:
    """The filters as query arguments (None for unset), for pagination and export links."""
    return {
        "q": f.q or None,
        "department": f.department_id,
        "section": f.section_id,
        "tier": f.tier,
        "level": f.level,
        "certified": "1" if f.certified else None,
        "expiring": "1" if f.expiring else None,
    }


@bp.get("/staff")
def staff() -> str:
    org = organisation()
    filters = _filters()
    roster.check_filters(db.session, org.id, filters)
    index = achievement_index()
    now = utcnow()
    dialect = prepare_search(db.session) if filters.q else dialect_of(db.session)
    query = roster.roster_query(org.id, filters, index, now=now, dialect=dialect)
    page: Any
    if filters.q:
        # Folding every name for a search is the costly part: do it once and page the ids
        # here, rather than once for the count and again for the page.
        page = ListPage.of(list(db.session.scalars(query)), int_arg("page"), PAGE_SIZE)
    else:
        page = db.paginate(query, per_page=PAGE_SIZE, error_out=False)
    rows = roster.load_rows(db.session, list(page.items), index, now=now)
    # The section menu lists the chosen department's sections only: 947 options are no menu.
    department_id = filters.department_id
    if department_id is None and filters.section_id is not None:
        section = db.session.get(Unit, filters.section_id)
        department_id = section.parent_id if section else None
    return render_template(
        "hr/staff.html",
        org=org,
        page=page,
        rows=rows,
        filters=filters,
        args=_filter_args(filters),
        departments=orgs.list_unit_options(db.session, org.id),
        department_id=department_id,
        sections=orgs.list_unit_options(db.session, org.id, parent_id=department_id)
        if department_id
        else [],
        tiers=TIERS,
        levels=LEVELS,
        lang=lang(),
        q=filters.q,
    )


def _roster_rows(org_id: int, filters: roster.RosterFilters) -> Iterator[list[Any]]:
    index = achievement_index()
    tz = display_tz()
    language = lang()
    now = utcnow()
    dialect = prepare_search(db.session) if filters.q else dialect_of(db.session)
    for r in roster.iter_rows(db.session, org_id, filters, index, now=now, dialect=dialect):
        certs = {c.level: c for c in r.certifications}
        yield [
            r.staff_number,
            r.name,
            r.name_kana,
            r.department or "",
            r.section or "",
            " ".join(r.tiers),
            " ".join(r.level_paths),
            *(
                (fmt_date(certs[lv].valid_until, tz) or _("期限なし")) if lv in certs else ""
                for lv in LEVELS
            ),
            "; ".join(p.name(language) for p in r.in_progress),
            fmt_date(r.last_activity, tz),
        ]


@bp.get("/exports/roster.<any(csv, xlsx):fmt>")
def staff_export(fmt: str) -> Response:
    org = organisation()
    filters = _filters()
    roster.check_filters(db.session, org.id, filters)
    header = [
        _("職員番号"),
        _("氏名"),
        _("ふりがな"),
        _("部"),
        _("課"),
        _("到達ティア"),
        _("修了したレベル別パス"),
        _("レベル1認定の有効期限"),
        _("レベル2認定の有効期限"),
        _("受講中のパス"),
        _("最終活動日"),
    ]
    return export_response(
        fmt,
        name="roster",
        header=header,
        rows=_roster_rows(org.id, filters),
        sheet_title=_("職員名簿"),
        org=org,
        widths=(10, 14, 18, 16, 18, 12, 12, 14, 14, 48, 12),
        audit={k: v for k, v in _filter_args(filters).items() if v is not None},
    )
