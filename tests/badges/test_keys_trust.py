"""Keys (PEM, JWK, JWKS, kid URLs) and the trust store (trust-file convention)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import badges as b
from badges.keys import PRIVATE_JWK_MEMBERS
from tests.badges import helpers as h


@pytest.fixture(scope="module")
def fresh_key() -> rsa.RSAPrivateKey:
    return b.generate_key()


def test_generate_encrypt_load_round_trip(fresh_key: rsa.RSAPrivateKey) -> None:
    assert fresh_key.key_size == 3072
    assert fresh_key.public_key().public_numbers().e == 65537
    pem = b.encrypt_private_key(fresh_key, b"correct horse")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = b.load_private_key(pem, b"correct horse")
    assert loaded.private_numbers() == fresh_key.private_numbers()
    with pytest.raises(b.BadgeKeyError) as info:
        b.load_private_key(pem, b"wrong")
    assert info.value.code == "key.bad_pem"
    with pytest.raises(b.BadgeKeyError):
        b.encrypt_private_key(fresh_key, b"")


def test_small_keys_are_refused() -> None:
    with pytest.raises(b.BadgeKeyError) as info:
        b.generate_key(2048)
    assert info.value.code == "key.too_small"
    small = rsa.generate_private_key(65537, 2048)
    with pytest.raises(b.BadgeKeyError):
        b.SigningKey(kid=h.KID, private_key=small)
    pem = b.encrypt_private_key(small, b"x")
    with pytest.raises(b.BadgeKeyError):
        b.load_private_key(pem, b"x")


def test_public_jwk_never_contains_private_members() -> None:
    jwk = h.signing_key().public_jwk()
    assert set(jwk) == {"kty", "n", "e", "kid", "alg", "use"}
    assert jwk["alg"] == "RS256" and jwk["use"] == "sig" and jwk["kid"] == h.KID
    assert jwk["e"] == "AQAB"
    assert not PRIVATE_JWK_MEMBERS.intersection(jwk)


def test_jwks_keeps_retired_keys_and_refuses_private_or_duplicate() -> None:
    current, retired = h.signing_key().public_jwk(), h.other_key().public_jwk()
    document = b.jwks([current, retired])
    assert [k["kid"] for k in document["keys"]] == [h.KID, h.OTHER_KID]
    with pytest.raises(b.BadgeKeyError) as info:
        b.jwks([dict(current, d="secret")])
    assert info.value.code == "key.private_member"
    with pytest.raises(b.BadgeKeyError) as info:
        b.jwks([current, current])
    assert info.value.code == "key.duplicate_kid"
    assert b.jwks([current], issuers=[h.PREFECTURE.id])["issuers"] == [h.PREFECTURE.id]


def test_kid_url_scheme() -> None:
    assert (
        b.kid_url("https://badges.example.lg.jp/", "2025-04")
        == "https://badges.example.lg.jp/keys/2025-04"
    )
    for base, key_id in (
        ("http://x.example", "k"),
        ("https://x.example", "a/b"),
        ("https://x", ""),
    ):
        with pytest.raises(b.BadgeKeyError):
            b.kid_url(base, key_id)
    with pytest.raises(b.BadgeKeyError):
        b.SigningKey(kid="http://insecure/keys/1", private_key=h.signing_key().private_key)


def test_rfc7638_thumbprint_vector() -> None:
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY"
        "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lF"
        "d2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert b.jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


# --------------------------------------------------------------------------- trust store


def _store(document: dict[str, Any], issuers: list[str] | None = None) -> b.TrustStore:
    return b.TrustStore.from_jwks(json.dumps(document), issuers=issuers)


@pytest.mark.parametrize(
    ("issuer", "trusted"),
    [
        (f"{h.BASE}/issuers/sapporo", True),
        (f"{h.BASE}/issuers/hokkaido", True),
        ("https://BADGES.test.hokkaido.example/issuers/x", True),
        ("https://badges.test.hokkaido.example:443/issuers/x", True),
        ("http://badges.test.hokkaido.example/issuers/x", False),
        ("https://badges.test.hokkaido.example.evil.example/issuers/x", False),
        ("https://evil@badges.test.hokkaido.example/issuers/x", False),
        ("https://badges.test.hokkaido.example:8443/issuers/x", False),
        ("did:web:badges.test.hokkaido.example", False),
    ],
)
def test_same_origin_rule(issuer: str, trusted: bool) -> None:
    [key] = _store(b.jwks([h.signing_key().public_jwk()])).keys
    assert key.trusts(issuer) is trusted


def test_explicit_issuers_member_and_override() -> None:
    jwk = h.signing_key().public_jwk()
    listed = _store(b.jwks([jwk], issuers=["https://other.example/issuers/1"]))
    assert listed.keys[0].trusts("https://other.example/issuers/1")
    assert not listed.keys[0].trusts(
        f"{h.BASE}/issuers/sapporo"
    )  # the list replaces the origin rule
    override = _store(
        b.jwks([jwk], issuers=["https://other.example/issuers/1"]), issuers=[h.PREFECTURE.id]
    )
    assert override.keys[0].trusts(h.PREFECTURE.id)
    assert not override.keys[0].trusts("https://other.example/issuers/1")


def test_keys_without_https_kid_are_trusted_for_nobody_by_default() -> None:
    jwk = dict(h.signing_key().public_jwk(), kid="key-1")
    [key] = _store({"keys": [jwk]}).keys
    assert not key.trusts(h.PREFECTURE.id)


def test_trust_file_errors() -> None:
    jwk = h.signing_key().public_jwk()
    for document, code in (
        ({"keys": [dict(jwk, d="AQAB")]}, "trust.private_key"),
        ({"keys": [jwk, jwk]}, "trust.duplicate_kid"),
        ({"nokeys": []}, "trust.bad_file"),
        ({"keys": [jwk], "issuers": "https://x"}, "trust.bad_file"),
        ({"keys": ["x"]}, "trust.bad_file"),
    ):
        with pytest.raises(b.BadgeTrustError) as info:
            _store(document)
        assert info.value.code == code
    with pytest.raises(b.BadgeInputError):
        b.TrustStore.from_jwks(b'{"keys": [], "keys": []}')


def test_unsupported_keys_are_skipped_not_fatal() -> None:
    jwk = h.signing_key().public_jwk()
    okp = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        "kid": "ed",
    }
    weak = rsa.generate_private_key(65537, 1024)  # noqa: S505 - a too-small key is the point
    small = b.public_jwk(weak, f"{h.BASE}/keys/small")
    store = _store({"keys": [jwk, okp, small]})
    assert len(store) == 1
    assert store.skipped == ("ed", f"{h.BASE}/keys/small")


def test_rotation_keeps_retired_keys_verifiable() -> None:
    old_key = b.SigningKey(kid=h.OTHER_KID, private_key=h.other_key().private_key)
    old_token = b.sign_credential(h.build(), old_key)
    new_token = b.sign_credential(h.build(), h.signing_key())
    store = b.TrustStore.from_jwks(b.jwks([h.signing_key().public_jwk(), old_key.public_jwk()]))
    for token in (old_token, new_token):
        assert b.verify_credential(token, trust=store, now=h.FIXED_NOW).valid
    # Without the retired key, old credentials stop verifying.
    assert not b.verify_credential(old_token, trust=h.trust_store(), now=h.FIXED_NOW).valid


def test_resolve_rules() -> None:
    store = h.trust_store()
    issuer = f"{h.BASE}/issuers/sapporo"
    trusted = h.signing_key().public_jwk()
    assert store.resolve(issuer=issuer, alg="RS256", kid=h.KID, jwk=None).kid == h.KID
    assert store.resolve(issuer=issuer, alg="RS256", kid=None, jwk=trusted).kid == h.KID
    # Thumbprint match: extra members (kid, alg, use) do not matter.
    bare = {k: trusted[k] for k in ("kty", "n", "e")}
    assert store.resolve(issuer=issuer, alg="RS256", kid=None, jwk=bare).kid == h.KID
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kid": h.OTHER_KID, "jwk": None}, "key.unknown_kid"),
        ({"kid": None, "jwk": h.other_key().public_jwk()}, "key.untrusted_jwk"),
        ({"kid": h.KID, "jwk": h.other_key().public_jwk()}, "key.jwk_mismatch"),
        ({"kid": None, "jwk": None}, "header.no_key"),
        ({"kid": None, "jwk": {"kty": "RSA"}}, "key.bad_jwk"),
    ]
    for kwargs, code in cases:
        with pytest.raises(b.BadgeError) as info:
            store.resolve(issuer=issuer, alg="RS256", **kwargs)
        assert info.value.code == code
    with pytest.raises(b.BadgeError) as info:
        store.resolve(issuer="https://evil.example/i", alg="RS256", kid=h.KID, jwk=None)
    assert info.value.code == "key.issuer_not_trusted"
    with pytest.raises(b.BadgeError) as info:
        store.resolve(issuer=issuer, alg="ES256", kid=h.KID, jwk=None)
    assert info.value.code == "key.alg_mismatch"


@pytest.mark.parametrize(
    ("jwk", "code"),
    [
        ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "key.too_small"),
        ({"kty": "RSA", "e": "AQAB"}, "key.bad_jwk"),
        ({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}, "key.unsupported"),
        ({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, "key.bad_jwk"),
        ({"kty": "oct", "k": "c2VjcmV0"}, "key.private_member"),
    ],
)
def test_bad_jwks_are_rejected(jwk: dict[str, Any], code: str) -> None:
    with pytest.raises(b.BadgeKeyError) as info:
        b.TrustedKey.from_jwk(jwk, issuers=["https://x.example/"])
    assert info.value.code == code


def test_jwk_alg_and_use_must_fit() -> None:
    jwk = h.signing_key().public_jwk()
    for bad in (dict(jwk, alg="PS256"), dict(jwk, use="enc")):
        with pytest.raises(b.BadgeKeyError):
            b.TrustedKey.from_jwk(bad)
