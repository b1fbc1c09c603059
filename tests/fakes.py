"""In-process fakes of the FRED API, fredgraph CSV, the NY Fed Markets API and SEC EDGAR's
XBRL API (company facts).

Each server listens on 127.0.0.1 (any free port), serves from a daemon thread and answers
in the formats the real services use, so the project's real client code (and `fredapi`)
can be tested offline. All servers share request recording, latency, FRED-style rate
limiting and fault injection (see `FakeServer`).

    data = FredData(today=dt.date(2026, 11, 23))
    data.add_series("UNRATE", {dt.date(2026, 9, 1): 4.3}, published=dt.date(2026, 10, 3))
    with FakeFred(data) as srv:
        fred = fredapi.Fred(api_key=DEFAULT_API_KEY)
        fred.root_url = srv.fred_url
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import http
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple, Self
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

__all__ = [
    "DEFAULT_API_KEY",
    "FAULT_KINDS",
    "FakeFred",
    "FakeNYFed",
    "FakeSEC",
    "FakeServer",
    "FredData",
    "RequestRecord",
    "Response",
    "VintageRow",
    "free_port",
]

DEFAULT_API_KEY = "abcdefghijklmnopqrstuvwxyz123456"
FAULT_KINDS = frozenset({"status", "html", "truncated", "drop", "slow", "body", "drip",
                         "drip_headers", "huge"})

EARLIEST = dt.date(1776, 7, 4)
LATEST = dt.date(9999, 12, 31)
XML_HEAD = '<?xml version="1.0" encoding="utf-8" ?>\n'
XML_TYPE = "text/xml; charset=UTF-8"
JSON_TYPE = "application/json; charset=UTF-8"
HTML_TYPE = "text/html"
BAD_KEY = (
    "Bad Request.  The value for variable api_key is not registered.  "
    "Read https://fred.stlouisfed.org/docs/api/api_key.html for more information."
)
NO_SERIES = "Bad Request.  The series does not exist."
NO_RELEASE = "Bad Request.  The release does not exist."
RATE_LIMITED = "Too Many Requests.  Exceeded Rate Limit"
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _parse_date(text: str | None) -> dt.date | None:
    """A strict YYYY-MM-DD date, or None if the text is not one."""
    if text is None or not _DATE_RE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _attr(value: object) -> str:
    """An XML attribute value, escaped (newlines kept as character references)."""
    return escape(str(value), {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _html_page(title: str, heading: str, text: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
        f"</head><body><h1>{escape(heading)}</h1><p>{escape(text)}</p></body></html>\n"
    ).encode()


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# --------------------------------------------------------------------------- shared server


class RequestRecord(NamedTuple):
    """One request as it arrived: `query` keeps the first value of each parameter."""

    method: str
    path: str
    query: dict[str, str]
    time: float
    target: str  # path and query string exactly as sent
    headers: dict[str, str] = {}  # noqa: RUF012 - read only
    auth: str = ""  # the Authorization header, if any


@dataclass
class Response:
    """An answer to send: status, body, content type and extra headers."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    kind: str
    times: int | None
    match: str | None
    status: int | None
    delay: float | None
    headers: dict[str, str]
    body: bytes | None
    size: int | None = None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a handler that sleeps or is mid-request
    fake: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, dropped faults) are expected: stay silent."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track(self.connection, add=False)

    def do_GET(self) -> None:
        self.server.fake._dispatch(self)

    def log_message(self, format: str, *args: Any) -> None:
        """No logging to stderr."""


class FakeServer:
    """Base of the fakes: a ThreadingHTTPServer on 127.0.0.1:0 in a daemon thread.

    Attributes settable at any time: `latency` (seconds slept before every answer),
    `max_per_second` / `max_per_minute` (sliding-window limits: excess requests get 429 at
    once), `retry_after` (seconds, sent as Retry-After with every 429).
    """

    def __init__(self) -> None:
        self.latency: float = 0.0
        self.max_per_second: int | None = None
        self.max_per_minute: int | None = None
        self.retry_after: int | None = None
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._hits: deque[float] = deque()
        self._faults: list[_Fault] = []
        self._conns: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> Self:
        """Bind to a free port and serve from a daemon thread."""
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}:{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and cut connections still open (even mid-request)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (it must be started)."""
        if self._httpd is None:
            raise RuntimeError("server is not running")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    # -- records

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget recorded requests (the rate-limit window is kept)."""
        with self._lock:
            self._requests.clear()

    # -- faults

    def fault(
        self, kind: str, *, times: int | None = 1, match: str | None = None,
        status: int | None = None, delay: float | None = None,
        headers: dict[str, str] | None = None, body: bytes | None = None,
        size: int | None = None,
    ) -> None:
        """Make the next `times` requests whose path+query contains `match` misbehave.

        Kinds: "status" (answer `status` with the API's own error body), "html" (an HTML
        error page with `status` or 200), "truncated" (full Content-Length, half the body),
        "drop" (close without answering), "slow" (sleep `delay` s, then answer normally),
        "body" (200 with the raw `body`), "drip" (the headers at once, then the normal
        body one byte every `delay` s), "drip_headers" (the whole answer, status line
        included, one byte every `delay` s), "huge" (200, the normal answer then filler
        lines up to `size` bytes, streamed without Content-Length unless `headers` gives
        one). Faults are consumed in FIFO order; times=None means every matching request,
        forever.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        if kind == "status" and status is None:
            raise ValueError('fault("status") needs status=')
        if kind == "slow" and delay is None:
            raise ValueError('fault("slow") needs delay=')
        if kind == "body" and body is None:
            raise ValueError('fault("body") needs body=')
        if kind in ("drip", "drip_headers") and delay is None:
            raise ValueError(f'fault("{kind}") needs delay=')
        if kind == "huge" and size is None:
            raise ValueError('fault("huge") needs size=')
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for always)")
        with self._lock:
            self._faults.append(
                _Fault(kind, times, match, status, delay, dict(headers or {}), body, size)
            )

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> int:
        """How many fault entries are still waiting to be consumed."""
        with self._lock:
            return len(self._faults)

    # -- for subclasses

    def handle(self, req: RequestRecord) -> Response:
        """The normal answer to a request."""
        raise NotImplementedError

    def error(self, status: int, message: str, req: RequestRecord) -> Response:
        """The API's native error answer."""
        return Response(status, _html_page(message, message, message), HTML_TYPE)

    def content_type_for(self, req: RequestRecord) -> str:
        """The content type of normal answers (used by the "body" fault)."""
        return "application/octet-stream"

    # -- internals

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def _rate_limited(self, now: float) -> bool:
        with self._lock:
            hits = self._hits
            while hits and now - hits[0] >= 60.0:
                hits.popleft()
            if self.max_per_minute is not None and len(hits) >= self.max_per_minute:
                return True
            if self.max_per_second is not None:
                recent = 0
                for t in reversed(hits):
                    if now - t >= 1.0:
                        break
                    recent += 1
                if recent >= self.max_per_second:
                    return True
            hits.append(now)
            return False

    def _take_fault(self, target: str) -> _Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.match is None or fault.match in target:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            del self._faults[i]
                    return fault
        return None

    def _with_retry_after(self, resp: Response) -> Response:
        if resp.status == 429 and self.retry_after is not None:
            resp.headers.setdefault("Retry-After", str(self.retry_after))
        return resp

    def _dispatch(self, h: _Handler) -> None:
        now = time.monotonic()
        split = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        req = RequestRecord(h.command, split.path, query, now, h.path, dict(h.headers.items()),
                            h.headers.get("Authorization", ""))
        with self._lock:
            self._requests.append(req)
        if self._rate_limited(now):
            self._send(h, self._with_retry_after(self.error(429, RATE_LIMITED, req)))
            return
        fault = self._take_fault(h.path)
        if self.latency > 0 and self._stopping.wait(self.latency):
            h.close_connection = True
            return
        if fault is None:
            self._send(h, self._with_retry_after(self.handle(req)))
            return
        if fault.kind == "drop":
            h.close_connection = True
            return
        if fault.kind == "slow":
            if self._stopping.wait(fault.delay or 0.0):
                h.close_connection = True
                return
            resp = self.handle(req)
        elif fault.kind == "status":
            assert fault.status is not None
            resp = self.error(fault.status, _fred_phrase(fault.status), req)
        elif fault.kind == "html":
            status = fault.status or 200
            heading = _phrase(status) if status >= 400 else "Service Unavailable"
            body = (
                f"<html><body><h1>{heading}</h1>\n<p>The server is temporarily unable to "
                "service your request. Please try again later.</p>\n</body></html>\n"
            ).encode()
            resp = Response(status, body, HTML_TYPE)
        elif fault.kind == "body":
            assert fault.body is not None
            resp = Response(200, fault.body, self.content_type_for(req))
        elif fault.kind in ("drip", "drip_headers", "huge"):
            resp = self.handle(req)
            resp.headers.update(fault.headers)
            if fault.kind == "huge":
                self._send_huge(h, resp, fault.size or 0)
            else:
                self._drip(h, resp, fault.delay or 0.0, fault.kind == "drip_headers")
            return
        else:  # truncated
            resp = self.handle(req)
        resp.headers.update(fault.headers)
        self._send(h, self._with_retry_after(resp), truncate=fault.kind == "truncated")

    def _drip(self, h: _Handler, resp: Response, delay: float, headers_too: bool) -> None:
        """The answer one byte every `delay` s (after the headers, or from the start)."""
        head = [f"HTTP/1.1 {resp.status} {_phrase(resp.status)}",
                f"Content-Type: {resp.content_type}", f"Content-Length: {len(resp.body)}",
                *(f"{k}: {v}" for k, v in resp.headers.items())]
        raw_head = ("\r\n".join(head) + "\r\n\r\n").encode()
        h.close_connection = True
        data = raw_head + resp.body if headers_too else resp.body
        try:
            if not headers_too:
                h.wfile.write(raw_head)
                h.wfile.flush()
            for i in range(len(data)):
                if self._stopping.wait(delay):
                    return
                h.wfile.write(data[i:i + 1])
                h.wfile.flush()
        except OSError:
            return  # the client gave up, as it should

    def _send_huge(self, h: _Handler, resp: Response, size: int) -> None:
        """The normal answer, then filler lines up to `size` bytes."""
        h.send_response(200)
        h.send_header("Content-Type", resp.content_type)
        for name, value in resp.headers.items():
            h.send_header(name, value)
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        filler = (b"\n" * 1024) * 64
        sent = len(resp.body)
        try:
            h.wfile.write(resp.body)
            while sent < size and not self._stopping.is_set():
                chunk = filler[:size - sent]
                h.wfile.write(chunk)
                sent += len(chunk)
            h.wfile.flush()
        except OSError:
            return  # refused by the client

    @staticmethod
    def _send(h: _Handler, resp: Response, *, truncate: bool = False) -> None:
        h.send_response(resp.status)
        h.send_header("Content-Type", resp.content_type)
        h.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers.items():
            h.send_header(name, value)
        if truncate:
            h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(resp.body[: len(resp.body) // 2] if truncate else resp.body)
        h.wfile.flush()
        if truncate:
            h.close_connection = True


def _fred_phrase(status: int) -> str:
    return RATE_LIMITED if status == 429 else _phrase(status)


# --------------------------------------------------------------------------- FRED data


@dataclass
class VintageRow:
    """One value of one observation date, valid over the real-time period [start, end]."""

    date: dt.date
    value: float | None
    realtime_start: dt.date
    realtime_end: dt.date = LATEST


@dataclass
class _Series:
    sid: str
    rows: list[VintageRow]
    meta: dict[str, str]
    decimals: int | None
    release_id: int = 0

    def fmt(self, value: float | None, missing: str) -> str:
        if value is None:
            return missing
        if self.decimals is not None:
            return f"{value:.{self.decimals}f}"
        return repr(float(value))


@dataclass
class _Release:
    """A FRED release: its name and, if set, its own calendar of publication days (else
    the days on which its series' vintages opened)."""

    id: int
    name: str
    link: str = ""
    dates: list[dt.date] | None = None


class FredData:
    """Series with ALFRED-style vintages: each value has a real-time period [start, end].

    `today` is the fake clock: FRED's default realtime_start/realtime_end and the vintage
    fredgraph serves. Vintages opened after `today` stay invisible until `today` moves on.
    """

    def __init__(self, today: dt.date | None = None) -> None:
        self.today: dt.date = today or dt.date.today()
        self._series: dict[str, _Series] = {}
        self._releases: dict[int, _Release] = {}
        self._lock = threading.Lock()

    def add_release(self, release_id: int, name: str, dates: Iterable[dt.date] | None = None,
                    link: str = "") -> None:
        """Add (or replace) a release; `dates` is its calendar of publication days, which
        may run into the future (FRED lists those only with
        include_release_dates_with_no_data=true). Without dates, the release's days are
        those on which its series' vintages opened."""
        with self._lock:
            self._releases[release_id] = _Release(
                release_id, name, link, sorted(set(dates)) if dates is not None else None)

    def release_dates(self, release_id: int) -> list[dt.date]:
        """Every publication day of a release, sorted (future ones included)."""
        with self._lock:
            release = self._releases[release_id]
            if release.dates is not None:
                return list(release.dates)
            return sorted({r.realtime_start for s in self._series.values()
                           if s.release_id == release_id for r in s.rows})

    def add_series(
        self, sid: str, values: dict[dt.date, float | None], published: dt.date, *,
        title: str = "...", frequency: str = "Monthly", frequency_short: str = "M",
        units: str = "Percent", units_short: str = "%",
        seasonal_adjustment: str = "Seasonally Adjusted", seasonal_adjustment_short: str = "SA",
        notes: str = "", last_updated: str | None = None, popularity: int = 80,
        decimals: int | None = None, release_id: int | None = None,
    ) -> None:
        """Add (or replace) a series whose values are all known from `published` on.

        None is a missing value (FRED's "."). `decimals` fixes how values are written
        (FRED writes e.g. "4.10"); by default Python's shortest repr is used. Every FRED
        series belongs to a release: `release_id` names one added with add_release, else
        the series gets a release of its own.
        """
        meta = {
            "title": title, "frequency": frequency, "frequency_short": frequency_short,
            "units": units, "units_short": units_short,
            "seasonal_adjustment": seasonal_adjustment,
            "seasonal_adjustment_short": seasonal_adjustment_short,
            "last_updated": last_updated or f"{published} 07:30:00-06",
            "popularity": str(popularity), "notes": notes,
        }
        rows = [VintageRow(d, v, published) for d, v in sorted(values.items())]
        with self._lock:
            if release_id is None:
                release_id = 1000 + len(self._releases)
                self._releases[release_id] = _Release(release_id, f"{title} ({sid})")
            elif release_id not in self._releases:
                raise KeyError(f"release {release_id} was not added (add_release)")
            self._series[sid] = _Series(sid, rows, meta, decimals, release_id)

    def publish(self, sid: str, values: dict[dt.date, float | None], on: dt.date) -> None:
        """New observations and/or revisions released on `on`.

        For each date whose value differs, the open vintage is closed at on - 1 day and a
        new one opens on `on` (a second release on the same day overwrites in place).
        last_updated becomes f"{on} 07:30:00-06".
        """
        with self._lock:
            series = self._get(sid)
            for d, value in sorted(values.items()):
                open_row = next(
                    (r for r in series.rows if r.date == d and r.realtime_end == LATEST), None
                )
                if open_row is not None:
                    if open_row.value == value:
                        continue
                    if on < open_row.realtime_start:
                        raise ValueError(
                            f"{sid} {d}: cannot publish on {on}, a vintage opened on "
                            f"{open_row.realtime_start}"
                        )
                    if on == open_row.realtime_start:
                        open_row.value = value
                        continue
                    open_row.realtime_end = on - dt.timedelta(days=1)
                series.rows.append(VintageRow(d, value, on))
            series.rows.sort(key=lambda r: (r.date, r.realtime_start))
            series.meta["last_updated"] = f"{on} 07:30:00-06"

    def as_of(self, sid: str, when: dt.date) -> dict[dt.date, float | None]:
        """The vintage valid on `when`."""
        with self._lock:
            rows = self._get(sid).rows
            return {r.date: r.value for r in rows if r.realtime_start <= when <= r.realtime_end}

    def current(self, sid: str) -> dict[dt.date, float | None]:
        """The vintage valid at `today`."""
        return self.as_of(sid, self.today)

    def rows(self, sid: str) -> list[VintageRow]:
        """Every stored (date, value, realtime_start, realtime_end) row, sorted."""
        with self._lock:
            return [VintageRow(r.date, r.value, r.realtime_start, r.realtime_end)
                    for r in self._get(sid).rows]

    def vintage_dates(self, sid: str) -> list[dt.date]:
        """The dates on which the series' values changed."""
        with self._lock:
            return sorted({r.realtime_start for r in self._get(sid).rows})

    def __contains__(self, sid: object) -> bool:
        return sid in self._series

    @property
    def series_ids(self) -> list[str]:
        """Every series id, sorted."""
        return sorted(self._series)

    def _get(self, sid: str) -> _Series:
        try:
            return self._series[sid]
        except KeyError:
            raise KeyError(f"unknown series {sid!r}") from None

    def _snapshot(self, sid: str) -> _Series | None:
        with self._lock:
            series = self._series.get(sid)
            if series is None:
                return None
            return _Series(series.sid, [VintageRow(r.date, r.value, r.realtime_start,
                                                   r.realtime_end) for r in series.rows],
                           dict(series.meta), series.decimals, series.release_id)

    def _release(self, release_id: int) -> _Release | None:
        with self._lock:
            return self._releases.get(release_id)


# --------------------------------------------------------------------------- FRED server


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class FakeFred(FakeServer):
    """The FRED API under /fred (XML, or JSON with file_type=json) and fredgraph CSV.

    `fred_url` is the fredapi root_url, `csv_url` the fredgraph.csv address. The API needs
    `api_key`; fredgraph is keyless. `legacy_csv=True` serves the old CSV format
    (header "DATE,X", "." for missing values).
    """

    def __init__(
        self, data: FredData | None = None, *, api_key: str = DEFAULT_API_KEY,
        legacy_csv: bool = False,
    ) -> None:
        super().__init__()
        self.data = data if data is not None else FredData()
        self.api_key = api_key
        self.legacy_csv = legacy_csv

    @property
    def fred_url(self) -> str:
        """http://127.0.0.1:PORT/fred"""
        return f"{self.url}/fred"

    @property
    def csv_url(self) -> str:
        """http://127.0.0.1:PORT/graph/fredgraph.csv"""
        return f"{self.url}/graph/fredgraph.csv"

    # -- answers

    def content_type_for(self, req: RequestRecord) -> str:
        if req.path.startswith("/graph/"):
            return "text/csv"
        return JSON_TYPE if req.query.get("file_type") == "json" else XML_TYPE

    def error(self, status: int, message: str, req: RequestRecord) -> Response:
        if not req.path.startswith("/fred"):
            title = "FRED | Page Not Found" if status == 404 else f"FRED | {message}"
            return Response(status, _html_page(title, message, message), HTML_TYPE)
        if req.query.get("file_type") == "json":
            body = json.dumps({"error_code": status, "error_message": message}).encode()
            return Response(status, body, JSON_TYPE)
        body = f'{XML_HEAD}<error code="{status}" message="{_attr(message)}"/>'.encode()
        return Response(status, body, XML_TYPE)

    def handle(self, req: RequestRecord) -> Response:
        routes = {
            "/fred/series": self._series,
            "/fred/series/observations": self._observations,
            "/fred/series/vintagedates": self._vintagedates,
            "/fred/series/release": self._series_release,
            "/fred/release/dates": self._release_dates,
            "/graph/fredgraph.csv": self._fredgraph,
        }
        route = routes.get(req.path.rstrip("/") or "/")
        if route is None:
            return self.error(404, "Not Found", req)
        try:
            return route(req)
        except _BadRequest as exc:
            return self.error(exc.status, exc.message, req)

    def _check_key(self, req: RequestRecord) -> None:
        q = req.query
        if q.get("api_key") != self.api_key:
            raise _BadRequest(BAD_KEY)
        file_type = q.get("file_type", "xml")
        if file_type not in ("xml", "json"):
            raise _BadRequest(
                "Bad Request.  Variable file_type is not one of the values: xml, json"
            )

    def _check_common(self, req: RequestRecord) -> _Series:
        q = req.query
        self._check_key(req)
        sid = q.get("series_id")
        if not sid:
            raise _BadRequest("Bad Request.  Variable series_id is not set.")
        series = self.data._snapshot(sid)
        if series is None:
            raise _BadRequest(NO_SERIES)
        return series

    @staticmethod
    def _date_param(q: dict[str, str], name: str, default: dt.date) -> dt.date:
        if name not in q:
            return default
        value = _parse_date(q[name])
        if value is None:
            raise _BadRequest(f"Bad Request.  Variable {name} is not a valid date.")
        return value

    def _realtime(self, q: dict[str, str], default: tuple[dt.date, dt.date]) -> tuple[
            dt.date, dt.date]:
        rs = self._date_param(q, "realtime_start", default[0])
        re_ = self._date_param(q, "realtime_end", default[1])
        if rs > re_:
            raise _BadRequest(
                "Bad Request.  The real-time start date must be before or equal to the "
                "real-time end date."
            )
        return rs, re_

    @staticmethod
    def _int_param(q: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
        if name not in q:
            return default
        text = q[name]
        if not text.isdigit() or not lo <= int(text) <= hi:
            raise _BadRequest(
                f"Bad Request.  Variable {name} is not an integer between {lo} and {hi}."
            )
        return int(text)

    def _series(self, req: RequestRecord) -> Response:
        series = self._check_common(req)
        rs, re_ = self._realtime(req.query, (self.data.today, self.data.today))
        known = sorted(r.date for r in series.rows
                       if r.realtime_start <= re_ and r.realtime_end >= rs)
        first = known[0] if known else self.data.today
        last = known[-1] if known else self.data.today
        attrs: dict[str, str] = {
            "id": series.sid, "realtime_start": str(rs), "realtime_end": str(re_),
            "title": series.meta["title"],
            "observation_start": str(first), "observation_end": str(last),
            **{k: series.meta[k] for k in (
                "frequency", "frequency_short", "units", "units_short", "seasonal_adjustment",
                "seasonal_adjustment_short", "last_updated", "popularity", "notes")},
        }
        if req.query.get("file_type") == "json":
            item: dict[str, Any] = dict(attrs)
            item["popularity"] = int(attrs["popularity"])
            doc = {"realtime_start": str(rs), "realtime_end": str(re_), "seriess": [item]}
            return Response(200, json.dumps(doc).encode(), JSON_TYPE)
        inner = " ".join(f'{k}="{_attr(v)}"' for k, v in attrs.items())
        body = (f'{XML_HEAD}<seriess realtime_start="{rs}" realtime_end="{re_}">\n'
                f"  <series {inner}/>\n</seriess>\n")
        return Response(200, body.encode(), XML_TYPE)

    def _observations(self, req: RequestRecord) -> Response:
        series = self._check_common(req)
        q = req.query
        os_ = self._date_param(q, "observation_start", EARLIEST)
        oe = self._date_param(q, "observation_end", LATEST)
        if os_ > oe:
            raise _BadRequest(
                "Bad Request.  The observation start date must be before or equal to the "
                "observation end date."
            )
        limit = self._int_param(q, "limit", 100000, 1, 100000)
        offset = self._int_param(q, "offset", 0, 0, 2**31 - 1)
        order = q.get("sort_order", "asc")
        if order not in ("asc", "desc"):
            raise _BadRequest("Bad Request.  Variable sort_order is not one of the values: "
                              "'asc', 'desc'.")
        units = q.get("units", "lin")
        if units != "lin":
            raise _BadRequest(f"Bad Request.  units={units} is not supported by the fake.")
        output_type = q.get("output_type", "1")
        if output_type != "1":
            raise _BadRequest(f"Bad Request.  output_type={output_type} is not supported "
                              "by the fake.")
        in_range = [r for r in series.rows if os_ <= r.date <= oe]
        out: list[tuple[dt.date, dt.date, dt.date, float | None]] = []
        if q.get("vintage_dates"):
            if "realtime_start" in q or "realtime_end" in q:
                raise _BadRequest("Bad Request.  Variables vintage_dates and realtime_start "
                                  "or realtime_end can not be used together.")
            vintages: list[dt.date] = []
            for text in q["vintage_dates"].split(","):
                v = _parse_date(text.strip())
                if v is None:
                    raise _BadRequest("Bad Request.  Variable vintage_dates is not a valid date.")
                vintages.append(v)
            vintages.sort()
            rs, re_ = vintages[0], vintages[-1]
            for v in vintages:
                out += [(r.date, v, v, r.value) for r in in_range
                        if r.realtime_start <= v <= r.realtime_end]
        else:
            rs, re_ = self._realtime(q, (self.data.today, self.data.today))
            out = [(r.date, max(r.realtime_start, rs), min(r.realtime_end, re_), r.value)
                   for r in in_range if r.realtime_start <= re_ and r.realtime_end >= rs]
        out.sort(key=lambda row: (row[0], row[1]))
        if order == "desc":
            out.reverse()
        count = len(out)
        page = out[offset:offset + limit]
        head = {
            "realtime_start": str(rs), "realtime_end": str(re_),
            "observation_start": str(os_), "observation_end": str(oe),
            "units": "lin", "output_type": 1, "file_type": q.get("file_type", "xml"),
            "order_by": "observation_date", "sort_order": order,
            "count": count, "offset": offset, "limit": limit,
        }
        if q.get("file_type") == "json":
            doc = dict(head, observations=[
                {"realtime_start": str(s), "realtime_end": str(e), "date": str(d),
                 "value": series.fmt(v, ".")} for d, s, e, v in page])
            return Response(200, json.dumps(doc).encode(), JSON_TYPE)
        lines = [XML_HEAD + "<observations "
                 + " ".join(f'{k}="{_attr(v)}"' for k, v in head.items()) + ">"]
        lines += [f'  <observation realtime_start="{s}" realtime_end="{e}" date="{d}" '
                  f'value="{series.fmt(v, ".")}"/>' for d, s, e, v in page]
        lines.append("</observations>\n")
        return Response(200, "\n".join(lines).encode(), XML_TYPE)

    def _vintagedates(self, req: RequestRecord) -> Response:
        series = self._check_common(req)
        rs, re_ = self._realtime(req.query, (EARLIEST, LATEST))
        dates = sorted({r.realtime_start for r in series.rows if rs <= r.realtime_start <= re_})
        limit = self._int_param(req.query, "limit", 10000, 1, 10000)
        offset = self._int_param(req.query, "offset", 0, 0, 2**31 - 1)
        page = dates[offset:offset + limit]
        if req.query.get("file_type") == "json":
            doc = {"realtime_start": str(rs), "realtime_end": str(re_),
                   "order_by": "vintage_date", "sort_order": "asc", "count": len(dates),
                   "offset": offset, "limit": limit, "vintage_dates": [str(d) for d in page]}
            return Response(200, json.dumps(doc).encode(), JSON_TYPE)
        body = (f'{XML_HEAD}<vintage_dates realtime_start="{rs}" realtime_end="{re_}" '
                f'order_by="vintage_date" sort_order="asc" count="{len(dates)}" '
                f'offset="{offset}" limit="{limit}">\n'
                + "".join(f"  <vintage_date>{d}</vintage_date>\n" for d in page)
                + "</vintage_dates>\n")
        return Response(200, body.encode(), XML_TYPE)

    def _series_release(self, req: RequestRecord) -> Response:
        """fred/series/release: the release a series belongs to."""
        series = self._check_common(req)
        rs, re_ = self._realtime(req.query, (self.data.today, self.data.today))
        release = self.data._release(series.release_id)
        assert release is not None
        attrs = {"id": str(release.id), "realtime_start": str(rs), "realtime_end": str(re_),
                 "name": release.name, "press_release": "true", "link": release.link}
        if req.query.get("file_type") == "json":
            item: dict[str, Any] = dict(attrs, id=release.id, press_release=True)
            if not release.link:
                del item["link"]
            doc = {"realtime_start": str(rs), "realtime_end": str(re_), "releases": [item]}
            return Response(200, json.dumps(doc).encode(), JSON_TYPE)
        inner = " ".join(f'{k}="{_attr(v)}"' for k, v in attrs.items()
                         if k != "link" or v)
        body = (f'{XML_HEAD}<releases realtime_start="{rs}" realtime_end="{re_}">\n'
                f"  <release {inner}/>\n</releases>\n")
        return Response(200, body.encode(), XML_TYPE)

    def _release_dates(self, req: RequestRecord) -> Response:
        """fred/release/dates: the days a release was published, oldest first by default;
        days after `today` only with include_release_dates_with_no_data=true."""
        self._check_key(req)
        q = req.query
        text = q.get("release_id", "")
        if not text:
            raise _BadRequest("Bad Request.  Variable release_id is not set.")
        if not text.isdigit():
            raise _BadRequest("Bad Request.  Variable release_id is not an integer.")
        release = self.data._release(int(text))
        if release is None:
            raise _BadRequest(NO_RELEASE)
        rs, re_ = self._realtime(q, (EARLIEST, LATEST))
        limit = self._int_param(q, "limit", 10000, 1, 10000)
        offset = self._int_param(q, "offset", 0, 0, 2**31 - 1)
        order = q.get("sort_order", "asc")
        if order not in ("asc", "desc"):
            raise _BadRequest("Bad Request.  Variable sort_order is not one of the values: "
                              "'asc', 'desc'.")
        future = q.get("include_release_dates_with_no_data", "false")
        if future not in ("true", "false"):
            raise _BadRequest("Bad Request.  Variable include_release_dates_with_no_data is "
                              "not one of the values: 'true', 'false'.")
        dates = [d for d in self.data.release_dates(release.id)
                 if future == "true" or d <= self.data.today]
        if order == "desc":
            dates.reverse()
        page = dates[offset:offset + limit]
        head = {"realtime_start": str(rs), "realtime_end": str(re_),
                "order_by": "release_date", "sort_order": order, "count": len(dates),
                "offset": offset, "limit": limit}
        if q.get("file_type") == "json":
            doc = dict(head, release_dates=[{"release_id": release.id, "date": str(d)}
                                            for d in page])
            return Response(200, json.dumps(doc).encode(), JSON_TYPE)
        body = (XML_HEAD + "<release_dates "
                + " ".join(f'{k}="{_attr(v)}"' for k, v in head.items()) + ">\n"
                + "".join(f'  <release_date release_id="{release.id}">{d}</release_date>\n'
                          for d in page)
                + "</release_dates>\n")
        return Response(200, body.encode(), XML_TYPE)

    def _fredgraph(self, req: RequestRecord) -> Response:
        q = req.query
        ids = [s.strip() for s in q.get("id", "").split(",") if s.strip()]
        if not ids:
            return self.error(404, "Page Not Found", req)
        bounds: list[dt.date] = []
        for name, default in (("cosd", EARLIEST), ("coed", LATEST),
                              ("vintage_date", self.data.today)):
            value = _parse_date(q[name]) if q.get(name) else default
            if value is None:
                return self.error(400, "Bad Request", req)
            bounds.append(value)
        cosd, coed, when = bounds
        columns: list[tuple[_Series, dict[dt.date, float | None]]] = []
        for sid in ids:
            series = self.data._snapshot(sid)
            if series is None:
                return self.error(404, "Page Not Found", req)
            columns.append((series, {r.date: r.value for r in series.rows
                                     if r.realtime_start <= when <= r.realtime_end
                                     and cosd <= r.date <= coed}))
        missing = "." if self.legacy_csv else ""
        header = "DATE" if self.legacy_csv else "observation_date"
        dates = sorted({d for _, values in columns for d in values})
        lines = [",".join([header, *ids])]
        for d in dates:
            cells = [s.fmt(values[d], missing) if d in values else missing
                     for s, values in columns]
            lines.append(",".join([str(d), *cells]))
        return Response(200, ("\n".join(lines) + "\n").encode(), "text/csv")


# --------------------------------------------------------------------------- NY Fed server


def _num(x: float) -> float | int:
    """JSON number as the NY Fed writes it: whole numbers without a fraction."""
    return int(x) if float(x).is_integer() else float(x)


class FakeNYFed(FakeServer):
    """The NY Fed Markets API (JSON, keyless): SOFR, EFFR and repo / reverse repo results.

    `url` is the base; clients append "/api/...". Lists come back newest first.
    """

    def __init__(self) -> None:
        super().__init__()
        self._rates: dict[str, dict[dt.date, dict[str, Any]]] = {"sofr": {}, "effr": {}}
        self._ops: dict[str, list[dict[str, Any]]] = {"repo": [], "reverserepo": []}

    def add_sofr(
        self, date: dt.date, rate: float, p1: float, p25: float, p75: float, p99: float,
        volume_bn: float, revision: str = "",
    ) -> None:
        """One SOFR fixing (volume in billions of dollars)."""
        self._rates["sofr"][date] = {
            "effectiveDate": str(date), "type": "SOFR", "percentRate": rate,
            "percentPercentile1": p1, "percentPercentile25": p25,
            "percentPercentile75": p75, "percentPercentile99": p99,
            "volumeInBillions": _num(volume_bn), "revisionIndicator": revision,
        }

    def add_effr(
        self, date: dt.date, rate: float, p1: float, p25: float, p75: float, p99: float,
        volume_bn: float, target_from: float, target_to: float, revision: str = "",
    ) -> None:
        """One EFFR fixing with the FOMC target range."""
        self._rates["effr"][date] = {
            "effectiveDate": str(date), "type": "EFFR", "percentRate": rate,
            "percentPercentile1": p1, "percentPercentile25": p25,
            "percentPercentile75": p75, "percentPercentile99": p99,
            "volumeInBillions": _num(volume_bn), "targetRateFrom": target_from,
            "targetRateTo": target_to, "revisionIndicator": revision,
        }

    def add_operation(
        self, kind: str, date: dt.date, accepted_usd: int, submitted_usd: int | None = None,
        note: str = "", term: str = "Overnight", method: str | None = None, *,
        rate: float = 4.0, term_days: int | None = None, counterparties: int | None = None,
        release_time: str | None = None, close_time: str | None = None,
    ) -> None:
        """One operation result; kind is "repo" or "reverserepo", amounts in dollars.

        method defaults to "Full Allotment" (repo) or "Fixed Rate" (reverse repo);
        overnight operations mature on the next weekday.
        """
        if kind not in self._ops:
            raise ValueError(f"kind must be 'repo' or 'reverserepo', not {kind!r}")
        repo = kind == "repo"
        submitted = accepted_usd if submitted_usd is None else submitted_usd
        if term_days is None:
            term_days = 1
            if term == "Overnight":
                while (date + dt.timedelta(days=term_days)).weekday() >= 5:
                    term_days += 1
        seq = 1 + sum(op["operationDate"] == str(date) for op in self._ops[kind])
        cpty = (0 if submitted == 0 else 2) if counterparties is None else counterparties
        if repo:
            detail: dict[str, Any] = {
                "securityType": "Treasury", "amtSubmitted": submitted,
                "amtAccepted": accepted_usd, "minimumBidRate": rate, "percentHighRate": rate,
                "percentLowRate": rate, "percentStopOutRate": rate,
                "percentWeightedAverageRate": rate,
            }
        else:
            detail = {
                "securityType": "Treasury", "amtSubmitted": submitted,
                "amtAccepted": accepted_usd, "percentOfferingRate": rate,
                "percentAwardRate": rate,
            }
        self._ops[kind].append({
            "operationId": f"{'RP' if repo else 'RRP'} {date:%m%d%y} {seq}",
            "auctionStatus": "Results",
            "operationDate": str(date), "settlementDate": str(date),
            "maturityDate": str(date + dt.timedelta(days=term_days)),
            "operationType": "Repo" if repo else "Reverse Repo",
            "operationMethod": method or ("Full Allotment" if repo else "Fixed Rate"),
            "settlementType": "Same Day", "termCalenderDays": term_days, "term": term,
            "releaseTime": release_time or ("13:30" if repo else "12:45"),
            "closeTime": close_time or ("13:45" if repo else "13:15"),
            "note": note, "totalAmtSubmitted": submitted, "totalAmtAccepted": accepted_usd,
            "participatingCpty": cpty, "acceptedCpty": cpty if accepted_usd else 0,
            "details": [detail],
        })

    # -- answers

    def content_type_for(self, req: RequestRecord) -> str:
        return "application/json"

    def error(self, status: int, message: str, req: RequestRecord) -> Response:
        body = json.dumps({"error": {"code": status, "message": message}}).encode()
        return Response(status, body, "application/json")

    def handle(self, req: RequestRecord) -> Response:
        m = re.fullmatch(
            r"/api/(?:rates/(?:secured/(?P<sofr>sofr)|unsecured/(?P<effr>effr))"
            r"|rp/(?P<rp>repo|reverserepo)/all/results)"
            r"/(?:(?P<search>search)|last/(?P<n>\d+))\.json", req.path)
        if m is None:
            return self.error(404, "Not Found", req)
        if m["n"] is not None:
            n = int(m["n"])
            if n < 1:
                return self.error(400, "Invalid number", req)
            window = None
        else:
            start = _parse_date(req.query.get("startDate"))
            end = _parse_date(req.query["endDate"]) if "endDate" in req.query else LATEST
            if start is None or end is None:
                return self.error(400, "Invalid date", req)
            n, window = None, (start, end)

        def pick(items: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
            # newest first; for one day, the later operation first
            ordered = [it for _, it in sorted(enumerate(items), key=lambda p: (p[1][key], p[0]),
                                              reverse=True)]
            if window is not None:
                lo, hi = str(window[0]), str(window[1])
                ordered = [it for it in ordered if lo <= it[key] <= hi]
            return ordered[:n] if n is not None else ordered

        if m["rp"]:
            ops = pick(self._ops[m["rp"]], "operationDate")
            doc: dict[str, Any] = {"repo": {"operations": ops}}
        else:
            doc = {"refRates": pick(self._rates[m["sofr"] or m["effr"]].values(),
                                    "effectiveDate")}
        return Response(200, json.dumps(doc).encode(), "application/json")


# --------------------------------------------------------------------------- SEC EDGAR server

SEC_UNDECLARED = (
    "Your Request Originates from an Undeclared Automated Tool. To allow for equitable access "
    "to all users, SEC reserves the right to limit requests originating from undeclared "
    "automated tools. Your request has been identified as part of a network of automated "
    "tools outside of the acceptable policy and will be managed until action is taken to "
    "declare your traffic. Please declare your traffic by updating your user agent to "
    "include company specific information."
)
SEC_RATE = (
    "Request Rate Threshold Exceeded. Your request rate exceeds the SEC's fair access "
    "policy; current guidelines limit each user to a total of no more than 10 requests "
    "per second."
)
_AGENT_MAIL = re.compile(r"[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+")


class FakeSEC(FakeServer):
    """SEC EDGAR's data host: /api/xbrl/companyfacts/CIK##########.json and
    /api/xbrl/companyconcept/CIK##########/us-gaap/TAG.json, in SEC's JSON.

    Facts are added per company in SEC's own field names (`add_fact`). As SEC does, a
    request whose User-Agent does not name who asks and an e-mail address gets 403 (turn
    off with `require_agent=False`), an unknown CIK gets 404 (an S3-style XML body), and
    answers are gzip-compressed when the client accepts gzip.
    """

    def __init__(self, *, require_agent: bool = True) -> None:
        super().__init__()
        self.require_agent = require_agent
        self._companies: dict[int, dict[str, Any]] = {}

    def add_company(self, cik: int, name: str) -> None:
        """A filer with no facts yet (its dei block only)."""
        self._companies.setdefault(cik, {"cik": cik, "entityName": name, "facts": {
            "dei": {"EntityCommonStockSharesOutstanding": {
                "label": "Entity Common Stock, Shares Outstanding",
                "description": "Indicate number of shares outstanding.",
                "units": {"shares": []}}},
            "us-gaap": {}}})

    def add_fact(
        self, cik: int, tag: str, *, end: dt.date, val: float | str, accn: str, fy: int, fp: str,
        form: str, filed: dt.date, start: dt.date | None = None, frame: str | None = None,
        unit: str = "USD", taxonomy: str = "us-gaap", label: str | None = None,
    ) -> None:
        """One fact as a filing reported it; `start` None is a value at an instant, and a
        string `val` is served as it is (a broken fact)."""
        if cik not in self._companies:
            self.add_company(cik, f"COMPANY {cik}")
        concepts = self._companies[cik]["facts"].setdefault(taxonomy, {})
        concept = concepts.setdefault(tag, {
            "label": label or re.sub(r"(?<!^)(?=[A-Z])", " ", tag),
            "description": f"The amount of {tag}.", "units": {}})
        fact: dict[str, Any] = {} if start is None else {"start": str(start)}
        if not isinstance(val, str) and float(val).is_integer():
            val = int(val)
        fact.update({"end": str(end), "val": val,
                     "accn": accn, "fy": fy, "fp": fp, "form": form, "filed": str(filed)})
        if frame:
            fact["frame"] = frame
        concept["units"].setdefault(unit, []).append(fact)

    def facts(self, cik: int) -> dict[str, Any]:
        """The company facts document of one filer, as served."""
        return json.loads(json.dumps(self._companies[cik]))

    # -- answers

    def content_type_for(self, req: RequestRecord) -> str:
        return "application/json"

    def error(self, status: int, message: str, req: RequestRecord) -> Response:
        if status == 404:
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
                    "<Message>The specified key does not exist.</Message></Error>")
            return Response(404, body.encode(), "application/xml")
        text = {403: SEC_UNDECLARED, 429: SEC_RATE}.get(status, message)
        return Response(status, _html_page("SEC.gov | " + _phrase(status), _phrase(status),
                                           text), HTML_TYPE)

    def handle(self, req: RequestRecord) -> Response:
        agent = req.headers.get("User-Agent", "")
        if self.require_agent and not (_AGENT_MAIL.search(agent) and len(agent.split()) > 1):
            return self.error(403, "Forbidden", req)
        m = re.fullmatch(r"/api/xbrl/(?:companyfacts/CIK(?P<cik>\d{10})"
                         r"|companyconcept/CIK(?P<ccik>\d{10})/(?P<tax>[\w-]+)/(?P<tag>\w+))"
                         r"\.json", req.path)
        if m is None:
            return self.error(404, "Not Found", req)
        company = self._companies.get(int(m["cik"] or m["ccik"]))
        if company is None:
            return self.error(404, "Not Found", req)
        if m["cik"]:
            doc: dict[str, Any] = company
        else:
            concept = company["facts"].get(m["tax"], {}).get(m["tag"])
            if concept is None:
                return self.error(404, "Not Found", req)
            doc = {"cik": company["cik"], "taxonomy": m["tax"], "tag": m["tag"],
                   "label": concept["label"], "description": concept["description"],
                   "entityName": company["entityName"], "units": concept["units"]}
        body = json.dumps(doc).encode()
        if "gzip" in req.headers.get("Accept-Encoding", ""):
            return Response(200, gzip.compress(body), "application/json",
                            {"Content-Encoding": "gzip"})
        return Response(200, body, "application/json")
