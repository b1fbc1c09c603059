"""Bad input gets one clear line, a non-zero exit, and leaves published issues untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli

DATE = "2026-11-23"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A workspace (built-in content, no overrides yet) with an earlier, good issue."""
    (tmp_path / "reportgen.toml").write_text(
        "[report]\nlanguages = [\"en\"]\nformats = [\"pdf\"]\noutput_dir = \"out\"\n"
        "[data]\nsource = \"sample\"\n", encoding="utf-8")
    good = tmp_path / "out" / DATE
    good.mkdir(parents=True)
    (good / f"reportgen-{DATE}-en.pdf").write_bytes(b"%PDF-1.7 earlier good issue")
    (good / "signals.json").write_text('{"signals": {}}', encoding="utf-8")
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every published file (the run lock, a dot-file beside the issues, is not output)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and not p.relative_to(folder).parts[0].startswith(".")}


def assert_failed_cleanly(result, workspace: Path, before: dict[str, bytes], *fragments: str):
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("reportgen: error:") or "error:" in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert snapshot(workspace / "out") == before
    assert not list((workspace / "out").glob(".staging-*"))


def test_unknown_language(workspace):
    before = snapshot(workspace / "out")
    r = run_cli("run", "--lang", "fr", "--date", DATE, cwd=workspace)
    assert_failed_cleanly(r, workspace, before, "--lang", "'fr'", "zh-Hant")


def test_invalid_date(workspace):
    before = snapshot(workspace / "out")
    r = run_cli("run", "--date", "2026-13-45", cwd=workspace)
    assert_failed_cleanly(r, workspace, before, "2026-13-45", "YYYY-MM-DD")


def test_broken_config_file(workspace):
    before = snapshot(workspace / "out")
    (workspace / "reportgen.toml").write_text('[report]\nlanguages = ["en"\n', encoding="utf-8")
    r = run_cli("run", "--date", DATE, cwd=workspace)
    assert_failed_cleanly(r, workspace, before, "reportgen.toml", "not valid TOML")


def test_config_value_of_wrong_type(workspace):
    before = snapshot(workspace / "out")
    (workspace / "reportgen.toml").write_text('[report]\npage_size = "A5"\n', encoding="utf-8")
    r = run_cli("run", "--date", DATE, cwd=workspace)
    assert_failed_cleanly(r, workspace, before, "report.page_size", "A4, Letter")


def override(workspace: Path, relative: str, text: str) -> Path:
    """A workspace file that replaces the built-in one at the same relative path."""
    path = workspace / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
def test_template_syntax_error_names_file_and_line(workspace):
    before = snapshot(workspace / "out")
    path = override(workspace, "sections/s3/template.html.j2", "<p>ok</p>\n{% if %}\n")
    r = run_cli("run", "--date", DATE, cwd=workspace)
    assert_failed_cleanly(r, workspace, before, f"{path}:2", "syntax error")


@pytest.mark.slow
@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://127.0.0.1:9/x.png"])
def test_template_reaching_outside_the_build_folder_fails_late_and_cleanly(workspace, url):
    """Fails during PDF layout, after charts and HTML were staged: nothing is published."""
    before = snapshot(workspace / "out")
    override(workspace, "sections/disclaimer/template.html.j2", f'<img src="{url}" alt="x">\n')
    r = run_cli("run", "--date", DATE, cwd=workspace)
    assert_failed_cleanly(r, workspace, before, url, "refused")
