"""The live catalogue: courses, exercises, paths, steps, achievements and alignment targets.

`flask curricula sync` upserts these rows from the reviewed `curricula/` package by
stable slug; trainers then curate on the web (draft → review → published). Rows are
never deleted: a retired course is marked retired so that progress keeps pointing at it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, str_enum, utcnow

if TYPE_CHECKING:
    from portal.models.users import Person


class PublicationStatus(enum.StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"
    RETIRED = "retired"


class StepKind(enum.StrEnum):
    COURSE = "course"
    EXERCISE = "exercise"


class ReviewMode(enum.StrEnum):
    SELF = "self"  # self-attested
    TRAINER = "trainer"  # reviewed by a trainer


class CourseOrigin(enum.StrEnum):
    DATA = "data"  # came from the reviewed curricula/ data files (`flask curricula sync`)
    WEB = "web"  # added by a trainer on the web and not (yet) in the data files


class ChangeStatus(enum.StrEnum):
    """Where a catalogue change stands: draft → review → published (or rejected / withdrawn)."""

    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class AlignmentFramework(db.Model):  # type: ignore[name-defined,misc]
    """A scheme of alignment targets: the portal's tiers and levels, or DSS-L / DSS-P.

    Kept so that `flask curricula export` can write the frameworks back unchanged.
    """

    __tablename__ = "alignment_frameworks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    #: ``scheme`` (tier, level: pages hosted by the portal) or ``external`` (DSS-L, DSS-P).
    kind: Mapped[str] = mapped_column(String(20))
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    publisher: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(500))
    document_url: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)


class AlignmentTarget(db.Model):  # type: ignore[name-defined,misc]
    """A tier, staff level or framework item (DSS-L, DSS-P) that things align to.

    `ref` is the curricula reference, e.g. ``tier:T1``, ``level:L1``, ``dss-l:why.society``.
    """

    __tablename__ = "alignment_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(120), unique=True)
    framework: Mapped[str] = mapped_column(String(40), index=True)
    framework_name_ja: Mapped[str] = mapped_column(String(200))
    framework_name_en: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    name_ja: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    description_ja: Mapped[str | None] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(String(80))
    url: Mapped[str | None] = mapped_column(String(500))
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Extra curricula fields kept for round-trip export (short names, notes).
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))


class Course(db.Model):  # type: ignore[name-defined,misc]
    """An external free course or material. We link to it; we never host it."""

    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("hours_min > 0 AND hours_max >= hours_min", name="hours_range"),
        Index("ix_courses_status_title", "status", "title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    provider: Mapped[str] = mapped_column(String(200), index=True)
    url: Mapped[str] = mapped_column(String(1000))
    #: `curricula.normalise_url(url)`, for duplicate detection.
    url_normalised: Mapped[str] = mapped_column(String(1000), index=True)
    url_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(10))
    hours_min: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    hours_max: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    hours_text: Mapped[str | None] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(30))
    #: free / paid / none / unknown (see curricula.model.CERTIFICATES).
    certificate: Mapped[str] = mapped_column(String(10), default="unknown")
    description: Mapped[str] = mapped_column(Text)
    caution: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    verification: Mapped[str | None] = mapped_column(String(300))
    #: Tier codes, level codes and DSS refs, as lists (also mirrored as alignments).
    tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    dss: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Extra curricula fields kept for round-trip export.
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Normalised text (NFKC, katakana→hiragana, lower) for Japanese search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PublicationStatus] = mapped_column(
        str_enum(PublicationStatus), default=PublicationStatus.DRAFT
    )
    #: Where the course came from; sync only retires courses that came from the data files.
    origin: Mapped[CourseOrigin] = mapped_column(
        str_enum(CourseOrigin, 10), default=CourseOrigin.WEB, server_default=CourseOrigin.WEB.value
    )
    #: Order in the catalogue (the data files' order; web additions go to the end).
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    #: Link checker results.
    link_status: Mapped[int | None] = mapped_column(Integer)
    link_ok: Mapped[bool | None] = mapped_column(Boolean)
    link_error: Mapped[str | None] = mapped_column(String(300))
    link_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    @property
    def is_published(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED

    @property
    def is_dead_link(self) -> bool:
        return self.link_ok is False

    @property
    def is_retired(self) -> bool:
        return self.status == PublicationStatus.RETIRED


class CourseAlignment(db.Model):  # type: ignore[name-defined,misc]
    """A course aligned to a tier, level or DSS item (mirrors Course.tiers/levels/dss for filtering)."""

    __tablename__ = "course_alignments"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("alignment_targets.id"), primary_key=True, index=True
    )


class Exercise(db.Model):  # type: ignore[name-defined,misc]
    """A regional 模擬演習 with a deliverable and a review rubric."""

    __tablename__ = "exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    sector: Mapped[str] = mapped_column(String(30))
    region: Mapped[str] = mapped_column(String(100))
    hours_min: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    hours_max: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    scenario: Mapped[str] = mapped_column(Text)
    tasks: Mapped[list[str]] = mapped_column(JSON, default=list)
    deliverable: Mapped[str] = mapped_column(Text)
    #: {"pass_rule": str, "items": [{"code", "title", "criteria": [str]}]}
    rubric: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    dss: Mapped[list[str]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[PublicationStatus] = mapped_column(
        str_enum(PublicationStatus), default=PublicationStatus.PUBLISHED
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Achievement(db.Model):  # type: ignore[name-defined,misc]
    """A badge-ready achievement: a path badge (LearningProgram) or a level certification."""

    __tablename__ = "achievements"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    #: OB 3.0 achievementType: LearningProgram or Certificate.
    achievement_type: Mapped[str] = mapped_column(String(40))
    #: path-completion (issued by 北海道) or hr-approval (issued by the person's organisation).
    issuance: Mapped[str] = mapped_column(String(30))
    name_ja: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    description_ja: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    criteria_ja: Mapped[str] = mapped_column(Text)
    criteria_en: Mapped[str | None] = mapped_column(Text)
    #: SVG file name under curricula/data/images/ and its markup
    #: (served at /images/achievements/<slug>.svg, endpoint public.achievement_image).
    image_filename: Mapped[str] = mapped_column(String(200))
    image_svg: Mapped[str] = mapped_column(Text)
    image_alt: Mapped[str] = mapped_column(String(300))
    #: Alignment refs (tier:T1, level:L1, dss-l:…).
    alignments: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Slugs of achievements the holder must already hold (L1 certification needs the L1 path badge).
    requires: Mapped[list[str]] = mapped_column(JSON, default=list)
    validity_years: Mapped[int | None] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LearningPath(db.Model):  # type: ignore[name-defined,misc]
    """Ordered steps towards one achievement, for a tier (T1–T4) or a staff level (L1, L2)."""

    __tablename__ = "learning_paths"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name_ja: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    summary_ja: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    tier_code: Mapped[str | None] = mapped_column(String(10))
    level_code: Mapped[str | None] = mapped_column(String(10))
    achievement_id: Mapped[int] = mapped_column(ForeignKey("achievements.id"))
    min_reflection_chars: Mapped[int] = mapped_column(Integer, default=50)
    electives_required: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[PublicationStatus] = mapped_column(
        str_enum(PublicationStatus), default=PublicationStatus.PUBLISHED
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    achievement: Mapped[Achievement] = relationship(lazy="raise_on_sql")
    steps: Mapped[list[PathStep]] = relationship(
        back_populates="path", lazy="raise_on_sql", order_by="PathStep.position"
    )

    @property
    def code(self) -> str:
        return self.tier_code or self.level_code or ""


class PathPrerequisite(db.Model):  # type: ignore[name-defined,misc]
    """`path` builds on `requires` (L1 on T1 and T2; L2 on T3 and T4)."""

    __tablename__ = "path_prerequisites"
    __table_args__ = (CheckConstraint("path_id <> requires_id", name="not_self"),)

    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), primary_key=True)
    requires_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), primary_key=True)


class PathStep(db.Model):  # type: ignore[name-defined,misc]
    """One step of a path: a course or an exercise, required or elective.

    `key` (``course:<slug>`` / ``exercise:<slug>``) identifies the step for progress
    records and survives reordering. Removed steps are deactivated, never deleted.
    """

    __tablename__ = "path_steps"
    __table_args__ = (
        UniqueConstraint("path_id", "key", name="uq_path_steps_path_key"),
        CheckConstraint(
            "(kind = 'course' AND course_id IS NOT NULL AND exercise_id IS NULL) OR "
            "(kind = 'exercise' AND exercise_id IS NOT NULL AND course_id IS NULL)",
            name="one_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(140))
    kind: Mapped[StepKind] = mapped_column(str_enum(StepKind))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"), index=True)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    review: Mapped[ReviewMode] = mapped_column(str_enum(ReviewMode), default=ReviewMode.SELF)
    note: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    path: Mapped[LearningPath] = relationship(back_populates="steps", lazy="raise_on_sql")
    course: Mapped[Course | None] = relationship(lazy="raise_on_sql")
    exercise: Mapped[Exercise | None] = relationship(lazy="raise_on_sql")


class FeaturedCourse(db.Model):  # type: ignore[name-defined,misc]
    """The monthly featured course (the prefecture publishes one piece of content a month)."""

    __tablename__ = "featured_courses"
    __table_args__ = (UniqueConstraint("month", name="uq_featured_courses_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: First day of the month it is featured in.
    month: Mapped[date] = mapped_column(Date)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    comment_ja: Mapped[str | None] = mapped_column(Text)
    comment_en: Mapped[str | None] = mapped_column(Text)
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(lazy="raise_on_sql")


class CatalogueChange(db.Model):  # type: ignore[name-defined,misc]
    """One change to the catalogue, with who, when, before and after (the change history).

    Trainers' proposals move draft → review → published (approved by an editor) or
    rejected; `flask curricula sync` and direct actions (URL checked, featured course)
    are recorded as already published. `before`/`after` are JSON snapshots of the
    fields concerned (None for a creation / retirement respectively).
    """

    __tablename__ = "catalogue_changes"
    __table_args__ = (
        Index("ix_catalogue_changes_status_created", "status", "created_at"),
        CheckConstraint(
            "(subject_type = 'course' AND course_id IS NOT NULL) OR "
            "(subject_type = 'path' AND path_id IS NOT NULL) OR "
            "(subject_type NOT IN ('course', 'path'))",
            name="subject_ref",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: course.create, course.update, course.verify, course.sync, path.update, path.sync, featured.set
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[ChangeStatus] = mapped_column(
        str_enum(ChangeStatus), default=ChangeStatus.DRAFT, index=True
    )
    #: course, path or featured.
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_slug: Mapped[str] = mapped_column(String(120))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    path_id: Mapped[int | None] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The proposer's reason for the change.
    comment: Mapped[str | None] = mapped_column(Text)
    #: web (a person) or sync (`flask curricula sync`).
    source: Mapped[str] = mapped_column(String(10), default="web")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    course: Mapped[Course | None] = relationship(lazy="raise_on_sql")
    path: Mapped[LearningPath | None] = relationship(lazy="raise_on_sql")
    proposed_by: Mapped[Person | None] = relationship(
        foreign_keys=[proposed_by_id], lazy="raise_on_sql"
    )
    decided_by: Mapped[Person | None] = relationship(
        foreign_keys=[decided_by_id], lazy="raise_on_sql"
    )

    @property
    def is_open(self) -> bool:
        return self.status in (ChangeStatus.DRAFT, ChangeStatus.REVIEW)
