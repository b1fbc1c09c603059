"""Shared fixtures. The end-to-end build runs once per session and is reused by the tests
that only read its outputs, so the suite stays within a few minutes on two cores."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reportgen import PROJECT_ROOT
from reportgen.config import load_config, with_overrides
from reportgen.pipeline import BuildResult, build

ISSUE_DATE = dt.date(2026, 11, 23)
LANGUAGES = ("en", "zh-Hant", "zh-Hans")  # the built-in languages
TESTS_DIR = Path(__file__).resolve().parent
# The bundled sample data and the project's content; run_cli runs in this folder by default.
SAMPLE_CONFIG = TESTS_DIR / "reportgen.toml"


@pytest.fixture(scope="session", autouse=True)
def no_developer_settings() -> None:
    """The developer's shell must not change what the tests see: no FRED key, no source
    URLs (test configs name loopback servers or a closed port; subprocesses inherit this)."""
    mp = pytest.MonkeyPatch()
    for name in ("FRED_API_KEY", "REPORTGEN_FRED_API_URL", "REPORTGEN_FRED_CSV_URL",
                 "REPORTGEN_NYFED_URL", "REPORTGEN_SEC_URL", "REPORTGEN_SEC_USER_AGENT"):
        mp.delenv(name, raising=False)
    yield
    mp.undo()


@pytest.fixture(scope="session", autouse=True)
def shared_build_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build cache for the session (REPORTGEN_CACHE_DIR, inherited by subprocesses), as
    CI would keep one: a chart or an analysis another test already made is not made again.
    tests/test_cache.py checks the cache itself on private caches, against clean builds."""
    if os.environ.get("PYTEST_XDIST_WORKER"):  # one for all workers: beside their folders
        folder = tmp_path_factory.getbasetemp().parent / "build-cache"
        folder.mkdir(exist_ok=True)
    else:
        folder = tmp_path_factory.mktemp("build-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("REPORTGEN_CACHE_DIR", str(folder))
    yield folder
    mp.undo()


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@contextlib.contextmanager
def one_worker_at_a_time(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[None]:
    """Under pytest-xdist, the first worker to ask builds; the others wait, then find what
    it made in the shared build cache instead of all building it at once."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    with open(tmp_path_factory.getbasetemp().parent / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """A full run: three languages, PDF and HTML, on the bundled sample."""
    out = tmp_path_factory.mktemp("output")
    config = with_overrides(load_config(SAMPLE_CONFIG), output_dir=str(out))
    with one_worker_at_a_time(tmp_path_factory, "built"):
        return build(config, ISSUE_DATE)


# Fixtures that build a whole issue (or need one): a test using them is slow, so
# `make test-fast` leaves it out. `make test` runs everything.
WHOLE_BUILD_FIXTURES = frozenset({"built", "site", "live", "browser", "installed"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if WHOLE_BUILD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    # Longest first: pytest-xdist hands tests out in this order (after its groups), so the
    # slow ones start early and the quick ones fill the gaps, instead of a whole build
    # (alphabetically late) running alone at the end. The sort is stable within each kind.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def analysis_catalogs() -> dict:
    """The built-in catalogs a compute step reads (thresholds, outlook, scorecards)."""
    from reportgen.catalog import read_toml
    from reportgen.content import builtin
    from reportgen.signals.scorecard import load_scorecards

    paths = builtin()
    return {"thresholds": read_toml(paths.file("catalogs", "thresholds.toml")),
            "outlook": read_toml(paths.file("catalogs", "outlook.toml")),
            "policy": read_toml(paths.file("catalogs", "policy.toml")),
            "episodes": read_toml(paths.file("catalogs", "episodes.toml")),
            "scorecards": load_scorecards(paths.file("catalogs", "scorecards.toml"))}


def compute_context(as_of: dt.date, series: dict | None = None):
    """What a section's compute step gets besides the snapshot, from the built-ins."""
    from reportgen.signals.base import Context

    catalogs = analysis_catalogs()
    return Context(as_of=as_of, levels=catalogs["thresholds"]["levels"],
                   series=series or {}, catalogs=catalogs)


@dataclass
class SampleIssue:
    """The bundled sample read and analysed once: what section tests render against."""

    config: Any
    content: Any
    snapshot: Any
    analysis: Any

    def render(self, section_ids: list[str], lang: str = "en", medium: str = "html") -> str:
        from reportgen.pipeline import render_sections

        return render_sections(self.config, self.content, self.analysis, self.snapshot, lang,
                               section_ids, medium)


@pytest.fixture(scope="session")
def sample_issue(tmp_path_factory: pytest.TempPathFactory) -> SampleIssue:
    from reportgen.pipeline import PREVIOUS_ISSUE_DAYS, analyse, load_content, what_changed
    from reportgen.sources import sample_store

    out = tmp_path_factory.mktemp("sample-output")
    config = with_overrides(load_config(SAMPLE_CONFIG), output_dir=str(out))
    content = load_content(config, list(LANGUAGES))
    store = sample_store(content.catalog)
    snapshot = store.snapshot(ISSUE_DATE)
    analysis = analyse(content, snapshot, ISSUE_DATE - dt.timedelta(days=PREVIOUS_ISSUE_DAYS))
    analysis.changes = what_changed(config, content, store, analysis, ISSUE_DATE, ISSUE_DATE)
    store.close()
    return SampleIssue(config, content, snapshot, analysis)


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real command line, in a subprocess, as a user would run it."""
    return subprocess.run([sys.executable, "-m", "reportgen", *args], cwd=cwd or TESTS_DIR,
                          capture_output=True, text=True, timeout=600)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: run `make setup` (scripts/setup-system.sh installs it)")
    return path
