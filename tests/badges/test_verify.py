"""Verification: our tokens, official examples, validator negatives, forgeries, tampering."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import badges as b
from badges.jose import b64url_decode, b64url_encode
from tests.badges import helpers as h
from tests.conftest import needs_reference

OB30 = h.EXAMPLES / "validator-ob30"
SPEC = h.EXAMPLES / "spec-1.0.14"
TOKEN = b.sign_credential(h.build(), h.signing_key())
HEADER, PAYLOAD = h.token_parts(TOKEN)
NOW = h.FIXED_NOW


def verify(data: bytes | str | b.ReadInput, **kwargs: Any) -> b.VerificationResult:
    kwargs.setdefault("trust", h.trust_store())
    kwargs.setdefault("now", NOW)
    result = b.verify_credential(data, **kwargs)
    assert not any(c.message_key == "input.unexpected" for c in result.checks), result.checks
    return result


def failed_keys(result: b.VerificationResult) -> list[str]:
    return [c.message_key for c in result.failures]


# --------------------------------------------------------------------------- ours


def test_our_token_verifies_every_step() -> None:
    result = verify(TOKEN)
    assert result.valid
    assert [c.code for c in result.checks] == [
        "extract",
        "header",
        "key",
        "signature",
        "claims",
        "schema",
        "status",
        "expiry",
    ]
    assert result.check("status") is not None
    assert result.check("status").status == "warn"  # type: ignore[union-attr]  # no list passed
    assert result.credential == h.build()
    assert result.authenticated
    assert result.vcdm == "2.0"
    assert result.kind == "jws"


@pytest.mark.parametrize("form", ["str", "bytes", "bytes-newline", "json-kind"])
def test_input_forms(form: str) -> None:
    data: bytes | str = {
        "str": TOKEN,
        "bytes": TOKEN.encode(),
        "bytes-newline": b"\xef\xbb\xbf" + TOKEN.encode() + b"\r\n",
        "json-kind": TOKEN,
    }[form]
    result = verify(data, kind="jws") if form == "json-kind" else verify(data)
    assert result.valid


def test_report_is_rendered_in_both_languages() -> None:
    result = verify(TOKEN)
    ja, en = result.report("ja"), result.report("en")
    assert ja[3] == "[OK] 署名: 署名は有効です。"
    assert en[3] == "[OK] Signature: Signature is valid."
    assert len(ja) == len(en) == len(result.checks)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        b.verify_credential(TOKEN, trust=h.trust_store(), now=datetime(2025, 1, 1))  # noqa: DTZ001


# --------------------------------------------------------------------------- spec examples


SPEC_JWTS = sorted(SPEC.glob("*.jwt"))


@needs_reference
def test_there_are_eight_spec_examples() -> None:
    assert len(SPEC_JWTS) == 8


@pytest.mark.parametrize("path", SPEC_JWTS, ids=lambda p: p.stem)
def test_spec_example_jwts_verify_with_embedded_key_trusted(path: Path) -> None:
    token = path.read_text("utf-8").strip()
    result = verify(token, trust=h.embedded_jwk_trust(token), now=datetime(2025, 1, 1, tzinfo=UTC))
    assert result.valid, result.report("en")
    assert result.check("signature").status == "ok"  # type: ignore[union-attr]
    assert result.check("schema").status == "ok"  # type: ignore[union-attr]
    # The examples omit nbf although OB says it is required: tolerated with a warning.
    assert any(c.params.get("claim") == "nbf" for c in result.warnings)


@pytest.mark.parametrize("path", SPEC_JWTS[:2], ids=lambda p: p.stem)
def test_spec_example_embedded_key_is_not_trusted_by_default(path: Path) -> None:
    result = verify(path.read_text("utf-8").strip())
    assert not result.valid
    assert failed_keys(result) == ["key.untrusted_jwk"]
    assert result.credential is None


# --------------------------------------------------------------------------- validator files


@pytest.mark.parametrize(
    ("name", "vcdm"),
    [
        ("simple-jwt.png", "2.0"),
        ("simple-jwt.svg", "2.0"),
        ("simple-jwt_v1.png", "1.1"),
        ("simple-jwt_v1.svg", "1.1"),
    ],
)
def test_validator_baked_badges_extract_and_verify(name: str, vcdm: str) -> None:
    data = (OB30 / name).read_bytes()
    token = b.extract_any(data).text
    result = verify(data, trust=h.embedded_jwk_trust(token))
    assert result.valid, result.report("en")
    assert result.kind == name.rsplit(".", 1)[1]
    assert result.vcdm == vcdm
    if vcdm == "1.1":
        assert result.check("schema").message_key == "schema.skipped_vcdm11"  # type: ignore[union-attr]
        assert result.credential is not None and "issuanceDate" in result.credential


# Expected failing check for each validator negative case.  These are DataIntegrity JSON
# credentials: this library verifies VC-JWT only, so every one of them also fails "proof";
# the mapping names the check that detects the case's specific defect.  "schema.type_value"
# is the type probe: the purl schema accepts any single string as a nested object's type.
ERR_CASES = {
    "simple-err-context.json": ("schema", "schema.context"),
    "simple-err-credential-subject-achievement-result-description-type.json": (
        "schema",
        "schema.type_value",
    ),
    "simple-err-credential-subject-identifier-type.json": ("schema", "schema.type_value"),
    "simple-err-credential-subject-profile-type.json": ("schema", "schema.type_value"),
    "simple-err-credential-subject-result-type.json": ("schema", "schema.type_value"),
    "simple-err-credential-subject-type.json": ("schema", "schema.type_value"),
    "simple-err-evidence-type.json": ("schema", "schema.type_value"),
    "simple-err-expired.json": ("expiry", "expiry.expired"),
    "simple-err-issued.json": ("expiry", "expiry.not_yet_valid"),
    "simple-err-issuer-otheridentifier-type.json": ("schema", "schema.type_value"),
    "simple-err-issuer-parentorg-type.json": ("schema", "schema.type_value"),
    "simple-err-issuer-type.json": ("schema", "schema.type_value"),
    "simple-err-issuer.json": ("schema", "schema.invalid"),
    "simple-err-proof-method-no-scheme.json": ("proof", "proof.method_invalid"),
    "simple-err-proof-method-unknown-did-method.json": ("proof", "proof.method_invalid"),
    "simple-err-proof-method-unknown-scheme.json": ("proof", "proof.method_invalid"),
    # Wrong key id / altered proofValue: only a DataIntegrity verifier can tell; we report
    # that the proof cannot be verified (honest limitation, see README).
    "simple-err-proof-method.json": ("proof", "proof.unsupported"),
    "simple-err-proof-value.json": ("proof", "proof.unsupported"),
    "simple-err-type.json": ("schema", "schema.type"),
}


@needs_reference
def test_every_validator_negative_case_is_mapped() -> None:
    assert sorted(p.name for p in OB30.glob("simple-err-*.json")) == sorted(ERR_CASES)


@pytest.mark.parametrize("name", sorted(ERR_CASES))
def test_validator_negative_cases_fail_with_the_right_check(name: str) -> None:
    code, key = ERR_CASES[name]
    result = verify((OB30 / name).read_bytes(), now=datetime(2025, 1, 1, tzinfo=UTC))
    assert not result.valid
    assert not result.authenticated
    assert any(c.code == code and c.message_key == key for c in result.failures), result.checks


def test_valid_dataintegrity_credential_only_fails_proof() -> None:
    result = verify((OB30 / "simple.json").read_bytes())
    assert not result.valid
    assert failed_keys(result) == ["proof.unsupported"]
    assert result.check("schema").status == "ok"  # type: ignore[union-attr]


def test_json_without_proof_reports_no_proof() -> None:
    result = verify((OB30 / "simple-noproof.json").read_bytes())
    assert "proof.missing" in failed_keys(result)
    assert result.vcdm == "1.1"


def test_our_credential_as_plain_json_is_not_authenticated() -> None:
    result = verify(b.credential_json(h.build()))
    assert failed_keys(result) == ["proof.missing"]
    assert result.check("schema").status == "ok"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("simple.jwt", "header.no_key"),
        ("velocity.jwt", "key.unknown_kid"),
    ],
)
def test_validator_tokens_without_a_trusted_key(name: str, key: str) -> None:
    assert failed_keys(verify((OB30 / name).read_bytes())) == [key]


def test_ob20_badge_is_reported_not_verified() -> None:
    result = verify((h.EXAMPLES / "validator-ob20" / "simple-badge.png").read_bytes())
    assert failed_keys(result) == ["extract.ob2_unsupported"]


# --------------------------------------------------------------------------- forgeries


def _resign(payload: dict[str, Any], header: dict[str, Any] | None = None, key: Any = None) -> str:
    return h.sign_raw(header or HEADER, payload, key)


def _hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    signing_input = (
        b64url_encode(json.dumps(header).encode())
        + "."
        + b64url_encode(json.dumps(payload, ensure_ascii=False).encode())
    )
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url_encode(mac)}"


def _public_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization

    return (
        h.signing_key()
        .private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _forgeries() -> dict[str, tuple[bytes | str, str]]:
    other_jwk = h.other_key().public_jwk()
    trusted_jwk = h.signing_key().public_jwk()
    unsigned = b64url_encode(b'{"alg":"none","typ":"JWT"}') + "." + TOKEN.split(".")[1] + "."
    wrong_issuer = dict(PAYLOAD, issuer=dict(PAYLOAD["issuer"], id=f"{h.BASE}/issuers/otaru"))
    foreign_issuer = dict(
        PAYLOAD,
        iss="https://evil.example/issuers/x",
        issuer=dict(PAYLOAD["issuer"], id="https://evil.example/issuers/x"),
    )
    expired = h.build(valid_until=datetime(2025, 5, 1, tzinfo=UTC))
    future = h.build(valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    bad_utf8 = (
        b64url_encode(json.dumps(HEADER).encode()) + "." + b64url_encode(b'{"iss":"\xff\xfe"}')
    )
    bad_utf8 += "." + b64url_encode(h.signing_key().sign(bad_utf8.encode()))
    dup_header = h.sign_raw(
        b'{"alg":"RS256","kid":"' + h.KID.encode() + b'","typ":"JWT","alg":"none"}', PAYLOAD
    )
    dup_payload = h.sign_raw(
        HEADER,
        json.dumps(PAYLOAD, ensure_ascii=False).encode()[:-1] + b',"iss":"https://evil.example/"}',
    )
    return {
        "alg-none": (unsigned, "header.alg_not_allowed"),
        "alg-none-lowercase-signed": (
            _resign(PAYLOAD, {"alg": "None", "kid": h.KID, "typ": "JWT"}),
            "header.alg_not_allowed",
        ),
        "hs256-public-key-as-secret": (
            _hs256({"alg": "HS256", "kid": h.KID, "typ": "JWT"}, PAYLOAD, _public_pem()),
            "header.alg_not_allowed",
        ),
        "hs256-jwk-as-secret": (
            _hs256({"alg": "HS256", "jwk": trusted_jwk}, PAYLOAD, json.dumps(trusted_jwk).encode()),
            "header.alg_not_allowed",
        ),
        "embedded-untrusted-jwk": (
            _resign(PAYLOAD, {"alg": "RS256", "jwk": other_jwk, "typ": "JWT"}, h.other_key()),
            "key.untrusted_jwk",
        ),
        "embedded-jwk-contradicts-kid": (
            _resign(PAYLOAD, {"alg": "RS256", "kid": h.KID, "jwk": other_jwk}, h.other_key()),
            "key.jwk_mismatch",
        ),
        "trusted-jwk-but-other-signer": (
            _resign(PAYLOAD, {"alg": "RS256", "jwk": trusted_jwk}, h.other_key()),
            "signature.invalid",
        ),
        "private-jwk-in-header": (
            _resign(PAYLOAD, {"alg": "RS256", "jwk": dict(trusted_jwk, d="AQAB")}),
            "key.private_member",
        ),
        "jku": (
            _resign(
                PAYLOAD,
                {"alg": "RS256", "kid": h.KID, "jku": "https://evil.example/jwks", "typ": "JWT"},
            ),
            "header.forbidden_member",
        ),
        "x5u": (
            _resign(
                PAYLOAD,
                {"alg": "RS256", "kid": h.KID, "typ": "JWT", "x5u": "https://evil.example/c"},
            ),
            "header.forbidden_member",
        ),
        "crit": (
            _resign(PAYLOAD, {"alg": "RS256", "crit": ["exp"], "kid": h.KID, "typ": "JWT"}),
            "header.forbidden_member",
        ),
        "typ-vc+jwt": (
            _resign(PAYLOAD, {"alg": "RS256", "kid": h.KID, "typ": "vc+jwt"}),
            "header.bad_typ",
        ),
        "unknown-kid": (
            _resign(PAYLOAD, {"alg": "RS256", "kid": f"{h.BASE}/keys/nope", "typ": "JWT"}),
            "key.unknown_kid",
        ),
        "es256-header-with-rsa-key": (
            _resign(PAYLOAD, {"alg": "ES256", "kid": h.KID, "typ": "JWT"}),
            "key.alg_mismatch",
        ),
        "signed-by-other-key": (_resign(PAYLOAD, HEADER, h.other_key()), "signature.invalid"),
        "iss-differs-from-issuer-id": (_resign(wrong_issuer), "claims.iss_mismatch"),
        "issuer-outside-trusted-origin": (_resign(foreign_issuer), "key.issuer_not_trusted"),
        "missing-iss": (_resign({k: v for k, v in PAYLOAD.items() if k != "iss"}), "key.no_issuer"),
        "sub-differs-from-subject-id": (
            _resign(dict(PAYLOAD, sub="urn:uuid:00000000-0000-4000-8000-000000000000")),
            "claims.sub_mismatch",
        ),
        "jti-differs-from-id": (_resign(dict(PAYLOAD, jti="urn:uuid:x")), "claims.jti_mismatch"),
        "nbf-differs-from-validFrom": (
            _resign(dict(PAYLOAD, nbf=PAYLOAD["nbf"] - 3600)),
            "claims.time_mismatch",
        ),
        "nbf-not-a-number": (_resign(dict(PAYLOAD, nbf="soon")), "claims.bad_type"),
        "expired": (b.sign_credential(expired, h.signing_key()), "expiry.expired"),
        "nbf-in-the-future": (b.sign_credential(future, h.signing_key()), "expiry.not_yet_valid"),
        "exp-in-the-past-without-validUntil": (
            _resign(dict(PAYLOAD, exp=1_700_000_000)),
            "expiry.expired",
        ),
        "one-megabyte-token": ("e" * (1024 * 1024), "input.too_large"),
        "one-megabyte-token-bytes": (TOKEN.encode() + b"A" * (1024 * 1024), "input.too_large"),
        "non-utf8-input": (b"\xff\xfe\x00garbage" + TOKEN.encode(), "input.not_utf8"),
        "non-utf8-payload": (bad_utf8, "input.not_utf8"),
        "duplicate-header-key": (dup_header, "input.duplicate_key"),
        "duplicate-payload-key": (dup_payload, "input.duplicate_key"),
        "payload-not-object": (h.sign_raw(HEADER, b"[1,2,3]"), "jws.not_object"),
        "two-segments": (".".join(TOKEN.split(".")[:2]), "jws.malformed"),
        "padded-base64": (TOKEN + "==", "jws.bad_base64"),
        "standard-base64-alphabet": (TOKEN.replace("-", "+").replace("_", "/"), "jws.bad_base64"),
        "empty": (b"", "input.unknown_format"),
        "whitespace": ("   \n", "input.unknown_format"),
        "nan-in-payload": (h.sign_raw(HEADER, b'{"iss":NaN}'), "input.bad_json"),
        "deeply-nested": (h.sign_raw(HEADER, b"[" * 90_000 + b"]" * 90_000), "input.bad_json"),
        "huge-integer": (h.sign_raw(HEADER, b'{"nbf":' + b"9" * 5000 + b"}"), "input.bad_json"),
    }


FORGERIES = _forgeries()


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_forged_inputs_fail_with_a_reason(name: str) -> None:
    data, key = FORGERIES[name]
    result = verify(data)
    assert not result.valid
    assert key in failed_keys(result), result.checks
    for check in result.checks:
        assert check.message("ja") != check.message_key
        assert check.message("en") != check.message_key


@pytest.mark.parametrize("name", ["ours", *sorted(FORGERIES)])
def test_input_read_once_verifies_exactly_as_the_raw_input(name: str) -> None:
    """``read_input`` never raises, and verifying what it read gives the same report."""
    data = TOKEN if name == "ours" else FORGERIES[name][0]
    read = b.read_input(data)
    assert (read.jws is not None) + (read.document is not None) + (read.failure is not None) == 1
    assert verify(read) == verify(data)


def test_read_input_keeps_the_decoded_parts() -> None:
    read = b.read_input(TOKEN.encode())
    assert read.kind == "jws" and read.text == TOKEN
    assert read.jws is not None and read.jws.header == HEADER and read.jws.payload == PAYLOAD
    garbage = b.read_input(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    assert garbage.failure is not None and not garbage.failure.valid


def test_forged_tokens_never_expose_the_credential() -> None:
    for name in ("embedded-untrusted-jwk", "signed-by-other-key", "alg-none", "jku"):
        assert verify(FORGERIES[name][0]).credential is None


def test_hs256_would_verify_if_alg_were_trusted() -> None:
    """Sanity check that the HS256 forgery is a real key-confusion token."""
    token = FORGERIES["hs256-public-key-as-secret"][0]
    assert isinstance(token, str)
    signing_input, _, mac = token.rpartition(".")
    expected = hmac.new(_public_pem(), signing_input.encode(), hashlib.sha256).digest()
    assert b64url_decode(mac) == expected


@pytest.mark.parametrize(
    ("offset", "valid"),
    [(-61, False), (-59, True), (0, True)],
)
def test_nbf_skew_is_sixty_seconds(offset: int, valid: bool) -> None:
    issued = datetime(2025, 4, 1, 9, 30, 15, tzinfo=UTC)
    result = verify(TOKEN, now=issued + timedelta(seconds=offset))
    assert result.valid is valid


@pytest.mark.parametrize(
    ("offset", "valid"),
    [(-1, True), (59, True), (60, False), (3600, False)],
)
def test_exp_skew_is_sixty_seconds(offset: int, valid: bool) -> None:
    until = datetime(2028, 3, 31, 14, 59, 59, tzinfo=UTC)
    token = b.sign_credential(h.build(valid_until=until), h.signing_key())
    result = verify(token, now=until + timedelta(seconds=offset))
    assert result.valid is valid
    if not valid:
        assert failed_keys(result) == ["expiry.expired"]


def test_es256_tokens_verify() -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = serialization.load_pem_private_key(
        (h.GOLDEN / "test-es256-key.pem").read_bytes(), password=h.PASSPHRASE
    )
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    numbers = key.public_key().public_numbers()
    kid = f"{h.BASE}/keys/es256"
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(32, "big")),
        "y": b64url_encode(numbers.y.to_bytes(32, "big")),
        "kid": kid,
    }
    header = {"alg": "ES256", "kid": kid, "typ": "JWT"}
    signing_input = (
        b64url_encode(json.dumps(header).encode())
        + "."
        + b64url_encode(json.dumps(PAYLOAD, ensure_ascii=False).encode())
    )
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    token = f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
    trust = b.TrustStore.from_jwks({"keys": [jwk]})
    assert verify(token, trust=trust).valid
    # Same token, RSA-only trust store: the kid is unknown there.
    assert failed_keys(verify(token)) == ["key.unknown_kid"]
    # A DER signature or wrong length is not a JWS ES256 signature.
    der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    assert failed_keys(verify(f"{signing_input}.{b64url_encode(der)}", trust=trust)) == [
        "signature.invalid"
    ]


# --------------------------------------------------------------------------- tampering

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def test_changing_any_character_of_the_compact_token_fails() -> None:
    trust = h.trust_store()
    for index, char in enumerate(TOKEN):
        if char == ".":
            replacement = "A"
        else:
            replacement = ALPHABET[(ALPHABET.index(char) + 1) % 64]
        forged = TOKEN[:index] + replacement + TOKEN[index + 1 :]
        result = b.verify_credential(forged, trust=trust, now=NOW)
        assert not result.valid, index


@pytest.mark.parametrize("part", [0, 1, 2], ids=["header", "payload", "signature"])
def test_flipping_any_byte_of_any_part_fails(part: int) -> None:
    trust = h.trust_store()
    segments = TOKEN.split(".")
    raw = bytearray(b64url_decode(segments[part]))
    for index in range(len(raw)):
        raw[index] ^= 0x01
        forged = segments.copy()
        forged[part] = b64url_encode(bytes(raw))
        raw[index] ^= 0x01
        result = b.verify_credential(".".join(forged), trust=trust, now=NOW)
        assert not result.valid, index
        assert result.credential is None


def test_garbage_never_crashes() -> None:
    rng = random.Random(20250401)  # noqa: S311 - deterministic fuzzing, not security
    samples: list[bytes] = [
        TOKEN.encode(),
        (h.GOLDEN / "baked.png").read_bytes(),
        (h.GOLDEN / "baked.svg").read_bytes(),
        b.credential_json(h.build()),
    ]
    for sample in samples:
        for _ in range(150):
            data = bytearray(sample)
            for _ in range(rng.randint(1, 8)):
                position = rng.randrange(len(data))
                choice = rng.random()
                if choice < 0.6:
                    data[position] = rng.randrange(256)
                elif choice < 0.8:
                    del data[position : position + rng.randint(1, 64)]
                else:
                    data[position:position] = bytes(
                        rng.randrange(256) for _ in range(rng.randint(1, 16))
                    )
            result = verify(bytes(data))
            if sample[:1] in (b"e", b"{"):  # token or JSON: any change must invalidate
                assert not result.valid or bytes(data) == sample
            # Images may legitimately stay valid when only non-credential bytes change
            # (e.g. SVG text); for them the point is that nothing raises.
    for junk in (b"\x00", b"<", b"{", b"..", b"\x89PNG\r\n\x1a\n", base64.b64encode(b"x" * 100)):
        assert not verify(junk).valid


def test_strict_claims_for_our_own_credentials() -> None:
    assert verify(TOKEN, strict_claims=True).valid
    example = (SPEC / "sample-openbadgecredential.jwt").read_text("utf-8").strip()
    trust = h.embedded_jwk_trust(example)
    lenient = verify(example, trust=trust, now=datetime(2025, 1, 1, tzinfo=UTC))
    strict = verify(example, trust=trust, now=datetime(2025, 1, 1, tzinfo=UTC), strict_claims=True)
    assert lenient.valid
    assert not strict.valid
    assert [c.params.get("claim") for c in strict.failures] == ["nbf"]
