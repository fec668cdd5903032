from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.exceptions import PortalError
from portal.extensions import db
from portal.models import Role
from portal.models.base import utcnow
from portal.services import accounts
from portal.services.orgs import get_organisation
from portal.web import hasher

users_cli = AppGroup("users", help="People and roles.")


@users_cli.command("create")
@click.option("--org", "org_slug", required=True, help="organisation slug, e.g. hokkaido or furano")
@click.option("--staff-number", required=True)
@click.option("--name", required=True)
@click.option("--kana", default="")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]))
@click.password_option(prompt="Password")
def create(
    org_slug: str,
    staff_number: str,
    name: str,
    kana: str,
    email: str,
    roles: tuple[str, ...],
    password: str,
) -> None:
    """Create a person (e.g. the first admin)."""
    try:
        org = get_organisation(db.session, org_slug)
        person = accounts.create_person(
            db.session,
            org,
            accounts.PersonInput(staff_number, name, kana, email),
            actor=None,
            now=utcnow(),
            roles=frozenset(Role(r) for r in roles),
        )
        accounts.set_password(person, password, hasher(), current_app.config["PASSWORD_MIN_LENGTH"])
    except PortalError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.code} {exc.params}") from exc
    db.session.commit()
    click.echo(person.uuid)


@users_cli.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def grant(email: str, role: str) -> None:
    """Give a role to the person with this email."""
    person = accounts.find_person_by_email(db.session, email)
    if person is None:
        raise click.ClickException(f"no person with email {email}")
    accounts.grant_role(db.session, person, Role(role), actor=None, now=utcnow())
    db.session.commit()
    click.echo(f"{email}: {sorted(r.value for r in person.roles)}")
