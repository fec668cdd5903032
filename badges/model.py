"""Frozen input models for building credentials (no I/O, no clock, no randomness)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass

from badges.errors import BadgeBuildError

__all__ = [
    "VCDM2_CONTEXT",
    "OB3_CONTEXT",
    "OB3_SCHEMA_URL",
    "AchievementSpec",
    "Alignment",
    "BitstringStatus",
    "EvidenceItem",
    "IssuerProfile",
    "Recipient",
    "RevocationListStatus",
    "hash_identifier",
    "urn_uuid",
]

VCDM2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VCDM11_CONTEXT = "https://www.w3.org/2018/credentials/v1"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB3_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
SCHEMA_VALIDATOR_TYPE = "1EdTechJsonSchemaValidator2019"

_URN_UUID = re.compile(
    r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII
)
_EXT = re.compile(r"ext:[A-Za-z0-9._-]+", re.ASCII)
_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)

#: achievementType values of the OB 3.0 enumeration (``ext:...`` is also accepted).
ACHIEVEMENT_TYPES = frozenset(
    [
        "Achievement",
        "ApprenticeshipCertificate",
        "Assessment",
        "Assignment",
        "AssociateDegree",
        "Award",
        "Badge",
        "BachelorDegree",
        "Certificate",
        "CertificateOfCompletion",
        "Certification",
        "CommunityService",
        "Competency",
        "Course",
        "CoCurricular",
        "Degree",
        "Diploma",
        "DoctoralDegree",
        "Fieldwork",
        "GeneralEducationDevelopment",
        "JourneymanCertificate",
        "LearningProgram",
        "License",
        "Membership",
        "ProfessionalDoctorate",
        "QualityAssuranceCredential",
        "MasterCertificate",
        "MasterDegree",
        "MicroCredential",
        "ResearchDoctorate",
        "SecondarySchoolDiploma",
    ]
)


def urn_uuid(value: uuid.UUID | str) -> str:
    """Canonical ``urn:uuid:`` form of a UUID (given as UUID, bare string or urn).

    :raises BadgeBuildError: ``build.bad_uuid``.
    """
    if isinstance(value, uuid.UUID):
        return value.urn
    text = value[9:] if value.lower().startswith("urn:uuid:") else value
    try:
        return uuid.UUID(text).urn
    except ValueError as exc:
        raise BadgeBuildError("build.bad_uuid", {"value": value[:80]}) from exc


def require_urn_uuid(value: str, field: str) -> str:
    if not _URN_UUID.fullmatch(value):
        raise BadgeBuildError("build.bad_uuid", {"value": value[:80], "field": field})
    return value


def require_https(value: str | None, field: str) -> None:
    if value is None:
        return
    if not value.startswith("https://") or len(value) < 9 or any(c.isspace() for c in value):
        raise BadgeBuildError("build.not_https", {"field": field, "value": value[:200]})


def require_text(value: str, field: str) -> None:
    if not value or not value.strip():
        raise BadgeBuildError("build.empty", {"field": field})


def normalise_email(email: str) -> str:
    """The form of an e-mail address that is hashed: NFC, stripped, lower-cased."""
    return unicodedata.normalize("NFC", email).strip().lower()


def hash_identifier(identifier: str, salt: str) -> str:
    """OB IdentityHash ``sha256$<hex>`` of ``identifier + salt`` (both UTF-8).

    Pass e-mail addresses through :func:`normalise_email` first (``Recipient.from_email``
    does).  ``salt`` must come from the caller (e.g. ``secrets.token_hex(16)`` in the portal,
    stored with the credential) so that the hash is reproducible.
    """
    digest = hashlib.sha256((identifier + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


@dataclass(frozen=True)
class IssuerProfile:
    """An issuer Profile: https ``id`` (the hosted Profile JSON), name, homepage ``url``.

    ``parent`` is the parent organisation (``parentOrg``), e.g. 北海道 for a municipality.
    """

    id: str
    name: str
    url: str
    description: str | None = None
    email: str | None = None
    image: str | None = None
    parent: IssuerProfile | None = None

    def __post_init__(self) -> None:
        require_https(self.id, "issuer.id")
        require_https(self.url, "issuer.url")
        require_https(self.image, "issuer.image")
        require_text(self.name, "issuer.name")


@dataclass(frozen=True)
class Alignment:
    """Alignment to a framework node (tier, staff level, DSS item ...).

    ``target_type`` must be ``ext:<Name>`` (or an OB enumeration value) and
    ``target_framework`` names the framework, e.g. "デジタルスキル標準 (DSS)".
    """

    target_name: str
    target_url: str
    target_type: str
    target_framework: str
    target_code: str | None = None
    target_description: str | None = None

    def __post_init__(self) -> None:
        require_text(self.target_name, "alignment.targetName")
        require_text(self.target_framework, "alignment.targetFramework")
        require_https(self.target_url, "alignment.targetUrl")
        allowed = {
            "ceasn:Competency",
            "ceterms:Credential",
            "CFItem",
            "CFRubric",
            "CFRubricCriterion",
            "CFRubricCriterionLevel",
            "CTDL",
        }
        if self.target_type not in allowed and not _EXT.fullmatch(self.target_type):
            raise BadgeBuildError(
                "build.bad_enum", {"field": "alignment.targetType", "value": self.target_type}
            )


@dataclass(frozen=True)
class AchievementSpec:
    """The achievement (badge class) a credential awards; ``id`` is its published https URL."""

    id: str
    name: str
    description: str
    criteria_narrative: str
    image: str
    achievement_type: str = "CertificateOfCompletion"
    criteria_url: str | None = None
    image_caption: str | None = None
    alignments: tuple[Alignment, ...] = ()
    in_language: str = "ja"
    human_code: str | None = None
    version: str | None = None
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_https(self.id, "achievement.id")
        require_https(self.image, "achievement.image")
        require_https(self.criteria_url, "achievement.criteria.id")
        require_text(self.name, "achievement.name")
        require_text(self.description, "achievement.description")
        require_text(self.criteria_narrative, "achievement.criteria.narrative")
        if self.achievement_type not in ACHIEVEMENT_TYPES and not _EXT.fullmatch(
            self.achievement_type
        ):
            raise BadgeBuildError(
                "build.bad_enum",
                {"field": "achievement.achievementType", "value": self.achievement_type},
            )
        if not isinstance(self.alignments, tuple) or not isinstance(self.tags, tuple):
            raise BadgeBuildError("build.not_tuple", {"field": "achievement"})


@dataclass(frozen=True)
class EvidenceItem:
    """One ``evidence[]`` entry; at least one member must be set.  ``id`` is a URL or URN."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    narrative: str | None = None
    genre: str | None = None
    audience: str | None = None

    def __post_init__(self) -> None:
        if not any((self.id, self.name, self.description, self.narrative)):
            raise BadgeBuildError("build.empty", {"field": "evidence"})


@dataclass(frozen=True)
class Recipient:
    """The learner: stable ``subject_id`` (``urn:uuid:``) plus a salted e-mail hash."""

    subject_id: str
    identity_hash: str
    salt: str

    def __post_init__(self) -> None:
        require_urn_uuid(self.subject_id, "credentialSubject.id")
        algo, _, digest = self.identity_hash.partition("$")
        if algo != "sha256" or not _HEX64.fullmatch(digest):
            raise BadgeBuildError("build.bad_identity_hash")
        require_text(self.salt, "identifier.salt")

    @classmethod
    def from_email(cls, subject_id: uuid.UUID | str, email: str, salt: str) -> Recipient:
        """Hash ``email`` (normalised) with ``salt`` and pair it with the learner id."""
        require_text(email, "email")
        require_text(salt, "salt")
        return cls(
            subject_id=urn_uuid(subject_id),
            identity_hash=hash_identifier(normalise_email(email), salt),
            salt=salt,
        )

    def matches_email(self, email: str) -> bool:
        """True if ``email`` hashes to this recipient's identity hash."""
        return hash_identifier(normalise_email(email), self.salt) == self.identity_hash


@dataclass(frozen=True)
class RevocationListStatus:
    """``credentialStatus`` pointing at a 1EdTech Revocation List (what we emit by default)."""

    url: str

    def __post_init__(self) -> None:
        require_https(self.url, "credentialStatus.id")


@dataclass(frozen=True)
class BitstringStatus:
    """``credentialStatus`` as a BitstringStatusListEntry (supported; not our default)."""

    list_url: str
    index: int
    purpose: str = "revocation"

    def __post_init__(self) -> None:
        require_https(self.list_url, "statusListCredential")
        if self.index < 0:
            raise BadgeBuildError("build.bad_index", {"index": self.index})
        if self.purpose not in ("revocation", "suspension"):
            raise BadgeBuildError(
                "build.bad_enum", {"field": "statusPurpose", "value": self.purpose}
            )
