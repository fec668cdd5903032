"""Offline verifier for closed networks (LGWAN terminals).

Usage::

    python -m badges verify FILE --trust TRUST.json [--status STATUS ...]
                                 [--lang en] [--now 2025-04-01T09:00:00Z]
                                 [--issuer ISSUER_ID ...] [--require-status] [--json]

FILE is a baked ``.png``/``.svg``, a ``.jws``/``.jwt`` compact JWS or a ``.json``
credential.  TRUST.json is the JWKS the portal publishes (``/.well-known/jwks.json``).
STATUS files are the published revocation list JSON and/or the bitstring status list JWS.
Exit status: 0 valid, 1 not valid, 2 usage or trust/status file error.

This module is the edge of the library: it alone reads files and the system clock.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from badges._time import parse_datetime_z
from badges.bake import MAX_INPUT_BYTES
from badges.errors import BadgeError
from badges.jose import MAX_TOKEN_BYTES, loads_strict
from badges.messages import message
from badges.status import StatusDocuments
from badges.trust import TrustStore
from badges.verify import verify_credential

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m badges", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify", help="verify a credential file offline")
    verify.add_argument("file", type=Path, help=".png, .svg, .jws, .jwt or .json")
    verify.add_argument("--trust", type=Path, required=True, help="JWKS trust file")
    verify.add_argument(
        "--status", type=Path, action="append", default=[], help="revocation/status list file"
    )
    verify.add_argument("--lang", choices=("ja", "en"), default="ja")
    verify.add_argument("--now", help="verification time, e.g. 2025-04-01T09:00:00Z")
    verify.add_argument(
        "--issuer", action="append", default=None, help="override trusted issuer ids"
    )
    verify.add_argument("--require-status", action="store_true", help="fail without a list")
    verify.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _read(path: Path, limit: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(limit + 1)


def _load_status(path: Path) -> dict[str, Any] | str:
    raw = _read(path, MAX_TOKEN_BYTES * 4)
    text = raw.decode("utf-8").removeprefix("\ufeff").strip()
    if text.startswith("{"):
        document = loads_strict(text, what="status")
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        return document
    return text


def run_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Execute the ``verify`` command; returns the exit status."""
    lang: str = args.lang
    if args.now:
        when = parse_datetime_z(args.now)
        if when is None:
            print(message("cli.bad_now", lang), file=err)
            return EXIT_USAGE
        now = when
    else:
        now = datetime.now(UTC)
    try:
        trust = TrustStore.from_jwks(_read(args.trust, MAX_TOKEN_BYTES * 4), issuers=args.issuer)
    except OSError:
        print(message("cli.read_error", lang, {"path": str(args.trust)}), file=err)
        return EXIT_USAGE
    except BadgeError as exc:
        print(message("cli.trust_error", lang, {"error": exc.message(lang)}), file=err)
        return EXIT_USAGE
    if trust.skipped:
        print(message("cli.skipped_keys", lang, {"kids": ", ".join(trust.skipped)}), file=err)
    documents: list[dict[str, Any] | str] = []
    for path in args.status:
        try:
            documents.append(_load_status(path))
        except (OSError, ValueError, BadgeError) as exc:
            detail = exc.message(lang) if isinstance(exc, BadgeError) else type(exc).__name__
            print(message("cli.status_error", lang, {"path": str(path), "error": detail}), file=err)
            return EXIT_USAGE
    try:
        data = _read(args.file, MAX_INPUT_BYTES)
    except OSError:
        print(message("cli.read_error", lang, {"path": str(args.file)}), file=err)
        return EXIT_USAGE
    result = verify_credential(
        data,
        trust=trust,
        now=now,
        status=StatusDocuments.from_documents(documents) if documents else None,
        require_status=args.require_status,
    )
    if args.json:
        payload = {
            "valid": result.valid,
            "checks": [
                {
                    "code": c.code,
                    "status": c.status,
                    "message_key": c.message_key,
                    "params": dict(c.params),
                    "message": c.message(lang),
                }
                for c in result.checks
            ],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2), file=out)
    else:
        print(str(args.file), file=out)
        for line in result.report(lang):
            print("  " + line, file=out)
        print(message("result.valid" if result.valid else "result.invalid", lang), file=out)
    return EXIT_VALID if result.valid else EXIT_INVALID


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the process exit status."""
    args = _parser().parse_args(argv)
    if args.command == "verify":
        return run_verify(args, sys.stdout, sys.stderr)
    return EXIT_USAGE  # pragma: no cover - argparse enforces the sub-command
