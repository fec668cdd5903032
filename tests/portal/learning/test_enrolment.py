"""Choosing a path: enrolment, prerequisites, withdrawal and re-enrolment."""

from __future__ import annotations

import pytest

from portal.exceptions import Conflict, NotFound
from portal.extensions import db
from portal.models import (
    AuditEvent,
    Enrolment,
    EnrolmentStatus,
    PathCompletion,
    PublicationStatus,
    StepRecord,
)
from portal.models.base import utcnow
from portal.services import learning
from tests.factories_learning import gen_enrolment, gen_record, path_steps


def _enrolments(person_id: int) -> list[Enrolment]:
    return db.session.query(Enrolment).filter_by(person_id=person_id).all()


def test_enrol_from_the_path_page(client, login_as, world):
    login_as(world.learner)
    page = client.get("/learn/paths/t1").get_data(as_text=True)
    assert "このパスに登録する" in page
    response = client.post("/learn/paths/t1/enrol", follow_redirects=True)
    assert response.status_code == 200
    assert "に登録しました" in response.get_data(as_text=True)
    # A double click (second POST) does not create a second enrolment.
    client.post("/learn/paths/t1/enrol")
    rows = _enrolments(world.learner.id)
    assert len(rows) == 1 and rows[0].status == EnrolmentStatus.ACTIVE
    assert db.session.query(AuditEvent).filter_by(action="learning.enrolled").count() == 1


def test_missing_prerequisites_are_explained_with_links(client, login_as, world):
    login_as(world.learner)
    page = client.get("/learn/paths/t3").get_data(as_text=True)
    assert "前提となるパスが未修了です" in page
    assert 'href="/learn/paths/t1"' in page
    assert "このパスに登録する" not in page
    response = client.post("/learn/paths/t3/enrol", follow_redirects=True)
    assert "先に前提となるパスを修了してください" in response.get_data(as_text=True)
    assert _enrolments(world.learner.id) == []
    listing = client.get("/learn/paths").get_data(as_text=True)
    assert "先に修了が必要: T1" in listing


def test_prerequisite_means_completed_not_just_enrolled(app, world):
    enrolment = gen_enrolment(world.learner, world.t1)
    with pytest.raises(Conflict) as info:
        learning.enrol(db.session, person=world.learner, path=world.t3, now=utcnow())
    assert info.value.params["missing"] == ["t1"]
    db.session.add(
        PathCompletion(enrolment_id=enrolment.id, person_id=world.learner.id, path_id=world.t1.id)
    )
    enrolment.status = EnrolmentStatus.COMPLETED
    db.session.flush()
    result = learning.enrol(db.session, person=world.learner, path=world.t3, now=utcnow())
    assert result.created


def test_unpublished_paths_cannot_be_enrolled(app, client, login_as, world):
    world.t1.status = PublicationStatus.DRAFT
    db.session.commit()
    with pytest.raises(NotFound):
        learning.enrol(db.session, person=world.learner, path=world.t1, now=utcnow())
    login_as(world.learner)
    assert client.get("/learn/paths/t1").status_code == 404


def test_withdraw_keeps_records_and_reenrol_reactivates(client, login_as, world):
    steps = path_steps(world.t1)
    enrolment = gen_enrolment(world.learner, world.t1)
    gen_record(enrolment, steps[0])
    db.session.commit()
    login_as(world.learner)
    response = client.post("/learn/paths/t1/withdraw", follow_redirects=True)
    assert "記録は残っている" in response.get_data(as_text=True)
    assert client.post("/learn/paths/t1/withdraw").status_code == 302  # a second click
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).status == EnrolmentStatus.WITHDRAWN
    assert db.session.query(StepRecord).count() == 1
    page = client.get("/learn/paths/t1").get_data(as_text=True)
    assert "もう一度登録する" in page
    # The old record is still reachable (read only).
    step_page = client.get(f"/learn/paths/t1/steps/{steps[0].id}").get_data(as_text=True)
    assert "受講を取りやめているため" in step_page
    # Withdrawn learners cannot record.
    response = client.post(f"/learn/paths/t1/steps/{steps[1].id}", data={})
    assert response.status_code == 302

    response = client.post("/learn/paths/t1/enrol", follow_redirects=True)
    assert "これまでの記録はそのまま残っています" in response.get_data(as_text=True)
    rows = _enrolments(world.learner.id)
    assert [e.id for e in rows] == [enrolment.id]
    assert rows[0].status == EnrolmentStatus.ACTIVE
    progress = learning.list_enrolment_progress(db.session, world.learner.id)
    assert progress[0].steps_done == 1


def test_completed_enrolments_cannot_be_withdrawn(app, world):
    enrolment = gen_enrolment(world.learner, world.t1, EnrolmentStatus.COMPLETED)
    with pytest.raises(Conflict) as info:
        learning.withdraw(db.session, person=world.learner, enrolment=enrolment, now=utcnow())
    assert info.value.code == "already_completed"


def test_only_one_open_enrolment_per_person_and_path_in_the_database(app, world):
    from sqlalchemy.exc import IntegrityError

    gen_enrolment(world.learner, world.t1)
    with pytest.raises(IntegrityError):
        gen_enrolment(world.learner, world.t1)
    db.session.rollback()


def test_several_withdrawn_enrolments_are_allowed(app, world):
    gen_enrolment(world.learner, world.t1, EnrolmentStatus.WITHDRAWN)
    gen_enrolment(world.learner, world.t1, EnrolmentStatus.WITHDRAWN)
    result = learning.enrol(db.session, person=world.learner, path=world.t1, now=utcnow())
    assert result.reactivated
    assert (
        db.session.query(Enrolment).filter(Enrolment.status != EnrolmentStatus.WITHDRAWN).count()
        == 1
    )
