"""Trainers curate on the web: draft → review → published, permissions, history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.exceptions import Conflict, PermissionDenied, ValidationFailed
from portal.extensions import db
from portal.models import (
    CatalogueChange,
    ChangeStatus,
    Course,
    CourseOrigin,
    LearningPath,
    PathStep,
    PublicationStatus,
)
from portal.models.base import utcnow
from portal.services import catalogue, curation

PATH = "t1-everyday-literacy"


def course_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "はじめての生成AI活用",
        "provider": "デジタル庁",
        "url": "https://www.example.go.jp/genai-intro/",
        "language": "ja",
        "hours_min": "1",
        "hours_max": "2.5",
        "hours_text": "",
        "format": "video",
        "certificate": "none",
        "tiers": ["T1"],
        "levels": ["ALL"],
        "description": "生成AIを業務で安全に使うための基本を、短い動画で学ぶ。",
        "caution": "",
        "comment": "T1の選択ステップに良さそう",
        "action": "submit",
    }
    data.update(overrides)
    return data


def _path_keys(client: Any) -> str:
    return client.get(f"/paths/{PATH}").get_data(as_text=True)


def _latest_change() -> CatalogueChange:
    change = db.session.scalar(
        select(CatalogueChange)
        .where(CatalogueChange.source == "web")
        .order_by(CatalogueChange.id.desc())
    )
    assert change is not None
    return change


def test_trainer_adds_editor_approves_course_appears_on_path(
    client: Any, synced: Any, trainer: Any, editor: Any, login_as: Any
) -> None:
    login_as(trainer)
    response = client.post(
        "/trainer/courses/new",
        data=course_form(add_to_path=PATH, add_required=""),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    change = _latest_change()
    assert change.kind == "course.create"
    assert change.status == ChangeStatus.REVIEW
    course = db.session.get(Course, change.course_id)
    assert course.status == PublicationStatus.REVIEW
    assert course.origin == CourseOrigin.WEB
    assert course.slug == "example-go-jp-genai-intro"
    # Not public yet.
    login_as(None)
    assert client.get(f"/courses/{course.slug}").status_code == 404
    assert "はじめての生成AI活用" not in _path_keys(client)

    # The trainer cannot approve (not an editor).
    login_as(trainer)
    page = client.get(f"/trainer/changes/{change.id}").get_data(as_text=True)
    assert "承認して公開する" not in page
    response = client.post(f"/trainer/changes/{change.id}/decision", data={"decision": "approve"})
    assert response.status_code == 400
    assert "編集者と管理者だけ" in response.get_data(as_text=True)

    login_as(editor)
    page = client.get("/trainer/changes?tab=review").get_data(as_text=True)
    assert "はじめての生成AI活用" in page
    assert "承認して公開する" in client.get(f"/trainer/changes/{change.id}").get_data(as_text=True)
    response = client.post(
        f"/trainer/changes/{change.id}/decision", data={"decision": "approve", "note": "良い講座"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == PublicationStatus.PUBLISHED
    change = db.session.get(CatalogueChange, change.id)
    assert change.status == ChangeStatus.PUBLISHED
    assert change.decided_by_id == editor.id
    assert change.decision_note == "良い講座"

    path_page = _path_keys(client)
    assert "はじめての生成AI活用" in path_page
    assert f'href="/courses/{course.slug}"' in path_page
    assert client.get(f"/courses/{course.slug}").status_code == 200
    step = db.session.scalar(select(PathStep).where(PathStep.key == f"course:{course.slug}"))
    assert step is not None and step.required is False and step.is_active
    # The path change is in the history too (who, when, before, after).
    path_change = _latest_change()
    assert path_change.kind == "path.update" and path_change.status == ChangeStatus.PUBLISHED
    assert len(path_change.after["steps"]) == len(path_change.before["steps"]) + 1


def test_nobody_approves_their_own_change_except_admin(
    app: Any, synced: Any, editor: Any, admin: Any
) -> None:
    data = curation.CourseInput(
        title="自分で出した講座",
        provider="総務省",
        url="https://example.jp/own",
        language="ja",
        hours_min=Decimal(1),
        hours_max=Decimal(1),
        format="web",
        certificate="none",
        description="自分で提案した講座の説明。",
        tiers=("T1",),
        levels=("ALL",),
    )
    change = curation.propose_course(db.session, data, actor=editor, now=utcnow(), submit=True)
    assert not curation.can_approve(change, editor)
    with pytest.raises(PermissionDenied) as exc:
        curation.approve_change(db.session, change, actor=editor, now=utcnow())
    assert exc.value.code == "own_change"

    other = curation.propose_course(
        db.session,
        data.__class__(**{**data.__dict__, "url": "https://example.jp/admin-own"}),
        actor=admin,
        now=utcnow(),
        submit=True,
    )
    assert curation.can_approve(other, admin)
    curation.approve_change(db.session, other, actor=admin, now=utcnow())
    assert other.status == ChangeStatus.PUBLISHED
    assert other.decided_by_id == other.proposed_by_id == admin.id


def test_edit_of_published_course_waits_for_approval(
    client: Any, synced: Any, trainer: Any, editor: Any, login_as: Any
) -> None:
    course = catalogue.find_course(db.session, "ipa-10-major-threats")
    old_title = course.title
    login_as(trainer)
    form = client.get("/trainer/courses/ipa-10-major-threats/edit").get_data(as_text=True)
    assert old_title in form
    response = client.post(
        "/trainer/courses/ipa-10-major-threats/edit",
        data=course_form(
            title="情報セキュリティ10大脅威 2026",
            provider=course.provider,
            url=course.url,
            tiers=course.tiers,
            levels=course.levels,
            description=course.description,
            format=course.format,
            certificate=course.certificate,
            hours_min=str(course.hours_min),
            hours_max=str(course.hours_max),
            action="draft",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    change = _latest_change()
    assert change.kind == "course.update" and change.status == ChangeStatus.DRAFT
    assert change.before["title"] == old_title
    assert change.after["title"] == "情報セキュリティ10大脅威 2026"
    db.session.expire_all()
    assert catalogue.find_course(db.session, "ipa-10-major-threats").title == old_title
    # Submitting the draft, then approval by an editor publishes it.
    assert client.post(f"/trainer/changes/{change.id}/submit").status_code == 302
    login_as(editor)
    assert (
        client.post(
            f"/trainer/changes/{change.id}/decision", data={"decision": "approve"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    updated = catalogue.find_course(db.session, "ipa-10-major-threats")
    assert updated.title == "情報セキュリティ10大脅威 2026"
    assert "2026" in updated.search_text
    history = client.get("/trainer/courses/ipa-10-major-threats").get_data(as_text=True)
    assert "講座の変更" in history and "研修 一郎" in history and "編集 花子" in history
    detail = client.get(f"/trainer/changes/{change.id}").get_data(as_text=True)
    assert old_title in detail and "情報セキュリティ10大脅威 2026" in detail


def test_stale_change_is_refused(app: Any, synced: Any, trainer: Any, editor: Any) -> None:
    course = catalogue.find_course(db.session, "ipa-10-major-threats")
    snap = curation.course_snapshot(course)

    def data(title: str) -> curation.CourseInput:
        return curation.CourseInput(
            title=title,
            provider=course.provider,
            url=course.url,
            language=course.language,
            hours_min=course.hours_min,
            hours_max=course.hours_max,
            format=course.format,
            certificate=course.certificate,
            description=course.description,
            caution=course.caution,
            hours_text=course.hours_text,
            tiers=tuple(snap["tiers"]),
            levels=tuple(snap["levels"]),
            dss=tuple(snap["dss"]),
        )

    change = curation.propose_course_update(
        db.session, course, data("新しい題名A"), actor=trainer, now=utcnow(), submit=True
    )
    with pytest.raises(Conflict) as pending:
        curation.propose_course_update(
            db.session, course, data("新しい題名B"), actor=editor, now=utcnow(), submit=True
        )
    assert pending.value.code == "change_pending"
    course.title = "誰かが別の経路で変えた題名"  # e.g. a sync from the data files
    db.session.flush()
    with pytest.raises(Conflict) as stale:
        curation.approve_change(db.session, change, actor=editor, now=utcnow())
    assert stale.value.code == "stale_change"


def test_reject_sends_new_course_back_to_draft(
    app: Any, synced: Any, trainer: Any, editor: Any
) -> None:
    data = curation.CourseInput(
        title="差し戻される講座",
        provider="総務省",
        url="https://example.jp/rejected",
        language="ja",
        hours_min=Decimal(1),
        hours_max=Decimal(2),
        format="web",
        certificate="none",
        description="差し戻しの確認に使う講座。",
        tiers=("T1",),
        levels=("ALL",),
    )
    change = curation.propose_course(db.session, data, actor=trainer, now=utcnow(), submit=True)
    with pytest.raises(ValidationFailed):
        curation.reject_change(db.session, change, actor=editor, now=utcnow(), note="  ")
    curation.reject_change(db.session, change, actor=editor, now=utcnow(), note="URLが違います")
    assert change.status == ChangeStatus.REJECTED
    course = db.session.get(Course, change.course_id)
    assert course.status == PublicationStatus.DRAFT
    # The author fixes it and submits again: a new proposal.
    again = curation.propose_course_update(
        db.session,
        course,
        data.__class__(**{**data.__dict__, "url": "https://example.jp/right"}),
        actor=trainer,
        now=utcnow(),
        submit=True,
    )
    assert again.id != change.id and again.status == ChangeStatus.REVIEW
    assert course.status == PublicationStatus.REVIEW


def test_path_change_reorders_removes_and_toggles(
    client: Any, synced: Any, trainer: Any, editor: Any, login_as: Any
) -> None:
    path = catalogue.get_path_with_steps(db.session, PATH)
    keys = [s.key for s in path.steps]
    login_as(trainer)
    page = client.get(f"/trainer/paths/{PATH}/edit").get_data(as_text=True)
    assert "順番" in page
    form: dict[str, Any] = {
        "keys": keys,
        "electives_required": "1",
        "add_course": "",
        "action": "submit",
    }
    for i, step in enumerate(path.steps):
        form[f"step-{i}-position"] = str(len(keys) - i)  # reverse the order
        form[f"step-{i}-required"] = "1" if step.required else "0"
        form[f"step-{i}-review"] = step.review.value
    last = len(keys) - 1
    form[f"step-{last}-remove"] = "y"  # drop the last (elective) step
    form["step-0-required"] = "0"  # the first becomes an elective
    response = client.post(f"/trainer/paths/{PATH}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    change = _latest_change()
    assert change.kind == "path.update" and change.status == ChangeStatus.REVIEW
    expected = list(reversed(keys[:-1]))
    assert [s["key"] for s in change.after["steps"]] == expected
    assert change.after["steps"][-1] == {"key": keys[0], "required": False, "review": "self"}

    login_as(editor)
    response = client.post(f"/trainer/changes/{change.id}/decision", data={"decision": "approve"})
    assert response.status_code == 302
    db.session.expire_all()
    path = catalogue.get_path_with_steps(db.session, PATH)
    assert [s.key for s in path.steps] == expected
    assert path.electives_required == 1
    removed = db.session.scalar(
        select(PathStep).where(PathStep.key == keys[-1], PathStep.path_id == path.id)
    )
    assert removed is not None and removed.is_active is False  # never deleted


def test_path_change_rules(app: Any, synced: Any, trainer: Any) -> None:
    path = db.session.scalar(select(LearningPath).where(LearningPath.slug == PATH))
    too_few = [curation.StepInput("course:ipa-10-major-threats", True)]
    with pytest.raises(ValidationFailed) as exc:
        curation.propose_path_change(
            db.session, path, too_few, 0, actor=trainer, now=utcnow(), submit=True
        )
    assert any(c.startswith("step_count") for c in exc.value.field_errors["steps"])
    steps = [
        curation.StepInput(k.key, k.required, k.review.value)
        for k in catalogue.get_path_with_steps(db.session, PATH).steps
    ]
    with pytest.raises(ValidationFailed) as exc:
        curation.propose_path_change(
            db.session,
            path,
            steps,
            path.electives_required,
            actor=trainer,
            now=utcnow(),
            submit=True,
        )
    assert exc.value.code == "no_changes"
    with pytest.raises(ValidationFailed) as exc:
        curation.propose_path_change(
            db.session, path, steps, 99, actor=trainer, now=utcnow(), submit=True
        )
    assert exc.value.field_errors["electives_required"]
    dup = [*steps[:5], steps[0]]
    with pytest.raises(ValidationFailed) as exc:
        curation.propose_path_change(
            db.session, path, dup, 0, actor=trainer, now=utcnow(), submit=True
        )
    assert any(c.startswith("duplicate_step") for c in exc.value.field_errors["steps"])


def test_withdraw_and_submit_only_by_author(
    app: Any, synced: Any, trainer: Any, editor: Any
) -> None:
    data = curation.CourseInput(
        title="取り下げる講座",
        provider="総務省",
        url="https://example.jp/withdrawn",
        language="ja",
        hours_min=Decimal(1),
        hours_max=Decimal(2),
        format="web",
        certificate="none",
        description="取り下げの確認に使う講座。",
        tiers=("T1",),
        levels=("ALL",),
    )
    change = curation.propose_course(db.session, data, actor=trainer, now=utcnow(), submit=False)
    assert change.status == ChangeStatus.DRAFT
    with pytest.raises(PermissionDenied):
        curation.submit_change(db.session, change, actor=editor, now=utcnow())
    with pytest.raises(Conflict):
        curation.approve_change(db.session, change, actor=editor, now=utcnow())  # still a draft
    curation.withdraw_change(db.session, change, actor=trainer, now=utcnow())
    assert change.status == ChangeStatus.WITHDRAWN


def test_mark_url_checked_and_needs_checking_list(
    client: Any, synced: Any, trainer: Any, login_as: Any
) -> None:
    course = db.session.scalar(select(Course).where(Course.url_verified.is_(False)))
    dead = catalogue.find_course(db.session, "ipa-10-major-threats")
    dead.link_ok, dead.link_status, dead.link_error = False, 404, "http_404"
    db.session.commit()
    login_as(trainer)
    page = client.get("/trainer/courses/needs-checking").get_data(as_text=True)
    assert course.title in page and dead.title in page
    assert page.index(dead.title) < page.index(course.title)  # dead links first
    assert "http_404" in page
    response = client.post(f"/trainer/courses/{course.slug}/checked", data={"back": "list"})
    assert response.status_code == 302
    db.session.expire_all()
    checked = db.session.get(Course, course.id)
    assert checked.url_verified is True
    assert checked.verification.startswith("confirmed")
    change = _latest_change()
    assert change.kind == "course.verify" and change.proposed_by_id == trainer.id


def test_featured_course_set_by_editor_and_shown(
    client: Any, synced: Any, trainer: Any, editor: Any, login_as: Any
) -> None:
    from portal.public.catalogue import today_in_japan

    month = today_in_japan().strftime("%Y-%m")
    login_as(trainer)
    assert (
        client.post(
            "/trainer/featured", data={"month": month, "course": "ipa-10-major-threats"}
        ).status_code
        == 403
    )
    login_as(editor)
    response = client.post(
        "/trainer/featured",
        data={"month": month, "course": "ipa-10-major-threats", "comment_ja": "年度初めにぜひ。"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    featured = catalogue.current_featured(db.session, today_in_japan())
    assert featured is not None and featured.course.slug == "ipa-10-major-threats"
    assert catalogue.current_featured(db.session, date(1999, 1, 1)) is None
    login_as(None)
    assert "年度初めにぜひ。" in client.get("/featured").get_data(as_text=True)
    assert "今月のおすすめ講座" in client.get("/courses").get_data(as_text=True)
    # Replacing the month keeps one row.
    login_as(editor)
    client.post("/trainer/featured", data={"month": month, "course": "stat-naruhodo-gakuen"})
    assert (
        catalogue.current_featured(db.session, today_in_japan()).course.slug
        == "stat-naruhodo-gakuen"
    )
    assert len(catalogue.list_featured(db.session)) == 1


@pytest.mark.parametrize(
    "url",
    [
        "/trainer/",
        "/trainer/courses",
        "/trainer/courses/new",
        "/trainer/courses/needs-checking",
        "/trainer/paths",
        f"/trainer/paths/{PATH}/edit",
        "/trainer/changes",
        "/trainer/featured",
    ],
)
def test_learners_cannot_curate_and_trainers_can(
    client: Any, synced: Any, learner: Any, trainer: Any, login_as: Any, url: str
) -> None:
    response = client.get(url)
    assert response.status_code in (302, 401)  # anonymous: to the login page
    login_as(learner)
    assert client.get(url).status_code == 403
    assert client.post("/trainer/courses/new", data=course_form()).status_code == 403
    login_as(trainer)
    assert client.get(url).status_code == 200


def test_learner_post_changes_nothing(
    client: Any, synced: Any, learner: Any, login_as: Any
) -> None:
    before = db.session.scalar(select(func.count()).select_from(Course))
    login_as(learner)
    client.post("/trainer/courses/new", data=course_form())
    assert db.session.scalar(select(func.count()).select_from(Course)) == before


def test_demo_seed_features_a_course_of_this_month_once(app, runner, client, synced):
    assert runner.invoke(args=["orgs", "sync"]).exit_code == 0
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "created featured course" in first.output
    assert "nisc-internet-safety-handbook" in first.output  # T1's first step
    second = runner.invoke(args=["demo", "seed"])
    assert "exists  featured course" in second.output
    login = {"email": "learner@demo.hokkaido.example", "password": "demo-pass"}
    assert client.post("/login", data=login).status_code == 302
    home = client.get("/learn/").get_data(as_text=True)
    assert "今月のおすすめ" in home and "まだありません" not in home
