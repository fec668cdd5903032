"""Text helpers shared by the validator and the portal: URLs, Japanese, search."""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from curricula.errors import InvalidURLError

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
# Query parameters that only track the click and never change the page.
_TRACKING_PARAMS: Final = frozenset({"fbclid", "gclid", "yclid", "mc_cid", "mc_eid"})

# Hiragana, katakana (incl. half-width), CJK ideographs and the iteration marks.
_JAPANESE_RE: Final = re.compile(
    "[\u3005\u3006\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]"
)
# Something that an HTML parser would treat as a tag or comment.
_MARKUP_RE: Final = re.compile(r"<\s*[A-Za-z!/?]")
# C0/C1 controls other than tab, newline and carriage return.
_CONTROL_RE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACE_RE: Final = re.compile(r"\s+")
# Katakana that have a hiragana twin sit exactly 0x60 above it (ァ..ヶ, ヽ, ヾ).
_KATA_TO_HIRA: Final = {code: code - 0x60 for code in range(0x30A1, 0x30F7)} | {
    0x30FD: 0x309D,
    0x30FE: 0x309E,
}


def normalise_url(url: str) -> str:
    """Return the canonical form of an http(s) URL, used to detect duplicates.

    Lower-cases the scheme and host, drops a leading ``www.``, the default port,
    user info, the fragment, ``utm_*`` and other click-tracking parameters and
    any trailing slash, and sorts the remaining query parameters.

    :raises InvalidURLError: with code ``bad-url-scheme`` for anything but
        http(s), and ``bad-url`` for a URL without a host, with spaces or with a
        bad port.
    """
    text = url.strip()
    if not text or _SPACE_RE.search(text) or _CONTROL_RE.search(text):
        raise InvalidURLError(url, "bad-url")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidURLError(url, "bad-url-scheme")
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidURLError(url, "bad-url") from exc
    host = parts.hostname or ""
    if not host or "@" in parts.netloc:
        raise InvalidURLError(url, "bad-url")
    if host.startswith("www."):
        host = host[4:]
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    query = urlencode(
        sorted(
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if not key.lower().startswith("utm_") and key.lower() not in _TRACKING_PARAMS
        )
    )
    return urlunsplit((scheme, netloc, path, query, ""))


def is_http_url(url: str) -> bool:
    """True if ``url`` is an absolute http(s) URL that :func:`normalise_url` accepts."""
    try:
        normalise_url(url)
    except InvalidURLError:
        return False
    return True


def has_japanese(text: str) -> bool:
    """True if ``text`` contains at least one kana or kanji character."""
    return _JAPANESE_RE.search(text) is not None


def has_markup(text: str) -> bool:
    """True if ``text`` contains something that looks like an HTML tag or comment."""
    return _MARKUP_RE.search(text) is not None


def has_control_characters(text: str) -> bool:
    """True if ``text`` contains control characters other than tab and newlines."""
    return _CONTROL_RE.search(text) is not None


def normalise_search_text(text: str) -> str:
    """Fold text for Japanese search so that spelling variants match.

    Applies NFKC (full-width ↔ half-width letters, digits and katakana), turns
    katakana into hiragana, case-folds and collapses white space, so that
    ``ｶﾀｶﾅ``, ``カタカナ`` and ``かたかな`` all become ``かたかな`` and ``ＡＢＣ``
    becomes ``abc``. Apply it to both the indexed text and the query.
    """
    folded = unicodedata.normalize("NFKC", text).translate(_KATA_TO_HIRA).casefold()
    return _SPACE_RE.sub(" ", folded).strip()
