"""The learner's badges (/learn/badges): the list, one badge with its sharing options.

Sharing from a badge page: download the baked PNG/SVG and the JWS, add it to a LinkedIn
profile, show the QR code, print the certificate of completion (修了証), and choose who
may open the credential's page (private, anyone with the link, public).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response
from wtforms import BooleanField, RadioField
from wtforms.fields.choices import SelectChoice

from portal.extensions import db
from portal.forms import BaseForm
from portal.learner import bp
from portal.models import CredentialStatus, IssuedCredential, Organisation, Person, Visibility
from portal.models.base import utcnow
from portal.public.credentials import (
    load_credential,
    page_url,
    share_query,
    verify_url_for,
)
from portal.services import sharing
from portal.services.verification import credential_state


class VisibilityForm(BaseForm):
    visibility = RadioField(
        _l("この認定証を見られる人"),
        choices=[
            SelectChoice(
                Visibility.PRIVATE.value, _l("非公開（自分、所属の人事担当、管理者のみ）")
            ),
            SelectChoice(
                Visibility.LINK.value, _l("リンクを知っている人（共有用のリンクを作ります）")
            ),
            SelectChoice(Visibility.PUBLIC.value, _l("公開（誰でも見られます）")),
        ],
    )
    new_link = BooleanField(_l("共有用のリンクを作り直す（これまでのリンクは使えなくなります）"))


def _me() -> Person:
    return current_user._get_current_object()


@bp.get("/badges")
def badges() -> str:
    """Every credential of mine, active first, newest first (one query)."""
    rank = case(
        (IssuedCredential.status == CredentialStatus.ACTIVE, 0),
        (IssuedCredential.status == CredentialStatus.SUPERSEDED, 1),
        else_=2,
    )
    credentials = db.session.scalars(
        select(IssuedCredential)
        .where(IssuedCredential.person_id == _me().id)
        .options(
            joinedload(IssuedCredential.achievement),
            joinedload(IssuedCredential.issuer),
        )
        .order_by(rank, IssuedCredential.issued_at.desc(), IssuedCredential.id.desc())
    ).all()
    now = utcnow()
    return render_template(
        "learner/badges.html",
        items=[(c, credential_state(c, now)) for c in credentials],
    )


def _mine(uuid: UUID) -> IssuedCredential:
    credential = load_credential(str(uuid))
    if credential is None or credential.person_id != _me().id:
        abort(404)
    return credential


def _linkedin(credential: IssuedCredential) -> str | None:
    if credential.visibility == Visibility.PRIVATE:
        return None
    english = bool(get_locale() and get_locale().language == "en")
    achievement = credential.achievement
    issuer: Organisation = credential.issuer
    return sharing.linkedin_add_url(
        name=achievement.name_en if english and achievement.name_en else achievement.name_ja,
        organization_name=issuer.name_en if english and issuer.name_en else issuer.name_ja,
        issued_at=to_user_timezone(credential.issued_at),
        valid_until=to_user_timezone(credential.valid_until) if credential.valid_until else None,
        cert_url=page_url(credential),
        cert_id=f"urn:uuid:{credential.uuid}",
    )


def _context(credential: IssuedCredential, form: VisibilityForm) -> dict[str, Any]:
    return {
        "credential": credential,
        "state": credential_state(credential, utcnow()),
        "form": form,
        "share": share_query(credential),
        "page_url": page_url(credential),
        "verify_url": verify_url_for(credential),
        # qr_svg writes the markup itself and escapes the label.
        "qr_svg": Markup(sharing.qr_svg(verify_url_for(credential), _("検証用 QR コード"))),  # noqa: S704
        "linkedin_url": _linkedin(credential),
        "is_demo": credential.jws.count(".") != 2,
    }


@bp.get("/badges/<uuid:uuid>")
def badge(uuid: UUID) -> str:
    credential = _mine(uuid)
    form = VisibilityForm(visibility=credential.visibility.value)
    return render_template("learner/badge.html", **_context(credential, form))


@bp.post("/badges/<uuid:uuid>/visibility")
def badge_visibility(uuid: UUID) -> Response | tuple[str, int]:
    credential = _mine(uuid)
    form = VisibilityForm()
    if not form.validate_on_submit():
        return render_template("learner/badge.html", **_context(credential, form)), 400
    sharing.set_visibility(
        db.session,
        credential=credential,
        actor=_me(),
        visibility=form.visibility.data,
        now=utcnow(),
        new_link=bool(form.new_link.data),
    )
    db.session.commit()
    flash(_("共有の設定を保存しました。"), "success")
    return redirect(url_for("learner.badge", uuid=credential.uuid))
