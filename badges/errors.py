"""Typed exceptions for the badges library.

Every exception carries a machine ``code`` (a key of :data:`badges.messages.MESSAGES`) and
``params`` for the message template.  Human text is produced at the edge with
:func:`badges.messages.message` (Japanese by default, English on request).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "BadgeBuildError",
    "BadgeError",
    "BadgeImageError",
    "BadgeInputError",
    "BadgeKeyError",
    "BadgeStatusError",
    "BadgeTrustError",
]

ParamValue = str | int


class BadgeError(Exception):
    """Root of all badges errors: ``code`` is a message-catalogue key, ``params`` fill it."""

    def __init__(self, code: str, params: Mapping[str, ParamValue] | None = None) -> None:
        self.code = code
        self.params: dict[str, ParamValue] = dict(params or {})
        super().__init__(code)

    def __str__(self) -> str:
        if not self.params:
            return self.code
        details = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.code} ({details})"

    def message(self, lang: str = "ja") -> str:
        """Return the human message for this error in ``lang`` ("ja" or "en")."""
        from badges.messages import message

        return message(self.code, lang, self.params)


class BadgeInputError(BadgeError):
    """Input is malformed, oversized, not UTF-8, has duplicate JSON keys, and so on."""


class BadgeImageError(BadgeInputError):
    """A PNG or SVG cannot be baked or extracted (corrupt, oversized, bomb, ...)."""


class BadgeKeyError(BadgeError):
    """Key material is unusable: wrong type or size, private members in a JWK, bad PEM."""


class BadgeBuildError(BadgeError):
    """A credential (or status list) cannot be built or signed from the given inputs."""


class BadgeTrustError(BadgeError):
    """A trust file (JWKS) or trust-store entry is invalid."""


class BadgeStatusError(BadgeError):
    """A revocation list or bitstring status list is malformed or out of range."""
