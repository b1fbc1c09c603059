"""Fingerprints: short hashes of what a build reads, cheap enough to take before any work.

An unchanged rebuild must be recognised in well under a second, before pandas, matplotlib
or WeasyPrint are even imported, so everything here uses the standard library only: the
engine's own files and library versions, the content folders (workspace and built-in),
the store (aggregates per series, read with sqlite3), the user's data files, the notes of
the issue, the earlier issue's signals.json, and the installed fonts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import sqlite3
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any

import reportgen
from reportgen.cache import Hasher
from reportgen.content import KINDS, ContentPaths, builtin_root
from reportgen.layout import BACKTEST_DIR, BACKTEST_TABLE

# Libraries whose output ends up in the files (numbers, pictures, PDF bytes).
LIBRARIES = ("pandas", "numpy", "matplotlib", "weasyprint", "pydyf", "jinja2", "babel",
             "fonttools")
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
             Path.home() / ".fonts", Path.home() / ".local/share/fonts")
CODE_SUFFIXES = (".py", ".toml", ".csv", ".json")


def _files(folder: Path, suffixes: tuple[str, ...] | None = None) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and (suffixes is None or p.suffix in suffixes))


def _tree(h: Hasher, folder: Path, suffixes: tuple[str, ...] | None = None,
          skip: Path | None = None, keep: Callable[[str], bool] | None = None) -> None:
    """Every file's relative name and bytes."""
    for p in _files(folder, suffixes):
        if skip is not None and p.is_relative_to(skip):
            continue
        rel = p.relative_to(folder).as_posix()
        if keep is None or keep(rel):
            h.add(rel, p.read_bytes())


@cache
def code() -> str:
    """reportgen's own files (so an edited engine never reuses old artefacts) and the
    versions of the libraries that shape the output (keys add `version()` beside it)."""
    h = Hasher()
    package = Path(reportgen.__file__).parent
    _tree(h, package, CODE_SUFFIXES, skip=package / "content")
    for name in LIBRARIES:
        try:
            h.add(name, importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            h.add(name, None)
    return h.hexdigest()


def version() -> str:
    """Read at call time, so a test can stand in a new release."""
    return reportgen.__version__


def content(paths: ContentPaths, kinds: Iterable[str] = KINDS,
            keep: Callable[[str, str], bool] | None = None) -> str:
    """Every content file a build may read (or those `keep(kind, relative path)` takes),
    workspace copies and built-ins, in lookup order; plus the sections packages add (by
    name and version)."""
    h = Hasher()
    for kind in kinds:
        for folder in paths.dirs(kind):
            where = "built-in" if folder.resolve() == (builtin_root() / kind).resolve() else "ws"
            _tree(h, folder, keep=lambda rel, k=kind, w=where: (
                keep is None or keep(k, rel)) and bool(h.add(k, w)))
    if "sections" in kinds:
        for ep in sorted(importlib.metadata.entry_points(group="reportgen.sections"),
                         key=lambda e: e.name):
            h.add(ep.name, ep.value, ep.dist.version if ep.dist else None)
    return h.hexdigest()


def analysis_content(kind: str, relative: str) -> bool:
    """What the analysis reads: the catalogs, and of the sections their section.toml and
    compute code (not their words, charts or translations)."""
    return kind != "sections" or relative.endswith(("/section.toml", ".py"))


@cache
def fonts() -> str:
    """The installed font files (name, size, time): a new or updated font changes how
    text is measured and drawn."""
    h = Hasher()
    for folder in FONT_DIRS:
        for p in _files(folder):
            with contextlib.suppress(OSError):
                st = p.stat()
                h.add(p.as_posix(), st.st_size, st.st_mtime_ns)
    return h.hexdigest()


# The store: everything a snapshot reads, summed up per series. Revisions and new values
# always write `fetched_at`, closed vintages change `known_until`; the sums of the values
# (plain, squared, and weighted by date) catch edits the counts would miss.
_STORE_QUERIES = (
    "SELECT key, value FROM meta ORDER BY key",
    "SELECT * FROM series ORDER BY id",
    "SELECT series_id, COUNT(*), MIN(date), MAX(date), TOTAL(value), TOTAL(value * value),"
    " TOTAL(value * julianday(date)), MAX(fetched_at), MIN(known_from), MAX(known_from),"
    " MIN(known_until), SUM(known_until = '9999-12-31'), TOTAL(julianday(known_until))"
    " FROM observations GROUP BY series_id ORDER BY series_id",
    "SELECT series_id, COUNT(*), MAX(vintage_date), TOTAL(value),"
    " TOTAL(value * julianday(date)) FROM vintage_points GROUP BY series_id"
    " ORDER BY series_id",
    "SELECT * FROM vintage_reads ORDER BY series_id, vintage_date",
    "SELECT name, source, fetched_at, sample, data FROM tables ORDER BY name",
    "SELECT company, COUNT(*), TOTAL(value), MAX(filed), MIN(filed), MAX(accn),"
    " TOTAL(julianday(period_end)) FROM filing_facts GROUP BY company ORDER BY company",
    "SELECT * FROM release_schedule ORDER BY release, day",
)


_STORES: dict[tuple, str] = {}


def store(path: Path) -> str:
    """The store's data, read-only; 'absent' when there is no store yet. Remembered while
    neither the database nor its write-ahead log changes (a build asks more than once)."""
    if not path.is_file():
        return "absent"
    stamp = tuple((p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else None
                  for p in (path, Path(f"{path}-wal")))
    memo = (str(path.resolve()), stamp)
    if memo not in _STORES:
        _STORES.clear()
        _STORES[memo] = _store(path)
    return _STORES[memo]


def _store(path: Path) -> str:
    h = Hasher()
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return f"unreadable {exc}"
    try:
        for sql in _STORE_QUERIES:
            try:
                h.add(sql, conn.execute(sql).fetchall())
            except sqlite3.OperationalError as exc:  # an older schema lacks a table
                h.add(sql, str(exc))
    except sqlite3.DatabaseError as exc:  # damaged: the build itself says so
        return f"unreadable {exc}"
    finally:
        conn.close()
    return h.hexdigest()


def user_files(paths: ContentPaths, base: Path) -> str:
    """The user's CSV files named in the indicator catalog (an offline run reads them):
    by size and modification time, so a 10-million-row file costs nothing to check."""
    h = Hasher()
    with contextlib.suppress(Exception):
        raw = tomllib.loads(paths.file("catalogs", "indicators.toml").read_text("utf-8"))
        for name in sorted(_paths_in(raw)):
            p = Path(name).expanduser()
            p = p if p.is_absolute() else base / p
            try:
                st = p.stat()
                h.add(name, st.st_size, st.st_mtime_ns)
            except OSError:
                h.add(name, None)
    return h.hexdigest()


def _paths_in(raw: Any) -> set[str]:
    if isinstance(raw, dict):
        found = {raw["path"]} if isinstance(raw.get("path"), str) else set()
        for v in raw.values():
            found |= _paths_in(v)
        return found
    if isinstance(raw, list):
        return {p for v in raw for p in _paths_in(v)}
    return set()


def notes(folder: Path, issue_date: dt.date) -> str:
    h = Hasher()
    _tree(h, folder / issue_date.isoformat())
    return h.hexdigest()


def previous_issue(output_dir: Path, issue_date: dt.date) -> str:
    """The earlier issue's signals.json, which 'what changed' compares with."""
    from reportgen.publish import previous_signals

    found = previous_signals(output_dir, issue_date)
    return Hasher().add(None if found is None else [found[0], found[1]]).hexdigest()


def history(output_dir: Path) -> str:
    """The backtest's stored readings, which the track-record section reads."""
    table = output_dir / BACKTEST_DIR / BACKTEST_TABLE
    h = Hasher()
    with contextlib.suppress(OSError):
        h.add(table.read_bytes())
    return h.hexdigest()


def config_options(config: Any) -> dict[str, Any]:
    """The options that shape the output (never secrets, workers or the cache itself)."""
    report = {k: v for k, v in asdict(config.report).items()
              if k not in ("workers", "output_dir", "cache_mb", "cache_dir")}
    data = {k: v for k, v in asdict(config.data).items()
            if k in ("source", "stale_after_days", "store")}
    data["fred_api_key"] = bool(config.data.fred_api_key)
    return {"report": report, "data": data, "paths": asdict(config.paths)}
