"""Plain factory functions for tests. They flush; the test commits when it needs to."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from portal.extensions import db
from portal.models import (
    Achievement,
    Course,
    Email,
    Exercise,
    LearningPath,
    Organisation,
    OrgKind,
    PathPrerequisite,
    PathStep,
    Person,
    Placement,
    PublicationStatus,
    ReviewMode,
    Role,
    RoleGrant,
    StepKind,
    Subprefecture,
    Unit,
    UnitKind,
)
from portal.models.base import utcnow
from portal.services.accounts import make_hasher

PASSWORD = "correct horse battery"  # noqa: S105
_counter = itertools.count(1)
_hasher = make_hasher(1, 8)
_password_hash = _hasher.hash(PASSWORD)


def gen_subprefecture(slug: str = "kamikawa", name_ja: str = "上川総合振興局") -> Subprefecture:
    sub = db.session.query(Subprefecture).filter_by(slug=slug).one_or_none()
    if sub is None:
        sub = Subprefecture(
            slug=slug, name_ja=name_ja, name_en=f"{slug.title()} Bureau", position=next(_counter)
        )
        db.session.add(sub)
        db.session.flush()
    return sub


def gen_prefecture() -> Organisation:
    org = db.session.query(Organisation).filter_by(slug="hokkaido").one_or_none()
    if org is None:
        org = Organisation(
            kind=OrgKind.PREFECTURE,
            lgcode="010006",
            slug="hokkaido",
            name_ja="北海道",
            name_kana="ほっかいどう",
            name_en="Hokkaido Prefecture",
        )
        db.session.add(org)
        db.session.flush()
    return org


def gen_municipality(
    slug: str = "furano",
    name_ja: str = "富良野市",
    lgcode: str | None = None,
    sub: Subprefecture | None = None,
) -> Organisation:
    org = db.session.query(Organisation).filter_by(slug=slug).one_or_none()
    if org is not None:
        return org
    pref = gen_prefecture()
    sub = sub or gen_subprefecture()
    org = Organisation(
        kind=OrgKind.MUNICIPALITY,
        lgcode=lgcode or f"9{next(_counter):05d}",
        slug=slug,
        name_ja=name_ja,
        name_kana="",
        name_en=slug.title(),
        municipality_type="city",
        subprefecture_id=sub.id,
        parent_id=pref.id,
    )
    db.session.add(org)
    db.session.flush()
    return org


def gen_unit(org: Organisation, name: str, parent: Unit | None = None) -> Unit:
    unit = Unit(
        organisation_id=org.id,
        parent_id=parent.id if parent else None,
        kind=UnitKind.SECTION if parent else UnitKind.DEPARTMENT,
        name=name,
    )
    db.session.add(unit)
    db.session.flush()
    return unit


def gen_section(org: Organisation, name: str = "総務課", department: str = "総務部") -> Unit:
    dept = (
        db.session.query(Unit)
        .filter_by(organisation_id=org.id, name=department, parent_id=None)
        .one_or_none()
    )
    dept = dept or gen_unit(org, department)
    return gen_unit(org, name, dept)


def gen_person(
    org: Organisation | None = None,
    *,
    roles: tuple[Role, ...] = (),
    email: str | None = None,
    section: Unit | None = None,
    **kw: Any,
) -> Person:
    org = org or gen_prefecture()
    n = next(_counter)
    now = utcnow()
    person = Person(
        organisation_id=org.id,
        section_id=section.id if section else None,
        staff_number=kw.pop("staff_number", f"S{n:05d}"),
        name=kw.pop("name", f"職員 {n}"),
        name_kana=kw.pop("name_kana", f"しょくいん {n}"),
        password_hash=_password_hash,
        **kw,
    )
    person.emails.append(
        Email(address=email or f"person{n}@example.lg.jp", is_primary=True, verified_at=now)
    )
    for role in roles:
        person.role_grants.append(RoleGrant(role=role, granted_at=now))
    db.session.add(person)
    db.session.flush()
    db.session.add(
        Placement(
            person_id=person.id,
            organisation_id=org.id,
            section_id=person.section_id,
            staff_number=person.staff_number,
            started_at=now,
        )
    )
    db.session.flush()
    return person


# Catalogue -------------------------------------------------------------------------


def gen_course(slug: str | None = None, **kw: Any) -> Course:
    n = next(_counter)
    slug = slug or f"course-{n}"
    url = kw.pop("url", f"https://courses.example.jp/{slug}")
    course = Course(
        slug=slug,
        title=kw.pop("title", f"講座 {n}"),
        provider=kw.pop("provider", "総務省"),
        url=url,
        url_normalised=kw.pop("url_normalised", url.lower().rstrip("/")),
        url_verified=kw.pop("url_verified", True),
        language=kw.pop("language", "ja"),
        hours_min=kw.pop("hours_min", Decimal("1")),
        hours_max=kw.pop("hours_max", Decimal("2")),
        format=kw.pop("format", "e-learning"),
        certificate=kw.pop("certificate", "none"),
        description=kw.pop("description", "テスト用の講座です。"),
        tiers=kw.pop("tiers", ["T1"]),
        levels=kw.pop("levels", []),
        dss=kw.pop("dss", []),
        status=kw.pop("status", PublicationStatus.PUBLISHED),
        **kw,
    )
    db.session.add(course)
    db.session.flush()
    return course


def gen_exercise(slug: str | None = None, **kw: Any) -> Exercise:
    n = next(_counter)
    exercise = Exercise(
        slug=slug or f"exercise-{n}",
        title=kw.pop("title", f"模擬演習 {n}"),
        title_en=kw.pop("title_en", f"Exercise {n}"),
        sector=kw.pop("sector", "agriculture"),
        region=kw.pop("region", "空知"),
        hours_min=Decimal("2"),
        hours_max=Decimal("4"),
        scenario=kw.pop("scenario", "空知の農業を題材にした演習です。"),
        tasks=kw.pop("tasks", ["課題を整理する", "解決策を提案する"]),
        deliverable=kw.pop("deliverable", "A4で2枚の提案書"),
        rubric=kw.pop(
            "rubric",
            {
                "pass_rule": "all-meets",
                "items": [
                    {
                        "code": "problem",
                        "title": "課題の把握",
                        "criteria": ["データで課題を示している"],
                    },
                    {"code": "proposal", "title": "提案", "criteria": ["実現可能な提案である"]},
                ],
            },
        ),
        **kw,
    )
    db.session.add(exercise)
    db.session.flush()
    return exercise


def gen_achievement(slug: str | None = None, **kw: Any) -> Achievement:
    n = next(_counter)
    achievement = Achievement(
        slug=slug or f"achievement-{n}",
        achievement_type=kw.pop("achievement_type", "LearningProgram"),
        issuance=kw.pop("issuance", "path-completion"),
        name_ja=kw.pop("name_ja", f"テストバッジ {n}"),
        name_en=kw.pop("name_en", f"Test badge {n}"),
        description_ja=kw.pop("description_ja", "テスト用の達成です。"),
        criteria_ja=kw.pop("criteria_ja", "すべての必須ステップを修了すること。"),
        image_filename=kw.pop("image_filename", "t1.svg"),
        image_svg=kw.pop(
            "image_svg",
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">'
            '<title>T1</title><rect width="512" height="512" fill="#0a5"/></svg>',
        ),
        image_alt=kw.pop("image_alt", "T1 バッジ"),
        alignments=kw.pop("alignments", ["tier:T1"]),
        requires=kw.pop("requires", []),
        validity_years=kw.pop("validity_years", None),
        **kw,
    )
    db.session.add(achievement)
    db.session.flush()
    return achievement


def gen_path(
    slug: str | None = None,
    *,
    steps: list[Course | Exercise] | None = None,
    electives: int = 0,
    optional: tuple[int, ...] = (),
    reviewed: tuple[int, ...] = (),
    tier: str | None = "T1",
    level: str | None = None,
    prerequisites: tuple[LearningPath, ...] = (),
    **kw: Any,
) -> LearningPath:
    """A path whose steps are `steps` (default: three new courses).

    `optional` and `reviewed` are step indexes that are electives / trainer-reviewed
    (exercise steps are always trainer-reviewed).
    """
    n = next(_counter)
    steps = steps if steps is not None else [gen_course() for _ in range(3)]
    path = LearningPath(
        slug=slug or f"path-{n}",
        name_ja=kw.pop("name_ja", f"テストパス {n}"),
        name_en=kw.pop("name_en", f"Test path {n}"),
        summary_ja=kw.pop("summary_ja", "テスト用のパスです。"),
        summary_en=kw.pop("summary_en", "A path for tests."),
        tier_code=tier,
        level_code=level,
        achievement_id=kw.pop("achievement", None).id
        if "achievement" in kw
        else gen_achievement().id,
        min_reflection_chars=kw.pop("min_reflection_chars", 20),
        electives_required=electives,
        **kw,
    )
    db.session.add(path)
    db.session.flush()
    for position, target in enumerate(steps):
        is_course = isinstance(target, Course)
        db.session.add(
            PathStep(
                path_id=path.id,
                position=position,
                key=f"{'course' if is_course else 'exercise'}:{target.slug}",
                kind=StepKind.COURSE if is_course else StepKind.EXERCISE,
                course_id=target.id if is_course else None,
                exercise_id=None if is_course else target.id,
                required=position not in optional,
                review=ReviewMode.TRAINER
                if (not is_course or position in reviewed)
                else ReviewMode.SELF,
            )
        )
    for required in prerequisites:
        db.session.add(PathPrerequisite(path_id=path.id, requires_id=required.id))
    db.session.flush()
    return path
