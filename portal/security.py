"""Security headers for every response."""

from __future__ import annotations

from flask import Flask
from werkzeug.wrappers import Response

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def register_security_headers(app: Flask) -> None:
    defaults = HEADERS + ((HSTS,) if app.config.get("SESSION_COOKIE_SECURE") else ())

    @app.after_request
    def _headers(response: Response) -> Response:
        # A view may set its own value (e.g. a looser CSP); every other header is added.
        # One pass over the few headers present (Headers.setdefault raises and catches a
        # KeyError per missing header, on every response).
        present = {key.lower() for key in response.headers.keys()}  # noqa: SIM118
        for key, value in defaults:
            if key.lower() not in present:
                response.headers.add(key, value)
        return response
