"""The link checker against a local HTTP server (this machine has no internet)."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Course, PublicationStatus
from portal.models.base import utcnow
from portal.services.linkcheck import check_links, check_url, is_forbidden_address
from tests.factories import gen_course


class Handler(BaseHTTPRequestHandler):
    hits: list[tuple[str, str]] = []

    def log_message(self, *args: Any) -> None:  # keep the test output quiet
        pass

    def _answer(self, method: str) -> None:
        Handler.hits.append((method, self.path))
        path = self.path
        if path == "/ok":
            self._send(200)
        elif path == "/missing":
            self._send(404)
        elif path == "/head-not-allowed":
            self._send(405 if method == "HEAD" else 200)
        elif path == "/loop-a":
            self._send(302, location="/loop-b")
        elif path == "/loop-b":
            self._send(302, location="/loop-a")
        elif path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            self._send(302, location=f"/chain/{n + 1}")
        elif path == "/moved":
            self._send(301, location="/ok")
        elif path == "/to-private":
            self._send(302, location="http://10.1.2.3/secret")
        elif path == "/to-ftp":
            self._send(302, location="ftp://127.0.0.1/file")
        elif path == "/slow":
            time.sleep(1.5)
            self._send(200)
        elif path == "/busy":
            self._send(429)
        else:
            self._send(500)

    def _send(self, status: int, location: str | None = None) -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer("HEAD")

    def do_GET(self) -> None:  # noqa: N802
        self._answer("GET")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def check(url: str, **kw: Any) -> Any:
    kw.setdefault("allow_private", True)
    kw.setdefault("timeout", 0.5)
    return check_url(url, **kw)


def test_ok(server: str) -> None:
    result = check(f"{server}/ok")
    assert (result.ok, result.status, result.error) == (True, 200, None)


def test_not_found_is_dead(server: str) -> None:
    result = check(f"{server}/missing")
    assert (result.ok, result.status, result.error) == (False, 404, "http_404")


def test_head_405_falls_back_to_get(server: str) -> None:
    Handler.hits.clear()
    result = check(f"{server}/head-not-allowed")
    assert (result.ok, result.status) == (True, 200)
    assert Handler.hits == [("HEAD", "/head-not-allowed"), ("GET", "/head-not-allowed")]


def test_redirect_is_followed(server: str) -> None:
    result = check(f"{server}/moved")
    assert (result.ok, result.status, result.redirects) == (True, 200, 1)
    assert result.final_url == f"{server}/ok"


def test_redirect_loop_is_dead(server: str) -> None:
    result = check(f"{server}/loop-a")
    assert result.ok is False
    assert result.error == "redirect_loop"


def test_redirect_limit(server: str) -> None:
    result = check(f"{server}/chain/0")
    assert result.ok is False
    assert result.error == "too_many_redirects"
    assert result.redirects == 5


def test_slow_response_times_out(server: str) -> None:
    started = time.monotonic()
    result = check(f"{server}/slow", timeout=0.3)
    assert result.ok is False
    assert result.error == "timeout"
    assert time.monotonic() - started < 1.4  # HEAD and the GET retry each gave up at 0.3 s


def test_rate_limited_is_inconclusive(server: str) -> None:
    result = check(f"{server}/busy")
    assert (result.ok, result.status) == (None, 429)


def test_loopback_is_refused_without_the_flag(server: str) -> None:
    Handler.hits.clear()
    result = check(f"{server}/ok", allow_private=False)
    assert result.ok is False
    assert result.error_code == "blocked_address"
    assert Handler.hits == []  # nothing was sent


def test_every_redirect_hop_is_checked(server: str) -> None:
    # Allow loopback only (the test server) but nothing else private: the redirect to
    # 10.1.2.3 must be refused at the second hop.
    result = check(
        f"{server}/to-private", allow_private=False, forbidden=lambda a: not a.is_loopback
    )
    assert result.ok is False
    assert result.error == "blocked_address: 10.1.2.3"
    assert result.redirects == 1


def test_non_http_schemes_are_refused(server: str) -> None:
    assert check("file:///etc/passwd").error_code == "bad_scheme"
    assert check("javascript:alert(1)").error_code == "bad_scheme"
    assert check(f"{server}/to-ftp").error_code == "bad_scheme"


def test_every_resolved_address_must_be_public() -> None:
    """A host that resolves to one public and one private address is refused (DNS checked)."""

    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "192.168.1.10"]

    result = check_url("http://mixed.example/", allow_private=False, resolver=resolver)
    assert result.error == "blocked_address: 192.168.1.10"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_forbidden_addresses(address: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2001:4860:4860::8888"])
def test_public_addresses(address: str) -> None:
    assert not is_forbidden_address(ipaddress.ip_address(address))


def _local_courses(server: str) -> dict[str, Course]:
    made = {
        name: gen_course(f"lc-{name}", url=f"{server}/{path}", url_normalised=f"lc/{name}")
        for name, path in [
            ("ok", "ok"),
            ("dead", "missing"),
            ("head", "head-not-allowed"),
            ("loop", "loop-a"),
        ]
    }
    retired = gen_course("lc-retired", url=f"{server}/missing", status=PublicationStatus.RETIRED)
    made["retired"] = retired
    db.session.commit()
    return made


def test_check_links_records_results(app: Any, server: str) -> None:
    courses = _local_courses(server)
    now = utcnow()
    report = check_links(db.session, now=now, allow_private=True, timeout=0.5, concurrency=3)
    db.session.commit()
    assert (report.checked, report.ok, report.dead) == (4, 2, 2)
    db.session.expire_all()
    ok = db.session.get(Course, courses["ok"].id)
    assert (ok.link_ok, ok.link_status, ok.link_checked_at) == (True, 200, now)
    dead = db.session.get(Course, courses["dead"].id)
    assert (dead.link_ok, dead.link_status, dead.link_error) == (False, 404, "http_404")
    assert db.session.get(Course, courses["head"].id).link_ok is True
    assert db.session.get(Course, courses["loop"].id).link_error == "redirect_loop"
    assert db.session.get(Course, courses["retired"].id).link_checked_at is None

    # --only-dead re-checks only the dead ones.
    later = utcnow()
    again = check_links(db.session, now=later, only_dead=True, allow_private=True, timeout=0.5)
    assert again.checked == 2


class TestCommand:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"LINKCHECK_ALLOW_PRIVATE": True}

    def test_cli_flags_the_dead_link(
        self, app: Any, runner: Any, server: str, client: Any, login_as: Any, trainer: Any
    ) -> None:
        courses = _local_courses(server)
        result = runner.invoke(
            args=["curricula", "check-links", "--concurrency", "2", "--timeout", "0.5"]
        )
        assert result.exit_code == 0, result.output
        assert f"DEAD lc-dead {server}/missing [404] http_404" in result.output
        assert "checked 4: 2 ok, 2 dead" in result.output
        # The dead link shows in the trainer UI and is marked for learners.
        login_as(trainer)
        page = client.get("/trainer/courses/needs-checking").get_data(as_text=True)
        assert courses["dead"].title in page
        public = client.get(f"/courses/{courses['dead'].slug}").get_data(as_text=True)
        assert 'data-link="dead"' in public


def test_cli_refuses_loopback_by_default(app: Any, runner: Any, server: str) -> None:
    Handler.hits.clear()
    courses = _local_courses(server)
    result = runner.invoke(args=["curricula", "check-links", "--only-dead"])
    assert result.exit_code == 0
    assert "checked 0" in result.output  # nothing is dead yet
    result = runner.invoke(args=["curricula", "check-links", "--timeout", "0.5"])
    assert "blocked_address" in result.output
    assert Handler.hits == []
    db.session.expire_all()
    ok = db.session.scalar(select(Course).where(Course.id == courses["ok"].id))
    assert ok.link_ok is False and ok.link_error.startswith("blocked_address")
