"""badges/ stays pure: no Flask, SQLAlchemy, portal, environment, hidden clock or randomness."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "badges"
MODULES = sorted(PACKAGE.rglob("*.py"))
FORBIDDEN_IMPORTS = (
    "flask",
    "sqlalchemy",
    "portal",
    "werkzeug",
    "requests",
    "httpx",
    "urllib.request",
)
# Names that would bring hidden time or randomness into library code.
FORBIDDEN_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("uuid", "uuid1"),
    ("uuid", "uuid4"),
    ("os", "urandom"),
    ("os", "getenv"),
    ("os", "environ"),
}
FORBIDDEN_MODULES = ("secrets", "random")
# The CLI is the edge: it may read the system clock (documented in its docstring).
EDGE = {"cli.py": {("datetime", "now")}}


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_there_are_modules_to_check() -> None:
    assert len(MODULES) >= 10


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_stay_inside_the_boundary(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    for name in _imports(tree):
        root = name.split(".")[0]
        assert not root.startswith("flask"), f"{path.name} imports {name}"
        for banned in FORBIDDEN_IMPORTS:
            assert name != banned and not name.startswith(banned + "."), (
                f"{path.name} imports {name}"
            )
        assert root not in FORBIDDEN_MODULES, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_environment_clock_or_randomness(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    allowed = EDGE.get(path.name, set())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pair = (node.value.id, node.attr)
            assert pair not in FORBIDDEN_CALLS or pair in allowed, (
                f"{path.name}:{node.lineno} uses {pair}"
            )
        if isinstance(node, ast.ImportFrom) and node.module in ("os", "time", "uuid", "datetime"):
            for alias in node.names:
                assert (node.module, alias.name) not in FORBIDDEN_CALLS, (
                    f"{path.name} imports {alias.name}"
                )


def test_the_boundary_test_catches_violations(tmp_path: Path) -> None:
    bad = "import flask_login\nfrom sqlalchemy import orm\nimport os\nx = os.environ['A']\n"
    tree = ast.parse(bad)
    names = _imports(tree)
    assert "flask_login" in names and "sqlalchemy" in names
    pairs = {
        (n.value.id, n.attr)
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
    }
    assert ("os", "environ") in pairs
