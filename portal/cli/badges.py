"""`flask badges issue|bulk-issue|revoke`: award path badges by hand (offline events).

`bulk-issue` is restartable: every credential it issues carries the batch key (by default
derived from the file's content), and the partial unique index allows one active
credential per (person, achievement). Rerunning the same file after a crash issues only
the lines that are still missing; each chunk is committed on its own.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.exceptions import PortalError
from portal.extensions import db
from portal.models import IssuedCredential
from portal.models.base import utcnow
from portal.services import issuance
from portal.services.keys import ActiveKey

badges_cli = AppGroup("badges", help="Issue and revoke Open Badges credentials.")

MAX_BULK_ROWS = 200_000


def _edge() -> tuple[issuance.IssuanceSettings, ActiveKey]:
    from portal.public.credentials import active_key, issuance_settings

    return issuance_settings(), active_key()


def _fail(exc: PortalError) -> click.ClickException:
    db.session.rollback()
    params = ", ".join(f"{k}={v}" for k, v in exc.params.items())
    return click.ClickException(f"{exc.code}{': ' + params if params else ''}")


@badges_cli.command("issue")
@click.option("--email", required=True, help="The person's e-mail address.")
@click.option("--achievement", "slug", required=True, help="Achievement slug, e.g. badge-t1.")
@click.option("--evidence-url", default=None, help="https URL of the evidence (optional).")
@click.option("--narrative", default=None, help="What the person did (optional).")
def issue(email: str, slug: str, evidence_url: str | None, narrative: str | None) -> None:
    """Award a path badge to one person; prints the new credential id."""
    try:
        settings, key = _edge()
        credential = issuance.award(
            db.session,
            settings,
            key,
            issuance.AwardRow(email, slug, evidence_url, narrative),
            actor=None,
            now=utcnow(),
        )
    except PortalError as exc:
        raise _fail(exc) from exc
    db.session.commit()
    click.echo(f"urn:uuid:{credential.uuid}")


class _ChunkWriter:
    """Stores signed chunks in a second thread (own app context, session and transaction,
    one commit per chunk) while the main thread signs the next chunk: the database's work
    overlaps with signing instead of adding to it."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.queue: queue.Queue[tuple[issuance.Signed, datetime] | None] = queue.Queue(1)
        self.error: BaseException | None = None
        self.stored = 0
        self.thread = threading.Thread(target=self._run, name="bulk-issue-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.app.app_context():
            while True:
                job = self.queue.get()
                if job is None:
                    return
                if self.error is not None:
                    continue  # drain after a failure
                signed, now = job
                try:
                    issuance.store_signed(db.session, signed, actor_id=None, now=now)
                    db.session.commit()
                    self.stored += len(signed.rows)
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                    db.session.rollback()
                    self.error = exc

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def put(self, signed: issuance.Signed, now: datetime) -> None:
        self._raise()
        self.queue.put((signed, now))
        self._raise()

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self._raise()

    def abandon(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()


@badges_cli.command("bulk-issue")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--batch-key", default=None, help="Default: derived from the file content.")
@click.option("--chunk", default=500, show_default=True, type=click.IntRange(1, 5000))
def bulk_issue(csv_file: Path, batch_key: str | None, chunk: int) -> None:
    """Award path badges from a CSV (email, achievement[, evidence_url, narrative]).

    Every line is checked first; if any line is wrong nothing is issued and the errors
    are listed. Rerunning after an interruption issues only what is missing.
    """
    raw = csv_file.read_bytes()
    batch_key = batch_key or "bulk-" + hashlib.sha256(raw).hexdigest()[:20]
    rows, file_errors = issuance.read_award_csv(raw, max_rows=MAX_BULK_ROWS)
    if file_errors:
        for line, code, params in file_errors:
            click.echo(f"line {line or '-'}: {code} {params or ''}".rstrip(), err=True)
        raise click.ClickException("nothing issued")
    try:
        settings, key = _edge()
        operator = issuance.get_operator(db.session, settings)
        plan = issuance.plan_awards(
            db.session, rows, actor=None, batch_key=batch_key, operator=operator
        )
    except PortalError as exc:
        raise _fail(exc) from exc
    if plan.errors:
        for line, code, params in plan.errors:
            click.echo(f"line {line}: {code} {params}", err=True)
        raise click.ClickException(f"{len(plan.errors)} lines have errors; nothing issued")
    click.echo(
        f"batch {batch_key}: {len(rows)} lines, {len(plan.already_done)} already issued, "
        f"{len(plan.items)} to issue"
    )
    # The planned people and achievements are used across the chunk commits: keep them
    # loaded instead of reloading each one after every commit.
    session = db.session()
    session.expire_on_commit = False
    writer = _ChunkWriter(current_app._get_current_object())  # type: ignore[attr-defined]
    try:
        with click.progressbar(length=len(plan.items), label="issuing") as bar:
            for start in range(0, len(plan.items), chunk):
                part = plan.items[start : start + chunk]
                now = utcnow()
                signed = issuance.sign_planned(db.session, settings, key, part, now=now)
                db.session.commit()  # the reserved indexes are spent for good (never reused)
                writer.put(signed, now)  # waits while the previous chunk is being stored
                bar.update(len(part))
        writer.finish()
    except PortalError as exc:
        writer.abandon()
        raise _fail(exc) from exc
    except Exception as exc:
        writer.abandon()
        db.session.rollback()
        raise click.ClickException(
            f"stopped after {writer.stored} new credentials ({type(exc).__name__}: {exc}); "
            "run the same command again to issue the rest"
        ) from exc
    finally:
        session.expire_on_commit = True
    issued = writer.stored
    total = db.session.scalar(
        select(db.func.count(IssuedCredential.id)).where(IssuedCredential.batch_key == batch_key)
    )
    click.echo(f"issued {issued}; batch {batch_key} now holds {total} credentials")


@badges_cli.command("revoke")
@click.argument("credential_id")
@click.option("--reason", required=True)
def revoke(credential_id: str, reason: str) -> None:
    """Revoke a credential (urn:uuid:… or the bare uuid)."""
    uuid = credential_id.removeprefix("urn:uuid:")
    credential = db.session.scalar(select(IssuedCredential).where(IssuedCredential.uuid == uuid))
    if credential is None:
        raise click.ClickException("credential not found")
    try:
        issuance.revoke(db.session, credential=credential, actor=None, reason=reason, now=utcnow())
    except PortalError as exc:
        raise _fail(exc) from exc
    db.session.commit()
    click.echo(f"revoked urn:uuid:{uuid}")
