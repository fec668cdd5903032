"""Regenerate the golden files (TEST ONLY).  Run: .venv/bin/python tests/badges/golden/make_golden.py

The test suite (tests/badges/test_golden.py) rebuilds everything here from the same inputs
and compares byte for byte, so only run this when the output format changes on purpose,
and review the diff.  ``base.png``/``base.svg`` are created once and then kept.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

import badges as b  # noqa: E402
from tests.badges import helpers as h  # noqa: E402

OUT = Path(__file__).resolve().parent
VALID_UNTIL = datetime(2028, 3, 31, 14, 59, 59, tzinfo=UTC)


def golden_credentials() -> dict[str, dict[str, Any]]:
    """name -> credential, all from fixed inputs."""
    return {
        "municipality": h.build(),
        "prefecture-expiring": h.build(
            credential_id="urn:uuid:2a7e0c55-3b1d-4f6e-9a8b-7c6d5e4f3a2b",
            issuer=h.PREFECTURE,
            valid_until=VALID_UNTIL,
            status=b.BitstringStatus(h.STATUS_LIST_URL, 22),
            evidence=(),
        ),
        "renewal": h.build(
            credential_id="urn:uuid:3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
            previous_credential_id=h.PREVIOUS_ID,
        ),
    }


def revocation_list() -> dict[str, Any]:
    return b.build_revocation_list(
        list_url=h.REVOCATION_URL, issuer_id=h.PREFECTURE.id, revoked=[h.PREVIOUS_ID.urn]
    )


def status_list_credential() -> dict[str, Any]:
    return b.build_status_list_credential(
        list_url=h.STATUS_LIST_URL,
        issuer_id=h.PREFECTURE.id,
        status_list=b.BitstringStatusList(set_bits=[23]),
        valid_from=datetime(2025, 4, 1, tzinfo=UTC),
    )


def base_png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, 60, 60), fill=(0, 94, 184, 255))
    draw.rectangle((24, 20, 40, 44), fill=(255, 255, 255, 255))
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


BASE_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<!-- 北海道 DX実践研修 修了バッジ (test fixture) -->
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
  <title>DX実践研修 修了</title>
  <circle cx="32" cy="32" r="28" fill="#005eb8"/>
  <text x="32" y="38" font-size="12" text-anchor="middle" fill="#fff">DX</text>
</svg>
"""


def main() -> None:
    key = h.signing_key()
    tokens: dict[str, str] = {}
    for name, credential in golden_credentials().items():
        (OUT / f"{name}.credential.json").write_bytes(b.credential_json(credential))
        tokens[name] = b.sign_credential(credential, key)
        (OUT / f"{name}.jws").write_text(tokens[name] + "\n", encoding="ascii")
    (OUT / "revocations.json").write_bytes(b.credential_json(revocation_list()))
    status = status_list_credential()
    (OUT / "status-list.credential.json").write_bytes(b.credential_json(status))
    (OUT / "status-list.jws").write_text(b.sign_credential(status, key) + "\n", encoding="ascii")
    jwks = b.jwks([key.public_jwk()])
    (OUT / "jwks.json").write_text(json.dumps(jwks, indent=2) + "\n", encoding="utf-8")
    if not (OUT / "base.png").exists():
        (OUT / "base.png").write_bytes(base_png())
    if not (OUT / "base.svg").exists():
        (OUT / "base.svg").write_text(BASE_SVG, encoding="utf-8")
    (OUT / "baked.png").write_bytes(
        b.bake_png((OUT / "base.png").read_bytes(), tokens["municipality"])
    )
    (OUT / "baked.svg").write_bytes(
        b.bake_svg((OUT / "base.svg").read_bytes(), tokens["municipality"])
    )
    print("golden files written to", OUT)


if __name__ == "__main__":
    main()
