"""`flask curricula check|sync|export`: idempotent upsert, retire-not-delete, round trip."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import curricula
from portal.extensions import db
from portal.models import (
    Achievement,
    AlignmentTarget,
    CatalogueChange,
    Course,
    CourseAlignment,
    CourseOrigin,
    Enrolment,
    LearningPath,
    PathPrerequisite,
    PathStep,
    PublicationStatus,
    RecordState,
    StepRecord,
)
from portal.models.base import utcnow
from portal.services.catalogue_sync import build_catalogue, sync_catalogue
from tests.factories import gen_course, gen_person


def _count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_shipped_catalogue_meets_the_issue(shipped: curricula.Catalogue) -> None:
    assert len(shipped.courses) >= 80
    assert len(shipped.paths) == 6
    assert {p.code for p in shipped.paths} == {"T1", "T2", "T3", "T4", "L1", "L2"}


def test_sync_creates_everything_then_changes_nothing(
    app: Any, shipped: curricula.Catalogue
) -> None:
    first = sync_catalogue(db.session, shipped, now=utcnow())
    db.session.commit()
    assert first.of("courses").created == len(shipped.courses)
    assert first.of("paths").created == 6
    assert first.of("prerequisites").created == 4
    assert _count(Course) == len(shipped.courses)
    assert _count(Achievement) == len(shipped.achievements)
    assert _count(PathStep) == sum(len(p.steps) for p in shipped.paths)
    changes_after_first = _count(CatalogueChange)

    second = sync_catalogue(db.session, shipped, now=utcnow())
    db.session.commit()
    assert not second.changed
    assert second.of("courses").unchanged == len(shipped.courses)
    assert second.of("steps").unchanged == sum(len(p.steps) for p in shipped.paths)
    assert _count(CatalogueChange) == changes_after_first


def test_sync_stores_search_text_alignments_and_images(app: Any, synced: Any) -> None:
    course = db.session.scalar(select(Course).where(Course.slug == "ipa-10-major-threats"))
    assert course is not None
    assert course.status == PublicationStatus.PUBLISHED
    assert course.origin == CourseOrigin.DATA
    assert "情報せきゅりてぃ10大脅威" in course.search_text  # katakana folded to hiragana
    refs = set(
        db.session.scalars(
            select(AlignmentTarget.ref)
            .join(CourseAlignment, CourseAlignment.target_id == AlignmentTarget.id)
            .where(CourseAlignment.course_id == course.id)
        )
    )
    assert {"tier:T1", "level:ALL"} <= refs
    badge = db.session.scalar(select(Achievement).where(Achievement.slug == "badge-t1"))
    assert badge is not None and badge.image_svg.startswith("<svg")
    l1 = db.session.scalar(select(LearningPath).where(LearningPath.slug == "l1-digital-leader"))
    assert l1 is not None
    required = set(
        db.session.scalars(
            select(LearningPath.slug)
            .join(PathPrerequisite, PathPrerequisite.requires_id == LearningPath.id)
            .where(PathPrerequisite.path_id == l1.id)
        )
    )
    assert required == {"t1-everyday-literacy", "t2-using-digital-tools"}


def _without_course(catalogue: curricula.Catalogue, slug: str) -> curricula.Catalogue:
    return dataclasses.replace(
        catalogue, courses=tuple(c for c in catalogue.courses if c.slug != slug)
    )


def _unused_course(catalogue: curricula.Catalogue) -> str:
    used = {s.slug for p in catalogue.paths for s in p.steps if s.kind == "course"}
    used |= {c.shares_url_with for c in catalogue.courses if c.shares_url_with}
    return next(c.slug for c in catalogue.courses if c.slug not in used)


def test_missing_course_is_retired_not_deleted(
    app: Any, synced: Any, shipped: curricula.Catalogue
) -> None:
    slug = _unused_course(shipped)
    web = gen_course("added-on-the-web", url="https://example.jp/web-course")
    web.origin = CourseOrigin.WEB
    db.session.commit()
    smaller = _without_course(shipped, slug)
    assert not curricula.validate_catalogue(smaller)

    report = sync_catalogue(db.session, smaller, now=utcnow())
    db.session.commit()
    assert report.of("courses").retired == 1
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    assert course is not None and course.status == PublicationStatus.RETIRED
    # A course that trainers added on the web is not retired by the data files.
    assert db.session.get(Course, web.id).status == PublicationStatus.PUBLISHED
    history = db.session.scalars(
        select(CatalogueChange).where(CatalogueChange.course_id == course.id)
    ).all()
    assert history[-1].before["status"] == "published"
    assert history[-1].after["status"] == "retired"

    # It comes back when the data has it again.
    again = sync_catalogue(db.session, shipped, now=utcnow())
    db.session.commit()
    assert again.of("courses").updated == 1
    assert db.session.get(Course, course.id).status == PublicationStatus.PUBLISHED


def test_removed_step_is_deactivated_and_progress_kept(
    app: Any, synced: Any, shipped: curricula.Catalogue
) -> None:
    path_data = shipped.get_path("t1-everyday-literacy")
    dropped = path_data.elective_steps[-1]
    path = db.session.scalar(select(LearningPath).where(LearningPath.slug == path_data.slug))
    step = db.session.scalar(
        select(PathStep).where(PathStep.path_id == path.id, PathStep.key == dropped.key)
    )
    person = gen_person()
    enrolment = Enrolment(person_id=person.id, path_id=path.id)
    db.session.add(enrolment)
    db.session.flush()
    record = StepRecord(enrolment_id=enrolment.id, step_id=step.id, state=RecordState.DONE)
    db.session.add(record)
    db.session.commit()

    changed_path = dataclasses.replace(
        path_data, steps=tuple(s for s in path_data.steps if s.key != dropped.key)
    )
    changed = dataclasses.replace(
        shipped,
        paths=tuple(changed_path if p.slug == path_data.slug else p for p in shipped.paths),
    )
    assert not curricula.validate_catalogue(changed)
    report = sync_catalogue(db.session, changed, now=utcnow())
    db.session.commit()
    assert report.of("steps").retired == 1
    assert report.of("paths").updated == 1
    db.session.expire_all()
    assert db.session.get(PathStep, step.id).is_active is False
    assert db.session.get(StepRecord, record.id) is not None  # progress untouched
    # The step comes back active when the data has it again.
    sync_catalogue(db.session, shipped, now=utcnow())
    db.session.commit()
    assert db.session.get(PathStep, step.id).is_active is True


def test_cli_check_passes_on_shipped_data(runner: Any) -> None:
    result = runner.invoke(args=["curricula", "check"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    assert "URL verified" in result.output


def test_cli_check_reports_file_line_field(runner: Any, tmp_path: Path) -> None:
    curricula.dump_catalogue(curricula.load_catalogue(), tmp_path)
    text = (tmp_path / "courses.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "url: https://security-portal.nisc.go.jp/guidance/handbook.html",
        "url: javascript:alert(1)",
        1,
    )
    (tmp_path / "courses.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(args=["curricula", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "courses.yaml:" in result.output
    assert "courses[nisc-internet-safety-handbook].url" in result.output


def test_cli_sync_twice_then_export_round_trip(runner: Any, app: Any, tmp_path: Path) -> None:
    first = runner.invoke(args=["curricula", "sync"])
    assert first.exit_code == 0, first.output
    assert "courses: " in first.output and "catalogue updated" in first.output
    second = runner.invoke(args=["curricula", "sync"])
    assert second.exit_code == 0
    assert "no change" in second.output
    assert " 0 created, 0 updated" in second.output

    out = tmp_path / "export"
    exported = runner.invoke(args=["curricula", "export", str(out)])
    assert exported.exit_code == 0, exported.output
    # The export is the shipped data, byte for byte.
    for name in ("courses.yaml", "paths.yaml", "achievements.yaml", "frameworks.yaml"):
        assert (out / name).read_text(encoding="utf-8") == (
            curricula.DEFAULT_DATA_DIR / name
        ).read_text(encoding="utf-8")
    assert curricula.load_catalogue(out) == curricula.load_catalogue()
    # Open data, CC BY 4.0.
    document = json.loads((out / "open-data" / "courses.json").read_text(encoding="utf-8"))
    assert document["license"]["name"] == "CC BY 4.0"
    assert (out / "open-data" / "courses.csv").read_text(encoding="utf-8").startswith("slug,")

    # export → sync gives no change.
    again = runner.invoke(args=["curricula", "sync", "--data", str(out)])
    assert again.exit_code == 0
    assert "no change" in again.output


def test_export_round_trip_keeps_web_changes(app: Any, synced: Any, tmp_path: Path) -> None:
    """A course added and published on the web is exported, and syncing the export changes nothing."""
    course = gen_course(
        "web-added-course",
        title="ウェブで追加した講座",
        url="https://example.jp/web-added",
        url_normalised="https://example.jp/web-added",
        description="研修担当がポータルで追加した講座です。",
        tiers=["T2"],
        levels=["L1"],
        source="portal: added by a trainer",
        verification="unconfirmed-url",
        url_verified=False,
        position=999,
    )
    course.origin = CourseOrigin.WEB
    db.session.commit()
    catalogue = build_catalogue(db.session)
    assert not curricula.validate_catalogue(catalogue)
    curricula.dump_catalogue(catalogue, tmp_path)
    loaded = curricula.load_catalogue(tmp_path)
    assert loaded.get_course("web-added-course").title == "ウェブで追加した講座"
    report = sync_catalogue(db.session, loaded, now=utcnow())
    db.session.commit()
    assert report.of("courses").updated == 1  # only: origin web → data
    assert report.of("courses").created == 0
    assert not sync_catalogue(db.session, loaded, now=utcnow()).changed
