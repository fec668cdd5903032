"""Bake a compact JWS into PNG/SVG badge images and extract it again.

PNG work is byte-level chunk surgery (no image decoding, IDAT is never inflated), so it is
fast and safe against decompression bombs.  SVG is parsed with the standard library's
expat-based parser only after DOCTYPE internal subsets and entity declarations have been
refused; external DTDs are never fetched.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from typing import Literal
from xml.etree import ElementTree

from badges.errors import BadgeImageError, BadgeInputError
from badges.jose import MAX_TOKEN_BYTES

InputKind = Literal["png", "svg", "jws", "json"]

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_PNG_BYTES",
    "MAX_SVG_BYTES",
    "OB3_SVG_NAMESPACE",
    "BakedCredential",
    "InputKind",
    "bake_png",
    "bake_svg",
    "extract_any",
    "extract_png",
    "extract_svg",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Largest PNG we bake or extract from.
MAX_PNG_BYTES = 8 * 1024 * 1024
#: Most chunks we accept in one PNG.
MAX_PNG_CHUNKS = 10_000
#: Largest width/height in IHDR (badges are small; this refuses pixel bombs early).
MAX_PNG_DIMENSION = 8192
#: Largest SVG we bake or extract from.
MAX_SVG_BYTES = 2 * 1024 * 1024
#: Largest input of any kind (a baked image); tokens themselves are limited to 256 KiB.
MAX_INPUT_BYTES = MAX_PNG_BYTES

OB3_KEYWORD = b"openbadgecredential"
OB2_KEYWORD = b"openbadges"
OB3_SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
OB2_SVG_NAMESPACE = "http://openbadges.org"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"

_CHUNK_TYPE = re.compile(rb"[A-Za-z]{4}")
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", re.ASCII)


@dataclass(frozen=True)
class BakedCredential:
    """Extracted credential text and where it came from (``png``/``svg``/``jws``/``json``).

    ``text`` is a compact JWS or, for embedded-proof badges, JSON.  ``ob_version`` is
    ``"3.0"`` (``openbadgecredential``) or ``"2.0"`` (``openbadges`` assertion).
    """

    text: str
    kind: InputKind
    ob_version: Literal["3.0", "2.0"]


# --------------------------------------------------------------------------- PNG


def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """Validate a PNG's chunk structure; return ``(type, start, end)`` for every chunk.

    ``start`` is the offset of the length field and ``end`` one past the CRC.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise BadgeImageError("png.not_png")
    size = len(data)
    if size > MAX_PNG_BYTES:
        raise BadgeImageError("png.too_large", {"size": size, "limit": MAX_PNG_BYTES})
    if data[:8] != PNG_SIGNATURE:
        raise BadgeImageError("png.not_png")
    view = memoryview(data)
    chunks: list[tuple[bytes, int, int]] = []
    pos = 8
    unpack = struct.unpack_from
    crc32 = zlib.crc32
    while True:
        if pos == size:
            raise BadgeImageError("png.truncated")
        if pos + 12 > size:
            raise BadgeImageError("png.truncated")
        (length,) = unpack(">I", data, pos)
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > size:
            raise BadgeImageError("png.truncated")
        ctype = bytes(view[pos + 4 : pos + 8])
        if not _CHUNK_TYPE.fullmatch(ctype):
            raise BadgeImageError("png.corrupt", {"reason": "chunk type"})
        (crc,) = unpack(">I", data, end - 4)
        if crc32(view[pos + 4 : end - 4]) != crc:
            raise BadgeImageError("png.crc_mismatch", {"chunk": ctype.decode("ascii")})
        if not chunks:
            if ctype != b"IHDR" or length != 13:
                raise BadgeImageError("png.corrupt", {"reason": "IHDR"})
            width, height = unpack(">II", data, pos + 8)
            if not (0 < width <= MAX_PNG_DIMENSION and 0 < height <= MAX_PNG_DIMENSION):
                raise BadgeImageError("png.too_many_pixels", {"width": width, "height": height})
        chunks.append((ctype, pos, end))
        if len(chunks) > MAX_PNG_CHUNKS:
            raise BadgeImageError("png.too_many_chunks", {"limit": MAX_PNG_CHUNKS})
        pos = end
        if ctype == b"IEND":
            if length != 0:
                raise BadgeImageError("png.corrupt", {"reason": "IEND"})
            if pos != size:
                raise BadgeImageError("png.trailing_data")
            return chunks


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + ctype
        + body
        + struct.pack(">I", zlib.crc32(body, zlib.crc32(ctype)))
    )


def _check_token_text(text: str) -> bytes:
    if not isinstance(text, str) or not text:
        raise BadgeImageError("bake.bad_token", {"reason": "empty"})
    raw = text.encode("utf-8")
    if len(raw) > MAX_TOKEN_BYTES:
        raise BadgeImageError("input.too_large", {"size": len(raw), "limit": MAX_TOKEN_BYTES})
    if b"\x00" in raw:
        raise BadgeImageError("bake.bad_token", {"reason": "NUL"})
    return raw


def bake_png(png: bytes, token: str) -> bytes:
    """Return ``png`` with exactly one ``iTXt openbadgecredential`` chunk holding ``token``.

    The chunk is uncompressed (flag 0, method 0) with empty language tag and translated
    keyword, placed immediately before ``IEND``; any existing ``openbadgecredential``
    chunk is removed.  The pixels are untouched (no re-encoding).

    :raises BadgeImageError: ``png.*`` for a corrupt/oversized PNG, ``bake.bad_token``.
    """
    body = OB3_KEYWORD + b"\x00\x00\x00\x00\x00" + _check_token_text(token)
    chunks = _png_chunks(png)
    view = memoryview(png)
    parts: list[bytes | memoryview] = [PNG_SIGNATURE]
    for ctype, start, end in chunks:
        if ctype == b"iTXt" and bytes(view[start + 8 : start + 8 + len(OB3_KEYWORD) + 1]) == (
            OB3_KEYWORD + b"\x00"
        ):
            continue
        if ctype == b"IEND":
            parts.append(_chunk(b"iTXt", body))
        parts.append(view[start:end])
    return b"".join(parts)


def _parse_itxt(body: bytes) -> tuple[bytes, str]:
    keyword, sep, rest = body.partition(b"\x00")
    if not sep or not 1 <= len(keyword) <= 79 or len(rest) < 2:
        raise BadgeImageError("png.bad_itxt")
    flag, method, rest = rest[0], rest[1], rest[2:]
    _lang, sep1, rest = rest.partition(b"\x00")
    _translated, sep2, text = rest.partition(b"\x00")
    if not sep1 or not sep2 or flag not in (0, 1):
        raise BadgeImageError("png.bad_itxt")
    if flag == 1:
        if method != 0:
            raise BadgeImageError("png.bad_itxt")
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(text, MAX_TOKEN_BYTES + 1)
        except zlib.error as exc:
            raise BadgeImageError("png.bad_itxt") from exc
        if len(text) > MAX_TOKEN_BYTES or inflater.unconsumed_tail or not inflater.eof:
            raise BadgeImageError("png.itxt_too_large", {"limit": MAX_TOKEN_BYTES})
    elif len(text) > MAX_TOKEN_BYTES:
        raise BadgeImageError("png.itxt_too_large", {"limit": MAX_TOKEN_BYTES})
    try:
        return keyword, text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadgeImageError("input.not_utf8", {"part": "iTXt"}) from exc


def extract_png(png: bytes) -> BakedCredential:
    """Extract the baked credential from a PNG (OB 3.0 first, then OB 2.0 ``openbadges``).

    :raises BadgeImageError: ``png.*`` for corrupt/oversized files,
        ``png.multiple_credentials`` if the OB 3.0 chunk appears more than once,
        ``png.no_credential`` if there is none.
    """
    chunks = _png_chunks(png)
    found: list[str] = []
    legacy: str | None = None
    view = memoryview(png)
    for ctype, start, end in chunks:
        if ctype == b"iTXt":
            head = bytes(view[start + 8 : start + 8 + 20])
            if head.startswith(OB3_KEYWORD + b"\x00") or head.startswith(OB2_KEYWORD + b"\x00"):
                keyword, text = _parse_itxt(bytes(view[start + 8 : end - 4]))
                if keyword == OB3_KEYWORD:
                    found.append(text)
                elif legacy is None:
                    legacy = text
        elif ctype == b"tEXt" and legacy is None:
            body = bytes(view[start + 8 : end - 4])
            if body.startswith(OB2_KEYWORD + b"\x00"):
                legacy = body[len(OB2_KEYWORD) + 1 :].decode("latin-1")
    if len(found) > 1:
        raise BadgeImageError("png.multiple_credentials", {"count": len(found)})
    if found:
        return BakedCredential(found[0].strip(), "png", "3.0")
    if legacy is not None:
        return BakedCredential(legacy.strip(), "png", "2.0")
    raise BadgeImageError("png.no_credential")


# --------------------------------------------------------------------------- SVG

_DTD_SUBSET = re.compile(r"<!DOCTYPE[^>]*\[", re.IGNORECASE)
_NAME = r"[A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?"
_START_TAG = re.compile(
    r"<(?P<name>" + _NAME + r")(?P<attrs>(?:\s+" + _NAME + r"\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*)"
    r"\s*(?P<close>/?>)"
)
_OB_ATTR = re.compile(r"\sxmlns:openbadges\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_OLD_CREDENTIAL = re.compile(
    r"<openbadges:credential\b[^>]*?/>|<openbadges:credential\b[^>]*>.*?</openbadges:credential\s*>",
    re.DOTALL,
)


def _svg_text(svg: bytes | str) -> str:
    if isinstance(svg, str):
        if len(svg) > MAX_SVG_BYTES:
            raise BadgeImageError("svg.too_large", {"size": len(svg), "limit": MAX_SVG_BYTES})
        text = svg
    else:
        if len(svg) > MAX_SVG_BYTES:
            raise BadgeImageError("svg.too_large", {"size": len(svg), "limit": MAX_SVG_BYTES})
        try:
            text = bytes(svg).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadgeImageError("input.not_utf8", {"part": "svg"}) from exc
    text = text.removeprefix("\ufeff")
    if "<!ENTITY" in text or _DTD_SUBSET.search(text):
        raise BadgeImageError("svg.dtd_forbidden")
    return text


def _parse_svg(text: str) -> ElementTree.Element:
    # Safe here: _svg_text() refused DOCTYPE internal subsets and entity declarations, and
    # expat never fetches external DTDs; defusedxml would be a new dependency.
    parser = ElementTree.XMLParser()  # noqa: S314
    try:
        parser.feed(text)
        root = parser.close()
    except ElementTree.ParseError as exc:
        raise BadgeImageError("svg.malformed", {"reason": str(exc)[:120]}) from exc
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise BadgeImageError("svg.not_svg")
    return root


def extract_svg(svg: bytes | str) -> BakedCredential:
    """Extract the ``<openbadges:credential>`` (``verify`` attribute or CDATA JSON).

    Falls back to an OB 2.0 ``<openbadges:assertion verify=…>``.

    :raises BadgeImageError: ``svg.*`` for oversized, DTD/entity-bearing, malformed or
        non-SVG input, ``svg.multiple_credentials``, ``svg.no_credential``.
    """
    root = _parse_svg(_svg_text(svg))
    found = list(root.iter(f"{{{OB3_SVG_NAMESPACE}}}credential"))
    version: Literal["3.0", "2.0"] = "3.0"
    if not found:
        found = list(root.iter(f"{{{OB2_SVG_NAMESPACE}}}assertion"))
        version = "2.0"
    if not found:
        raise BadgeImageError("svg.no_credential")
    if len(found) > 1:
        raise BadgeImageError("svg.multiple_credentials", {"count": len(found)})
    element = found[0]
    text = element.get("verify")
    if text is None:
        text = element.text or ""
    text = text.strip()
    if not text:
        raise BadgeImageError("svg.no_credential")
    if len(text.encode("utf-8")) > MAX_TOKEN_BYTES:
        raise BadgeImageError("input.too_large", {"size": len(text), "limit": MAX_TOKEN_BYTES})
    return BakedCredential(text, "svg", version)


def _skip_prolog(text: str) -> int:
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            if end < 0:
                raise BadgeImageError("svg.malformed", {"reason": "prolog"})
            pos = end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            if end < 0:
                raise BadgeImageError("svg.malformed", {"reason": "comment"})
            pos = end + 3
        elif text.startswith("<!", pos):
            end = text.find(">", pos)
            if end < 0:
                raise BadgeImageError("svg.malformed", {"reason": "doctype"})
            pos = end + 1
        else:
            return pos


def bake_svg(svg: bytes | str, token: str) -> bytes:
    """Return UTF-8 SVG with ``<openbadges:credential verify="JWS"/>`` right after ``<svg>``.

    Adds ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` to the root element if
    missing and replaces an existing ``<openbadges:credential>``.  The rest of the document
    is kept byte for byte.

    :raises BadgeImageError: ``svg.*`` for unusable input, ``bake.bad_token`` unless
        ``token`` is a compact JWS, ``svg.prefix_conflict`` if ``openbadges`` is bound to
        another namespace, ``svg.existing_credential`` if an OB 3.0 credential under a
        different prefix cannot be replaced.
    """
    _check_token_text(token)
    if not _COMPACT_JWS.fullmatch(token):
        raise BadgeImageError("bake.bad_token", {"reason": "not a compact JWS"})
    text = _svg_text(svg)
    root = _parse_svg(text)
    if next(root.iter(f"{{{OB3_SVG_NAMESPACE}}}credential"), None) is not None:
        if text.count("<openbadges:credential") > 4:  # keeps the lazy regex below linear
            raise BadgeImageError("svg.existing_credential")
        text = _OLD_CREDENTIAL.sub("", text)
        if next(_parse_svg(text).iter(f"{{{OB3_SVG_NAMESPACE}}}credential"), None) is not None:
            raise BadgeImageError("svg.existing_credential")
    pos = _skip_prolog(text)
    match = _START_TAG.match(text, pos)
    if match is None:
        raise BadgeImageError("svg.malformed", {"reason": "root start tag"})
    attrs = match.group("attrs")
    declared = _OB_ATTR.search(attrs)
    if declared is None:
        attrs += f' xmlns:openbadges="{OB3_SVG_NAMESPACE}"'
    elif (declared.group(1) or declared.group(2)) != OB3_SVG_NAMESPACE:
        raise BadgeImageError("svg.prefix_conflict")
    element = f'<openbadges:credential verify="{token}"/>'
    name = match.group("name")
    if match.group("close") == "/>":
        new_tag = f"<{name}{attrs}>{element}</{name}>"
    else:
        new_tag = f"<{name}{attrs}>{element}"
    baked = text[:pos] + new_tag + text[match.end() :]
    extract_svg(baked)  # the result must parse and hold exactly one credential
    return baked.encode("utf-8")


# --------------------------------------------------------------------------- any


def extract_any(data: bytes | str, kind: InputKind | None = None) -> BakedCredential:
    """Detect the input kind (unless given) and return the embedded/contained credential text.

    PNG by signature; SVG if it starts with ``<``; JSON if it starts with ``{``; otherwise a
    compact JWS.  Images go through :func:`extract_png` / :func:`extract_svg`; JWS and JSON
    text is limited to 256 KiB and must be UTF-8.

    :raises BadgeInputError: (or :class:`BadgeImageError`) for unrecognised, oversized or
        undecodable input.
    """
    if isinstance(data, str) and kind in (None, "jws") and len(data) <= MAX_TOKEN_BYTES:
        text = data.strip().removeprefix("\ufeff")
        if text[:1] not in ("<", "{", ""):
            return BakedCredential(text, "jws", "3.0")  # fast path for compact JWS strings
    if isinstance(data, str):
        if len(data) > MAX_INPUT_BYTES:
            raise BadgeInputError("input.too_large", {"size": len(data), "limit": MAX_INPUT_BYTES})
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadgeInputError("input.not_utf8", {"part": "input"}) from exc
    else:
        raw = bytes(data)
    if len(raw) > MAX_INPUT_BYTES:
        raise BadgeInputError("input.too_large", {"size": len(raw), "limit": MAX_INPUT_BYTES})
    if kind is None:
        head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
        if raw[:8] == PNG_SIGNATURE:
            kind = "png"
        elif head.startswith(b"<"):
            kind = "svg"
        elif head.startswith(b"{"):
            kind = "json"
        else:
            kind = "jws"
    if kind == "png":
        return extract_png(raw)
    if kind == "svg":
        return extract_svg(raw)
    if len(raw) > MAX_TOKEN_BYTES:
        raise BadgeInputError("input.too_large", {"size": len(raw), "limit": MAX_TOKEN_BYTES})
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadgeInputError("input.not_utf8", {"part": "input"}) from exc
    text = text.removeprefix("\ufeff").strip()
    if not text:
        raise BadgeInputError("input.unknown_format")
    return BakedCredential(text, kind, "3.0")
