"""Factories for the credential tests. They flush; tests commit when a request must see it.

Generating and decrypting RSA-3072 keys is slow, so one key pair per test session is
generated and encrypted once; `install_key` writes the same PEM bytes into each test's
SIGNING_KEY_DIR (so the app's per-process key cache is hit after the first test).
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import Any

from flask import Flask

import badges
from portal.extensions import db
from portal.models import (
    Achievement,
    AlignmentTarget,
    IssuedCredential,
    KeyStatus,
    LearningPath,
    Person,
    SigningKey,
)
from portal.models.base import utcnow
from portal.public.credentials import active_key, issuance_settings
from portal.services import issuance
from tests.factories import gen_achievement, gen_prefecture

_counter = itertools.count(1)
TEST_KEY_ID = "test-key-1"


@functools.cache
def _private_key(n: int = 0) -> Any:
    return badges.generate_key()


@functools.cache
def _encrypted(n: int, passphrase: str) -> bytes:
    return badges.encrypt_private_key(_private_key(n), passphrase.encode())


def install_key(
    app: Flask, key_id: str = TEST_KEY_ID, *, n: int = 0, status: KeyStatus = KeyStatus.ACTIVE
) -> SigningKey:
    """Write test key `n` to SIGNING_KEY_DIR as `<key_id>.pem` and add its SigningKey row."""
    directory = Path(app.config["SIGNING_KEY_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{key_id}.pem").write_bytes(_encrypted(n, app.config["SIGNING_KEY_PASSPHRASE"]))
    base = app.config["PORTAL_BASE_URL"]
    kid = f"{base}/keys/{key_id}"
    row = SigningKey(
        key_id=key_id,
        kid_url=kid,
        public_jwk=badges.public_jwk(_private_key(n), kid),
        status=status,
        created_at=utcnow(),
        retired_at=utcnow() if status != KeyStatus.ACTIVE else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def private_key(n: int = 0) -> Any:
    return _private_key(n)


def gen_targets() -> None:
    """Alignment targets for tier:T1, level:L1 and a DSS-L item (idempotent)."""
    rows = [
        ("tier:T1", "tier", "人材像", "T1", "生活レベルでのデジタルリテラシー"),
        ("level:L1", "level", "デジタル人材区分", "L1", "デジタル推進リーダー"),
        ("dss-l:why.society", "dss-l", "DXリテラシー標準", "why.society", "社会の変化"),
    ]
    for ref, framework, framework_name, code, name in rows:
        if db.session.query(AlignmentTarget).filter_by(ref=ref).one_or_none() is None:
            db.session.add(
                AlignmentTarget(
                    ref=ref,
                    framework=framework,
                    framework_name_ja=framework_name,
                    framework_name_en=framework,
                    code=code,
                    kind="item",
                    name_ja=name,
                    name_en=name,
                )
            )
    db.session.flush()


def gen_path_badge(slug: str | None = None, **kw: Any) -> Achievement:
    gen_targets()
    return gen_achievement(
        slug or f"badge-{next(_counter)}",
        alignments=kw.pop("alignments", ["tier:T1", "dss-l:why.society"]),
        **kw,
    )


def gen_certification(requires: list[str], slug: str | None = None, **kw: Any) -> Achievement:
    gen_targets()
    return gen_achievement(
        slug or f"cert-{next(_counter)}",
        achievement_type="Certificate",
        issuance="hr-approval",
        name_ja=kw.pop("name_ja", "デジタル推進リーダー（レベル1）認定"),
        alignments=kw.pop("alignments", ["level:L1"]),
        requires=requires,
        validity_years=3,
        **kw,
    )


def issue(
    person: Person,
    achievement: Achievement,
    *,
    evidence_url: str | None = None,
    actor: Person | None = None,
) -> IssuedCredential:
    """Award a path badge through the service (signed with the installed key)."""
    gen_prefecture()
    email = person.primary_email
    assert email is not None
    return issuance.award(
        db.session,
        issuance_settings(),
        active_key(),
        issuance.AwardRow(email, achievement.slug, evidence_url),
        actor=actor,
        now=utcnow(),
    )


def path_of(achievement: Achievement) -> LearningPath | None:
    return db.session.query(LearningPath).filter_by(achievement_id=achievement.id).one_or_none()
