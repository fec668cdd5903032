"""Trust store: which public keys may sign credentials for which issuers.

Trust-file convention (the JWKS the portal publishes at ``/.well-known/jwks.json``):

* Every key in ``keys`` must be a public RSA (>= 2048 bit, RS256) or EC P-256 (ES256) JWK.
  A key carrying any private member (``d`` ...) makes the whole file invalid.
* If the JWKS has a top-level ``"issuers"`` array of issuer ids, every key is trusted for
  exactly those issuer ids (exact string match).
* Otherwise each key is trusted for the issuers that share its **kid's origin**: the kid must
  be an ``https://`` URL, and an issuer id is accepted when it is an ``https://`` URL with the
  same scheme, host and port.  Keys without an https kid are then trusted for nobody.
* A caller-supplied ``issuers=`` argument overrides both rules.

Keys of unsupported types are skipped (listed in :attr:`TrustStore.skipped`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from badges.errors import BadgeError, BadgeKeyError, BadgeTrustError
from badges.jose import loads_strict
from badges.keys import PRIVATE_JWK_MEMBERS, PublicKey, jwk_thumbprint, public_key_from_jwk

__all__ = ["TrustStore", "TrustedKey", "https_origin"]


def https_origin(url: object) -> tuple[str, int] | None:
    """``(host, port)`` of an https URL without userinfo, else None."""
    if not isinstance(url, str) or not url.startswith("https://") or len(url) > 2048:
        return None
    return _https_origin(url)


@lru_cache(maxsize=4096)
def _https_origin(url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        return None
    if "@" in parts.netloc or not parts.hostname:
        return None
    return parts.hostname.lower(), port


@dataclass(frozen=True)
class TrustedKey:
    """A public key and the issuer ids it may sign for."""

    jwk: Mapping[str, Any]
    issuers: frozenset[str] = frozenset()
    same_origin: bool = False
    kid: str | None = field(init=False)
    alg: str = field(init=False)
    thumbprint: str = field(init=False)
    public_key: PublicKey = field(init=False, repr=False, compare=False)
    origin: tuple[str, int] | None = field(init=False)

    def __post_init__(self) -> None:
        key, alg = public_key_from_jwk(self.jwk)
        kid = self.jwk.get("kid")
        object.__setattr__(self, "jwk", dict(self.jwk))
        object.__setattr__(self, "kid", kid if isinstance(kid, str) else None)
        object.__setattr__(self, "alg", alg)
        object.__setattr__(self, "thumbprint", jwk_thumbprint(self.jwk))
        object.__setattr__(self, "public_key", key)
        object.__setattr__(self, "origin", https_origin(kid) if self.same_origin else None)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any], issuers: Iterable[str] | None = None) -> TrustedKey:
        """Trust ``jwk`` for ``issuers`` (exact ids) or, if None, for its kid's https origin.

        :raises BadgeKeyError: if the JWK is not an acceptable public key.
        """
        if issuers is None:
            return cls(jwk=jwk, same_origin=True)
        return cls(jwk=jwk, issuers=frozenset(issuers))

    def trusts(self, issuer_id: str) -> bool:
        """True if this key may sign for ``issuer_id``."""
        if issuer_id in self.issuers:
            return True
        return self.origin is not None and https_origin(issuer_id) == self.origin


class TrustStore:
    """Resolver from (kid or embedded jwk, issuer) to a trusted public key."""

    def __init__(self, keys: Iterable[TrustedKey] = (), skipped: Iterable[str] = ()) -> None:
        self._keys: tuple[TrustedKey, ...] = tuple(keys)
        self._by_kid: dict[str, TrustedKey] = {}
        self._by_thumbprint: dict[str, list[TrustedKey]] = {}
        for key in self._keys:
            if key.kid is not None:
                if key.kid in self._by_kid:
                    raise BadgeTrustError("trust.duplicate_kid", {"kid": key.kid[:200]})
                self._by_kid[key.kid] = key
            self._by_thumbprint.setdefault(key.thumbprint, []).append(key)
        #: kids (or positions) of JWKS entries skipped as unsupported, for diagnostics.
        self.skipped: tuple[str, ...] = tuple(skipped)

    @property
    def keys(self) -> tuple[TrustedKey, ...]:
        """All trusted keys."""
        return self._keys

    def __len__(self) -> int:
        return len(self._keys)

    @classmethod
    def from_jwks(
        cls, document: Mapping[str, Any] | bytes | str, issuers: Iterable[str] | None = None
    ) -> TrustStore:
        """Build a store from a JWKS (dict or JSON text) following the trust-file convention.

        :raises BadgeTrustError: ``trust.bad_file``, ``trust.private_key``,
            ``trust.duplicate_kid``; :class:`BadgeInputError` for unparsable JSON.
        """
        doc = (
            loads_strict(document, what="trust") if isinstance(document, bytes | str) else document
        )
        if not isinstance(doc, Mapping) or not isinstance(doc.get("keys"), list):
            raise BadgeTrustError("trust.bad_file", {"reason": "keys"})
        explicit: frozenset[str] | None = None
        if issuers is not None:
            explicit = frozenset(issuers)
        elif "issuers" in doc:
            listed = doc["issuers"]
            if not isinstance(listed, list) or not all(isinstance(i, str) for i in listed):
                raise BadgeTrustError("trust.bad_file", {"reason": "issuers"})
            explicit = frozenset(listed)
        keys: list[TrustedKey] = []
        skipped: list[str] = []
        for index, jwk in enumerate(doc["keys"]):
            if not isinstance(jwk, Mapping):
                raise BadgeTrustError("trust.bad_file", {"reason": f"keys[{index}]"})
            label = str(jwk.get("kid", f"keys[{index}]"))[:200]
            if PRIVATE_JWK_MEMBERS.intersection(jwk):
                raise BadgeTrustError("trust.private_key", {"kid": label})
            try:
                keys.append(TrustedKey.from_jwk(jwk, explicit))
            except BadgeKeyError:
                skipped.append(label)
        return cls(keys, skipped)

    def resolve(self, *, issuer: str, alg: str, kid: str | None, jwk: object | None) -> TrustedKey:
        """Return the key that may verify a token from ``issuer`` with header ``kid``/``jwk``.

        An embedded ``jwk`` is only a pointer: it must equal (RFC 7638 thumbprint) a key that
        is trusted for ``issuer``.

        :raises BadgeError: ``header.no_key``, ``key.unknown_kid``, ``key.untrusted_jwk``,
            ``key.bad_jwk``, ``key.jwk_mismatch``, ``key.issuer_not_trusted``,
            ``key.alg_mismatch``.
        """
        found: TrustedKey | None = None
        thumb: str | None = None
        if jwk is not None:
            try:
                if not isinstance(jwk, Mapping):
                    raise BadgeKeyError("key.bad_jwk", {"reason": "not an object"})
                leaked = PRIVATE_JWK_MEMBERS.intersection(jwk)
                if leaked:
                    raise BadgeKeyError("key.private_member", {"member": sorted(leaked)[0]})
                thumb = jwk_thumbprint(jwk)
            except BadgeKeyError as exc:
                raise BadgeError(exc.code, exc.params) from exc
        if kid is not None:
            found = self._by_kid.get(kid)
            if found is None:
                raise BadgeError("key.unknown_kid", {"kid": kid[:200]})
            if thumb is not None and thumb != found.thumbprint:
                raise BadgeError("key.jwk_mismatch", {"kid": kid[:200]})
            if not found.trusts(issuer):
                raise BadgeError("key.issuer_not_trusted", {"issuer": issuer[:200]})
        elif thumb is not None:
            candidates = self._by_thumbprint.get(thumb, [])
            if not candidates:
                raise BadgeError("key.untrusted_jwk", {"thumbprint": thumb})
            trusted = [k for k in candidates if k.trusts(issuer)]
            if not trusted:
                raise BadgeError("key.issuer_not_trusted", {"issuer": issuer[:200]})
            found = trusted[0]
        else:
            raise BadgeError("header.no_key")
        if found.alg != alg:
            raise BadgeError("key.alg_mismatch", {"alg": alg, "expected": found.alg})
        return found
