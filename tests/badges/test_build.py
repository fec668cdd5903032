"""Building credentials: shape, schemas (shared reference files), determinism, input errors."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import badges as b
from badges.schema import SCHEMA_FILES
from tests.badges import helpers as h

VALID_UNTIL = datetime(2028, 3, 31, 14, 59, 59, tzinfo=UTC)


def _variants() -> dict[str, dict[str, Any]]:
    return {
        "municipality": h.build(),
        "prefecture": h.build(issuer=h.PREFECTURE, evidence=()),
        "expiring": h.build(valid_until=VALID_UNTIL),
        "renewal": h.build(previous_credential_id=h.PREVIOUS_ID),
        "bitstring": h.build(status=b.BitstringStatus(h.STATUS_LIST_URL, 7)),
        "minimal": b.build_credential(
            credential_id=uuid.UUID(int=1),
            issuer=b.IssuerProfile(id=f"{h.BASE}/issuers/x", name="X町", url="https://x.example/"),
            achievement=b.AchievementSpec(
                id=f"{h.BASE}/achievements/a",
                name="基礎",
                description="説明",
                criteria_narrative="条件",
                image=f"{h.BASE}/a.png",
            ),
            recipient=h.RECIPIENT,
            valid_from=h.ISSUED_AT,
            status=b.RevocationListStatus(h.REVOCATION_URL),
        ),
        "status-list": b.build_status_list_credential(
            list_url=h.STATUS_LIST_URL,
            issuer_id=h.PREFECTURE.id,
            status_list=b.BitstringStatusList(),
            valid_from=h.ISSUED_AT,
        ),
    }


VARIANTS = _variants()
OB_VARIANTS = [k for k in VARIANTS if k != "status-list"]


@pytest.mark.parametrize("name", OB_VARIANTS)
@pytest.mark.parametrize("variant", ["strict", "purl"])
def test_built_credentials_validate_against_shared_schemas(name: str, variant: str) -> None:
    errors = [e.message for e in h.reference_validator(variant).iter_errors(VARIANTS[name])]
    assert errors == []


@pytest.mark.parametrize("name", OB_VARIANTS)
def test_signed_payload_validates_against_both_schemas(name: str) -> None:
    _, payload = h.token_parts(b.sign_credential(VARIANTS[name], h.signing_key()))
    for variant in ("strict", "purl"):
        assert h.reference_validator(variant).is_valid(payload)


def test_vendored_schemas_are_identical_to_shared_reference() -> None:
    vendored = Path(b.__file__).resolve().parent / "schemas"
    sources = {
        "purl": h.SCHEMAS / "purl-json-2026" / "ob_v3p0_achievementcredential_schema.json",
        "purl-endorsement": h.SCHEMAS
        / "purl-json-2026"
        / "ob_v3p0_endorsementcredential_schema.json",
        "strict": h.SCHEMAS / "strict-2024-09" / "ob_v3p0_achievementcredential_schema.json",
    }
    for variant, source in sources.items():
        assert (vendored / SCHEMA_FILES[variant]).read_bytes() == source.read_bytes()


def test_credential_shape() -> None:
    cred = VARIANTS["municipality"]
    assert cred["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["id"] == h.CREDENTIAL_ID.urn
    assert cred["validFrom"] == "2025-04-01T09:30:15Z"
    assert "validUntil" not in cred
    issuer = cred["issuer"]
    assert issuer["id"].startswith("https://")
    assert issuer["type"] == ["Profile"]
    assert issuer["name"] == "札幌市 デジタル戦略推進局"
    assert issuer["url"] == "https://www.city.sapporo.jp/"
    assert issuer["parentOrg"]["id"] == h.PREFECTURE.id
    assert issuer["parentOrg"]["type"] == ["Profile"]
    subject = cred["credentialSubject"]
    assert subject["id"] == h.RECIPIENT.subject_id
    assert subject["type"] == ["AchievementSubject"]
    [identity] = subject["identifier"]
    expected = hashlib.sha256(b"hokkaido.taro@pref.hokkaido.lg.jpc3a1f0").hexdigest()
    assert identity == {
        "type": "IdentityObject",
        "identityType": "emailAddress",
        "hashed": True,
        "identityHash": f"sha256${expected}",
        "salt": "c3a1f0",
    }
    achievement = subject["achievement"]
    assert achievement["id"] == h.ACHIEVEMENT.id
    assert achievement["type"] == ["Achievement"]
    assert achievement["inLanguage"] == "ja"
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert achievement["criteria"]["narrative"]
    assert achievement["image"]["type"] == "Image"
    assert [a["targetType"] for a in achievement["alignment"]] == [
        "ext:Tier",
        "ext:StaffLevel",
        "ext:DSSItem",
    ]
    assert all(
        a["targetFramework"] and a["type"] == ["Alignment"] for a in achievement["alignment"]
    )
    assert cred["evidence"][0]["type"] == ["Evidence"]
    assert cred["credentialSchema"] == [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
            "ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    assert cred["credentialStatus"] == {"id": h.REVOCATION_URL, "type": "1EdTechRevocationList"}


def test_valid_until_only_when_expiring() -> None:
    assert VARIANTS["expiring"]["validUntil"] == "2028-03-31T14:59:59Z"
    _, payload = h.token_parts(b.sign_credential(VARIANTS["expiring"], h.signing_key()))
    assert payload["exp"] == int(VALID_UNTIL.timestamp())
    _, payload = h.token_parts(b.sign_credential(VARIANTS["municipality"], h.signing_key()))
    assert "exp" not in payload


def test_renewal_references_previous_credential_as_evidence() -> None:
    evidence = VARIANTS["renewal"]["evidence"][-1]
    assert evidence["id"] == h.PREVIOUS_ID.urn
    assert evidence["genre"] == b.PREVIOUS_CREDENTIAL_GENRE
    assert evidence["type"] == ["Evidence"]


def test_bitstring_status_entry() -> None:
    assert VARIANTS["bitstring"]["credentialStatus"] == {
        "id": f"{h.STATUS_LIST_URL}#7",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "7",
        "statusListCredential": h.STATUS_LIST_URL,
    }


def _walk(value: Any) -> list[Any]:
    out = [value]
    if isinstance(value, dict):
        for item in value.values():
            out.extend(_walk(item))
    elif isinstance(value, list):
        for item in value:
            out.extend(_walk(item))
    return out


@pytest.mark.parametrize("name", list(VARIANTS))
def test_no_nulls_or_empties(name: str) -> None:
    for value in _walk(VARIANTS[name]):
        assert value is not None
        assert value not in ("", [], {})


def test_json_is_utf8_with_japanese_as_is() -> None:
    raw = b.credential_json(VARIANTS["municipality"])
    assert raw.endswith(b"\n")
    text = raw.decode("utf-8")
    assert "札幌市" in text
    assert "\\u" not in text
    assert json.loads(text) == VARIANTS["municipality"]


def test_build_is_deterministic_and_drops_microseconds() -> None:
    one = b.credential_json(h.build())
    two = b.credential_json(h.build(valid_from=h.ISSUED_AT.replace(microsecond=0)))
    assert one == two
    jst = timezone(timedelta(hours=9))
    three = b.credential_json(h.build(valid_from=h.ISSUED_AT.astimezone(jst)))
    assert three == one


def test_multivalued_fields_are_arrays() -> None:
    cred = VARIANTS["municipality"]
    for path in (
        ("type",),
        ("issuer", "type"),
        ("credentialSubject", "type"),
        ("credentialSubject", "identifier"),
        ("credentialSubject", "achievement", "alignment"),
        ("evidence",),
        ("credentialSchema",),
    ):
        node: Any = cred
        for key in path:
            node = node[key]
        assert isinstance(node, list), path


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"valid_from": datetime(2025, 4, 1)}, "build.naive_datetime"),  # noqa: DTZ001
        ({"valid_until": datetime(2020, 1, 1, tzinfo=UTC)}, "build.bad_validity"),
        ({"credential_id": "not-a-uuid"}, "build.bad_uuid"),
        ({"previous_credential_id": h.CREDENTIAL_ID}, "build.self_reference"),
        ({"image": "http://insecure.example/x.png"}, "build.not_https"),
    ],
)
def test_build_rejects_bad_inputs(overrides: dict[str, Any], code: str) -> None:
    with pytest.raises(b.BadgeBuildError) as info:
        h.build(**overrides)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("factory", "code"),
    [
        (
            lambda: b.IssuerProfile(id="http://x.example/", name="x", url="https://x/"),
            "build.not_https",
        ),
        (
            lambda: b.IssuerProfile(id="https://x.example/", name=" ", url="https://x/"),
            "build.empty",
        ),
        (
            lambda: b.Alignment("n", "https://x.example/", "Tier", "fw"),
            "build.bad_enum",
        ),
        (
            lambda: b.AchievementSpec(
                id="https://x/a",
                name="n",
                description="d",
                criteria_narrative="c",
                image="https://x/i.png",
                achievement_type="Trophy",
            ),
            "build.bad_enum",
        ),
        (lambda: b.Recipient("urn:uuid:bad", "sha256$" + "0" * 64, "s"), "build.bad_uuid"),
        (lambda: b.Recipient(h.RECIPIENT.subject_id, "md5$abc", "s"), "build.bad_identity_hash"),
        (lambda: b.EvidenceItem(), "build.empty"),
        (lambda: b.BitstringStatus(h.STATUS_LIST_URL, -1), "build.bad_index"),
    ],
)
def test_model_validation(factory: Any, code: str) -> None:
    with pytest.raises(b.BadgeBuildError) as info:
        factory()
    assert info.value.code == code
    assert info.value.message("ja") != info.value.code
    assert info.value.message("en") != info.value.code


def test_recipient_hash_and_email_match() -> None:
    assert h.RECIPIENT.matches_email("  hokkaido.taro@PREF.hokkaido.lg.jp ")
    assert not h.RECIPIENT.matches_email("someone.else@pref.hokkaido.lg.jp")
    assert (
        b.hash_identifier("a@example.jp", "s")
        == "sha256$" + hashlib.sha256(b"a@example.jps").hexdigest()
    )


def test_sign_rejects_incomplete_credentials() -> None:
    cred = h.build()
    for key, code in (("id", "build.missing"), ("validFrom", "build.bad_datetime")):
        broken = dict(cred)
        del broken[key]
        with pytest.raises(b.BadgeBuildError) as info:
            b.sign_credential(broken, h.signing_key())
        assert info.value.code == code
    clash = dict(cred, iss="https://evil.example/")
    with pytest.raises(b.BadgeBuildError):
        b.sign_credential(clash, h.signing_key())
    fractional = dict(cred, validFrom="2025-04-01T09:30:15.5Z")
    with pytest.raises(b.BadgeBuildError):
        b.sign_credential(fractional, h.signing_key())
