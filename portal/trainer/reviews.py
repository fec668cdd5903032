"""The trainers' review queue: exercises and trainer-reviewed course steps (/trainer/reviews)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import Field, HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from portal.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from portal.extensions import db
from portal.forms import BaseForm
from portal.forms.base import no_control_characters
from portal.learner.messages import learning_error, review_error
from portal.mail import send_mail
from portal.models import Person, RecordState, ReviewDecision
from portal.models.base import utcnow
from portal.services import learning
from portal.trainer import bp

PAGE_SIZE = 30

LEVEL_CHOICES = [
    SelectChoice("exceeds", _l("優れている")),
    SelectChoice("meets", _l("達成")),
    SelectChoice("revise", _l("要修正")),
]

QUEUES = {
    "waiting": (RecordState.SUBMITTED,),
    "changes": (RecordState.CHANGES_REQUESTED,),
}


def _int_or_zero(value: object) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def review_form_class(rubric: list[dict[str, Any]]) -> type[BaseForm]:
    """A review form: one level and comment per rubric item, an overall comment."""

    class ReviewForm(BaseForm):
        version = HiddenField(filters=[_int_or_zero])
        comment = TextAreaField(
            _l("全体コメント"),
            validators=[
                Optional(),
                Length(max=learning.MAX_REVIEW_COMMENT_CHARS),
                no_control_characters,
            ],
            render_kw={"rows": 4},
        )

    for item in rubric:
        code = item["code"]
        setattr(
            ReviewForm,
            f"level_{code}",
            RadioField(
                str(item.get("title") or code), choices=LEVEL_CHOICES, validators=[Optional()]
            ),
        )
        setattr(
            ReviewForm,
            f"comment_{code}",
            TextAreaField(
                _l("コメント"),
                validators=[
                    Optional(),
                    Length(max=learning.MAX_REVIEW_COMMENT_CHARS),
                    no_control_characters,
                ],
                render_kw={"rows": 2},
            ),
        )
    return ReviewForm


@bp.get("/reviews")
def review_queue() -> str:
    me = current_user._get_current_object()
    tab = request.args.get("tab", "waiting")
    if tab not in QUEUES:
        tab = "waiting"
    page = db.paginate(
        learning.review_queue_query(reviewer_id=me.id, states=QUEUES[tab]),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render_template(
        "trainer/reviews.html",
        page=page,
        tab=tab,
        recent=learning.list_recent_reviews(db.session, limit=10) if tab == "waiting" else [],
    )


def _items(form: BaseForm, rubric: list[dict[str, Any]]) -> dict[str, learning.ItemAssessment]:
    items = {}
    for item in rubric:
        code = item["code"]
        level = form[f"level_{code}"].data
        if level:
            items[code] = learning.ItemAssessment(level, form[f"comment_{code}"].data or "")
    return items


def _review_field_errors(form: BaseForm, exc: ValidationFailed) -> None:
    for key, codes in exc.field_errors.items():
        name = f"level_{key[5:]}" if key.startswith("item-") else key
        field: Field | None = getattr(form, name, None)
        for code in codes:
            message = review_error(code, exc.params)
            if field is not None:
                field.errors = [*field.errors, message]
            else:
                form.form_errors.append(message)


@bp.route("/reviews/<int:record_id>", methods=["GET", "POST"])
def review(record_id: int) -> Response | tuple[str, int]:
    me: Person = current_user._get_current_object()
    try:
        record = learning.get_submission(db.session, record_id)
    except NotFound:
        abort(404)
    if record.enrolment.person_id == me.id:
        abort(403)
    rubric = learning.rubric_items(record.step)
    form_class = review_form_class(rubric)
    status = 200
    if request.method == "POST":
        form = form_class()
        decision = {
            "approve": ReviewDecision.APPROVED,
            "changes": ReviewDecision.CHANGES_REQUESTED,
        }.get(request.form.get("decision", ""))
        if form.validate_on_submit() and decision is not None:
            try:
                outcome = learning.review_submission(
                    db.session,
                    reviewer=me,
                    record_id=record.id,
                    version=int(form.version.data or 0),
                    decision=decision,
                    items=_items(form, rubric),
                    comment=form.comment.data or "",
                    now=utcnow(),
                    hook=current_app.extensions.get("completion_hook"),
                )
            except ValidationFailed as exc:
                db.session.rollback()
                _review_field_errors(form, exc)
                status = 422
            except (Conflict, PermissionDenied) as exc:
                db.session.rollback()
                flash(learning_error(exc), "error")
                return redirect(url_for("trainer.review", record_id=record_id))
            else:
                db.session.commit()
                if not outcome.changed:
                    flash(_("この判定はすでに保存されています。"), "info")
                    return redirect(url_for("trainer.review_queue"))
                _mail_learner(outcome)
                if decision == ReviewDecision.APPROVED:
                    flash(_("承認しました。受講者に通知しました。"), "success")
                else:
                    flash(_("修正を依頼しました。受講者に通知しました。"), "success")
                if outcome.completion_failed:
                    flash(learning_error(learning.CompletionFailed()), "error")
                return redirect(url_for("trainer.review_queue"))
        else:
            status = 422
            if decision is None:
                form.form_errors.append(_("「承認する」か「修正を依頼する」を選んでください。"))
        record = learning.get_submission(db.session, record_id, fresh=True)
    else:
        form = form_class(formdata=None, data={"version": record.current_version})
    current = next((v for v in record.versions if v.version == record.current_version), None)
    return render_template(
        "trainer/review.html",
        record=record,
        current=current,
        rubric=rubric,
        form=form,
        awaiting=record.state == RecordState.SUBMITTED,
    ), status


def _mail_learner(outcome: learning.ReviewOutcome) -> None:
    """Tell the learner by mail (after the commit), in their language."""
    learner = outcome.learner
    address = learner.primary_email
    if not address:
        return
    record = outcome.record
    path = record.enrolment.path
    link = current_app.config["PORTAL_BASE_URL"] + url_for(
        "learner.step", slug=path.slug, step_id=record.step_id
    )
    approved = outcome.review.decision == ReviewDecision.APPROVED
    with force_locale(learner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = (
            _("【北海道デジタル人材育成ポータル】提出物が承認されました")
            if approved
            else _("【北海道デジタル人材育成ポータル】提出物に修正の依頼があります")
        )
        body = render_template(
            "learner/mail/review_result.txt",
            learner=learner,
            step_title=learning.step_title(record.step),
            path=path,
            approved=approved,
            completed=outcome.completion is not None,
            link=link,
        )
    send_mail(address, subject, body)
