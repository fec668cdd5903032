"""Shared inputs for the badges tests and the golden-file generator (no Flask needed)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

import badges as b
from badges.jose import b64url_decode, b64url_encode

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
REPO_ROOT = Path(__file__).resolve().parents[2]
# The shared reference set sits beside the repository root (CI clones it there too).
REF = (REPO_ROOT / ".." / "shared" / "reference" / "openbadges").resolve()
EXAMPLES = REF / "examples"
SCHEMAS = REF / "schema"

PASSPHRASE = b"test-only-not-a-secret"
BASE = "https://badges.test.hokkaido.example"
KID = f"{BASE}/keys/test-2025"
OTHER_KID = f"{BASE}/keys/test-2024"
FIXED_NOW = datetime(2025, 6, 1, 0, 0, tzinfo=UTC)
ISSUED_AT = datetime(2025, 4, 1, 9, 30, 15, 123456, tzinfo=UTC)  # micros are dropped

PREFECTURE = b.IssuerProfile(
    id=f"{BASE}/issuers/hokkaido",
    name="北海道 総務部 職員研修",
    url="https://www.pref.hokkaido.lg.jp/",
    description="北海道庁のデジタル人材育成プログラム",
)
MUNICIPALITY = b.IssuerProfile(
    id=f"{BASE}/issuers/sapporo",
    name="札幌市 デジタル戦略推進局",
    url="https://www.city.sapporo.jp/",
    parent=PREFECTURE,
)
ALIGNMENTS = (
    b.Alignment(
        target_name="ティア2 実践",
        target_url=f"{BASE}/frameworks/tier/2",
        target_type="ext:Tier",
        target_framework="北海道デジタル人材ティア",
        target_code="T2",
    ),
    b.Alignment(
        target_name="係長級",
        target_url=f"{BASE}/frameworks/staff-level/3",
        target_type="ext:StaffLevel",
        target_framework="北海道職員階層",
        target_code="L3",
    ),
    b.Alignment(
        target_name="データ活用",
        target_url=f"{BASE}/frameworks/dss/data-utilisation",
        target_type="ext:DSSItem",
        target_framework="デジタルスキル標準 (DSS)",
        target_code="DSS-DA-01",
        target_description="データを活用して業務課題を解決する",
    ),
)
ACHIEVEMENT = b.AchievementSpec(
    id=f"{BASE}/achievements/dx-practice",
    name="DX実践研修 修了",
    description="行政サービスのデジタル化を企画・推進する力を身につける研修の修了を証明します。",
    criteria_narrative="全8モジュールを修了し、最終課題が合格基準を満たすこと。",
    criteria_url=f"{BASE}/achievements/dx-practice/criteria",
    image=f"{BASE}/images/dx-practice.png",
    image_caption="DX実践研修 修了バッジ",
    achievement_type="CertificateOfCompletion",
    alignments=ALIGNMENTS,
    human_code="DX-201",
)
RECIPIENT = b.Recipient.from_email(
    uuid.UUID("0b6f2d1c-8a4e-4c3b-9f1e-2d3c4b5a6978"), "Hokkaido.Taro@pref.hokkaido.lg.jp", "c3a1f0"
)
CREDENTIAL_ID = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f")
PREVIOUS_ID = uuid.UUID("11111111-2222-4333-8444-555555555555")
REVOCATION_URL = f"{BASE}/status/revocations"
STATUS_LIST_URL = f"{BASE}/status/lists/1"


@cache
def signing_key() -> b.SigningKey:
    """The committed golden RSA-3072 test key (TEST ONLY)."""
    return b.SigningKey.from_pem((GOLDEN / "test-issuer-key.pem").read_bytes(), PASSPHRASE, KID)


@cache
def other_key() -> b.SigningKey:
    """A second committed RSA-3072 test key (untrusted unless a test trusts it)."""
    return b.SigningKey.from_pem(
        (GOLDEN / "test-other-key.pem").read_bytes(), PASSPHRASE, OTHER_KID
    )


def trust_store() -> b.TrustStore:
    """Trust file convention: only the issuer key, same-origin issuers."""
    return b.TrustStore.from_jwks(b.jwks([signing_key().public_jwk()]))


def build(**overrides: Any) -> dict[str, Any]:
    """The standard municipality credential, with keyword overrides for build_credential."""
    args: dict[str, Any] = {
        "credential_id": CREDENTIAL_ID,
        "issuer": MUNICIPALITY,
        "achievement": ACHIEVEMENT,
        "recipient": RECIPIENT,
        "valid_from": ISSUED_AT,
        "status": b.RevocationListStatus(REVOCATION_URL),
        "evidence": (
            b.EvidenceItem(
                id=f"{BASE}/evidence/6f1c2d3e/report",
                name="最終課題レポート",
                narrative="札幌市の窓口予約をオンライン化する計画書を作成した。",
                genre="Report",
            ),
        ),
    }
    args.update(overrides)
    return b.build_credential(**args)


def sign_raw(
    header: dict[str, Any] | bytes,
    payload: dict[str, Any] | bytes,
    key: b.SigningKey | None = None,
) -> str:
    """Sign arbitrary header/payload bytes with RS256 (for forged-token tests)."""
    key = key or signing_key()
    h = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    p = (
        payload
        if isinstance(payload, bytes)
        else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    )
    signing_input = f"{b64url_encode(h)}.{b64url_encode(p)}"
    return f"{signing_input}.{b64url_encode(key.sign(signing_input.encode()))}"


def token_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decode header and payload of a compact JWS without verifying."""
    h, p, _ = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p))


@cache
def reference_validator(variant: str, name: str = "achievementcredential") -> Any:
    """jsonschema validator over the SHARED reference schema files (not the vendored ones)."""
    folder = {"strict": "strict-2024-09", "purl": "purl-json-2026"}[variant]
    schema = json.loads((SCHEMAS / folder / f"ob_v3p0_{name}_schema.json").read_text("utf-8"))
    return jsonschema.Draft201909Validator(schema)


def embedded_jwk_trust(token: str) -> b.TrustStore:
    """Trust the token's own embedded jwk for its iss (used for third-party examples)."""
    header, payload = token_parts(token)
    return b.TrustStore([b.TrustedKey.from_jwk(header["jwk"], issuers=[payload["iss"]])])
