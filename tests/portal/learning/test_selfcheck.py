"""The optional self-check."""

from __future__ import annotations

import pytest

from portal.exceptions import ValidationFailed
from portal.extensions import db
from portal.learner.forms import field_name
from portal.models import Enrolment
from portal.services.selfcheck import QUESTIONS, score_selfcheck


def _answers(by_tier):  # type: ignore[no-untyped-def]
    return {q.code: by_tier[q.tier] for q in QUESTIONS}


def test_between_ten_and_fifteen_questions_over_all_dss_l_areas():
    assert 10 <= len(QUESTIONS) <= 15
    assert {q.area for q in QUESTIONS} == {"why", "what", "how", "mind"}
    assert {q.tier for q in QUESTIONS} == {"T1", "T2", "T3", "T4"}


@pytest.mark.parametrize(
    ("by_tier", "tier", "all_mastered"),
    [
        ({"T1": 0, "T2": 0, "T3": 0, "T4": 0}, "T1", False),
        ({"T1": 3, "T2": 1, "T3": 3, "T4": 3}, "T2", False),
        ({"T1": 2, "T2": 2, "T3": 1, "T4": 0}, "T3", False),
        ({"T1": 3, "T2": 3, "T3": 2, "T4": 1}, "T4", False),
        ({"T1": 3, "T2": 3, "T3": 3, "T4": 3}, "T4", True),
    ],
)
def test_suggestion_is_the_first_tier_not_yet_mastered(by_tier, tier, all_mastered):
    outcome = score_selfcheck(_answers(by_tier))
    assert outcome.suggested_tier == tier and outcome.all_mastered is all_mastered


def test_incomplete_answers_are_refused():
    answers = _answers({"T1": 1, "T2": 1, "T3": 1, "T4": 1})
    answers.pop(QUESTIONS[0].code)
    with pytest.raises(ValidationFailed):
        score_selfcheck(answers)
    with pytest.raises(ValidationFailed):
        score_selfcheck(answers | {QUESTIONS[0].code: 7})


def test_the_self_check_pages(client, login_as, world):
    login_as(world.learner)
    page = client.get("/learn/selfcheck").get_data(as_text=True)
    assert "問1." in page and "マインド" in page
    # Leaving a question out keeps the other answers and says what is missing.
    data = {field_name(q.code): "3" for q in QUESTIONS[1:]}
    response = client.post("/learn/selfcheck", data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "いずれかを選んでください" in text
    assert text.count("checked") == len(QUESTIONS) - 1

    data = {field_name(q.code): ("3" if q.tier == "T1" else "1") for q in QUESTIONS}
    response = client.post("/learn/selfcheck", data=data, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "おすすめの始め方" in text and "T2" in text
    assert "T1 の内容は身についている" in text
    assert "T2 のパスから始めると" in text
    # Never blocks: T1 and other paths stay open, and the home page links the result.
    assert "このパスに登録する" in client.get("/learn/paths/t1").get_data(as_text=True)
    home = client.get("/learn/").get_data(as_text=True)
    assert "T2 から始めることをおすすめしました" in home
    assert db.session.query(Enrolment).count() == 0
