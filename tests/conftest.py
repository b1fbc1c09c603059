"""Shared fixtures. The end-to-end build runs once per session and is reused by the tests
that only read its outputs, so the suite stays within a few minutes on two cores."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reportgen import PROJECT_ROOT
from reportgen.config import load_config, with_overrides
from reportgen.pipeline import BuildResult, build

ISSUE_DATE = dt.date(2026, 11, 23)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """A full run: three languages, PDF and HTML, on the bundled sample."""
    out = tmp_path_factory.mktemp("output")
    config = with_overrides(load_config(PROJECT_ROOT / "reportgen.toml"), output_dir=str(out))
    return build(config, ISSUE_DATE)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real command line, in a subprocess, as a user would run it."""
    return subprocess.run([sys.executable, "-m", "reportgen", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: run `make setup` (scripts/setup-system.sh installs it)")
    return path
