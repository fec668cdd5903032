"""Who may see a credential, sharing settings, and what is shared: images, QR, LinkedIn.

Visibility of a credential (`IssuedCredential.visibility`) applies to every URL under
``/credentials/<uuid>`` alike (the page, the certificate page, ``.json``, ``.jws``,
``.png``, ``.svg`` and shared evidence files):

* ``private`` (default): the holder, HR of the holder's organisation and admins only.
  Anyone else gets 404, so the URL does not even reveal that the credential exists.
* ``link``: also anyone who has the share link, ``…?share=<token>`` (a 256-bit random
  token, compared in constant time). Turning sharing off or making a new link makes old
  links stop working; a token already copied into a downloaded file is not affected.
* ``public``: anyone.

The JWS (and the baked images, which carry it) *is* the credential: whoever holds it can
verify it anywhere, and it contains the reflections and a salted hash of the holder's
e-mail address. So a download is a share, and the files follow the page's visibility.
Verification by token (``/verify``, ``/api/verify``) never depends on visibility: the
person presenting the token already holds it. The status lists never reveal whose
credential is revoked (only credential ids and indexes).
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import threading
from collections import OrderedDict
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont

import badges
from portal.exceptions import PermissionDenied, ValidationFailed
from portal.models import Achievement, IssuedCredential, Person, Visibility
from portal.models.base import DBSession
from portal.services.audit import record_event

SHARE_TOKEN_BYTES = 32


# Access ---------------------------------------------------------------------------------


class Shareable(Protocol):
    """What access checks read of a credential (an IssuedCredential or a lighter record)."""

    @property
    def visibility(self) -> Visibility: ...

    @property
    def share_token(self) -> str | None: ...

    @property
    def person_id(self) -> int: ...


def is_holder_or_staff(viewer: Person | None, credential: Shareable, holder_org_id: int) -> bool:
    """The holder, HR of the holder's (current) organisation, or an admin."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.id == credential.person_id or viewer.is_admin:
        return True
    return viewer.is_hr and viewer.organisation_id == holder_org_id


def can_view(
    viewer: Person | None,
    credential: Shareable,
    holder_org_id: int,
    share_token: str | None = None,
) -> bool:
    """May `viewer` (None or anonymous for nobody) see this credential and its files?"""
    if credential.visibility == Visibility.PUBLIC:
        return True
    if (
        credential.visibility == Visibility.LINK
        and share_token
        and credential.share_token
        and secrets.compare_digest(share_token.encode(), credential.share_token.encode())
    ):
        return True
    return is_holder_or_staff(viewer, credential, holder_org_id)


def set_visibility(
    session: DBSession,
    *,
    credential: IssuedCredential,
    actor: Person,
    visibility: Visibility | str,
    now: datetime,
    new_link: bool = False,
) -> IssuedCredential:
    """The holder chooses who may see the credential; ``link`` creates a share token.

    :raises PermissionDenied: not the holder. :raises ValidationFailed: ``bad_visibility``.
    """
    if actor.id != credential.person_id:
        raise PermissionDenied("not_holder")
    try:
        wanted = Visibility(visibility)
    except ValueError:
        raise ValidationFailed("bad_visibility") from None
    before = credential.visibility
    if wanted == Visibility.LINK and (credential.share_token is None or new_link):
        credential.share_token = secrets.token_urlsafe(SHARE_TOKEN_BYTES)
    elif wanted != Visibility.LINK:
        credential.share_token = None  # links stop working; a new one is made next time
    credential.visibility = wanted
    record_event(
        session,
        action="credential.visibility",
        subject_type="credential",
        subject_id=credential.uuid,
        actor=actor,
        organisation_id=actor.organisation_id,
        data={
            "person_id": credential.person_id,
            "from": str(before),
            "to": str(wanted),
            "new_link": new_link,
        },
        now=now,
    )
    session.flush()
    return credential


# LinkedIn -------------------------------------------------------------------------------


def linkedin_add_url(
    *,
    name: str,
    organization_name: str,
    issued_at: datetime,
    cert_url: str,
    cert_id: str,
    valid_until: datetime | None = None,
) -> str:
    """LinkedIn's "Add to profile" link for a certification (its documented parameters)."""
    params: list[tuple[str, str | int]] = [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", name),
        ("organizationName", organization_name),
        ("issueYear", issued_at.year),
        ("issueMonth", issued_at.month),
    ]
    if valid_until is not None:
        params += [("expirationYear", valid_until.year), ("expirationMonth", valid_until.month)]
    params += [("certUrl", cert_url), ("certId", cert_id)]
    return "https://www.linkedin.com/profile/add?" + urlencode(params)


# QR code --------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def qr_svg(data: str, label: str = "QR") -> str:
    """An inline SVG QR code for `data` (no external requests; one path, crisp edges)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    size = len(matrix)
    quiet = 4
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                parts.append(f"M{start + quiet},{y + quiet}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    total = size + 2 * quiet
    escaped = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return (
        f'<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} {total}" '
        f'width="{total * 4}" height="{total * 4}" role="img" aria-label="{escaped}" '
        f'shape-rendering="crispEdges"><rect width="{total}" height="{total}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(parts)}"/></svg>'
    )


# Badge images -------------------------------------------------------------------------

#: Fonts tried in order for the PNG badge (Japanese first; Latin fallbacks).
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/takao-gothic/TakaoPGothic.ttf",
    "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc",
)
LATIN_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)
_HEX = re.compile(r'fill="(#[0-9A-Fa-f]{6})"')
DEFAULT_COLOURS = {"T1": "#1D4ED8", "T2": "#047857", "T3": "#C2410C", "T4": "#6D28D9"}
BADGE_SIZE = 512


@lru_cache(maxsize=1)
def _font_paths() -> tuple[str | None, str | None]:
    cjk = next((p for p in CJK_FONTS if Path(p).is_file()), None)
    latin = next((p for p in LATIN_FONTS if Path(p).is_file()), None)
    return cjk, latin


def _font(size: int, japanese: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    cjk, latin = _font_paths()
    path = cjk if japanese else (latin or cjk)
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size, index=0)


def badge_code(achievement: Achievement) -> str:
    """T1…T4 / L1 / L2: the first tier or level the achievement aligns to (its own)."""
    for ref in achievement.alignments or []:
        framework, _, code = ref.partition(":")
        if framework in ("tier", "level") and code and code != "ALL":
            return code
    return achievement.slug[:3].upper()


def badge_colour(achievement: Achievement) -> str:
    """The first solid colour of the achievement's SVG (its background), or a default."""
    for colour in _HEX.findall(achievement.image_svg or ""):
        if colour.upper() not in ("#FFFFFF", "#000000"):
            return colour
    return DEFAULT_COLOURS.get(badge_code(achievement), "#1F2937")


def _fit(
    draw: ImageDraw.ImageDraw, text: str, size: int, width: int, japanese: bool
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    while size > 12:
        font = _font(size, japanese)
        left, _top, right, _bottom = draw.textbbox((0, 0), text, font=font)
        if right - left <= width:
            return font
        size -= 2
    return _font(size, japanese)


def render_badge_png(achievement: Achievement) -> bytes:
    """A 512 px PNG of the badge, drawn with Pillow (which cannot rasterise SVG).

    A disc in the achievement's colour with its code (T1, L2 …) large in the middle, the
    portal's name above and what it is below; certifications get a gold banner. Japanese
    text when a Japanese font is installed, English otherwise.
    """
    cjk, _latin = _font_paths()
    japanese = cjk is not None
    size = BADGE_SIZE
    scale = 2  # draw at 2x and downsample: smooth edges
    canvas = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    colour = badge_colour(achievement)
    s = scale
    draw.ellipse((16 * s, 16 * s, 496 * s, 496 * s), fill=colour)
    draw.ellipse((40 * s, 40 * s, 472 * s, 472 * s), outline="#FFFFFF", width=6 * s)
    certification = achievement.issuance == "hr-approval"
    code = badge_code(achievement)
    top = "北海道デジタル人材" if japanese else "HOKKAIDO DIGITAL"
    below = (
        ("スキル認定" if certification else "ラーニングパス修了")
        if japanese
        else ("CERTIFIED" if certification else "PATH COMPLETED")
    )
    white = "#FFFFFF"
    font = _fit(draw, top, 34 * s, 330 * s, japanese)
    draw.text((256 * s, 128 * s), top, font=font, fill=white, anchor="mm")
    font = _fit(draw, code, 190 * s, 360 * s, False)
    draw.text((256 * s, 262 * s), code, font=font, fill=white, anchor="mm")
    if certification:
        band = [(24, 360), (488, 360), (466, 398), (488, 436), (24, 436), (46, 398)]
        draw.polygon([(x * s, y * s) for x, y in band], fill="#F59E0B")
        font = _fit(draw, below, 40 * s, 360 * s, japanese)
        draw.text((256 * s, 398 * s), below, font=font, fill="#1F2937", anchor="mm")
    else:
        font = _fit(draw, below, 40 * s, 330 * s, japanese)
        draw.text((256 * s, 380 * s), below, font=font, fill=white, anchor="mm")
    image = canvas.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


_png_cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_png_lock = threading.Lock()


def badge_png(achievement: Achievement) -> bytes:
    """The badge PNG of `achievement`, rendered once per version and cached per process."""
    fingerprint = hashlib.sha256(
        "\x00".join(
            [
                achievement.image_svg or "",
                achievement.issuance,
                ",".join(achievement.alignments or []),
            ]
        ).encode()
    ).hexdigest()
    cache_key = (achievement.slug, fingerprint)
    with _png_lock:
        cached = _png_cache.get(cache_key)
    if cached is not None:
        return cached
    rendered = render_badge_png(achievement)
    with _png_lock:
        _png_cache[cache_key] = rendered
        while len(_png_cache) > 64:
            _png_cache.popitem(last=False)
    return rendered


def baked_png(credential: IssuedCredential, achievement: Achievement) -> bytes:
    """The badge PNG with this credential's JWS baked in (iTXt ``openbadgecredential``)."""
    return badges.bake_png(badge_png(achievement), credential.jws)


def baked_svg(credential: IssuedCredential, achievement: Achievement) -> bytes:
    """The achievement's SVG with this credential's JWS baked in."""
    return badges.bake_svg(achievement.image_svg, credential.jws)
