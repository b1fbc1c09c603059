"""The store: every observation the report may use, with when it was known, read as of a date.

An embedded SQLite database (standard library, one file, WAL journal) holds observations
with their real-time period, series metadata, user tables, facts from SEC filings and a
fetch log. Each value is kept with `known_from` and `known_until`, the ALFRED idea of a
vintage:

- FRED with an API key reports real-time periods: the first print and every revision of an
  observation are separate rows, so a read "as known on D" is exact.
- Sources without vintages (fredgraph CSV, New York Fed, user CSV, imports, the sample) give
  only today's values. A value's first appearance is recorded as known from its actual
  release date where the release calendar has it (reportgen.releases: the bundled table of
  key releases, or FRED's release calendar with a key); otherwise it has no known_from and
  counts as known from its period end plus the usual publication lag (from the indicator
  catalog). A period the calendar lists as never published is never shown. When a later
  fetch sees a value revised, the old row is closed and the new one starts that day, so
  the store builds its own vintages from then on.
- Facts from SEC filings (`filing_facts`) are kept as filed, each with its filing date. A
  read as of D sees the facts filed by D, and for each period the latest of them: a
  restatement, or an amended 10-K/A, is a new vintage from the day it was filed.

Every write of one series is one transaction: a fetch that dies halfway (network error,
kill -9, full disk) leaves that series as it was. An answer that lacks observations the
store holds inside the span it covers is refused as truncated rather than taken as their
withdrawal (one odd withdrawn observation in a hundred is accepted). A failed fetch is
recorded on the series (`last_error`, and `failure`: retired, implausible, truncated,
malformed, unreachable or failed) so the report and `doctor` can say what went wrong. A
damaged file is reported as one line (StoreDamagedError), never a traceback, and a stored
value outside its series' plausible bounds is left out of every read.

Writers also hold a lock file beside the database, so two processes never interleave their
fetches and the one that waits can be told who holds it; readers are never blocked (WAL).
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen.catalog import Catalog, Company, Concept, Indicator
from reportgen.errors import SourceError, StoreDamagedError, TruncatedAnswerError
from reportgen.locking import file_lock
from reportgen.releases import (
    NEVER,
    ReleaseCalendar,
    known_by,
    release_calendar_dates,
    stale_by_age,
)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # 2: filing_facts, series.failure; 3: release_schedule
WITHDRAWN_SHARE = 0.01  # more observations missing from an answer than this: truncated
OPEN_END = "9999-12-31"
UNKNOWN = ""  # known_from of a value whose publication date is estimated, not recorded
VINTAGE_SOURCES = ("fred",)  # sources that report real-time periods

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series (
    id TEXT PRIMARY KEY,                -- a catalog series id, or SEC:<company> for its facts
    source TEXT NOT NULL,               -- fred | fredgraph | nyfed | sec | csv | import | sample
    title TEXT NOT NULL DEFAULT '',
    units TEXT NOT NULL DEFAULT '',
    frequency TEXT NOT NULL DEFAULT '',
    seasonal_adjustment TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    source_updated TEXT NOT NULL DEFAULT '',  -- the source's own last-updated stamp
    vintages_from TEXT,                 -- first day from which real-time periods are exact
    sample INTEGER NOT NULL DEFAULT 0,
    last_success TEXT,                  -- UTC ISO time of the last good fetch or load
    last_attempt TEXT,
    last_error TEXT NOT NULL DEFAULT '', -- set when the latest attempt failed
    failure TEXT NOT NULL DEFAULT ''    -- its kind: retired | implausible | truncated | ...
);
CREATE TABLE IF NOT EXISTS observations (
    series_id TEXT NOT NULL,
    date TEXT NOT NULL,                 -- observation date (period start, as FRED dates it)
    known_from TEXT NOT NULL,           -- first day the value was known; '' = estimated
    known_until TEXT NOT NULL,          -- last day it was current; 9999-12-31 = still
    value REAL NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (series_id, date, known_from)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS observations_current ON observations (series_id, known_until);
CREATE TABLE IF NOT EXISTS vintage_points (  -- whole vintages read on demand for --as-of
    series_id TEXT NOT NULL,
    vintage_date TEXT NOT NULL,
    date TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (series_id, vintage_date, date)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vintage_reads (
    series_id TEXT NOT NULL, vintage_date TEXT NOT NULL, fetched_at TEXT NOT NULL,
    PRIMARY KEY (series_id, vintage_date)
);
CREATE TABLE IF NOT EXISTS tables (
    name TEXT PRIMARY KEY, source TEXT NOT NULL, fetched_at TEXT NOT NULL,
    sample INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS filing_facts (  -- SEC XBRL facts, each known from its filing date
    company TEXT NOT NULL,              -- the filer's catalog key (MSFT)
    tag TEXT NOT NULL,                  -- us-gaap element
    period_start TEXT NOT NULL,         -- '' for a value at an instant (balance sheet)
    period_end TEXT NOT NULL,
    accn TEXT NOT NULL,                 -- accession number of the filing
    value REAL NOT NULL,                -- U.S. dollars
    form TEXT NOT NULL,                 -- 10-K | 10-K/A | 10-Q | 10-Q/A ...
    fy INTEGER, fp TEXT NOT NULL DEFAULT '',  -- the filing's fiscal year and period
    filed TEXT NOT NULL,                -- filing date: the fact is known from this day
    frame TEXT NOT NULL DEFAULT '',
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (company, tag, period_start, period_end, accn)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS filing_facts_filed ON filing_facts (filed);
CREATE TABLE IF NOT EXISTS release_schedule (  -- FRED's schedule of the key releases ahead
    release TEXT NOT NULL,              -- a release id of catalogs/releases.toml (cpi)
    day TEXT NOT NULL,                  -- a day it is scheduled to be published
    fetched TEXT NOT NULL,              -- the day the schedule was read: known from then
    PRIMARY KEY (release, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fetch_log (
    id INTEGER PRIMARY KEY,
    series_id TEXT NOT NULL, source TEXT NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
    status TEXT NOT NULL,               -- ok | unchanged | error
    requests INTEGER NOT NULL, rows_written INTEGER NOT NULL,
    message TEXT NOT NULL DEFAULT ''
);
"""


# From schema version N to the current one (run in one transaction, with the CREATE ... IF
# NOT EXISTS statements of _SCHEMA that add the tables a version lacked).
_MIGRATIONS = {1: "ALTER TABLE series ADD COLUMN failure TEXT NOT NULL DEFAULT ''", 2: ""}


SCHEDULE_QUERY = "SELECT release, day, fetched FROM release_schedule ORDER BY release, day"


def _schedule(rows: list[tuple[str, str, str]], as_of: dt.date
              ) -> dict[str, tuple[dt.date, ...]]:
    """release_schedule's rows (SCHEDULE_QUERY) read on or before `as_of`, by release."""
    out: dict[str, list[dt.date]] = {}
    for release, day, fetched in rows:
        if fetched <= as_of.isoformat():
            out.setdefault(release, []).append(dt.date.fromisoformat(day))
    return {k: tuple(v) for k, v in out.items()}


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def _stamp(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class SeriesMeta:
    """What the source says about a series (FRED's series endpoint, or the catalog)."""

    title: str = ""
    units: str = ""
    frequency: str = ""
    seasonal_adjustment: str = ""
    notes: str = ""
    source_updated: str = ""


@dataclass(frozen=True)
class Vintage:
    """One value with its real-time period, as FRED reports it (end None: still current)."""

    date: dt.date
    value: float
    start: dt.date
    end: dt.date | None


@dataclass(frozen=True)
class Fact:
    """One XBRL fact as a filing reported it (start None: a value at an instant)."""

    tag: str
    start: dt.date | None
    end: dt.date
    value: float
    accn: str
    form: str
    filed: dt.date
    fy: int | None = None
    fp: str = ""
    frame: str = ""


def filer_id(company: str) -> str:
    """The id under which a filer's fetches are logged and its freshness is shown."""
    return f"SEC:{company}"


@dataclass(frozen=True)
class FetchRecord:
    """One series' fetch, for the log: what was asked, what came back, what was written."""

    series_id: str
    source: str
    started_at: dt.datetime
    finished_at: dt.datetime
    status: str
    requests: int = 0
    rows_written: int = 0
    message: str = ""
    failure: str = ""  # for status "error": what kind of failure (errors.*.failure)


@dataclass(frozen=True)
class SeriesState:
    """What an incremental fetch needs to know about a stored series."""

    series_id: str
    source: str
    rows: int
    last_date: dt.date | None
    last_success: dt.datetime | None
    last_attempt: dt.datetime | None
    last_error: str
    source_updated: str
    vintages_from: dt.date | None
    sample: bool
    failure: str = ""


@dataclass(frozen=True)
class Provenance:
    """Where a series came from and how fresh it is, for captions, appendix and flags.

    vintages: how the as-of read was made. "exact": real-time periods cover the date;
    "point": a whole vintage of that date was read from FRED; "estimated": real-time data
    start later, so older revisions are unknown and timing follows the release calendar;
    "none": the source keeps no vintages (latest values, timing from the release calendar).
    stale: the latest fetch failed or is too old, or the series itself has stopped
    updating (`old`: its last observation is more than two release cycles old).
    """

    source: str
    fetched_at: dt.datetime | None
    sample: bool
    last_error: str = ""
    stale: bool = False
    vintages: str = "none"
    last_date: dt.date | None = None
    old: bool = False
    failure: str = ""


def _corrupt(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    return (name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
            or "malformed" in str(exc) or "not a database" in str(exc))


def _damaged(path: object, exc: sqlite3.Error) -> StoreDamagedError:
    return StoreDamagedError(f"{path or 'store'}: the store is damaged ({exc}); move the file "
                             "away to start a new one (the next fetch refills it), or restore "
                             "it from a backup")


class _Cursor:
    """A cursor whose reads report a damaged file as StoreDamagedError."""

    def __init__(self, cursor: sqlite3.Cursor, path: object) -> None:
        self._cursor, self._path = cursor, path

    def _guard(self, fn: object, *args: object) -> object:
        try:
            return fn(*args)  # type: ignore[operator]
        except sqlite3.DatabaseError as exc:
            if _corrupt(exc):
                raise _damaged(self._path, exc) from None
            raise

    def __iter__(self) -> Iterator[tuple]:
        try:
            yield from self._cursor
        except sqlite3.DatabaseError as exc:
            if _corrupt(exc):
                raise _damaged(self._path, exc) from None
            raise

    def fetchone(self) -> tuple | None:
        return self._guard(self._cursor.fetchone)  # type: ignore[return-value]

    def fetchall(self) -> list[tuple]:
        return self._guard(self._cursor.fetchall)  # type: ignore[return-value]

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


class _Db:
    """The SQLite connection; a damaged file is one line (StoreDamagedError), not a
    DatabaseError traceback, wherever it is first noticed."""

    def __init__(self, conn: sqlite3.Connection, path: object) -> None:
        self._conn, self._path = conn, path

    def _run(self, method: str, *args: object) -> _Cursor:
        try:
            return _Cursor(getattr(self._conn, method)(*args), self._path)
        except sqlite3.DatabaseError as exc:
            if _corrupt(exc):
                raise _damaged(self._path, exc) from None
            raise

    def execute(self, sql: str, params: object = ()) -> _Cursor:
        return self._run("execute", sql, params)

    def executemany(self, sql: str, rows: object) -> _Cursor:
        return self._run("executemany", sql, rows)

    def executescript(self, script: str) -> _Cursor:
        return self._run("executescript", script)

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes

    def close(self) -> None:
        self._conn.close()


class Store:
    """The SQLite store. `path=None` keeps it in memory (the bundled sample, tests)."""

    def __init__(self, catalog: Catalog, path: Path | None = None, timeout: float = 30.0
                 ) -> None:
        self.catalog = catalog
        self.path = path
        self.timeout = timeout
        self._lock = threading.RLock()  # one connection, shared by the fetch threads
        self._pre: _Preloaded | None = None  # see preload()
        target = ":memory:"
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SourceError(f"{path}: cannot create the store's folder ({exc.strerror})"
                                  ) from None
            target = str(path)
        try:
            self.db = _Db(sqlite3.connect(target, timeout=timeout, isolation_level=None,
                                          check_same_thread=False), path)
            self._while_locked(lambda: self._setup(path is not None), timeout)
        except sqlite3.DatabaseError as exc:
            raise StoreDamagedError(f"{target}: cannot open the store ({exc}); move the file "
                                    "away to start a new one, or restore it from a backup"
                                    ) from None

    def _setup(self, on_disk: bool) -> None:
        if on_disk:
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    @staticmethod
    def _while_locked(step: Callable[[], None], timeout: float) -> None:
        """Run `step`, again while another process holds the file: switching to WAL (or
        creating the schema) in a brand-new store does not wait on SQLite's busy timeout
        when two processes open it at the same moment."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return step()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        row = None
        with contextlib.suppress(sqlite3.OperationalError):
            row = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is not None and int(row[0]) > SCHEMA_VERSION:
            raise SourceError(f"{self.path}: store schema {row[0]} is newer than this "
                              f"reportgen understands ({SCHEMA_VERSION}); upgrade reportgen")
        if row is None:
            script = _SCHEMA
        elif int(row[0]) < SCHEMA_VERSION:
            script = _SCHEMA + _MIGRATIONS[int(row[0])]
        else:
            return
        try:
            self.db.executescript(f"BEGIN IMMEDIATE; {script}; INSERT OR REPLACE INTO meta "
                                  f"VALUES ('schema', '{SCHEMA_VERSION}'); COMMIT;")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            now = self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() \
                if row is not None else None
            if now is None or int(now[0]) < SCHEMA_VERSION:  # not migrated by another process
                raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions and the writer lock ------------------------------------------------

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything in it lands, or nothing does."""
        with self._lock:
            yield from self._tx_locked()

    def _tx_locked(self) -> Iterator[sqlite3.Connection]:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise SourceError(f"{self.path}: the store stayed locked for {self.timeout:.0f} s "
                              f"({exc}); another process is writing, try again later"
                              ) from None
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):  # disk full, I/O error: nothing landed
                raise SourceError(f"{self.path or 'store'}: could not write to the store "
                                  f"({exc}); nothing of this series was changed; free disk "
                                  "space or check the file, then fetch again") from None
            raise

    def writing(self) -> contextlib.AbstractContextManager:
        """Hold the store's writer lock for a whole fetch or import."""
        if self.path is None:
            return contextlib.nullcontext()
        lock = self.path.with_name(self.path.name + ".lock")

        def busy(holder: str, waited: float) -> SourceError:
            return SourceError(f"{self.path}: the store is being written by {holder}; waited "
                               f"{waited:.0f} s (data.store_timeout), try again when it is done")

        return file_lock(lock, self.timeout, busy)

    # -- writes ------------------------------------------------------------------------

    def _touch_series(self, sid: str, source: str, meta: SeriesMeta | None, sample: bool,
                      record: FetchRecord) -> None:
        ind = self.catalog.indicators.get(sid)
        meta = meta or SeriesMeta()
        self.db.execute(
            "INSERT INTO series (id, source, title, units, frequency, seasonal_adjustment,"
            " notes, source_updated, sample) VALUES (?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT(id) DO UPDATE SET source=excluded.source, sample=excluded.sample,"
            " title=CASE WHEN excluded.title!='' THEN excluded.title ELSE title END,"
            " units=CASE WHEN excluded.units!='' THEN excluded.units ELSE units END,"
            " frequency=CASE WHEN excluded.frequency!='' THEN excluded.frequency"
            "  ELSE frequency END,"
            " seasonal_adjustment=CASE WHEN excluded.seasonal_adjustment!=''"
            "  THEN excluded.seasonal_adjustment ELSE seasonal_adjustment END,"
            " notes=CASE WHEN excluded.notes!='' THEN excluded.notes ELSE notes END,"
            " source_updated=CASE WHEN excluded.source_updated!=''"
            "  THEN excluded.source_updated ELSE source_updated END",
            (sid, source, meta.title or (ind.title if ind else ""),
             meta.units or (ind.units_label if ind else ""),
             meta.frequency or (ind.frequency if ind else ""),
             meta.seasonal_adjustment or (ind.seasonal_adjustment if ind else ""),
             meta.notes, meta.source_updated, int(sample)))
        self._log(record)

    def _log(self, record: FetchRecord) -> None:
        self.db.execute(
            "INSERT INTO fetch_log (series_id, source, started_at, finished_at, status,"
            " requests, rows_written, message) VALUES (?,?,?,?,?,?,?,?)",
            (record.series_id, record.source, _iso(record.started_at),
             _iso(record.finished_at), record.status, record.requests, record.rows_written,
             record.message))
        if record.status == "error":
            self.db.execute("UPDATE series SET last_attempt=?, last_error=?, failure=?"
                            " WHERE id=?", (_iso(record.finished_at), record.message,
                                            record.failure or "failed", record.series_id))
        else:
            self.db.execute("UPDATE series SET last_attempt=?, last_success=?, last_error='',"
                            " failure='' WHERE id=?", (_iso(record.finished_at),) * 2
                            + (record.series_id,))

    def log_only(self, record: FetchRecord) -> None:
        """A fetch that changed no data (nothing new, or it failed): the log and the
        series' fetch times only; a failure marks the series stale and failed, even one
        never stored before (so the report and `doctor` can name it)."""
        with self._tx():
            if record.status == "error" and record.series_id in self.catalog.indicators:
                ind = self.catalog.indicators[record.series_id]
                self.db.execute("INSERT OR IGNORE INTO series (id, source, title, units,"
                                " frequency, seasonal_adjustment) VALUES (?,?,?,?,?,?)",
                                (ind.id, record.source, ind.title, ind.units_label,
                                 ind.frequency, ind.seasonal_adjustment))
            self._log(record)

    def _current(self, sid: str, since: str) -> dict[str, tuple[str, float]]:
        rows = self.db.execute(
            "SELECT date, known_from, value FROM observations WHERE series_id=? AND"
            " known_until=? AND date>=?", (sid, OPEN_END, since))
        return {d: (start, v) for d, start, v in rows}

    def _revise(self, sid: str, date: str, old_start: str, new_start: str, value: float,
                end: str, stamp: str) -> None:
        """Close the current row of `date` the day before `new_start` and open the new one."""
        if old_start == new_start:  # revised twice within one day: keep the latest
            self.db.execute("UPDATE observations SET value=?, known_until=?, fetched_at=?"
                            " WHERE series_id=? AND date=? AND known_from=?",
                            (value, end, stamp, sid, date, old_start))
            return
        closed = (dt.date.fromisoformat(new_start) - dt.timedelta(days=1)).isoformat()
        self.db.execute("UPDATE observations SET known_until=? WHERE series_id=? AND date=?"
                        " AND known_from=?", (closed, sid, date, old_start))
        self.db.execute("INSERT OR REPLACE INTO observations VALUES (?,?,?,?,?,?)",
                        (sid, date, new_start, end, value, stamp))

    def merge_latest(self, sid: str, source: str, values: pd.Series, observed: dt.date,
                     record: FetchRecord, meta: SeriesMeta | None = None,
                     window_start: dt.date | None = None, sample: bool = False,
                     withdrawals: bool = False) -> int:
        """Merge today's values of a source without vintages; returns rows changed.

        `window_start` says which dates the answer covered: a stored current value inside
        the window that the answer no longer has was withdrawn and is closed, if such
        values are rare (WITHDRAWN_SHARE) or `withdrawals` says the answer is the whole
        truth (the user's own file); otherwise the answer is refused as truncated and
        nothing is written. New dates are known from their release date (release calendar;
        never later than `observed`), or get an estimated one; changed values are revisions
        seen on `observed`.
        """
        stamp = _iso(record.finished_at)
        since = window_start.isoformat() if window_start else "0000"
        incoming = dict(zip(values.index.strftime("%Y-%m-%d"),
                            values.to_numpy(dtype=float).tolist(), strict=True))
        with self._tx():
            current = self._current(sid, since)
            had_any = self.db.execute("SELECT 1 FROM observations WHERE series_id=? LIMIT 1",
                                      (sid,)).fetchone() is not None
            changed, today = 0, observed.isoformat()
            gone = sorted(d for d in current if d not in incoming and d <= max(incoming)) \
                if incoming and window_start is not None else []
            if gone and not withdrawals and len(gone) > max(1.0, WITHDRAWN_SHARE * len(current)):
                raise TruncatedAnswerError(
                    f"{sid}: the answer lacks {len(gone)} of the {len(current)} observations "
                    f"stored since {since} (from {gone[0]} to {gone[-1]}): refused as "
                    "truncated, nothing was changed; fetch again later")
            new_rows = []
            first = [d for d in incoming if d not in current
                     and (not had_any or not self._any_row(sid, d))]
            released = self._release_days(sid, first, today)
            first_seen = set(first)
            for date, value in incoming.items():
                old = current.get(date)
                if old is None:
                    start = released.get(date, UNKNOWN) if date in first_seen else today
                    new_rows.append((sid, date, start, OPEN_END, value, stamp))
                elif not _same(old[1], value):
                    self._revise(sid, date, old[0], today, value, OPEN_END, stamp)
                    changed += 1
            self.db.executemany("INSERT OR REPLACE INTO observations VALUES (?,?,?,?,?,?)",
                                new_rows)
            changed += len(new_rows)
            if gone:
                closed = (observed - dt.timedelta(days=1)).isoformat()
                for date in gone:
                    self.db.execute("UPDATE observations SET known_until=? WHERE series_id=?"
                                    " AND date=? AND known_until=?",
                                    (closed, sid, date, OPEN_END))
                changed += len(gone)
            self._touch_series(sid, source, meta, sample,
                               _with_rows(record, changed, "ok" if changed else "unchanged"))
        return changed

    def _any_row(self, sid: str, date: str) -> bool:
        return self.db.execute("SELECT 1 FROM observations WHERE series_id=? AND date=?"
                               " LIMIT 1", (sid, date)).fetchone() is not None

    def _release_days(self, sid: str, dates: list[str], cap: str,
                      fred_days: Iterable[dt.date] | None = None, before: bool = False
                      ) -> dict[str, str]:
        """Release day (ISO) of each new observation the calendar knows, at most `cap`
        (the day it was seen), or only those strictly `before` it; cancelled periods and
        unknown ones are left out (their timing is judged at read time)."""
        ind = self.catalog.indicators.get(sid)
        calendar = self.catalog.releases
        if ind is None or not dates or (not calendar.covers(sid) and fred_days is None):
            return {}
        index = pd.DatetimeIndex(pd.to_datetime(dates))
        found = calendar.published_dates(sid, index)
        if fred_days is not None:
            found = found.where(found.notna(),
                                release_calendar_dates(index, ind.frequency, fred_days))
        out = {}
        for date, day in zip(dates, found, strict=True):
            if pd.isna(day) or day >= NEVER:
                continue
            iso = day.date().isoformat()
            if before and iso >= cap:
                continue
            out[date] = min(iso, cap)
        return out

    def merge_vintages(self, sid: str, rows: Iterable[Vintage], window_start: dt.date,
                       record: FetchRecord, meta: SeriesMeta | None = None,
                       release_dates: Iterable[dt.date] | None = None) -> int:
        """Merge FRED real-time rows asked for with realtime_start = `window_start`.

        FRED clips each row's real-time period to the window asked for, so a row starting
        on `window_start` may have been known long before: on a first fetch its start is
        its release date where the release calendar knows one before the window (the
        bundled table, else `release_dates` from FRED's own release calendar), or is left
        unknown (estimated from the publication lag); later, it must match what the store
        already holds as current, or it is a revision seen on that day.
        """
        stamp = _iso(record.finished_at)
        w = window_start.isoformat()
        with self._tx():
            first = self.db.execute("SELECT vintages_from FROM series WHERE id=?",
                                    (sid,)).fetchone()
            cold = first is None or first[0] is None
            by_date: dict[str, list[Vintage]] = {}
            for r in rows:
                by_date.setdefault(r.date.isoformat(), []).append(r)
            released = self._release_days(sid, list(by_date), w, release_dates,
                                          before=True) if cold else {}
            valid = {d: (start, v) for d, start, v in self.db.execute(
                "SELECT date, known_from, value FROM observations WHERE series_id=? AND"
                " (known_from=? OR known_from<=?) AND known_until>=?", (sid, UNKNOWN, w, w))}
            changed = 0
            for date, versions in by_date.items():
                versions.sort(key=lambda r: r.start)
                for r in versions:
                    end = r.end.isoformat() if r.end else OPEN_END
                    start = r.start.isoformat()
                    if start == w:  # clipped: the value current when the window opens
                        old = valid.get(date)
                        if old is not None and _same(old[1], r.value):
                            changed += self._set_end(sid, date, old[0], end)
                            continue
                        if old is not None:
                            self._revise(sid, date, old[0], w, r.value, end, stamp)
                        else:
                            self.db.execute(
                                "INSERT OR REPLACE INTO observations VALUES (?,?,?,?,?,?)",
                                (sid, date, released.get(date, UNKNOWN) if cold else w, end,
                                 r.value, stamp))
                        changed += 1
                        continue
                    exists = self.db.execute(
                        "SELECT value, known_until FROM observations WHERE series_id=? AND"
                        " date=? AND known_from=?", (sid, date, start)).fetchone()
                    if exists is not None and _same(exists[0], r.value) and exists[1] == end:
                        continue
                    self.db.execute("INSERT OR REPLACE INTO observations VALUES (?,?,?,?,?,?)",
                                    (sid, date, start, end, r.value, stamp))
                    changed += 1
            self._touch_series(sid, "fred", meta, False,
                               _with_rows(record, changed, "ok" if changed else "unchanged"))
            if cold:
                self.db.execute("UPDATE series SET vintages_from=? WHERE id=?", (w, sid))
        return changed

    def _set_end(self, sid: str, date: str, start: str, end: str) -> int:
        cur = self.db.execute("UPDATE observations SET known_until=? WHERE series_id=? AND"
                              " date=? AND known_from=? AND known_until!=?",
                              (end, sid, date, start, end))
        return cur.rowcount

    def put_point_vintage(self, sid: str, vintage_date: dt.date, values: pd.Series,
                          record: FetchRecord) -> int:
        """A whole vintage read on demand for an as-of date older than the stored periods."""
        v = vintage_date.isoformat()
        rows = [(sid, v, d.date().isoformat(), float(x)) for d, x in values.items()]
        with self._tx():
            self.db.execute("DELETE FROM vintage_points WHERE series_id=? AND vintage_date=?",
                            (sid, v))
            self.db.executemany("INSERT INTO vintage_points VALUES (?,?,?,?)", rows)
            self.db.execute("INSERT OR REPLACE INTO vintage_reads VALUES (?,?,?)",
                            (sid, v, _iso(record.finished_at)))
            self._log(_with_rows(record, len(rows), "ok"))
        return len(rows)

    def has_point_vintage(self, sid: str, vintage_date: dt.date) -> bool:
        return self.db.execute("SELECT 1 FROM vintage_reads WHERE series_id=? AND"
                               " vintage_date=?", (sid, vintage_date.isoformat())
                               ).fetchone() is not None

    def merge_facts(self, company: str, facts: Iterable[Fact], record: FetchRecord,
                    title: str = "", sample: bool = False, source: str = "sec") -> int:
        """Add a filer's facts not stored yet; returns how many. Filings do not change
        once made, so a fact already held (same period and filing) is left as it is."""
        stamp = _iso(record.finished_at)
        rows = [(company, f.tag, f.start.isoformat() if f.start else "", f.end.isoformat(),
                 f.accn, f.value, f.form, f.fy, f.fp, f.filed.isoformat(), f.frame, stamp)
                for f in facts]
        with self._tx():
            before = self.db.total_changes
            self.db.executemany("INSERT OR IGNORE INTO filing_facts VALUES"
                                " (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            written = self.db.total_changes - before
            meta = SeriesMeta(title=title, units="USD", frequency="quarterly")
            self._touch_series(filer_id(company), source, meta, sample,
                               _with_rows(record, written, "ok" if written else "unchanged"))
        return written

    def filings(self, as_of: dt.date) -> pd.DataFrame:
        """The facts filed by `as_of`, the latest for each company, tag and period."""
        if self._pre is not None:
            return self._pre.filings(as_of)
        rows = self.db.execute(
            "SELECT company, tag, period_start, period_end, value, filed, accn, form"
            " FROM filing_facts WHERE filed<=? ORDER BY company, tag, period_start,"
            " period_end, filed, accn", (as_of.isoformat(),)).fetchall()
        return latest_facts(pd.DataFrame(rows, columns=FACT_QUERY_COLUMNS))

    def put_table(self, name: str, table: pd.DataFrame, source: str,
                  fetched_at: dt.datetime, sample: bool = False) -> None:
        data = table.to_json(orient="split", date_format="iso", index=False)
        with self._tx():
            self.db.execute("INSERT OR REPLACE INTO tables VALUES (?,?,?,?,?)",
                            (name, source, _iso(fetched_at), int(sample), data))

    def put_schedule(self, release: str, days: list[dt.date], fetched: dt.date) -> None:
        """A release's schedule as read on `fetched`: it replaces what an earlier read said
        of the days from then on (a moved date moves); the days before stay as they were
        known, so a replay of an earlier week reads the schedule of its time."""
        with self._tx():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)",
                            (f"schedule_read:{release}", fetched.isoformat()))
            self.db.execute("DELETE FROM release_schedule WHERE release=? AND day>=?",
                            (release, fetched.isoformat()))
            self.db.executemany("INSERT OR REPLACE INTO release_schedule VALUES (?,?,?)",
                                [(release, d.isoformat(), fetched.isoformat()) for d in days
                                 if d >= fetched])

    def schedule_read(self, release: str) -> dt.date | None:
        """The day a release's schedule was last read (put_schedule), if ever."""
        row = self.db.execute("SELECT value FROM meta WHERE key=?",
                              (f"schedule_read:{release}",)).fetchone()
        return dt.date.fromisoformat(row[0]) if row else None

    def schedule(self, as_of: dt.date) -> dict[str, tuple[dt.date, ...]]:
        """The key releases' scheduled days as read on or before `as_of`, by release."""
        return _schedule(self.db.execute(SCHEDULE_QUERY).fetchall(), as_of)

    # -- reads -------------------------------------------------------------------------

    def series_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT series_id FROM observations ORDER BY series_id")]

    def is_empty(self) -> bool:
        return self.db.execute("SELECT 1 FROM observations LIMIT 1").fetchone() is None

    def state(self, sid: str) -> SeriesState | None:
        with self._lock:
            return self._state(sid)

    def _state(self, sid: str) -> SeriesState | None:
        row = self.db.execute(
            "SELECT source, last_success, last_attempt, last_error, source_updated,"
            " vintages_from, sample, failure FROM series WHERE id=?", (sid,)).fetchone()
        if row is None:
            return None
        count, last = self.db.execute(
            "SELECT COUNT(*), MAX(date) FROM observations WHERE series_id=? AND known_until=?",
            (sid, OPEN_END)).fetchone()
        return SeriesState(sid, row[0], count, _day(last), _stamp(row[1]), _stamp(row[2]),
                           row[3], row[4], _day(row[5]), bool(row[6]), row[7])

    def failures(self) -> list[tuple[str, str, str]]:
        """(series id, failure kind, message) of every series whose latest fetch failed."""
        return [tuple(r) for r in self.db.execute(  # type: ignore[misc]
            "SELECT id, failure, last_error FROM series WHERE last_error!='' ORDER BY id")]

    def preload(self) -> None:
        """Read every observation once into memory, so that many snapshots (a backtest's
        hundreds of dates) are cut from arrays instead of asked of SQLite each time. The
        snapshots are the same as without it (a test holds them equal); a write after
        preloading is not seen until the next preload."""
        self._pre = _Preloaded.read(self)

    def _read_series(self, sid: str, ind: Indicator, cutoff: str, as_of: pd.Timestamp
                     ) -> tuple[pd.Series, bool]:
        if self._pre is not None:
            point_rows = self._pre.points.get((sid, cutoff))
            if point_rows is not None:
                return _series(sid, point_rows), True
            return self._pre.series(sid, ind, as_of), False
        point = self.db.execute(
            "SELECT date, value FROM vintage_points WHERE series_id=? AND vintage_date=?"
            " ORDER BY date", (sid, cutoff)).fetchall()
        if point or self.has_point_vintage(sid, as_of.date()):
            return _series(sid, [(d, v) for d, v in point]), True
        rows = self.db.execute(
            "SELECT date, known_from, value FROM observations WHERE series_id=? AND"
            " (known_from=? OR known_from<=?) AND known_until>=? ORDER BY date, known_from",
            (sid, UNKNOWN, cutoff, cutoff)).fetchall()
        if not rows:
            return _series(sid, []), False
        frame = pd.DataFrame(rows, columns=["date", "known_from", "value"])
        frame["date"] = pd.to_datetime(frame["date"])
        estimated = frame["known_from"] == UNKNOWN
        idx = pd.DatetimeIndex(frame.loc[estimated, "date"])
        frame.loc[estimated, "ok"] = known_by(idx, ind, self.catalog.releases) <= as_of
        frame.loc[~estimated, "ok"] = True
        frame = frame[frame["ok"].astype(bool)].drop_duplicates("date", keep="last")
        s = pd.Series(frame["value"].to_numpy(dtype="float64"),
                      index=pd.DatetimeIndex(frame["date"], name="date"), name=sid)
        return s, False

    def _first_prints(self, sid: str, cutoff: str, vintages_from: str | None) -> pd.Series:
        """First prints known by `cutoff`: each observation's earliest value, for those
        first published inside the recorded real-time periods (not before them: a value
        dated from its release day before the periods began may already be revised)."""
        if self._pre is not None:
            return self._pre.first_prints(sid, cutoff, vintages_from)
        rows = self.db.execute(
            "SELECT o.date, o.value, MIN(o.known_from) FROM observations o WHERE"
            " o.series_id=? AND o.known_from!='' AND o.known_from<=? AND NOT EXISTS ("
            " SELECT 1 FROM observations p WHERE p.series_id=o.series_id AND p.date=o.date"
            " AND (p.known_from='' OR p.known_from<?)) GROUP BY o.date ORDER BY o.date",
            (sid, cutoff, vintages_from or "")).fetchall()
        return _series(sid, [(d, v) for d, v, _ in rows])

    def _table_rows(self) -> list[tuple[str, str, str, int, pd.DataFrame]]:
        out = []
        for name, source, fetched, sample, data in self.db.execute(
                "SELECT name, source, fetched_at, sample, data FROM tables"):
            raw = json.loads(data)
            frame = pd.DataFrame(raw["data"], columns=raw["columns"])
            if "date" in frame:
                frame["date"] = pd.to_datetime(frame["date"])
            out.append((name, source, fetched, sample, frame))
        return out

    def _tables(self, cutoff: pd.Timestamp) -> tuple[dict[str, pd.DataFrame], dict]:
        tables, prov = {}, {}
        rows = self._pre.tables if self._pre is not None else self._table_rows()
        for name, source, fetched, sample, frame in rows:
            if "date" in frame:
                frame = frame[frame["date"] <= cutoff].reset_index(drop=True)
            tables[name] = frame
            prov[name] = Provenance(source=source, fetched_at=_stamp(fetched),
                                    sample=bool(sample))
        return tables, prov

    def _series_rows(self) -> list[tuple]:
        return self.db.execute("SELECT id, source, last_success, last_error, vintages_from,"
                               " sample, failure FROM series ORDER BY id").fetchall()

    def snapshot(self, as_of: dt.date, stale_after_days: int = 3) -> Snapshot:
        """All series and tables as known on `as_of` (see the module doc for how)."""
        cutoff_ts = pd.Timestamp(as_of)
        cutoff = as_of.isoformat()
        series, provenance, first_prints = {}, {}, {}
        rows = self._pre.meta if self._pre is not None else self._series_rows()
        for sid, source, success, error, vintages_from, sample, failure in rows:
            ind = self.catalog.indicators.get(sid)
            if ind is None:  # a filer, or imported/stored once and no longer in the catalog
                if sid.startswith("SEC:") and sid[4:] in self.catalog.companies:
                    fetched = _stamp(success)
                    stale = not sample and bool(error or fetched is None or fetched.date()
                                                < as_of - dt.timedelta(days=stale_after_days))
                    provenance[sid] = Provenance(source=source, fetched_at=fetched,
                                                 sample=bool(sample), last_error=error,
                                                 stale=stale, vintages="exact")
                continue
            s, point = self._read_series(sid, ind, cutoff, cutoff_ts)
            series[sid] = _plausible_only(s, ind)
            if source in VINTAGE_SOURCES and not point:
                first_prints[sid] = self._first_prints(sid, cutoff, vintages_from)
            fetched = _stamp(success)
            unfetched = not sample and bool(error or fetched is None or fetched.date()
                                            < as_of - dt.timedelta(days=stale_after_days))
            last = s.index[-1].date() if len(s) else None
            # the bundled sample is frozen at one date: its age says nothing of a source
            old = not sample and stale_by_age(last, ind, as_of, self.catalog.releases)
            provenance[sid] = Provenance(
                source=source, fetched_at=fetched, sample=bool(sample), last_error=error,
                stale=unfetched or old,
                vintages=_vintage_mode(source, point, vintages_from, cutoff),
                last_date=last, old=old, failure=failure)
        tables, table_prov = self._tables(cutoff_ts)
        provenance.update(table_prov)
        filings = self.filings(as_of)
        for sid, last in filings.groupby("company")["end"].max().items():
            if filer_id(str(sid)) in provenance:
                provenance[filer_id(str(sid))] = replace(provenance[filer_id(str(sid))],
                                                         last_date=last.date())
        return Snapshot(as_of=as_of, series=series, tables=tables,
                        indicators=self.catalog.indicators, provenance=provenance,
                        sample=any(p.sample for p in provenance.values()),
                        first_prints=first_prints, releases=self.catalog.releases,
                        filings=filings, companies=self.catalog.companies,
                        concepts=self.catalog.concepts,
                        schedule=_schedule(self._pre.scheduled, as_of)
                        if self._pre is not None else self.schedule(as_of))

    def health(self) -> str:
        """'ok', or what SQLite's quick check found."""
        rows = [r[0] for r in self.db.execute("PRAGMA quick_check")]
        return "ok" if rows == ["ok"] else "; ".join(rows[:3])

    def log_tail(self, limit: int = 20) -> list[tuple]:
        return self.db.execute(
            "SELECT finished_at, series_id, source, status, requests, rows_written, message"
            " FROM fetch_log ORDER BY id DESC LIMIT ?", (limit,)).fetchall()


def _plausible_only(s: pd.Series, ind: Indicator) -> pd.Series:
    """A stored value outside the series' bounds (let in by an older reportgen, or before
    the bounds were tightened) is left out of every read, so it cannot break a build."""
    from reportgen.sources.validate import bounds, plausible  # sources import the store

    lo, hi = bounds(ind)
    values = s.to_numpy()
    if bool(((values >= lo) & (values <= hi)).all()):  # the usual case, without pandas
        return s
    keep = plausible(s, ind)
    bad = s[~keep]
    log.warning("%s: %d stored value(s) outside its plausible bounds left out (first: %s = "
                "%g); check the series or its bounds in the indicator catalog", ind.id,
                len(bad), bad.index[0].date(), bad.iloc[0])
    return s[keep]


def _vintage_mode(source: str, point: bool, vintages_from: str | None, cutoff: str) -> str:
    if point:
        return "point"
    if source not in VINTAGE_SOURCES:
        return "none"
    return "exact" if vintages_from is not None and vintages_from <= cutoff else "estimated"


def _same(a: float, b: float) -> bool:
    return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _with_rows(record: FetchRecord, rows: int, status: str) -> FetchRecord:
    return FetchRecord(record.series_id, record.source, record.started_at,
                       record.finished_at, status if record.status != "error" else "error",
                       record.requests, rows, record.message)


FACT_COLUMNS = ["company", "tag", "start", "end", "value", "filed", "accn", "form"]


def latest_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """For each company, tag and period, the fact of the latest filing (a restatement or an
    amendment replaces what an earlier filing said). `filed` becomes the day the value
    became current: the first filing of the run of filings that last reported it."""
    if facts.empty:
        out = pd.DataFrame({c: pd.Series(dtype="object") for c in FACT_COLUMNS})
        for col in ("start", "end", "filed"):
            out[col] = pd.to_datetime(out[col])
        out["value"] = out["value"].astype("float64")
        return out
    df = facts.sort_values(["company", "tag", "start", "end", "filed", "accn"]).reset_index(
        drop=True)
    keys = ["company", "tag", "start", "end"]
    last = df.groupby(keys, sort=False, dropna=False)["value"].transform("last")
    differs = pd.Series(~np.isclose(df["value"].to_numpy(float), last.to_numpy(float),
                                    rtol=1e-9, atol=0.5), index=df.index).astype(int)
    # a row at or before the last filing that said something else is superseded
    superseded = differs.iloc[::-1].groupby([df[k] for k in keys], sort=False,
                                            dropna=False).cummax().sort_index().astype(bool)
    current = df[~superseded]
    since = current.groupby(keys, sort=False, dropna=False)["filed"].min()
    out = current.groupby(keys, sort=False, dropna=False).tail(1).set_index(keys)
    out["filed"] = since
    out = out.reset_index()[FACT_COLUMNS]
    out["start"] = pd.to_datetime(out["start"].replace("", None))
    out["end"] = pd.to_datetime(out["end"])
    out["filed"] = pd.to_datetime(out["filed"])
    out["value"] = out["value"].astype("float64")
    return out.reset_index(drop=True)


FACT_QUERY_COLUMNS = ["company", "tag", "start", "end", "value", "filed", "accn", "form"]
NO_DAY = np.iinfo(np.int64).min  # known_from of an estimated value, as a day number


def _days(texts: Iterable[str]) -> np.ndarray:
    """ISO dates as day numbers ('' as NO_DAY), for comparing whole arrays at once."""
    values = [NO_DAY if not t else dt.date.fromisoformat(t[:10]).toordinal() for t in texts]
    return np.asarray(values, dtype=np.int64)


@dataclass
class _Preloaded:
    """Every observation of the store in arrays, by series; see Store.preload."""

    rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.DatetimeIndex]]
    points: dict[tuple[str, str], list[tuple[str, float]]]  # whole vintages read for --as-of
    meta: list[tuple]  # the series table's rows, as snapshot() asks for them
    tables: list[tuple[str, str, str, int, pd.DataFrame]]
    facts: pd.DataFrame
    releases: Any
    known: dict[str, np.ndarray] = field(default_factory=dict)  # estimated publication days
    filed_by: dict[str, pd.DataFrame] = field(default_factory=dict)  # last filing day -> facts
    filed_days: list[str] = field(default_factory=list)  # sorted: ISO dates sort as days
    scheduled: list[tuple[str, str, str]] = field(default_factory=list)  # release_schedule

    @classmethod
    def read(cls, store: Store) -> _Preloaded:
        raw = store.db.execute("SELECT series_id, date, known_from, known_until, value FROM"
                               " observations ORDER BY series_id, date, known_from").fetchall()
        rows = {}
        frame = pd.DataFrame(raw, columns=["sid", "date", "kf", "ku", "value"])
        for sid, group in frame.groupby("sid", sort=False):
            dates = pd.DatetimeIndex(pd.to_datetime(group["date"].to_numpy()), name="date")
            rows[str(sid)] = (_days(group["date"]), _days(group["kf"]), _days(group["ku"]),
                              group["value"].to_numpy(dtype="float64"), dates)
        points: dict[tuple[str, str], list[tuple[str, float]]] = {
            (sid, day): [] for sid, day in store.db.execute(
                "SELECT series_id, vintage_date FROM vintage_reads")}
        for sid, day, date, value in store.db.execute(
                "SELECT series_id, vintage_date, date, value FROM vintage_points"
                " ORDER BY series_id, vintage_date, date"):
            points.setdefault((sid, day), []).append((date, value))
        facts = pd.DataFrame(store.db.execute(
            "SELECT company, tag, period_start, period_end, value, filed, accn, form"
            " FROM filing_facts ORDER BY company, tag, period_start, period_end, filed, accn"
        ).fetchall(), columns=FACT_QUERY_COLUMNS)
        return cls(rows, points, store._series_rows(), store._table_rows(), facts,
                   store.catalog.releases,
                   filed_days=sorted({str(d)[:10] for d in facts["filed"]}),
                   scheduled=store.db.execute(SCHEDULE_QUERY).fetchall())

    def series(self, sid: str, ind: Indicator, as_of: pd.Timestamp) -> pd.Series:
        """What _read_series's query and filter give, from the arrays."""
        found = self.rows.get(sid)
        if found is None:
            return _series(sid, [])
        dates, kf, ku, values, index = found
        cutoff = as_of.date().toordinal()
        estimated = kf == NO_DAY
        known = self.known.get(sid)
        if known is None:  # when each estimated value became public: as of never matters
            known = np.full(len(dates), NO_DAY, dtype=np.int64)
            if estimated.any():
                pub = known_by(index[estimated], ind, self.releases)
                known[estimated] = [d.toordinal() for d in pub.date]
            self.known[sid] = known
        keep = (ku >= cutoff) & np.where(estimated, known <= cutoff, kf <= cutoff)
        kept = np.flatnonzero(keep)
        if len(kept) > 1:  # rows sorted by date then known_from: the latest of each date wins
            same = dates[kept][1:] == dates[kept][:-1]
            last_kept = np.ones(len(kept), dtype=bool)
            last_kept[:-1] = ~same
            kept = kept[last_kept]
        return pd.Series(values[kept], index=index[kept], name=sid, dtype="float64")

    def filings(self, as_of: dt.date) -> pd.DataFrame:
        """What Store.filings gives, kept per last filing day (the facts of one filing day
        serve every week until the next): callers only read the frame."""
        days = self.filed_days
        i = bisect.bisect_right(days, as_of.isoformat())
        last = days[i - 1] if i else ""
        found = self.filed_by.get(last)
        if found is None:
            found = latest_facts(self.facts[self.facts["filed"] <= last]) if last else \
                latest_facts(self.facts.iloc[0:0])
            self.filed_by[last] = found
        return found

    def first_prints(self, sid: str, cutoff: str, vintages_from: str | None) -> pd.Series:
        """What _first_prints's query gives, from the arrays."""
        found = self.rows.get(sid)
        if found is None:
            return _series(sid, [])
        dates, kf, _, values, index = found
        limit = dt.date.fromisoformat(cutoff).toordinal()
        since = dt.date.fromisoformat(vintages_from[:10]).toordinal() if vintages_from else 0
        unknown_or_early = (kf == NO_DAY) | (kf < since)
        excluded = np.unique(dates[unknown_or_early])
        candidate = (kf != NO_DAY) & (kf <= limit) & ~np.isin(dates, excluded)
        picked = np.flatnonzero(candidate)
        if len(picked) == 0:
            return _series(sid, [])
        first = np.ones(len(picked), dtype=bool)  # sorted by known_from within a date
        first[1:] = dates[picked][1:] != dates[picked][:-1]
        picked = picked[first]
        return pd.Series(values[picked], index=index[picked], name=sid, dtype="float64")


def _series(sid: str, rows: list[tuple[str, float]]) -> pd.Series:
    index = pd.DatetimeIndex(pd.to_datetime([d for d, _ in rows]), name="date")
    return pd.Series([v for _, v in rows], index=index, name=sid, dtype="float64")


@dataclass(frozen=True)
class Snapshot(Mapping[str, pd.Series]):
    """What the signals stage sees: read-only series and tables as of one date."""

    as_of: dt.date
    series: dict[str, pd.Series]
    tables: dict[str, pd.DataFrame]
    indicators: dict[str, Indicator]
    sample: bool
    provenance: dict[str, Provenance] = field(default_factory=dict)
    first_prints: dict[str, pd.Series] = field(default_factory=dict)
    releases: ReleaseCalendar = field(default_factory=ReleaseCalendar)
    # SEC facts filed by as_of (latest per period; see latest_facts), and whose and what
    filings: pd.DataFrame = field(default_factory=lambda: latest_facts(pd.DataFrame()))
    companies: dict[str, Company] = field(default_factory=dict)
    concepts: dict[str, Concept] = field(default_factory=dict)
    # FRED's schedule of the key releases ahead, as read by as_of (Store.schedule)
    schedule: dict[str, tuple[dt.date, ...]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> pd.Series:
        return self.series.get(key, pd.Series(dtype="float64", name=key,
                                              index=pd.DatetimeIndex([], name="date")))

    def __iter__(self) -> Iterator[str]:
        return iter(self.series)

    def __len__(self) -> int:
        return len(self.series)

    def usd_bn(self, key: str) -> pd.Series:
        """A dollar series in billions whatever unit the source publishes it in."""
        scale = {"usd_mn": 1e-3, "usd_bn": 1.0, "usd": 1e-9}[self.indicators[key].units]
        return self[key] * scale

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def stale(self) -> list[str]:
        """Series whose latest fetch failed or is older than the staleness limit, or whose
        last observation is more than two release cycles old."""
        return sorted(k for k, p in self.provenance.items() if p.stale and k in self.series)

    def stale_by_age(self) -> frozenset[str]:
        """Series that have stopped updating (reportgen.releases.stale_by_age): their old
        values must not drive scores as if they were current."""
        return frozenset(k for k, p in self.provenance.items() if p.old and k in self.series)

    def data_as_of(self) -> dt.date | None:
        """The latest observation date across all series: the report's data cut-off."""
        last = [s.index[-1] for s in self.series.values() if len(s)]
        return max(last).date() if last else None
