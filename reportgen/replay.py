"""Replay: a build whose every input is unchanged is published again from the cache.

Before any heavy import, `state_key` sums up everything a build reads: the engine (its
files, version and libraries), every content file (workspace and built-in), the options
that shape the output, the installed fonts, the data (the store's contents, or the bundled
sample), the user's data files an offline run reads, the notes of the issue, the earlier
issue's signals.json ("what changed" compares with it), the dates and the sections asked
for. A full build records its files under the key of the state it read; a later build
that finds the same key copies those files into a staging folder and publishes them like
any build, byte for byte as before, in a fraction of a second.

Only builds that would not ask a source anything are replayed (`--offline`, or the sample;
not an `--as-of` that may read FRED vintages): what a fetch would bring cannot be known
without fetching. This module imports the standard library and reportgen's light modules
only.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen import fingerprint, publish
from reportgen.cache import Cache, NoCache, key
from reportgen.config import Config


@dataclass
class BuildResult:
    issue_date: dt.date
    data_as_of: dt.date | None
    folder: Path
    files: list[Path]
    seconds: float
    sample: bool
    timings: dict[str, float] = field(default_factory=dict)
    as_of: dt.date | None = None
    fallback: str | None = None
    stale: list[str] = field(default_factory=list)
    fetch: Any = None
    # What the cache did: hits and misses by kind ("build" hit = replayed whole)
    cache: dict[str, dict[str, int]] = field(default_factory=dict)
    made: dict[str, int] = field(default_factory=dict)  # charts, pdfs drawn or laid out


@dataclass(frozen=True)
class Failures:
    """The failed series of the build a replay stands for (what the summary names)."""

    failed: dict[str, str]
    kinds: dict[str, str]


def cache_for(config: Config) -> Cache:
    """The build cache of this workspace: <output>/.cache unless configured elsewhere,
    bounded by report.cache_mb (0 switches it off)."""
    if config.report.cache_mb <= 0:
        return NoCache()
    root = (config.path(config.report.cache_dir) if config.report.cache_dir
            else config.output_dir / ".cache")
    return Cache(root, config.report.cache_mb * 1024 * 1024)


def replayable(config: Config, fetch: bool, as_of: dt.date | None) -> bool:
    """Nothing would be fetched: offline (or the sample), and no FRED vintage to read."""
    if fetch and config.data.source != "sample":
        return False
    return as_of is None or not config.data.fred_api_key or config.data.source == "sample"


def data_state(config: Config) -> str:
    if config.data.source == "sample":
        return "sample"
    return fingerprint.store(config.store_path)


def analysis_key(config: Config, issue_date: dt.date, as_of: dt.date, data: str) -> str:
    """What the analysis reads: the data, the sections' definitions and compute code, the
    catalogs, the dates and the earlier issue's signals (not templates or translations)."""
    return key("analysis", fingerprint.code(), fingerprint.version(),
               fingerprint.content(config.content, ("sections", "catalogs"),
                                   fingerprint.analysis_content), data,
               fingerprint.config_options(config)["data"], issue_date, as_of,
               fingerprint.previous_issue(config.output_dir, issue_date),
               fingerprint.history(config.output_dir))


def duties(config: Config) -> list[str]:
    """What the workers of this build will do: draw charts, and lay out PDFs if asked."""
    return ["charts", *(["pdf"] if "pdf" in config.report.formats else [])]


def warm_start(config: Config, issue_date: dt.date, as_of: dt.date | None,
               sections: tuple[str, ...] | None) -> bool:
    """Whether to start the workers' fork server at once (its imports then overlap the
    build's own work): yes when the analysis must be computed (charts will surely be
    drawn) or when PDFs or a chart pack are asked (the likeliest to be new). An HTML-only
    build of data already analysed finds its charts in the cache: its workers, if any,
    start on demand."""
    if config.report.workers <= 1:
        return False
    if sections or "pdf" in config.report.formats:
        return True
    k = analysis_key(config, issue_date, as_of or issue_date, data_state(config))
    return not cache_for(config).has("analysis", k)


def state_base(config: Config, issue_date: dt.date, as_of: dt.date | None, strict: bool,
               sections: tuple[str, ...] | None) -> str:
    """Everything the build of `issue_date` reads except the data (which a build's own
    gathering may change: see `state_key`)."""
    paths = config.content
    return key("build", fingerprint.code(), fingerprint.version(), fingerprint.fonts(),
               fingerprint.content(paths), fingerprint.config_options(config),
               fingerprint.user_files(paths, config.base_dir),
               fingerprint.notes(config.notes_dir, issue_date),
               fingerprint.previous_issue(config.output_dir, issue_date),
               fingerprint.history(config.output_dir), issue_date, as_of, strict, sections)


def state_key(base: str, data: str) -> str:
    """The key of a build: `base` and the data's state as the build read it (after an
    offline run read the user's files, which records only when it did)."""
    return key(base, data)


def replay(config: Config, issue_date: dt.date, as_of: dt.date | None, strict: bool,
           sections: tuple[str, ...] | None, fetch: bool) -> BuildResult | None:
    """The earlier build of exactly this state, published again; None if there is none."""
    if not replayable(config, fetch, as_of):
        return None
    t0 = time.perf_counter()
    store = cache_for(config)
    base = state_base(config, issue_date, as_of, strict, sections)
    entry = store.get("build", state_key(base, data_state(config)))
    if entry is None:
        return None
    meta = entry.meta
    folder = config.output_dir / meta["folder"]
    staging = publish.staging_dir(config.output_dir, issue_date)
    try:
        entry.restore(staging)
        files = publish.publish(staging, folder)
    except BaseException:
        publish.discard(staging)
        raise
    return BuildResult(
        issue_date, _date(meta.get("data_as_of")), folder, files,
        time.perf_counter() - t0, bool(meta.get("sample")), {"replay": time.perf_counter() - t0},
        _date(meta.get("as_of")), meta.get("fallback"), list(meta.get("stale", [])),
        Failures(meta.get("failed", {}), meta.get("kinds", {})),
        {"hits": {"build": 1}, "misses": {}}, {})


def record(config: Config, k: str, folder: Path, files: dict[str, Path],
           result: BuildResult) -> None:
    """Keep a finished build's files (by their names in `folder`) under the key of the
    state it read."""
    failed = getattr(result.fetch, "failed", {}) or {}
    kinds = getattr(result.fetch, "kinds", {}) or {}
    cache_for(config).put("build", k, files=files, meta={
        "folder": folder.relative_to(config.output_dir).as_posix(),
        "data_as_of": result.data_as_of.isoformat() if result.data_as_of else None,
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "sample": result.sample, "fallback": result.fallback, "stale": result.stale,
        "failed": dict(failed), "kinds": dict(kinds)})


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None
