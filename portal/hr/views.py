from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal.auth.views import send_password_mail
from portal.exceptions import Conflict, NotFound, ValidationFailed
from portal.extensions import db
from portal.hr import bp
from portal.hr.common import achievement_index, actor, display_tz, int_arg, lang, organisation
from portal.hr.forms import (
    AwardRecordForm,
    PersonCreateForm,
    PersonRolesForm,
    PersonSectionForm,
    StaffImportForm,
    UnitCreateForm,
    UnitMergeForm,
    UnitMoveForm,
    UnitRenameForm,
)
from portal.models import Organisation, Person, Placement, Role, Unit, UnitKind
from portal.models.base import utcnow
from portal.services import accounts, awards, coverage, orgs, roster, staff_import
from portal.web import error_message, flash_transfer


def _refuse_foreign_unit(field: str) -> None:
    """404 when a submitted unit id belongs to another organisation (never act on it)."""
    unit_id = int_arg(field, request.form)
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is not None and unit.organisation_id != current_user.organisation_id:
            abort(404)


def _section_choices(organisation_id: int) -> list[tuple[int | None, str]]:
    choices: list[tuple[int | None, str]] = [(None, _("（未設定）"))]
    choices += [
        (s.id, f"{d.name} / {s.name}") for d, s in orgs.list_sections(db.session, organisation_id)
    ]
    return choices


@bp.get("/")
def home() -> str:
    """The HR dashboard: headline figures and where to act."""
    org = organisation()
    index = achievement_index()
    now = utcnow()
    return render_template(
        "hr/home.html",
        org=org,
        counts=roster.roster_counts(db.session, org.id, index, now=now),
        report=coverage.coverage_summary(db.session, org.id, index, now=now),
    )


@bp.route("/staff/new", methods=["GET", "POST"])
def staff_new() -> str | Response:
    org = organisation()
    form = PersonCreateForm()
    form.section_id.choices = _section_choices(org.id)
    _refuse_foreign_unit("section_id")
    if form.validate_on_submit():
        roles = frozenset(
            r for r, on in ((Role.TRAINER, form.is_trainer.data), (Role.HR, form.is_hr.data)) if on
        )
        try:
            person = accounts.create_person(
                db.session,
                org,
                accounts.PersonInput(
                    form.staff_number.data,
                    form.name.data,
                    form.name_kana.data or "",
                    form.email.data,
                    form.section_id.data,
                ),
                actor=current_user._get_current_object(),
                now=utcnow(),
                roles=roles,
            )
        except Conflict as exc:
            form.add_error(
                "email" if exc.code == "email_taken" else "staff_number", error_message(exc)
            )
        except ValidationFailed as exc:
            form.add_error("section_id", error_message(exc))
        else:
            db.session.commit()
            if form.send_invitation.data:
                send_password_mail(person, person.primary_email or form.email.data, invitation=True)
            flash(_("%(name)s さんを登録しました。", name=person.name), "success")
            return redirect(url_for("hr.person", uuid=person.uuid))
    return render_template("hr/staff_new.html", form=form, org=org)


@bp.route("/staff/import", methods=["GET", "POST"])
def staff_import_view() -> str | tuple[str, int]:
    org = organisation()
    form = StaffImportForm()
    if form.validate_on_submit():
        raw = form.file.data.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
        plan = staff_import.plan_import(
            db.session, org, raw, max_rows=current_app.config["CSV_IMPORT_MAX_ROWS"]
        )
        if not plan.ok:
            db.session.rollback()
            problems = [
                (
                    p.line,
                    staff_import.COLUMN_LABELS.get(p.column or "", ""),
                    import_problem_message(p),
                )
                for p in plan.problems
            ]
            return render_template(
                "hr/staff_import.html", form=form, org=org, plan=plan, problems=problems
            ), 422
        result = staff_import.apply_import(
            db.session, org, plan, actor=current_user._get_current_object(), now=utcnow()
        )
        db.session.commit()
        return render_template(
            "hr/staff_import.html", form=StaffImportForm(formdata=None), org=org, result=result
        )
    return render_template("hr/staff_import.html", form=form, org=org)


def import_problem_message(problem: staff_import.ImportProblem) -> str:
    """Words for one CSV problem, in the user's language."""
    v = problem.value
    messages = {
        "bad_encoding": _(
            "文字コードを判別できません。UTF-8 または Shift_JIS で保存してください。"
        ),
        "not_csv": _("CSVファイルではありません。"),
        "empty_file": _("ファイルが空です。"),
        "no_rows": _("データ行がありません。"),
        "too_many_rows": _("行数が多すぎます（上限 %(n)s 行）。", n=v),
        "missing_column": _("必須の列がありません。"),
        "unknown_column": _("不明な列名です: %(v)s", v=v),
        "malformed_csv": _("CSVの形式が壊れています。"),
        "wrong_cell_count": _("列の数が見出しと合いません（%(v)s 列）。", v=v),
        "required": _("入力が必要です。"),
        "bad_staff_number": _("職員番号は半角英数字・ハイフン・下線で入力してください: %(v)s", v=v),
        "too_long": _("長すぎます。"),
        "bad_email": _("メールアドレスの形式が正しくありません: %(v)s", v=v),
        "duplicate_in_file": _("%(v)s 行目と重複しています。", v=v),
        "unknown_role": _("不明な役割です: %(v)s（研修担当・人事担当のみ指定できます）", v=v),
        "department_required": _("課を指定する場合は部も指定してください。"),
        "email_taken": _("このメールアドレスは別の職員が使っています: %(v)s", v=v),
    }
    return messages.get(problem.code, problem.code)


def _person_in_scope(uuid: str) -> Person:
    person = db.session.scalar(
        select(Person)
        .options(selectinload(Person.section).selectinload(Unit.parent))
        .where(Person.uuid == uuid)
    )
    # HR acts only inside its own organisation; others' people are "not found".
    if person is None or person.organisation_id != current_user.organisation_id:
        abort(404)
    return person


@bp.get("/staff/<uuid>")
def person(uuid: str) -> str:
    subject = _person_in_scope(uuid)
    section_form = PersonSectionForm(section_id=subject.section_id)
    section_form.section_id.choices = _section_choices(subject.organisation_id)
    roles_form = PersonRolesForm(
        is_trainer=subject.has_role(Role.TRAINER), is_hr=subject.has_role(Role.HR)
    )
    placements = db.session.scalars(
        select(Placement)
        .options(selectinload(Placement.organisation), selectinload(Placement.section))
        .where(Placement.person_id == subject.id)
        .order_by(Placement.started_at.desc(), Placement.id.desc())
    ).all()
    talent = roster.load_rows(db.session, [subject.id], achievement_index(), now=utcnow())
    return render_template(
        "hr/person.html",
        person=subject,
        section_form=section_form,
        roles_form=roles_form,
        placements=placements,
        talent=talent[0] if talent else None,
        designations=coverage.person_designations(db.session, subject.id),
        awards=awards.person_awards(db.session, subject.id),
        award_form=AwardRecordForm(awarded_on=utcnow().astimezone(display_tz()).date()),
        lang=lang(),
    )


@bp.post("/staff/<uuid>/section")
def person_section(uuid: str) -> Response:
    subject = _person_in_scope(uuid)
    org = organisation()
    form = PersonSectionForm()
    form.section_id.choices = _section_choices(org.id)
    _refuse_foreign_unit("section_id")
    if form.validate_on_submit() and form.section_id.data != subject.section_id:
        try:
            moved = accounts.transfer_person(
                db.session,
                subject,
                organisation=org,
                section_id=form.section_id.data,
                staff_number=None,
                actor=current_user._get_current_object(),
                now=utcnow(),
            )
        except (Conflict, ValidationFailed) as exc:
            flash(error_message(exc), "error")
        else:
            db.session.commit()
            flash_transfer(moved, _("所属を変更しました。"))
    return redirect(url_for("hr.person", uuid=uuid))


@bp.post("/staff/<uuid>/roles")
def person_roles(uuid: str) -> Response:
    subject = _person_in_scope(uuid)
    form = PersonRolesForm()
    actor = current_user._get_current_object()
    if form.validate_on_submit():
        now = utcnow()
        for role, wanted in ((Role.TRAINER, form.is_trainer.data), (Role.HR, form.is_hr.data)):
            if role == Role.HR and not wanted and subject.id == actor.id:
                flash(_("自分自身の人事担当の権限は外せません。"), "error")
                continue
            if wanted:
                accounts.grant_role(db.session, subject, role, actor=actor, now=now)
            else:
                accounts.revoke_role(db.session, subject, role, actor=actor, now=now)
        db.session.commit()
        flash(_("役割を更新しました。"), "success")
    return redirect(url_for("hr.person", uuid=uuid))


@bp.route("/units", methods=["GET", "POST"])
def units() -> str | Response:
    org = organisation()
    tree = orgs.list_unit_tree(db.session, org.id)
    _refuse_foreign_unit("parent_id")
    form = UnitCreateForm()
    form.parent_id.choices = [(None, _("部（最上位）として追加"))] + [
        (t.department.id, _("課として追加: %(dept)s の下", dept=t.department.name)) for t in tree
    ]
    if form.validate_on_submit():
        try:
            orgs.create_unit(
                db.session,
                org,
                form.name.data,
                parent_id=form.parent_id.data,
                actor=current_user._get_current_object(),
                now=utcnow(),
            )
        except (Conflict, ValidationFailed) as exc:
            form.add_error("name", error_message(exc))
        else:
            db.session.commit()
            flash(_("「%(name)s」を追加しました。", name=form.name.data.strip()), "success")
            return redirect(url_for("hr.units"))
    return render_template(
        "hr/units.html",
        org=org,
        tree=tree,
        form=form,
        rename_form=UnitRenameForm(),
        UnitKind=UnitKind,
    )


def _unit_in_scope(unit_id: int) -> Unit:
    unit = orgs.get_unit_in_org(db.session, unit_id, current_user.organisation_id)
    if not unit.is_active:
        abort(404)
    return unit


def _unit_forms(org: Organisation, unit: Unit) -> tuple[UnitMergeForm, UnitMoveForm]:
    tree = orgs.list_unit_tree(db.session, org.id)
    merge_form, move_form = UnitMergeForm(), UnitMoveForm()
    if unit.kind == UnitKind.DEPARTMENT:
        merge_form.target_id.choices = [
            (t.department.id, t.department.name) for t in tree if t.department.id != unit.id
        ]
    else:
        merge_form.target_id.choices = [
            (s.id, f"{t.department.name} / {s.name}")
            for t in tree
            for s in t.sections
            if s.id != unit.id
        ]
    move_form.department_id.choices = [
        (t.department.id, t.department.name) for t in tree if t.department.id != unit.parent_id
    ]
    return merge_form, move_form


@bp.get("/units/<int:unit_id>")
def unit(unit_id: int) -> str:
    org = organisation()
    subject = _unit_in_scope(unit_id)
    merge_form, move_form = _unit_forms(org, subject)
    return render_template(
        "hr/unit.html",
        org=org,
        unit=subject,
        parent=orgs.get_unit_in_org(db.session, subject.parent_id, org.id)
        if subject.parent_id
        else None,
        figures=orgs.unit_figures(db.session, subject),
        rename_form=UnitRenameForm(name=subject.name),
        merge_form=merge_form,
        move_form=move_form,
        UnitKind=UnitKind,
    )


@bp.post("/units/<int:unit_id>/merge")
def unit_merge(unit_id: int) -> Response:
    org = organisation()
    source = _unit_in_scope(unit_id)
    _refuse_foreign_unit("target_id")
    merge_form, _move = _unit_forms(org, source)
    if not merge_form.validate_on_submit():
        if merge_form.target_id.errors:
            flash(unit_error_message(ValidationFailed("merge_target_invalid")), "error")
        for message in merge_form.confirm.errors:
            flash(str(message), "error")
        return redirect(url_for("hr.unit", unit_id=source.id))
    target = _unit_in_scope(merge_form.target_id.data)
    try:
        orgs.merge_units(db.session, source, target, actor=actor(), now=utcnow())
    except (Conflict, ValidationFailed) as exc:
        db.session.rollback()
        flash(unit_error_message(exc), "error")
        return redirect(url_for("hr.unit", unit_id=unit_id))
    db.session.commit()
    flash(_("「%(a)s」を「%(b)s」に統合しました。", a=source.name, b=target.name), "success")
    return redirect(url_for("hr.unit", unit_id=target.id))


@bp.post("/units/<int:unit_id>/move")
def unit_move(unit_id: int) -> Response:
    org = organisation()
    section = _unit_in_scope(unit_id)
    _refuse_foreign_unit("department_id")
    _merge, move_form = _unit_forms(org, section)
    if section.kind != UnitKind.SECTION:
        abort(404)
    if move_form.validate_on_submit():
        department = _unit_in_scope(move_form.department_id.data)
        try:
            orgs.move_section(db.session, section, department, actor=actor(), now=utcnow())
        except (Conflict, ValidationFailed) as exc:
            db.session.rollback()
            flash(unit_error_message(exc), "error")
        else:
            db.session.commit()
            flash(
                _("「%(a)s」を「%(b)s」に移しました。", a=section.name, b=department.name),
                "success",
            )
    else:
        flash(_("移動先の部を選んでください。"), "error")
    return redirect(url_for("hr.unit", unit_id=unit_id))


def unit_error_message(exc: Conflict | ValidationFailed) -> str:
    return {
        "unit_inactive": _("統合済みの部・課は変更できません。"),
        "merge_target_invalid": _("同じ種類（部と部、課と課）の別の部署を選んでください。"),
        "move_target_invalid": _("移動先の部を選んでください。"),
        "unit_name_taken": _(
            "移動先に同じ名前の課があります: %(n)s。先に名称を変更してください。",
            n=exc.params.get("name", ""),
        ),
    }.get(exc.code, error_message(exc))


@bp.post("/units/<int:unit_id>/rename")
def unit_rename(unit_id: int) -> Response:
    org = organisation()
    try:
        unit = orgs.get_unit_in_org(db.session, unit_id, org.id)
    except NotFound:
        abort(404)
    form = UnitRenameForm()
    if form.validate_on_submit():
        try:
            orgs.rename_unit(
                db.session,
                unit,
                form.name.data,
                actor=current_user._get_current_object(),
                now=utcnow(),
            )
        except (Conflict, ValidationFailed) as exc:
            flash(error_message(exc), "error")
        else:
            db.session.commit()
            flash(_("名称を変更しました。"), "success")
    else:
        flash(_("名称を入力してください。"), "error")
    return redirect(url_for("hr.unit", unit_id=unit.id) if unit.is_active else url_for("hr.units"))
