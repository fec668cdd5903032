"""Trainers curate the catalogue: courses, path proposals, review of changes, featured course.

Who may do what is decided in :mod:`portal.services.curation` (any trainer proposes;
an editor or admin approves, never their own proposal unless admin).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from curricula.model import CERTIFICATES, FORMATS, LANGUAGES, MAX_STEPS
from portal.exceptions import Conflict, NotFound, PermissionDenied, PortalError, ValidationFailed
from portal.extensions import db
from portal.models import (
    CatalogueChange,
    ChangeStatus,
    Course,
    Exercise,
    LearningPath,
    Person,
    PublicationStatus,
)
from portal.models.base import utcnow
from portal.public.catalogue import catalogue_helpers, localized, today_in_japan, vocab
from portal.services import catalogue, curation
from portal.services.catalogue_sync import course_snapshot
from portal.trainer import bp
from portal.trainer.forms import (
    ActionForm,
    CourseForm,
    CourseNewForm,
    DecisionForm,
    FeaturedForm,
    PathForm,
    StepForm,
)

PAGE_SIZE = 30
#: Longest value put back into a form after an error (a 10 MB paste is not echoed back).
MAX_ECHO = 10_000
#: The course forms accept large bodies so that an over-long text gets a clear error
#: (checked by the form) instead of the generic "too large" page.
LARGE_FORM_ENDPOINTS = frozenset({"trainer.course_new", "trainer.course_edit"})

bp.context_processor(catalogue_helpers)


@bp.url_value_preprocessor
def _allow_large_forms(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    # Runs before the CSRF check reads the form (before_request), hence here.
    if endpoint in LARGE_FORM_ENDPOINTS and request.method == "POST":
        request.max_form_memory_size = current_app.config.get("MAX_CONTENT_LENGTH")


def _actor() -> Person:
    return current_user._get_current_object()


# -- error words -----------------------------------------------------------------------


def field_error(code: str) -> str:
    """Words for a field error code from services.curation (``name:param:…``)."""
    name, _sep, rest = code.partition(":")
    args = rest.split(":") if rest else []
    simple = {
        "required": _("入力してください。"),
        "control_characters": _("制御文字は使用できません。"),
        "invisible_characters": _("表示されない特殊な文字（書式制御文字など）は使用できません。"),
        "markup": _("HTMLタグ（「<」で始まる記述）は使用できません。"),
        "no_letters": _(
            "文字（かな・漢字・英字）を含めてください。絵文字や記号だけの名前は使えません。"
        ),
        "not_japanese": _("日本語で入力してください。"),
        "url_scheme": _(
            "http:// または https:// で始まるURLを入力してください（javascript: や data: などは使えません）。"
        ),
        "url_invalid": _("URLの形式が正しくありません。"),
        "choice": _("一覧から選んでください。"),
        "choose_one": _("1つ以上選んでください。"),
        "hours_number": _("半角数字で入力してください（例: 1.5）。"),
        "hours_range": _("0より大きく500以下の数値を入力してください。"),
        "hours_precision": _("小数点以下は2桁までにしてください。"),
        "hours_order": _("上限は下限と同じか、それより大きくしてください。"),
        "slug": _("識別子は英小文字・数字・ハイフンで、80文字以内にしてください。"),
        "no_required": _("必須のステップを1つ以上にしてください。"),
        "note_required": _("差し戻す理由を書いてください。"),
    }
    if name in simple:
        return simple[name]
    if name == "too_long" and len(args) == 2:
        return _(
            "%(max)s文字以内で入力してください（現在 %(n)s 文字）。",
            max=args[0],
            n=f"{int(args[1]):,}",
        )
    if name == "step_count" and len(args) == 3:
        return _(
            "ステップは%(min)s〜%(max)s件にしてください（現在 %(n)s 件）。",
            min=args[0],
            max=args[1],
            n=args[2],
        )
    if name == "electives" and args:
        return _("選択ステップは%(n)s件なので、0〜%(n)s の数にしてください。", n=args[0])
    value = ":".join(args)
    keyed = {
        "duplicate_step": _("同じステップが2回入っています: %(v)s", v=value),
        "unknown_step": _("見つからない講座・演習です: %(v)s", v=value),
        "retired_step": _("廃止された講座・演習は使えません: %(v)s", v=value),
        "exercise_review": _("模擬演習は「研修担当がレビュー」にしてください: %(v)s", v=value),
    }
    return keyed.get(name, _("入力内容を確認してください（%(code)s）。", code=code))


def curation_message(exc: PortalError) -> str:
    """Words for a Conflict / PermissionDenied / ValidationFailed code of services.curation."""
    p = exc.params
    messages = {
        "duplicate_url": _(
            "このURLの講座はすでに登録されています:「%(title)s」。同じ講座を二重に登録しないでください。",
            title=p.get("title", ""),
        ),
        "slug_taken": _("識別子「%(slug)s」はすでに使われています。", slug=p.get("slug", "")),
        "change_pending": _(
            "別の研修担当の提案（#%(id)s）がまだ審査中です。その提案が決まってから変更してください。",
            id=p.get("change_id", ""),
        ),
        "no_changes": _("変更がありません。"),
        "retired": _("廃止された講座は編集できません。"),
        "stale_change": _(
            "提案のあとで内容が変わったため、この提案は承認できません。差し戻して、作成者に出し直してもらってください。"
        ),
        "course_not_published": _(
            "講座「%(title)s」はまだ公開されていません。先に講座の追加を承認してください。",
            title=p.get("title", ""),
        ),
        "path_full": _(
            "ラーニングパスのステップが上限（%(max)s件）に達しています。", max=p.get("max", "")
        ),
        "unknown_path": _("追加先のラーニングパスが見つかりません。"),
        "not_in_review": _("この変更は審査中ではありません。"),
        "own_change": _("自分の提案は承認できません。別の編集者に依頼してください。"),
        "not_editor": _("承認・差し戻しと今月のおすすめの設定は、編集者と管理者だけができます。"),
        "not_author": _("提案した本人だけが操作できます。"),
        "not_draft": _("下書きではないため、審査に出せません。"),
        "not_open": _("この変更はすでに決定済みです。"),
        "already_verified": _("このURLはすでに確認済みです。"),
    }
    return messages.get(exc.code, _("処理できませんでした（%(code)s）。", code=exc.code))


def _apply_errors(form: Any, exc: ValidationFailed) -> None:
    """Put a service's field errors on the form (fields that already have an error keep theirs)."""
    if not exc.field_errors:
        form.add_error("", curation_message(exc))
    for name, codes in exc.field_errors.items():
        field = getattr(form, name, None)
        if field is not None and field.errors:
            continue
        for code in codes:
            form.add_error(name, field_error(code))


def _trim_echo(form: Any) -> None:
    """Keep what the trainer typed, but never echo more than MAX_ECHO characters of a field."""
    for field in form:
        if isinstance(field.data, str) and len(field.data) > MAX_ECHO:
            field.data = field.data[:MAX_ECHO]
            field.raw_data = [field.data]
            field.errors = [
                *field.errors,
                _("長すぎるため、入力の先頭%(n)s文字だけを残しています。", n=f"{MAX_ECHO:,}"),
            ]


# -- home ------------------------------------------------------------------------------


@bp.get("/")
def home() -> str:
    actor = _actor()
    review_count = db.session.scalar(
        select(func.count())
        .select_from(CatalogueChange)
        .where(CatalogueChange.status == ChangeStatus.REVIEW)
    )
    my_drafts = db.session.scalar(
        select(func.count())
        .select_from(CatalogueChange)
        .where(
            CatalogueChange.status == ChangeStatus.DRAFT,
            CatalogueChange.proposed_by_id == actor.id,
        )
    )
    return render_template(
        "trainer/home.html",
        counts=catalogue.catalogue_counts(db.session),
        review_count=review_count or 0,
        my_drafts=my_drafts or 0,
        featured=catalogue.current_featured(db.session, today_in_japan()),
    )


# -- courses ---------------------------------------------------------------------------

STATUS_FILTERS = {
    "": [PublicationStatus.PUBLISHED, PublicationStatus.DRAFT, PublicationStatus.REVIEW],
    "published": [PublicationStatus.PUBLISHED],
    "draft": [PublicationStatus.DRAFT],
    "review": [PublicationStatus.REVIEW],
    "retired": [PublicationStatus.RETIRED],
}


@bp.get("/courses")
def catalogue_list() -> str:
    status = request.args.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    filters = catalogue.CourseFilters.clean({"q": request.args.get("q", "")})
    query = catalogue.course_search(filters, statuses=STATUS_FILTERS[status])
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "trainer/catalogue.html", page=page, q=filters.q, status=status, statuses=STATUS_FILTERS
    )


@bp.get("/courses/needs-checking")
def needs_checking() -> str:
    page = db.paginate(catalogue.needs_checking_query(), per_page=PAGE_SIZE, error_out=False)
    return render_template(
        "trainer/catalogue_needs_checking.html",
        page=page,
        counts=catalogue.catalogue_counts(db.session),
        action_form=ActionForm(),
    )


def _course_choices(form: CourseForm) -> None:
    facets = catalogue.list_facets(db.session)
    form.language.choices = [(code, vocab("language", code)) for code in LANGUAGES]
    form.format.choices = [("", _("選んでください"))] + [
        (code, vocab("format", code)) for code in FORMATS
    ]
    form.certificate.choices = [(code, vocab("certificate", code)) for code in CERTIFICATES]
    form.tiers.choices = [(t.code, f"{t.code} {localized(t, 'name')}") for t in facets.tiers]
    form.levels.choices = [(t.code, localized(t, "name")) for t in facets.levels]
    form.dss.choices = [
        SelectChoice(
            t.ref,
            f"{'　' if t.parent_code else ''}{localized(t, 'name')}",
            optgroup=localized(f, "name"),
        )
        for f, items in facets.frameworks
        for t in items
    ]
    if isinstance(form, CourseNewForm):
        form.add_to_path.choices = [("", _("追加しない"))] + [
            (p.slug, f"{p.code} {localized(p, 'name')}") for p in catalogue.list_paths(db.session)
        ]


def _course_input(form: CourseForm) -> curation.CourseInput:
    """The form's values as a CourseInput (hours that are not numbers get an error and None)."""
    hours = {}
    for name in ("hours_min", "hours_max"):
        raw = (getattr(form, name).data or "").strip()
        value = curation.parse_decimal(raw.translate(_FULLWIDTH_DIGITS))
        if value is None and raw and not getattr(form, name).errors:
            form.add_error(name, field_error("hours_number"))
        hours[name] = value
    return curation.CourseInput(
        title=curation.tidy_text(form.title.data),
        provider=curation.tidy_text(form.provider.data),
        url=(form.url.data or "").strip(),
        language=form.language.data or "",
        hours_min=hours["hours_min"],
        hours_max=hours["hours_max"],
        hours_text=curation.tidy_text(form.hours_text.data) or None,
        format=form.format.data or "",
        certificate=form.certificate.data or "",
        description=curation.tidy_text(form.description.data),
        caution=curation.tidy_text(form.caution.data) or None,
        tiers=tuple(form.tiers.data or ()),
        levels=tuple(form.levels.data or ()),
        dss=tuple(form.dss.data or ()),
        url_checked=bool(form.url_checked.data),
    )


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")


def _validate_course_form(form: CourseForm) -> bool:
    """Check the form's shape; when that fails, also show the rule errors of the other
    fields at once, so the trainer can fix everything in one go."""
    if request.method != "POST":
        return False
    if form.validate_on_submit():
        return True
    try:
        curation.validate_course_input(db.session, _course_input(form))
    except ValidationFailed as exc:
        _apply_errors(form, exc)
    return False


def _submitting() -> bool:
    return request.form.get("action") == "submit"


def _course_or_404(slug: str) -> Course:
    course = catalogue.find_course(db.session, slug)
    if course is None:
        abort(404)
    return course


def _render_course_form(
    form: CourseForm, course: Course | None, duplicate: Course | None, status: int
) -> tuple[str, int]:
    _trim_echo(form)
    return render_template(
        "trainer/catalogue_form.html", form=form, course=course, duplicate=duplicate
    ), status


@bp.route("/courses/new", methods=["GET", "POST"])
def course_new() -> Response | tuple[str, int]:
    form = CourseNewForm()
    _course_choices(form)
    duplicate = None
    if _validate_course_form(form):
        data = _course_input(form)
        if not form.errors:
            addition = (
                curation.PathAddition(form.add_to_path.data, bool(form.add_required.data))
                if form.add_to_path.data
                else None
            )
            try:
                change = curation.propose_course(
                    db.session,
                    data,
                    actor=_actor(),
                    now=utcnow(),
                    submit=_submitting(),
                    slug=(form.slug.data or "").strip() or None,
                    comment=form.comment.data,
                    add_to_path=addition,
                )
            except ValidationFailed as exc:
                db.session.rollback()
                _apply_errors(form, exc)
            except Conflict as exc:
                db.session.rollback()
                if exc.code == "duplicate_url":
                    duplicate = catalogue.find_course(db.session, exc.params["slug"])
                form.add_error("slug" if exc.code == "slug_taken" else "url", curation_message(exc))
            else:
                db.session.commit()
                flash(_submitted_message(change), "success")
                return redirect(url_for("trainer.course_detail", slug=change.subject_slug))
    status = 400 if request.method == "POST" else 200
    return _render_course_form(form, None, duplicate, status)


def _submitted_message(change: CatalogueChange) -> str:
    if change.status == ChangeStatus.REVIEW:
        return _("編集者の審査に出しました。承認されると公開されます。")
    return _("下書きを保存しました。準備ができたら「審査に出す」を押してください。")


def _form_values(course: Course, change: CatalogueChange | None) -> dict[str, Any]:
    """Initial values of the edit form: the pending proposal's, or the course's."""
    snap = change.after if change is not None and change.after else course_snapshot(course)
    return {
        "title": snap["title"],
        "provider": snap["provider"],
        "url": snap["url"],
        "url_checked": False,
        "language": snap["language"],
        "hours_min": catalogue_number(snap["hours_min"]),
        "hours_max": catalogue_number(snap["hours_max"]),
        "hours_text": snap.get("hours_text") or "",
        "format": snap["format"],
        "certificate": snap["certificate"],
        "tiers": snap["tiers"],
        "levels": snap["levels"],
        "dss": snap["dss"],
        "description": snap["description"],
        "caution": snap.get("caution") or "",
        "comment": change.comment if change is not None else "",
    }


def catalogue_number(value: str) -> str:
    return f"{Decimal(value).normalize():f}"


@bp.route("/courses/<slug>/edit", methods=["GET", "POST"])
def course_edit(slug: str) -> Response | tuple[str, int]:
    course = _course_or_404(slug)
    if course.status == PublicationStatus.RETIRED:
        flash(_("廃止された講座は編集できません。"), "error")
        return redirect(url_for("trainer.course_detail", slug=slug))
    pending = curation.open_change_for(db.session, course=course)
    mine = pending if pending is not None and pending.proposed_by_id == _actor().id else None
    form = CourseForm() if request.method == "POST" else CourseForm(data=_form_values(course, mine))
    _course_choices(form)
    duplicate = None
    if _validate_course_form(form):
        data = _course_input(form)
        if not form.errors:
            try:
                change = curation.propose_course_update(
                    db.session,
                    course,
                    data,
                    actor=_actor(),
                    now=utcnow(),
                    submit=_submitting(),
                    comment=form.comment.data,
                )
            except ValidationFailed as exc:
                db.session.rollback()
                _apply_errors(form, exc)
            except Conflict as exc:
                db.session.rollback()
                if exc.code == "duplicate_url":
                    duplicate = catalogue.find_course(db.session, exc.params["slug"])
                form.add_error("url" if exc.code == "duplicate_url" else "", curation_message(exc))
            else:
                db.session.commit()
                flash(_submitted_message(change), "success")
                return redirect(url_for("trainer.course_detail", slug=slug))
    status = 400 if request.method == "POST" else 200
    return _render_course_form(form, course, duplicate, status)


@bp.get("/courses/<slug>")
def course_detail(slug: str) -> str:
    course = _course_or_404(slug)
    history = db.session.scalars(curation.changes_query(course_id=course.id).limit(50)).all()
    return render_template(
        "trainer/catalogue_course.html",
        course=course,
        pending=curation.open_change_for(db.session, course=course),
        history=history,
        paths=catalogue.paths_using_course(db.session, course.id),
        action_form=ActionForm(),
    )


@bp.post("/courses/<slug>/checked")
def course_checked(slug: str) -> Response:
    course = _course_or_404(slug)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            curation.mark_url_checked(db.session, course, actor=_actor(), now=utcnow())
        except Conflict as exc:
            flash(curation_message(exc), "error")
        else:
            db.session.commit()
            flash(_("「%(title)s」のURLを確認済みにしました。", title=course.title), "success")
    target = request.form.get("back") == "list"
    return redirect(
        url_for("trainer.needs_checking") if target else url_for("trainer.course_detail", slug=slug)
    )


# -- paths -----------------------------------------------------------------------------


@bp.get("/paths")
def path_list() -> str:
    paths = catalogue.list_paths(db.session)
    pending = {
        c.path_id: c
        for c in db.session.scalars(
            curation.changes_query(statuses=[ChangeStatus.DRAFT, ChangeStatus.REVIEW]).where(
                CatalogueChange.kind == "path.update"
            )
        )
    }
    return render_template("trainer/catalogue_paths.html", paths=paths, pending=pending)


def _step_targets(keys: list[str]) -> dict[str, Course | Exercise]:
    course_slugs = [k.partition(":")[2] for k in keys if k.startswith("course:")]
    exercise_slugs = [k.partition(":")[2] for k in keys if k.startswith("exercise:")]
    found: dict[str, Course | Exercise] = {}
    if course_slugs:
        for c in db.session.scalars(select(Course).where(Course.slug.in_(course_slugs))):
            found[f"course:{c.slug}"] = c
    if exercise_slugs:
        for e in db.session.scalars(select(Exercise).where(Exercise.slug.in_(exercise_slugs))):
            found[f"exercise:{e.slug}"] = e
    return found


def _path_or_404(slug: str) -> LearningPath:
    try:
        return catalogue.get_path_with_steps(db.session, slug)
    except NotFound:
        abort(404)


def _course_options(path_keys: set[str]) -> list[tuple[str, str]]:
    courses = db.session.scalars(
        select(Course)
        .where(Course.status == PublicationStatus.PUBLISHED)
        .order_by(Course.position, Course.id)
    ).all()
    return [("", _("追加しない"))] + [
        (c.slug, f"{c.title}（{c.provider}）")
        for c in courses
        if f"course:{c.slug}" not in path_keys
    ]


@bp.route("/paths/<slug>/edit", methods=["GET", "POST"])
def path_edit(slug: str) -> Response | tuple[str, int]:
    path = _path_or_404(slug)
    pending = curation.open_change_for(db.session, path=path)
    mine = pending if pending is not None and pending.proposed_by_id == _actor().id else None
    rows: list[dict[str, Any]] = []
    if request.method == "POST":
        keys = request.form.getlist("keys")[: MAX_STEPS + 20]
        form = PathForm()
    else:
        source = mine.after if mine is not None and mine.after else None
        rows = (
            source["steps"]
            if source
            else [
                {"key": s.key, "required": s.required, "review": s.review.value} for s in path.steps
            ]
        )
        keys = [r["key"] for r in rows]
        electives = int(source["electives_required"]) if source else path.electives_required
        form = PathForm(
            data={"electives_required": electives, "comment": mine.comment if mine else ""}
        )
    step_forms = []
    for i, key in enumerate(keys):
        if request.method == "POST":
            step_forms.append(StepForm(request.form, prefix=f"step-{i}"))
        else:
            row = rows[i]
            step_forms.append(
                StepForm(
                    prefix=f"step-{i}",
                    data={
                        "key": key,
                        "position": i + 1,
                        "required": "1" if row["required"] else "0",
                        "review": row["review"],
                    },
                )
            )
    form.add_course.choices = _course_options(set(keys))
    targets = _step_targets(keys)
    if request.method == "POST":
        steps_ok = all(sf.validate() for sf in step_forms)
        for sf, key in zip(step_forms, keys, strict=True):
            sf.key.data = key
        if form.validate_on_submit() and steps_ok:
            rows_in = sorted(
                (
                    (sf.position.data, i, sf)
                    for i, sf in enumerate(step_forms)
                    if not sf.remove.data
                ),
                key=lambda t: (t[0], t[1]),
            )
            steps = [
                curation.StepInput(
                    key=sf.key.data,
                    required=sf.required.data == "1",
                    review="trainer" if sf.key.data.startswith("exercise:") else sf.review.data,
                )
                for _pos, _i, sf in rows_in
            ]
            if form.add_course.data:
                steps.append(
                    curation.StepInput(
                        key=f"course:{form.add_course.data}",
                        required=bool(form.add_required.data),
                        review="self",
                    )
                )
            try:
                change = curation.propose_path_change(
                    db.session,
                    path,
                    steps,
                    form.electives_required.data,
                    actor=_actor(),
                    now=utcnow(),
                    submit=_submitting(),
                    comment=form.comment.data,
                )
            except ValidationFailed as exc:
                db.session.rollback()
                _apply_errors(form, exc)
            except Conflict as exc:
                db.session.rollback()
                form.add_error("", curation_message(exc))
            else:
                db.session.commit()
                flash(_submitted_message(change), "success")
                return redirect(url_for("trainer.change_detail", change_id=change.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "trainer/catalogue_path_form.html",
        path=path,
        form=form,
        rows=list(zip(step_forms, keys, strict=True)),
        targets=targets,
        pending=pending,
        mine=mine,
    ), status


# -- changes (curation) -------------------------------------------------------------------

TABS = ("review", "mine", "history")


@bp.get("/changes")
def curation_list() -> str:
    tab = request.args.get("tab", "review")
    tab = tab if tab in TABS else "review"
    actor = _actor()
    if tab == "review":
        query = curation.changes_query(statuses=[ChangeStatus.REVIEW])
    elif tab == "mine":
        query = curation.changes_query(proposed_by=actor.id)
    else:
        query = curation.changes_query()
    page = db.paginate(query, per_page=PAGE_SIZE, error_out=False)
    return render_template("trainer/curation.html", page=page, tab=tab)


def _change_or_404(change_id: int) -> CatalogueChange:
    try:
        return curation.get_change(db.session, change_id)
    except NotFound:
        abort(404)


def _display(key: str, value: Any) -> str:
    """A snapshot value in words (codes become labels, numbers lose trailing zeros)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("はい") if value else _("いいえ")
    if key in ("language", "format", "certificate"):
        return vocab(key, str(value))
    if key in ("hours_min", "hours_max"):
        return catalogue_number(str(value))
    if key == "status":
        labels = {
            "draft": _("下書き"),
            "review": _("審査待ち"),
            "published": _("公開中"),
            "retired": _("廃止"),
        }
        return labels.get(str(value), str(value))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def _diff_rows(change: CatalogueChange) -> list[tuple[str, str, str, bool]]:
    before, after = change.before or {}, change.after or {}
    labels = {
        "title": _("講座名"),
        "provider": _("提供者"),
        "url": _("URL"),
        "url_verified": _("URL確認済み"),
        "language": _("言語"),
        "hours_min": _("学習時間（下限）"),
        "hours_max": _("学習時間（上限）"),
        "hours_text": _("学習時間の補足"),
        "format": _("形式"),
        "certificate": _("修了証"),
        "tiers": _("人材像"),
        "levels": _("対象レベル"),
        "dss": _("デジタルスキル標準"),
        "description": _("説明"),
        "caution": _("受講前の注意"),
        "status": _("公開状態"),
    }
    rows = []
    for key, label in labels.items():
        if key not in before and key not in after:
            continue
        b, a = before.get(key), after.get(key)
        changed = change.before is not None and b != a
        rows.append((label, _display(key, b), _display(key, a), changed))
    return rows


def _render_change(
    change: CatalogueChange, form: DecisionForm, status: int = 200
) -> tuple[str, int]:
    keys = [
        s["key"]
        for snap in (change.before, change.after)
        if snap and "steps" in snap
        for s in snap["steps"]
    ]
    path_names = {
        p.slug: f"{p.code} {localized(p, 'name')}" for p in catalogue.list_paths(db.session)
    }
    return render_template(
        "trainer/curation_change.html",
        change=change,
        diff=_diff_rows(change) if change.subject_type == "course" else [],
        targets=_step_targets(keys),
        path_names=path_names,
        can_decide=curation.can_approve(change, _actor()),
        decision_form=form,
        action_form=ActionForm(),
    ), status


@bp.get("/changes/<int:change_id>")
def change_detail(change_id: int) -> tuple[str, int]:
    return _render_change(_change_or_404(change_id), DecisionForm())


@bp.post("/changes/<int:change_id>/decision")
def change_decide(change_id: int) -> Response | tuple[str, int]:
    change = _change_or_404(change_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    approve = request.form.get("decision") == "approve"
    try:
        if approve:
            curation.approve_change(
                db.session, change, actor=_actor(), now=utcnow(), note=form.note.data
            )
        else:
            curation.reject_change(
                db.session, change, actor=_actor(), now=utcnow(), note=form.note.data or ""
            )
    except (Conflict, PermissionDenied, ValidationFailed) as exc:
        db.session.rollback()
        if isinstance(exc, ValidationFailed) and exc.field_errors:
            _apply_errors(form, exc)
        else:
            form.add_error("", curation_message(exc))
        status = 409 if isinstance(exc, Conflict) else 400
        return _render_change(_change_or_404(change_id), form, status)
    db.session.commit()
    flash(_("承認して公開しました。") if approve else _("差し戻しました。"), "success")
    return redirect(url_for("trainer.change_detail", change_id=change_id))


@bp.post("/changes/<int:change_id>/submit")
def change_submit(change_id: int) -> Response:
    return _author_action(change_id, curation.submit_change, _("審査に出しました。"))


@bp.post("/changes/<int:change_id>/withdraw")
def change_withdraw(change_id: int) -> Response:
    return _author_action(change_id, curation.withdraw_change, _("提案を取り下げました。"))


def _author_action(change_id: int, action: Any, done: str) -> Response:
    change = _change_or_404(change_id)
    if ActionForm().validate_on_submit():
        try:
            action(db.session, change, actor=_actor(), now=utcnow())
        except (Conflict, PermissionDenied) as exc:
            db.session.rollback()
            flash(curation_message(exc), "error")
        else:
            db.session.commit()
            flash(done, "success")
    return redirect(url_for("trainer.change_detail", change_id=change_id))


# -- featured course ------------------------------------------------------------------------


def _parse_month(text: str) -> date | None:
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


@bp.route("/featured", methods=["GET", "POST"])
def featured_admin() -> Response | tuple[str, int]:
    actor = _actor()
    today = today_in_japan()
    form = FeaturedForm()
    if request.method == "GET":
        form.month.data = today.strftime("%Y-%m")
    courses = db.session.scalars(
        select(Course)
        .where(Course.status == PublicationStatus.PUBLISHED)
        .order_by(Course.position, Course.id)
    ).all()
    form.course.choices = [(c.slug, f"{c.title}（{c.provider}）") for c in courses]
    if actor.is_editor and form.validate_on_submit():
        month = _parse_month(form.month.data or "")
        if month is None or not 2000 <= month.year <= 2100:
            form.add_error("month", _("YYYY-MM の形式で入力してください（例: 2026-04）。"))
        else:
            try:
                curation.set_featured(
                    db.session,
                    curation.FeaturedInput(
                        month,
                        form.course.data,
                        curation.tidy_text(form.comment_ja.data) or None,
                        curation.tidy_text(form.comment_en.data) or None,
                    ),
                    actor=actor,
                    now=utcnow(),
                )
            except ValidationFailed as exc:
                db.session.rollback()
                _apply_errors(form, exc)
            else:
                db.session.commit()
                flash(
                    _("%(y)s年%(m)s月のおすすめ講座を設定しました。", y=month.year, m=month.month),
                    "success",
                )
                return redirect(url_for("trainer.featured_admin"))
    elif request.method == "POST" and not actor.is_editor:
        abort(403)
    status = 400 if request.method == "POST" else 200
    return render_template(
        "trainer/curation_featured.html",
        form=form,
        items=catalogue.list_featured(db.session, published_only=False),
        current_month=catalogue.month_start(today),
        can_edit=actor.is_editor,
    ), status
