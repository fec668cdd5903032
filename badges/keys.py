"""Signing keys: generation, encrypted PKCS#8 storage, public JWK / JWKS export.

Only :func:`generate_key` and :func:`encrypt_private_key` use randomness (key material,
PBES2 salt and IV, all from ``cryptography``'s OS RNG); everything else is deterministic.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from badges.errors import BadgeKeyError
from badges.jose import b64url_decode, b64url_encode

__all__ = [
    "PRIVATE_JWK_MEMBERS",
    "RSA_KEY_BITS",
    "SigningKey",
    "encrypt_private_key",
    "generate_key",
    "jwk_thumbprint",
    "jwks",
    "kid_url",
    "load_private_key",
    "public_jwk",
    "public_key_from_jwk",
]

#: Size of the keys we generate and the minimum we sign with.
RSA_KEY_BITS = 3072
#: Minimum RSA size accepted for verification (RFC 7518 §3.3).
MIN_VERIFY_RSA_BITS = 2048
#: JWK members that only a private key has; a public JWK must contain none of them.
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

_KEY_ID = re.compile(r"[A-Za-z0-9._~-]{1,64}", re.ASCII)

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def generate_key(bits: int = RSA_KEY_BITS) -> rsa.RSAPrivateKey:
    """Generate a new RSA signing key (RSA-3072, e=65537) from the OS RNG.

    :raises BadgeKeyError: ``key.too_small`` if ``bits`` < 3072.
    """
    if bits < RSA_KEY_BITS:
        raise BadgeKeyError("key.too_small", {"bits": bits, "minimum": RSA_KEY_BITS})
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def encrypt_private_key(key: rsa.RSAPrivateKey, passphrase: bytes) -> bytes:
    """Serialise ``key`` as encrypted PKCS#8 PEM (PBES2/AES-256-CBC via cryptography).

    :raises BadgeKeyError: ``key.empty_passphrase`` if the passphrase is empty.
    """
    if not passphrase:
        raise BadgeKeyError("key.empty_passphrase")
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )


def load_private_key(pem: bytes, passphrase: bytes) -> rsa.RSAPrivateKey:
    """Load an encrypted PKCS#8 PEM written by :func:`encrypt_private_key`.

    :raises BadgeKeyError: ``key.bad_pem`` (wrong passphrase or corrupt file),
        ``key.not_rsa`` or ``key.too_small`` (under 3072 bits).
    """
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase)
    except (ValueError, TypeError) as exc:
        raise BadgeKeyError("key.bad_pem") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BadgeKeyError("key.not_rsa")
    if key.key_size < RSA_KEY_BITS:
        raise BadgeKeyError("key.too_small", {"bits": key.key_size, "minimum": RSA_KEY_BITS})
    return key


def kid_url(base_url: str, key_id: str) -> str:
    """Return the dereferenceable kid URL ``{base_url}/keys/{key_id}``.

    ``base_url`` is the portal origin (https, no trailing path needed); ``key_id`` is a short
    URL-safe token such as ``"2025-04"``.  The portal must serve exactly one public JWK there.

    :raises BadgeKeyError: ``key.bad_kid`` for a non-https base or an unsafe key id.
    """
    base = base_url.rstrip("/")
    if not base.startswith("https://") or not _KEY_ID.fullmatch(key_id):
        raise BadgeKeyError("key.bad_kid", {"kid": f"{base}/keys/{key_id}"[:200]})
    return f"{base}/keys/{key_id}"


def _int_b64(value: int) -> str:
    return b64url_encode(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def public_jwk(
    key: rsa.RSAPrivateKey | rsa.RSAPublicKey, kid: str, alg: str = "RS256"
) -> dict[str, str]:
    """Public JWK ``{"kty","n","e","kid","alg","use"}`` for ``key`` (never any private member)."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    numbers = public.public_numbers()
    return {
        "kty": "RSA",
        "n": _int_b64(numbers.n),
        "e": _int_b64(numbers.e),
        "kid": kid,
        "alg": alg,
        "use": "sig",
    }


def jwks(keys: Iterable[Mapping[str, Any]], **extra: Any) -> dict[str, Any]:
    """Build a JWK Set ``{"keys": [...], **extra}`` from public JWKs (current and retired).

    ``extra`` members (e.g. ``issuers=[...]``, see the trust-file convention in the README)
    are added after ``keys``.

    :raises BadgeKeyError: ``key.private_member`` if a JWK carries private material,
        ``key.duplicate_kid`` if two keys share a kid.
    """
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for jwk in keys:
        leaked = PRIVATE_JWK_MEMBERS.intersection(jwk)
        if leaked:
            raise BadgeKeyError("key.private_member", {"member": sorted(leaked)[0]})
        kid = jwk.get("kid")
        if isinstance(kid, str):
            if kid in seen:
                raise BadgeKeyError("key.duplicate_kid", {"kid": kid})
            seen.add(kid)
        out.append(dict(jwk))
    doc: dict[str, Any] = {"keys": out}
    doc.update(extra)
    return doc


_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint (base64url) of an RSA or EC public JWK.

    :raises BadgeKeyError: ``key.bad_jwk`` if required members are missing.
    """
    kty = jwk.get("kty")
    members = _THUMBPRINT_MEMBERS.get(kty) if isinstance(kty, str) else None
    if members is None or not all(isinstance(jwk.get(m), str) for m in members):
        raise BadgeKeyError("key.bad_jwk", {"reason": "members"})
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def _b64_int(value: object, name: str) -> int:
    if not isinstance(value, str) or not value:
        raise BadgeKeyError("key.bad_jwk", {"reason": name})
    try:
        raw = b64url_decode(value)
    except ValueError as exc:
        raise BadgeKeyError("key.bad_jwk", {"reason": name}) from exc
    return int.from_bytes(raw, "big")


def public_key_from_jwk(jwk: Mapping[str, Any]) -> tuple[PublicKey, str]:
    """Validate a public JWK and return ``(key object, algorithm)``.

    RSA keys must be at least 2048 bits and map to RS256; EC keys must be P-256 (ES256).
    A JWK ``alg`` other than that algorithm, a ``use`` other than ``sig`` or any private
    member is rejected.

    :raises BadgeKeyError: ``key.private_member``, ``key.bad_jwk``, ``key.too_small``,
        ``key.unsupported``.
    """
    if not isinstance(jwk, Mapping):
        raise BadgeKeyError("key.bad_jwk", {"reason": "not an object"})
    leaked = PRIVATE_JWK_MEMBERS.intersection(jwk)
    if leaked:
        raise BadgeKeyError("key.private_member", {"member": sorted(leaked)[0]})
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise BadgeKeyError("key.bad_jwk", {"reason": "use"})
    kty = jwk.get("kty")
    if kty == "RSA":
        alg = "RS256"
        n = _b64_int(jwk.get("n"), "n")
        e = _b64_int(jwk.get("e"), "e")
        if n.bit_length() < MIN_VERIFY_RSA_BITS:
            raise BadgeKeyError(
                "key.too_small", {"bits": n.bit_length(), "minimum": MIN_VERIFY_RSA_BITS}
            )
        if e < 3 or e % 2 == 0 or e.bit_length() > 64:
            raise BadgeKeyError("key.bad_jwk", {"reason": "e"})
        try:
            key: PublicKey = rsa.RSAPublicNumbers(e, n).public_key()
        except ValueError as exc:
            raise BadgeKeyError("key.bad_jwk", {"reason": "rsa"}) from exc
    elif kty == "EC":
        alg = "ES256"
        if jwk.get("crv") != "P-256":
            raise BadgeKeyError("key.unsupported", {"kty": "EC " + str(jwk.get("crv"))[:16]})
        x, y = jwk.get("x"), jwk.get("y")
        if not (isinstance(x, str) and isinstance(y, str)):
            raise BadgeKeyError("key.bad_jwk", {"reason": "xy"})
        try:
            xb, yb = b64url_decode(x), b64url_decode(y)
        except ValueError as exc:
            raise BadgeKeyError("key.bad_jwk", {"reason": "xy"}) from exc
        if len(xb) != 32 or len(yb) != 32:
            raise BadgeKeyError("key.bad_jwk", {"reason": "xy"})
        try:
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + xb + yb)
        except ValueError as exc:
            raise BadgeKeyError("key.bad_jwk", {"reason": "point"}) from exc
    else:
        raise BadgeKeyError("key.unsupported", {"kty": str(kty)[:16]})
    declared = jwk.get("alg")
    if declared is not None and declared != alg:
        raise BadgeKeyError("key.bad_jwk", {"reason": "alg"})
    return key, alg


@dataclass(frozen=True)
class SigningKey:
    """A loaded RSA-3072 private key plus its kid URL; sign with :func:`badges.sign_credential`.

    Build it once at start-up (loading an encrypted PEM runs a slow KDF) and reuse it.
    """

    kid: str
    private_key: rsa.RSAPrivateKey = field(repr=False)
    header_b64: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.private_key, rsa.RSAPrivateKey):
            raise BadgeKeyError("key.not_rsa")
        if self.private_key.key_size < RSA_KEY_BITS:
            raise BadgeKeyError(
                "key.too_small", {"bits": self.private_key.key_size, "minimum": RSA_KEY_BITS}
            )
        if not self.kid.startswith("https://"):
            raise BadgeKeyError("key.bad_kid", {"kid": self.kid[:200]})
        header = json.dumps(
            {"alg": "RS256", "kid": self.kid, "typ": "JWT"},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        object.__setattr__(self, "header_b64", b64url_encode(header.encode("utf-8")))

    @classmethod
    def from_pem(cls, pem: bytes, passphrase: bytes, kid: str) -> SigningKey:
        """Load an encrypted PKCS#8 PEM and bind it to ``kid``.

        :raises BadgeKeyError: see :func:`load_private_key`.
        """
        return cls(kid=kid, private_key=load_private_key(pem, passphrase))

    def public_jwk(self) -> dict[str, str]:
        """The public JWK the portal serves at ``kid``."""
        return public_jwk(self.private_key, self.kid)

    def sign(self, signing_input: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 with SHA-256 (RS256) over ``signing_input``."""
        return self.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
