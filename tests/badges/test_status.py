"""Revocation: 1EdTech Revocation List and W3C Bitstring Status List."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime
from typing import Any

import pytest

import badges as b
from badges.jose import b64url_encode
from tests.badges import helpers as h

TESTLIST = h.EXAMPLES / "validator-ob30" / "bit-string-list" / "testlist"


def _list_token(set_bits: list[int], **overrides: Any) -> str:
    args: dict[str, Any] = {
        "list_url": h.STATUS_LIST_URL,
        "issuer_id": h.PREFECTURE.id,
        "status_list": b.BitstringStatusList(set_bits=set_bits),
        "valid_from": datetime(2025, 4, 1, tzinfo=UTC),
    }
    args.update(overrides)
    return b.sign_credential(b.build_status_list_credential(**args), h.signing_key())


def _status_check(token: str, status: Any, **kwargs: Any) -> b.Check:
    result = b.verify_credential(
        token, trust=h.trust_store(), now=h.FIXED_NOW, status=status, **kwargs
    )
    check = result.check("status")
    assert check is not None
    return check


# --------------------------------------------------------------------------- bitstring


def test_validator_testlist_index_23_revoked_22_not() -> None:
    document = json.loads(TESTLIST.read_text("utf-8"))
    bits = b.BitstringStatusList.decode(document["credentialSubject"]["encodedList"])
    assert bits.size == 131_072
    assert bits.is_set(23)
    assert not bits.is_set(22)
    assert bits.set_indices() == [23]


def test_encoding_is_msb_first_gzip_multibase_u() -> None:
    bits = b.BitstringStatusList(set_bits=[0, 9])
    encoded = bits.encode()
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) == 16_384
    assert raw[0] == 0x80 and raw[1] == 0x40 and not any(raw[2:])
    assert b.BitstringStatusList.decode(encoded).set_indices() == [0, 9]
    assert encoded == b.BitstringStatusList(set_bits=[9, 0]).encode()  # deterministic


def test_bitstring_bounds_and_bombs() -> None:
    bits = b.BitstringStatusList()
    for index in (-1, 131_072, True):
        with pytest.raises(b.BadgeStatusError):
            bits.set(index)  # type: ignore[arg-type]
    with pytest.raises(b.BadgeStatusError):
        b.BitstringStatusList(size=1024)
    short = "u" + b64url_encode(gzip.compress(bytes(1024), mtime=0))
    with pytest.raises(b.BadgeStatusError) as info:
        b.BitstringStatusList.decode(short)
    assert info.value.code == "status.bad_size"
    bomb = "u" + b64url_encode(gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9, mtime=0))
    assert len(bomb) < 200_000
    with pytest.raises(b.BadgeStatusError) as info:
        b.BitstringStatusList.decode(bomb)
    assert info.value.code == "status.bad_encoding"
    for junk in ("", "u!!", "uAAAA", 42):
        with pytest.raises(b.BadgeStatusError):
            b.BitstringStatusList.decode(junk)


def test_status_list_credential_shape_and_verification() -> None:
    credential = b.build_status_list_credential(
        list_url=h.STATUS_LIST_URL,
        issuer_id=h.PREFECTURE.id,
        status_list=b.BitstringStatusList(set_bits=[23]),
        valid_from=datetime(2025, 4, 1, tzinfo=UTC),
    )
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert credential["credentialSubject"]["type"] == "BitstringStatusList"
    assert credential["credentialSubject"]["id"] == f"{h.STATUS_LIST_URL}#list"
    token = b.sign_credential(credential, h.signing_key())
    listed, bits = b.verify_status_list_credential(
        token, trust=h.trust_store(), now=h.FIXED_NOW, url=h.STATUS_LIST_URL
    )
    assert listed["id"] == h.STATUS_LIST_URL
    assert bits[2] == 0x01  # index 23 = LSB of byte 2


@pytest.mark.parametrize(("index", "expected"), [(23, "status.revoked"), (22, "status.ok")])
def test_credential_with_bitstring_entry(index: int, expected: str) -> None:
    token = b.sign_credential(
        h.build(status=b.BitstringStatus(h.STATUS_LIST_URL, index)), h.signing_key()
    )
    status = b.StatusDocuments({h.STATUS_LIST_URL: _list_token([23])})
    check = _status_check(token, status)
    assert check.message_key == expected


def test_suspension_purpose() -> None:
    token = b.sign_credential(
        h.build(status=b.BitstringStatus(h.STATUS_LIST_URL, 5, "suspension")), h.signing_key()
    )
    status = b.StatusDocuments({h.STATUS_LIST_URL: _list_token([5], purpose="suspension")})
    assert _status_check(token, status).message_key == "status.suspended"
    wrong = b.StatusDocuments({h.STATUS_LIST_URL: _list_token([5])})
    assert _status_check(token, wrong).message_key == "status.purpose_mismatch"


def test_bitstring_list_must_be_signed_by_a_trusted_key() -> None:
    token = b.sign_credential(
        h.build(status=b.BitstringStatus(h.STATUS_LIST_URL, 1)), h.signing_key()
    )
    unsigned = b.build_status_list_credential(
        list_url=h.STATUS_LIST_URL,
        issuer_id=h.PREFECTURE.id,
        status_list=b.BitstringStatusList(),
        valid_from=datetime(2025, 4, 1, tzinfo=UTC),
    )
    other = b.sign_credential(unsigned, h.other_key())
    cases = {
        "unsigned-json": (unsigned, "status.list_unverified"),
        "validator-testlist-dataintegrity": (
            json.loads(TESTLIST.read_text("utf-8")),
            "status.list_unverified",
        ),
        "other-key": (other, "status.list_unverified"),
        "tampered": (_list_token([])[:-4] + "AAAA", "status.list_unverified"),
        "expired-list": (
            _list_token([], valid_until=datetime(2025, 5, 1, tzinfo=UTC)),
            "status.list_expired",
        ),
        "wrong-id": (
            _list_token([], list_url=f"{h.BASE}/status/lists/2"),
            "status.list_id_mismatch",
        ),
    }
    for name, (document, expected) in cases.items():
        check = _status_check(token, b.StatusDocuments({h.STATUS_LIST_URL: document}))
        assert (check.status, check.message_key) == ("fail", expected), name


def test_list_key_must_be_trusted_for_the_credential_issuer() -> None:
    # Trust the other key only for another issuer: it may sign lists for that issuer, but
    # not the status of our issuer's credentials.
    store = b.TrustStore(
        [
            *h.trust_store().keys,
            b.TrustedKey.from_jwk(h.other_key().public_jwk(), issuers=["https://other.example/i"]),
        ]
    )
    credential = b.build_status_list_credential(
        list_url=h.STATUS_LIST_URL,
        issuer_id="https://other.example/i",
        status_list=b.BitstringStatusList(),
        valid_from=datetime(2025, 4, 1, tzinfo=UTC),
    )
    list_token = b.sign_credential(credential, h.other_key())
    token = b.sign_credential(
        h.build(status=b.BitstringStatus(h.STATUS_LIST_URL, 1)), h.signing_key()
    )
    result = b.verify_credential(
        token,
        trust=store,
        now=h.FIXED_NOW,
        status=b.StatusDocuments({h.STATUS_LIST_URL: list_token}),
    )
    assert result.check("status").message_key == "status.list_untrusted"  # type: ignore[union-attr]


def test_index_beyond_list() -> None:
    token = b.sign_credential(
        h.build(status=b.BitstringStatus(h.STATUS_LIST_URL, 200_000)), h.signing_key()
    )
    status = b.StatusDocuments({h.STATUS_LIST_URL: _list_token([])})
    assert _status_check(token, status).message_key == "status.index_out_of_range"


# --------------------------------------------------------------------------- 1EdTech list


def test_revocation_list_document() -> None:
    document = b.build_revocation_list(
        list_url=h.REVOCATION_URL,
        issuer_id=h.PREFECTURE.id,
        revoked=["urn:uuid:b", "urn:uuid:a", "urn:uuid:b"],
    )
    assert document["type"] == "1EdTechRevocationList"
    assert document["id"] == h.REVOCATION_URL
    assert document["revokedCredential"] == [
        {"id": "urn:uuid:a", "revoked": True},
        {"id": "urn:uuid:b", "revoked": True},
    ]
    assert document["revokedCredentials"] == document["revokedCredential"]
    assert b.revoked_ids(document) == {"urn:uuid:a", "urn:uuid:b"}
    # Readers accept either member, "revoked" absent = revoked, false = not revoked.
    assert b.revoked_ids({"revokedCredentials": [{"id": "x"}, {"id": "y", "revoked": False}]}) == {
        "x"
    }
    with pytest.raises(b.BadgeStatusError):
        b.revoked_ids({"id": "x"})


@pytest.mark.parametrize(
    ("revoked", "expected"),
    [
        ([h.CREDENTIAL_ID.urn], ("fail", "status.revoked")),
        (["urn:uuid:other"], ("ok", "status.ok")),
    ],
)
def test_credential_against_revocation_list(revoked: list[str], expected: tuple[str, str]) -> None:
    token = b.sign_credential(h.build(), h.signing_key())
    document = b.build_revocation_list(
        list_url=h.REVOCATION_URL, issuer_id=h.PREFECTURE.id, revoked=revoked
    )
    for status in (b.StatusDocuments.from_documents([document]), lambda url: document):
        check = _status_check(token, status)
        assert (check.status, check.message_key) == expected


def test_missing_list_is_a_warning_unless_required() -> None:
    token = b.sign_credential(h.build(), h.signing_key())
    check = _status_check(token, None)
    assert (check.status, check.message_key) == ("warn", "status.unchecked")
    check = _status_check(token, b.StatusDocuments(), require_status=True)
    assert (check.status, check.message_key) == ("fail", "status.unchecked")


def test_status_documents_index_json_and_jws_by_id() -> None:
    document = b.build_revocation_list(
        list_url=h.REVOCATION_URL, issuer_id=h.PREFECTURE.id, revoked=[]
    )
    token = _list_token([])
    docs = b.StatusDocuments.from_documents([document, token, "not a token", {"no": "id"}])
    assert len(docs) == 2
    assert docs(h.REVOCATION_URL) is document
    assert docs(h.STATUS_LIST_URL) == token
    assert docs("https://unknown.example/") is None


def test_malformed_status_entries() -> None:
    payload = dict(h.token_parts(b.sign_credential(h.build(), h.signing_key()))[1])
    for status, key in (
        ({"type": "BitstringStatusListEntry", "statusListIndex": "x"}, "status.bad_entry"),
        ({"type": "StatusList2021Entry", "id": "https://x/"}, "status.unsupported_type"),
        ("https://x/", "status.bad_entry"),
    ):
        token = h.sign_raw(
            h.token_parts(b.sign_credential(h.build(), h.signing_key()))[0],
            dict(payload, credentialStatus=status),
        )
        result = b.verify_credential(token, trust=h.trust_store(), now=h.FIXED_NOW)
        assert result.check("status").message_key == key  # type: ignore[union-attr]
