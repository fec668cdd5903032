from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.extensions import db
from portal.services.demo import seed_demo

demo_cli = AppGroup("demo", help="Demo data (refused in production).")


@demo_cli.command("seed")
def seed() -> None:
    """Create demo units and one account per role in 北海道 and 富良野市 (password demo-pass)."""
    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("demo data is refused in the production configuration")
    created = seed_demo(db.session)
    db.session.commit()
    for line in created:
        click.echo(line)
