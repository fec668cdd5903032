"""`flask curricula check|sync|export|check-links`: the catalogue between data files and DB."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from curricula import (
    DEFAULT_DATA_DIR,
    Catalogue,
    Issue,
    dump_catalogue,
    export_open_data,
    parse_catalogue,
    validate_catalogue,
)
from portal.extensions import db
from portal.models.base import utcnow
from portal.services.catalogue_sync import build_catalogue, sync_catalogue
from portal.services.linkcheck import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, check_links

curricula_cli = AppGroup("curricula", help="The catalogue: check, sync, export, check-links.")

OPEN_DATA_DIR = "open-data"

DATA_OPTION = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"catalogue directory (default: {DEFAULT_DATA_DIR})",
)


def _print_issues(issues: tuple[Issue, ...]) -> None:
    for issue in issues:
        click.echo(
            f"{issue.location} {issue.field}: {issue.message_ja} / {issue.message_en}", err=True
        )
    click.echo(f"{len(issues)} issue(s)", err=True)


def _summary(catalogue: Catalogue) -> str:
    courses = catalogue.courses
    verified = sum(1 for c in courses if c.url_verified)
    retired = sum(1 for c in courses if c.retired)
    return (
        f"courses {len(courses)} (URL verified {verified}, unverified {len(courses) - verified}, "
        f"retired {retired}), exercises {len(catalogue.exercises)}, paths {len(catalogue.paths)}, "
        f"achievements {len(catalogue.achievements)}, tiers {len(catalogue.tiers)}, "
        f"levels {len(catalogue.levels)}, frameworks {len(catalogue.frameworks)}"
    )


def _load(data_dir: Path | None) -> Catalogue:
    catalogue, issues = parse_catalogue(data_dir)
    if issues:
        _print_issues(issues)
        raise click.exceptions.Exit(1)
    return catalogue


@curricula_cli.command("check")
@click.argument(
    "directory", required=False, type=click.Path(file_okay=False, path_type=Path), default=None
)
def check(directory: Path | None) -> None:
    """Validate the catalogue data files; print file:line field: message for each issue."""
    catalogue = _load(directory)
    click.echo(f"OK: {directory or DEFAULT_DATA_DIR}")
    click.echo(f"  {_summary(catalogue)}")


@curricula_cli.command("sync")
@DATA_OPTION
def sync(data_dir: Path | None) -> None:
    """Upsert the data files into the database by slug (idempotent; never deletes)."""
    catalogue = _load(data_dir)
    report = sync_catalogue(db.session, catalogue, now=utcnow())
    db.session.commit()
    for kind, counts in report.counts.items():
        click.echo(
            f"{kind}: {counts.created} created, {counts.updated} updated, "
            f"{counts.unchanged} unchanged, {counts.retired} retired"
        )
    click.echo("no change" if not report.changed else "catalogue updated")


@curricula_cli.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--excel-bom", is_flag=True, help="write courses.csv with a BOM (older Excel)")
def export(directory: Path, excel_bom: bool) -> None:
    """Write the live catalogue as data files into DIRECTORY, and open data
    (courses.csv, courses.json, CC BY 4.0) into DIRECTORY/open-data."""
    catalogue = build_catalogue(db.session)
    issues = validate_catalogue(catalogue)
    if issues:
        click.echo("the live catalogue does not validate; nothing written:", err=True)
        _print_issues(issues)
        raise click.exceptions.Exit(1)
    directory.mkdir(parents=True, exist_ok=True)
    written = dump_catalogue(catalogue, directory)
    written += export_open_data(catalogue, directory / OPEN_DATA_DIR, excel_bom=excel_bom)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(_summary(catalogue))


@curricula_cli.command("check-links")
@click.option("--only-dead", is_flag=True, help="re-check only the links marked dead")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="parallel requests",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 120),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="seconds per request",
)
def check_links_command(only_dead: bool, concurrency: int, timeout: float) -> None:
    """Check course URLs (HEAD then GET, ≤5 redirects, no private addresses) and record the result."""
    report = check_links(
        db.session,
        now=utcnow(),
        only_dead=only_dead,
        concurrency=concurrency,
        timeout=timeout,
        allow_private=bool(current_app.config.get("LINKCHECK_ALLOW_PRIVATE")),
    )
    db.session.commit()
    for slug, url, result in report.dead_links:
        status = result.status if result.status is not None else "-"
        click.echo(f"DEAD {slug} {url} [{status}] {result.error or ''}".rstrip())
    click.echo(
        f"checked {report.checked}: {report.ok} ok, {report.dead} dead, "
        f"{report.inconclusive} inconclusive"
    )
