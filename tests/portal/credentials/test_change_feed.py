"""Copies of verification records kept true by PostgreSQL's change notifications.

PostgreSQL only (the SQLite pass skips these; there nothing is kept): the triggers, the
record copies the verify API answers from, and what happens when the feed breaks.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy import text

from portal.extensions import db
from portal.models import IssuedCredential, Person
from portal.models.base import utcnow
from portal.public.credentials import record_cache
from portal.services import change_feed, issuance
from portal.services.change_feed import ChangeFeed, RecordCache
from portal.services.verification import make_record_cache
from tests.conftest import PG_URL
from tests.factories_credentials import issue

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")


def api(client, token):  # type: ignore[no-untyped-def]
    response = client.post("/api/verify", data=token, content_type="text/plain")
    assert response.status_code == 200
    return response.get_json()


def _warm(client, token, cache) -> None:  # type: ignore[no-untyped-def]
    api(client, token)  # loads our keys through the session
    db.session.remove()  # (the test's app context outlives requests: end its transaction)
    api(client, token)
    assert len(cache) == 1


@pytest.fixture
def credential(key, learner, badge):  # type: ignore[no-untyped-def]
    row = issue(learner, badge)
    db.session.commit()
    return row


def _ready(feed: ChangeFeed) -> None:
    """Wait for the first heartbeat on a new connection (until then nothing is kept)."""
    deadline = time.monotonic() + 5
    while not feed.refresh():
        assert time.monotonic() < deadline, "the feed never became ready"
        time.sleep(0.001)


@pytest.fixture
def cache(app):  # type: ignore[no-untyped-def]
    found = record_cache()
    assert found is not None
    _ready(found.feed)
    return found


def _until(cache: RecordCache, condition: Callable[[], bool]) -> None:  # type: ignore[type-arg]
    """Apply notifications until `condition` holds. One sent at another connection's commit
    arrives a moment after the commit returns (about 2 µs on one machine); waiting for its
    effect, not for any notification, keeps other test workers' ones out of the way."""
    deadline = time.monotonic() + 5
    while not (cache.usable() and condition()):
        assert time.monotonic() < deadline, "the notification never arrived"
        time.sleep(0.001)


def _other_connection(pg_schema: str) -> psycopg.Connection:
    """Someone else's connection: another worker, another server, or psql."""
    return psycopg.connect(PG_URL, autocommit=True, options=f"-csearch_path={pg_schema}")


def test_triggers_announce_credential_person_and_key_changes(app, credential, pg_schema):
    with (
        psycopg.connect(PG_URL, autocommit=True) as listener,
        _other_connection(pg_schema) as other,
    ):
        listener.execute(f"LISTEN {change_feed.CHANNEL}")
        other.execute(
            "UPDATE issued_credentials SET status = 'revoked' WHERE uuid = %s", (credential.uuid,)
        )
        other.execute("UPDATE people SET name = '改名 花子' WHERE id = %s", (credential.person_id,))
        other.execute("UPDATE signing_keys SET status = status")
        # A column verification does not read: nothing announced.
        other.execute("UPDATE people SET password_hash = password_hash")
        writer = other.info.backend_pid
        payloads = [n.payload for n in listener.notifies(timeout=1.0) if n.pid == writer]
    # (Filtered by sender: other test workers share the database, in other schemas.)
    # Each payload names the schema: a feed passes on only its own schema's changes.
    assert payloads == [
        f"{pg_schema}/credential:{credential.uuid}",
        f"{pg_schema}/people",
        f"{pg_schema}/signing_keys",
    ]


def test_this_process_forgets_its_own_commits_without_waiting_for_the_notification(
    app, client, credential, cache, hr
):
    token, credential_uuid, credential_id = credential.jws, credential.uuid, credential.id
    hr_id = hr.id
    db.session.commit()
    api(client, token)
    db.session.remove()
    api(client, token)
    assert cache.get(credential_uuid) is not None
    row = db.session.get(IssuedCredential, credential_id)
    actor = db.session.get(Person, hr_id)
    issuance.revoke(db.session, credential=row, actor=actor, reason="誤発行", now=utcnow())
    db.session.commit()
    assert cache.get(credential_uuid) is None  # before any notification is read
    person = db.session.get(Person, hr_id)
    person.password_hash = "changed"
    db.session.commit()  # not a column verification reads: copies stay
    db.session.remove()
    api(client, token)
    assert len(cache) == 1
    person = db.session.get(Person, hr_id)
    person.name = "改名 一郎"
    db.session.commit()
    assert len(cache) == 0


def test_a_second_verification_is_answered_from_the_copy_and_a_revocation_shows_at_once(
    app, client, credential, cache, pg_schema
):
    token, credential_uuid = credential.jws, credential.uuid
    db.session.commit()
    api(client, token)  # loads our keys through the session
    db.session.remove()  # (the test's app context outlives requests: end its transaction)
    assert api(client, token)["credential"]["status"] == "active"
    hits = cache.hits
    assert api(client, token)["credential"]["status"] == "active"
    assert cache.hits == hits + 1  # no database read this time
    # Revoked by another process (raw SQL: no help from this one), then asked at once.
    with _other_connection(pg_schema) as other:
        other.execute(
            "UPDATE issued_credentials SET status = 'revoked', revoked_at = now(), "
            "revocation_reason = 'test' WHERE uuid = %s",
            (credential_uuid,),
        )
    _until(cache, lambda: cache.get(credential_uuid) is None)
    result = api(client, token)
    assert result["credential"]["status"] == "revoked"
    assert not result["valid"]


def test_a_renamed_holder_shows_at_once(app, client, credential, cache, pg_schema):
    token, person_id, credential_uuid = credential.jws, credential.person_id, credential.uuid
    db.session.commit()
    _warm(client, token, cache)
    with _other_connection(pg_schema) as other:
        other.execute("UPDATE people SET name = '改名 花子' WHERE id = %s", (person_id,))
    _until(
        cache, lambda: len(cache) == 0
    )  # a change to people forgets every copy  # a change to people forgets every copy
    from portal.services.verification import load_record

    row = load_record(db.session, credential_uuid, engine=db.engine, cache=cache)
    assert row is not None and row.holder_name == "改名 花子"


def test_a_copy_read_while_a_change_arrives_is_not_kept(app, credential, cache, pg_schema):
    from portal.services.verification import load_record

    credential_uuid = credential.uuid
    db.session.commit()
    db.session.remove()
    assert cache.usable()
    generation = cache.generation  # a lookup notes this, then reads the row ...
    row = load_record(db.session, credential_uuid, engine=db.engine)
    assert row is not None
    cache.put(credential_uuid, row, generation)  # (an earlier lookup's copy)
    with _other_connection(pg_schema) as other:  # ... while someone revokes it
        other.execute(
            "UPDATE issued_credentials SET status = 'revoked' WHERE uuid = %s", (credential_uuid,)
        )
    _until(cache, lambda: cache.get(credential_uuid) is None)  # the notification is applied
    cache.put(credential_uuid, row, generation)  # the stale row arrives late
    assert cache.get(credential_uuid) is None
    cache.put(credential_uuid, row, cache.generation)  # read after it: kept
    assert cache.get(credential_uuid) is row


def test_a_broken_feed_keeps_nothing_until_it_listens_again(app, credential, pg_schema):
    clock = [1000.0]
    made = make_record_cache(db.engine, 10)
    assert made is not None
    cache: RecordCache = made  # type: ignore[type-arg]
    cache.feed.clock = lambda: clock[0]
    try:
        assert not cache.usable()  # connected, but no heartbeat back yet: nothing kept
        _ready(cache.feed)
        cache.put("x", "row", cache.generation)  # type: ignore[arg-type]
        backend = cache.feed._connection.dbapi_connection.info.backend_pid
        with _other_connection(pg_schema) as other:  # e.g. the database restarted
            other.execute("SELECT pg_terminate_backend(%s)", (backend,))
        assert not _wait_until_unusable(cache)
        assert len(cache) == 0
        assert not cache.usable()  # retries only after a pause, reading the database
        clock[0] += change_feed.RETRY_SECONDS + 1
        _ready(cache.feed)  # listening again (its first heartbeat back), starting empty
        assert len(cache) == 0
    finally:
        cache.feed.close()


def _wait_until_unusable(cache: RecordCache) -> bool:  # type: ignore[type-arg]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not cache.usable():
            return False
        time.sleep(0.02)
    return True


def test_the_feed_checks_its_connection_with_a_heartbeat(app, pg_schema):
    clock = [1000.0]
    feed = ChangeFeed(db.engine, clock=lambda: clock[0])
    try:
        _ready(feed)
        clock[0] += change_feed.HEARTBEAT_SECONDS + 1
        generation = feed.generation
        assert feed.refresh()  # sends its own notification, without waiting
        assert feed._ping_sent is not None
        pgconn = feed._connection.dbapi_connection.pgconn
        deadline = time.monotonic() + 5
        while feed._ping_sent is not None and time.monotonic() < deadline:
            select.select([pgconn.socket], [], [], 0.1)
            assert feed.refresh()
        assert feed._ping_sent is None  # it came back: notifications reach this process
        assert feed.generation == generation  # a heartbeat is not a change
        # A heartbeat that never comes back: the feed gives up and forgets everything.
        reset: list[str | None] = []
        feed.subscribe(reset.append)
        feed._ping_sent, feed._pings = clock[0], feed._pings + 1  # (never sent)
        clock[0] += change_feed.HEARTBEAT_TIMEOUT_SECONDS + 1
        assert not feed.refresh()
        assert reset == [None] and not feed.listening
    finally:
        feed.close()


def test_a_forked_worker_listens_on_its_own_connection(app, monkeypatch):
    feed = ChangeFeed(db.engine)
    try:
        _ready(feed)
        inherited = feed._connection
        monkeypatch.setattr(os, "getpid", lambda: 4_000_000)  # (no real process has it)
        assert not feed.refresh()  # its own connection: not proven yet
        _ready(feed)
        assert feed._connection is not inherited
        assert not inherited.dbapi_connection.closed  # the parent's is left alone
        assert inherited in change_feed._inherited
    finally:
        change_feed._inherited.clear()
        feed.close()
        monkeypatch.undo()
        inherited.dbapi_connection.close()


def test_inside_a_transaction_the_session_reads_and_nothing_is_kept(app, credential, cache):
    from portal.services.verification import load_record

    db.session.commit()
    credential.visibility = credential.visibility  # the session holds a transaction
    db.session.execute(text("SELECT 1"))
    row = load_record(db.session, credential.uuid, engine=db.engine, cache=cache)
    assert row is not None and len(cache) == 0


@pytest.mark.parametrize("app_config", [{"VERIFY_RECORD_CACHE_SIZE": 0}])
def test_size_zero_keeps_no_copies(app, app_config):
    assert record_cache() is None


def test_other_workers_heartbeats_are_not_changes(app, client, credential, cache):
    token = credential.jws
    db.session.commit()
    _warm(client, token, cache)
    generation = cache.generation
    other = ChangeFeed(db.engine)  # another worker, with its own heartbeat channel
    try:
        _ready(other)
        time.sleep(0.05)
        assert cache.usable()
    finally:
        other.close()
    assert len(cache) == 1 and cache.generation == generation


def test_after_a_quiet_spell_copies_wait_for_a_fresh_heartbeat(app, pg_schema):
    clock = [1000.0]
    feed = ChangeFeed(db.engine, clock=lambda: clock[0])
    try:
        _ready(feed)
        clock[0] += 3600  # no request for an hour: the connection may have died silently
        assert not feed.refresh()  # a heartbeat is sent; copies wait for it
        _ready(feed)  # it came back: nothing was missed on this connection
    finally:
        feed.close()


def test_notifications_already_read_from_the_socket_are_applied(app, credential, pg_schema):
    feed = ChangeFeed(db.engine)
    seen: list[str | None] = []
    try:
        _ready(feed)
        feed.subscribe(seen.append)
        with _other_connection(pg_schema) as other:
            other.execute(
                "SELECT pg_notify(%s, %s)", (change_feed.CHANNEL, f"{pg_schema}/credential:x")
            )
            other.execute(  # another portal's schema in the same database: not ours
                "SELECT pg_notify(%s, %s)", (change_feed.CHANNEL, "elsewhere/credential:y")
            )
        pgconn = feed._connection.dbapi_connection.pgconn
        select.select([pgconn.socket], [], [], 2)
        pgconn.consume_input()  # read along with something else: the socket is now empty
        assert feed.refresh()
        assert "credential:x" in seen and "credential:y" not in seen
    finally:
        feed.close()


def test_savepoints_and_bulk_statements_are_forgotten_at_the_outer_commit(
    app, client, credential, cache
):
    from sqlalchemy import update

    token, credential_id = credential.jws, credential.id
    db.session.commit()
    _warm(client, token, cache)
    # A change noted before a savepoint that then rolls back still counts at the commit.
    row = db.session.get(IssuedCredential, credential_id)
    row.share_token = "changed-before-the-savepoint"
    db.session.flush()
    savepoint = db.session.begin_nested()
    row.share_token = "changed-in-the-savepoint"
    db.session.flush()
    savepoint.rollback()
    db.session.commit()
    assert len(cache) == 0  # this process forgot it at once, before any notification
    db.session.remove()
    _warm(client, token, cache)
    # A bulk UPDATE names no object; everything is forgotten (ORM and Core statements).
    db.session.execute(update(IssuedCredential).values(share_token=None))
    db.session.commit()
    assert len(cache) == 0
    db.session.remove()
    _warm(client, token, cache)
    db.session.execute(update(IssuedCredential.__table__).values(share_token=None))
    db.session.commit()
    assert len(cache) == 0
