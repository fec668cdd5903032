"""Translations: Japanese is the source language; English comes from catalogues.

Each area keeps its own ``portal/i18n/en/<area>.po`` so that work on one area
never touches another's file. `compile_catalogues` merges them into the single
``portal/translations/en/LC_MESSAGES/messages.mo`` that Flask-Babel reads.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_DIR = PACKAGE_DIR / "i18n"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"


def source_files(locale: str = "en") -> list[Path]:
    return sorted((SOURCE_DIR / locale).glob("*.po"))


def merged_catalog(locale: str = "en") -> Catalog:
    """All area catalogues of `locale` merged into one; later files never override."""
    merged = Catalog(locale=locale, domain="messages")
    for path in source_files(locale):
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if not message.id or message.id in merged:
                continue
            merged[message.id] = message
    return merged


def compile_catalogues(force: bool = False) -> list[Path]:
    """Write the .mo file of every locale whose sources are newer; return what was written."""
    written: list[Path] = []
    if not SOURCE_DIR.is_dir():
        return written
    for locale_dir in sorted(p for p in SOURCE_DIR.iterdir() if p.is_dir()):
        locale = locale_dir.name
        target = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.mo"
        sources = source_files(locale)
        newest = max((p.stat().st_mtime for p in sources), default=0.0)
        if not force and target.exists() and target.stat().st_mtime >= newest:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as fh:
            write_mo(fh, merged_catalog(locale))
        written.append(target)
    return written
