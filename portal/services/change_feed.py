"""Changes pushed by PostgreSQL, so a worker can keep copies that are never stale.

Database triggers (see :mod:`portal.models.changes`) send a notification on the channel
:data:`CHANNEL` whenever a stored credential, a person's name or organisation, or a
signing key changes, at the moment that change commits. Each process LISTENs on one
connection of its own and reads what has arrived, without waiting, at the start of every
use (:meth:`ChangeFeed.refresh`); there is no background thread.

What the copies may assume:

* Every notification that reached the process before a request began is applied before
  the request reads a copy, so a revocation committed before the request is seen.
* A copy is stored only if no notification arrived while it was being read
  (:attr:`ChangeFeed.generation`), so a change racing with the read is never lost.
* Every :data:`HEARTBEAT_SECONDS` the process sends a notification of its own and expects
  it back within :data:`HEARTBEAT_TIMEOUT_SECONDS`: this proves the whole path works (a
  pooler that runs LISTEN on a server connection other than ours would fail it). When the
  connection fails or the heartbeat does not come back, everything is forgotten and
  nothing is kept until a new connection listens again and its first heartbeat is back. A silent failure can therefore
  leave a copy in use for at most the sum of the two (about 8 seconds), never longer.

:class:`RecordCache` is the bounded copy of verification records built on it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from sqlalchemy import Engine

#: The notification channel the triggers send on.
CHANNEL = "portal_changes"
_CHANNEL_BYTES = CHANNEL.encode()
#: Payload prefix of a change to one credential ("credential:<uuid>"); any other payload
#: names a table whose change may touch any copy ("people", "signing_keys", ...). On the
#: wire each payload starts with the table's schema and "/"; the feed passes on only its
#: own schema's changes, without that prefix.
CREDENTIAL_PREFIX = "credential:"
HEARTBEAT_SECONDS = 5.0
HEARTBEAT_TIMEOUT_SECONDS = 3.0
#: After a failed connection, wait this long before trying again (requests go on
#: uncached meanwhile, reading the database as before).
RETRY_SECONDS = 5.0

#: Connections inherited from a parent process (see :meth:`ChangeFeed._let_go`).
_inherited: list[Any] = []


class ChangeFeed:
    """One LISTEN connection per process, polled without blocking.

    `subscribers` are called with the payload of each notification, or with None when
    everything must be forgotten (new connection, failure). PostgreSQL with psycopg only.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.clock = clock
        self.subscribers: list[Callable[[str | None], None]] = []
        #: Incremented by every notification and every reset.
        self.generation = 0
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._connection: Any = None  # the pooled connection, detached
        self._retry_at = 0.0
        self._ping_sent: float | None = None
        self._heartbeat_channel = ""
        self._schema_prefix = b""
        self._pings = 0
        self._last_ok = 0.0
        #: a heartbeat came back on the current connection
        self._proven = False

    # -- state ------------------------------------------------------------------------

    @property
    def listening(self) -> bool:
        """Connected, in this process, and a heartbeat has come back on the connection."""
        return self._connection is not None and self._pid == os.getpid() and self._proven

    def subscribe(self, subscriber: Callable[[str | None], None]) -> None:
        self.subscribers.append(subscriber)

    def refresh(self) -> bool:
        """Apply what has arrived; True when copies may be used for this request."""
        with self._lock:
            if self._pid != os.getpid():  # forked: the connection belongs to the parent
                self._let_go()
                self._pid = os.getpid()
                self._retry_at = 0.0
                self._reset()
            if self._connection is None and not self._connect():
                return False
            try:
                return self._poll()
            except Exception:  # noqa: BLE001 - any failure means: trust no copy
                self._fail()
                return False

    def close(self) -> None:
        with self._lock:
            self._let_go()
            self._reset()

    # -- internals --------------------------------------------------------------------

    def _let_go(self) -> None:
        """Drop the connection: close ours; keep a parent's referenced, never closed here
        (closing it would end the parent's session, which shares the socket)."""
        if self._connection is not None:
            if self._pid == os.getpid():
                _close(self._connection)
            else:
                _inherited.append(self._connection)
        self._connection = None
        self._proven = False

    def _reset(self) -> None:
        self.generation += 1
        self._ping_sent = None
        for subscriber in self.subscribers:
            subscriber(None)

    def _connect(self) -> bool:
        now = self.clock()
        if now < self._retry_at:
            return False
        pooled = None
        # This process's own heartbeat channel: heartbeats do not go to every worker.
        self._heartbeat_channel = f"portal_heartbeat_{secrets.token_hex(8)}"
        try:
            pooled = self.engine.raw_connection()
            pooled.detach()  # ours for as long as it lives; the pool opens another
            driver: Any = pooled.dbapi_connection
            driver.autocommit = True
            schema = driver.execute("SELECT current_schema()").fetchone()[0]
            driver.execute(f"LISTEN {CHANNEL}")
            driver.execute(f"LISTEN {self._heartbeat_channel}")
        except Exception:  # noqa: BLE001 - the database is down: go on uncached
            if pooled is not None:
                _close(pooled)
            self._retry_at = now + RETRY_SECONDS
            return False
        self._connection = pooled
        self._schema_prefix = f"{schema}/".encode()
        self._proven = False
        self._last_ok = now - HEARTBEAT_SECONDS - 1  # send the first heartbeat at once
        self._reset()  # anything may have changed while nobody listened
        return True

    def _fail(self) -> None:
        self._let_go()
        self._retry_at = self.clock() + RETRY_SECONDS
        self._reset()

    def _poll(self) -> bool:
        from psycopg import pq

        pgconn = self._connection.dbapi_connection.pgconn
        if pgconn.status != pq.ConnStatus.OK:
            raise ConnectionError("the listening connection is closed")
        # Read whatever has arrived (non-blocking; even when the socket looks empty, e.g.
        # with TLS the data may already sit decrypted in a buffer).
        pgconn.consume_input()
        if self._ping_sent is not None:
            # The heartbeat statement's own result, read only once it is complete.
            while not pgconn.is_busy() and (answer := pgconn.get_result()) is not None:
                if answer.status != pq.ExecStatus.TUPLES_OK:
                    raise ConnectionError("the heartbeat failed")
        # Every notification received so far, including any read along with a result.
        heard = False
        while (note := pgconn.notifies()) is not None:
            if note.relname == _CHANNEL_BYTES:
                if not note.extra.startswith(self._schema_prefix):
                    continue  # a change in another schema of the same database
                self.generation += 1
                payload = note.extra[len(self._schema_prefix) :].decode("utf-8", "replace")
                for subscriber in self.subscribers:
                    subscriber(payload)
            elif note.relname == self._heartbeat_channel.encode():
                heard = heard or note.extra == str(self._pings).encode()
        now = self.clock()
        if self._ping_sent is not None:
            if heard:
                self._ping_sent = None
                self._last_ok = now
                self._proven = True
            elif now - self._ping_sent > HEARTBEAT_TIMEOUT_SECONDS:
                raise ConnectionError("the heartbeat did not come back")
        elif now - self._last_ok > HEARTBEAT_SECONDS:
            self._pings += 1
            query = f"SELECT pg_notify('{self._heartbeat_channel}', '{self._pings}')"
            pgconn.send_query(query.encode())  # (names and digits only: nothing to quote)
            if pgconn.flush() != 0:
                raise ConnectionError("could not send the heartbeat")
            self._ping_sent = now
        # After a quiet spell the last heartbeat is old: wait for a new one before trusting
        # copies again (it comes back after every notification sent before it).
        return self._proven and now - self._last_ok <= HEARTBEAT_SECONDS + HEARTBEAT_TIMEOUT_SECONDS


def _close(pooled: Any) -> None:
    """Close a detached connection's driver connection directly (checking it in would
    first roll back, which fails while a heartbeat's answer is still unread)."""
    with contextlib.suppress(Exception):
        pooled.dbapi_connection.close()


K = TypeVar("K")
V = TypeVar("V")


class RecordCache(Generic[K, V]):
    """A bounded copy of rows, kept true by a :class:`ChangeFeed`.

    Use: ``if cache.usable(): found = cache.get(key)``; on a miss note
    ``cache.generation`` before reading the row and ``put(key, row, generation)`` after.
    `key_of` maps a notification payload to the key it invalidates, or None when the
    payload may touch any row (then everything is forgotten).
    """

    def __init__(self, feed: ChangeFeed, size: int, key_of: Callable[[str], K | None]) -> None:
        self.feed = feed
        self.size = size
        self.key_of = key_of
        self._rows: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        feed.subscribe(self._changed)
        _caches.add(self)

    @property
    def generation(self) -> int:
        return self.feed.generation

    def usable(self) -> bool:
        return self.size > 0 and self.feed.refresh()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._rows.get(key)
            if found is None:
                self.misses += 1
                return None
            self._rows.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: K, row: V, generation: int) -> None:
        with self._lock:
            if generation != self.feed.generation or not self.feed.listening:
                return  # something changed while the row was read: do not keep it
            self._rows[key] = row
            self._rows.move_to_end(key)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def __len__(self) -> int:
        return len(self._rows)

    def _changed(self, payload: str | None) -> None:
        self.forget(None if payload is None else [payload])

    def forget(self, payloads: Iterable[str] | None) -> None:
        """Drop the copies these payloads name (None or an unkeyed payload: all of them)."""
        keys = None if payloads is None else [self.key_of(p) for p in payloads]
        with self._lock:
            if keys is None or None in keys:
                self._rows.clear()
                return
            for key in keys:
                self._rows.pop(key, None)  # type: ignore[arg-type]


#: Every cache in this process, for :func:`forget_locally`.
_caches: weakref.WeakSet[RecordCache[Any, Any]] = weakref.WeakSet()


def forget_locally(payloads: Iterable[str] | None) -> None:
    """What this process itself just committed, applied to its own copies at once.

    The notification of the same commit arrives a moment later; applying it here too means
    a request served right after the commit, in this process, never sees the old copy.
    """
    listed = None if payloads is None else list(payloads)
    for cache in list(_caches):
        cache.feed.generation += 1  # a read racing with this commit is not kept
        cache.forget(listed)
