"""Helpers shared by the HR views: scope, request arguments, pages of lists and exports."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from flask import (
    Response,
    abort,
    current_app,
    request,
    send_file,
    stream_with_context,
)
from flask_babel import get_locale
from flask_login import current_user

from portal.extensions import db
from portal.models import Organisation, Person
from portal.models.base import utcnow
from portal.services.audit import record_event
from portal.services.exports import csv_chunks, write_xlsx
from portal.services.hr_talent import AchievementIndex, load_achievement_index

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
T = TypeVar("T")


def organisation() -> Organisation:
    """HR's own organisation: the only one any HR view reads or changes."""
    org = db.session.get(Organisation, current_user.organisation_id)
    if org is None:  # pragma: no cover - a person always has an organisation
        abort(404)
    return org


def actor() -> Person:
    return current_user._get_current_object()


def display_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def lang() -> str:
    locale = get_locale()
    return locale.language if locale else "ja"


def achievement_index() -> AchievementIndex:
    """The catalogue's badges by meaning (two small statements; call once per view)."""
    return load_achievement_index(db.session)


def int_arg(name: str, source: Any = None) -> int | None:
    """A positive integer argument, or None when absent or malformed."""
    value = str((source if source is not None else request.args).get(name, "")).strip()
    if not value.isdigit() or len(value) > 9:
        return None
    return int(value)


def choice_arg(name: str, allowed: Sequence[str]) -> str | None:
    value = request.args.get(name, "")
    return value if value in allowed else None


@dataclass(frozen=True)
class ListPage(Generic[T]):
    """A page of an in-memory list, shaped like Flask-SQLAlchemy's Pagination for ui.pagination."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @classmethod
    def of(cls, rows: Sequence[T], page: int | None, per_page: int) -> ListPage[T]:
        pages = max(1, math.ceil(len(rows) / per_page))
        current = min(max(page or 1, 1), pages)
        start = (current - 1) * per_page
        return cls(list(rows[start : start + per_page]), current, per_page, len(rows))

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def export_response(
    fmt: str,
    *,
    name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    sheet_title: str,
    org: Organisation,
    audit: dict[str, Any],
    widths: Sequence[float | None] = (),
) -> Response:
    """Send rows as CSV (streamed, UTF-8 with BOM) or XLSX, after auditing the export.

    The audit event is committed first: personal data leaving the portal is recorded
    even if the client goes away during the download.
    """
    now = utcnow()
    record_event(
        db.session,
        action="hr.exported",
        subject_type="organisation",
        subject_id=org.id,
        actor=actor(),
        organisation_id=org.id,
        data={"export": name, "format": fmt, **audit},
        ip_address=request.remote_addr,
        now=now,
    )
    db.session.commit()
    filename = f"{name}-{org.slug}-{now.astimezone(display_tz()):%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = Response(
            stream_with_context(csv_chunks(header, rows)),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    else:
        response = send_file(
            write_xlsx(header, rows, sheet_title=sheet_title, widths=widths),
            mimetype=XLSX_MIME,
            as_attachment=True,
            download_name=filename,
            max_age=0,
        )
    response.headers["Cache-Control"] = "no-store"
    return response
