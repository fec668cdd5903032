"""The optional self-check: a few questions on the DSS-L areas that suggest a starting tier.

Each question belongs to one DSS-L area (Why / What / How / マインド・スタンス) and to
the tier (T1–T4) whose path teaches it. Answers run from 0 (まだできない) to 3 (自信を
もってできる). A tier counts as already mastered when its questions average at least
`MASTERY`; the suggestion is the first tier that is not. The wording of the questions
lives at the web edge (portal/learner/forms.py); only codes are here.

The result never blocks anything: any path whose prerequisites are met stays open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from portal.exceptions import ValidationFailed
from portal.models import Person, SelfCheckResult
from portal.models.base import DBSession

TIERS = ("T1", "T2", "T3", "T4")
AREAS = ("why", "what", "how", "mind")
ANSWER_MAX = 3
MASTERY = 2.0


@dataclass(frozen=True)
class Question:
    code: str
    area: str  # DSS-L area
    tier: str  # the tier whose path teaches it


QUESTIONS: tuple[Question, ...] = (
    Question("t1.phishing", "how", "T1"),
    Question("t1.security", "how", "T1"),
    Question("t1.moral", "how", "T1"),
    Question("t1.read-data", "what", "T1"),
    Question("t2.spreadsheet", "how", "T2"),
    Question("t2.ai", "what", "T2"),
    Question("t2.cloud", "what", "T2"),
    Question("t2.open-data", "what", "T2"),
    Question("t3.why-dx", "why", "T3"),
    Question("t3.user", "mind", "T3"),
    Question("t3.collaboration", "mind", "T3"),
    Question("t4.iterative", "mind", "T4"),
    Question("t4.service", "how", "T4"),
)


@dataclass(frozen=True)
class SelfCheckOutcome:
    suggested_tier: str
    #: Average answer per tier and per DSS-L area (0–3, one decimal).
    tier_scores: dict[str, float]
    area_scores: dict[str, float]
    #: Every tier is already at `MASTERY` (the suggestion is then the last tier).
    all_mastered: bool

    def as_json(self) -> dict[str, object]:
        return {"tiers": self.tier_scores, "areas": self.area_scores, "all": self.all_mastered}


def _average(values: list[int]) -> float:
    return round(sum(values) / len(values), 1) if values else 0.0


def score_selfcheck(answers: Mapping[str, int]) -> SelfCheckOutcome:
    """Score complete answers and suggest a starting tier.

    :raises ValidationFailed: ``selfcheck_incomplete`` (a question is missing or out of range).
    """
    missing = [
        q.code
        for q in QUESTIONS
        if not isinstance(answers.get(q.code), int) or not 0 <= answers[q.code] <= ANSWER_MAX
    ]
    if missing:
        raise ValidationFailed("selfcheck_incomplete", questions=missing)
    tier_scores = {
        tier: _average([answers[q.code] for q in QUESTIONS if q.tier == tier]) for tier in TIERS
    }
    area_scores = {
        area: _average([answers[q.code] for q in QUESTIONS if q.area == area]) for area in AREAS
    }
    suggested = next((t for t in TIERS if tier_scores[t] < MASTERY), None)
    return SelfCheckOutcome(
        suggested_tier=suggested or TIERS[-1],
        tier_scores=tier_scores,
        area_scores=area_scores,
        all_mastered=suggested is None,
    )


def save_selfcheck(
    session: DBSession, person: Person, answers: Mapping[str, int], now: datetime
) -> tuple[SelfCheckResult, SelfCheckOutcome]:
    """Score and keep a self-check (earlier ones stay as history).

    :raises ValidationFailed: ``selfcheck_incomplete``.
    """
    outcome = score_selfcheck(answers)
    result = SelfCheckResult(
        person_id=person.id,
        answers={q.code: int(answers[q.code]) for q in QUESTIONS},
        scores=outcome.as_json(),
        suggested_tier=outcome.suggested_tier,
        created_at=now,
    )
    session.add(result)
    session.flush()
    return result, outcome


def outcome_of(result: SelfCheckResult) -> SelfCheckOutcome:
    """The outcome stored with a result (re-scored from its answers when possible)."""
    try:
        return score_selfcheck(result.answers)
    except ValidationFailed:  # the question set changed since: show what was stored
        scores = result.scores or {}
        return SelfCheckOutcome(
            suggested_tier=result.suggested_tier,
            tier_scores=dict(scores.get("tiers", {})),
            area_scores=dict(scores.get("areas", {})),
            all_mastered=bool(scores.get("all", False)),
        )


def find_latest_selfcheck(session: DBSession, person_id: int) -> SelfCheckResult | None:
    """The person's most recent self-check, if any."""
    return session.scalar(
        select(SelfCheckResult)
        .where(SelfCheckResult.person_id == person_id)
        .order_by(SelfCheckResult.created_at.desc(), SelfCheckResult.id.desc())
        .limit(1)
    )
