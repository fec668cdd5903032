"""Awards (表彰): rule-based candidates, awards marked as given, and the organisation's rules."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.exceptions import ValidationFailed
from portal.extensions import db
from portal.hr import bp
from portal.hr.common import achievement_index, actor, display_tz, int_arg, organisation
from portal.hr.forms import (
    AwardGiveForm,
    AwardRecordForm,
    AwardRuleActiveForm,
    AwardRuleForm,
    SimpleForm,
)
from portal.models import AwardRuleKind, Person
from portal.models.base import utcnow
from portal.services import awards
from portal.services.hr_talent import fiscal_year_of

CANDIDATES_SHOWN = 100


def _year() -> int:
    current = fiscal_year_of(utcnow().astimezone(display_tz()).date())
    year = int_arg("year") or int_arg("year", request.form) or current
    return year if current - 10 <= year <= current else current


def award_error_message(code: str) -> str:
    return {
        "award_rule_name_required": _("ルールの名称を入力してください。"),
        "award_rule_needs_level": _("レベルを選んでください。"),
        "award_rule_needs_tiers": _("ティアを1つ以上選んでください。"),
        "not_a_candidate": _("候補者ではない職員が含まれています。画面を更新してください。"),
        "award_title_required": _("表彰の名称を入力してください。"),
    }.get(code, _("処理できませんでした（%(code)s）。", code=code))


@bp.get("/awards")
def awards_page(rule_form: AwardRuleForm | None = None, status: int = 200) -> tuple[str, int]:
    org = organisation()
    year = _year()
    index = achievement_index()
    tz = display_tz()
    rules = awards.list_rules(db.session, org.id)
    candidates = {
        rule.id: awards.list_candidates(
            db.session, org.id, rule, index, year=year, tz=tz, limit=CANDIDATES_SHOWN + 1
        )
        for rule in rules
        if rule.is_active
    }
    current = fiscal_year_of(utcnow().astimezone(tz).date())
    give_form = AwardGiveForm(awarded_on=utcnow().astimezone(tz).date())
    return render_template(
        "hr/awards.html",
        org=org,
        year=year,
        years=list(range(current, current - 5, -1)),
        rules=rules,
        candidates=candidates,
        shown=CANDIDATES_SHOWN,
        given=awards.list_given(db.session, org.id, year=year, tz=tz),
        give_form=give_form,
        rule_form=rule_form or AwardRuleForm(formdata=None),
        simple_form=SimpleForm(),
        active_form=AwardRuleActiveForm(),
        RuleKind=AwardRuleKind,
    ), status


@bp.post("/awards/rules")
def award_rule_add() -> Response | tuple[str, int]:
    org = organisation()
    form = AwardRuleForm()
    if form.validate_on_submit():
        try:
            awards.add_rule(
                db.session,
                org,
                awards.RuleSpec(
                    form.name.data,
                    AwardRuleKind(form.kind.data),
                    level_code=form.level_code.data or None,
                    tier_codes=tuple(form.tier_codes.data or ()),
                ),
                actor=actor(),
                now=utcnow(),
            )
        except ValidationFailed as exc:
            db.session.rollback()
            field = next(iter(exc.field_errors), "name")
            form.add_error(field, award_error_message(exc.code))
        else:
            db.session.commit()
            flash(_("表彰ルールを追加しました。"), "success")
            return redirect(url_for("hr.awards_page"))
    return awards_page(form, 400)


@bp.post("/awards/rules/defaults")
def award_rules_defaults() -> Response:
    org = organisation()
    if SimpleForm().validate_on_submit() and not awards.list_rules(db.session, org.id):
        for spec in awards.DEFAULT_RULES:
            awards.add_rule(db.session, org, spec, actor=actor(), now=utcnow())
        db.session.commit()
        flash(_("標準の表彰ルールを追加しました。"), "success")
    return redirect(url_for("hr.awards_page"))


@bp.post("/awards/rules/<int:rule_id>/active")
def award_rule_active(rule_id: int) -> Response:
    org = organisation()
    rule = awards.get_rule(db.session, rule_id, org.id)
    form = AwardRuleActiveForm()
    if form.validate_on_submit():
        awards.set_rule_active(
            db.session, rule, form.active.data == "1", actor=actor(), now=utcnow()
        )
        db.session.commit()
        flash(
            _("ルールを有効にしました。") if rule.is_active else _("ルールを無効にしました。"),
            "success",
        )
    return redirect(url_for("hr.awards_page"))


@bp.post("/awards/rules/<int:rule_id>/give")
def award_give(rule_id: int) -> Response:
    org = organisation()
    rule = awards.get_rule(db.session, rule_id, org.id)
    year = _year()
    form = AwardGiveForm()
    index = achievement_index()
    if request.form.get("all") == "1":
        # "Everyone listed": the same first CANDIDATES_SHOWN candidates the page showed.
        people = [
            c.uuid
            for c in awards.list_candidates(
                db.session, org.id, rule, index, year=year, tz=display_tz(), limit=CANDIDATES_SHOWN
            )
        ]
    else:
        people = request.form.getlist("person")[:1000]
    if not form.validate_on_submit():
        flash(_("表彰日を入力してください。"), "error")
    elif not people:
        flash(_("表彰する職員を選んでください。"), "error")
    else:
        try:
            given = awards.give_awards(
                db.session,
                org,
                rule,
                people,
                index,
                awarded_on=form.awarded_on.data,
                year=year,
                tz=display_tz(),
                actor=actor(),
                now=utcnow(),
                note=form.note.data,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            flash(award_error_message(exc.code), "error")
        else:
            db.session.commit()
            flash(_("%(n)s 名の表彰を記録しました。", n=len(given)), "success")
    return redirect(url_for("hr.awards_page", year=year))


@bp.post("/staff/<uuid>/awards")
def person_award(uuid: str) -> Response:
    org = organisation()
    person = db.session.scalar(select(Person).where(Person.uuid == uuid))
    if person is None or person.organisation_id != org.id:
        abort(404)
    form = AwardRecordForm()
    if form.validate_on_submit():
        try:
            awards.record_award(
                db.session,
                person,
                title=form.title.data,
                awarded_on=form.awarded_on.data,
                note=form.note.data,
                actor=actor(),
                now=utcnow(),
            )
        except ValidationFailed as exc:
            flash(award_error_message(exc.code), "error")
        else:
            db.session.commit()
            flash(_("表彰を記録しました。"), "success")
    else:
        flash(_("表彰の名称と表彰日を入力してください。"), "error")
    return redirect(url_for("hr.person", uuid=uuid, _anchor="awards-heading"))
