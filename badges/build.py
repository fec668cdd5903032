"""Build OB 3.0 credentials (VCDM 2.0) and sign them as VC-JWT (RS256)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from badges._time import format_z, parse_datetime_z, to_numeric_date, utc_seconds
from badges.errors import BadgeBuildError
from badges.jose import b64url_encode, dumps_compact
from badges.keys import SigningKey
from badges.model import (
    OB3_CONTEXT,
    OB3_SCHEMA_URL,
    SCHEMA_VALIDATOR_TYPE,
    VCDM2_CONTEXT,
    AchievementSpec,
    BitstringStatus,
    EvidenceItem,
    IssuerProfile,
    Recipient,
    RevocationListStatus,
    require_https,
    urn_uuid,
)

__all__ = [
    "PREVIOUS_CREDENTIAL_GENRE",
    "build_credential",
    "credential_json",
    "jwt_claims",
    "sign_credential",
]

#: ``evidence[].genre`` marking the credential that a renewal replaces (see README).
PREVIOUS_CREDENTIAL_GENRE = "PreviousCredential"

CredentialStatusSpec = RevocationListStatus | BitstringStatus


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop None values and empty strings/lists/dicts (OB: omit nulls and empties)."""
    return {k: v for k, v in obj.items() if v is not None and v != "" and v != [] and v != {}}


def _profile(profile: IssuerProfile) -> dict[str, Any]:
    return _compact(
        {
            "id": profile.id,
            "type": ["Profile"],
            "name": profile.name,
            "url": profile.url,
            "description": profile.description,
            "email": profile.email,
            "image": {"id": profile.image, "type": "Image"} if profile.image else None,
            "parentOrg": _profile(profile.parent) if profile.parent else None,
        }
    )


def _achievement(spec: AchievementSpec) -> dict[str, Any]:
    alignments = [
        _compact(
            {
                "type": ["Alignment"],
                "targetName": a.target_name,
                "targetUrl": a.target_url,
                "targetDescription": a.target_description,
                "targetCode": a.target_code,
                "targetFramework": a.target_framework,
                "targetType": a.target_type,
            }
        )
        for a in spec.alignments
    ]
    return _compact(
        {
            "id": spec.id,
            "type": ["Achievement"],
            "achievementType": spec.achievement_type,
            "name": spec.name,
            "description": spec.description,
            "criteria": _compact({"id": spec.criteria_url, "narrative": spec.criteria_narrative}),
            "image": _compact({"id": spec.image, "type": "Image", "caption": spec.image_caption}),
            "humanCode": spec.human_code,
            "version": spec.version,
            "inLanguage": spec.in_language,
            "tag": list(spec.tags),
            "alignment": alignments,
        }
    )


def _evidence(item: EvidenceItem) -> dict[str, Any]:
    return _compact(
        {
            "id": item.id,
            "type": ["Evidence"],
            "name": item.name,
            "description": item.description,
            "narrative": item.narrative,
            "genre": item.genre,
            "audience": item.audience,
        }
    )


def _status(spec: CredentialStatusSpec) -> dict[str, Any]:
    if isinstance(spec, RevocationListStatus):
        return {"id": spec.url, "type": "1EdTechRevocationList"}
    return {
        "id": f"{spec.list_url}#{spec.index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": spec.purpose,
        "statusListIndex": str(spec.index),
        "statusListCredential": spec.list_url,
    }


def build_credential(
    *,
    credential_id: uuid.UUID | str,
    issuer: IssuerProfile,
    achievement: AchievementSpec,
    recipient: Recipient,
    valid_from: datetime,
    status: CredentialStatusSpec,
    valid_until: datetime | None = None,
    evidence: Sequence[EvidenceItem] = (),
    previous_credential_id: uuid.UUID | str | None = None,
    name: str | None = None,
    description: str | None = None,
    awarded_date: datetime | None = None,
    image: str | None = None,
    check_schema: bool = True,
) -> dict[str, Any]:
    """Build an OpenBadgeCredential as a plain dict ready for :func:`sign_credential`.

    Deterministic: the same arguments give the same dict (and the same JSON bytes).
    ``valid_from``/``valid_until``/``awarded_date`` must be aware datetimes; they are
    written in UTC with whole seconds (microseconds dropped).  A renewal passes the id of
    the credential it replaces as ``previous_credential_id``; it becomes an evidence entry
    ``{"id": "urn:uuid:…", "type": ["Evidence"], "genre": "PreviousCredential", …}``.
    With ``check_schema`` (default) the result is validated against the vendored strict
    OB 3.0 schema.

    :raises BadgeBuildError: ``build.*`` codes for invalid inputs or a schema failure.
    """
    cred_id = urn_uuid(credential_id)
    start = utc_seconds(valid_from, "validFrom")
    end = utc_seconds(valid_until, "validUntil") if valid_until is not None else None
    if end is not None and end <= start:
        raise BadgeBuildError("build.bad_validity")
    require_https(image, "image")
    items = [_evidence(e) for e in evidence]
    if previous_credential_id is not None:
        previous = urn_uuid(previous_credential_id)
        if previous == cred_id:
            raise BadgeBuildError("build.self_reference")
        items.append(
            {
                "id": previous,
                "type": ["Evidence"],
                "name": "更新前の認定証",
                "description": "この認定証は、id で示す認定証を更新して発行したものです。",
                "genre": PREVIOUS_CREDENTIAL_GENRE,
            }
        )
    subject: dict[str, Any] = {
        "id": recipient.subject_id,
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": recipient.identity_hash,
                "salt": recipient.salt,
            }
        ],
        "achievement": _achievement(achievement),
    }
    credential = _compact(
        {
            "@context": [VCDM2_CONTEXT, OB3_CONTEXT],
            "id": cred_id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": _profile(issuer),
            "validFrom": format_z(start),
            "validUntil": format_z(end) if end is not None else None,
            "awardedDate": format_z(awarded_date, "awardedDate") if awarded_date else None,
            "name": name or achievement.name,
            "description": description,
            "image": {"id": image, "type": "Image"} if image else None,
            "credentialSubject": subject,
            "evidence": items,
            "credentialSchema": [{"id": OB3_SCHEMA_URL, "type": SCHEMA_VALIDATOR_TYPE}],
            "credentialStatus": _status(status),
        }
    )
    if check_schema:
        from badges.schema import validate

        errors = validate(credential, "strict")
        if errors:
            raise BadgeBuildError("build.schema", {"error": errors[0][:300]})
    return credential


def credential_json(credential: Mapping[str, Any]) -> bytes:
    """Serve-ready UTF-8 JSON (2-space indent, Japanese as-is, trailing newline)."""
    text = json.dumps(credential, ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def _issuer_id(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(issuer_id, str) or not issuer_id:
        raise BadgeBuildError("build.missing", {"field": "issuer.id"})
    return issuer_id


def jwt_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The JWT claims OB 3.0 requires for ``credential``: iss, jti, sub, nbf (+exp).

    :raises BadgeBuildError: ``build.missing`` / ``build.bad_datetime`` for an incomplete
        credential.
    """
    cred_id = credential.get("id")
    subject = credential.get("credentialSubject")
    sub = subject.get("id") if isinstance(subject, Mapping) else None
    if not isinstance(cred_id, str) or not cred_id:
        raise BadgeBuildError("build.missing", {"field": "id"})
    if not isinstance(sub, str) or not sub:
        raise BadgeBuildError("build.missing", {"field": "credentialSubject.id"})
    start = parse_datetime_z(credential.get("validFrom"))
    if start is None or start.microsecond:
        raise BadgeBuildError("build.bad_datetime", {"field": "validFrom"})
    claims: dict[str, Any] = {
        "iss": _issuer_id(credential),
        "jti": cred_id,
        "sub": sub,
        "nbf": to_numeric_date(start),
    }
    if "validUntil" in credential:
        end = parse_datetime_z(credential.get("validUntil"))
        if end is None or end.microsecond:
            raise BadgeBuildError("build.bad_datetime", {"field": "validUntil"})
        claims["exp"] = to_numeric_date(end)
    return claims


def sign_credential(credential: Mapping[str, Any], key: SigningKey) -> str:
    """Sign ``credential`` as a VC-JWT and return the compact JWS.

    Header: ``{"alg":"RS256","kid":key.kid,"typ":"JWT"}``.  Payload: every member of the
    credential followed by ``iss``, ``jti``, ``sub``, ``nbf`` and ``exp`` (only when
    ``validUntil`` is set).  RS256 is deterministic, so the same credential and key always
    give the same token.  Works for status-list credentials too.

    :raises BadgeBuildError: if the credential lacks id, issuer, subject id or validFrom,
        or already contains JWT claim names.
    """
    claims = jwt_claims(credential)
    clash = set(claims).intersection(credential)
    if clash:
        raise BadgeBuildError("build.claim_clash", {"claim": sorted(clash)[0]})
    payload = dict(credential)
    payload.update(claims)
    signing_input = f"{key.header_b64}.{b64url_encode(dumps_compact(payload))}"
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url_encode(signature)}"
