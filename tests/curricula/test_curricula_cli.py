"""``python -m curricula``: check, format and open-data."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from curricula.__main__ import main


def test_check_shipped_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: ")
    assert "courses: 93 (URL verified 83, unverified 10; retired 0)" in out
    assert "paths: 6" in out
    assert "L1 l1-digital-leader" in out


def test_check_reports_issues_with_locations(
    capsys: pytest.CaptureFixture[str],
    write: Callable[[dict[str, str]], Path],
    files: dict[str, str],
) -> None:
    files["courses.yaml"] = files["courses.yaml"].replace(
        "url: https://example.org/course/2", "url: javascript:alert(1)"
    )
    assert main(["check", str(write(files))]) == 1
    err = capsys.readouterr().err
    assert "courses.yaml:" in err
    assert "courses[course-2].url: http/https 以外のURLは使えません" in err
    assert "[bad-url-scheme]" in err
    assert "1 issue(s)" in err


def test_format_rewrites_in_canonical_form(
    capsys: pytest.CaptureFixture[str],
    write: Callable[[dict[str, str]], Path],
    files: dict[str, str],
) -> None:
    directory = write(files)
    assert main(["format", str(directory)]) == 0
    text = (directory / "courses.yaml").read_text(encoding="utf-8")
    assert text.startswith("# 講座・教材カタログ")
    assert main(["check", str(directory)]) == 0
    capsys.readouterr()


def test_open_data_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["open-data", str(tmp_path)]) == 0
    assert (tmp_path / "courses.csv").exists()
    assert "wrote" in capsys.readouterr().out


def test_module_entry_point_exit_status(
    write: Callable[[dict[str, str]], Path], files: dict[str, str]
) -> None:
    files["paths.yaml"] = files["paths.yaml"].replace("course: course-1", "course: missing")
    result = subprocess.run(
        [sys.executable, "-m", "curricula", "check", str(write(files))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "paths.yaml:" in result.stderr
