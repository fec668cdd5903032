"""Every user-visible string has an English translation with the same placeholders."""

from __future__ import annotations

import re

from portal.i18n import merged_catalog
from portal.i18n_check import missing_translations

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def test_every_string_is_translated():
    missing = missing_translations("en")
    report = "\n".join(f"{places[0]}: {msgid}" for msgid, places in missing.items())
    assert not missing, f"{len(missing)} strings lack an English translation:\n{report}"


def test_placeholders_match():
    bad = []
    for message in merged_catalog("en"):
        if not message.id or not message.string or isinstance(message.id, tuple):
            continue
        if sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            bad.append(message.id)
    assert bad == []
