"""Typed errors raised by services. The web and CLI edges turn codes into words."""

from __future__ import annotations

from typing import Any


class PortalError(Exception):
    """Root of the portal's domain errors. `code` is stable; `params` fill the message."""

    code = "portal_error"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or self.code
        self.params = params
        super().__init__(self.code, params)


class NotFound(PortalError):
    code = "not_found"


class PermissionDenied(PortalError):
    code = "permission_denied"


class Conflict(PortalError):
    code = "conflict"


class ValidationFailed(PortalError):
    """Input that breaks a rule. `field_errors` maps a field name to messages."""

    code = "invalid"

    def __init__(
        self,
        code: str | None = None,
        field_errors: dict[str, list[str]] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code, **params)
        self.field_errors = field_errors or {}
