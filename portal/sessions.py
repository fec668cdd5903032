"""Flask's signed-cookie sessions, with the signing serializer built once per secret.

Flask builds a new serializer (with its JSON tagger) twice per request, even when the
request carries no session cookie at all, as API clients and first visits do. The
serializer holds no per-request state, so one per secret key (and fallbacks) is reused;
changing the key in the configuration still takes effect on the next request.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
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
