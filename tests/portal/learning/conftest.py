"""Fixtures for the learning tests: a learner, a trainer and two paths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from portal.extensions import db
from portal.models import Course, Exercise, LearningPath, Person, Role
from tests.factories import gen_course, gen_exercise, gen_path, gen_person, gen_prefecture


@dataclass
class World:
    learner: Person
    trainer: Person
    courses: list[Course]
    exercise: Exercise
    t1: LearningPath  # three self-attested courses, the last one an elective (1 of 1 needed)
    t3: LearningPath  # one course and one exercise, T1 required first

    def ids(self) -> dict[str, Any]:
        return {"learner": self.learner.id, "trainer": self.trainer.id}


@pytest.fixture
def world(app) -> World:  # type: ignore[no-untyped-def]
    pref = gen_prefecture()
    learner = gen_person(pref, name="北海 太郎")
    trainer = gen_person(pref, roles=(Role.TRAINER,), name="研修 花子")
    courses = [gen_course(title=f"講座{i}") for i in range(1, 4)]
    exercise = gen_exercise(title="【模擬演習】空知の農業")
    t1 = gen_path("t1", steps=courses, optional=(2,), electives=1, name_ja="T1 生活レベル")
    extra = gen_course(title="講座4")
    t3 = gen_path(
        "t3",
        steps=[extra, exercise],
        tier="T3",
        prerequisites=(t1,),
        name_ja="T3 関係者を巻き込む",
    )
    db.session.commit()
    return World(learner, trainer, courses, exercise, t1, t3)


@pytest.fixture
def switch_to(client, login_as):  # type: ignore[no-untyped-def]
    """Log another person in on the same client.

    The test holds an app context for its whole run, so Flask-Login's cached user in
    `g` must be dropped as well.
    """
    from flask import g

    def _switch(person: Person):  # type: ignore[no-untyped-def]
        g.pop("_login_user", None)
        return login_as(person)

    return _switch


@pytest.fixture(autouse=True)
def _no_real_issuance(request):  # type: ignore[no-untyped-def]
    """The issuance area registers a completion hook that needs a signing key; these tests
    are about learning, so the hook is a no-op unless a test installs its own."""
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        app.extensions["completion_hook"] = lambda session, completion, now: None
