"""Status-list indexes and the published revocation lists.

Every credential gets a status-list index from `StatusListCounter` (one counter row,
updated with ``UPDATE … RETURNING``: a row lock on PostgreSQL, the writer lock on SQLite,
held until the transaction commits), so indexes are never handed out twice and never
reused, even after a rollback (the counter only moves forward).

Indexes are grouped into lists of :data:`LIST_SIZE` (the BitstringStatusList minimum):
list ``n`` (1, 2, …) holds indexes ``(n-1)*LIST_SIZE … n*LIST_SIZE-1``. For list ``n`` the
portal publishes

* ``/status/revocations/<n>``: the 1EdTech Revocation List (JSON) that the credentials'
  ``credentialStatus`` points at; and
* ``/status/bitstring/<n>``: a signed BitstringStatusListCredential (VC-JWT) with the bit
  of every revoked credential in the list set.

Both are computed from `IssuedCredential.status` on request, so a revocation shows at
once in every worker. The signed list is cached per (list, key, revision).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

import badges
from portal.models import CredentialStatus, IssuedCredential, StatusListCounter
from portal.models.base import DBSession

#: Entries per list (the W3C minimum, 16 KiB uncompressed).
LIST_SIZE = 131_072
#: The one counter row that hands out indexes.
COUNTER_NAME = "credentials"
#: validFrom of a bitstring list in which nothing was ever revoked.
EPOCH = datetime(2025, 4, 1, tzinfo=UTC)


def list_number(index: int) -> int:
    """The list (1, 2, …) that holds status-list index `index`."""
    return index // LIST_SIZE + 1


def list_range(number: int) -> tuple[int, int]:
    """First and last index of list `number`."""
    start = (number - 1) * LIST_SIZE
    return start, start + LIST_SIZE - 1


def revocation_list_url(base_url: str, number: int) -> str:
    return f"{base_url}/status/revocations/{number}"


def bitstring_list_url(base_url: str, number: int) -> str:
    return f"{base_url}/status/bitstring/{number}"


def allocate_indexes(session: DBSession, count: int = 1) -> range:
    """Reserve `count` consecutive status-list indexes (never reused).

    The counter row stays locked until the caller's transaction ends, which serialises
    concurrent issuers; bulk issuance reserves a whole chunk with one statement.
    """
    if count < 1:
        raise ValueError("count must be positive")
    bump = (
        update(StatusListCounter)
        .where(StatusListCounter.list_name == COUNTER_NAME)
        .values(next_index=StatusListCounter.next_index + count)
        .returning(StatusListCounter.next_index)
        .execution_options(synchronize_session=False)
    )
    after = session.execute(bump).scalar_one_or_none()
    if after is None:
        try:
            with session.begin_nested():
                session.add(StatusListCounter(list_name=COUNTER_NAME, next_index=0))
        except IntegrityError:  # another transaction created it first
            pass
        after = session.execute(bump).scalar_one()
    return range(after - count, after)


def allocated_lists(session: DBSession) -> int:
    """How many lists exist (at least 1, so the first list is published before any issue)."""
    after = session.scalar(
        select(StatusListCounter.next_index).where(StatusListCounter.list_name == COUNTER_NAME)
    )
    return max(1, list_number(max((after or 0) - 1, 0)))


def _in_list(number: int) -> Any:
    start, end = list_range(number)
    return IssuedCredential.status_list_index.between(start, end)


@dataclass(frozen=True)
class Revision:
    """What a list's content depends on: how many revoked, and the latest revocation."""

    count: int
    latest: datetime | None


def list_revision(session: DBSession, number: int) -> Revision:
    row = session.execute(
        select(func.count(IssuedCredential.id), func.max(IssuedCredential.revoked_at)).where(
            IssuedCredential.status == CredentialStatus.REVOKED, _in_list(number)
        )
    ).one()
    latest = row[1]
    if latest is not None and latest.tzinfo is None:  # SQLite aggregate: no type processing
        latest = latest.replace(tzinfo=UTC)
    elif isinstance(latest, str):  # pragma: no cover - SQLite returns text for max()
        latest = datetime.fromisoformat(latest).replace(tzinfo=UTC)
    return Revision(int(row[0]), latest)


def revocation_list(
    session: DBSession, *, base_url: str, issuer_id: str, number: int
) -> dict[str, Any]:
    """The 1EdTech Revocation List document of list `number`."""
    revoked = session.scalars(
        select(IssuedCredential.uuid).where(
            IssuedCredential.status == CredentialStatus.REVOKED, _in_list(number)
        )
    ).all()
    return badges.build_revocation_list(
        list_url=revocation_list_url(base_url, number),
        issuer_id=issuer_id,
        revoked=(badges.urn_uuid(u) for u in revoked),
    )


_signed_lists: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_signed_lock = threading.Lock()
_SIGNED_CACHE_SIZE = 32


def bitstring_list(
    session: DBSession,
    *,
    base_url: str,
    issuer_id: str,
    number: int,
    key: badges.SigningKey,
    key_row_id: int,
) -> str:
    """The signed BitstringStatusListCredential (compact JWS) of list `number`.

    ``validFrom`` is the time of the list's latest revocation (or a fixed epoch), so the
    same state and key always give the same token; it is re-signed only when a revocation
    changes the list or the key rotates.
    """
    revision = list_revision(session, number)
    cache_key = (base_url, issuer_id, number, key_row_id, revision.count, revision.latest)
    with _signed_lock:
        cached = _signed_lists.get(cache_key)
        if cached is not None:
            _signed_lists.move_to_end(cache_key)
            return cached
    start, _end = list_range(number)
    indexes = session.scalars(
        select(IssuedCredential.status_list_index).where(
            IssuedCredential.status == CredentialStatus.REVOKED, _in_list(number)
        )
    ).all()
    bits = badges.BitstringStatusList(LIST_SIZE, (i - start for i in indexes))
    valid_from = (revision.latest or EPOCH).replace(microsecond=0)
    credential = badges.build_status_list_credential(
        list_url=bitstring_list_url(base_url, number),
        issuer_id=issuer_id,
        status_list=bits,
        valid_from=valid_from,
    )
    token = badges.sign_credential(credential, key)
    with _signed_lock:
        _signed_lists[cache_key] = token
        while len(_signed_lists) > _SIGNED_CACHE_SIZE:
            _signed_lists.popitem(last=False)
    return token


def revoked_among(session: DBSession, uuids: Iterable[str]) -> set[str]:
    """Which of these credential uuids (without ``urn:uuid:``) are revoked (one query)."""
    wanted = sorted({u for u in uuids if u})
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(IssuedCredential.uuid).where(
                IssuedCredential.uuid.in_(wanted),
                IssuedCredential.status == CredentialStatus.REVOKED,
            )
        )
    )
