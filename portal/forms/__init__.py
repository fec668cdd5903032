"""Forms. Every form subclasses `BaseForm`, which carries CSRF protection."""

from portal.forms.base import BaseForm

__all__ = ["BaseForm"]
