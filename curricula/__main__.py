"""Command line: ``python -m curricula check|format|open-data``.

* ``check [DIR]``: validate the catalogue (default: the shipped data); print
  ``OK`` with counts, or every issue as ``file:line field: message``. Exit 1 on issues.
* ``format [DIR]``: rewrite valid data files in the canonical layout.
* ``open-data OUTDIR [--data DIR] [--excel-bom]``: write courses.csv/json (CC BY 4.0).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from curricula.dump import dump_catalogue
from curricula.errors import Issue
from curricula.loader import DEFAULT_DATA_DIR, parse_catalogue
from curricula.model import Catalogue
from curricula.opendata import export_open_data


def _hours(low: float, high: float) -> str:
    return f"{low:g}–{high:g} h"


def summarise(catalogue: Catalogue) -> list[str]:
    """Human-readable counts and path summaries of a valid catalogue."""
    courses = catalogue.courses
    verified = sum(course.url_verified for course in courses)
    retired = sum(course.retired for course in courses)
    tiers = Counter(code for course in courses for code in course.tiers)
    levels = Counter(code for course in courses for code in course.levels)
    languages = Counter(course.language for course in courses)
    certificates = Counter(course.certificate for course in courses)
    lines = [
        f"courses: {len(courses)} (URL verified {verified}, unverified "
        f"{len(courses) - verified}; retired {retired})",
        "  by tier: " + ", ".join(f"{t.code} {tiers[t.code]}" for t in catalogue.tiers),
        "  by level: " + ", ".join(f"{lv.code} {levels[lv.code]}" for lv in catalogue.levels),
        "  by language: " + ", ".join(f"{k} {v}" for k, v in sorted(languages.items())),
        "  certificate: " + ", ".join(f"{k} {v}" for k, v in sorted(certificates.items())),
        f"tiers: {len(catalogue.tiers)}, levels: {len(catalogue.levels)}, frameworks: "
        + ", ".join(f"{f.slug} ({len(f.items)} items)" for f in catalogue.frameworks),
        f"exercises: {len(catalogue.exercises)}, achievements: {len(catalogue.achievements)}",
        f"paths: {len(catalogue.paths)}",
    ]
    for path in catalogue.paths:
        hours = catalogue.path_hours(path)
        lines.append(
            f"  {path.code} {path.slug}: {len(path.steps)} steps "
            f"({len(path.required_steps)} required + {path.electives_required} of "
            f"{len(path.elective_steps)} electives), {_hours(hours.min, hours.max)}, "
            f"prerequisites: {', '.join(path.prerequisites) or '-'}, "
            f"badge: {path.achievement}"
        )
    return lines


def _print_issues(issues: Sequence[Issue]) -> None:
    for issue in issues:
        print(
            f"{issue.location} {issue.field}: {issue.message_ja} / {issue.message_en} "
            f"[{issue.code}]",
            file=sys.stderr,
        )
    print(f"{len(issues)} issue(s)", file=sys.stderr)


def _load(directory: Path) -> Catalogue | None:
    catalogue, issues = parse_catalogue(directory)
    if issues:
        _print_issues(issues)
        return None
    return catalogue


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m curricula", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate the catalogue")
    check.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    fmt = commands.add_parser("format", help="rewrite the data files in canonical form")
    fmt.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DATA_DIR)
    open_data = commands.add_parser("open-data", help="export courses.csv/json (CC BY 4.0)")
    open_data.add_argument("output", type=Path)
    open_data.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    open_data.add_argument("--excel-bom", action="store_true", help="write the CSV with a BOM")
    args = parser.parse_args(argv)

    if args.command == "check":
        catalogue = _load(args.directory)
        if catalogue is None:
            return 1
        print(f"OK: {args.directory}")
        for line in summarise(catalogue):
            print(f"  {line}")
        return 0
    if args.command == "format":
        catalogue = _load(args.directory)
        if catalogue is None:
            return 1
        for written in dump_catalogue(catalogue, args.directory):
            print(f"wrote {written}")
        return 0
    catalogue = _load(args.data)
    if catalogue is None:
        return 1
    for written in export_open_data(catalogue, args.output, excel_bom=args.excel_bom):
        print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
