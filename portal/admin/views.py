from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal.admin import bp
from portal.admin.forms import AdminRolesForm, TransferForm
from portal.exceptions import Conflict, ValidationFailed
from portal.extensions import db
from portal.models import AuditEvent, Email, Organisation, Person, Role, Subprefecture, Unit
from portal.models.base import utcnow
from portal.services import accounts
from portal.web import error_message, flash_transfer


@bp.get("/")
def home() -> str:
    counts = dict(
        db.session.execute(
            select(Organisation.kind, func.count(Organisation.id)).group_by(Organisation.kind)
        ).all()
    )
    people = db.session.scalar(select(func.count(Person.id))) or 0
    return render_template("admin/home.html", counts=counts, people=people)


@bp.get("/organisations")
def organisations() -> str:
    staff_counts = (
        select(Person.organisation_id, func.count(Person.id).label("n"))
        .group_by(Person.organisation_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Organisation, Subprefecture, func.coalesce(staff_counts.c.n, 0))
        .outerjoin(Subprefecture, Organisation.subprefecture_id == Subprefecture.id)
        .outerjoin(staff_counts, staff_counts.c.organisation_id == Organisation.id)
        .order_by(Organisation.position)
    ).all()
    return render_template("admin/organisations.html", rows=rows)


@bp.get("/people")
def people() -> str:
    q = request.args.get("q", "").strip()[:100]
    query = select(Person).options(selectinload(Person.organisation)).order_by(Person.id)
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
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("admin/people.html", page=page, q=q)


def _get_person(uuid: str) -> Person:
    person = db.session.scalar(
        select(Person)
        .options(selectinload(Person.organisation), selectinload(Person.section))
        .where(Person.uuid == uuid)
    )
    if person is None:
        abort(404)
    return person


def _transfer_form(person: Person) -> TransferForm:
    form = TransferForm(organisation_id=person.organisation_id)
    form.organisation_id.choices = [
        (o.id, o.name_ja)
        for o in db.session.scalars(select(Organisation).order_by(Organisation.position))
    ]
    target = form.organisation_id.data or person.organisation_id
    sections = db.session.scalars(
        select(Unit)
        .where(Unit.organisation_id == target, Unit.parent_id.is_not(None))
        .order_by(Unit.name)
    )
    form.section_id.choices = [(None, _("（未設定）"))] + [(s.id, s.name) for s in sections]
    return form


@bp.get("/people/<uuid>")
def person(uuid: str) -> str:
    subject = _get_person(uuid)
    roles_form = AdminRolesForm(
        is_trainer=subject.has_role(Role.TRAINER),
        is_editor=subject.has_role(Role.EDITOR),
        is_hr=subject.has_role(Role.HR),
        is_admin=subject.has_role(Role.ADMIN),
    )
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "person", AuditEvent.subject_id == subject.uuid)
        .order_by(AuditEvent.occurred_at.desc())
        .limit(50)
    ).all()
    return render_template(
        "admin/person.html",
        person=subject,
        roles_form=roles_form,
        transfer_form=_transfer_form(subject),
        events=events,
    )


@bp.post("/people/<uuid>/roles")
def person_roles(uuid: str) -> Response:
    subject = _get_person(uuid)
    form = AdminRolesForm()
    actor = current_user._get_current_object()
    if form.validate_on_submit():
        now = utcnow()
        wanted = {
            Role.TRAINER: form.is_trainer.data,
            Role.EDITOR: form.is_editor.data,
            Role.HR: form.is_hr.data,
            Role.ADMIN: form.is_admin.data,
        }
        for role, on in wanted.items():
            if role == Role.ADMIN and not on and subject.id == actor.id:
                flash(_("自分自身の管理者権限は外せません。"), "error")
                continue
            if on:
                accounts.grant_role(db.session, subject, role, actor=actor, now=now)
            else:
                accounts.revoke_role(db.session, subject, role, actor=actor, now=now)
        db.session.commit()
        flash(_("役割を更新しました。"), "success")
    return redirect(url_for("admin.person", uuid=uuid))


@bp.post("/people/<uuid>/transfer")
def person_transfer(uuid: str) -> Response:
    subject = _get_person(uuid)
    form = _transfer_form(subject)
    if form.validate_on_submit():
        target = db.session.get(Organisation, form.organisation_id.data)
        if target is None:
            abort(400)
        try:
            moved = accounts.transfer_person(
                db.session,
                subject,
                organisation=target,
                section_id=form.section_id.data,
                staff_number=form.staff_number.data or None,
                actor=current_user._get_current_object(),
                now=utcnow(),
            )
        except (Conflict, ValidationFailed) as exc:
            db.session.rollback()
            flash(error_message(exc), "error")
        else:
            db.session.commit()
            flash_transfer(moved, _("%(name)s さんの異動を記録しました。", name=subject.name))
    else:
        flash(_("入力内容を確認してください。"), "error")
    return redirect(url_for("admin.person", uuid=uuid))
