"""Open Badges 3.0 for the Hokkaido digital-talent portal: a pure, deterministic library.

Build OpenBadgeCredentials (VCDM 2.0), sign them as VC-JWT (RS256, RSA-3072), bake them into
PNG/SVG, publish revocation lists, and verify credentials (ours and other issuers') with a
per-step report.  No Flask, no database, no environment reads, no hidden clock or
randomness: keys, ``now``, ids and salts are arguments.  See ``badges/README.md``.
"""

from __future__ import annotations

from badges.bake import (
    BakedCredential,
    bake_png,
    bake_svg,
    extract_any,
    extract_png,
    extract_svg,
)
from badges.build import (
    PREVIOUS_CREDENTIAL_GENRE,
    build_credential,
    credential_json,
    jwt_claims,
    sign_credential,
)
from badges.errors import (
    BadgeBuildError,
    BadgeError,
    BadgeImageError,
    BadgeInputError,
    BadgeKeyError,
    BadgeStatusError,
    BadgeTrustError,
)
from badges.keys import (
    SigningKey,
    encrypt_private_key,
    generate_key,
    jwk_thumbprint,
    jwks,
    kid_url,
    load_private_key,
    public_jwk,
)
from badges.messages import MESSAGES, message
from badges.model import (
    AchievementSpec,
    Alignment,
    BitstringStatus,
    EvidenceItem,
    IssuerProfile,
    Recipient,
    RevocationListStatus,
    hash_identifier,
    normalise_email,
    urn_uuid,
)
from badges.schema import validate as validate_schema
from badges.status import (
    BitstringStatusList,
    StatusDocuments,
    StatusResolver,
    build_revocation_list,
    build_status_list_credential,
    revoked_ids,
)
from badges.trust import TrustedKey, TrustStore
from badges.verify import (
    Check,
    ReadInput,
    VerificationResult,
    read_input,
    verify_credential,
    verify_status_list_credential,
)

__all__ = [
    "MESSAGES",
    "PREVIOUS_CREDENTIAL_GENRE",
    "AchievementSpec",
    "Alignment",
    "BadgeBuildError",
    "BadgeError",
    "BadgeImageError",
    "BadgeInputError",
    "BadgeKeyError",
    "BadgeStatusError",
    "BadgeTrustError",
    "BakedCredential",
    "BitstringStatus",
    "BitstringStatusList",
    "Check",
    "EvidenceItem",
    "IssuerProfile",
    "ReadInput",
    "Recipient",
    "RevocationListStatus",
    "SigningKey",
    "StatusDocuments",
    "StatusResolver",
    "TrustStore",
    "TrustedKey",
    "VerificationResult",
    "bake_png",
    "bake_svg",
    "build_credential",
    "build_revocation_list",
    "build_status_list_credential",
    "credential_json",
    "encrypt_private_key",
    "extract_any",
    "extract_png",
    "extract_svg",
    "generate_key",
    "hash_identifier",
    "jwk_thumbprint",
    "jwks",
    "jwt_claims",
    "kid_url",
    "load_private_key",
    "message",
    "normalise_email",
    "public_jwk",
    "read_input",
    "revoked_ids",
    "sign_credential",
    "urn_uuid",
    "validate_schema",
    "verify_credential",
    "verify_status_list_credential",
]
