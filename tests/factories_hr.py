"""Factories for the HR tests: a small catalogue, credentials, enrolments and designations.

Credentials and enrolments belong to the issuance and learning areas; the HR tests only
read them, so they are inserted here as plain rows (never signed).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from portal.extensions import db
from portal.models import (
    Achievement,
    CredentialStatus,
    Enrolment,
    EnrolmentStatus,
    IssuedCredential,
    KeyStatus,
    LeaderDesignation,
    LearningPath,
    Organisation,
    Person,
    SigningKey,
    Unit,
)
from portal.models.base import new_uuid, utcnow
from tests.factories import gen_achievement, gen_path, gen_prefecture

_index = itertools.count(1)


@dataclass
class Catalogue:
    """Achievements (and paths) by code: T1–T4 and L1/L2 path badges, C1/C2 certifications."""

    achievements: dict[str, Achievement]
    paths: dict[str, LearningPath]

    def __getitem__(self, code: str) -> Achievement:
        return self.achievements[code]


def gen_catalogue() -> Catalogue:
    """The shape of the real catalogue: badge-t1..t4, badge-l1/l2 (with paths), cert-l1/l2."""
    existing = db.session.query(Achievement).filter_by(slug="badge-t1").one_or_none()
    if existing is not None:
        achievements = {
            code: db.session.query(Achievement).filter_by(slug=slug).one()
            for code, slug in _SLUGS.items()
        }
        paths = {
            code: db.session.query(LearningPath).filter_by(achievement_id=a.id).one()
            for code, a in achievements.items()
            if code[0] in "TL"
        }
        return Catalogue(achievements, paths)
    achievements: dict[str, Achievement] = {}
    paths: dict[str, LearningPath] = {}
    for tier in ("T1", "T2", "T3", "T4"):
        a = gen_achievement(
            f"badge-{tier.lower()}",
            name_ja=f"{tier} 修了バッジ",
            name_en=f"{tier} badge",
            alignments=[f"tier:{tier}", "dss-l:how.use"],
        )
        achievements[tier] = a
        paths[tier] = gen_path(
            f"path-{tier.lower()}", achievement=a, tier=tier, name_ja=f"{tier} のパス"
        )
    for level, tiers in (("L1", ("T1", "T2")), ("L2", ("T3", "T4"))):
        a = gen_achievement(
            f"badge-{level.lower()}",
            name_ja=f"{level} 研修修了バッジ",
            name_en=f"{level} path badge",
            alignments=[f"level:{level}", *(f"tier:{t}" for t in tiers)],
        )
        achievements[level] = a
        paths[level] = gen_path(
            f"path-{level.lower()}",
            achievement=a,
            tier=None,
            level=level,
            name_ja=f"{level} のパス",
        )
    for level in ("L1", "L2"):
        achievements["C" + level[1]] = gen_achievement(
            f"cert-{level.lower()}",
            achievement_type="Certificate",
            issuance="hr-approval",
            name_ja=f"デジタル人材 {level} 認定",
            name_en=f"Digital talent {level} certification",
            alignments=[f"level:{level}"],
            validity_years=3,
        )
    return Catalogue(achievements, paths)


_SLUGS = {
    "T1": "badge-t1",
    "T2": "badge-t2",
    "T3": "badge-t3",
    "T4": "badge-t4",
    "L1": "badge-l1",
    "L2": "badge-l2",
    "C1": "cert-l1",
    "C2": "cert-l2",
}


def gen_signing_key() -> SigningKey:
    key = db.session.query(SigningKey).filter_by(key_id="test-hr").one_or_none()
    if key is None:
        key = SigningKey(
            key_id="test-hr",
            kid_url="https://portal.test/keys/test-hr",
            public_jwk={"kty": "RSA", "kid": "test-hr"},
            status=KeyStatus.RETIRED,
        )
        db.session.add(key)
        db.session.flush()
    return key


def gen_credential(
    person: Person,
    achievement: Achievement,
    *,
    issued_at: datetime | None = None,
    valid_until: datetime | None = None,
    status: CredentialStatus = CredentialStatus.ACTIVE,
    issuer: Organisation | None = None,
    **kw: Any,
) -> IssuedCredential:
    credential = IssuedCredential(
        uuid=new_uuid(),
        person_id=person.id,
        achievement_id=achievement.id,
        issuer_org_id=(issuer or gen_prefecture()).id,
        signing_key_id=gen_signing_key().id,
        status_list_index=next(_index),
        jws="test:unsigned",
        credential={"test": True},
        status=status,
        issued_at=issued_at or utcnow(),
        valid_until=valid_until,
        **kw,
    )
    db.session.add(credential)
    db.session.flush()
    return credential


def gen_enrolment(
    person: Person,
    path: LearningPath,
    *,
    status: EnrolmentStatus = EnrolmentStatus.ACTIVE,
    last_activity_at: datetime | None = None,
) -> Enrolment:
    enrolment = Enrolment(
        person_id=person.id,
        path_id=path.id,
        status=status,
        last_activity_at=last_activity_at,
        completed_at=utcnow() if status == EnrolmentStatus.COMPLETED else None,
    )
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def gen_designation(
    section: Unit,
    person: Person,
    *,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
) -> LeaderDesignation:
    designation = LeaderDesignation(
        section_id=section.id,
        person_id=person.id,
        started_at=started_at or utcnow() - timedelta(days=30),
        ended_at=ended_at,
    )
    db.session.add(designation)
    db.session.flush()
    return designation


def gen_staff(org: Organisation, section: Unit | None, count: int, prefix: str = "B") -> list[int]:
    """`count` people in one bulk insert (for size tests); returns their ids."""
    now = utcnow()
    rows = [
        {
            "uuid": new_uuid(),
            "organisation_id": org.id,
            "section_id": section.id if section else None,
            "staff_number": f"{prefix}{n:06d}",
            "name": f"一括 {n}",
            "name_kana": f"いっかつ {n}",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    db.session.execute(insert(Person), rows)
    return [
        pid
        for (pid,) in db.session.query(Person.id)
        .filter(Person.organisation_id == org.id, Person.staff_number.like(f"{prefix}%"))
        .order_by(Person.id)
    ]


def gen_bulk_credentials(person_ids: list[int], achievement: Achievement) -> None:
    now = utcnow()
    key = gen_signing_key()
    issuer = gen_prefecture()
    db.session.execute(
        insert(IssuedCredential),
        [
            {
                "uuid": new_uuid(),
                "person_id": pid,
                "achievement_id": achievement.id,
                "issuer_org_id": issuer.id,
                "signing_key_id": key.id,
                "status_list_index": next(_index),
                "jws": "test:unsigned",
                "credential": {"test": True},
                "status": CredentialStatus.ACTIVE,
                "issued_at": now,
            }
            for pid in person_ids
        ],
    )
