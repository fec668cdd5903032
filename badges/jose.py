"""Minimal, strict JOSE pieces: base64url, strict JSON, compact JWS encode/decode.

Signing and verification use ``cryptography`` directly (pyjwt is used by the tests as an
independent cross-check).  Decoding is strict: canonical base64url only, UTF-8 only,
no duplicate JSON members, no NaN/Infinity, objects only, bounded size.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any, NamedTuple

from badges.errors import BadgeInputError

__all__ = [
    "MAX_TOKEN_BYTES",
    "DecodedJws",
    "b64url_decode",
    "b64url_encode",
    "decode_compact",
    "dumps_compact",
    "loads_strict",
]

#: Upper bound for a compact JWS (and for a JSON credential) accepted by the verifier.
MAX_TOKEN_BYTES = 256 * 1024

_PADDING = {0: "", 2: "==", 3: "="}
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode canonical unpadded base64url.

    Rejects padding, characters outside the alphabet, impossible lengths and non-zero
    trailing bits, so that every encoded string maps to exactly one byte string.

    :raises ValueError: if ``text`` is not canonical base64url.
    """
    rem = len(text) % 4
    # The standard alphabet's '+' and '/' are refused here, so that mapping '-' and '_' onto
    # them below cannot let a standard-alphabet string through.  (str.replace and these
    # membership tests are single fast passes; bytes.translate was several times slower.)
    if rem == 1 or "=" in text or "+" in text or "/" in text:
        raise ValueError("not base64url")
    try:
        # Strict mode refuses anything outside the standard alphabet (and non-ASCII text).
        raw = binascii.a2b_base64(
            text.replace("-", "+").replace("_", "/") + _PADDING[rem], strict_mode=True
        )
    except ValueError as exc:  # binascii.Error is a ValueError
        raise ValueError("not base64url") from exc
    if rem == 2 and _INDEX[text[-1]] & 0x0F:
        raise ValueError("non-canonical base64url")
    if rem == 3 and _INDEX[text[-1]] & 0x03:
        raise ValueError("non-canonical base64url")
    return raw


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


# One decoder instance: json.loads(**kw) would build a new decoder and scanner per call.
_DECODER = json.JSONDecoder(object_pairs_hook=_pairs_hook, parse_constant=_reject_constant)
# Its C scanner, called directly (JSONDecoder.decode adds two regex matches per call).
# ``scan_once`` is set by JSONDecoder.__init__ but typeshed does not declare it.
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
_JSON_WHITESPACE = " \t\n\r"


def _parse_json(text: str) -> Any:
    """``_DECODER.decode(text)`` without its Python-level overhead (same acceptance)."""
    start = len(text) - len(text.lstrip(_JSON_WHITESPACE))
    try:
        value, end = _SCAN(text, start)
    except StopIteration as exc:  # no value at ``start``
        raise ValueError("expecting value") from exc
    if end != len(text) and text[end:].strip(_JSON_WHITESPACE):
        raise ValueError("extra data")
    return value


def loads_strict(data: bytes | str, *, what: str = "json") -> Any:
    """Parse JSON strictly: UTF-8, no duplicate keys, no NaN/Infinity.

    :raises BadgeInputError: ``input.not_utf8``, ``input.duplicate_key`` or ``input.bad_json``.
    """
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadgeInputError("input.not_utf8", {"part": what}) from exc
    else:
        text = data
    try:
        return _parse_json(text)
    except _DuplicateKeyError as exc:
        raise BadgeInputError("input.duplicate_key", {"part": what, "key": exc.key[:64]}) from exc
    except (ValueError, RecursionError) as exc:
        raise BadgeInputError("input.bad_json", {"part": what}) from exc


def dumps_compact(obj: Any) -> bytes:
    """Serialise for signing: compact separators, UTF-8, non-ASCII kept as-is."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class DecodedJws(NamedTuple):
    """A parsed (not yet verified) compact JWS."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes
    #: The base64url header segment (lets callers cache per-header work).
    header_segment: str = ""


def decode_compact(token: str | bytes) -> DecodedJws:
    """Split and decode a compact JWS without verifying it.

    :raises BadgeInputError: ``input.too_large``, ``input.not_utf8``, ``jws.malformed``,
        ``jws.bad_base64``, ``input.bad_json``, ``input.duplicate_key``, ``jws.not_object``.
    """
    if len(token) > MAX_TOKEN_BYTES:
        raise BadgeInputError("input.too_large", {"size": len(token), "limit": MAX_TOKEN_BYTES})
    if isinstance(token, bytes):
        try:
            token = token.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadgeInputError("input.not_utf8", {"part": "token"}) from exc
    token = token.strip()
    if not token.isascii():
        raise BadgeInputError("jws.malformed", {"reason": "non-ascii"})
    # Three find() calls instead of split(): memchr-fast, and no list of copies.
    first = token.find(".")
    second = token.find(".", first + 1) if first >= 0 else -1
    if second < 0 or token.find(".", second + 1) >= 0:
        segments = token.count(".") + 1
        raise BadgeInputError("jws.malformed", {"reason": f"{segments} segments"})
    h64, p64, s64 = token[:first], token[first + 1 : second], token[second + 1 :]
    header = decode_header(h64)
    payload = _decode_segment(p64, "payload")
    try:
        signature = b64url_decode(s64)
    except ValueError as exc:
        raise BadgeInputError("jws.bad_base64", {"part": "signature"}) from exc
    return DecodedJws(
        header=header,
        payload=payload,
        signing_input=token[:second].encode("ascii"),
        signature=signature,
        header_segment=h64,
    )


def _decode_segment(segment: str, part: str) -> dict[str, Any]:
    try:
        raw = b64url_decode(segment)
    except ValueError as exc:
        raise BadgeInputError("jws.bad_base64", {"part": part}) from exc
    value = loads_strict(raw, what=part)
    if not isinstance(value, dict):
        raise BadgeInputError("jws.not_object", {"part": part})
    return value


def decode_header(segment: str) -> dict[str, Any]:
    """Decode a JOSE header segment (cached per segment; returns a fresh dict).

    :raises BadgeInputError: as :func:`decode_compact`.
    """
    return dict(_decode_header(segment))


@lru_cache(maxsize=256)
def _decode_header(segment: str) -> tuple[tuple[str, Any], ...]:
    # Headers repeat across all tokens of one key; cache the parse (as immutable items).
    return tuple(_decode_segment(segment, "header").items())
