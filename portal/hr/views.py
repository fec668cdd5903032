from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal.auth.views import send_password_mail
from portal.exceptions import Conflict, NotFound, ValidationFailed
from portal.extensions import db
from portal.hr import bp
from portal.hr.forms import (
    PersonCreateForm,
    PersonRolesForm,
    PersonSectionForm,
    StaffImportForm,
    UnitCreateForm,
    UnitRenameForm,
)
from portal.models import Email, Organisation, Person, Placement, Role, Unit, UnitKind
from portal.models.base import utcnow
from portal.services import accounts, orgs, staff_import
from portal.web import error_message

PAGE_SIZE = 50


def _organisation() -> Organisation:
    org = db.session.get(Organisation, current_user.organisation_id)
    if org is None:  # pragma: no cover - a person always has an organisation
        abort(404)
    return org


def _section_choices(organisation_id: int) -> list[tuple[int | None, str]]:
    choices: list[tuple[int | None, str]] = [(None, _("（未設定）"))]
    choices += [
        (s.id, f"{d.name} / {s.name}") for d, s in orgs.list_sections(db.session, organisation_id)
    ]
    return choices


@bp.get("/")
def home() -> str:
    return staff()


@bp.get("/staff")
def staff() -> str:
    org = _organisation()
    q = request.args.get("q", "").strip()[:100]
    query = (
        select(Person)
        .where(Person.organisation_id == org.id)
        .options(selectinload(Person.section).selectinload(Unit.parent))
        .order_by(Person.staff_number)
    )
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(
                Person.name.ilike(like),
                Person.name_kana.ilike(like),
                Person.staff_number.ilike(like),
                Person.id.in_(select(Email.person_id).where(Email.address.ilike(like))),
            )
        )
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False)
    return render_template("hr/staff.html", org=org, page=page, q=q)


@bp.route("/staff/new", methods=["GET", "POST"])
def staff_new() -> str | Response:
    org = _organisation()
    form = PersonCreateForm()
    form.section_id.choices = _section_choices(org.id)
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
    org = _organisation()
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
    return render_template(
        "hr/person.html",
        person=subject,
        section_form=section_form,
        roles_form=roles_form,
        placements=placements,
    )


@bp.post("/staff/<uuid>/section")
def person_section(uuid: str) -> Response:
    subject = _person_in_scope(uuid)
    org = _organisation()
    form = PersonSectionForm()
    form.section_id.choices = _section_choices(org.id)
    if form.validate_on_submit() and form.section_id.data != subject.section_id:
        try:
            accounts.transfer_person(
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
            flash(_("所属を変更しました。"), "success")
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
    org = _organisation()
    tree = orgs.list_unit_tree(db.session, org.id)
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


@bp.post("/units/<int:unit_id>/rename")
def unit_rename(unit_id: int) -> Response:
    org = _organisation()
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
    return redirect(url_for("hr.units"))
