"""The offline verifier: python -m badges verify FILE --trust TRUST.json [--status ...]."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import badges as b
from badges.cli import main
from tests.badges import helpers as h

TOKEN = (h.GOLDEN / "municipality.jws").read_text("ascii").strip()
NOW = ["--now", "2025-06-01T00:00:00Z"]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "trust": tmp_path / "jwks.json",
        "jws": tmp_path / "badge.jws",
        "png": tmp_path / "badge.png",
        "svg": tmp_path / "badge.svg",
        "revoked": tmp_path / "revocations-revoked.json",
        "clean": tmp_path / "revocations.json",
        "list": tmp_path / "status-list.jws",
        "bad_trust": tmp_path / "bad.json",
    }
    paths["trust"].write_bytes((h.GOLDEN / "jwks.json").read_bytes())
    paths["jws"].write_text(TOKEN + "\n", encoding="ascii")
    paths["png"].write_bytes((h.GOLDEN / "baked.png").read_bytes())
    paths["svg"].write_bytes((h.GOLDEN / "baked.svg").read_bytes())
    for name, revoked in (("revoked", [h.CREDENTIAL_ID.urn]), ("clean", [])):
        document = b.build_revocation_list(
            list_url=h.REVOCATION_URL, issuer_id=h.PREFECTURE.id, revoked=revoked
        )
        paths[name].write_bytes(b.credential_json(document))
    paths["list"].write_bytes((h.GOLDEN / "status-list.jws").read_bytes())
    paths["bad_trust"].write_text('{"keys": [{"kty": "RSA", "n": "x", "e": "AQAB", "d": "x"}]}')
    return paths


@pytest.mark.parametrize("kind", ["jws", "png", "svg"])
def test_valid_credential_exits_zero_with_japanese_report(
    files: dict[str, Path], kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "verify",
            str(files[kind]),
            "--trust",
            str(files["trust"]),
            "--status",
            str(files["clean"]),
            *NOW,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "[OK] 署名: 署名は有効です。" in out
    assert "[OK] 失効状態: 失効していません（1EdTechRevocationList）。" in out
    assert out.rstrip().endswith("この認定証は有効です。")


def test_english_and_json_output(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["verify", str(files["jws"]), "--trust", str(files["trust"]), "--lang", "en", *NOW])
        == 0
    )
    out = capsys.readouterr().out
    assert "[WARN] Status: Status not checked" in out
    assert out.rstrip().endswith("This credential is valid.")
    assert main(["verify", str(files["jws"]), "--trust", str(files["trust"]), "--json", *NOW]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True
    assert [c["code"] for c in report["checks"]][:4] == ["extract", "header", "key", "signature"]


def test_revoked_credential_exits_one(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "verify",
            str(files["png"]),
            "--trust",
            str(files["trust"]),
            "--status",
            str(files["revoked"]),
            "--status",
            str(files["list"]),
            *NOW,
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] 失効状態: この認定証は失効しています（1EdTechRevocationList）。" in out
    assert out.rstrip().endswith("この認定証は検証できませんでした。")


def test_require_status_and_clock(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            ["verify", str(files["jws"]), "--trust", str(files["trust"]), "--require-status", *NOW]
        )
        == 1
    )
    assert (
        main(
            [
                "verify",
                str(files["jws"]),
                "--trust",
                str(files["trust"]),
                "--now",
                "2025-01-01T00:00:00Z",
            ]
        )
        == 1
    )
    assert "まだ有効になっていません" in capsys.readouterr().out


def test_usage_errors_exit_two(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(files["jws"]), "--trust", str(files["bad_trust"])]) == 2
    assert "秘密鍵" in capsys.readouterr().err
    assert main(["verify", str(files["jws"]), "--trust", str(files["trust"]) + ".missing"]) == 2
    assert main(["verify", str(files["jws"]) + ".missing", "--trust", str(files["trust"])]) == 2
    assert (
        main(["verify", str(files["jws"]), "--trust", str(files["trust"]), "--now", "yesterday"])
        == 2
    )
    assert (
        main(
            [
                "verify",
                str(files["jws"]),
                "--trust",
                str(files["trust"]),
                "--status",
                str(files["png"]),
            ]
        )
        == 2
    )


def test_issuer_override(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    args = ["verify", str(files["jws"]), "--trust", str(files["trust"]), *NOW]
    assert main([*args, "--issuer", "https://other.example/issuers/1"]) == 1
    assert "信頼されていません" in capsys.readouterr().out
    assert main([*args, "--issuer", f"{h.BASE}/issuers/sapporo"]) == 0


def test_python_dash_m_entry_point(files: dict[str, Path]) -> None:
    completed = subprocess.run(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "badges",
            "verify",
            str(files["svg"]),
            "--trust",
            str(files["trust"]),
            "--lang",
            "en",
            *NOW,
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert "This credential is valid." in completed.stdout
