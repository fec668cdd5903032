"""All models, imported here so that the mappers and tables are registered.

One module per aggregate. Add new modules to the import list below.
"""

from portal.models.audit import AuditEvent
from portal.models.catalogue import (
    Achievement,
    AlignmentTarget,
    Course,
    Exercise,
    FeaturedCourse,
    LearningPath,
    PathPrerequisite,
    PathStep,
    PublicationStatus,
    ReviewMode,
    StepKind,
)
from portal.models.credentials import (
    CredentialEvent,
    CredentialStatus,
    IssuedCredential,
    KeyStatus,
    SigningKey,
    StatusListCounter,
    Visibility,
)
from portal.models.hr import Award, LeaderDesignation
from portal.models.learning import (
    Enrolment,
    EnrolmentStatus,
    EvidenceFile,
    Notification,
    PathCompletion,
    RecordState,
    Review,
    ReviewDecision,
    StepRecord,
    StepRecordVersion,
)
from portal.models.orgs import Organisation, OrgKind, Subprefecture, Unit, UnitKind
from portal.models.users import Email, Person, Placement, Role, RoleGrant

__all__ = [
    "Achievement",
    "AlignmentTarget",
    "AuditEvent",
    "Award",
    "Course",
    "CredentialEvent",
    "CredentialStatus",
    "Email",
    "Enrolment",
    "EnrolmentStatus",
    "EvidenceFile",
    "Exercise",
    "FeaturedCourse",
    "IssuedCredential",
    "KeyStatus",
    "LeaderDesignation",
    "LearningPath",
    "Notification",
    "OrgKind",
    "Organisation",
    "PathCompletion",
    "PathPrerequisite",
    "PathStep",
    "Person",
    "Placement",
    "PublicationStatus",
    "RecordState",
    "Review",
    "ReviewDecision",
    "ReviewMode",
    "Role",
    "RoleGrant",
    "SigningKey",
    "StatusListCounter",
    "StepKind",
    "StepRecord",
    "StepRecordVersion",
    "Subprefecture",
    "Unit",
    "UnitKind",
    "Visibility",
]
