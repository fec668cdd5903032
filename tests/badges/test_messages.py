"""Message catalogue: complete in both languages and covering every code the library emits."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

import badges as b
from badges.messages import LANGS, MESSAGES, message

PACKAGE = Path(b.__file__).resolve().parent
KEY = re.compile(r"[a-z0-9]+\.[a-z0-9_]+")
# Calls whose first positional argument is a message key / error code.
EMITTERS = {
    "BadgeError",
    "BadgeInputError",
    "BadgeImageError",
    "BadgeKeyError",
    "BadgeBuildError",
    "BadgeTrustError",
    "BadgeStatusError",
    "_Fail",
    "message",
}


def _emitted_keys() -> set[str]:
    keys: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            args = node.args
            if name == "Check" and len(args) >= 3:
                candidates = [args[0], args[2]]
            elif name in EMITTERS and args:
                candidates = [args[0]]
            else:
                continue
            for arg in candidates:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    keys.add(("step." if arg is args[0] and name == "Check" else "") + arg.value)
    return keys


def test_both_languages_have_the_same_keys() -> None:
    assert set(LANGS) == set(MESSAGES)
    assert set(MESSAGES["ja"]) == set(MESSAGES["en"])


def test_every_emitted_code_has_a_message() -> None:
    emitted = _emitted_keys()
    assert len(emitted) > 80
    missing = sorted(k for k in emitted if k not in MESSAGES["ja"])
    assert missing == []


@pytest.mark.parametrize("lang", LANGS)
def test_templates_use_the_same_placeholders(lang: str) -> None:
    for key, template in MESSAGES[lang].items():
        assert KEY.fullmatch(key), key
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        other = MESSAGES["en" if lang == "ja" else "ja"][key]
        assert fields == {f for _, f, _, _ in string.Formatter().parse(other) if f}, key


def test_japanese_is_japanese() -> None:
    assert all(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", t) for t in MESSAGES["ja"].values())


def test_message_rendering_never_fails() -> None:
    assert message("signature.ok") == "署名は有効です。"
    assert message("signature.ok", "en") == "Signature is valid."
    assert (
        message("input.too_large", "en", {"size": 1, "limit": 2})
        == "Input is too large (1 bytes, limit 2)."
    )
    assert message("input.too_large", "en") == "Input is too large ({size} bytes, limit {limit})."
    assert message("no.such_key") == "no.such_key"
    assert message("signature.ok", "fr") == "署名は有効です。"
    error = b.BadgeKeyError("key.too_small", {"bits": 1024, "minimum": 3072})
    assert error.message("ja") == "鍵が短すぎます（1024 ビット、最低 3072 ビット）。"
    assert str(error) == "key.too_small (bits=1024, minimum=3072)"
