"""Level 1 leader coverage per section: the list, one section's leader and its history."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.exceptions import Conflict, NotFound, ValidationFailed
from portal.extensions import db
from portal.hr import bp
from portal.hr.common import (
    ListPage,
    achievement_index,
    actor,
    choice_arg,
    display_tz,
    export_response,
    int_arg,
    organisation,
)
from portal.hr.forms import LeaderEndForm, LeaderForm
from portal.models import Person, UnitKind
from portal.models.base import utcnow
from portal.services import coverage, orgs
from portal.services.exports import fmt_date
from portal.web import error_message

PAGE_SIZE = 50


def _department_filter(org_id: int) -> int | None:
    department_id = int_arg("department")
    if department_id is not None:
        unit = orgs.get_unit_in_org(db.session, department_id, org_id)
        if unit.kind != UnitKind.DEPARTMENT:
            abort(404)
    return department_id


@bp.get("/coverage")
def coverage_list() -> str:
    org = organisation()
    department_id = _department_filter(org.id)
    status = choice_arg("status", coverage.STATUSES)
    report = coverage.coverage_report(db.session, org.id, achievement_index(), now=utcnow())
    rows = report.filtered(department_id=department_id, status=status)
    return render_template(
        "hr/coverage.html",
        org=org,
        report=report,
        page=ListPage.of(rows, int_arg("page"), PAGE_SIZE),
        department_id=department_id,
        status=status,
        departments=orgs.list_unit_options(db.session, org.id),
    )


def _coverage_rows(rows: list[coverage.SectionCoverage]) -> Iterator[list[Any]]:
    tz = display_tz()
    states = {
        "ok": _("有効"),
        "expiring": _("90日以内に期限"),
        "expired": _("期限切れ"),
        "none": _("未認定"),
    }
    status_words = {
        coverage.STATUS_VACANT: _("未配置"),
        coverage.STATUS_EXPIRING: _("要対応"),
        coverage.STATUS_COVERED: _("配置済み"),
    }
    for r in rows:
        leader = r.leader
        yield [
            r.department_name,
            r.section_name,
            r.staff_count,
            status_words[r.status],
            leader.name if leader else "",
            fmt_date(leader.since, tz) if leader else "",
            (fmt_date(leader.cert_valid_until, tz) if leader and leader.cert_valid_until else ""),
            states[leader.cert_state] if leader else "",
            r.candidate_count,
        ]


@bp.get("/exports/coverage.<any(csv, xlsx):fmt>")
def coverage_export(fmt: str) -> Response:
    org = organisation()
    department_id = _department_filter(org.id)
    status = choice_arg("status", coverage.STATUSES)
    report = coverage.coverage_report(db.session, org.id, achievement_index(), now=utcnow())
    rows = report.filtered(department_id=department_id, status=status)
    header = [
        _("部"),
        _("課"),
        _("職員数"),
        _("状態"),
        _("デジタル推進リーダー"),
        _("指名日"),
        _("レベル1認定の有効期限"),
        _("認定の状況"),
        _("候補者数（L1パス修了者）"),
    ]
    return export_response(
        fmt,
        name="sections-without-leader" if status == coverage.STATUS_VACANT else "leader-coverage",
        header=header,
        rows=_coverage_rows(rows),
        sheet_title=_("リーダー配置状況"),
        org=org,
        widths=(18, 20, 8, 10, 14, 12, 14, 14, 12),
        audit={"status": status, "department": department_id},
    )


def _section_page(
    section_id: int, form: LeaderForm | None = None, status: int = 200
) -> tuple[str, int]:
    org = organisation()
    section = coverage.get_section(db.session, section_id, org.id)
    index = achievement_index()
    report = coverage.coverage_report(
        db.session, org.id, index, now=utcnow(), section_ids=[section.id]
    )
    row = report.rows[0] if report.rows else None
    staff = coverage.section_staff(db.session, section, index)
    if form is None:
        form = LeaderForm()
    form.person.choices = [
        (s.uuid, f"{s.name}（{s.staff_number}）" + (_("・L1パス修了") if s.is_candidate else ""))
        for s in staff
    ]
    if row and row.leader and not form.person.data:
        form.person.data = row.leader.uuid
    department = orgs.get_unit_in_org(db.session, section.parent_id or 0, org.id)
    return render_template(
        "hr/coverage_section.html",
        org=org,
        section=section,
        department=department,
        row=row,
        staff=staff,
        candidates=[s for s in staff if s.is_candidate],
        history=coverage.section_history(db.session, section.id),
        form=form,
        end_form=LeaderEndForm(),
    ), status


@bp.get("/coverage/<int:section_id>")
def coverage_section(section_id: int) -> tuple[str, int]:
    return _section_page(section_id)


@bp.post("/coverage/<int:section_id>/leader")
def designate_leader(section_id: int) -> Response | tuple[str, int]:
    org = organisation()
    section = coverage.get_section(db.session, section_id, org.id)
    form = LeaderForm()
    if not form.validate_on_submit():
        return _section_page(section_id, form, 400)
    person = db.session.scalar(select(Person).where(Person.uuid == form.person.data))
    if person is None or person.organisation_id != org.id:
        abort(404)
    try:
        coverage.designate_leader(
            db.session, section, person, actor=actor(), now=utcnow(), note=form.note.data
        )
    except (Conflict, ValidationFailed) as exc:
        db.session.rollback()
        form.add_error("person", leader_error_message(exc))
        return _section_page(section_id, form, 409 if isinstance(exc, Conflict) else 400)
    db.session.commit()
    flash(
        _(
            "%(name)s さんを %(section)s のデジタル推進リーダーに指名しました。",
            name=person.name,
            section=section.name,
        ),
        "success",
    )
    return redirect(url_for("hr.coverage_section", section_id=section.id))


@bp.post("/coverage/<int:section_id>/leader/end")
def end_leader(section_id: int) -> Response:
    org = organisation()
    section = coverage.get_section(db.session, section_id, org.id)
    form = LeaderEndForm()
    if form.validate_on_submit():
        try:
            coverage.end_leader(
                db.session, section, actor=actor(), now=utcnow(), note=form.note.data
            )
        except NotFound:
            flash(_("この課には指名中のリーダーがいません。"), "error")
        else:
            db.session.commit()
            flash(_("リーダーの指名を解除しました。"), "success")
    return redirect(url_for("hr.coverage_section", section_id=section.id))


def leader_error_message(exc: Conflict | ValidationFailed) -> str:
    return {
        "leader_not_in_section": _("この課の職員を選んでください。"),
        "section_inactive": _("この課は統合済みのため指名できません。"),
        "leader_changed_concurrently": _(
            "同時に別の指名が行われました。もう一度確認してください。"
        ),
    }.get(exc.code, error_message(exc))
