"""Factories and sample files for the learning tests. They flush; tests commit when needed."""

from __future__ import annotations

import io
import itertools
from datetime import date

from PIL import Image

from portal.extensions import db
from portal.models import (
    Achievement,
    CredentialStatus,
    Enrolment,
    EnrolmentStatus,
    IssuedCredential,
    LearningPath,
    PathStep,
    Person,
    RecordState,
    SigningKey,
    StepRecord,
    StepRecordVersion,
)
from portal.models.base import new_uuid, utcnow
from tests.factories import gen_prefecture

_counter = itertools.count(1)

REFLECTION = "仕事で使うデータの読み方を学び、課の資料づくりに生かしたいと考えました。"


def gen_enrolment(
    person: Person, path: LearningPath, status: EnrolmentStatus = EnrolmentStatus.ACTIVE
) -> Enrolment:
    now = utcnow()
    enrolment = Enrolment(
        person_id=person.id,
        path_id=path.id,
        status=status,
        enrolled_at=now,
        last_activity_at=now,
        withdrawn_at=now if status == EnrolmentStatus.WITHDRAWN else None,
        completed_at=now if status == EnrolmentStatus.COMPLETED else None,
    )
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def gen_record(
    enrolment: Enrolment,
    step: PathStep,
    state: RecordState = RecordState.DONE,
    *,
    reflection: str = REFLECTION,
    deliverable_text: str | None = None,
) -> StepRecord:
    now = utcnow()
    record = StepRecord(
        enrolment_id=enrolment.id,
        step_id=step.id,
        state=state,
        current_version=1,
        created_at=now,
        updated_at=now,
    )
    db.session.add(record)
    db.session.flush()
    db.session.add(
        StepRecordVersion(
            record_id=record.id,
            version=1,
            completed_on=date.today() if deliverable_text is None else None,
            reflection=reflection,
            deliverable_text=deliverable_text,
            attested=True,
            created_at=now,
            created_by_id=enrolment.person_id,
        )
    )
    db.session.flush()
    return record


def path_steps(path: LearningPath) -> list[PathStep]:
    """The path's steps in order (queried: the relationship is raise_on_sql)."""
    return list(
        db.session.query(PathStep).filter_by(path_id=path.id).order_by(PathStep.position).all()
    )


def gen_credential(person: Person, achievement: Achievement) -> IssuedCredential:
    """A stored credential row (not really signed) for pages that list badges."""
    n = next(_counter)
    key = db.session.query(SigningKey).first()
    if key is None:
        key = SigningKey(
            key_id=f"test-key-{n}",
            kid_url=f"https://portal.test/keys/test-key-{n}",
            public_jwk={"kty": "RSA"},
        )
        db.session.add(key)
        db.session.flush()
    credential = IssuedCredential(
        uuid=new_uuid(),
        person_id=person.id,
        achievement_id=achievement.id,
        issuer_org_id=gen_prefecture().id,
        signing_key_id=key.id,
        status_list_index=1000 + n,
        jws="x.y.z",
        credential={},
        status=CredentialStatus.ACTIVE,
        issued_at=utcnow(),
    )
    db.session.add(credential)
    db.session.flush()
    return credential


# Sample files -------------------------------------------------------------------------


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 10)).save(buffer, "JPEG")
    return buffer.getvalue()


def pdf_bytes(extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        + extra
        + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
