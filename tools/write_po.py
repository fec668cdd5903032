"""Append translations to an area's .po file: `python tools/write_po.py AREA < pairs.tsv`.

Each input line is `msgid<TAB>msgstr`. Existing entries are kept; new ones are added.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def main(area: str, locale: str = "en") -> None:
    path = ROOT / "portal" / "i18n" / locale / f"{area}.po"
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
    else:
        catalog = Catalog(locale=locale, project="hokkaido-portal", charset="utf-8")
    added = 0
    for line in sys.stdin:
        if not line.strip() or "\t" not in line:
            continue
        msgid, msgstr = line.rstrip("\n").split("\t", 1)
        if msgid not in catalog or not catalog[msgid].string:
            catalog.add(msgid, msgstr)
            added += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, sort_output=True)
    print(f"{path}: {added} added, {len(catalog)} total")


if __name__ == "__main__":
    main(*sys.argv[1:])
