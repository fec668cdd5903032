"""Flask's signed-cookie sessions, with the signing serializer built once per secret.

Flask builds a new serializer (with its JSON tagger) twice per request, even when the
request carries no session cookie at all, as API clients and first visits do. The
serializer holds no per-request state, so one per secret key (and fallbacks) is reused;
changing the key in the configuration still takes effect on the next request. A request
that sends no cookies at all gets its new empty session without parsing any.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class PortalSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple[object, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, *(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        found = self._serializers.get(key)
        if found is None:
            found = super().get_signing_serializer(app)
            if len(self._serializers) > 8:  # keys rotated many times in one process
                self._serializers.clear()
            self._serializers[key] = found
        return found

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.environ.get("HTTP_COOKIE"):
            return self.session_class()  # what Flask returns when the cookie is absent
        return super().open_session(app, request)
