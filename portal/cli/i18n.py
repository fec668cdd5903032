from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.i18n import compile_catalogues

i18n_cli = AppGroup("i18n", help="Translations.")


@i18n_cli.command("compile")
def compile_() -> None:
    """Merge portal/i18n/<locale>/*.po into the compiled catalogues."""
    for path in compile_catalogues(force=True):
        click.echo(f"wrote {path}")
