"""`flask keys generate|rotate|list|compromised`: the Open Badges signing keys.

Private keys are written encrypted (PKCS#8, ``SIGNING_KEY_PASSPHRASE``) to
``SIGNING_KEY_DIR/<key_id>.pem``; the database keeps the public JWK. See README
"Key management" for custody, rotation and what to do if a key leaks.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from portal.exceptions import PortalError
from portal.extensions import db
from portal.models.base import utcnow
from portal.services import issuance
from portal.services.keys import (
    KeyCache,
    find_active_key,
    generate_signing_key,
    list_keys,
    mark_compromised,
)

keys_cli = AppGroup("keys", help="Open Badges signing keys.")


def _generate(rotate: bool) -> None:
    config = current_app.config
    try:
        row = generate_signing_key(
            db.session,
            key_dir=config["SIGNING_KEY_DIR"],
            passphrase=config["SIGNING_KEY_PASSPHRASE"],
            base_url=config["PORTAL_BASE_URL"],
            now=utcnow(),
            rotate=rotate,
        )
    except PortalError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.code} {exc.params or ''}".strip()) from exc
    db.session.commit()  # (the commit makes this process forget its copy of our keys)
    click.echo(f"{row.key_id} {row.kid_url}")


@keys_cli.command("generate")
@click.option("--if-missing", is_flag=True, help="Do nothing when a key is already active.")
def generate(if_missing: bool) -> None:
    """Create the first signing key (RSA-3072) and make it active."""
    current = find_active_key(db.session)
    if current is not None:
        if if_missing:
            click.echo(f"active key exists: {current.key_id}")
            return
        raise click.ClickException(
            f"a key is already active ({current.key_id}); use `flask keys rotate`"
        )
    _generate(rotate=False)


@keys_cli.command("rotate")
def rotate() -> None:
    """Make a new active key; the old one is retired but still published."""
    _generate(rotate=True)


@keys_cli.command("list")
def list_command() -> None:
    """Every key: id, status, created, retired, kid URL."""
    rows = list_keys(db.session)
    if not rows:
        click.echo("no keys; run `flask keys generate`")
        return
    for row in rows:
        retired = row.retired_at.strftime("%Y-%m-%d") if row.retired_at else "-"
        click.echo(
            f"{row.key_id}\t{row.status}\t{row.created_at:%Y-%m-%d}\t{retired}\t{row.kid_url}"
        )


@keys_cli.command("compromised")
@click.argument("key_id")
@click.option("--reason", required=True, help="Why (recorded in the audit log).")
@click.option("--reissue/--no-reissue", default=True, show_default=True)
def compromised(key_id: str, reason: str, reissue: bool) -> None:
    """A retired key leaked: stop publishing it, revoke what it signed, reissue.

    Rotate first (`flask keys rotate`), so that a new key is active.
    """
    config = current_app.config
    now = utcnow()
    try:
        row = mark_compromised(db.session, key_id, actor=None, now=now, reason=reason)
        db.session.commit()
    except PortalError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.code} {exc.params or ''}".strip()) from exc
    if not reissue:
        click.echo(f"{key_id} marked compromised; its credentials no longer verify")
        return
    from portal.public.credentials import issuance_settings

    settings = issuance_settings()
    key = KeyCache(config["SIGNING_KEY_DIR"], config["SIGNING_KEY_PASSPHRASE"]).get(db.session)
    revoked = reissued = 0
    while True:
        done, new = issuance.reissue_for_key(
            db.session,
            settings,
            key,
            signing_key_id=row.id,
            actor=None,
            now=now,
            reason=f"key {key_id} compromised: {reason}",
        )
        db.session.commit()
        revoked += done
        reissued += new
        if done == 0:
            break
    click.echo(f"{key_id}: {revoked} credentials revoked, {reissued} reissued with {key.key_id}")
