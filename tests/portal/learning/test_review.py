"""Exercises: submission, the trainers' review queue, comments per rubric item, resubmission."""

from __future__ import annotations

import io

import pytest

from portal.exceptions import Conflict, PermissionDenied
from portal.extensions import db
from portal.models import (
    EnrolmentStatus,
    Notification,
    PathCompletion,
    RecordState,
    Review,
    ReviewDecision,
    Role,
    StepRecord,
    StepRecordVersion,
)
from portal.models.base import utcnow
from portal.services import learning
from tests.factories import gen_course, gen_exercise, gen_path, gen_person, gen_prefecture
from tests.factories_learning import gen_enrolment, gen_record, path_steps, pdf_bytes

DELIVERABLE = "A町の農業経営体数は10年で3割減少しました。\n課題1: 担い手の不足…"


@pytest.fixture
def exercise_path(world):  # type: ignore[no-untyped-def]
    """A path of one self-attested course (already done) and one exercise."""
    path = gen_path("ex-path", steps=[gen_course(), world.exercise], tier="T3")
    enrolment = gen_enrolment(world.learner, path)
    steps = path_steps(path)
    gen_record(enrolment, steps[0])
    db.session.commit()
    return path, steps


def _submit(client, step_id, version="0", text=DELIVERABLE, **extra):  # type: ignore[no-untyped-def]
    data = {"base_version": version, "deliverable_text": text, "attested": "y"} | extra
    return client.post(
        f"/learn/paths/ex-path/steps/{step_id}", data=data, content_type="multipart/form-data"
    )


def _review(client, record_id, decision, version="1", **fields):  # type: ignore[no-untyped-def]
    data = {"version": version, "decision": decision} | fields
    return client.post(f"/trainer/reviews/{record_id}", data=data)


def test_the_whole_exercise_journey(app, client, switch_to, world, exercise_path, outbox):
    path, steps = exercise_path
    exercise_step = steps[1]
    switch_to(world.learner)
    page = client.get(f"/learn/paths/ex-path/steps/{exercise_step.id}").get_data(as_text=True)
    assert "評価の観点（ルーブリック）" in page and "課題の把握" in page
    assert "研修担当が確認します" in page

    # An empty submission is refused with Japanese errors.
    response = _submit(client, exercise_step.id, text="", attested=None)
    assert response.status_code == 422
    assert "提出物の本文を入力するか、ファイルを添付してください" in response.get_data(as_text=True)

    response = _submit(
        client, exercise_step.id, evidence_file=(io.BytesIO(pdf_bytes()), "提案書.pdf")
    )
    assert response.status_code == 302
    record = db.session.query(StepRecord).filter_by(step_id=exercise_step.id).one()
    assert record.state == RecordState.SUBMITTED

    # The learner (not a trainer) cannot open the queue.
    assert client.get("/trainer/reviews").status_code == 403

    switch_to(world.trainer)
    queue = client.get("/trainer/reviews").get_data(as_text=True)
    assert "北海 太郎" in queue and f"/trainer/reviews/{record.id}" in queue
    detail = client.get(f"/trainer/reviews/{record.id}").get_data(as_text=True)
    assert "A町の農業経営体数" in detail and "提案書.pdf" in detail

    # Asking for changes needs a reason; "revise" items need a comment.
    response = _review(client, record.id, "changes", level_problem="revise", level_proposal="meets")
    assert response.status_code == 422
    assert "何をどう直すか" in response.get_data(as_text=True)
    # Approving with a "revise" item is refused.
    response = _review(
        client,
        record.id,
        "approve",
        level_problem="revise",
        comment_problem="x",
        level_proposal="meets",
    )
    assert response.status_code == 422
    assert "「要修正」の項目があるときは承認できません" in response.get_data(as_text=True)

    response = _review(
        client,
        record.id,
        "changes",
        level_problem="revise",
        comment_problem="数値の出典を書いてください。",
        level_proposal="meets",
        comment="全体としてよくまとまっています。",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(StepRecord, record.id).state == RecordState.CHANGES_REQUESTED
    (mail,) = outbox
    assert mail["To"] == world.learner.primary_email
    assert "修正の依頼" in mail["Subject"]
    assert f"/learn/paths/ex-path/steps/{exercise_step.id}" in mail.get_content()

    # The learner sees the notice, the status and the comments per item.
    switch_to(world.learner)
    home = client.get("/learn/").get_data(as_text=True)
    assert "新しいお知らせ" in home and "修正の依頼があります" in home
    step_page = client.get(f"/learn/paths/ex-path/steps/{exercise_step.id}").get_data(as_text=True)
    assert "数値の出典を書いてください。" in step_page and "要修正" in step_page
    assert "修正して再提出する" in step_page

    # Resubmitting the very same content is refused; a changed one is a new version.
    response = _submit(client, exercise_step.id, version="1")
    assert response.status_code == 422
    assert "前回の提出と同じ内容です" in response.get_data(as_text=True)
    response = _submit(
        client, exercise_step.id, version="1", text=DELIVERABLE + "\n出典: 農林業センサス"
    )
    assert response.status_code == 302
    db.session.expire_all()
    record = db.session.get(StepRecord, record.id)
    assert record.state == RecordState.SUBMITTED and record.current_version == 2
    versions = db.session.query(StepRecordVersion).filter_by(record_id=record.id).all()
    assert len(versions) == 2
    assert versions[1].evidence_file_id == versions[0].evidence_file_id  # the file is kept

    switch_to(world.trainer)
    response = _review(
        client, record.id, "approve", version="2", level_problem="meets", level_proposal="exceeds"
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(StepRecord, record.id).state == RecordState.APPROVED
    # Approving the last step completed the path.
    completion = db.session.query(PathCompletion).one()
    assert completion.path_id == path.id
    assert "パスを修了しました" in outbox[-1].get_content()
    kinds = [n.kind for n in db.session.query(Notification).order_by(Notification.id)]
    assert kinds == ["review.changes_requested", "review.approved", "path.completed"]

    switch_to(world.learner)
    path_page = client.get("/learn/paths/ex-path").get_data(as_text=True)
    assert "にこのパスを修了しました" in path_page


def test_trainers_do_not_review_their_own_work(app, client, switch_to, world, exercise_path):
    _, steps = exercise_path
    trainer_enrolment = gen_enrolment(world.trainer, exercise_path[0])
    own = gen_record(
        trainer_enrolment, steps[1], RecordState.SUBMITTED, deliverable_text="自分の提出"
    )
    db.session.commit()
    switch_to(world.trainer)
    assert f"/trainer/reviews/{own.id}" not in client.get("/trainer/reviews").get_data(as_text=True)
    assert client.get(f"/trainer/reviews/{own.id}").status_code == 403
    with pytest.raises(PermissionDenied):
        learning.review_submission(
            db.session,
            reviewer=world.trainer,
            record_id=own.id,
            version=1,
            decision=ReviewDecision.APPROVED,
            items={c: learning.ItemAssessment("meets") for c in ("problem", "proposal")},
            comment="",
            now=utcnow(),
            hook=None,
        )


def test_a_version_is_decided_once(app, world, exercise_path):
    _, steps = exercise_path
    enrolment = db.session.query(StepRecord).first().enrolment_id
    from portal.models import Enrolment

    record = gen_record(
        db.session.get(Enrolment, enrolment), steps[1], RecordState.SUBMITTED, deliverable_text="案"
    )
    other_trainer = gen_person(gen_prefecture(), roles=(Role.TRAINER,))
    items = {c: learning.ItemAssessment("meets") for c in ("problem", "proposal")}
    kwargs = {
        "record_id": record.id,
        "version": 1,
        "items": items,
        "comment": "",
        "now": utcnow(),
        "hook": None,
    }
    learning.review_submission(
        db.session,
        reviewer=world.trainer,
        decision=ReviewDecision.CHANGES_REQUESTED,
        **kwargs | {"comment": "直して"},
    )
    with pytest.raises(Conflict) as info:
        learning.review_submission(
            db.session, reviewer=other_trainer, decision=ReviewDecision.APPROVED, **kwargs
        )
    assert info.value.code == "not_awaiting_review"
    assert db.session.query(Review).count() == 1


def test_a_review_of_an_outdated_version_is_refused(app, client, switch_to, world, exercise_path):
    _, steps = exercise_path
    switch_to(world.learner)
    _submit(client, steps[1].id)
    record = db.session.query(StepRecord).filter_by(step_id=steps[1].id).one()
    _submit(
        client, steps[1].id, version="1", text=DELIVERABLE + "（更新）"
    )  # learner updates meanwhile
    switch_to(world.trainer)
    response = _review(
        client, record.id, "approve", version="1", level_problem="meets", level_proposal="meets"
    )
    assert response.status_code == 302
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "受講者が提出内容を更新しました（第2版）" in followed
    assert db.session.query(Review).count() == 0


def test_withdrawn_learners_leave_the_queue(app, client, switch_to, world, exercise_path):
    path, steps = exercise_path
    enrolment_id = db.session.query(StepRecord).first().enrolment_id
    from portal.models import Enrolment

    enrolment = db.session.get(Enrolment, enrolment_id)
    gen_record(enrolment, steps[1], RecordState.SUBMITTED, deliverable_text="提出物")
    enrolment.status = EnrolmentStatus.WITHDRAWN
    db.session.commit()
    switch_to(world.trainer)
    assert "確認待ちの提出物はありません" in client.get("/trainer/reviews").get_data(as_text=True)


def test_review_queue_query_count_is_flat(app, client, switch_to, world, count_queries):
    exercise = gen_exercise()
    path = gen_path("q-path", steps=[exercise])
    (step,) = path_steps(path)

    def add_submissions(n: int) -> None:
        for _ in range(n):
            person = gen_person(gen_prefecture())
            gen_record(
                gen_enrolment(person, path), step, RecordState.SUBMITTED, deliverable_text="案"
            )
        db.session.commit()

    switch_to(world.trainer)
    add_submissions(1)
    db.session.expire_all()  # as in a fresh request
    with count_queries() as one:
        assert client.get("/trainer/reviews").status_code == 200
    add_submissions(29)
    db.session.expire_all()
    with count_queries() as many:
        assert client.get("/trainer/reviews").status_code == 200
    assert one.count == many.count


def test_trainer_reviewed_course_steps_use_an_overall_comment(app, client, switch_to, world):
    from datetime import date

    from tests.factories_learning import REFLECTION

    path = gen_path("reviewed-course", steps=[gen_course()], reviewed=(0,))
    gen_enrolment(world.learner, path)
    db.session.commit()
    (step,) = path_steps(path)
    switch_to(world.learner)
    client.post(
        f"/learn/paths/reviewed-course/steps/{step.id}",
        data={
            "base_version": "0",
            "completed_on": date.today().isoformat(),
            "reflection": REFLECTION,
            "attested": "y",
        },
    )
    record = db.session.query(StepRecord).one()
    switch_to(world.trainer)
    page = client.get(f"/trainer/reviews/{record.id}").get_data(as_text=True)
    assert REFLECTION in page and "level_" not in page
    response = _review(client, record.id, "changes")
    assert response.status_code == 422
    assert "全体コメントか「要修正」の項目で理由を書いてください" in response.get_data(as_text=True)
    assert (
        _review(
            client, record.id, "changes", comment="修了証の画像を添付してください。"
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(StepRecord, record.id).state == RecordState.CHANGES_REQUESTED


def test_a_double_click_on_a_decision_is_harmless(
    app, client, switch_to, world, exercise_path, outbox
):
    _, steps = exercise_path
    switch_to(world.learner)
    _submit(client, steps[1].id)
    record = db.session.query(StepRecord).filter_by(step_id=steps[1].id).one()
    switch_to(world.trainer)
    fields = {"level_problem": "meets", "level_proposal": "meets"}
    assert _review(client, record.id, "approve", **fields).status_code == 302
    response = _review(client, record.id, "approve", **fields)
    assert response.status_code == 302
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "この判定はすでに保存されています" in followed
    assert db.session.query(Review).count() == 1
    assert len(outbox) == 1
