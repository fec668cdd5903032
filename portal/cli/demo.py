from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.exceptions import NotFound
from portal.extensions import db
from portal.services.demo import (
    LARGE_SECTIONS,
    LARGE_STAFF,
    analyse_tables,
    seed_demo,
    seed_large,
)

demo_cli = AppGroup("demo", help="Demo data (refused in production).")


@demo_cli.command("seed")
@click.option(
    "--large",
    is_flag=True,
    help=f"Also add a generated dataset to 北海道: {LARGE_STAFF:,} staff in {LARGE_SECTIONS} "
    "sections, with learning records, generated (unsigned) credentials and leader designations. "
    "Needs the catalogue (`flask curricula sync`).",
)
@click.option("--staff", type=click.IntRange(1, 100_000), default=LARGE_STAFF, show_default=True)
@click.option(
    "--sections", type=click.IntRange(1, 10_000), default=LARGE_SECTIONS, show_default=True
)
def seed(large: bool, staff: int, sections: int) -> None:
    """Create demo units and one account per role in 北海道 and 富良野市 (password demo-pass)."""
    if not current_app.config.get("DEMO_ALLOWED"):
        raise click.ClickException("demo data is refused in the production configuration")
    created = seed_demo(db.session)
    if large:
        try:
            created += seed_large(
                db.session,
                base_url=current_app.config["PORTAL_BASE_URL"],
                staff=staff,
                sections=sections,
            )
        except NotFound as exc:
            db.session.rollback()
            raise click.ClickException(
                "the catalogue lacks the badges the large dataset needs "
                f"({', '.join(exc.params.get('missing', []))}); run `flask curricula sync` first"
            ) from exc
    db.session.commit()
    if large:
        analyse_tables(db.session)
        db.session.commit()
    for line in created:
        click.echo(line)
