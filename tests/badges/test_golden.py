"""Golden credentials: fixed key + fixed clock, rebuilt and compared byte for byte."""

from __future__ import annotations

import json

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm

import badges as b
from badges.jose import b64url_decode
from tests.badges import helpers as h
from tests.badges.golden import make_golden as g

NAMES = list(g.golden_credentials())


@pytest.mark.parametrize("name", NAMES)
def test_credential_json_is_byte_identical(name: str) -> None:
    credential = g.golden_credentials()[name]
    assert b.credential_json(credential) == (h.GOLDEN / f"{name}.credential.json").read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_jws_is_byte_identical_and_verifies(name: str) -> None:
    credential = g.golden_credentials()[name]
    token = b.sign_credential(credential, h.signing_key())
    assert token + "\n" == (h.GOLDEN / f"{name}.jws").read_text("ascii")
    status = b.StatusDocuments.from_documents(
        [g.revocation_list(), (h.GOLDEN / "status-list.jws").read_text("ascii").strip()]
    )
    result = b.verify_credential(
        token, trust=h.trust_store(), now=h.FIXED_NOW, status=status, require_status=True
    )
    assert result.valid, result.report("en")
    assert [c.status for c in result.checks] == ["ok"] * len(result.checks)
    assert result.credential == credential


def test_header_is_exact() -> None:
    token = (h.GOLDEN / "municipality.jws").read_text("ascii").strip()
    header = b64url_decode(token.split(".")[0])
    assert header == (
        b'{"alg":"RS256","kid":"https://badges.test.hokkaido.example/keys/test-2025","typ":"JWT"}'
    )


def test_payload_is_credential_plus_claims() -> None:
    token = (h.GOLDEN / "prefecture-expiring.jws").read_text("ascii").strip()
    credential = json.loads((h.GOLDEN / "prefecture-expiring.credential.json").read_bytes())
    _, payload = h.token_parts(token)
    claims = {k: payload.pop(k) for k in ("iss", "jti", "sub", "nbf", "exp")}
    assert payload == credential
    assert list(h.token_parts(token)[1])[-5:] == ["iss", "jti", "sub", "nbf", "exp"]
    assert claims == {
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": 1743499815,  # 2025-04-01T09:30:15Z
        "exp": 1838127599,  # 2028-03-31T14:59:59Z
    }


@pytest.mark.parametrize("name", NAMES)
def test_pyjwt_independently_verifies_our_tokens(name: str) -> None:
    token = (h.GOLDEN / f"{name}.jws").read_text("ascii").strip()
    jwk = json.loads((h.GOLDEN / "jwks.json").read_text("utf-8"))["keys"][0]
    key = RSAAlgorithm.from_jwk(jwk)
    decoded = jwt.decode(token, key, algorithms=["RS256"], options={"verify_exp": False})  # type: ignore[arg-type]
    assert decoded["jti"].startswith("urn:uuid:")


def test_status_documents_are_byte_identical() -> None:
    assert b.credential_json(g.revocation_list()) == (h.GOLDEN / "revocations.json").read_bytes()
    status = g.status_list_credential()
    assert b.credential_json(status) == (h.GOLDEN / "status-list.credential.json").read_bytes()
    token = b.sign_credential(status, h.signing_key())
    assert token + "\n" == (h.GOLDEN / "status-list.jws").read_text("ascii")


def test_baked_images_are_byte_identical() -> None:
    token = (h.GOLDEN / "municipality.jws").read_text("ascii").strip()
    assert (
        b.bake_png((h.GOLDEN / "base.png").read_bytes(), token)
        == (h.GOLDEN / "baked.png").read_bytes()
    )
    assert (
        b.bake_svg((h.GOLDEN / "base.svg").read_bytes(), token)
        == (h.GOLDEN / "baked.svg").read_bytes()
    )


def test_trust_file_is_public_only() -> None:
    document = json.loads((h.GOLDEN / "jwks.json").read_text("utf-8"))
    [key] = document["keys"]
    assert set(key) == {"kty", "n", "e", "kid", "alg", "use"}
    assert key["kid"] == h.KID
    assert key == h.signing_key().public_jwk()
