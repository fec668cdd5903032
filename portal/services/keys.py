"""Signing keys: generation, rotation, listing, and loading the active private key.

Private keys live only in ``SIGNING_KEY_DIR`` as encrypted PKCS#8 PEM files named
``<key_id>.pem`` (mode 0600). The database holds the public half (`SigningKey`: the
public JWK and its kid URL ``{base}/keys/{key_id}``) and which key is active. Exactly one
key is active (``uq_signing_keys_one_active``); retired keys stay published so that
everything they signed still verifies. Key ids and kid URLs are never reused.

Several gunicorn workers share the key directory and the database: each worker loads the
active key once and reloads it when the active key changes (see :class:`KeyCache`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

import badges
from portal.exceptions import Conflict, NotFound
from portal.models import KeyStatus, Person, SigningKey
from portal.models.base import DBSession
from portal.services.audit import record_event


class KeyUnavailable(Conflict):
    """No usable signing key: none generated, file missing, or wrong passphrase."""

    code = "signing_key_unavailable"


def credential_base_url(portal_base_url: str) -> str:
    """The https origin used in credential, issuer, achievement and key ids.

    Open Badges ids must be https. Production refuses a non-https PORTAL_BASE_URL
    (ProdConfig.validate); a development instance on ``http://127.0.0.1:5000`` issues
    with ``https://127.0.0.1:5000`` ids, which verify against the instance's own JWKS
    (README "Key management").
    """
    base = portal_base_url.rstrip("/")
    if base.startswith("http://"):
        return "https://" + base[len("http://") :]
    return base


def new_key_id(now: datetime) -> str:
    """A fresh key id such as ``20250401-3f9a1c2e`` (date + random, URL-safe)."""
    return f"{now:%Y%m%d}-{secrets.token_hex(4)}"


def key_path(key_dir: str | Path, key_id: str) -> Path:
    return Path(key_dir) / f"{key_id}.pem"


def _write_private(path: Path, pem: bytes) -> None:
    """Write `pem` to a new file readable by the owner only (never overwrites)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


def find_active_key(session: DBSession) -> SigningKey | None:
    return session.scalar(select(SigningKey).where(SigningKey.status == KeyStatus.ACTIVE))


def list_keys(session: DBSession) -> list[SigningKey]:
    """Every key, newest first (active and retired)."""
    return list(session.scalars(select(SigningKey).order_by(SigningKey.id.desc())))


def generate_signing_key(
    session: DBSession,
    *,
    key_dir: str | Path,
    passphrase: str,
    base_url: str,
    now: datetime,
    actor: Person | None = None,
    rotate: bool = False,
    bits: int = 3072,
) -> SigningKey:
    """Create an RSA-3072 key, store it encrypted and make it the active key.

    With ``rotate`` the current active key (if any) is retired first; without it an
    existing active key is an error. The PEM file is written before the row is flushed;
    if the transaction later fails, an unused file is left behind (never a row without
    a file).

    :raises Conflict: ``active_key_exists`` (not rotating and a key is active).
    :raises KeyUnavailable: ``empty_passphrase``.
    """
    if not passphrase:
        raise KeyUnavailable("empty_passphrase")
    current = find_active_key(session)
    if current is not None and not rotate:
        raise Conflict("active_key_exists", key_id=current.key_id)
    key_id = new_key_id(now)
    kid = f"{credential_base_url(base_url)}/keys/{key_id}"
    private = badges.generate_key(bits)
    pem = badges.encrypt_private_key(private, passphrase.encode("utf-8"))
    _write_private(key_path(key_dir, key_id), pem)
    if current is not None:
        current.status = KeyStatus.RETIRED
        current.retired_at = now
        session.flush()
    row = SigningKey(
        key_id=key_id,
        kid_url=kid,
        algorithm="RS256",
        public_jwk=badges.public_jwk(private, kid),
        status=KeyStatus.ACTIVE,
        created_at=now,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        action="keys.rotated" if current is not None else "keys.generated",
        subject_type="signing_key",
        subject_id=key_id,
        actor=actor,
        data={
            "kid": kid,
            "thumbprint": badges.jwk_thumbprint(row.public_jwk),
            "retired": current.key_id if current is not None else None,
        },
        now=now,
    )
    return row


def published_jwks(rows: list[SigningKey]) -> dict[str, Any]:
    """The JWKS of the published keys (active first, then retired, newest first).

    This is the offline verifier's trust file (badges/README "Trust store"): no top-level
    ``issuers`` member, so every key is trusted for the issuer ids on its kid's origin,
    which is where 北海道 and every municipality have their Profile ids. Compromised keys
    are left out, so nothing they signed verifies any more.
    """
    ordered = sorted(
        (r for r in rows if r.is_published), key=lambda r: (r.status != KeyStatus.ACTIVE, -r.id)
    )
    return badges.jwks(r.public_jwk for r in ordered)


# Loading the active key -----------------------------------------------------------------


@dataclass(frozen=True)
class ActiveKey:
    """The loaded active key: its row id (for IssuedCredential.signing_key_id) and signer."""

    row_id: int
    key_id: str
    signer: badges.SigningKey


_loaded: dict[tuple[str, str, str], badges.SigningKey] = {}
_loaded_lock = threading.Lock()


def load_signer(key_dir: str | Path, key_id: str, kid: str, passphrase: str) -> badges.SigningKey:
    """Load and decrypt ``<key_dir>/<key_id>.pem`` (cached per process: the KDF is slow).

    :raises KeyUnavailable: ``key_file_missing`` or ``key_unreadable``.
    """
    path = key_path(key_dir, key_id)
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise KeyUnavailable("key_file_missing", key_id=key_id) from exc
    cache_key = (
        kid,
        hashlib.sha256(pem).hexdigest(),
        hashlib.sha256(passphrase.encode("utf-8")).hexdigest(),
    )
    with _loaded_lock:
        cached = _loaded.get(cache_key)
    if cached is not None:
        return cached
    try:
        signer = badges.SigningKey.from_pem(pem, passphrase.encode("utf-8"), kid)
    except badges.BadgeError as exc:
        raise KeyUnavailable("key_unreadable", key_id=key_id, reason=exc.code) from exc
    with _loaded_lock:
        if len(_loaded) > 16:
            _loaded.clear()
        _loaded[cache_key] = signer
    return signer


class KeyCache:
    """The active signing key of one app, reloaded when another process rotates it.

    `get` costs one small query (which key is active?) and loads the PEM only when the
    answer changes. Kept in ``app.extensions["signing_keys"]``.
    """

    def __init__(self, key_dir: str | Path, passphrase: str) -> None:
        self.key_dir = key_dir
        self.passphrase = passphrase
        self._current: ActiveKey | None = None
        self._lock = threading.Lock()

    def get(self, session: DBSession) -> ActiveKey:
        """The active key, loaded.

        :raises KeyUnavailable: ``no_active_key`` or as :func:`load_signer`.
        """
        found = session.execute(
            select(SigningKey.id, SigningKey.key_id, SigningKey.kid_url).where(
                SigningKey.status == KeyStatus.ACTIVE
            )
        ).first()
        if found is None:
            raise KeyUnavailable("no_active_key")
        current = self._current
        if current is not None and current.row_id == found.id:
            return current
        with self._lock:
            signer = load_signer(self.key_dir, found.key_id, found.kid_url, self.passphrase)
            self._current = ActiveKey(found.id, found.key_id, signer)
            return self._current


def mark_compromised(
    session: DBSession, key_id: str, *, actor: Person | None, now: datetime, reason: str
) -> SigningKey:
    """Stop publishing and trusting a retired key (it leaked or may have).

    Everything it signed stops verifying; the caller revokes those credentials and
    reissues them with the active key (`portal.services.issuance.reissue_for_key`).

    :raises NotFound: no such key. :raises Conflict: ``rotate_first`` for the active key.
    """
    row = session.scalar(select(SigningKey).where(SigningKey.key_id == key_id))
    if row is None:
        raise NotFound("key_not_found", key_id=key_id)
    if row.status == KeyStatus.ACTIVE:
        raise Conflict("rotate_first", key_id=key_id)
    if row.status != KeyStatus.COMPROMISED:
        row.status = KeyStatus.COMPROMISED
        row.retired_at = row.retired_at or now
        record_event(
            session,
            action="keys.compromised",
            subject_type="signing_key",
            subject_id=key_id,
            actor=actor,
            reason=reason,
            data={"kid": row.kid_url},
            now=now,
        )
        session.flush()
    return row
