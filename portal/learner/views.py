from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user, login_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import FileStorage
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from portal.auth.forms import PasswordChangeForm
from portal.exceptions import Conflict, NotFound, ValidationFailed
from portal.extensions import db
from portal.forms import BaseForm
from portal.learner import bp
from portal.learner.forms import (
    AREA_NAMES,
    CourseStepForm,
    ExerciseStepForm,
    field_name,
    selfcheck_form_class,
)
from portal.learner.messages import entry_error, learning_error, notice_text, notice_url
from portal.models import (
    CredentialStatus,
    EnrolmentStatus,
    IssuedCredential,
    LearningPath,
    Person,
    Placement,
    PublicationStatus,
    StepKind,
    Unit,
)
from portal.models.base import utcnow
from portal.services import accounts, learning, notifications, selfcheck
from portal.services.audit import record_event
from portal.services.evidence import (
    EvidenceStore,
    EvidenceUpload,
    can_view_evidence,
    inspect_upload,
)
from portal.web import hasher, password_error_message

RECENT_BADGES = 6


@bp.app_template_filter("hours")
def hours_filter(value: Decimal | float | int | None) -> str:
    """Study hours without trailing zeros: 1.50 → 1.5, 2.00 → 2."""
    number = Decimal(str(value or 0)).quantize(Decimal("0.01")).normalize()
    return f"{number:f}"


def _me() -> Person:
    return current_user._get_current_object()


def _today() -> Any:
    """Today in the display time zone (Asia/Tokyo), for date checks."""
    return to_user_timezone(utcnow()).date()


def _hook() -> learning.CompletionHook | None:
    return current_app.extensions.get("completion_hook")


def _store() -> EvidenceStore:
    return EvidenceStore(Path(current_app.config["UPLOAD_DIR"]))


# Home -------------------------------------------------------------------------------


def _badge_url(credential: IssuedCredential) -> str | None:
    """The issuance area's badge page, whatever it names its URL argument."""
    if "learner.badge" not in current_app.view_functions:
        return None
    for args in (
        {"uuid": credential.uuid},
        {"credential_id": credential.uuid},
        {"id": credential.id},
    ):
        try:
            return url_for("learner.badge", **args)
        except BuildError:
            continue
    return None


def _recent_badges(person_id: int) -> list[tuple[IssuedCredential, str | None]]:
    credentials = db.session.scalars(
        select(IssuedCredential)
        .where(
            IssuedCredential.person_id == person_id,
            IssuedCredential.status == CredentialStatus.ACTIVE,
        )
        .options(joinedload(IssuedCredential.achievement))
        .order_by(IssuedCredential.issued_at.desc())
        .limit(RECENT_BADGES)
    ).all()
    return [(c, _badge_url(c)) for c in credentials]


def _featured() -> Any:
    try:
        from portal.services.catalogue import current_featured
    except ImportError:  # the catalogue area is not there yet
        return None
    return current_featured(db.session, _today())


def _paths_by_tier() -> dict[str, LearningPath]:
    paths = db.session.scalars(
        select(LearningPath)
        .where(LearningPath.status == PublicationStatus.PUBLISHED)
        .order_by(LearningPath.position, LearningPath.id)
    ).all()
    result: dict[str, LearningPath] = {}
    for path in paths:
        if path.tier_code:
            result.setdefault(path.tier_code, path)
    return result


@bp.get("/")
def home() -> str:
    me = _me()
    check = selfcheck.find_latest_selfcheck(db.session, me.id)
    return render_template(
        "learner/home.html",
        progress=learning.list_enrolment_progress(db.session, me.id),
        unread=notifications.count_unread(db.session, me.id),
        notices=[
            (n, notice_text(n), notice_url(n))
            for n in notifications.list_notifications(db.session, me.id, limit=5, unread_only=True)
        ],
        badges=_recent_badges(me.id),
        featured=_featured(),
        check=check,
        paths_by_tier=_paths_by_tier() if check else {},
    )


# Paths ------------------------------------------------------------------------------


@bp.get("/paths")
def paths() -> str:
    me = _me()
    published = learning.list_published_paths(db.session)
    mine = {
        p.path.id: p
        for p in learning.list_enrolment_progress(db.session, me.id, include_withdrawn=True)
    }
    done = learning.completed_path_ids(db.session, me.id)
    requires = learning.prerequisite_map(db.session)
    check = selfcheck.find_latest_selfcheck(db.session, me.id)
    rows = []
    for path in published:
        missing = [p for p in requires.get(path.id, []) if p.id not in done]
        rows.append(
            (path, mine.get(path.id), missing, learning.compute_progress(path, path.steps, []))
        )
    return render_template(
        "learner/paths.html",
        rows=rows,
        suggested=check.suggested_tier if check else None,
    )


def _path_or_404(slug: str) -> LearningPath:
    try:
        return learning.get_path_for_learner(db.session, slug, _me().id)
    except NotFound:
        abort(404)


@bp.get("/paths/<slug>")
def path(slug: str) -> str:
    me = _me()
    learning_path = _path_or_404(slug)
    progress = learning.get_path_progress(db.session, me.id, learning_path)
    return render_template(
        "learner/path.html",
        path=learning_path,
        progress=progress,
        prerequisites=learning.list_prerequisites(db.session, learning_path.id, me.id),
        form=BaseForm(),
    )


@bp.post("/paths/<slug>/enrol")
def enrol(slug: str) -> Response:
    learning_path = _path_or_404(slug)
    if not BaseForm().validate_on_submit():
        abort(400)
    try:
        result = learning.enrol(db.session, person=_me(), path=learning_path, now=utcnow())
    except NotFound:
        abort(404)
    except Conflict as exc:
        db.session.rollback()
        flash(learning_error(exc), "error")
        return redirect(url_for("learner.path", slug=slug))
    db.session.commit()
    if result.reactivated:
        flash(_("もう一度登録しました。これまでの記録はそのまま残っています。"), "success")
    elif result.created:
        flash(
            _(
                "「%(name)s」に登録しました。最初のステップから始めましょう。",
                name=learning_path.name_ja,
            ),
            "success",
        )
    else:
        flash(_("このパスにはすでに登録しています。"), "info")
    return redirect(url_for("learner.path", slug=slug))


@bp.post("/paths/<slug>/withdraw")
def withdraw(slug: str) -> Response:
    me = _me()
    learning_path = _path_or_404(slug)
    if not BaseForm().validate_on_submit():
        abort(400)
    enrolment = learning.find_enrolment(
        db.session, me.id, learning_path.id, include_withdrawn=False
    )
    if enrolment is None:  # already withdrawn (a second click)
        return redirect(url_for("learner.path", slug=slug))
    try:
        learning.withdraw(db.session, person=me, enrolment=enrolment, now=utcnow())
    except Conflict as exc:
        db.session.rollback()
        flash(learning_error(exc), "error")
        return redirect(url_for("learner.path", slug=slug))
    db.session.commit()
    flash(
        _("受講を取りやめました。記録は残っているので、もう一度登録すれば続きから再開できます。"),
        "success",
    )
    return redirect(url_for("learner.path", slug=slug))


@bp.post("/paths/<slug>/complete")
def complete(slug: str) -> Response:
    learning_path = _path_or_404(slug)
    if not BaseForm().validate_on_submit():
        abort(400)
    try:
        completion = learning.retry_completion(
            db.session, person=_me(), path=learning_path, now=utcnow(), hook=_hook()
        )
    except NotFound:
        abort(404)
    except Conflict as exc:
        db.session.rollback()
        flash(learning_error(exc), "error")
        return redirect(url_for("learner.path", slug=slug))
    db.session.commit()
    if completion is not None:
        flash(_("パスを修了しました。おめでとうございます。"), "success")
    return redirect(url_for("learner.path", slug=slug))


# Steps ------------------------------------------------------------------------------


def _step_form(ctx: learning.StepContext, formdata: bool) -> CourseStepForm | ExerciseStepForm:
    form_class = CourseStepForm if ctx.step.kind == StepKind.COURSE else ExerciseStepForm
    if formdata:
        return form_class()
    current = ctx.current
    values: dict[str, Any] = {"base_version": ctx.record.current_version if ctx.record else 0}
    if current is not None:
        values.update(
            completed_on=current.completed_on,
            certificate_url=current.certificate_url or "",
            reflection=current.reflection,
            deliverable_text=current.deliverable_text or "",
        )
    return form_class(formdata=None, data=values)


def _read_upload(form: CourseStepForm | ExerciseStepForm) -> tuple[EvidenceUpload | None, bool]:
    """(the checked upload, whether a file was chosen). Errors go on the form."""
    storage = form.evidence_file.data
    if not isinstance(storage, FileStorage) or not storage.filename:
        return None, False
    limit = current_app.config["MAX_EVIDENCE_BYTES"]
    data = storage.stream.read(limit + 1)
    try:
        return inspect_upload(data, storage.filename, max_bytes=limit), True
    except ValidationFailed as exc:
        form.add_error("evidence_file", entry_error(exc.code, exc.params))
        return None, True


def _entry(form: CourseStepForm | ExerciseStepForm) -> learning.StepEntry:
    if isinstance(form, CourseStepForm):
        return learning.StepEntry(
            completed_on=form.completed_on.data,
            certificate_url=form.certificate_url.data or None,
            reflection=form.reflection.data or "",
            attested=bool(form.attested.data),
            remove_file=bool(form.remove_file.data),
        )
    return learning.StepEntry(
        deliverable_text=form.deliverable_text.data or "",
        reflection=form.reflection.data or "",
        attested=bool(form.attested.data),
        remove_file=bool(form.remove_file.data),
    )


def _field_errors(form: BaseForm, exc: ValidationFailed) -> None:
    """Add the service's field errors, except where the form already reported one."""
    for name, codes in exc.field_errors.items():
        field = getattr(form, name, None)
        if field is not None and field.errors:
            continue
        for code in codes:
            form.add_error(name, entry_error(code, exc.params))


def _render_step(
    ctx: learning.StepContext, form: BaseForm, status: int = 200, **extra: Any
) -> tuple[str, int]:
    return render_template(
        "learner/step.html",
        ctx=ctx,
        path=ctx.path,
        step=ctx.step,
        record=ctx.record,
        current=ctx.current,
        form=form,
        rubric=learning.rubric_items(ctx.step),
        max_mb=current_app.config["MAX_EVIDENCE_BYTES"] // (1024 * 1024),
        **extra,
    ), status


@bp.route("/paths/<slug>/steps/<int:step_id>", methods=["GET", "POST"])
def step(slug: str, step_id: int) -> Response | tuple[str, int]:
    me = _me()
    learning_path = _path_or_404(slug)
    try:
        ctx = learning.get_step_context(db.session, me.id, learning_path, step_id)
    except NotFound:
        abort(404)
    if request.method == "GET":
        return _render_step(ctx, _step_form(ctx, formdata=False))
    form = _step_form(ctx, formdata=True)
    if not ctx.editable and ctx.enrolment.status != EnrolmentStatus.COMPLETED:
        flash(_("この記録はいまは変更できません。"), "error")
        return redirect(url_for("learner.step", slug=slug, step_id=step_id))
    valid = form.validate_on_submit()
    upload, chose_file = _read_upload(form)
    entry = _entry(form)
    current = ctx.current
    keeps_file = (
        current is not None and current.evidence_file_id is not None and not entry.remove_file
    )
    try:
        learning.check_entry(
            learning_path, ctx.step, entry, has_file=chose_file or keeps_file, today=_today()
        )
    except ValidationFailed as exc:
        _field_errors(form, exc)
        valid = False
    if not valid or form.evidence_file.errors:
        # A good file must be chosen again (browsers cannot refill file inputs).
        return _render_step(ctx, form, 422, file_lost=upload is not None)
    # Read what the flash message needs now: after the commit the step is expired and its
    # course may no longer be in the identity map (raise_on_sql would refuse to load it).
    step_title = learning.step_title(ctx.step)
    reviewed = learning.needs_review(ctx.step)
    store = _store()
    try:
        outcome = learning.record_step(
            db.session,
            person=me,
            path=learning_path,
            step_id=step_id,
            entry=entry,
            upload=upload,
            store=store,
            base_version=int(form.base_version.data or 0),
            today=_today(),
            now=utcnow(),
            hook=_hook(),
        )
        db.session.commit()
    except (ValidationFailed, Conflict) as exc:
        db.session.rollback()
        store.discard_written()
        if isinstance(exc, ValidationFailed) and exc.field_errors:
            _field_errors(form, exc)
        else:
            form.form_errors.append(learning_error(exc))
        if exc.code == "record_changed":
            # Show what the other tab saved; saving again now replaces it knowingly.
            form.base_version.data = exc.params.get("current_version", 0)
        learning_path = _path_or_404(slug)  # the rollback expired what was loaded
        ctx = learning.get_step_context(db.session, me.id, learning_path, step_id)
        status = 409 if isinstance(exc, Conflict) else 422
        return _render_step(ctx, form, status, file_lost=upload is not None)
    except NotFound:
        db.session.rollback()
        store.discard_written()
        abort(404)
    except Exception:
        db.session.rollback()
        store.discard_written()
        raise
    store.forget_written()
    _flash_outcome(outcome, step_title=step_title, reviewed=reviewed)
    if outcome.completion is not None or outcome.completion_failed:
        return redirect(url_for("learner.path", slug=slug))
    return redirect(url_for("learner.path", slug=slug, _anchor=f"step-{step_id}"))


def _flash_outcome(outcome: learning.RecordOutcome, *, step_title: str, reviewed: bool) -> None:
    if not outcome.changed:
        flash(_("この内容はすでに記録されています。"), "info")
    elif reviewed:
        flash(
            _("提出しました。研修担当の確認をお待ちください。結果はお知らせとメールで届きます。"),
            "success",
        )
    else:
        flash(_("「%(title)s」の修了を記録しました。", title=step_title), "success")
    if outcome.completion is not None:
        flash(_("パスを修了しました。おめでとうございます。"), "success")
    if outcome.completion_failed:
        flash(learning_error(learning.CompletionFailed()), "error")


# Evidence files ---------------------------------------------------------------------


@bp.get("/evidence/<uuid>")
def evidence(uuid: str) -> Response:
    """An evidence file, as a download, for its owner, trainers and the owner's HR only."""
    me = _me()
    try:
        file, owner = learning.get_evidence(db.session, uuid)
    except NotFound:
        abort(404)
    if not can_view_evidence(me, owner.id, owner.organisation_id):
        abort(404)
    try:
        location = _store().path_for(file.storage_key)
    except ValueError:
        abort(404)
    if not location.is_file():
        abort(404)
    if me.id != owner.id:
        record_event(
            db.session,
            action="evidence.viewed",
            subject_type="evidence_file",
            subject_id=file.uuid,
            actor=me,
            organisation_id=owner.organisation_id,
            data={"owner_id": owner.id},
            ip_address=request.remote_addr,
            now=utcnow(),
        )
        db.session.commit()
    response = send_file(
        location,
        mimetype=file.content_type,
        as_attachment=True,
        download_name=file.original_name,
        max_age=0,
        etag=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# Self-check -------------------------------------------------------------------------


@bp.route("/selfcheck", methods=["GET", "POST"])
def selfcheck_form() -> Response | tuple[str, int]:
    form = selfcheck_form_class()()
    if form.validate_on_submit():
        answers = {q.code: form[field_name(q.code)].data for q in selfcheck.QUESTIONS}
        selfcheck.save_selfcheck(db.session, _me(), answers, utcnow())
        db.session.commit()
        return redirect(url_for("learner.selfcheck_result"))
    status = 422 if request.method == "POST" else 200
    return render_template("learner/selfcheck.html", form=form), status


@bp.get("/selfcheck/result")
def selfcheck_result() -> Response | str:
    check = selfcheck.find_latest_selfcheck(db.session, _me().id)
    if check is None:
        return redirect(url_for("learner.selfcheck_form"))
    return render_template(
        "learner/selfcheck_result.html",
        check=check,
        outcome=selfcheck.outcome_of(check),
        tiers=selfcheck.TIERS,
        areas=[(a, AREA_NAMES[a]) for a in selfcheck.AREAS],
        mastery=selfcheck.MASTERY,
        paths_by_tier=_paths_by_tier(),
    )


# Notices ----------------------------------------------------------------------------


@bp.get("/notices")
def notices() -> str:
    me = _me()
    items = notifications.list_notifications(db.session, me.id, limit=100)
    return render_template(
        "learner/notices.html",
        notices=[(n, notice_text(n), notice_url(n)) for n in items],
        has_unread=any(n.read_at is None for n in items),
    )


@bp.post("/notices/read")
def notices_read() -> Response:
    if BaseForm().validate_on_submit():
        notifications.mark_read(db.session, _me().id, utcnow())
        db.session.commit()
    return redirect(url_for("learner.notices"))


@bp.get("/notices/<int:notice_id>")
def notice(notice_id: int) -> Response:
    """Open a notice: mark it read and go to what it is about."""
    me = _me()
    try:
        item = notifications.get_notification(db.session, me.id, notice_id)
    except NotFound:
        abort(404)
    notifications.mark_read(db.session, me.id, utcnow(), notification_id=item.id)
    db.session.commit()
    return redirect(notice_url(item) or url_for("learner.notices"))


# Profile ----------------------------------------------------------------------------


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
    person = _me()
    return render_template(
        "learner/profile.html", form=PasswordChangeForm(), **_profile_context(person)
    )


@bp.post("/profile/password")
def change_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    person = _me()
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
