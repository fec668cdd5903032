"""Learning: enrolments, step records with versioned evidence, reviews, completions.

Nothing a learner enters is deleted: edits add a new version, withdrawal is a state,
and a transfer moves the person (and so all of this) as it is.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, str_enum, utcnow
from portal.models.catalogue import LearningPath, PathStep
from portal.models.users import Person


class EnrolmentStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class RecordState(enum.StrEnum):
    DONE = "done"  # self-attested step recorded
    SUBMITTED = "submitted"  # waiting for a trainer
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


class ReviewDecision(enum.StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


class Enrolment(db.Model):  # type: ignore[name-defined,misc]
    """A person following a path. At most one non-withdrawn enrolment per (person, path)."""

    __tablename__ = "enrolments"
    __table_args__ = (
        Index(
            "uq_enrolments_one_open",
            "person_id",
            "path_id",
            unique=True,
            sqlite_where=text("status <> 'withdrawn'"),
            postgresql_where=text("status <> 'withdrawn'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    status: Mapped[EnrolmentStatus] = mapped_column(
        str_enum(EnrolmentStatus), default=EnrolmentStatus.ACTIVE
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(lazy="raise_on_sql")
    path: Mapped[LearningPath] = relationship(lazy="raise_on_sql")
    records: Mapped[list[StepRecord]] = relationship(
        back_populates="enrolment", lazy="raise_on_sql"
    )


class EvidenceFile(db.Model):  # type: ignore[name-defined,misc]
    """An uploaded evidence file (PDF/PNG/JPEG ≤ 5 MB), stored outside the web root."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    #: Path relative to UPLOAD_DIR; never derived from the user's file name.
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    #: The learner chose to link this file from their credential.
    share_in_credential: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StepRecord(db.Model):  # type: ignore[name-defined,misc]
    """The learner's record of one step. At most one per (enrolment, step); edits add versions."""

    __tablename__ = "step_records"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "step_id", name="uq_step_records_enrolment_step"),
        #: The trainers' review queue reads records by state, oldest submission first.
        Index("ix_step_records_state_updated", "state", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("path_steps.id"), index=True)
    state: Mapped[RecordState] = mapped_column(str_enum(RecordState, 30))
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrolment: Mapped[Enrolment] = relationship(back_populates="records", lazy="raise_on_sql")
    step: Mapped[PathStep] = relationship(lazy="raise_on_sql")
    versions: Mapped[list[StepRecordVersion]] = relationship(
        back_populates="record", lazy="raise_on_sql", order_by="StepRecordVersion.version"
    )
    reviews: Mapped[list[Review]] = relationship(
        back_populates="record", lazy="raise_on_sql", order_by="Review.created_at"
    )


class StepRecordVersion(db.Model):  # type: ignore[name-defined,misc]
    """One version of what the learner entered for a step. Never updated after insert."""

    __tablename__ = "step_record_versions"
    __table_args__ = (
        UniqueConstraint("record_id", "version", name="uq_step_record_versions_record_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("step_records.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    completed_on: Mapped[date | None] = mapped_column(Date)
    certificate_url: Mapped[str | None] = mapped_column(String(1000))
    evidence_file_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_files.id"))
    reflection: Mapped[str] = mapped_column(Text, default="")
    #: Exercise deliverable text (exercises only).
    deliverable_text: Mapped[str | None] = mapped_column(Text)
    attested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))

    record: Mapped[StepRecord] = relationship(back_populates="versions", lazy="raise_on_sql")
    evidence_file: Mapped[EvidenceFile | None] = relationship(lazy="raise_on_sql")


class Review(db.Model):  # type: ignore[name-defined,misc]
    """A trainer's decision on a submitted version, with comments per rubric item."""

    __tablename__ = "reviews"
    #: One decision per submitted version: two trainers cannot both decide on it.
    __table_args__ = (UniqueConstraint("record_id", "version", name="uq_reviews_record_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("step_records.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    decision: Mapped[ReviewDecision] = mapped_column(str_enum(ReviewDecision, 30))
    #: {rubric item code: {"level": "meets"|"exceeds"|"revise", "comment": str}}
    item_comments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    record: Mapped[StepRecord] = relationship(back_populates="reviews", lazy="raise_on_sql")
    reviewer: Mapped[Person] = relationship(lazy="raise_on_sql")


class PathCompletion(db.Model):  # type: ignore[name-defined,misc]
    """A path completed. Exactly one per enrolment, written with the credential it issues."""

    __tablename__ = "path_completions"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):  # type: ignore[name-defined,misc]
    """An in-app notice (also mailed where it matters)."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_person_unread", "person_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(40))
    #: Parameters to render the message in the reader's language.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SelfCheckResult(db.Model):  # type: ignore[name-defined,misc]
    """A learner's optional self-check (DSS-L areas) and the starting tier it suggested."""

    __tablename__ = "selfcheck_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    #: {question code: answer 0–3}
    answers: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    #: {"T1": average, …} and {"why": average, …}, kept so the explanation can be shown again.
    scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    suggested_tier: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
