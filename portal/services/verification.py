"""Verifying credentials: ours (from the database and our keys) and other issuers'.

`badges.verify_credential` does the checking; this module decides which keys to trust and
which status documents to give it, and adds what only the portal knows:

* **Our keys**: every published `SigningKey` (active and retired), trusted for issuer ids
  on the key's origin. The trust store is rebuilt only when the keys change.
* **Our status**: for a credential we issued, the revocation check uses its row's status
  (a one-row view of the published list), so a revocation shows at once.
* **Other issuers**: their ``kid`` is fetched over https only, and only when it is on the
  same origin as the token's ``iss`` (RFC 8725 §3.10: the key is bound to the issuer's
  site, never to a header-supplied URL). :class:`SafeFetcher` refuses private, loopback,
  link-local and other non-public addresses (it resolves the name, checks every address
  and connects to the checked one), has timeouts and a size limit, follows no redirects,
  and caches answers (bounded, with a time to live). Their status lists are fetched the
  same way.
* **Portal checks** (after the library's): ``issuer`` (ours or external), ``record``
  (ours but unknown, or renewed since), ``recipient`` (optional e-mail match).

Nothing here raises for bad input: garbage gives ``valid=False`` with the failing check.
Check texts are message keys: library keys render through ``badges.message``; the
portal's own keys (``portal.*``) are rendered by the web edge.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import os
import re
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine, bindparam, event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, scoped_session

import badges
from portal.models import (
    CredentialStatus,
    IssuedCredential,
    KeyStatus,
    Person,
    SigningKey,
    Visibility,
)
from portal.models.base import DBSession
from portal.services.change_feed import (
    CREDENTIAL_PREFIX,
    ChangeFeed,
    RecordCache,
    forget_locally,
)
from portal.services.linkcheck import is_forbidden_address, system_resolver
from portal.services.sharing import can_view

#: Largest input accepted (the library's own limit is 8 MiB).
MAX_INPUT_BYTES = 8 * 1024 * 1024
_CREDENTIAL_PATH = re.compile(
    r"/credentials/(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"(?:\.(?:jws|json|png|svg))?/?",
    re.ASCII,
)
_UUID_URN = re.compile(r"urn:uuid:([0-9a-f-]{36})", re.ASCII)


# Fetching other issuers' keys and lists ---------------------------------------------------


class FetchRefused(Exception):
    """The URL may not or could not be fetched; `code` says why."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


Fetcher = Callable[[str], bytes]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address that was checked, with SNI and certificate checks for the host."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


@dataclass
class SafeFetcher:
    """GET a small public https resource, refusing anything else; cached with a TTL.

    `allow_private` exists for tests against a local server only.
    """

    timeout: float = 4.0
    max_bytes: int = 512 * 1024
    ttl: float = 600.0
    failure_ttl: float = 60.0
    cache_size: int = 256
    allow_private: bool = False
    resolver: Callable[[str, int], Sequence[str]] = system_resolver
    context: ssl.SSLContext | None = None
    _cache: OrderedDict[str, tuple[float, bytes | FetchRefused]] = field(
        default_factory=OrderedDict, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, url: str) -> bytes:
        """The body of `url`. :raises FetchRefused: refused or failed (also cached)."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(url)
            if hit is not None and hit[0] > now:
                self._cache.move_to_end(url)
                if isinstance(hit[1], FetchRefused):
                    raise hit[1]
                return hit[1]
        try:
            body: bytes | FetchRefused = self._fetch(url)
        except FetchRefused as exc:
            body = exc
        except (OSError, http.client.HTTPException, ValueError) as exc:
            body = FetchRefused("network", type(exc).__name__)
        expires = now + (self.failure_ttl if isinstance(body, FetchRefused) else self.ttl)
        with self._lock:
            self._cache[url] = (expires, body)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        if isinstance(body, FetchRefused):
            raise body
        return body

    def check_address(self, host: str, port: int) -> str:
        """The address to connect to; every address the name resolves to must be public.

        :raises FetchRefused: ``blocked_address``. :raises OSError: DNS failure.
        """
        try:
            addresses = [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            addresses = list(self.resolver(host, port))
        if not addresses:
            raise FetchRefused("dns", host)
        if not self.allow_private:
            for text in addresses:
                if is_forbidden_address(ipaddress.ip_address(text.split("%", 1)[0])):
                    raise FetchRefused("blocked_address", text)
        return addresses[0]

    def _fetch(self, url: str) -> bytes:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
            raise FetchRefused("not_https", url[:200])
        port = parts.port or 443
        address = self.check_address(parts.hostname, port)
        context = self.context or ssl.create_default_context()
        conn = _PinnedHTTPSConnection(parts.hostname, port, address, self.timeout, context)
        deadline = time.monotonic() + self.timeout * 2
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request(
                "GET",
                target,
                headers={
                    "Accept": "application/json, application/jwk+json, text/plain",
                    "User-Agent": "HokkaidoDigitalTalentPortal-Verifier/1.0",
                },
            )
            response = conn.getresponse()
            if response.status != 200:
                raise FetchRefused("http_status", str(response.status))
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchRefused("too_large", declared)
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() > deadline:
                    raise FetchRefused("timeout")
                chunk = response.read(16384)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchRefused("too_large", str(size))
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            conn.close()


# Our trust store -------------------------------------------------------------------------

#: How long a worker reuses its copy of our keys. A key generated or rotated elsewhere is
#: picked up at once anyway (an unknown kid on our origin forces a reload); only a key
#: marked compromised by another process may still be trusted by a worker for this long.
TRUST_TTL_SECONDS = 10.0
_trust_cached: tuple[float, badges.TrustStore, frozenset[str]] | None = None
_trust_lock = threading.Lock()


_trust_generation = 0


def forget_trust() -> None:
    """Drop this process's copy of our keys (after generating, rotating or withdrawing one)."""
    global _trust_cached, _trust_generation
    with _trust_lock:
        _trust_cached = None
        _trust_generation += 1  # a load racing with this change is not kept


def own_trust(
    session: DBSession, *, kid: str | None = None
) -> tuple[badges.TrustStore, frozenset[str]]:
    """Our published keys as a trust store, and their kid URLs.

    Cached per process for :data:`TRUST_TTL_SECONDS`; reloaded (one query) when older, or
    when `kid` is on our origin but not in the cached set (a key rotated elsewhere), or at
    once after a key change is announced (PostgreSQL; see :func:`make_record_cache`).
    """
    global _trust_cached
    now = time.monotonic()
    cached = _trust_cached
    if cached is not None and cached[0] > now and (kid is None or kid in cached[2]):
        return cached[1], cached[2]
    generation = _trust_generation
    rows = session.execute(
        select(SigningKey.kid_url, SigningKey.public_jwk).where(
            SigningKey.status != KeyStatus.COMPROMISED
        )
    ).all()
    keys = []
    for row in rows:
        try:
            keys.append(badges.TrustedKey.from_jwk(row.public_jwk))
        except badges.BadgeError:  # a broken row must not stop verification of the rest
            continue
    store, kids = badges.TrustStore(keys), frozenset(r.kid_url for r in rows)
    with _trust_lock:
        if generation == _trust_generation:  # else a key changed meanwhile: read it next time
            _trust_cached = (now + TRUST_TTL_SECONDS, store, kids)
    return store, kids


# Reading a token before verifying it -------------------------------------------------------


@dataclass(frozen=True)
class Peek:
    """Unverified hints from the input, used only to pick keys and status documents."""

    kid: str | None = None
    iss: str | None = None
    credential_id: str | None = None
    has_jwk: bool = False


def peek(data: bytes | str | badges.ReadInput) -> Peek:
    """Best effort, never raises: the verifier checks everything properly afterwards."""
    try:
        read = data if isinstance(data, badges.ReadInput) else badges.read_input(data)
        if read.document is not None:
            doc = read.document
            issuer = doc.get("issuer")
            return Peek(
                iss=issuer.get("id") if isinstance(issuer, dict) else issuer,
                credential_id=doc.get("id") if isinstance(doc.get("id"), str) else None,
            )
        if read.jws is None:
            return Peek()
        header, payload = read.jws.header, read.jws.payload
        vc = payload.get("vc")
        inner: dict[str, Any] = vc if isinstance(vc, dict) else payload
        cred_id = payload.get("jti") or inner.get("id")
        kid = header.get("kid")
        iss = payload.get("iss")
        return Peek(
            kid=kid if isinstance(kid, str) else None,
            iss=iss if isinstance(iss, str) else None,
            credential_id=cred_id if isinstance(cred_id, str) else None,
            has_jwk="jwk" in header,
        )
    except Exception:  # noqa: BLE001 - garbage is reported by the verifier, not here
        return Peek()


def _origin(url: str | None) -> tuple[str, int] | None:
    if not url or not url.startswith("https://"):
        return None
    try:
        parts = urlsplit(url)
        return (parts.hostname or "").lower(), parts.port or 443
    except ValueError:
        return None


# The verification itself -----------------------------------------------------------------


#: One line of the report: step code, ok/warn/fail, message key and its parameters. The
#: portal's own checks use the library's type, so its results need no copying.
CheckResult = badges.Check


@dataclass
class Outcome:
    """What the verify page and API show."""

    valid: bool
    checks: list[CheckResult]
    summary: dict[str, Any] | None = None
    #: Our stored credential, when the input is one of ours.
    row: Record | None = None
    ours: bool = False
    kind: str | None = None

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == "fail"]


@dataclass(frozen=True)
class VerifyContext:
    """Where verification runs: our origin(s), the clock and the network policy."""

    base_url: str
    now: datetime
    fetcher: Fetcher | None
    #: Other origins under which our credential URLs are accepted (e.g. the http dev URL).
    aliases: tuple[str, ...] = ()
    #: The database, for reading a record when no session has been opened in this scope
    #: (an API request that needs nothing else from the database never creates one).
    engine: Engine | None = None
    #: Copies of records kept true by database notifications (PostgreSQL), or None.
    records: RecordCache[str, Record] | None = None


@dataclass(frozen=True)
class Record:
    """What verification needs of one of our stored credentials (read in one query)."""

    id: int
    uuid: str
    status: CredentialStatus
    valid_until: datetime | None
    visibility: Visibility
    share_token: str | None
    person_id: int
    status_list_index: int
    jws: str
    holder_name: str
    holder_org_id: int


_RECORD_QUERY = (
    select(
        IssuedCredential.id,
        IssuedCredential.uuid,
        IssuedCredential.status,
        IssuedCredential.valid_until,
        IssuedCredential.visibility,
        IssuedCredential.share_token,
        IssuedCredential.person_id,
        IssuedCredential.status_list_index,
        IssuedCredential.jws,
        Person.name,
        Person.organisation_id,
    )
    .join(Person, Person.id == IssuedCredential.person_id)
    .where(IssuedCredential.uuid == bindparam("credential_uuid"))
)


@dataclass(frozen=True)
class _CompiledLookup:
    """:data:`_RECORD_QUERY` compiled for one database driver, with the columns' result
    processors (so rows come back typed exactly as through a SQLAlchemy connection)."""

    sql: str
    positional: bool
    processors: tuple[Callable[[Any], Any] | None, ...]


_lookups: dict[tuple[str, str, str], _CompiledLookup] = {}


def _compiled_lookup(engine: Engine) -> _CompiledLookup:
    dialect = engine.dialect
    key = (dialect.name, str(dialect.driver), str(dialect.paramstyle))
    found = _lookups.get(key)
    if found is None:
        compiled = _RECORD_QUERY.compile(dialect=dialect)
        found = _CompiledLookup(
            sql=str(compiled),
            positional=bool(compiled.positional),
            processors=tuple(
                column.type.result_processor(dialect, None)
                for column in _RECORD_QUERY.selected_columns
            ),
        )
        _lookups[key] = found
    return found


class _LookupConnections(threading.local):
    """Per thread: one driver connection (and its cursor) kept for record lookups.

    Detached from the pool, so a lookup costs one round trip: no checkout, no liveness
    ping, no reset. A connection that fails is dropped and the lookup retried once on a
    new one (the query only reads), which is what the pool's ping would have bought.
    """

    #: (engine, process id, pooled connection, cursor)
    held: tuple[Engine, int, Any, Any] | None = None


_lookup_connections = _LookupConnections()


def _lookup_cursor(engine: Engine) -> Any:
    held = _lookup_connections.held
    if held is not None and held[0] is engine and held[1] == os.getpid():
        return held[3]
    _drop_lookup_connection()
    pooled = engine.raw_connection()
    pooled.detach()  # ours until dropped; the pool opens another for itself
    if engine.dialect.name == "postgresql":
        driver: Any = pooled.dbapi_connection
        driver.autocommit = True  # no BEGIN/ROLLBACK round trips
        cursor = driver.cursor(binary=True)  # same Python values, parsed with less work
    else:
        cursor = pooled.cursor()
    _lookup_connections.held = (engine, os.getpid(), pooled, cursor)
    return cursor


def _drop_lookup_connection() -> None:
    held = _lookup_connections.held
    _lookup_connections.held = None
    if held is not None and held[1] == os.getpid():  # never close a parent process's link
        with contextlib.suppress(Exception):
            held[2].close()


def _engine_outside_transaction(session: DBSession, engine: Engine | None) -> Engine | None:
    """The engine to read committed rows from directly, or None when the session holds a
    transaction (whose own writes the read must see)."""
    if engine is not None and isinstance(session, scoped_session) and not session.registry.has():
        return engine  # no session yet in this scope, so nothing uncommitted to see
    plain = session() if isinstance(session, scoped_session) else session
    if plain.in_transaction():
        return None
    bind = plain.get_bind()
    return bind if isinstance(bind, Engine) else None


def load_record(
    session: DBSession,
    credential_uuid: str,
    *,
    engine: Engine | None = None,
    cache: RecordCache[str, Record] | None = None,
) -> Record | None:
    """One of our credentials with its holder's name and organisation, or None (one query).

    This runs on every verification, so outside a transaction the single SELECT, compiled
    once per driver, goes to a connection this thread keeps for it (see
    :class:`_LookupConnections`): on PostgreSQL in autocommit mode, on SQLite as it is (a
    SELECT opens no transaction there), so it always reads what is committed. With a
    `cache` (PostgreSQL; from :func:`fresh_records`, which has just applied the announced
    changes), a record read before is answered from it: the cache forgets a record the
    moment a change to it is announced (see :mod:`portal.services.change_feed`).
    Inside a transaction it uses the session's connection, to see what the transaction
    has written, and no cache. `engine` spares creating a session just to learn that it
    holds no transaction.
    """
    params = {"credential_uuid": credential_uuid}
    bind = _engine_outside_transaction(session, engine)
    if bind is None:
        found = session.connection().execute(_RECORD_QUERY, params).first()
        return Record(*found) if found is not None else None
    generation = None
    if cache is not None and cache.feed.engine is bind:
        kept = cache.get(credential_uuid)
        if kept is not None:
            return kept
        generation = cache.generation
    lookup = _compiled_lookup(bind)
    arguments = (credential_uuid,) if lookup.positional else params
    errors = bind.dialect.loaded_dbapi.Error
    for attempt in (1, 2):
        cursor = _lookup_cursor(bind)
        try:
            cursor.execute(lookup.sql, arguments)
            rows = cursor.fetchall()  # to the end: SQLite then ends the read at once
            break
        except errors:
            _drop_lookup_connection()  # e.g. the database restarted: try a new connection
            if attempt == 2:
                raise
    if not rows:
        return None
    record = Record(
        *(
            value if process is None else process(value)
            for process, value in zip(lookup.processors, rows[0], strict=True)
        )
    )
    if cache is not None and generation is not None:
        cache.put(credential_uuid, record, generation)
    return record


def _credential_of(payload: str) -> str | None:
    return payload[len(CREDENTIAL_PREFIX) :] if payload.startswith(CREDENTIAL_PREFIX) else None


#: Person columns a verification record holds (a change to others needs no forgetting).
_PERSON_COLUMNS = ("name", "organisation_id")


#: The tables whose changes verification keeps copies of (bulk statements on them).
_WATCHED_TABLES = frozenset(m.__tablename__ for m in (IssuedCredential, Person, SigningKey))


def _noted(session: Session) -> set[str]:
    """What this session's transaction has changed so far (payloads as the triggers send)."""
    noted: set[str] = session.info.setdefault("portal_changes", set())
    return noted


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _flush: UOWTransaction) -> None:
    """Remember what this transaction changed of what verification keeps copies of (and
    of our keys: a key added, retired or marked compromised)."""
    noted = _noted(session)
    if any(isinstance(obj, SigningKey) for obj in session.new):
        noted.add("signing_keys")
    for obj in [*session.dirty, *session.deleted]:
        if isinstance(obj, IssuedCredential):
            uuid: str | None = inspect(obj).dict.get("uuid")  # (a deleted row may be expired)
            noted.add(CREDENTIAL_PREFIX + uuid if uuid else "issued_credentials")
        elif isinstance(obj, SigningKey):
            noted.add("signing_keys")
        elif isinstance(obj, Person) and (
            obj in session.deleted
            or any(inspect(obj).attrs[c].history.has_changes() for c in _PERSON_COLUMNS)
        ):
            noted.add("people")


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: ORMExecuteState) -> None:
    """A bulk UPDATE or DELETE on a watched model may touch any copy."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)  # update(Model) and update(table) alike
    name = getattr(table, "name", None)
    if name in _WATCHED_TABLES:
        _noted(state.session).add(name)


@event.listens_for(Session, "after_commit")
def _apply_changes(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction may still roll back
    noted = session.info.pop("portal_changes", None)
    if noted:
        forget_locally(noted)
        if "signing_keys" in noted:
            forget_trust()


@event.listens_for(Session, "after_rollback")
def _drop_changes(session: Session) -> None:
    if not session.in_nested_transaction():  # (after a savepoint's, forgetting more is safe)
        session.info.pop("portal_changes", None)


def fresh_records(ctx: VerifyContext) -> RecordCache[str, Record] | None:
    """The context's record copies with every announced change applied, or None when they
    may not be used now (none kept here, or the feed is not proven)."""
    return ctx.records if ctx.records is not None and ctx.records.usable() else None


def make_record_cache(engine: Engine, size: int) -> RecordCache[str, Record] | None:
    """Copies of verification records for this engine, or None where they cannot be kept
    true (no notifications: SQLite) or `size` is 0.

    The same notifications make a key change (e.g. one marked compromised) reach our trust
    store at once, instead of after :data:`TRUST_TTL_SECONDS`.
    """
    if size <= 0 or engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return None
    feed = ChangeFeed(engine)
    feed.subscribe(lambda payload: forget_trust() if payload in (None, "signing_keys") else None)
    event.listen(engine, "engine_disposed", lambda _engine: feed.close())
    return RecordCache(feed, size, _credential_of)


def _uuid_of(credential_id: str | None) -> str | None:
    match = _UUID_URN.fullmatch(credential_id or "")
    return match.group(1) if match else None


class _StatusResolver:
    """Status documents for the library: ours from the row, others' fetched (lazily)."""

    def __init__(self, base_url: str, row: Record | None, fetcher: Fetcher | None) -> None:
        self.base_url = base_url
        self.row = row
        self.fetcher = fetcher
        self.fetched = 0

    def __call__(self, url: str) -> Mapping[str, Any] | str | None:
        if url.startswith(self.base_url + "/status/"):
            if self.row is None:
                return None
            if "/status/revocations/" not in url:
                return None
            revoked = self.row.status == CredentialStatus.REVOKED
            entries = [{"id": badges.urn_uuid(self.row.uuid), "revoked": True}] if revoked else []
            return {"id": url, "type": "1EdTechRevocationList", "revokedCredential": entries}
        if self.fetcher is None or self.fetched >= 2:
            return None
        self.fetched += 1
        try:
            body = self.fetcher(url)
            text = body.decode("utf-8").strip()
            if text.startswith("{"):
                document = json.loads(text)
                return document if isinstance(document, dict) else None
            return text
        except (FetchRefused, UnicodeDecodeError, ValueError):
            return None


def _external_trust(
    own: badges.TrustStore, hint: Peek, ctx: VerifyContext
) -> tuple[badges.TrustStore, list[CheckResult]]:
    """Our keys plus the issuer's key fetched from its kid, when that is allowed."""
    notes: list[CheckResult] = []
    kid_origin, iss_origin = _origin(hint.kid), _origin(hint.iss)
    if hint.kid is None:
        return own, notes
    if kid_origin is None:
        notes.append(CheckResult("fetch", "fail", "portal.kid_not_https", {"kid": hint.kid[:200]}))
        return own, notes
    if kid_origin != iss_origin:
        notes.append(
            CheckResult("fetch", "fail", "portal.kid_other_origin", {"kid": hint.kid[:200]})
        )
        return own, notes
    if ctx.fetcher is None:
        notes.append(CheckResult("fetch", "fail", "portal.fetch_disabled", {}))
        return own, notes
    try:
        body = ctx.fetcher(hint.kid)
        jwk = json.loads(body.decode("utf-8"))
        if not isinstance(jwk, dict):
            raise ValueError("not an object")
        jwk = {**jwk, "kid": hint.kid}
        remote = badges.TrustedKey.from_jwk(jwk)
    except FetchRefused as exc:
        notes.append(
            CheckResult(
                "fetch", "fail", "portal.fetch_failed", {"kid": hint.kid[:200], "reason": exc.code}
            )
        )
        return own, notes
    except (ValueError, UnicodeDecodeError, badges.BadgeError):
        notes.append(CheckResult("fetch", "fail", "portal.fetch_bad_key", {"kid": hint.kid[:200]}))
        return own, notes
    notes.append(CheckResult("fetch", "ok", "portal.fetch_ok", {"kid": hint.kid[:200]}))
    return badges.TrustStore([*own.keys, remote]), notes


def verify_input(
    session: DBSession,
    data: bytes | str,
    ctx: VerifyContext,
    *,
    viewer: Person | None = None,
    email: str | None = None,
) -> Outcome:
    """Verify a pasted or uploaded credential (PNG, SVG, JWS or JSON)."""
    if isinstance(data, bytes | str) and len(data) > MAX_INPUT_BYTES:
        return Outcome(
            False,
            [
                CheckResult(
                    "extract",
                    "fail",
                    "input.too_large",
                    {"size": len(data), "limit": MAX_INPUT_BYTES},
                )
            ],
        )
    records = fresh_records(ctx)  # first: a key marked compromised must not be trusted
    read = badges.read_input(data)  # once: for choosing keys here, then for the verifier
    hint = peek(read)
    own, own_kids = own_trust(
        session, kid=hint.kid if hint.kid and hint.kid.startswith(ctx.base_url + "/") else None
    )
    ours = hint.kid in own_kids if hint.kid else False
    notes: list[CheckResult] = []
    trust = own
    if not ours and hint.kid is not None:
        trust, notes = _external_trust(own, hint, ctx)
    row = None
    cred_uuid = _uuid_of(hint.credential_id)
    if cred_uuid and (ours or (hint.iss or "").startswith(ctx.base_url + "/")):
        row = load_record(session, cred_uuid, engine=ctx.engine, cache=records)
    result = badges.verify_credential(
        read,
        trust=trust,
        now=ctx.now,
        status=_StatusResolver(ctx.base_url, row, None if ours else ctx.fetcher),
        strict_claims=ours,
    )
    checks = [*notes, *result.checks]
    summary = None
    if result.credential is not None and result.authenticated:
        checks.extend(_portal_checks(result, row, ours, email))
        summary = summarise(result.credential, row if ours else None, ctx, viewer, result=result)
    valid = result.valid and not any(c.status == "fail" for c in checks)
    return Outcome(valid, checks, summary, row if ours else None, ours, result.kind)


def _portal_checks(
    result: badges.VerificationResult,
    row: Record | None,
    ours: bool,
    email: str | None,
) -> list[CheckResult]:
    credential = result.credential or {}
    issuer = credential.get("issuer")
    issuer_name = issuer.get("name", "") if isinstance(issuer, dict) else ""
    issuer_id = issuer.get("id", "") if isinstance(issuer, dict) else str(issuer or "")
    out: list[CheckResult] = []
    if ours:
        out.append(CheckResult("issuer", "ok", "portal.issuer_ours", {"issuer": issuer_name}))
        if row is None:
            out.append(CheckResult("record", "warn", "portal.record_missing", {}))
        elif row.status == CredentialStatus.SUPERSEDED:
            out.append(CheckResult("record", "warn", "portal.record_superseded", {}))
        elif row.status == CredentialStatus.ACTIVE:
            out.append(CheckResult("record", "ok", "portal.record_ok", {}))
    else:
        origin = _origin(issuer_id)
        out.append(
            CheckResult(
                "issuer",
                "warn",
                "portal.issuer_external",
                {"issuer": issuer_name or issuer_id, "origin": origin[0] if origin else ""},
            )
        )
    if email and email.strip():
        subject = credential.get("credentialSubject")
        subject = subject[0] if isinstance(subject, list) and subject else subject
        identifiers = subject.get("identifier", []) if isinstance(subject, dict) else []
        matched = False
        for ident in identifiers if isinstance(identifiers, list) else []:
            if not isinstance(ident, dict):
                continue
            salt = ident.get("salt") or ""
            target = ident.get("identityHash")
            try:
                matched = (
                    matched or badges.hash_identifier(badges.normalise_email(email), salt) == target
                )
            except (TypeError, ValueError):
                continue
        out.append(
            CheckResult(
                "recipient",
                "ok" if matched else "fail",
                "portal.recipient_match" if matched else "portal.recipient_mismatch",
                {},
            )
        )
    return out


def _alignment_names(achievement: Mapping[str, Any]) -> list[dict[str, str]]:
    out = []
    for item in achievement.get("alignment") or []:
        if isinstance(item, dict):
            out.append(
                {
                    "name": str(item.get("targetName", "")),
                    "code": str(item.get("targetCode", "")),
                    "framework": str(item.get("targetFramework", "")),
                    "url": str(item.get("targetUrl", "")),
                }
            )
    return out


class HasState(Protocol):
    @property
    def status(self) -> CredentialStatus: ...

    @property
    def valid_until(self) -> datetime | None: ...


def credential_state(row: HasState | None, now: datetime) -> str:
    """active / expired / revoked / superseded, or ``unknown`` (not ours)."""
    if row is None:
        return "unknown"
    if row.status == CredentialStatus.REVOKED:
        return "revoked"
    if row.status == CredentialStatus.SUPERSEDED:
        return "superseded"
    if row.valid_until is not None and row.valid_until <= now:
        return "expired"
    return "active"


def summarise(
    credential: Mapping[str, Any],
    row: Record | None,
    ctx: VerifyContext,
    viewer: Person | None,
    *,
    result: badges.VerificationResult | None = None,
) -> dict[str, Any]:
    """What the credential says (only shown once its signature checked out)."""
    issuer = credential.get("issuer")
    issuer = issuer if isinstance(issuer, dict) else {"id": issuer}
    parent = issuer.get("parentOrg") if isinstance(issuer.get("parentOrg"), dict) else None
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    state = credential_state(row, ctx.now)
    if row is None and result is not None:
        state = (
            "revoked"
            if result.failed("status")
            and any(c.message_key == "status.revoked" for c in result.checks)
            else ("expired" if result.failed("expiry") else "external")
        )
    summary: dict[str, Any] = {
        "id": credential.get("id"),
        "name": credential.get("name") or achievement.get("name"),
        "achievement": {
            "id": achievement.get("id"),
            "name": achievement.get("name"),
            "type": achievement.get("achievementType"),
            "alignments": _alignment_names(achievement),
        },
        "issuer": {
            "id": issuer.get("id"),
            "name": issuer.get("name"),
            "parent": parent.get("name") if parent else None,
        },
        "subject": subject.get("id"),
        "validFrom": credential.get("validFrom") or credential.get("issuanceDate"),
        "validUntil": credential.get("validUntil") or credential.get("expirationDate"),
        "status": state,
        "holder": None,
        "url": None,
    }
    if row is not None:
        summary["status_list_index"] = row.status_list_index
        if row.visibility in (Visibility.PUBLIC, Visibility.LINK) or can_view(
            viewer, row, row.holder_org_id
        ):
            summary["holder"] = row.holder_name
        if row.visibility == Visibility.PUBLIC:
            summary["url"] = f"{ctx.base_url}/credentials/{row.uuid}"
    return summary


# Our credential URLs ----------------------------------------------------------------------


@dataclass(frozen=True)
class UrlTarget:
    credential_uuid: str
    share_token: str | None


def parse_credential_url(url: str, ctx: VerifyContext) -> UrlTarget | None:
    """The credential a URL of ours points at (page, .jws, .json, .png, .svg), else None."""
    url = url.strip()
    if len(url) > 2000:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    origin = f"{parts.scheme}://{parts.netloc}".lower()
    allowed = {o.rstrip("/").lower() for o in (ctx.base_url, *ctx.aliases)}
    if origin not in allowed:
        return None
    match = _CREDENTIAL_PATH.fullmatch(parts.path)
    if match is None:
        return None
    tokens = parse_qs(parts.query).get("share") or []
    return UrlTarget(match.group("uuid"), tokens[0] if tokens else None)


def verify_url(
    session: DBSession,
    url: str,
    ctx: VerifyContext,
    *,
    viewer: Person | None = None,
    email: str | None = None,
) -> Outcome:
    """Verify one of our credential URLs; others (or private ones) are not fetched."""
    target = parse_credential_url(url, ctx)
    if target is None:
        return Outcome(False, [CheckResult("extract", "fail", "portal.url_not_ours", {})])
    row = load_record(session, target.credential_uuid, engine=ctx.engine, cache=fresh_records(ctx))
    if row is None or not can_view(viewer, row, row.holder_org_id, target.share_token):
        return Outcome(False, [CheckResult("extract", "fail", "portal.url_not_found", {})])
    if row.jws.count(".") != 2:
        return Outcome(False, [CheckResult("extract", "fail", "portal.url_not_found", {})])
    return verify_input(session, row.jws, ctx, viewer=viewer, email=email)


def looks_like_url(text: str) -> bool:
    stripped = text.strip()
    return (
        stripped.startswith(("https://", "http://"))
        and "\n" not in stripped
        and len(stripped) < 2000
    )
