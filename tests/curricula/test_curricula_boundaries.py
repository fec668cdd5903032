"""curricula/ is pure: it never imports Flask, SQLAlchemy or the portal."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import curricula

FORBIDDEN = {"flask", "sqlalchemy", "portal", "werkzeug", "jinja2"}
PACKAGE = Path(curricula.__file__).resolve().parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_forbidden_imports_in_source() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert files
    for path in files:
        bad = {name for name in _imports(path) if name.split(".")[0] in FORBIDDEN}
        assert not bad, f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}"


def test_importing_curricula_loads_no_web_stack() -> None:
    code = (
        "import sys, curricula, curricula.__main__\n"
        "curricula.load_catalogue()\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN)!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
