"""The link checker behind `flask curricula check-links` (standard library only).

For each course URL: resolve the host, refuse it unless every address is public
(no private, loopback, link-local, multicast, reserved or unspecified addresses:
server-side request forgery), connect to the address that was checked (so a second
DNS answer cannot swap it), send HEAD, fall back to GET when HEAD fails or is not
supported, and follow at most five redirects, checking every hop again. A thread pool
bounds the concurrency; every request has a timeout.

Only :func:`check_links` touches the database, from the calling thread; the worker
threads run :func:`check_url`, which is pure I/O.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final
from urllib.parse import urljoin, urlsplit

from sqlalchemy import select

from portal.models import Course, PublicationStatus
from portal.models.base import DBSession

DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_CONCURRENCY: Final = 8
MAX_REDIRECTS: Final = 5
USER_AGENT: Final = "HokkaidoDigitalTalentPortal-LinkChecker/1.0"
REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
#: HEAD answers that mean "ask again with GET" (HEAD not allowed / not implemented, or
#: refused by servers that only answer GET).
HEAD_FALLBACK: Final = frozenset({400, 403, 405, 501})
#: Answers that say nothing about the link itself (rate limited, briefly unavailable).
INCONCLUSIVE: Final = frozenset({429, 503})
MAX_ERROR: Final = 300

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
#: Decides whether an address is off limits (default: :func:`is_forbidden_address`).
AddressRule = Callable[[Address], bool]


class _Refused(Exception):
    """The URL may not be fetched: `code` is ``blocked_address`` or ``bad_scheme``."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code, detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class LinkResult:
    """The outcome of checking one URL.

    `ok` is True for a 2xx answer, False for a dead link (4xx/5xx, too many redirects,
    timeout, connection failure, refused address), None when the answer says nothing
    (429/503). `error` is a code, optionally followed by ``: detail``.
    """

    url: str
    ok: bool | None
    status: int | None = None
    error: str | None = None
    final_url: str | None = None
    redirects: int = 0

    @property
    def error_code(self) -> str | None:
        return self.error.partition(":")[0] if self.error else None


def is_forbidden_address(address: Address) -> bool:
    """True for addresses the checker must never connect to (unless allowed by config)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_forbidden_address(address.ipv4_mapped)
        if address.is_site_local:
            return True
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def system_resolver(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen


def _pick_address(
    host: str, port: int, allow_private: bool, resolver: Resolver, forbidden: AddressRule
) -> str:
    """The address to connect to; every resolved address must be allowed.

    :raises _Refused: ``blocked_address``; :raises OSError: on DNS failure.
    """
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal is not None else list(resolver(host, port))
    if not addresses:
        raise OSError(f"no address for {host}")
    if not allow_private:
        for text in addresses:
            address = ipaddress.ip_address(text.split("%", 1)[0])
            if forbidden(address):
                raise _Refused("blocked_address", text)
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a fixed address, with the URL's host name in the Host header."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed address; the certificate is checked against the host name (SNI)."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._ssl_context = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._ssl_context.wrap_socket(sock, server_hostname=self.host)


_SSL_CONTEXT: Final = ssl.create_default_context()


def _request(
    method: str,
    url: str,
    *,
    timeout: float,
    allow_private: bool,
    resolver: Resolver,
    forbidden: AddressRule,
) -> tuple[int, str | None]:
    """One request: (status, Location header).

    :raises _Refused: for a forbidden scheme or address; :raises OSError / HTTPException.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _Refused("bad_scheme", scheme)
    host = parts.hostname
    if not host:
        raise _Refused("bad_scheme", "no host")
    port = parts.port or (443 if scheme == "https" else 80)
    address = _pick_address(host, port, allow_private, resolver, forbidden)
    conn: http.client.HTTPConnection
    if scheme == "https":
        conn = _PinnedHTTPSConnection(host, port, address, timeout, _SSL_CONTEXT)
    else:
        conn = _PinnedHTTPConnection(host, port, address, timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        conn.request(
            method,
            target,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                "Accept-Language": "ja,en;q=0.8",
            },
        )
        response = conn.getresponse()
        location = response.getheader("Location")
        status = response.status
        return status, location
    finally:
        conn.close()


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ssl.SSLError):
        return f"tls: {exc}"
    if isinstance(exc, socket.gaierror):
        return f"dns: {exc}"
    if isinstance(exc, http.client.HTTPException):
        return f"http: {type(exc).__name__}"
    return f"connection: {exc}"


def check_url(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    allow_private: bool = False,
    max_redirects: int = MAX_REDIRECTS,
    resolver: Resolver = system_resolver,
    forbidden: AddressRule = is_forbidden_address,
) -> LinkResult:
    """Check one URL (HEAD, then GET when needed; redirects followed and re-checked)."""
    current = url
    visited = {url}
    for hop in range(max_redirects + 1):
        try:
            try:
                status, location = _request(
                    "HEAD",
                    current,
                    timeout=timeout,
                    allow_private=allow_private,
                    resolver=resolver,
                    forbidden=forbidden,
                )
                use_get = status in HEAD_FALLBACK
            except _Refused:
                raise
            except (OSError, http.client.HTTPException) as exc:
                if isinstance(exc, socket.gaierror):
                    raise
                use_get = True
            if use_get:
                status, location = _request(
                    "GET",
                    current,
                    timeout=timeout,
                    allow_private=allow_private,
                    resolver=resolver,
                    forbidden=forbidden,
                )
        except _Refused as exc:
            detail = f": {exc.detail}" if exc.detail else ""
            return LinkResult(url, False, None, f"{exc.code}{detail}"[:MAX_ERROR], current, hop)
        except (OSError, http.client.HTTPException) as exc:
            return LinkResult(url, False, None, _error_text(exc)[:MAX_ERROR], current, hop)

        if status in REDIRECTS:
            if not location:
                return LinkResult(url, False, status, "bad_redirect", current, hop)
            following = urljoin(current, location.strip())
            if following in visited:
                return LinkResult(url, False, status, "redirect_loop", current, hop + 1)
            visited.add(following)
            current = following
            continue
        if 200 <= status < 300:
            return LinkResult(url, True, status, None, current, hop)
        if status in INCONCLUSIVE:
            return LinkResult(url, None, status, f"http_{status}", current, hop)
        return LinkResult(url, False, status, f"http_{status}", current, hop)
    return LinkResult(url, False, None, "too_many_redirects", current, max_redirects)


@dataclass
class LinkCheckReport:
    """What a run of the checker found."""

    checked: int = 0
    ok: int = 0
    dead: int = 0
    inconclusive: int = 0
    #: (course slug, url, result) of every dead link.
    dead_links: list[tuple[str, str, LinkResult]] = field(default_factory=list)


def check_links(
    session: DBSession,
    *,
    now: datetime,
    only_dead: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
    allow_private: bool = False,
    checker: Callable[[str], LinkResult] | None = None,
) -> LinkCheckReport:
    """Check the links of every live course (or, with `only_dead`, those marked dead) and
    record link_status / link_ok / link_error / link_checked_at. Flushes; the caller commits.

    Courses sharing a URL are checked once.
    """
    query = select(Course).where(Course.status != PublicationStatus.RETIRED)
    if only_dead:
        query = query.where(Course.link_ok.is_(False))
    courses = list(session.scalars(query.order_by(Course.position, Course.id)))
    by_url: dict[str, list[Course]] = {}
    for course in courses:
        by_url.setdefault(course.url, []).append(course)

    def run(url: str) -> LinkResult:
        if checker is not None:
            return checker(url)
        return check_url(url, timeout=timeout, allow_private=allow_private)

    report = LinkCheckReport()
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(run, list(by_url)))
    for result in results:
        for course in by_url[result.url]:
            course.link_status = result.status
            course.link_ok = result.ok
            course.link_error = result.error
            course.link_checked_at = now
            report.checked += 1
            if result.ok is True:
                report.ok += 1
            elif result.ok is False:
                report.dead += 1
                report.dead_links.append((course.slug, course.url, result))
            else:
                report.inconclusive += 1
    session.flush()
    return report
