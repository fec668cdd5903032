"""Jinja globals and filters."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, current_app
from flask_babel import format_date, format_datetime, get_locale


def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


def localtime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """An aware UTC datetime shown in the display time zone (Asia/Tokyo)."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def localdate(value: date | datetime | None, fmt: str = "yyyy-MM-dd") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, fmt)
    return format_date(value, fmt)


def register_templating(app: Flask) -> None:
    app.jinja_env.globals.update(has_endpoint=has_endpoint, get_locale=get_locale)
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["localdate"] = localdate
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
