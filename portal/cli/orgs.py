from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.services.orgs import sync_organisations

orgs_cli = AppGroup("orgs", help="Organisations: 北海道 and its 179 municipalities.")


@orgs_cli.command("sync")
def sync() -> None:
    """Load the prefecture, 14 振興局 and 179 municipalities (idempotent)."""
    result = sync_organisations(db.session)
    db.session.commit()
    click.echo(
        f"organisations: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged; subprefectures: {result.subprefectures}"
    )
