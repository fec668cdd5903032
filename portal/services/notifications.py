"""In-app notices. The words are chosen when a notice is shown (in the reader's language),
so a notice stores only its kind and parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from portal.exceptions import NotFound
from portal.models import Notification
from portal.models.base import DBSession

#: Kinds written by the learning services.
REVIEW_APPROVED = "review.approved"
REVIEW_CHANGES_REQUESTED = "review.changes_requested"
PATH_COMPLETED = "path.completed"


def notify(
    session: DBSession, person_id: int, kind: str, params: dict[str, Any], now: datetime
) -> Notification:
    """Add a notice for `person_id` (flushed with the caller's transaction)."""
    notice = Notification(person_id=person_id, kind=kind, params=params, created_at=now)
    session.add(notice)
    return notice


def count_unread(session: DBSession, person_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.person_id == person_id, Notification.read_at.is_(None))
        )
        or 0
    )


def list_notifications(
    session: DBSession, person_id: int, *, limit: int = 50, unread_only: bool = False
) -> list[Notification]:
    """The person's newest notices first."""
    query = select(Notification).where(Notification.person_id == person_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    return list(session.scalars(query))


def get_notification(session: DBSession, person_id: int, notification_id: int) -> Notification:
    """One of the person's own notices.

    :raises NotFound: it does not exist or belongs to someone else.
    """
    notice = session.get(Notification, notification_id)
    if notice is None or notice.person_id != person_id:
        raise NotFound()
    return notice


def mark_read(
    session: DBSession, person_id: int, now: datetime, notification_id: int | None = None
) -> int:
    """Mark one notice (or all of them) read; return how many changed."""
    stmt = (
        update(Notification)
        .where(Notification.person_id == person_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
