"""Which user-visible strings lack an English translation (used by tests and `make i18n-missing`)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from portal.i18n import merged_catalog

ROOT = Path(__file__).resolve().parent.parent
METHOD_MAP = [
    ("portal/**.py", "python"),
    ("templates/**.html", "jinja2"),
]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def extracted_messages() -> dict[str, list[str]]:
    """msgid → places it is used."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        METHOD_MAP,
        keywords=KEYWORDS,
        options_map={"templates/**.html": {"trimmed": "true"}},
    ):
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def missing_translations(locale: str = "en") -> dict[str, list[str]]:
    catalog = merged_catalog(locale)
    missing = {}
    for msgid, places in extracted_messages().items():
        message = catalog.get(msgid)
        if message is None or not message.string:
            missing[msgid] = places
    return missing


if __name__ == "__main__":
    import sys

    gaps = missing_translations()
    for msgid, places in sorted(gaps.items(), key=lambda kv: kv[1][0]):
        escaped = msgid.replace("\\", "\\\\").replace('"', '\\"')
        print(f'#: {places[0]}\nmsgid "{escaped}"\nmsgstr ""\n')
    print(f"# {len(gaps)} missing", file=sys.stderr)
