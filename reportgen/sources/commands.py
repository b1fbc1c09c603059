"""The data commands: `fetch`, `import`, `indicators` and `doctor`.

They print for people and return the exit code: 0 when all is well, 1 when a series failed
(the store keeps what it had; that includes an id the source no longer has), 2 when input
must be fixed (an id not in the catalog, a bad file, a rejected key).
"""

from __future__ import annotations

import ctypes.util
import datetime as dt
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

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


def fetch_command(config: Config, series: list[str] | None, quiet: bool) -> int:
    catalog = load_catalog(config.content)
    unknown = [s for s in series or [] if s not in catalog.indicators]
    if unknown:
        catalog.indicator(unknown[0])  # raises, naming the id and the catalog
    with open_store(config, catalog) as store:
        fetcher = Fetcher(config, catalog, store, Services.from_config(config), source_today())
        report = fetcher.run(set(series) if series else None)
    if not quiet:
        print("\n".join(_summary(report)))
    for name, message in sorted(report.failed.items()):
        print(f"reportgen: warning: {name} failed ({report.kinds.get(name, 'failed')}): "
              f"{message}")
    for message in report.errors.values():
        print(f"reportgen: error: {message}")
    return 2 if report.errors else 1 if report.failed else 0


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
                print(f"reportgen: error: {exc}")
                status = 2
                continue
            print(f"{path}: {sid}, {len(values)} observations "
                  f"({values.index[0].date()} to {values.index[-1].date()}), "
                  f"{written} rows written")
    return status


def indicators_command(config: Config) -> int:
    catalog = load_catalog(config.content)
    today = source_today()
    header = f"{'series':<19}{'source':<11}{'frequency':<11}{'last obs':<12}{'fetched':<18}status"
    print(header)
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
                print(f"{sid:<19}{ind.source:<11}{ind.frequency:<11}{'-':<12}{'-':<18}{note}")
                continue
            fetched = state.last_success.strftime("%Y-%m-%d %H:%M") if state.last_success \
                else "-"
            age = (today - state.last_success.date()).days if state.last_success else None
            stale = state.last_error or age is None or age > config.data.stale_after_days
            note = ("STALE: " + (f"{state.failure or 'failed'}: {state.last_error[:70]}"
                                 if state.last_error else f"last fetched {age} days ago")
                    ) if stale else "ok"
            if state.sample:
                note = "sample"
            print(f"{sid:<19}{state.source:<11}{ind.frequency:<11}"
                  f"{state.last_date.isoformat() if state.last_date else '-':<12}"
                  f"{fetched:<18}{note}")
        filings = store.filings(today)
        for company in catalog.companies.values():
            sid = filer_id(company.id)
            state = store.state(sid)
            last = filings[filings["company"] == company.id]["end"].max()
            if state is None or state.last_success is None:
                note = "never fetched" if state is None else f"STALE: {state.last_error[:70]}"
                print(f"{sid:<19}{'sec':<11}{'quarterly':<11}{'-':<12}{'-':<18}{note}")
                continue
            age = (today - state.last_success.date()).days
            stale = state.last_error or age > config.data.stale_after_days
            note = ("STALE: " + (state.last_error[:70] if state.last_error
                                 else f"last fetched {age} days ago")) if stale else "ok"
            if state.sample:
                note = "sample"
            shown = "-" if pd.isna(last) else last.date().isoformat()
            print(f"{sid:<19}{state.source:<11}{'quarterly':<11}{shown:<12}"
                  f"{state.last_success.strftime('%Y-%m-%d %H:%M'):<18}{note}")
    return 0


def _check(ok: bool, what: str, detail: str) -> bool:
    print(f"{'ok  ' if ok else 'FAIL'}  {what}: {detail}")
    return ok


def _reach(fn: object, what: str, redact: Callable[[str], str]) -> bool:
    try:
        fn()  # type: ignore[operator]
    except HttpStatusError as exc:
        return _check(False, what, f"HTTP {exc.status}")
    except ReportgenError as exc:
        return _check(False, what, redact(str(exc)))
    return _check(True, what, "answers")


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


def doctor_command(config: Config) -> int:
    """Every check prints one line; the exit code says whether all passed."""
    results = []
    catalog = load_catalog(config.content)
    try:
        services = Services.from_config(config)
    except ReportgenError as exc:
        _check(False, "configuration", str(exc))
        return 1
    results.append(_check(True, "configuration", str(config.source_file or "defaults")))
    results.append(_check(True, "content", _content_origin(config)))
    shown = services.redact
    if services.fred is not None:
        results.append(_check(True, "FRED API key", "present (32 characters, not shown)"))
        client = services.fred
        results.append(_reach(lambda: client.get_series_info("GDP"),
                              f"FRED API {shown(services.fred_api_url)}", shown))
    else:
        _check(True, "FRED API key", "none: FRED is read from the keyless CSV download, "
                                     "without vintages")
        http = services.fred_http
        results.append(_reach(lambda: http.get(http.url(services.fred_csv_url, {
            "id": "DGS10", "cosd": (source_today() - dt.timedelta(days=10)).isoformat()}),
            "DGS10"), f"FRED CSV {shown(services.fred_csv_url)}", shown))
    nyfed = services.nyfed_http
    results.append(_reach(lambda: nyfed.get(
        f"{services.nyfed_url.rstrip('/')}/api/rates/secured/sofr/last/1.json", "SOFR"),
        f"New York Fed {shown(services.nyfed_url)}", shown))
    sec = services.sec_http
    if sec is None:
        print(f"skip  SEC EDGAR: {SEC_SKIPPED}")
    elif catalog.companies:
        first = next(iter(catalog.companies.values()))
        results.append(_reach(lambda: sec.get(edgar.concept_url(
            services.sec_url, first.cik, "NetCashProvidedByUsedInOperatingActivities"),
            first.id), f"SEC EDGAR {shown(services.sec_url)} (User-Agent {sec.user_agent!r})",
            shown))
    fc = shutil.which("fc-list")
    families = subprocess.run([fc, ":", "family"], capture_output=True, text=True,
                              check=False).stdout if fc else ""
    for font in FONTS:
        results.append(_check(font in families, f"font {font}",
                              "installed" if font in families else "missing: run make setup"))
    subset = ctypes.util.find_library("harfbuzz-subset") is not None
    results.append(_check(subset, "libharfbuzz-subset", "installed" if subset else
                          "missing: Chinese PDFs take ~15 s longer; run make setup"))
    try:
        with open_store(config, catalog) as store:
            health = store.health()
            count = len(store.series_ids())
            last = store.log_tail(1)
            failures = store.failures()
        size = config.store_path.stat().st_size / 1e6 if config.store_path.exists() else 0
        when = f", last fetch {last[0][0]}" if last else ", never fetched"
        results.append(_check(health == "ok", f"store {config.store_path}",
                              f"{health}, {count} series, {size:.1f} MB{when}"))
    except ReportgenError as exc:
        results.append(_check(False, f"store {config.store_path}", str(exc)))
        failures = []
    for sid, kind, _message in failures:
        if kind == "retired":
            results.append(_check(False, f"series {sid}", "the source says it does not exist "
                                  "(retired, or an unknown id); fix or remove the entry at "
                                  f"{catalog.where(sid)}"))
    others = [f"{sid} ({kind or 'failed'})" for sid, kind, _ in failures if kind != "retired"]
    if others:
        print(f"note  last fetch failed, shown as stale: {', '.join(others)}; "
              "`reportgen indicators` says why")
    return 0 if all(results) else 1
