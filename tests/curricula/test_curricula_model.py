"""Lookups and derived views of the frozen domain objects."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from curricula import Catalogue, UnknownReferenceError, load_catalogue, split_ref


@pytest.fixture
def small(write: Callable[[dict[str, str]], Path], files: dict[str, str]) -> Catalogue:
    return load_catalogue(write(files))


def test_objects_are_frozen(small: Catalogue) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        small.courses[0].title = "changed"  # type: ignore[misc]


def test_get_and_find(small: Catalogue) -> None:
    assert small.get_course("course-1").title == "講座1"
    assert small.find_course("nope") is None
    with pytest.raises(UnknownReferenceError) as excinfo:
        small.get_course("nope")
    assert isinstance(excinfo.value, KeyError)
    assert str(excinfo.value) == "unknown course: 'nope'"
    assert small.get_path("path-1").code == "T1"
    assert small.get_exercise("exercise-1").sector == "agriculture"
    assert small.get_achievement("badge-1").image == "badge.svg"
    assert small.get_tier("T1").short_ja
    assert small.get_level("L1").kind == "staff-level"
    assert small.get_image("badge.svg").svg.startswith("<svg")
    with pytest.raises(UnknownReferenceError):
        small.get_framework("dss-x")


def test_step_keys_and_completion(small: Catalogue) -> None:
    path = small.get_path("path-1")
    keys = [step.key for step in path.steps]
    assert keys[0] == "course:course-1"
    assert keys[-1] == "exercise:exercise-1"
    required = {step.key for step in path.required_steps}
    assert not path.is_complete(frozenset(required))
    assert path.is_complete(frozenset(required | {"course:course-4"}))
    assert not path.is_complete(frozenset({"course:course-3", "course:course-4"}))
    ja, en = path.completion_rule_text()
    assert ja == "必須3件をすべて修了し、選択2件から1件以上を修了"
    assert en == "complete all 3 required steps and at least 1 of 2 electives"


def test_path_hours(small: Catalogue) -> None:
    # required: course-1 (1-2), course-2 (1-2), exercise-1 (5-8); one elective of (1-2, 1-2)
    hours = small.path_hours("path-1")
    assert (hours.min, hours.max) == (8.0, 14.0)
    assert small.step_hours(small.get_path("path-1").steps[-1]).max == 8.0


def test_alignment_targets(small: Catalogue) -> None:
    tier = small.get_alignment_target("tier:T1")
    assert (tier.framework, tier.code, tier.url) == ("tier", "T1", None)
    assert tier.framework_name_ja == "人材像（4類型）"
    item = small.get_alignment_target("dss-l:why.society")
    assert item.url == "https://www.ipa.go.jp/jinzai/skill-standard/dss/about_dss-l.html"
    assert item.confirmed is False
    assert small.find_alignment_target("dss-l:nothing") is None
    assert small.find_alignment_target("no-colon") is None
    refs = list(small.iter_alignment_refs())
    assert refs[:3] == ["tier:T1", "level:ALL", "level:L1"]
    assert split_ref("dss-p:sec.manager") == ("dss-p", "sec.manager")
    with pytest.raises(UnknownReferenceError):
        split_ref("sec.manager")


def test_prerequisite_closure_on_shipped_data() -> None:
    catalogue = load_catalogue()
    assert catalogue.prerequisite_closure("l1-digital-leader") == (
        "t1-everyday-literacy",
        "t2-using-digital-tools",
    )
    assert catalogue.prerequisite_closure("t1-everyday-literacy") == ()
    assert [p.slug for p in catalogue.paths_using("course", "soumu-security-policy-guideline")] == [
        "t3-leading-dx",
        "l1-digital-leader",
    ]
    assert catalogue.path_for_achievement("cert-l1") is None
    assert len(catalogue.active_courses) == len(catalogue.courses)


def test_equal_catalogues_compare_equal(
    write: Callable[[dict[str, str]], Path], files: dict[str, str]
) -> None:
    assert load_catalogue(write(files)) == load_catalogue(write(files))
