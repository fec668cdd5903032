"""Copies of verification records kept true by PostgreSQL's change notifications.

PostgreSQL only (the SQLite pass skips these; there nothing is kept): the triggers, the
record copies the verify API answers from, and what happens when the feed breaks.
"""

from __future__ import annotations

import os
import select
import time

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


def _announced(cache: RecordCache, before: int) -> None:  # type: ignore[type-arg]
    """Wait until a notification sent at another connection's commit has arrived here (it
    travels after the commit returns: well under a millisecond on one machine)."""
    deadline = time.monotonic() + 5
    while cache.usable() and cache.generation == before and time.monotonic() < deadline:
        time.sleep(0.001)
    assert cache.generation != before


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
    assert payloads == [f"credential:{credential.uuid}", "people", "signing_keys"]


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
    before = cache.generation
    with _other_connection(pg_schema) as other:
        other.execute(
            "UPDATE issued_credentials SET status = 'revoked', revoked_at = now(), "
            "revocation_reason = 'test' WHERE uuid = %s",
            (credential_uuid,),
        )
    _announced(cache, before)
    result = api(client, token)
    assert result["credential"]["status"] == "revoked"
    assert not result["valid"]


def test_a_renamed_holder_shows_at_once(app, client, credential, cache, pg_schema):
    token, person_id, credential_uuid = credential.jws, credential.person_id, credential.uuid
    db.session.commit()
    api(client, token)  # loads our keys through the session
    db.session.remove()
    api(client, token)
    assert len(cache) == 1
    before = cache.generation
    with _other_connection(pg_schema) as other:
        other.execute("UPDATE people SET name = '改名 花子' WHERE id = %s", (person_id,))
    _announced(cache, before)
    assert len(cache) == 0  # a change to people forgets every copy
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
    with _other_connection(pg_schema) as other:  # ... while someone revokes it
        other.execute(
            "UPDATE issued_credentials SET status = 'revoked' WHERE uuid = %s", (credential_uuid,)
        )
    _announced(cache, generation)  # the notification is applied
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
        feed._ping_sent, feed._ping_payload = clock[0], "heartbeat:lost"
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
        monkeypatch.setattr(os, "getpid", lambda: -1)
        assert not feed.refresh()  # its own connection: not proven yet
        _ready(feed)
        assert feed._connection is not inherited
        assert not inherited.dbapi_connection.closed  # the parent's is left alone
        assert inherited in change_feed._inherited
    finally:
        change_feed._inherited.clear()
        feed.close()
        monkeypatch.undo()
        inherited.close()


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
    api(client, token)  # loads our keys through the session
    db.session.remove()
    api(client, token)
    assert len(cache) == 1
    generation = cache.generation
    other = ChangeFeed(db.engine)  # another worker: its heartbeat reaches every listener
    try:
        _ready(other)
        ours = cache.feed._connection.dbapi_connection.pgconn
        readable, _, _ = select.select([ours.socket], [], [], 2)
        assert readable  # the other heartbeat arrived here too ...
        assert cache.usable()  # ... and is read now
    finally:
        other.close()
    assert len(cache) == 1 and cache.generation == generation
