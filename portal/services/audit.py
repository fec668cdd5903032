"""Writing audit events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.models import AuditEvent, Person
from portal.models.base import DBSession, utcnow


def record_event(
    session: DBSession,
    *,
    action: str,
    subject_type: str,
    subject_id: str | int,
    actor: Person | None = None,
    organisation_id: int | None = None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    ip_address: str | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one audit event (flushed with the caller's transaction)."""
    event = AuditEvent(
        occurred_at=now or utcnow(),
        actor_id=actor.id if actor is not None else None,
        organisation_id=organisation_id,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        reason=reason,
        data=data,
        ip_address=ip_address,
    )
    session.add(event)
    return event
