"""Plain factory functions for tests. They flush; the test commits when it needs to."""

from __future__ import annotations

import itertools
from typing import Any

from portal.extensions import db
from portal.models import (
    Email,
    Organisation,
    OrgKind,
    Person,
    Placement,
    Role,
    RoleGrant,
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
