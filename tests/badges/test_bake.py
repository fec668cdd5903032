"""Baking into PNG/SVG and extracting again, including hostile images."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

import badges as b
from tests.badges import helpers as h

OB30 = h.EXAMPLES / "validator-ob30"
TOKEN = (h.GOLDEN / "municipality.jws").read_text("ascii").strip()
BASE_PNG = (h.GOLDEN / "base.png").read_bytes()
BASE_SVG = (h.GOLDEN / "base.svg").read_bytes()


def _chunks(png: bytes) -> list[tuple[bytes, bytes, int]]:
    out, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        ctype = png[pos + 4 : pos + 8]
        body = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        out.append((ctype, body, crc))
        pos += 12 + length
    return out


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _png_with(*extra: bytes, before_iend: bool = True) -> bytes:
    chunks = _chunks(BASE_PNG)
    out = [b"\x89PNG\r\n\x1a\n"]
    for ctype, body, _ in chunks:
        if ctype == b"IEND" and before_iend:
            out.extend(extra)
        out.append(_chunk(ctype, body))
    return b"".join(out)


# --------------------------------------------------------------------------- PNG


def test_png_itxt_layout() -> None:
    baked = b.bake_png(BASE_PNG, TOKEN)
    chunks = _chunks(baked)
    assert [c[0] for c in chunks][-2:] == [b"iTXt", b"IEND"]
    itxt = [c for c in chunks if c[0] == b"iTXt"]
    assert len(itxt) == 1
    _, body, crc = itxt[0]
    assert body == b"openbadgecredential\x00\x00\x00\x00\x00" + TOKEN.encode("ascii")
    assert crc == zlib.crc32(b"iTXt" + body)
    for ctype, body, crc in chunks:
        assert crc == zlib.crc32(ctype + body)
    # Only the chunk was added: all original chunks are kept byte for byte.
    assert [c for c in chunks if c[0] != b"iTXt"] == _chunks(BASE_PNG)


def test_png_stays_a_valid_image_with_same_pixels() -> None:
    baked = b.bake_png(BASE_PNG, TOKEN)
    with Image.open(io.BytesIO(baked)) as image, Image.open(io.BytesIO(BASE_PNG)) as base:
        image.load()
        assert image.tobytes() == base.tobytes()
        assert image.text["openbadgecredential"] == TOKEN  # type: ignore[attr-defined]


def test_png_rebake_replaces_existing_credential() -> None:
    other = b.sign_credential(
        h.build(credential_id="urn:uuid:00000000-0000-4000-8000-000000000001"), h.signing_key()
    )
    twice = b.bake_png(b.bake_png(BASE_PNG, other), TOKEN)
    assert sum(1 for c in _chunks(twice) if c[0] == b"iTXt") == 1
    assert b.extract_png(twice).text == TOKEN
    assert twice == b.bake_png(BASE_PNG, TOKEN)


def test_png_keeps_other_text_chunks_and_ob2_assertion() -> None:
    ob2 = (h.EXAMPLES / "validator-ob20" / "simple-badge.png").read_bytes()
    baked = b.bake_png(ob2, TOKEN)
    assert b.extract_png(baked).text == TOKEN  # OB 3.0 wins over OB 2.0
    assert b.extract_png(ob2).ob_version == "2.0"


@pytest.mark.parametrize("name", ["simple-jwt.png", "simple-jwt_v1.png", "simple-json.png"])
def test_extract_from_validator_pngs(name: str) -> None:
    baked = b.extract_png((OB30 / name).read_bytes())
    assert baked.ob_version == "3.0" and baked.kind == "png"
    if "jwt" in name:
        assert baked.text.count(".") == 2
    else:
        assert baked.text.startswith("{")


def _hostile_pngs() -> dict[str, tuple[bytes, str]]:
    baked = b.bake_png(BASE_PNG, TOKEN)
    itxt = _chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00" + TOKEN.encode())
    bomb = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(b"A" * (50 * 1024 * 1024), 9)
    ihdr = bytearray(_chunks(BASE_PNG)[0][1])
    ihdr[0:8] = struct.pack(">II", 100_000, 100_000)
    huge = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", bytes(ihdr))
        + b"".join(_chunk(c, d) for c, d, _ in _chunks(BASE_PNG)[1:])
    )
    bad_crc = bytearray(baked)
    bad_crc[-20] ^= 0xFF  # inside the iTXt text
    many = _png_with(*[_chunk(b"tEXt", b"k\x00v")] * 10_001)
    return {
        "not-png": (b"GIF89a" + BASE_PNG[6:], "png.not_png"),
        "truncated": (baked[:-30], "png.truncated"),
        "no-iend": (baked[:-12], "png.truncated"),
        "bad-crc": (bytes(bad_crc), "png.crc_mismatch"),
        "trailing-data": (baked + b"junk", "png.trailing_data"),
        "oversized": (
            BASE_PNG[:-12] + _chunk(b"zzZz", bytes(9 * 1024 * 1024)) + BASE_PNG[-12:],
            "png.too_large",
        ),
        "huge-dimensions": (huge, "png.too_many_pixels"),
        "too-many-chunks": (many, "png.too_many_chunks"),
        "compressed-bomb": (_png_with(_chunk(b"iTXt", bomb)), "png.itxt_too_large"),
        "two-credentials": (_png_with(itxt, itxt), "png.multiple_credentials"),
        "no-credential": (BASE_PNG, "png.no_credential"),
        "bad-itxt": (_png_with(_chunk(b"iTXt", b"openbadgecredential\x00\x05")), "png.bad_itxt"),
        "non-utf8-text": (
            _png_with(_chunk(b"iTXt", b"openbadgecredential\x00\x00\x00\x00\x00\xff\xfe")),
            "input.not_utf8",
        ),
        "bad-chunk-type": (_png_with(_chunk(b"i$Xt", b"x")), "png.corrupt"),
        "first-chunk-not-ihdr": (b"\x89PNG\r\n\x1a\n" + _chunk(b"IEND", b""), "png.corrupt"),
        "length-overflow": (
            BASE_PNG[:33] + b"\xff\xff\xff\xf0IDAT" + BASE_PNG[41:],
            "png.truncated",
        ),
    }


HOSTILE = _hostile_pngs()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_pngs_are_refused_with_a_code(name: str) -> None:
    data, code = HOSTILE[name]
    with pytest.raises(b.BadgeImageError if code.startswith("png.") else b.BadgeInputError) as info:
        b.extract_png(data)
    assert info.value.code == code
    result = b.verify_credential(data, trust=h.trust_store(), now=h.FIXED_NOW)
    assert not result.valid
    assert result.failures[0].code == "extract"
    if data.startswith(b"\x89PNG"):  # otherwise auto-detection does not even see a PNG
        # The verifier's own input limit may trip before the PNG limit (same size).
        assert result.failures[0].message_key in (code, "input.too_large")


def test_compressed_itxt_within_limit_is_read() -> None:
    body = b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(TOKEN.encode())
    assert b.extract_png(_png_with(_chunk(b"iTXt", body))).text == TOKEN


def test_bake_png_refuses_bad_tokens_and_images() -> None:
    with pytest.raises(b.BadgeImageError):
        b.bake_png(BASE_PNG, "")
    with pytest.raises(b.BadgeImageError):
        b.bake_png(BASE_PNG, "a\x00b")
    with pytest.raises(b.BadgeInputError):
        b.bake_png(BASE_PNG, "x" * (300 * 1024))
    with pytest.raises(b.BadgeImageError):
        b.bake_png(BASE_PNG[:-5], TOKEN)


# --------------------------------------------------------------------------- SVG


def test_svg_bake_layout() -> None:
    baked = b.bake_svg(BASE_SVG, TOKEN).decode("utf-8")
    start = baked.index("<svg")
    end = baked.index(">", start) + 1
    tag = baked[start:end]
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in tag
    assert baked[end:].startswith(f'<openbadges:credential verify="{TOKEN}"/>')
    assert baked.count("openbadges:credential") == 1
    # Everything else is kept as is (comment, Japanese title, drawing).
    assert "<!-- 北海道 DX実践研修 修了バッジ (test fixture) -->" in baked
    assert baked.replace(f'<openbadges:credential verify="{TOKEN}"/>', "").replace(
        ' xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"', ""
    ) == BASE_SVG.decode("utf-8")


def test_svg_rebake_replaces_and_reuses_namespace() -> None:
    once = b.bake_svg(BASE_SVG, "a.b.c")
    twice = b.bake_svg(once, TOKEN)
    assert twice.count(b"openbadges:credential") == 1
    assert twice.count(b"xmlns:openbadges") == 1
    assert b.extract_svg(twice).text == TOKEN


@pytest.mark.parametrize("name", ["simple-jwt.svg", "simple-jwt_v1.svg", "simple-json.svg"])
def test_extract_and_rebake_validator_svgs(name: str) -> None:
    data = (OB30 / name).read_bytes()  # these carry a public DOCTYPE (no internal subset)
    baked = b.extract_svg(data)
    assert baked.kind == "svg" and baked.ob_version == "3.0"
    rebaked = b.bake_svg(data, TOKEN)
    assert b.extract_svg(rebaked).text == TOKEN


def test_self_closing_root_and_single_quotes() -> None:
    svg = "<svg xmlns='http://www.w3.org/2000/svg' xmlns:openbadges='https://purl.imsglobal.org/ob/v3p0'/>"
    baked = b.bake_svg(svg, TOKEN).decode()
    assert baked.endswith(f'<openbadges:credential verify="{TOKEN}"/></svg>')
    assert b.extract_svg(baked).text == TOKEN


XXE = """<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&xxe;</text></svg>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&lol2;</text></svg>"""


@pytest.mark.parametrize(
    ("svg", "code"),
    [
        (XXE, "svg.dtd_forbidden"),
        (LAUGHS, "svg.dtd_forbidden"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><g>', "svg.malformed"),
        ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "svg.not_svg"),
        ('<svg xmlns="http://www.w3.org/2000/svg"/>', "svg.no_credential"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="https://purl.imsglobal.org/ob/v3p0">'
            '<o:credential verify="a.b.c"/><o:credential verify="d.e.f"/></svg>',
            "svg.multiple_credentials",
        ),
        ("<svg" + " " * (3 * 1024 * 1024) + "/>", "svg.too_large"),
        (b'<svg xmlns="http://www.w3.org/2000/svg">\xff</svg>', "input.not_utf8"),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="https://purl.imsglobal.org/ob/v3p0">'
            '<o:credential verify=""/></svg>',
            "svg.no_credential",
        ),
    ],
)
def test_hostile_svgs_are_refused(svg: str | bytes, code: str) -> None:
    with pytest.raises(b.BadgeInputError) as info:
        b.extract_svg(svg)
    assert info.value.code == code
    data = svg.encode() if isinstance(svg, str) else svg
    result = b.verify_credential(data, trust=h.trust_store(), now=h.FIXED_NOW)
    assert result.failures[0].message_key == code


def test_bake_svg_refusals() -> None:
    with pytest.raises(b.BadgeImageError) as info:
        b.bake_svg(BASE_SVG, '"><script/>')
    assert info.value.code == "bake.bad_token"
    conflict = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"/>'
    with pytest.raises(b.BadgeImageError) as info:
        b.bake_svg(conflict, TOKEN)
    assert info.value.code == "svg.prefix_conflict"
    other_prefix = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="https://purl.imsglobal.org/ob/v3p0">'
        '<o:credential verify="a.b.c"/></svg>'
    )
    with pytest.raises(b.BadgeImageError) as info:
        b.bake_svg(other_prefix, TOKEN)
    assert info.value.code == "svg.existing_credential"
    with pytest.raises(b.BadgeImageError):
        b.bake_svg(XXE, TOKEN)


def test_ob20_svg_assertion_is_extracted_as_2_0() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        '<openbadges:assertion verify="a.b.c"/></svg>'
    )
    baked = b.extract_svg(svg)
    assert (baked.text, baked.ob_version) == ("a.b.c", "2.0")


# --------------------------------------------------------------------------- round trips


JAPANESE_ISSUER = b.IssuerProfile(
    id=f"{h.BASE}/issuers/otofuke",
    name="音更町 総務課 情報化推進係",
    url="https://www.town.otofuke.hokkaido.jp/",
    parent=h.PREFECTURE,
)


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_sign_bake_extract_verify_round_trip_with_japanese_names(kind: str) -> None:
    credential = h.build(
        issuer=JAPANESE_ISSUER,
        recipient=b.Recipient.from_email(
            "urn:uuid:7d3c2b1a-0f9e-4d8c-b7a6-958473625140", "山田花子@町役場.jp", "塩"
        ),
        name="情報セキュリティ基礎 修了（令和7年度）",
        description="個人情報保護と情報セキュリティの基礎を修めたことを証明します。",
    )
    token = b.sign_credential(credential, h.signing_key())
    baked = b.bake_png(BASE_PNG, token) if kind == "png" else b.bake_svg(BASE_SVG, token)
    extracted = b.extract_any(baked)
    assert (extracted.text, extracted.kind) == (token, kind)
    result = b.verify_credential(baked, trust=h.trust_store(), now=h.FIXED_NOW)
    assert result.valid, result.report("en")
    assert result.kind == kind
    assert result.credential is not None
    assert result.credential["issuer"]["name"] == "音更町 総務課 情報化推進係"
    assert result.credential["name"] == "情報セキュリティ基礎 修了（令和7年度）"
