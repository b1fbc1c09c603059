"""The data commands: `fetch`, `import`, `indicators` and `doctor`.

They print for people (or, with `as_json`, one JSON document on stdout for scripts) and
return the exit code: 0 when all is well, 1 when a series failed (the store keeps what it
had; that includes an id the source no longer has), 2 when input must be fixed (an id not
in the catalog, a bad file, a rejected key). Problems go to stderr, always.
"""

from __future__ import annotations

import ctypes.util
import datetime as dt
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reportgen.catalog import load_catalog
from reportgen.config import Config
from reportgen.content import source_checkout
from reportgen.errors import ConfigError, ReportgenError
from reportgen.sources import edgar, open_store
from reportgen.sources.fetch import SEC_SKIPPED, Fetcher, FetchReport, Services, source_today
from reportgen.sources.net import HttpStatusError
from reportgen.sources.usercsv import import_file
from reportgen.store import FetchRecord, filer_id

FONTS = ("Noto Sans CJK TC", "Noto Sans CJK SC", "Inter")


def _summary(report: FetchReport) -> list[str]:
    rows = sum(report.written.values())
    lines = [f"fetched in {report.seconds:.1f} s: {len(report.written)} updated ({rows} rows "
             f"written), {len(report.unchanged)} unchanged, {len(report.failed)} failed, "
             f"{len(report.absent)} user files absent; requests: "
             + ", ".join(f"{k} {v}" for k, v in report.requests.items())]
    lines += [f"{name} skipped: {why}" for name, why in report.skipped.items()]
    return lines


def fetch_command(config: Config, series: list[str] | None, quiet: bool,
                  as_json: bool = False) -> int:
    catalog = load_catalog(config.content)
    unknown = [s for s in series or [] if s not in catalog.indicators]
    if unknown:
        catalog.indicator(unknown[0])  # raises, naming the id and the catalog
    with open_store(config, catalog) as store:
        fetcher = Fetcher(config, catalog, store, Services.from_config(config), source_today())
        report = fetcher.run(set(series) if series else None)
    if as_json:
        print_json({"seconds": round(report.seconds, 3), "written": report.written,
                    "unchanged": sorted(report.unchanged),
                    "failed": {sid: {"kind": report.kinds.get(sid, "failed"), "message": msg}
                               for sid, msg in sorted(report.failed.items())},
                    "errors": report.errors, "absent": sorted(report.absent),
                    "skipped": report.skipped, "requests": report.requests})
    elif not quiet:
        print("\n".join(_summary(report)))
    for name, message in sorted(report.failed.items()):
        warn(f"{name} failed ({report.kinds.get(name, 'failed')}): {message}")
    for message in report.errors.values():
        print(f"reportgen: error: {message}", file=sys.stderr)
    return 2 if report.errors else 1 if report.failed else 0


def print_json(payload: Any) -> None:
    """One JSON document on stdout: what --json promises scripts."""
    print(json.dumps(payload, ensure_ascii=False, indent=1, default=str))


def warn(message: str) -> None:
    print(f"reportgen: warning: {message}", file=sys.stderr)


def import_command(config: Config, files: list[Path], series: str | None = None) -> int:
    """Each file is validated whole before anything is written; one bad file fails alone."""
    catalog = load_catalog(config.content)
    if series is not None:
        catalog.indicator(series)  # raises, naming the id and the catalog
        if len(files) != 1:
            raise ConfigError(f"--series {series}: give exactly one file to load under it "
                              f"(got {len(files)})")
    today = source_today()
    status = 0
    with open_store(config, catalog) as store, store.writing():
        for path in files:
            started = dt.datetime.now(dt.UTC)
            try:
                if not path.is_file():
                    raise ReportgenError(f"{path}: no such file")
                sid, values = import_file(path, catalog, today, series)
                record = FetchRecord(sid, "import", started, dt.datetime.now(dt.UTC), "ok",
                                     message=f"imported from {path.name}")
                written = store.merge_latest(sid, "import", values, today, record,
                                             window_start=values.index[0].date())
            except ReportgenError as exc:
                print(f"reportgen: error: {exc}", file=sys.stderr)
                status = 2
                continue
            print(f"{path}: {sid}, {len(values)} observations "
                  f"({values.index[0].date()} to {values.index[-1].date()}), "
                  f"{written} rows written")
    return status


INDICATOR_COLUMNS = (("series", 19), ("source", 11), ("frequency", 11), ("last_obs", 12),
                     ("fetched", 18), ("status", 0))


def indicators_command(config: Config, as_json: bool = False) -> int:
    rows = indicator_rows(config)
    if as_json:
        print_json(rows)
        return 0
    print("".join(f"{name.replace('_', ' '):<{width}}" if width else name.replace("_", " ")
                  for name, width in INDICATOR_COLUMNS))
    for row in rows:
        print("".join(f"{row[name] or '-':<{width}}" if width else row[name]
                      for name, width in INDICATOR_COLUMNS))
    return 0


def indicator_rows(config: Config) -> list[dict[str, Any]]:
    """Every catalog series and SEC filer: last observation, last fetch, and its status
    (ok, sample, STALE..., never fetched, or why a user file is not loaded)."""
    catalog = load_catalog(config.content)
    today = source_today()
    rows = []

    def row(sid: str, source: str, frequency: str, last: str | None, fetched: str | None,
            status: str, ok: bool) -> None:
        rows.append({"series": sid, "source": source, "frequency": frequency,
                     "last_obs": last, "fetched": fetched, "status": status, "ok": ok})

    with open_store(config, catalog) as store:
        for sid, ind in catalog.indicators.items():
            state = store.state(sid)
            if state is None or not state.rows:
                note = "never fetched"
                if state is not None and state.last_error:
                    note = f"FAILED ({state.failure or 'failed'}): {state.last_error[:70]}"
                if ind.source == "csv":
                    present = ind.path and config.path(ind.path).is_file()
                    note = "file present, not loaded yet" if present else f"no file {ind.path}"
                row(sid, ind.source, ind.frequency, None, None, note, False)
                continue
            fetched = state.last_success.strftime("%Y-%m-%d %H:%M") if state.last_success \
                else None
            age = (today - state.last_success.date()).days if state.last_success else None
            stale = state.last_error or age is None or age > config.data.stale_after_days
            note = ("STALE: " + (f"{state.failure or 'failed'}: {state.last_error[:70]}"
                                 if state.last_error else f"last fetched {age} days ago")
                    ) if stale else "ok"
            if state.sample:
                note = "sample"
            row(sid, state.source, ind.frequency,
                state.last_date.isoformat() if state.last_date else None, fetched, note,
                not stale)
        filings = store.filings(today)
        for company in catalog.companies.values():
            sid = filer_id(company.id)
            state = store.state(sid)
            last = filings[filings["company"] == company.id]["end"].max()
            if state is None or state.last_success is None:
                note = "never fetched" if state is None else f"STALE: {state.last_error[:70]}"
                row(sid, "sec", "quarterly", None, None, note, False)
                continue
            age = (today - state.last_success.date()).days
            stale = state.last_error or age > config.data.stale_after_days
            note = ("STALE: " + (state.last_error[:70] if state.last_error
                                 else f"last fetched {age} days ago")) if stale else "ok"
            if state.sample:
                note = "sample"
            row(sid, state.source, "quarterly", None if pd.isna(last) else
                last.date().isoformat(), state.last_success.strftime("%Y-%m-%d %H:%M"), note,
                not stale)
    return rows


@dataclass
class Checks:
    """doctor's checks as they run: printed one a line, or kept for --json."""

    as_json: bool = False
    done: list[dict[str, Any]] = field(default_factory=list)

    def check(self, ok: bool | None, what: str, detail: str) -> bool:
        """ok None: a note or a skipped check, which passes."""
        self.done.append({"check": what, "ok": ok, "detail": detail})
        if not self.as_json:
            mark = {True: "ok  ", False: "FAIL", None: "note"}[ok]
            print(f"{mark}  {what}: {detail}")
        return ok is not False

    def reach(self, fn: object, what: str, redact: Callable[[str], str]) -> bool:
        try:
            fn()  # type: ignore[operator]
        except HttpStatusError as exc:
            return self.check(False, what, f"HTTP {exc.status}")
        except ReportgenError as exc:
            return self.check(False, what, redact(str(exc)))
        return self.check(True, what, "answers")


def _content_origin(config: Config) -> str:
    """Where templates, charts, catalogs and locales come from, and what the workspace
    overrides."""
    paths = config.content
    where = ("the source checkout" if source_checkout() else "the installed package")
    overrides = paths.overrides()
    text = f"built-in from {where} ({paths.builtin})"
    if overrides:
        text += f"; {len(overrides)} workspace override(s): " + ", ".join(overrides[:6])
        text += " ..." if len(overrides) > 6 else ""
    return text


def doctor_command(config: Config, as_json: bool = False) -> int:
    """Every check prints one line (or, with `as_json`, one JSON document lists them); the
    exit code says whether all passed."""
    checks = Checks(as_json)
    results = [run_checks(config, checks)]
    results += [c["ok"] is not False for c in checks.done]
    if as_json:
        print_json({"ok": all(results), "checks": checks.done})
    return 0 if all(results) else 1


def run_checks(config: Config, checks: Checks) -> bool:
    check, reach = checks.check, checks.reach
    catalog = load_catalog(config.content)
    try:
        services = Services.from_config(config)
    except ReportgenError as exc:
        return check(False, "configuration", str(exc))
    check(True, "configuration", str(config.source_file or "defaults"))
    check(True, "content", _content_origin(config))
    shown = services.redact
    if services.fred is not None:
        check(True, "FRED API key", "present (32 characters, not shown)")
        client = services.fred
        reach(lambda: client.get_series_info("GDP"), f"FRED API {shown(services.fred_api_url)}",
              shown)
    else:
        check(True, "FRED API key", "none: FRED is read from the keyless CSV download, "
                                    "without vintages")
        http = services.fred_http
        reach(lambda: http.get(http.url(services.fred_csv_url, {
            "id": "DGS10", "cosd": (source_today() - dt.timedelta(days=10)).isoformat()}),
            "DGS10"), f"FRED CSV {shown(services.fred_csv_url)}", shown)
    nyfed = services.nyfed_http
    reach(lambda: nyfed.get(
        f"{services.nyfed_url.rstrip('/')}/api/rates/secured/sofr/last/1.json", "SOFR"),
        f"New York Fed {shown(services.nyfed_url)}", shown)
    sec = services.sec_http
    if sec is None:
        checks.done.append({"check": "SEC EDGAR", "ok": None, "detail": SEC_SKIPPED})
        if not checks.as_json:
            print(f"skip  SEC EDGAR: {SEC_SKIPPED}")
    elif catalog.companies:
        first = next(iter(catalog.companies.values()))
        reach(lambda: sec.get(edgar.concept_url(
            services.sec_url, first.cik, "NetCashProvidedByUsedInOperatingActivities"),
            first.id), f"SEC EDGAR {shown(services.sec_url)} (User-Agent {sec.user_agent!r})",
            shown)
    fc = shutil.which("fc-list")
    families = subprocess.run([fc, ":", "family"], capture_output=True, text=True,
                              check=False).stdout if fc else ""
    for font in FONTS:
        check(font in families, f"font {font}",
              "installed" if font in families else "missing: run make setup")
    subset = ctypes.util.find_library("harfbuzz-subset") is not None
    check(subset, "libharfbuzz-subset", "installed" if subset else
          "missing: Chinese PDFs take ~15 s longer; run make setup")
    try:
        with open_store(config, catalog) as store:
            health = store.health()
            count = len(store.series_ids())
            last = store.log_tail(1)
            failures = store.failures()
        size = config.store_path.stat().st_size / 1e6 if config.store_path.exists() else 0
        when = f", last fetch {last[0][0]}" if last else ", never fetched"
        check(health == "ok", f"store {config.store_path}",
              f"{health}, {count} series, {size:.1f} MB{when}")
    except ReportgenError as exc:
        check(False, f"store {config.store_path}", str(exc))
        failures = []
    for sid, kind, _message in failures:
        if kind == "retired":
            check(False, f"series {sid}", "the source says it does not exist (retired, or an "
                  f"unknown id); fix or remove the entry at {catalog.where(sid)}")
    others = [f"{sid} ({kind or 'failed'})" for sid, kind, _ in failures if kind != "retired"]
    if others:
        check(None, "last fetch failed, shown as stale", f"{', '.join(others)}; "
              "`reportgen indicators` says why")
    return True
