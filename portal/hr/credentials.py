"""HR's credential pages (/hr/credentials…): the organisation's credentials, level
certification (スキル認定) and renewal, revocation, manual and CSV awards, bulk
verification, and the organisation's credential audit log.

Every page is scoped to HR's own organisation: a credential of someone elsewhere is a 404.
The award, revoke and audit views are written once and also served to admins (any
organisation) from `portal.admin.audit`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response
from wtforms import EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from portal.exceptions import Conflict, PermissionDenied, PortalError, ValidationFailed
from portal.extensions import db, limiter
from portal.forms import BaseForm
from portal.forms.base import no_control_characters
from portal.hr import bp
from portal.hr.common import actor, int_arg, lang, organisation
from portal.models import (
    Achievement,
    AuditEvent,
    CredentialStatus,
    IssuedCredential,
    Organisation,
    Person,
)
from portal.models.base import utcnow
from portal.public.credentials import active_key, issuance_settings, load_credential
from portal.services import issuance
from portal.services.sharing import badge_code
from portal.services.verification import credential_state

PER_PAGE = 50
WEB_CSV_MAX_ROWS = 2000
BULK_VERIFY_MAX_LINES = 500
EXPIRY_WINDOW = timedelta(days=90)


# Forms -----------------------------------------------------------------------------------


class RevokeForm(BaseForm):
    reason = TextAreaField(
        _l("失効の理由"),
        validators=[InputRequired(), Length(max=issuance.MAX_REASON_CHARS), no_control_characters],
        description=_l("本人と監査記録に残ります。例: 誤って発行したため"),
    )


class NoteForm(BaseForm):
    person = HiddenField()
    achievement = HiddenField()
    note = TextAreaField(_l("メモ（任意）"), validators=[Optional(), Length(max=1000)])


class AwardForm(BaseForm):
    email = EmailField(_l("職員のメールアドレス"), validators=[InputRequired(), Length(max=254)])
    achievement = SelectField(_l("バッジ"), validators=[InputRequired()])
    evidence_url = StringField(
        _l("証跡の URL（任意）"),
        validators=[Optional(), Length(max=1000)],
        description=_l("研修の案内ページなど（https のみ）"),
    )
    narrative = TextAreaField(
        _l("説明（任意）"),
        validators=[Optional(), Length(max=2000), no_control_characters],
        description=_l("例: 2025年6月の集合研修「データ活用入門」に参加"),
    )


class CsvForm(BaseForm):
    file = FileField(
        _l("CSV ファイル"),
        description=_l("1行目は見出し: email, achievement（任意で evidence_url, narrative）"),
    )


def award_choices() -> list[SelectChoice]:
    """The path badges, tiers first (T1…T4, then L1, L2)."""
    rows = db.session.scalars(
        select(Achievement).where(Achievement.issuance == issuance.PATH_COMPLETION)
    ).all()
    ordered = sorted(rows, key=lambda a: (not badge_code(a).startswith("T"), badge_code(a), a.slug))
    return [
        SelectChoice("", _("選択してください")),
        *(SelectChoice(a.slug, a.name_ja) for a in ordered),
    ]


# Messages -------------------------------------------------------------------------------


def credential_error(code: str, params: dict[str, Any] | None = None) -> str:
    p = params or {}
    return {
        "unknown_email": _("メールアドレス %(e)s の職員が見つかりません。", e=p.get("email", "")),
        "unknown_achievement": _("バッジ %(s)s が見つかりません。", s=p.get("slug", "")),
        "not_awardable": _(
            "%(s)s はスキル認定です。認定は「スキル認定」の画面から行ってください。",
            s=p.get("slug", ""),
        ),
        "out_of_scope": _("他の組織の職員には授与できません（%(e)s）。", e=p.get("email", "")),
        "already_holds": _("%(e)s はこのバッジをすでに持っています。", e=p.get("email", "")),
        "duplicate_line": _(
            "同じ職員とバッジの行が重複しています（%(e)s）。", e=p.get("email", "")
        ),
        "bad_evidence_url": _("証跡の URL は https で始まる URL にしてください。"),
        "bad_encoding": _("CSV を読み取れません。UTF-8 または Shift_JIS で保存してください。"),
        "missing_column": _("見出しに %(c)s の列がありません。", c=p.get("column", "")),
        "no_rows": _("CSV にデータの行がありません。"),
        "too_many_rows": _(
            "行が多すぎます（上限 %(n)s 行）。それ以上はコマンド `flask badges bulk-issue` を使ってください。",
            n=p.get("limit", WEB_CSV_MAX_ROWS),
        ),
        "malformed_csv": _("CSV の形式が正しくありません。"),
        "reason_required": _("失効の理由を入力してください。"),
        "reason_too_long": _("理由が長すぎます。"),
        "already_revoked": _("この認定証はすでに失効しています。"),
        "already_certified": _(
            "この職員はすでに認定されています。期限が近い場合は更新してください。"
        ),
        "missing_requirement": _(
            "認定に必要なバッジ（%(m)s）を持っていません。", m=", ".join(p.get("missing", []))
        ),
        "not_certification": _("スキル認定のバッジではありません。"),
        "not_renewable": _("この認定証は更新できません。"),
        "signing_key_unavailable": _("署名の鍵を使えません。管理者に連絡してください。"),
        "no_active_key": _(
            "署名の鍵がありません。管理者に連絡してください（flask keys generate）。"
        ),
        "person_without_email": _("この職員にはメールアドレスがありません。"),
    }.get(code, _("処理できませんでした（%(code)s）。", code=code))


def _error_text(exc: PortalError) -> str:
    return credential_error(exc.code, exc.params)


# Scope -------------------------------------------------------------------------------------


def scoped_credential(uuid: UUID | str, org: Organisation | None) -> IssuedCredential:
    """A credential of someone in `org` (None: any organisation, for admins); else 404."""
    credential = load_credential(str(uuid))
    if credential is None or (org is not None and credential.person.organisation_id != org.id):
        abort(404)
    return credential


def credentials_query(org: Organisation | None, status: str | None, q: str) -> Select[Any]:
    query = (
        select(IssuedCredential)
        .join(Person, Person.id == IssuedCredential.person_id)
        .options(
            joinedload(IssuedCredential.person),
            joinedload(IssuedCredential.achievement),
            joinedload(IssuedCredential.issuer),
        )
        .order_by(IssuedCredential.issued_at.desc(), IssuedCredential.id.desc())
    )
    if org is not None:
        query = query.where(Person.organisation_id == org.id)
    if status in ("active", "revoked", "superseded"):
        query = query.where(IssuedCredential.status == CredentialStatus(status))
    q = q.strip()
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(
            or_(
                Person.name.like(like),
                Person.staff_number == q,
                IssuedCredential.uuid == q.removeprefix("urn:uuid:"),
            )
        )
    return query


# Shared views (HR and admin) ---------------------------------------------------------------


def list_view(*, org: Organisation | None, template: str, **extra: Any) -> str:
    status = request.args.get("status") or "active"
    q = request.args.get("q", "")[:100]
    page = db.paginate(
        credentials_query(org, status, q),
        page=int_arg("page") or 1,
        per_page=PER_PAGE,
        error_out=False,
    )
    now = utcnow()
    return render_template(
        template,
        org=org,
        page=page,
        rows=[(c, credential_state(c, now)) for c in page.items],
        status=status,
        q=q,
        **extra,
    )


def revoke_view(
    uuid: UUID, *, org: Organisation | None, template: str, done: Callable[[], str], **extra: Any
) -> Response | str | tuple[str, int]:
    credential = scoped_credential(uuid, org)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            issuance.revoke(
                db.session,
                credential=credential,
                actor=actor(),
                reason=form.reason.data,
                now=utcnow(),
            )
        except PermissionDenied:
            abort(404)
        except (ValidationFailed, Conflict) as exc:
            form.add_error("reason", _error_text(exc))
        else:
            db.session.commit()
            flash(_("認定証を失効させました。失効リストにすぐ反映されます。"), "success")
            return redirect(done())
    status = 400 if form.errors else 200
    return (
        render_template(
            template,
            credential=credential,
            state=credential_state(credential, utcnow()),
            form=form,
            **extra,
        ),
        status,
    )


def award_view(
    *, org: Organisation | None, template: str, **extra: Any
) -> Response | tuple[str, int]:
    """The manual award form and the CSV upload (all or nothing, errors per line)."""
    form = AwardForm(prefix="one")
    form.achievement.choices = award_choices()
    csv_form = CsvForm(prefix="csv")
    line_errors: list[tuple[int | None, str]] = []
    status = 200
    if (
        request.method == "POST"
        and request.form.get("action") == "one"
        and form.validate_on_submit()
    ):
        try:
            credential = issuance.award(
                db.session,
                issuance_settings(),
                active_key(),
                issuance.AwardRow(
                    form.email.data,
                    form.achievement.data,
                    form.evidence_url.data,
                    form.narrative.data,
                ),
                actor=actor(),
                now=utcnow(),
            )
        except PortalError as exc:
            db.session.rollback()
            field = {"bad_evidence_url": "evidence_url", "already_holds": "email"}.get(
                exc.code, "email"
            )
            form.add_error(field, _error_text(exc))
            status = 400
        else:
            db.session.commit()
            flash(_("バッジを授与しました。"), "success")
            return redirect(url_for("public.credential", uuid=credential.uuid))
    elif (
        request.method == "POST"
        and request.form.get("action") == "csv"
        and csv_form.validate_on_submit()
    ):
        upload = csv_form.file.data
        raw = upload.read(5 * 1024 * 1024 + 1) if upload else b""
        rows, file_errors = issuance.read_award_csv(raw, max_rows=WEB_CSV_MAX_ROWS)
        errors = file_errors
        plan = None
        if not errors:
            try:
                settings = issuance_settings()
                plan = issuance.plan_awards(
                    db.session,
                    rows,
                    actor=actor(),
                    operator=issuance.get_operator(db.session, settings),
                )
                errors = plan.errors
            except PortalError as exc:
                errors = [(None, exc.code, exc.params)]
        if errors or plan is None:
            line_errors = [(line, credential_error(code, params)) for line, code, params in errors]
            status = 400
        else:
            try:
                issued = issuance.issue_planned(
                    db.session,
                    issuance_settings(),
                    active_key(),
                    plan.items,
                    actor=actor(),
                    now=utcnow(),
                )
            except PortalError as exc:
                db.session.rollback()
                line_errors = [(None, _error_text(exc))]
                status = 400
            else:
                db.session.commit()
                flash(_("%(n)s 件のバッジを授与しました。", n=len(issued)), "success")
                return redirect(request.path)
    elif request.method == "POST":
        status = 400
    return render_template(
        template, org=org, form=form, csv_form=csv_form, line_errors=line_errors, **extra
    ), status


def audit_query(org: Organisation | None, action: str | None) -> Select[Any]:
    query = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )
    if org is not None:
        query = query.where(
            AuditEvent.organisation_id == org.id, AuditEvent.action.like("credential.%")
        )
    if action:
        query = query.where(AuditEvent.action.like(f"{action.replace('%', '')}%"))
    return query


def action_label(action: str) -> str:
    """Words for an audit action (unknown actions are shown as recorded)."""
    return {
        "credential.issued": _("新規発行"),
        "credential.awarded": _("手動で授与"),
        "credential.certified": _("スキル認定"),
        "credential.renewed": _("認定の更新"),
        "credential.revoked": _("失効"),
        "credential.reissued": _("再発行（鍵の無効化）"),
        "credential.visibility": _("公開範囲の変更"),
        "credential.not_issued": _("発行せず（保有済みなど）"),
        "keys.generated": _("署名鍵の生成"),
        "keys.rotated": _("署名鍵の更新"),
        "keys.compromised": _("署名鍵の無効化"),
    }.get(action, action)


def audit_view(
    *, org: Organisation | None, template: str, actions: Sequence[str], **extra: Any
) -> str:
    action = request.args.get("action") or None
    action = action if action in actions else None
    page = db.paginate(
        audit_query(org, action), page=int_arg("page") or 1, per_page=PER_PAGE, error_out=False
    )
    person_ids = {
        e.data.get("person_id")
        for e in page.items
        if isinstance(e.data, dict) and isinstance(e.data.get("person_id"), int)
    }
    holders = (
        dict(
            db.session.execute(
                select(Person.id, Person.name).where(Person.id.in_(person_ids))
            ).all()
        )
        if person_ids
        else {}
    )
    return render_template(
        template,
        org=org,
        page=page,
        action=action,
        actions=actions,
        action_label=action_label,
        holders=holders,
        **extra,
    )


# HR routes ---------------------------------------------------------------------------------

HR_EXTRA = {"nav_template": "hr/_nav.html", "area": "hr"}


@bp.get("/credentials")
def credentials() -> str:
    return list_view(org=organisation(), template="hr/credentials.html", **HR_EXTRA)


@bp.route("/credentials/<uuid:uuid>/revoke", methods=["GET", "POST"])
def credential_revoke(uuid: UUID) -> Response | str | tuple[str, int]:
    return revoke_view(
        uuid,
        org=organisation(),
        template="hr/credentials_revoke.html",
        done=lambda: url_for("hr.credentials", status="revoked"),
        **HR_EXTRA,
    )


@bp.route("/credentials/award", methods=["GET", "POST"])
def credentials_award() -> Response | tuple[str, int]:
    return award_view(org=organisation(), template="hr/credentials_award.html", **HR_EXTRA)


@bp.get("/credentials/audit")
def credentials_audit() -> str:
    return audit_view(
        org=organisation(),
        template="hr/credentials_audit.html",
        actions=CREDENTIAL_ACTIONS,
        **HR_EXTRA,
    )


CREDENTIAL_ACTIONS = (
    "credential.issued",
    "credential.awarded",
    "credential.certified",
    "credential.renewed",
    "credential.revoked",
    "credential.reissued",
    "credential.visibility",
    "credential.not_issued",
)


# Level certification ---------------------------------------------------------------------


def _certifications() -> list[Achievement]:
    return list(
        db.session.scalars(
            select(Achievement)
            .where(Achievement.issuance == issuance.HR_APPROVAL)
            .order_by(Achievement.slug)
        )
    )


def eligible_people(org: Organisation, achievement: Achievement, limit: int = 500) -> list[Person]:
    """Staff of `org` holding every required badge (active, unexpired) but not this one."""
    now = utcnow()
    required = list(achievement.requires or [])
    query = select(Person).where(
        Person.organisation_id == org.id, Person.is_active_account.is_(True)
    )
    if required:
        holders = (
            select(IssuedCredential.person_id)
            .join(Achievement, Achievement.id == IssuedCredential.achievement_id)
            .where(
                Achievement.slug.in_(required),
                IssuedCredential.status == CredentialStatus.ACTIVE,
                or_(IssuedCredential.valid_until.is_(None), IssuedCredential.valid_until > now),
            )
            .group_by(IssuedCredential.person_id)
            .having(func.count(func.distinct(Achievement.slug)) == len(set(required)))
        )
        query = query.where(Person.id.in_(holders))
    already = select(IssuedCredential.person_id).where(
        IssuedCredential.achievement_id == achievement.id,
        IssuedCredential.status == CredentialStatus.ACTIVE,
    )
    query = (
        query.where(Person.id.not_in(already)).order_by(Person.name_kana, Person.id).limit(limit)
    )
    return list(db.session.scalars(query))


def renewals(org: Organisation, achievement_ids: list[int]) -> list[IssuedCredential]:
    """Active certifications of `org` that expire within 90 days (or already expired)."""
    if not achievement_ids:
        return []
    soon = utcnow() + EXPIRY_WINDOW
    return list(
        db.session.scalars(
            select(IssuedCredential)
            .join(Person, Person.id == IssuedCredential.person_id)
            .where(
                Person.organisation_id == org.id,
                IssuedCredential.achievement_id.in_(achievement_ids),
                IssuedCredential.status == CredentialStatus.ACTIVE,
                IssuedCredential.valid_until.is_not(None),
                IssuedCredential.valid_until <= soon,
            )
            .options(joinedload(IssuedCredential.person), joinedload(IssuedCredential.achievement))
            .order_by(IssuedCredential.valid_until)
        )
    )


@bp.get("/certifications")
def certifications(form: NoteForm | None = None, status: int = 200) -> tuple[str, int]:
    org = organisation()
    levels = _certifications()
    slug = request.args.get("level") or (levels[0].slug if levels else None)
    selected = next((a for a in levels if a.slug == slug), levels[0] if levels else None)
    people = eligible_people(org, selected) if selected else []
    required = (
        list(db.session.scalars(select(Achievement).where(Achievement.slug.in_(selected.requires))))
        if selected and selected.requires
        else []
    )
    return (
        render_template(
            "hr/credentials_certify.html",
            org=org,
            levels=levels,
            selected=selected,
            people=people,
            required=required,
            renewals=renewals(org, [a.id for a in levels]),
            form=form or NoteForm(),
            now=utcnow(),
            **HR_EXTRA,
        ),
        status,
    )


@bp.post("/certifications")
def certify() -> Response | tuple[str, int]:
    org = organisation()
    form = NoteForm()
    if not form.validate_on_submit():
        return certifications(form, 400)
    person = db.session.scalar(
        select(Person).where(
            Person.uuid == (form.person.data or ""), Person.organisation_id == org.id
        )
    )
    achievement = db.session.scalar(
        select(Achievement).where(Achievement.slug == (form.achievement.data or ""))
    )
    if person is None or achievement is None:
        abort(404)
    try:
        credential = issuance.certify(
            db.session,
            issuance_settings(),
            active_key(),
            person=person,
            achievement=achievement,
            actor=actor(),
            now=utcnow(),
            note=form.note.data,
        )
    except PermissionDenied:
        abort(404)
    except PortalError as exc:
        db.session.rollback()
        flash(_error_text(exc), "error")
        return redirect(url_for("hr.certifications", level=achievement.slug))
    db.session.commit()
    flash(_("%(name)s さんを認定しました。", name=person.name), "success")
    return redirect(url_for("public.credential", uuid=credential.uuid))


@bp.post("/credentials/<uuid:uuid>/renew")
def credential_renew(uuid: UUID) -> Response:
    credential = scoped_credential(uuid, organisation())
    form = NoteForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        new = issuance.renew(
            db.session,
            issuance_settings(),
            active_key(),
            credential=credential,
            actor=actor(),
            now=utcnow(),
            note=form.note.data,
        )
    except PermissionDenied:
        abort(404)
    except PortalError as exc:
        db.session.rollback()
        flash(_error_text(exc), "error")
        return redirect(url_for("hr.certifications"))
    db.session.commit()
    flash(_("認定を更新しました。以前の認定証は「更新済み」になりました。"), "success")
    return redirect(url_for("public.credential", uuid=new.uuid))


# Bulk verification ------------------------------------------------------------------------


def _verify_limit() -> str:
    from flask import current_app

    return str(current_app.config["VERIFY_RATE_LIMIT"])


def verification_rows(lines: list[str]) -> list[list[str]]:
    """One result row per input line (a credential URL or a JWS)."""
    from portal.public.verify import check_message, run_verification

    language = lang()
    out: list[list[str]] = []
    for number, text in enumerate(lines, start=1):
        value = text.strip().strip('"').strip()
        if not value:
            continue
        outcome = run_verification(data=value)
        failing = outcome.failures
        summary = outcome.summary or {}
        out.append(
            [
                str(number),
                value[:80] + ("…" if len(value) > 80 else ""),
                "valid" if outcome.valid else "invalid",
                " ".join(f"{c.code}:{c.message_key}" for c in failing),
                " / ".join(check_message(c, language) for c in failing) or "",
                str(summary.get("id") or ""),
                str(summary.get("name") or ""),
                str((summary.get("issuer") or {}).get("name") or ""),
                str(summary.get("holder") or ""),
                str(summary.get("status") or ""),
                str(summary.get("validFrom") or ""),
                str(summary.get("validUntil") or ""),
            ]
        )
    return out


VERIFY_HEADER = [
    "line",
    "input",
    "result",
    "failed_checks",
    "message",
    "credential_id",
    "badge",
    "issuer",
    "holder",
    "status",
    "valid_from",
    "valid_until",
]


@bp.route("/credentials/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
def credentials_verify() -> Response | tuple[str, int]:
    org = organisation()
    form = CsvForm(prefix="csv")
    problem = None
    if request.method == "POST" and form.validate_on_submit():
        upload = form.file.data
        raw = upload.read(4 * 1024 * 1024 + 1) if upload else b""
        from portal.services.staff_import import decode_csv

        decoded = decode_csv(raw) if raw and len(raw) <= 4 * 1024 * 1024 else None
        if decoded is None:
            problem = _("CSV を読み取れません（UTF-8 または Shift_JIS、4 MB まで）。")
        else:
            cells = [row[0] if row else "" for row in csv.reader(io.StringIO(decoded[0]))]
            if cells and cells[0].strip().lower() in ("url", "jws", "credential", "認定証"):
                cells = cells[1:]
            cells = [c for c in cells if c.strip()]
            if not cells:
                problem = _("CSV にデータの行がありません。")
            elif len(cells) > BULK_VERIFY_MAX_LINES:
                problem = _("行が多すぎます（上限 %(n)s 行）。", n=BULK_VERIFY_MAX_LINES)
            else:
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                writer.writerow(VERIFY_HEADER)
                writer.writerows(verification_rows(cells))
                body = "\ufeff" + buffer.getvalue()
                response = Response(body, content_type="text/csv; charset=utf-8")
                stamp = utcnow().strftime("%Y%m%d-%H%M%S")
                response.headers["Content-Disposition"] = (
                    f'attachment; filename="verification-{org.slug}-{stamp}.csv"'
                )
                response.headers["Cache-Control"] = "no-store"
                return response
    status = 400 if request.method == "POST" else 200
    return render_template(
        "hr/credentials_verify.html", org=org, form=form, problem=problem, **HR_EXTRA
    ), status
