"""Fetch: bring the store up to date from every source, asking only for what is new.

Per series, by catalog source:

- fred, with an API key: one cheap request for the series' metadata; if FRED's
  `last_updated` is what the store already has, nothing more is asked or written.
  Otherwise the observations whose real-time period overlaps [last fetch, now] (a first
  fetch: the last `vintage_days`), from `revision_window_days` before the last stored
  observation, so first prints and revisions are both kept. A first fetch of a monthly or
  quarterly series the bundled release calendar does not cover also reads FRED's release
  calendar (two requests), to date the values older than the real-time window.
- fred, without a key: the keyless CSV from `revision_window_days` before the last stored
  observation (everything on a first fetch); only changed values are written.
- nyfed: one request per endpoint for all of its series, from the same window.
- SEC EDGAR: one request per company of the catalog for all of its facts (the answer has no
  window); only facts not stored yet are written. Skipped, and said so, without a
  User-Agent naming who asks (SEC's fair-access rules).
- csv: the user's files, read whole and validated.

Series are fetched on several threads; the services' rate budgets are shared, and each
series is written in its own transaction. A failure is per series, whatever its cause (an
id the source no longer has, a malformed, truncated, oversized or implausible answer, a
source that cannot be reached): the run goes on, the store keeps what it had and the
series is marked failed and stale, with the kind of failure. Bad input the user must fix
(a malformed user file, a catalog entry without what its source needs, a rejected key) is
collected separately, as errors; a damaged store stops the fetch.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from reportgen.catalog import Catalog, Company, Indicator
from reportgen.config import Config
from reportgen.errors import (
    CatalogError,
    ConfigError,
    ReportgenError,
    RetiredSeriesError,
    SourceError,
    StoreDamagedError,
)
from reportgen.releases import Release
from reportgen.sources import edgar, fredgraph, nyfed, usercsv
from reportgen.sources.fred import FredClient, check_key
from reportgen.sources.net import Http, HttpSettings, RateBudget, url_secrets
from reportgen.store import FetchRecord, Store, filer_id

log = logging.getLogger(__name__)

SOURCE_TZ = ZoneInfo("America/New_York")  # FRED and the New York Fed date their data in US time
CALENDAR_FREQUENCIES = ("monthly", "quarterly")  # where a release calendar dates values
Progress = Callable[[str], None]
SEC_SKIPPED = ("no User-Agent: SEC's fair-access rules want a name and a contact e-mail; set "
               "data.sec_user_agent or REPORTGEN_SEC_USER_AGENT, e.g. \"Acme Research "
               "admin@acme.com\", to read the AI spenders' capex and debt from their filings")


def source_today() -> dt.date:
    return dt.datetime.now(SOURCE_TZ).date()


@dataclass
class Services:
    """The configured sources: URLs (config, overridden by environment) and transports."""

    fred_key: str
    fred_api_url: str
    fred_csv_url: str
    nyfed_url: str
    fred_http: Http
    nyfed_http: Http
    fred: FredClient | None
    sec_url: str = ""
    sec_http: Http | None = None  # None: no User-Agent, SEC EDGAR is not asked

    @classmethod
    def from_config(cls, config: Config) -> Services:
        data = config.data
        env_key = os.environ.get("FRED_API_KEY", "").strip()
        origin = "FRED_API_KEY" if env_key else f"{config.source_file or 'config'}: " \
                                                 "data.fred_api_key"
        key = env_key or data.fred_api_key.strip()
        if key:
            key = check_key(key, origin)
        api_url = os.environ.get("REPORTGEN_FRED_API_URL") or data.fred_api_url
        csv_url = os.environ.get("REPORTGEN_FRED_CSV_URL") or data.fred_csv_url
        nyfed_url = os.environ.get("REPORTGEN_NYFED_URL") or data.nyfed_url
        sec_url = os.environ.get("REPORTGEN_SEC_URL") or data.sec_url
        secrets = (key, *url_secrets(api_url, csv_url, nyfed_url, sec_url))
        settings = HttpSettings(timeout=data.timeout, retries=data.retries, backoff=data.backoff,
                                max_bytes=int(data.max_response_mb * 1024 * 1024))
        fred_http = Http("FRED", RateBudget(data.fred_per_second, data.fred_per_minute),
                         settings, secrets=secrets)
        nyfed_http = Http("New York Fed", RateBudget(data.nyfed_per_second, 600), settings,
                          secrets=secrets)
        env_agent = os.environ.get("REPORTGEN_SEC_USER_AGENT", "").strip()
        agent = env_agent or data.sec_user_agent.strip()
        sec_http = None
        if agent:
            agent = edgar.check_user_agent(agent, "REPORTGEN_SEC_USER_AGENT" if env_agent else
                                           f"{config.source_file or 'config'}: "
                                           "data.sec_user_agent")
            sec_http = Http("SEC EDGAR", RateBudget(data.sec_per_second, 600), settings,
                            secrets=secrets, user_agent=agent, compressed=True)
        return cls(
            fred_key=key, fred_api_url=api_url, fred_csv_url=csv_url, nyfed_url=nyfed_url,
            fred_http=fred_http, nyfed_http=nyfed_http,
            fred=FredClient(key, api_url, fred_http) if key else None,
            sec_url=sec_url, sec_http=sec_http)

    def redact(self, text: str) -> str:
        """No API key and no URL password in `text` (both services' secrets are the same)."""
        return self.fred_http.redact(text)

    def requests(self) -> dict[str, int]:
        counts = {"FRED": self.fred_http.requests, "New York Fed": self.nyfed_http.requests}
        if self.sec_http is not None:
            counts["SEC EDGAR"] = self.sec_http.requests
        return counts


@dataclass
class FetchReport:
    """What a fetch did, series by series, for the summary, the log and the exit code."""

    written: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # failed series -> failure kind
    errors: dict[str, str] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # a source left out, and why
    requests: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, outcome: str, name: str, detail: int | str = 0, kind: str = "") -> None:
        with self._lock:
            if outcome == "written":
                self.written[name] = int(detail)
            elif outcome == "unchanged":
                self.unchanged.append(name)
            elif outcome == "absent":
                self.absent.append(name)
            elif outcome == "error":
                self.errors[name] = str(detail)
            elif outcome == "skipped":
                self.skipped[name] = str(detail)
            else:
                self.failed[name] = str(detail)
                self.kinds[name] = kind or "failed"

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())


@dataclass
class _Job:
    """One unit of fetching: a FRED series, a New York Fed endpoint, a filer, a user file."""

    name: str
    series: list[Indicator]
    run: Callable[[], None]
    source: str
    logged: tuple[str, ...] = ()  # store ids whose fetch state it records, beyond `series`


Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Fetcher:
    """Plans and runs one fetch of the catalog into the store."""

    def __init__(self, config: Config, catalog: Catalog, store: Store, services: Services,
                 today: dt.date, clock: Clock = utc_now) -> None:
        self.config, self.catalog, self.store = config, catalog, store
        self.svc, self.today, self.clock = services, today, clock
        self.report = FetchReport()

    def _record(self, sid: str, source: str, started: dt.datetime, status: str,
                requests: int = 0, message: str = "", failure: str = "") -> FetchRecord:
        return FetchRecord(sid, source, started, self.clock(), status, requests, 0, message,
                           failure)

    # -- one job per source kind ---------------------------------------------------------

    def _window_start(self, last: dt.date | None) -> dt.date | None:
        days = self.config.data.revision_window_days
        if last is None or days == 0:
            return None
        return last - dt.timedelta(days=days)

    def _fred_api(self, ind: Indicator) -> None:
        client = self.svc.fred
        assert client is not None
        started, before = self.clock(), self.svc.fred_http.requests
        state = self.store.state(ind.id)
        meta = client.info(ind)
        warm = (state is not None and state.source == "fred" and state.rows > 0
                and state.vintages_from is not None and state.last_success is not None)
        if warm and meta.source_updated and meta.source_updated == state.source_updated:
            self.store.log_only(self._record(ind.id, "fred", started, "unchanged", 1))
            self.report.add("unchanged", ind.id)
            return
        release_days = None
        if warm:
            realtime_start = min(state.last_success.astimezone(SOURCE_TZ).date()
                                 - dt.timedelta(days=1), self.today)
            obs_start = self._window_start(state.last_date)
        else:
            realtime_start = self.today - dt.timedelta(days=self.config.data.vintage_days)
            obs_start = None
            release_days = self._release_days(client, ind)
        rows = client.observations(ind, realtime_start, obs_start, self.today)
        record = self._record(ind.id, "fred", started, "ok",
                         self.svc.fred_http.requests - before)
        written = self.store.merge_vintages(ind.id, rows, realtime_start, record, meta,
                                            release_days)
        self.report.add("written" if written else "unchanged", ind.id, written)

    def _release_days(self, client: FredClient, ind: Indicator) -> list[dt.date] | None:
        """FRED's release calendar for a monthly or quarterly series the bundled calendar
        does not cover, to date the values older than the real-time window; without it
        they are dated by the usual lag, so a failure here costs no data."""
        if ind.frequency not in CALENDAR_FREQUENCIES or self.catalog.releases.covers(ind.id):
            return None
        try:
            return client.release_dates(ind)
        except SourceError as exc:
            log.warning("%s: FRED's release calendar could not be read (%s); values before "
                        "the real-time window are dated by the usual publication lag",
                        ind.id, self.svc.fred_http.redact(str(exc)))
            return None

    def _fred_schedule(self, only: set[str] | None) -> None:
        """FRED's schedule of the bundled key releases ahead (with a key only), which the
        cover's week ahead prefers to the bundled calendar: FRED carries the agencies'
        announced dates, moves included. A release it cannot name or date keeps the bundled
        calendar, so a failure here is a warning and never a failed series. An empty
        schedule is kept too (FRED lists nothing ahead): the release then keeps the bundled
        dates, and is not asked again that day."""
        client = self.svc.fred
        assert client is not None
        for release, ind in self._scheduled_releases(only):
            if self.store.schedule_read(release.id) == self.today:
                continue  # read once a day: a second run that day asks nothing more
            try:
                days = client.scheduled_dates(client.release_of(ind), self.today, release.id)
            except ConfigError:  # a rejected key: the series say so already
                return
            except ReportgenError as exc:
                log.warning("%s: FRED's schedule could not be read (%s); the week ahead "
                            "uses the bundled calendar", release.id,
                            self.svc.redact(str(exc)))
                continue
            self.store.put_schedule(release.id, days, self.today)

    def _scheduled_releases(self, only: set[str] | None) -> list[tuple[Release, Indicator]]:
        """The bundled releases with a FRED series in this fetch, each with its first such
        series (FRED names a release through one of its series)."""
        indicators, out = self.catalog.indicators, []
        for release in self.catalog.releases.releases.values():
            if release.part_of:  # its report is its parent's: one schedule
                continue
            ind = next((indicators[s] for s in release.series
                        if s in indicators and indicators[s].source == "fred"
                        and (not only or s in only)), None)
            if ind is not None:
                out.append((release, ind))
        return out

    def _fred_csv(self, ind: Indicator) -> None:
        started, before = self.clock(), self.svc.fred_http.requests
        state = self.store.state(ind.id)
        start = self._window_start(state.last_date) if state and state.rows else None
        values = fredgraph.fetch_csv(self.svc.fred_http, self.svc.fred_csv_url, ind, start,
                                     self.today)
        record = self._record(ind.id, "fredgraph", started, "ok",
                         self.svc.fred_http.requests - before)
        written = self.store.merge_latest(ind.id, "fredgraph", values, self.today, record,
                                          window_start=start)
        self.report.add("written" if written else "unchanged", ind.id, written)

    def _nyfed(self, name: str, inds: list[Indicator]) -> None:
        started, before = self.clock(), self.svc.nyfed_http.requests
        states = [self.store.state(i.id) for i in inds]
        lasts = [s.last_date if s and s.rows else None for s in states]
        if any(last is None for last in lasts):
            start = nyfed.first_date(name)
        else:
            start = self._window_start(min(lasts)) or nyfed.first_date(name)
        values = nyfed.fetch_endpoint(self.svc.nyfed_http, self.svc.nyfed_url, name, inds,
                                      max(start, nyfed.first_date(name)), self.today)
        requests = self.svc.nyfed_http.requests - before
        for ind, last in zip(inds, lasts, strict=True):
            record = self._record(ind.id, "nyfed", started, "ok", requests)
            window = None if last is None else start
            written = self.store.merge_latest(ind.id, "nyfed", values[ind.id], self.today,
                                              record, window_start=window)
            self.report.add("written" if written else "unchanged", ind.id, written)

    def _sec(self, company: Company) -> None:
        http = self.svc.sec_http
        assert http is not None
        started, before = self.clock(), http.requests
        facts = edgar.fetch_company(http, self.svc.sec_url, company,
                                    self.catalog.filer_tags(company), self.today)
        record = self._record(filer_id(company.id), "sec", started, "ok",
                              http.requests - before)
        written = self.store.merge_facts(company.id, facts, record, company.title)
        self.report.add("written" if written else "unchanged", filer_id(company.id), written)

    def _user_series(self, ind: Indicator) -> None:
        started = self.clock()
        path = self.config.path(ind.path or "")
        if not ind.path or not path.is_file():
            self.report.add("absent", ind.id)
            return
        values = usercsv.read_series(path, ind, self.today)
        record = self._record(ind.id, "csv", started, "ok")
        written = self.store.merge_latest(ind.id, "csv", values, self.today, record,
                                          window_start=dt.date(1, 1, 1), withdrawals=True)
        self.report.add("written" if written else "unchanged", ind.id, written)

    def _user_table(self, name: str, spec: dict) -> None:
        path = self.config.path(str(spec.get("path", "")))
        if not spec.get("path") or not path.is_file():
            self.report.add("absent", f"table {name}")
            return
        frame = usercsv.read_table(path, name, spec)
        self.store.put_table(name, frame, "csv", self.clock())
        self.report.add("written", f"table {name}", len(frame))

    # -- planning and running -----------------------------------------------------------

    def plan(self, only: set[str] | None = None, local_only: bool = False) -> list[_Job]:
        """The jobs of one fetch; `local_only` keeps the user's files (no network)."""
        jobs = self._plan(only)
        if not local_only:
            return jobs
        self.report.skipped.clear()  # no source is asked anyway
        return [j for j in jobs if j.source == "csv"]

    def _plan(self, only: set[str] | None) -> list[_Job]:
        jobs: list[_Job] = []
        endpoints: dict[str, list[Indicator]] = {}
        for ind in self.catalog.indicators.values():
            if only and ind.id not in only:
                continue
            if ind.source == "fred":
                fn = self._fred_api if self.svc.fred else self._fred_csv
                jobs.append(_Job(ind.id, [ind], lambda i=ind, f=fn: f(i),
                                 "fred" if self.svc.fred else "fredgraph"))
            elif ind.source == "nyfed":
                name = nyfed.endpoint(ind)
                if not name:
                    self.report.add("error", ind.id, f"{self.catalog.where(ind.id)}: [{ind.id}] "
                                    "needs nyfed_endpoint and nyfed_field")
                    continue
                endpoints.setdefault(name, []).append(ind)
            elif ind.source == "csv":
                jobs.append(_Job(ind.id, [ind], lambda i=ind: self._user_series(i), "csv"))
        for name, inds in endpoints.items():
            jobs.append(_Job(name, inds, lambda n=name, i=inds: self._nyfed(n, i), "nyfed"))
        if not only and self.catalog.companies:
            if self.svc.sec_http is None:
                self.report.add("skipped", "SEC EDGAR", SEC_SKIPPED)
            else:
                for company in self.catalog.companies.values():
                    sid = filer_id(company.id)
                    jobs.append(_Job(sid, [], lambda c=company: self._sec(c), "sec", (sid,)))
        if self.svc.fred is not None and self._scheduled_releases(only):
            jobs.append(_Job("release schedule", [], lambda: self._fred_schedule(only), "fred"))
        if not only:
            for name, spec in self.catalog.tables.items():
                jobs.append(_Job(f"table {name}", [], lambda n=name, s=spec: self._user_table(
                    n, s), "csv"))
        return jobs

    def _guarded(self, job: _Job) -> None:
        """Run one job; turn its failure into a per-series outcome, never a crash."""
        started = self.clock()
        kind = ""
        try:
            job.run()
            return
        except StoreDamagedError:
            raise  # not this series' fault: every other write would fail too
        except RetiredSeriesError as exc:
            outcome, message, kind = "failed", str(exc), exc.failure
            if job.series:
                message += (f"; fix or remove the entry at "
                            f"{self.catalog.where(job.series[0].id)}")
        except (CatalogError, ConfigError) as exc:
            outcome, message = "error", str(exc)
            if isinstance(exc, CatalogError) and job.series:
                message += f"; fix or remove the entry at {self.catalog.where(job.series[0].id)}"
            if isinstance(exc, ConfigError):  # asking again cannot help: stop asking
                http = self.svc.sec_http if job.source == "sec" else self.svc.fred_http
                if http is not None:
                    http.down = exc
        except SourceError as exc:
            # A user's own file is input to fix; a source's bad answer is a failed fetch.
            outcome = "error" if job.source == "csv" else "failed"
            message, kind = str(exc), exc.failure
        except ReportgenError as exc:
            outcome, message, kind = "failed", str(exc), exc.failure
        except Exception as exc:  # a bug must not cost the other series their update
            log.exception("fetch of %s failed unexpectedly", job.name)
            outcome, message, kind = "failed", f"{job.name}: unexpected " \
                f"{type(exc).__name__}: {exc}", "failed"
        message = self.svc.redact(message)
        kind = kind if outcome == "failed" else "input"
        for sid in [ind.id for ind in job.series] + list(job.logged):
            self.report.add(outcome, sid, message, kind)
            self.store.log_only(self._record(sid, job.source, started, "error",
                                             message=message, failure=kind))
        if not job.series and not job.logged:
            self.report.add(outcome, job.name, message, kind)

    def run(self, only: set[str] | None = None, progress: Progress = lambda _: None,
            local_only: bool = False) -> FetchReport:
        t0 = time.perf_counter()
        jobs = self.plan(only, local_only)
        done = 0
        lock = threading.Lock()

        def one(job: _Job) -> None:
            nonlocal done
            self._guarded(job)
            with lock:
                done += 1
                progress(f"Fetching data ({done}/{len(jobs)})")

        with self.store.writing():
            workers = max(1, min(self.config.data.threads, len(jobs)))
            with ThreadPoolExecutor(workers, thread_name_prefix="fetch") as pool:
                list(pool.map(one, jobs))
        self.report.requests = self.svc.requests()
        self.report.seconds = time.perf_counter() - t0
        return self.report

    def read_vintages(self, as_of: dt.date, progress: Progress = lambda _: None) -> FetchReport:
        """For an as-of date older than the stored real-time periods, ask FRED for that one
        vintage of each series (one request each), once; later rebuilds read the store."""
        client = self.svc.fred
        t0 = time.perf_counter()
        if client is None:
            return self.report
        todo = []
        for ind in self.catalog.indicators.values():
            state = self.store.state(ind.id)
            if ind.source != "fred" or state is None or state.source != "fred":
                continue
            if state.vintages_from is not None and state.vintages_from <= as_of:
                continue
            if not self.store.has_point_vintage(ind.id, as_of):
                todo.append(ind)

        def one(ind: Indicator) -> None:
            def job() -> None:
                started, before = self.clock(), self.svc.fred_http.requests
                values = client.vintage(ind, as_of, self.today)
                record = self._record(ind.id, "fred", started, "ok",
                                 self.svc.fred_http.requests - before)
                self.report.add("written", ind.id,
                                self.store.put_point_vintage(ind.id, as_of, values, record))
            self._guarded(_Job(ind.id, [ind], job, "fred"))
            progress(f"Reading vintages as of {as_of}")

        with self.store.writing(), ThreadPoolExecutor(self.config.data.threads) as pool:
            list(pool.map(one, todo))
        self.report.requests = self.svc.requests()
        self.report.seconds += time.perf_counter() - t0
        return self.report
