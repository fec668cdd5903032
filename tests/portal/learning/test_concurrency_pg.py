"""Real concurrent requests against PostgreSQL: double clicks, tabs and retries.

A threaded Werkzeug server runs the app on 127.0.0.1 (ephemeral port); 50 threads
released together by a barrier post the same form. Skipped without TEST_DATABASE_URL.
"""

from __future__ import annotations

import http.client
import logging
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Enrolment,
    EvidenceFile,
    PathCompletion,
    StepRecord,
    StepRecordVersion,
)
from tests.conftest import PG_URL
from tests.factories_learning import REFLECTION, gen_enrolment, gen_record, path_steps, png_bytes

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)"),
]

N = 50


@pytest.fixture
def server(app) -> Iterator[int]:  # type: ignore[no-untyped-def]
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # 150 access-log lines are noise
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv.server_port
    finally:
        srv.shutdown()
        thread.join(10)


def _cookie(app, person) -> str:  # type: ignore[no-untyped-def]
    serializer = app.session_interface.get_signing_serializer(app)
    value = serializer.dumps({"_user_id": person.get_id(), "_fresh": True})
    return f"{app.config.get('SESSION_COOKIE_NAME', 'session')}={value}"


def _multipart(fields: dict[str, str], file: tuple[str, bytes] | None) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    if file is not None:
        filename, data = file
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="evidence_file"; '
            f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _fire(port: int, path: str, cookie: str, bodies: list[tuple[bytes, str]]) -> list[int]:
    """POST every body at once (a barrier releases the threads together); return the statuses."""
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = [0] * len(bodies)

    def worker(i: int) -> None:
        body, content_type = bodies[i]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait()
        try:
            conn.request(
                "POST", path, body=body, headers={"Cookie": cookie, "Content-Type": content_type}
            )
            statuses[i] = conn.getresponse().status
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return statuses


def _form(reflection: str = REFLECTION) -> dict[str, str]:
    return {
        "base_version": "0",
        "completed_on": date.today().isoformat(),
        "reflection": reflection,
        "attested": "y",
    }


class Hook:
    def __init__(self) -> None:
        self.calls: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, session, completion, now):  # type: ignore[no-untyped-def]
        with self.lock:
            self.calls.append(completion.id)


def test_fifty_identical_submissions_make_one_record_and_one_completion(app, server, world):
    enrolment = gen_enrolment(world.learner, world.t1)
    steps = path_steps(world.t1)
    gen_record(enrolment, steps[0])
    gen_record(enrolment, steps[1])
    db.session.commit()
    hook = Hook()
    app.extensions["completion_hook"] = hook
    body = _multipart(_form(), ("修了証.png", png_bytes()))
    statuses = _fire(
        server, f"/learn/paths/t1/steps/{steps[2].id}", _cookie(app, world.learner), [body] * N
    )

    assert Counter(statuses) == {302: N}, Counter(statuses)
    db.session.expire_all()
    records = db.session.query(StepRecord).filter_by(step_id=steps[2].id).all()
    assert len(records) == 1
    versions = db.session.query(StepRecordVersion).filter_by(record_id=records[0].id).all()
    assert [v.version for v in versions] == [1] and records[0].current_version == 1
    assert db.session.query(PathCompletion).count() == 1
    assert len(hook.calls) == 1
    files = db.session.query(EvidenceFile).all()
    assert len(files) == 1  # duplicates did not store their copy
    on_disk = [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]
    assert len(on_disk) == 1
    assert db.session.query(AuditEvent).filter_by(action="learning.path_completed").count() == 1


def test_fifty_tabs_with_different_text_keep_one_record_and_refuse_the_rest(app, server, world):
    gen_enrolment(world.learner, world.t1)
    db.session.commit()
    step = path_steps(world.t1)[0]
    bodies = [_multipart(_form(f"{REFLECTION}（タブ{i}）"), None) for i in range(N)]
    statuses = _fire(
        server, f"/learn/paths/t1/steps/{step.id}", _cookie(app, world.learner), bodies
    )

    counts = Counter(statuses)
    assert counts[302] == 1 and counts[409] == N - 1, counts  # the others are told to reload
    db.session.expire_all()
    (record,) = db.session.query(StepRecord).filter_by(step_id=step.id).all()
    versions = db.session.query(StepRecordVersion).filter_by(record_id=record.id).all()
    assert [v.version for v in versions] == [1]


def test_fifty_enrol_clicks_make_one_enrolment(app, server, world):
    db.session.commit()
    body = (b"", "application/x-www-form-urlencoded")
    statuses = _fire(server, "/learn/paths/t1/enrol", _cookie(app, world.learner), [body] * N)
    assert Counter(statuses) == {302: N}, Counter(statuses)
    db.session.expire_all()
    assert db.session.query(Enrolment).filter_by(person_id=world.learner.id).count() == 1
    assert db.session.query(AuditEvent).filter_by(action="learning.enrolled").count() == 1
