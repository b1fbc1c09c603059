"""Sources: fill the store, then hand the pipeline the store to read from.

`data.source = "live"` keeps an on-disk store up to date from FRED (API or keyless CSV),
the New York Fed, SEC EDGAR and the user's CSV files (see `fetch`). `"sample"` loads the bundled
synthetic sample into a store in memory. A live run that finds no network and an empty
store falls back to the sample, and says so.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from reportgen.catalog import Catalog
from reportgen.config import Config
from reportgen.errors import CatalogError, ConfigError, PartialDataError
from reportgen.store import FetchRecord, Store, filer_id

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
SAMPLE_STAMP = dt.datetime(2026, 11, 20, 22, 0, tzinfo=dt.UTC)
FALLBACK_NOTE = ("no source could be reached and the store is empty: this issue is built "
                 "from the bundled SAMPLE data, not real observations")


def sample_store(catalog: Catalog) -> Store:
    """Bundled synthetic sample: every catalog series, deterministic, flagged as sample."""
    from reportgen.sources.sample import generate_sample, sample_filings, sample_tables

    store = Store(catalog)
    for sid, values in generate_sample().items():
        if sid in catalog.indicators:
            record = FetchRecord(sid, "sample", SAMPLE_STAMP, SAMPLE_STAMP, "ok")
            store.merge_latest(sid, "sample", values.dropna(), SAMPLE_STAMP.date(), record,
                               sample=True)
    for name, table in sample_tables().items():
        store.put_table(name, table, "sample", SAMPLE_STAMP, sample=True)
    for company, facts in sample_filings(catalog).items():
        record = FetchRecord(filer_id(company), "sample", SAMPLE_STAMP, SAMPLE_STAMP, "ok")
        store.merge_facts(company, facts, record, catalog.companies[company].title,
                          sample=True, source="sample")
    return store


@dataclass
class Gathered:
    """The store to read, what the fetch did, and why the sample was used if it was."""

    store: Store
    report: object | None = None
    fallback: str | None = None


def open_store(config: Config, catalog: Catalog) -> Store:
    return Store(catalog, config.store_path, timeout=config.data.store_timeout)


def _log_failures(failed: dict[str, str], kinds: dict[str, str]) -> None:
    """One warning line per distinct problem: a source that is down is one line, not one
    per series."""
    by_problem: dict[tuple[str, str], list[str]] = {}
    for sid, message in sorted(failed.items()):
        by_problem.setdefault((kinds.get(sid, "failed"), message), []).append(sid)
    for (kind, message), ids in by_problem.items():
        names = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
        log.warning("%s failed (%s), shown as stale: %s", names, kind, message)


def gather(config: Config, catalog: Catalog, as_of: dt.date, fetch: bool = True,
           progress: Progress = lambda _: None, strict: bool = False) -> Gathered:
    """The store for a build: fetched up to date first unless `fetch` is off (then only
    the user's own files are read).

    Bad input found while fetching (a malformed user file, a catalog entry without what its
    source needs, a rejected key) stops the build with the first problem. A series that
    fails for any other reason (gone from the source, an implausible or malformed answer,
    a source that cannot be reached) does not: the build goes on from the store, the series
    is marked failed and stale, and each failure is logged on one line. With `strict`, any
    failed series stops the build before anything is written (PartialDataError).
    """
    if config.data.source == "sample":
        return Gathered(sample_store(catalog))
    if config.data.source != "live":
        raise ConfigError(f"data.source: unknown source {config.data.source!r}; use live or "
                          "sample")
    from reportgen.sources.fetch import Fetcher, Services, source_today
    from reportgen.sources.validate import bounds

    for ind in catalog.indicators.values():
        bounds(ind)  # a malformed `bounds` is a catalog error, found before any fetch
    store = open_store(config, catalog)
    report = None
    try:
        services = Services.from_config(config)
        fetcher = Fetcher(config, catalog, store, services, source_today())
        progress("Fetching data" if fetch else "Reading your data files")
        report = fetcher.run(progress=progress, local_only=not fetch)
        if as_of < fetcher.today and services.fred is not None:
            report = fetcher.read_vintages(as_of, progress)
        if report is not None and report.errors:
            message = next(iter(report.errors.values()))
            more = len(report.errors) - 1
            raise CatalogError(message + (f" (and {more} more problem(s); `reportgen fetch` "
                                          "lists them)" if more else ""))
        for name, why in (report.skipped.items() if report is not None else ()):
            log.warning("%s skipped: %s", name, why)
        if report is not None and report.failed:
            _log_failures(report.failed, report.kinds)
            if strict:
                names = ", ".join(sorted(report.failed)[:8])
                more = len(report.failed) - min(8, len(report.failed))
                raise PartialDataError(
                    f"{len(report.failed)} series failed ({names}{' ...' if more else ''}); "
                    "--strict: nothing was written. First: "
                    f"{next(iter(sorted(report.failed.items())))[1]}")
    except BaseException:
        store.close()
        raise
    if store.is_empty():
        store.close()
        log.warning(FALLBACK_NOTE)
        return Gathered(sample_store(catalog), report, FALLBACK_NOTE)
    return Gathered(store, report)
