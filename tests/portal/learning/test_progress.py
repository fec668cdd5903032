"""The completion rule, progress counts, hours and the next step (no database)."""

from __future__ import annotations

from decimal import Decimal

from portal.models import (
    Course,
    Exercise,
    LearningPath,
    PathStep,
    RecordState,
    ReviewMode,
    StepKind,
    StepRecord,
)
from portal.services.learning import compute_progress


def _course(n: int, hours: str) -> Course:
    return Course(id=n, title=f"講座{n}", hours_min=Decimal(hours), hours_max=Decimal(hours))


def _step(
    n: int, *, required: bool = True, hours: str = "1", active: bool = True, exercise: bool = False
) -> PathStep:
    step = PathStep(
        id=n,
        position=n,
        key=f"s{n}",
        kind=StepKind.EXERCISE if exercise else StepKind.COURSE,
        required=required,
        review=ReviewMode.TRAINER if exercise else ReviewMode.SELF,
        is_active=active,
    )
    if exercise:
        step.exercise = Exercise(
            id=n, title=f"演習{n}", hours_min=Decimal(hours), hours_max=Decimal(hours)
        )
        step.course = None
    else:
        step.course = _course(n, hours)
        step.exercise = None
    return step


def _rec(step: PathStep, state: RecordState) -> StepRecord:
    return StepRecord(step_id=step.id, state=state)


def _path(electives: int = 0) -> LearningPath:
    return LearningPath(slug="p", electives_required=electives)


def test_required_and_electives_make_the_rule():
    steps = [
        _step(1),
        _step(2),
        _step(3, required=False, hours="2"),
        _step(4, required=False, hours="5"),
    ]
    path = _path(electives=1)
    p = compute_progress(path, steps, [])
    assert (p.steps_done, p.steps_total) == (0, 3)
    # Required hours plus the shortest elective still needed.
    assert (p.hours_done, p.hours_total) == (Decimal(0), Decimal(4))
    assert p.next_step is not None and p.next_step.step.id == 1
    assert not p.rule_met

    records = [_rec(steps[0], RecordState.DONE), _rec(steps[1], RecordState.APPROVED)]
    p = compute_progress(path, steps, records)
    assert (p.steps_done, p.steps_total) == (2, 3)
    assert p.next_step is not None and p.next_step.step.id == 3  # an elective is next
    assert not p.rule_met

    records.append(_rec(steps[3], RecordState.DONE))  # the long elective
    p = compute_progress(path, steps, records)
    assert p.rule_met
    assert (p.steps_done, p.steps_total) == (3, 3)
    assert (p.hours_done, p.hours_total) == (Decimal(7), Decimal(7))
    assert p.next_step is None


def test_submitted_and_changes_requested_do_not_count():
    steps = [_step(1), _step(2, exercise=True, hours="3")]
    p = compute_progress(
        _path(), steps, [_rec(steps[0], RecordState.DONE), _rec(steps[1], RecordState.SUBMITTED)]
    )
    assert not p.rule_met and p.waiting_review == 1 and p.next_step is None
    p = compute_progress(
        _path(),
        steps,
        [_rec(steps[0], RecordState.DONE), _rec(steps[1], RecordState.CHANGES_REQUESTED)],
    )
    assert not p.rule_met and p.next_step is not None and p.next_step.step.id == 2


def test_inactive_steps_do_not_count_but_their_records_are_kept():
    steps = [_step(1), _step(2, active=False), _step(3)]
    records = [_rec(steps[0], RecordState.DONE), _rec(steps[1], RecordState.DONE)]
    p = compute_progress(_path(), steps, records)
    assert [s.step.id for s in p.steps] == [1, 3]
    assert [s.step.id for s in p.retired] == [2]
    assert (p.steps_done, p.steps_total) == (1, 2)
    assert not p.rule_met


def test_electives_required_above_available_does_not_block():
    steps = [_step(1), _step(2, required=False)]
    p = compute_progress(
        _path(electives=3),
        steps,
        [_rec(steps[0], RecordState.DONE), _rec(steps[1], RecordState.DONE)],
    )
    assert p.rule_met and p.steps_total == 2
