"""Verify Open Badges 3.0 credentials and report every step.

Steps and their ``Check.code`` (see README for every ``message_key``):

1. ``extract``   – find the credential in PNG / SVG / compact JWS / JSON; size, UTF-8,
   duplicate-key and base64url checks.
2. ``header``    – ``alg`` in {RS256, ES256}; only ``alg``, ``kid``, ``jwk``, ``typ``;
   ``typ`` = ``JWT`` when present.
3. ``key``       – key from the :class:`~badges.trust.TrustStore`, trusted for ``iss``.
4. ``signature`` – JWS signature.
5. ``claims``    – ``iss``/``jti``/``sub``/``nbf``/``exp`` agree with the credential.
   (JSON input without a JWT gets a single ``proof`` check instead of steps 2–5.)
6. ``schema``    – ``@context``/``type`` shape and the vendored OB 3.0 JSON Schema.
7. ``status``    – 1EdTech Revocation List or Bitstring Status List (documents passed in).
8. ``expiry``    – validity window (``nbf``/``validFrom`` .. ``exp``/``validUntil``) with
   clock skew.

Verification never raises on bad input: it returns ``valid=False`` with failing checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Literal, NamedTuple, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from badges._time import datetime_z_seconds
from badges.bake import MAX_INPUT_BYTES, InputKind, extract_any
from badges.errors import BadgeError, BadgeInputError, BadgeStatusError
from badges.jose import DecodedJws, decode_compact, decode_header, loads_strict
from badges.model import VCDM2_CONTEXT, VCDM11_CONTEXT
from badges.schema import is_valid_typed
from badges.schema import validate as schema_errors
from badges.status import BitstringStatusList, StatusDocuments, StatusResolver, revoked_ids
from badges.trust import TrustedKey, TrustStore

__all__ = [
    "ALLOWED_ALGS",
    "ALLOWED_HEADER_MEMBERS",
    "DEFAULT_SKEW",
    "MAX_INPUT_BYTES",
    "Check",
    "CheckStatus",
    "VerificationResult",
    "verify_credential",
    "verify_status_list_credential",
]

CheckStatus = Literal["ok", "warn", "fail"]

#: Signature algorithms accepted (RFC 8725 §3.1 allow-list).
ALLOWED_ALGS = frozenset({"RS256", "ES256"})
#: The only JOSE header members accepted (OB 3.0: "Additional JOSE Headers are NOT allowed").
ALLOWED_HEADER_MEMBERS = frozenset({"alg", "kid", "jwk", "typ"})
#: Maximum clock skew tolerated on nbf/exp/validFrom/validUntil.
DEFAULT_SKEW = timedelta(seconds=60)

JWT_CLAIMS = frozenset({"iss", "jti", "sub", "nbf", "exp", "iat", "aud"})
CREDENTIAL_TYPES = ("OpenBadgeCredential", "AchievementCredential", "EndorsementCredential")
_OB_CONTEXT = re.compile(
    r"https://purl\.imsglobal\.org/spec/ob/v3p0/(?:context(?P<ver>-3\.\d\.\d)?\.json"
    r"|context/ob_v3p0\.jsonld)",
    re.ASCII,
)
_PROOF_METHOD = re.compile(r"(?:https://[^\s#]+(?:#\S+)?|did:(?:key|web|jwk):\S+)", re.ASCII)
_KNOWN_PROOFS = frozenset({"DataIntegrityProof", "Ed25519Signature2020"})
_INDEX = re.compile(r"0|[1-9][0-9]{0,9}", re.ASCII)


class Check(NamedTuple):
    """One verification step outcome; ``message_key`` + ``params`` render via messages.

    ``code`` is the step (extract, header, key, signature, claims, proof, schema, status,
    expiry); ``status`` is ok/warn/fail; ``message_key`` is a key of ``MESSAGES``.
    """

    code: str
    status: CheckStatus
    message_key: str
    params: Mapping[str, str | int] = MappingProxyType({})

    def message(self, lang: str = "ja") -> str:
        """Human text for this check in ``lang``."""
        from badges.messages import message

        return message(self.message_key, lang, self.params)


@dataclass(frozen=True)
class VerificationResult:
    """Structured outcome of :func:`verify_credential`.

    ``valid`` is True only if no check failed.  ``credential`` is the credential object
    (JWT claims removed, ``vc`` unwrapped) once it could be parsed; for a JWT it is None
    unless the signature verified, and for JSON input it is unauthenticated (see
    ``authenticated``).
    """

    valid: bool
    checks: list[Check]
    credential: dict[str, Any] | None = None
    header: dict[str, Any] | None = None
    kind: InputKind | None = None
    vcdm: Literal["2.0", "1.1"] | None = None
    authenticated: bool = False
    token: str | None = None

    @property
    def failures(self) -> list[Check]:
        """Failing checks, in order."""
        return [c for c in self.checks if c.status == "fail"]

    @property
    def warnings(self) -> list[Check]:
        """Warning checks, in order."""
        return [c for c in self.checks if c.status == "warn"]

    def check(self, code: str) -> Check | None:
        """The worst check with ``code`` (fail > warn > ok), or None if not run."""
        found = [c for c in self.checks if c.code == code]
        for status in ("fail", "warn", "ok"):
            for item in found:
                if item.status == status:
                    return item
        return None

    def failed(self, code: str) -> bool:
        """True if any check with ``code`` failed."""
        return any(c.code == code and c.status == "fail" for c in self.checks)

    def report(self, lang: str = "ja") -> list[str]:
        """One line per check, e.g. ``[OK] 署名: 署名は有効です。``."""
        from badges.messages import message

        marks = {"ok": "OK", "warn": "WARN", "fail": "FAIL"}
        return [
            f"[{marks[c.status]}] {message('step.' + c.code, lang)}: {c.message(lang)}"
            for c in self.checks
        ]


class _StopWith(Exception):
    """Internal: a step failed in a way that makes later steps meaningless."""

    def __init__(self, checks: list[Check]) -> None:
        super().__init__("stop")
        self.checks = checks


class _Fail(Exception):
    def __init__(self, key: str, params: Mapping[str, str | int] | None = None) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, str | int] = dict(params or {})


def _short(value: object, limit: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text[:limit]


# --------------------------------------------------------------------------- JOSE


def _check_header(header: Mapping[str, Any]) -> tuple[str, str | None, object | None]:
    extra = sorted(set(header) - ALLOWED_HEADER_MEMBERS)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGS:
        raise _Fail("header.alg_not_allowed", {"alg": _short(alg, 32)})
    if extra:
        raise _Fail("header.forbidden_member", {"member": _short(extra[0], 32)})
    if "typ" in header and header["typ"] != "JWT":
        raise _Fail("header.bad_typ", {"typ": _short(header["typ"], 32)})
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or not kid or len(kid) > 2048):
        raise _Fail("header.bad_kid")
    jwk = header.get("jwk")
    if jwk is not None and not isinstance(jwk, dict):
        raise _Fail("key.bad_jwk", {"reason": "not an object"})
    if kid is None and jwk is None:
        raise _Fail("header.no_key")
    return alg, kid, jwk


@lru_cache(maxsize=256)
def _check_header_cached(segment: str) -> tuple[str, str | None, object | None]:
    # Every token signed with one key has the same header segment: check it once.
    # (The jwk object is shared between calls; it is only ever read.)
    return _check_header(decode_header(segment))


_EXTRACT_OK = {
    k: Check("extract", "ok", "extract.ok", MappingProxyType({"kind": k}))
    for k in ("png", "svg", "jws", "json")
}
_HEADER_OK = {
    alg: Check("header", "ok", "header.ok", MappingProxyType({"alg": alg})) for alg in ALLOWED_ALGS
}
_SIGNATURE_OK = Check("signature", "ok", "signature.ok")
#: ``check.status`` as a C-level function: ``"fail" in map(_STATUS, checks)`` scans in C.
_STATUS = attrgetter("status")
_CLAIMS_OK = Check("claims", "ok", "claims.ok")
_EXPIRY_OK = Check("expiry", "ok", "expiry.ok")


# Stateless parameter objects, shared by every verification.
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def _signature_ok(key: TrustedKey, alg: str, jws: DecodedJws) -> bool:
    # TrustedKey derives ``alg`` from the key type when it loads the JWK (RSA -> RS256,
    # P-256 -> ES256), so ``key.alg`` tells the key type without an ABC isinstance call.
    try:
        if alg == "RS256" and key.alg == "RS256":
            rsa_key = cast(rsa.RSAPublicKey, key.public_key)
            if len(jws.signature) != (rsa_key.key_size + 7) // 8:
                return False
            rsa_key.verify(jws.signature, jws.signing_input, _PKCS1V15, _SHA256)
            return True
        if alg == "ES256" and key.alg == "ES256":
            ec_key = cast(ec.EllipticCurvePublicKey, key.public_key)
            if len(jws.signature) != 64:
                return False
            r = int.from_bytes(jws.signature[:32], "big")
            s = int.from_bytes(jws.signature[32:], "big")
            ec_key.verify(encode_dss_signature(r, s), jws.signing_input, _ECDSA_SHA256)
            return True
    except InvalidSignature:
        return False
    return False


def _authenticate(jws: DecodedJws, trust: TrustStore) -> tuple[TrustedKey, list[Check]]:
    """Header, key and signature steps; raises _Stop (with checks) on failure."""
    checks: list[Check] = []
    try:
        if jws.header_segment:
            alg, kid, jwk = _check_header_cached(jws.header_segment)
        else:
            alg, kid, jwk = _check_header(jws.header)
    except _Fail as fail:
        checks.append(Check("header", "fail", fail.key, fail.params))
        raise _StopWith(checks) from None
    checks.append(_HEADER_OK[alg])
    iss = jws.payload.get("iss")
    if not isinstance(iss, str) or not iss:
        checks.append(Check("key", "fail", "key.no_issuer"))
        raise _StopWith(checks)
    try:
        key = trust.resolve(issuer=iss, alg=alg, kid=kid, jwk=jwk)
    except BadgeError as exc:
        checks.append(Check("key", "fail", exc.code, exc.params))
        raise _StopWith(checks) from None
    checks.append(Check("key", "ok", "key.ok", {"kid": _short(key.kid or key.thumbprint)}))
    if not _signature_ok(key, alg, jws):
        checks.append(Check("signature", "fail", "signature.invalid"))
        raise _StopWith(checks)
    checks.append(_SIGNATURE_OK)
    return key, checks


# --------------------------------------------------------------------------- fields


def _issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    return value if isinstance(value, str) else None


def _subject_id(credential: Mapping[str, Any]) -> str | None:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    value = subject.get("id") if isinstance(subject, dict) else None
    return value if isinstance(value, str) else None


def _as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _window_fields(credential: Mapping[str, Any], vcdm: str | None) -> tuple[str, str]:
    if vcdm == "1.1":
        return "issuanceDate", "expirationDate"
    return "validFrom", "validUntil"


def _numeric(value: object) -> int | None:
    if type(value) is int:  # the usual JSON NumericDate
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return int(value // 1)
    except (OverflowError, ValueError):
        return None


def _check_claims(
    payload: Mapping[str, Any],
    credential: Mapping[str, Any],
    vcdm: str | None,
    strict: bool = False,
) -> list[Check]:
    checks: list[Check] = []
    missing: CheckStatus = "fail" if strict else "warn"
    start_field, end_field = _window_fields(credential, vcdm)
    iss = payload.get("iss")
    issuer = _issuer_id(credential)
    if iss != issuer:
        checks.append(
            Check(
                "claims",
                "fail",
                "claims.iss_mismatch",
                {"iss": _short(iss), "issuer": _short(issuer)},
            )
        )
    if "jti" in payload:
        if payload["jti"] != credential.get("id"):
            checks.append(
                Check("claims", "fail", "claims.jti_mismatch", {"jti": _short(payload["jti"])})
            )
    else:
        checks.append(Check("claims", missing, "claims.missing", {"claim": "jti"}))
    if "sub" in payload:
        if payload["sub"] != _subject_id(credential):
            checks.append(
                Check("claims", "fail", "claims.sub_mismatch", {"sub": _short(payload["sub"])})
            )
    else:
        checks.append(Check("claims", missing, "claims.missing", {"claim": "sub"}))
    for claim, field_name in (("nbf", start_field), ("exp", end_field)):
        if claim not in payload:
            if claim == "nbf" or field_name in credential:
                checks.append(Check("claims", missing, "claims.missing", {"claim": claim}))
            continue
        number = _numeric(payload[claim])
        if number is None:
            checks.append(Check("claims", "fail", "claims.bad_type", {"claim": claim}))
            continue
        if field_name in credential:
            when = datetime_z_seconds(credential[field_name])
            if when is not None and when != number:
                checks.append(
                    Check(
                        "claims",
                        "fail",
                        "claims.time_mismatch",
                        {"claim": claim, "field": field_name},
                    )
                )
    if "fail" not in map(_STATUS, checks):
        checks.insert(0, _CLAIMS_OK)
    return checks


def _check_shape(
    credential: Mapping[str, Any],
) -> tuple[list[Check], Literal["2.0", "1.1"] | None]:
    contexts = _as_list(credential.get("@context"))
    types = _as_list(credential.get("type"))
    try:
        cached, vcdm = _shape_cached(tuple(contexts), tuple(types))
    except TypeError:  # unhashable members (e.g. inline context objects)
        return _shape(contexts, types)
    return list(cached), vcdm


@lru_cache(maxsize=256)
def _shape_cached(
    contexts: tuple[Any, ...], types: tuple[Any, ...]
) -> tuple[tuple[Check, ...], Literal["2.0", "1.1"] | None]:
    checks, vcdm = _shape(list(contexts), list(types))
    # Shared between calls: freeze the params.
    return tuple(c._replace(params=MappingProxyType(dict(c.params))) for c in checks), vcdm


def _shape(
    contexts: list[Any], types: list[Any]
) -> tuple[list[Check], Literal["2.0", "1.1"] | None]:
    checks: list[Check] = []
    first = contexts[0] if contexts else None
    vcdm: Literal["2.0", "1.1"] | None = None
    if first == VCDM2_CONTEXT:
        vcdm = "2.0"
    elif first == VCDM11_CONTEXT:
        vcdm = "1.1"
    else:
        checks.append(Check("schema", "fail", "schema.context", {"context": _short(first, 120)}))
    ob = [m for c in contexts if isinstance(c, str) and (m := _OB_CONTEXT.fullmatch(c))]
    if not ob:
        checks.append(Check("schema", "fail", "schema.ob_context"))
    elif any(m.group("ver") not in (None, "-3.0.3") for m in ob):
        checks.append(
            Check("schema", "warn", "schema.context_version", {"context": ob[0].group(0)})
        )
    if "VerifiableCredential" not in types or not any(t in types for t in CREDENTIAL_TYPES):
        checks.append(Check("schema", "fail", "schema.type", {"type": _short(types, 120)}))
    return checks, vcdm


# Expected ``type`` of nested OB 3.0 objects: the purl schema accepts any single string as
# ``type`` (JSON-LD compaction), so, like the 1EdTech validator's type probe, we check the
# values ourselves.  Each rule: member name -> (required type, rules for its members).
_Rules = dict[str, tuple[str, "_Rules"]]
_ALIGNMENT: _Rules = {}
_PROFILE: _Rules = {
    "otherIdentifier": ("IdentifierEntry", {}),
    "address": ("Address", {}),
    "image": ("Image", {}),
}
_PROFILE["parentOrg"] = ("Profile", _PROFILE)
_RESULT_DESCRIPTION: _Rules = {
    "alignment": ("Alignment", _ALIGNMENT),
    "rubricCriterionLevel": ("RubricCriterionLevel", {"alignment": ("Alignment", _ALIGNMENT)}),
}
_ACHIEVEMENT: _Rules = {
    "alignment": ("Alignment", _ALIGNMENT),
    "creator": ("Profile", _PROFILE),
    "image": ("Image", {}),
    "otherIdentifier": ("IdentifierEntry", {}),
    "related": ("Related", {}),
    "resultDescription": ("ResultDescription", _RESULT_DESCRIPTION),
}
_SUBJECT: _Rules = {
    "achievement": ("Achievement", _ACHIEVEMENT),
    "identifier": ("IdentityObject", {}),
    "image": ("Image", {}),
    "result": ("Result", {"alignment": ("Alignment", _ALIGNMENT)}),
    "source": ("Profile", _PROFILE),
}
_CREDENTIAL: _Rules = {
    "issuer": ("Profile", _PROFILE),
    "credentialSubject": ("AchievementSubject", _SUBJECT),
    "evidence": ("Evidence", {}),
    "image": ("Image", {}),
}
_ENDORSEMENT: _Rules = {
    "issuer": ("Profile", _PROFILE),
    "credentialSubject": ("EndorsementSubject", {}),
    "evidence": ("Evidence", {}),
}


def _has_type(item: Mapping[str, Any], expected: str) -> bool:
    declared = item.get("type")
    return declared == expected or (type(declared) is list and expected in declared)


def _type_violation(
    node: Mapping[str, Any], rules: _Rules, depth: int = 0
) -> tuple[list[str], str] | None:
    """First nested object whose ``type`` lacks the expected value: (path parts, expected)."""
    if depth > 16:
        return None
    for member, (expected, inner) in rules.items():
        value = node.get(member)
        if value is None:
            continue
        if type(value) is list:
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    found = _type_item(item, expected, inner, depth)
                    if found is not None:
                        found[0].insert(0, f"{member}[{index}]")
                        return found
        elif isinstance(value, dict):
            found = _type_item(value, expected, inner, depth)
            if found is not None:
                found[0].insert(0, member)
                return found
        # strings are URI references; the schema decides whether that is allowed
    return None


def _type_item(
    item: Mapping[str, Any], expected: str, inner: _Rules, depth: int
) -> tuple[list[str], str] | None:
    if not _has_type(item, expected):
        return [], expected
    if inner:
        return _type_violation(item, inner, depth + 1)
    return None


def _check_schema(credential: Mapping[str, Any], vcdm: str | None) -> Check:
    types = _as_list(credential.get("type"))
    endorsement = "EndorsementCredential" in types
    variant: Literal["purl", "purl-endorsement"] = "purl-endorsement" if endorsement else "purl"
    if vcdm != "1.1" and is_valid_typed(credential, variant):
        return _SCHEMA_OK[variant]  # schema and nested-type rules in one pass
    violation = _type_violation(credential, _ENDORSEMENT if endorsement else _CREDENTIAL)
    if violation is not None:
        path, expected = violation
        return Check(
            "schema", "fail", "schema.type_value", {"path": ".".join(path), "expected": expected}
        )
    if vcdm == "1.1":
        return Check("schema", "warn", "schema.skipped_vcdm11")
    errors = schema_errors(credential, variant, limit=1)
    if errors:
        return Check("schema", "fail", "schema.invalid", {"error": errors[0]})
    # Only the tightened type rules failed, somewhere the type probe does not walk
    # (e.g. inside an embedded endorsement).
    return Check("schema", "fail", "schema.type_value", {"path": "…", "expected": "class name"})


_SCHEMA_OK = {
    v: Check("schema", "ok", "schema.ok", MappingProxyType({"schema": v}))
    for v in ("purl", "purl-endorsement")
}


def _check_proof(credential: Mapping[str, Any]) -> Check:
    proofs = _as_list(credential.get("proof"))
    if not proofs:
        return Check("proof", "fail", "proof.missing")
    known = []
    for proof in proofs:
        if not isinstance(proof, Mapping):
            return Check("proof", "fail", "proof.malformed")
        if proof.get("type") not in _KNOWN_PROOFS:
            continue  # unknown proof types are ignored, as the 1EdTech validator does
        known.append(proof)
        method = proof.get("verificationMethod")
        if not isinstance(method, str) or not _PROOF_METHOD.fullmatch(method):
            return Check("proof", "fail", "proof.method_invalid", {"method": _short(method, 120)})
    first = known[0] if known else proofs[0]
    kind = first.get("cryptosuite") or first.get("type")
    return Check("proof", "fail", "proof.unsupported", {"type": _short(kind, 64)})


def _check_expiry(
    payload: Mapping[str, Any] | None,
    credential: Mapping[str, Any],
    vcdm: str | None,
    now_ts: int,
    skew: int,
) -> Check:
    start_field, end_field = _window_fields(credential, vcdm)
    starts: list[int] = []
    ends: list[int] = []
    if start_field in credential:
        start = datetime_z_seconds(credential[start_field])
        if start is None:
            return Check("expiry", "fail", "expiry.bad_datetime", {"field": start_field})
        starts.append(start)
    if end_field in credential:
        end = datetime_z_seconds(credential[end_field])
        if end is None:
            return Check("expiry", "fail", "expiry.bad_datetime", {"field": end_field})
        ends.append(end)
    if payload is not None:
        nbf = _numeric(payload.get("nbf"))
        exp = _numeric(payload.get("exp"))
        if nbf is not None:
            starts.append(nbf)
        if exp is not None:
            ends.append(exp)
    if not starts:
        return Check("expiry", "fail", "expiry.no_start", {"field": start_field})
    if max(starts) > now_ts + skew:
        return Check("expiry", "fail", "expiry.not_yet_valid", {"from": _ts(max(starts))})
    if ends and min(ends) <= now_ts - skew:
        return Check("expiry", "fail", "expiry.expired", {"until": _ts(min(ends))})
    if ends:
        return Check("expiry", "ok", "expiry.ok_until", {"until": _ts(min(ends))})
    return _EXPIRY_OK


@lru_cache(maxsize=1024)
def _ts(value: int) -> str:
    try:
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(value)


# --------------------------------------------------------------------------- status


@lru_cache(maxsize=64)
def _decoded_bits(encoded: str) -> bytes:
    return bytes(BitstringStatusList.decode(encoded)._bits)


def verify_status_list_credential(
    document: Mapping[str, Any] | str,
    *,
    trust: TrustStore,
    now: datetime,
    url: str | None = None,
    issuer_id: str | None = None,
    skew: timedelta = DEFAULT_SKEW,
) -> tuple[dict[str, Any], bytes]:
    """Verify a BitstringStatusListCredential given as a compact JWS (VC-JWT).

    The signing key must be trusted for the list's ``iss`` and, when ``issuer_id`` (the
    issuer of the credential being checked) is given, also for that issuer.  Unsigned JSON
    lists are refused.  Returns ``(list credential, raw bits)``.

    :raises BadgeStatusError: ``status.*`` codes.
    """
    if not isinstance(document, str):
        raise BadgeStatusError("status.list_unverified")
    try:
        jws = decode_compact(document)
        key, _checks = _authenticate(jws, trust)
    except BadgeInputError as exc:
        raise BadgeStatusError("status.list_unverified", {"reason": exc.code}) from exc
    except _StopWith as stop:
        failed = stop.checks[-1]
        raise BadgeStatusError("status.list_unverified", {"reason": failed.message_key}) from None
    payload = jws.payload
    credential = payload["vc"] if isinstance(payload.get("vc"), dict) else payload
    if issuer_id is not None and not key.trusts(issuer_id):
        raise BadgeStatusError("status.list_untrusted", {"issuer": _short(issuer_id)})
    claims = _check_claims(payload, credential, "2.0")
    if any(c.status == "fail" for c in claims):
        raise BadgeStatusError("status.list_unverified", {"reason": claims[-1].message_key})
    if "BitstringStatusListCredential" not in _as_list(credential.get("type")):
        raise BadgeStatusError("status.bad_list", {"reason": "type"})
    if url is not None and credential.get("id") != url:
        raise BadgeStatusError("status.list_id_mismatch", {"url": _short(url)})
    window = _check_expiry(
        payload, credential, "2.0", int(now.timestamp() // 1), int(skew.total_seconds())
    )
    if window.status == "fail":
        raise BadgeStatusError("status.list_expired", {"reason": window.message_key})
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and len(subject) == 1:
        subject = subject[0]
    if not isinstance(subject, Mapping) or "BitstringStatusList" not in _as_list(
        subject.get("type")
    ):
        raise BadgeStatusError("status.bad_list", {"reason": "credentialSubject"})
    encoded = subject.get("encodedList")
    if not isinstance(encoded, str):
        raise BadgeStatusError("status.bad_encoding", {"reason": "type"})
    bits = _decoded_bits(encoded)
    return dict(credential), bits


def _status_checks(
    credential: Mapping[str, Any],
    resolver: StatusResolver | None,
    trust: TrustStore,
    now: datetime,
    skew: timedelta,
    require_status: bool,
) -> list[Check]:
    entries = _as_list(credential.get("credentialStatus"))
    if not entries:
        return [Check("status", "fail" if require_status else "warn", "status.none")]
    unchecked: CheckStatus = "fail" if require_status else "warn"
    checks: list[Check] = []
    for entry in entries:
        if not isinstance(entry, dict):
            checks.append(Check("status", "fail", "status.bad_entry"))
            continue
        kind = entry.get("type")
        try:
            if kind == "1EdTechRevocationList":
                checks.append(_check_revocation_list(credential, entry, resolver, unchecked))
            elif kind == "BitstringStatusListEntry":
                checks.append(
                    _check_bitstring(credential, entry, resolver, trust, now, skew, unchecked)
                )
            else:
                checks.append(
                    Check(
                        "status", unchecked, "status.unsupported_type", {"type": _short(kind, 64)}
                    )
                )
        except BadgeStatusError as exc:
            checks.append(Check("status", "fail", exc.code, exc.params))
    return checks


def _fetch(resolver: StatusResolver | None, url: str) -> Mapping[str, Any] | str | None:
    if resolver is None:
        return None
    return resolver(url)


def _check_revocation_list(
    credential: Mapping[str, Any],
    entry: Mapping[str, Any],
    resolver: StatusResolver | None,
    unchecked: CheckStatus,
) -> Check:
    url = entry.get("id")
    if not isinstance(url, str):
        raise BadgeStatusError("status.bad_entry")
    document = _fetch(resolver, url)
    if document is None:
        return Check("status", unchecked, "status.unchecked", {"url": _short(url)})
    if type(document) is not dict and not isinstance(document, Mapping):  # dict: no ABC check
        raise BadgeStatusError("status.bad_list", {"reason": "not JSON"})
    if document.get("type", "1EdTechRevocationList") != "1EdTechRevocationList":
        raise BadgeStatusError("status.bad_list", {"reason": "type"})
    if isinstance(resolver, StatusDocuments):
        revoked = resolver.revoked_ids(url)
    else:
        revoked = revoked_ids(document)
    credential_id = credential.get("id")
    # A non-string id (schema-invalid, reported by the schema step) cannot be hashed into a set.
    if isinstance(credential_id, str) and credential_id in revoked:
        return Check("status", "fail", "status.revoked", {"method": "1EdTechRevocationList"})
    return Check("status", "ok", "status.ok", {"method": "1EdTechRevocationList"})


def _check_bitstring(
    credential: Mapping[str, Any],
    entry: Mapping[str, Any],
    resolver: StatusResolver | None,
    trust: TrustStore,
    now: datetime,
    skew: timedelta,
    unchecked: CheckStatus,
) -> Check:
    url = entry.get("statusListCredential")
    purpose = entry.get("statusPurpose")
    raw_index = entry.get("statusListIndex")
    if isinstance(raw_index, str) and _INDEX.fullmatch(raw_index):
        index = int(raw_index)
    elif isinstance(raw_index, int) and not isinstance(raw_index, bool) and raw_index >= 0:
        index = raw_index
    else:
        raise BadgeStatusError("status.bad_entry")
    if not isinstance(url, str) or not isinstance(purpose, str):
        raise BadgeStatusError("status.bad_entry")
    document = _fetch(resolver, url)
    if document is None:
        return Check("status", unchecked, "status.unchecked", {"url": _short(url)})
    issuer_id = _issuer_id(credential)
    if issuer_id is None:
        raise BadgeStatusError("status.list_untrusted", {"issuer": "-"})
    list_credential, bits = verify_status_list_credential(
        document, trust=trust, now=now, url=url, issuer_id=issuer_id, skew=skew
    )
    subject = list_credential.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0]
    if not isinstance(subject, Mapping) or subject.get("statusPurpose") != purpose:
        raise BadgeStatusError("status.purpose_mismatch", {"purpose": _short(purpose, 32)})
    if index >= len(bits) * 8:
        raise BadgeStatusError("status.index_out_of_range", {"index": index})
    if bits[index // 8] & (0x80 >> (index % 8)):
        if purpose == "revocation":
            return Check("status", "fail", "status.revoked", {"method": "BitstringStatusList"})
        if purpose == "suspension":
            return Check("status", "fail", "status.suspended", {"method": "BitstringStatusList"})
        return Check("status", "warn", "status.flagged", {"purpose": _short(purpose, 32)})
    return Check("status", "ok", "status.ok", {"method": "BitstringStatusList"})


# --------------------------------------------------------------------------- main


def verify_credential(
    data: bytes | str | ReadInput,
    *,
    trust: TrustStore,
    now: datetime,
    status: StatusResolver | None = None,
    kind: InputKind | None = None,
    skew: timedelta = DEFAULT_SKEW,
    require_status: bool = False,
    strict_claims: bool = False,
) -> VerificationResult:
    """Verify a credential given as PNG/SVG bytes, compact JWS or JSON (auto-detected), or
    as a :class:`ReadInput` already read from one.

    ``now`` must be an aware datetime (the caller's clock).  ``status`` resolves status
    URLs to already-fetched documents (e.g. :class:`badges.StatusDocuments`); without it,
    or when a document is missing, the status check is a warning (a failure with
    ``require_status=True``).  Missing ``nbf``/``jti``/``sub`` (and ``exp`` when the
    credential has ``validUntil``) are warnings, as other issuers' tokens often omit them;
    ``strict_claims=True`` (for our own credentials) makes them failures.  Never raises for
    bad input.

    :raises ValueError: if ``now`` is naive (a programming error, not bad input).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    try:
        return _verify(data, trust, now, status, kind, skew, require_status, strict_claims)
    except Exception as exc:  # noqa: BLE001 - last resort: garbage must never crash callers
        return VerificationResult(
            valid=False,
            checks=[Check("extract", "fail", "input.unexpected", {"error": type(exc).__name__})],
        )


class ReadInput(NamedTuple):
    """An input read once: extracted from its image or text and decoded, nothing verified.

    :func:`read_input` makes one; :func:`verify_credential` accepts it in place of the raw
    input, so a caller that needs the (untrusted) header or claims first, e.g. to choose
    keys, does not parse twice. Exactly one of ``jws``, ``document`` or ``failure`` is set.
    """

    kind: InputKind | None
    #: A compact JWS, decoded (a VC-JWT).
    jws: DecodedJws | None = None
    #: A JSON credential (embedded proof).
    document: dict[str, Any] | None = None
    #: Why the input could not be read (the verification result to report).
    failure: VerificationResult | None = None
    text: str | None = None


def read_input(data: bytes | str, kind: InputKind | None = None) -> ReadInput:
    """Extract and decode `data` (PNG/SVG bytes, compact JWS or JSON). Never raises."""
    try:
        return _read(data, kind)
    except Exception as exc:  # noqa: BLE001 - garbage must never crash callers
        return ReadInput(
            kind,
            failure=VerificationResult(
                valid=False,
                checks=[
                    Check("extract", "fail", "input.unexpected", {"error": type(exc).__name__})
                ],
            ),
        )


def _read(data: bytes | str, kind: InputKind | None) -> ReadInput:
    try:
        extracted = extract_any(data, kind)
    except BadgeError as exc:
        failed = VerificationResult(False, [Check("extract", "fail", exc.code, exc.params)])
        return ReadInput(kind, failure=failed)
    text, kind = extracted.text, extracted.kind
    if extracted.ob_version == "2.0":
        failed = VerificationResult(
            False, [Check("extract", "fail", "extract.ob2_unsupported")], kind=kind
        )
        return ReadInput(kind, failure=failed)
    try:
        if text.startswith("{"):
            parsed = loads_strict(text, what="credential")
            if not isinstance(parsed, dict):
                raise BadgeInputError("jws.not_object", {"part": "credential"})
            return ReadInput(kind, document=parsed, text=text)
        return ReadInput(kind, jws=decode_compact(text), text=text)
    except BadgeError as exc:
        failed = VerificationResult(
            False, [Check("extract", "fail", exc.code, exc.params)], kind=kind
        )
        return ReadInput(kind, failure=failed)


def _verify(
    data: bytes | str | ReadInput,
    trust: TrustStore,
    now: datetime,
    resolver: StatusResolver | None,
    kind: InputKind | None,
    skew: timedelta,
    require_status: bool,
    strict_claims: bool = False,
) -> VerificationResult:
    checks: list[Check] = []
    read = data if isinstance(data, ReadInput) else _read(data, kind)
    if read.failure is not None:
        return read.failure
    kind = cast(InputKind, read.kind)  # set whenever the input could be read
    payload: dict[str, Any] | None = None
    header: dict[str, Any] | None = None
    token: str | None = None
    if read.jws is not None:
        jws = read.jws
        token = read.text
        header = jws.header
        payload = jws.payload
    else:
        credential: dict[str, Any] = cast(dict[str, Any], read.document)
    checks.append(_EXTRACT_OK[kind])

    if payload is not None:
        try:
            _key, auth = _authenticate(jws, trust)
        except _StopWith as stop:
            checks.extend(stop.checks)
            return VerificationResult(False, checks, None, header, kind, token=token)
        checks.extend(auth)
        inner = payload.get("vc")
        if isinstance(inner, dict):
            credential = dict(inner)
        else:
            credential = dict(payload)  # a C-level copy, then drop the JWT claims
            for claim in JWT_CLAIMS.intersection(credential):
                del credential[claim]
        shape, vcdm = _check_shape(credential)
        checks.extend(_check_claims(payload, credential, vcdm, strict_claims))
    else:
        checks.append(_check_proof(credential))
        shape, vcdm = _check_shape(credential)

    checks.extend(shape)
    checks.append(_check_schema(credential, vcdm))
    checks.extend(_status_checks(credential, resolver, trust, now, skew, require_status))
    checks.append(
        _check_expiry(
            payload, credential, vcdm, int(now.timestamp() // 1), int(skew.total_seconds())
        )
    )
    return VerificationResult(
        valid="fail" not in map(_STATUS, checks),
        checks=checks,
        credential=credential,
        header=header,
        kind=kind,
        vcdm=vcdm,
        authenticated=payload is not None,
        token=token,
    )
