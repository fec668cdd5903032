"""The base form: Flask-WTF's FlaskForm, so CSRF is on for every form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import ValidationError


class BaseForm(FlaskForm):  # type: ignore[misc]
    """All portal forms inherit CSRF protection from here."""

    def add_error(self, field_name: str, message: str) -> None:
        """Attach a service-level error to a field (or to the form when unknown)."""
        field = getattr(self, field_name, None)
        if isinstance(field, Field):
            field.errors = [*field.errors, message]
        else:
            self.form_errors.append(message)


def no_control_characters(_form: object, field: Field) -> None:
    """Reject control characters (other than tab/newline) in free text."""
    value = field.data or ""
    if isinstance(value, str) and any(ord(c) < 32 and c not in "\t\r\n" for c in value):
        from flask_babel import lazy_gettext as _l

        raise ValidationError(str(_l("制御文字は使用できません。")))
