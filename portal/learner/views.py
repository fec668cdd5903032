from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal.auth.forms import PasswordChangeForm
from portal.exceptions import ValidationFailed
from portal.extensions import db
from portal.learner import bp
from portal.models import Person, Placement, Unit
from portal.models.base import utcnow
from portal.services import accounts
from portal.services.audit import record_event
from portal.web import hasher, password_error_message


@bp.get("/")
def home() -> str:
    return render_template("learner/home.html")


def _profile_context(person: Person) -> dict[str, Any]:
    placements = db.session.scalars(
        select(Placement)
        .options(selectinload(Placement.organisation), selectinload(Placement.section))
        .where(Placement.person_id == person.id)
        .order_by(Placement.started_at.desc(), Placement.id.desc())
    ).all()
    section = db.session.get(Unit, person.section_id) if person.section_id else None
    return {"placements": placements, "section": section}


@bp.get("/profile")
def profile() -> str:
    person = current_user._get_current_object()
    return render_template(
        "learner/profile.html", form=PasswordChangeForm(), **_profile_context(person)
    )


@bp.post("/profile/password")
def change_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    person = current_user._get_current_object()
    if form.validate_on_submit():
        try:
            hasher().verify(person.password_hash or "", form.current.data)
        except Exception:  # noqa: BLE001 - argon2 raises several types; all mean "wrong"
            form.add_error("current", _("現在のパスワードが正しくありません。"))
        else:
            try:
                accounts.set_password(
                    person, form.password.data, hasher(), current_app.config["PASSWORD_MIN_LENGTH"]
                )
            except ValidationFailed as exc:
                form.add_error("password", password_error_message(exc))
            else:
                record_event(
                    db.session,
                    action="password.changed",
                    subject_type="person",
                    subject_id=person.uuid,
                    actor=person,
                    organisation_id=person.organisation_id,
                    ip_address=request.remote_addr,
                    now=utcnow(),
                )
                db.session.commit()
                login_user(person)  # the session id carries the new version
                flash(_("パスワードを変更しました。"), "success")
                return redirect(url_for("learner.profile"))
    return render_template("learner/profile.html", form=form, **_profile_context(person)), 400
