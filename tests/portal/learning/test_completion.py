"""Completing a path: exactly once, with the issuance hook in the same transaction."""

from __future__ import annotations

from datetime import date

import pytest

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Enrolment,
    EnrolmentStatus,
    Notification,
    PathCompletion,
    RecordState,
    StepRecord,
)
from portal.models.base import utcnow
from portal.services import learning
from portal.services.evidence import EvidenceStore
from tests.factories_learning import REFLECTION, gen_enrolment, gen_record, path_steps


class Hook:
    """Writes an audit row (stands in for the credential) and remembers its calls."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[int] = []
        self.fail = fail

    def __call__(self, session, completion, now):  # type: ignore[no-untyped-def]
        assert completion.id is not None and completion.enrolment_id is not None
        self.calls.append(completion.id)
        session.add(
            AuditEvent(
                occurred_at=now,
                action="credential.issued",
                subject_type="completion",
                subject_id=str(completion.id),
            )
        )
        session.flush()
        if self.fail:
            raise RuntimeError("signing key unavailable")


def _form():  # type: ignore[no-untyped-def]
    return {
        "base_version": "0",
        "completed_on": date.today().isoformat(),
        "reflection": REFLECTION,
        "attested": "y",
    }


@pytest.fixture
def nearly_done(world):  # type: ignore[no-untyped-def]
    """T1 with the two required courses done; the elective is the last step."""
    enrolment = gen_enrolment(world.learner, world.t1)
    steps = path_steps(world.t1)
    gen_record(enrolment, steps[0])
    gen_record(enrolment, steps[1])
    db.session.commit()
    return enrolment, steps


def test_last_step_completes_the_path_once_and_calls_the_hook(
    app, client, login_as, world, nearly_done
):
    enrolment, steps = nearly_done
    hook = Hook()
    app.extensions["completion_hook"] = hook
    login_as(world.learner)
    response = client.post(
        f"/learn/paths/t1/steps/{steps[2].id}", data=_form(), follow_redirects=True
    )
    assert "パスを修了しました" in response.get_data(as_text=True)
    db.session.expire_all()
    (completion,) = db.session.query(PathCompletion).all()
    assert hook.calls == [completion.id]
    assert db.session.query(AuditEvent).filter_by(action="credential.issued").count() == 1
    enrolment = db.session.get(Enrolment, enrolment.id)
    assert enrolment.status == EnrolmentStatus.COMPLETED and enrolment.completed_at is not None
    assert db.session.query(Notification).filter_by(kind="path.completed").count() == 1

    # Records are final now; nothing completes twice.
    response = client.post(
        f"/learn/paths/t1/steps/{steps[2].id}",
        data=_form() | {"base_version": "1", "reflection": REFLECTION + "再"},
    )
    assert response.status_code == 409
    assert "このパスは修了済みです。記録は変更できません。" in response.get_data(as_text=True)
    assert db.session.query(PathCompletion).count() == 1
    assert hook.calls == [completion.id]
    assert "修了" in client.get("/learn/").get_data(as_text=True)


def test_a_failing_hook_rolls_back_the_completion_but_keeps_the_record(
    app, client, login_as, world, nearly_done
):
    enrolment, steps = nearly_done
    app.extensions["completion_hook"] = Hook(fail=True)
    login_as(world.learner)
    response = client.post(
        f"/learn/paths/t1/steps/{steps[2].id}", data=_form(), follow_redirects=True
    )
    text = response.get_data(as_text=True)
    assert "パスの修了処理（バッジの発行）に失敗しました" in text
    assert "修了を確定する" in text
    db.session.expire_all()
    assert db.session.query(PathCompletion).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="credential.issued").count() == 0
    assert db.session.get(Enrolment, enrolment.id).status == EnrolmentStatus.ACTIVE
    assert db.session.query(StepRecord).count() == 3  # what the learner entered is kept
    assert db.session.query(Notification).filter_by(kind="path.completed").count() == 0

    # Once issuance works again, the learner confirms the completion.
    fixed = Hook()
    app.extensions["completion_hook"] = fixed
    response = client.post("/learn/paths/t1/complete", follow_redirects=True)
    assert "パスを修了しました" in response.get_data(as_text=True)
    assert db.session.query(PathCompletion).count() == 1 and len(fixed.calls) == 1
    client.post("/learn/paths/t1/complete")
    assert db.session.query(PathCompletion).count() == 1 and len(fixed.calls) == 1


def test_no_hook_registered_still_completes(app, world, nearly_done, tmp_path):
    app.extensions.pop("completion_hook", None)
    _, steps = nearly_done
    outcome = learning.record_step(
        db.session,
        person=world.learner,
        path=learning.get_published_path(db.session, "t1"),
        step_id=steps[2].id,
        entry=learning.StepEntry(completed_on=date.today(), reflection=REFLECTION, attested=True),
        upload=None,
        store=EvidenceStore(tmp_path),
        base_version=0,
        today=date.today(),
        now=utcnow(),
        hook=None,
    )
    assert outcome.completion is not None and not outcome.completion_failed


def test_completion_is_unique_per_enrolment_in_the_database(app, world, nearly_done):
    from sqlalchemy.exc import IntegrityError

    enrolment, _ = nearly_done
    db.session.add(
        PathCompletion(enrolment_id=enrolment.id, person_id=world.learner.id, path_id=world.t1.id)
    )
    db.session.flush()
    db.session.add(
        PathCompletion(enrolment_id=enrolment.id, person_id=world.learner.id, path_id=world.t1.id)
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_complete_if_due_does_nothing_twice(app, world, nearly_done):
    enrolment, steps = nearly_done
    gen_record(enrolment, steps[2], RecordState.DONE)
    path = learning.get_published_path(db.session, "t1")
    hook = Hook()
    first, failed = learning.complete_if_due(
        db.session, enrolment, path=path, now=utcnow(), hook=hook
    )
    again, _ = learning.complete_if_due(db.session, enrolment, path=path, now=utcnow(), hook=hook)
    assert first is not None and not failed and again is None
    assert len(hook.calls) == 1


def test_a_database_error_inside_the_hook_is_a_failed_hook(app, world, nearly_done):
    enrolment, steps = nearly_done
    gen_record(enrolment, steps[2], RecordState.DONE)
    path = learning.get_published_path(db.session, "t1")

    def clashing_hook(session, completion, now):  # type: ignore[no-untyped-def]
        session.add(
            PathCompletion(
                enrolment_id=completion.enrolment_id,
                person_id=completion.person_id,
                path_id=completion.path_id,
            )
        )
        session.flush()  # violates the unique completion per enrolment

    completion, failed = learning.complete_if_due(
        db.session, enrolment, path=path, now=utcnow(), hook=clashing_hook
    )
    assert completion is None and failed
    db.session.commit()  # the outer transaction is still usable
    assert db.session.query(PathCompletion).count() == 0
    assert db.session.get(Enrolment, enrolment.id).status == EnrolmentStatus.ACTIVE
