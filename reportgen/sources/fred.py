"""FRED with an API key, through fredapi, keeping real-time periods (ALFRED vintages).

fredapi 0.5.2 builds FRED's URLs and parses its XML, but fetches with a bare `urlopen`: no
timeout, no retry, and the API key appended to the URL it raises errors with. This module
keeps fredapi's request building and replaces its one transport method (`Fred.__fetch_data`,
name-mangled to `_Fred__fetch_data`) with reportgen's `Http`, which adds timeouts, retries,
the shared rate budget and redaction. FRED's own `<error>` answers become reportgen errors
that name the series and never the key.

fredapi's `get_series` keeps one value per date and its `get_series_all_releases` drops each
value's realtime_end and cannot limit the observation range, so the observations with their
real-time periods are read by `observations()` below through the same transport, and so
is the series' release calendar (`release_dates()`: `series/release`, then `release/dates`),
which dates the values a first fetch finds before its real-time window, and the schedule of
the key releases ahead (`scheduled_dates()`), which the cover's week ahead reads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import fredapi
import pandas as pd

from reportgen.catalog import Indicator
from reportgen.errors import (
    ConfigError,
    MalformedDataError,
    RetiredSeriesError,
    SourceError,
)
from reportgen.sources.net import Http, HttpStatusError
from reportgen.sources.validate import clean, parse_value
from reportgen.store import SeriesMeta, Vintage

KEY_SHAPE = re.compile(r"^[a-z0-9]{32}$")
PAGE = 100_000  # FRED's maximum observations per request
DATES_PAGE = 10_000  # FRED's maximum release dates per request
SCHEDULE_PAGE = 100  # newest first: a year of weekly releases and what precedes it
EARLIEST = "1776-07-04"
LATEST = "9999-12-31"


def check_key(key: str, origin: str) -> str:
    key = key.strip()
    if not KEY_SHAPE.match(key):
        raise ConfigError(f"{origin}: not a FRED API key (32 lower-case letters and digits); "
                          "get one free at https://fredaccount.stlouisfed.org/apikeys")
    return key


class FredClient(fredapi.Fred):
    """fredapi's FRED client on reportgen's transport."""

    def __init__(self, api_key: str, root_url: str, http: Http) -> None:
        super().__init__(api_key=api_key)
        self.root_url = root_url.rstrip("/")
        self.http = http
        self._local = threading.local()  # the fetch threads share the client

    @property
    def _what(self) -> str:
        """What the current thread is asking for, to name it in errors."""
        return getattr(self._local, "what", "FRED")

    @_what.setter
    def _what(self, value: str) -> None:
        self._local.what = value

    def _Fred__fetch_data(self, url: str) -> ET.Element:
        """fredapi's transport, replaced: same URL and XML, our timeouts and errors."""
        what = self._what
        try:
            body = self.http.get(f"{url}&api_key={self.api_key}", what)
        except HttpStatusError as exc:
            raise _fred_error(exc, what, self.http) from None
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            kind = "an HTML page" if body.lstrip()[:1] == b"<" and b"<html" in body[:500].lower() \
                else "not XML"
            raise MalformedDataError(f"FRED: {what}: the answer was {kind} ({exc}); the API "
                                     "or a proxy in between is misbehaving, try later") from None
        if root.tag.lower() in ("html", "body"):
            raise MalformedDataError(f"FRED: {what}: the answer was an HTML page, not FRED's "
                                     "XML; the API or a proxy in between is misbehaving, try "
                                     "later")
        return root

    def info(self, ind: Indicator) -> SeriesMeta:
        """Series metadata; `last_updated` is the cheap test for "anything new?"."""
        self._what = ind.id
        raw = self.get_series_info(ind.id)
        return SeriesMeta(title=str(raw.get("title", "")), units=str(raw.get("units", "")),
                          frequency=str(raw.get("frequency", "")),
                          seasonal_adjustment=str(raw.get("seasonal_adjustment", "")),
                          notes=str(raw.get("notes", ""))[:4000],
                          source_updated=str(raw.get("last_updated", "")))

    def observations(self, ind: Indicator, realtime_start: dt.date,
                     observation_start: dt.date | None, today: dt.date) -> list[Vintage]:
        """Every value of the series whose real-time period overlaps [realtime_start, now],
        with FRED's realtime_start/realtime_end, page by page."""
        self._what = ind.id
        base = (f"{self.root_url}/series/observations?series_id={ind.id}"
                f"&realtime_start={realtime_start.isoformat()}&realtime_end={LATEST}"
                f"&limit={PAGE}&sort_order=asc")
        if observation_start is not None:
            base += f"&observation_start={observation_start.isoformat()}"
        rows: list[Vintage] = []
        warnings: list[str] = []
        offset = 0
        while True:
            root = self._Fred__fetch_data(base + (f"&offset={offset}" if offset else ""))
            page = _vintage_rows(root, ind, today)
            rows.extend(page.rows)
            warnings.extend(page.warnings)
            count = page.count
            offset += page.seen
            if page.seen == 0 or offset >= count:
                break
        if not rows:
            raise MalformedDataError(f"FRED: {ind.id}: the answer had no usable observations"
                                     + (f" ({warnings[0]})" if warnings else "")
                                     + "; check that the series still exists on FRED")
        return rows

    def release_of(self, ind: Indicator) -> str:
        """The id of FRED's release that carries this series (`series/release`)."""
        self._what = f"{ind.id} release"
        root = self._Fred__fetch_data(f"{self.root_url}/series/release?series_id={ind.id}")
        release = root.find("release") if root.tag == "releases" else None
        rid = release.get("id", "") if release is not None else ""
        if not rid.isdigit():
            raise MalformedDataError(f"FRED: {ind.id}: expected <releases> naming the "
                                     f"series' release, got <{root.tag}>")
        return rid

    def scheduled_dates(self, rid: str, since: dt.date, what: str) -> list[dt.date]:
        """The days from `since` on that release `rid` is scheduled to be published:
        `release/dates` with include_release_dates_with_no_data=true lists the agency's
        schedule ahead of the data. Newest first, page by page, until a page reaches back
        before `since` (the real-time period does not filter release dates)."""
        self._what = f"{what} release {rid} schedule"
        days: list[dt.date] = []
        offset = 0
        while True:
            root = self._Fred__fetch_data(
                f"{self.root_url}/release/dates?release_id={rid}&sort_order=desc"
                f"&include_release_dates_with_no_data=true&limit={SCHEDULE_PAGE}"
                f"&offset={offset}")
            if root.tag != "release_dates":
                raise MalformedDataError(f"FRED: {what}: expected <release_dates>, got "
                                         f"<{root.tag}>")
            page = [_real_time((c.text or "").strip()) for c in root if c.tag == "release_date"]
            if None in page:
                raise MalformedDataError(f"FRED: {what}: release {rid} has a release date "
                                         "that is not YYYY-MM-DD")
            days += [d for d in page if d is not None and d >= since]
            offset += len(page)
            if len(page) < SCHEDULE_PAGE or any(d is not None and d < since for d in page):
                return sorted(set(days))

    def release_dates(self, ind: Indicator) -> list[dt.date]:
        """The days the release that carries this series was published, oldest first."""
        rid = self.release_of(ind)
        self._what = f"{ind.id} release {rid} dates"
        days: list[dt.date] = []
        while True:
            root = self._Fred__fetch_data(
                f"{self.root_url}/release/dates?release_id={rid}&sort_order=asc"
                f"&limit={DATES_PAGE}&offset={len(days)}")
            if root.tag != "release_dates":
                raise MalformedDataError(f"FRED: {ind.id}: expected <release_dates>, got "
                                         f"<{root.tag}>")
            page = [c.text or "" for c in root if c.tag == "release_date"]
            for text in page:
                day = _real_time(text.strip())
                if day is None:
                    raise MalformedDataError(f"FRED: {ind.id}: release {rid} has a release "
                                             f"date {text[:20]!r} that is not YYYY-MM-DD")
                days.append(day)
            try:
                count = int(root.get("count", len(days)))
            except ValueError:
                count = len(days)
            if not page or len(days) >= count:
                return days

    def vintage(self, ind: Indicator, as_of: dt.date, today: dt.date) -> pd.Series:
        """The whole series as it stood on `as_of`: one request with realtime_start =
        realtime_end = as_of, instead of downloading every release and filtering."""
        self._what = f"{ind.id} as of {as_of}"
        raw = self.get_series(ind.id, realtime_start=as_of.isoformat(),
                              realtime_end=as_of.isoformat())
        rows = ((f"observation {i + 1}", d.date().isoformat(),
                 "." if pd.isna(v) else repr(float(v))) for i, (d, v) in enumerate(raw.items()))
        return clean(rows, ind, f"FRED: {ind.id} as of {as_of}", today,
                     allow_empty=True).values


@dataclass
class _Page:
    rows: list[Vintage]
    count: int
    seen: int
    warnings: list[str]


def _vintage_rows(root: ET.Element, ind: Indicator, today: dt.date) -> _Page:
    """Rows of one `<observations>` page, checked like every other source's values."""
    if root.tag != "observations":
        raise MalformedDataError(f"FRED: {ind.id}: expected <observations>, got <{root.tag}>")
    children = [c for c in root if c.tag == "observation"]
    keyed: dict[tuple[str, str], dict[str, Any]] = {}
    places = []
    for i, child in enumerate(children):
        start, end = child.get("realtime_start", ""), child.get("realtime_end", "")
        key = (child.get("date", ""), start)
        if key in keyed and keyed[key]["value"] != child.get("value"):
            raise MalformedDataError(f"FRED: {ind.id}: observation {key[0]} appears twice for "
                                     f"real-time start {start} with different values")
        keyed[key] = {"start": start, "end": end, "value": child.get("value")}
        places.append((f"observation {i + 1}", key, child.get("value")))
    cleaned = clean(((p, k[0], v) for p, k, v in places), ind, f"FRED: {ind.id}", today,
                    allow_empty=True, vintages=True)
    good_dates = {d.date().isoformat() for d in cleaned.values.index}
    rows = []
    for (date, _start), raw in keyed.items():
        if date not in good_dates:
            continue
        value = _float(raw["value"])
        begin, finish = _real_time(raw["start"]), _real_time(raw["end"])
        if value is None or begin is None or (raw["end"] != LATEST and finish is None):
            continue  # "." in one vintage, or a real-time date that does not parse
        rows.append(Vintage(dt.date.fromisoformat(date), value, begin,
                            None if raw["end"] == LATEST else finish))
    try:
        count = int(root.get("count", len(children)))
    except ValueError:
        count = len(children)
    return _Page(rows, count, len(children), cleaned.warnings)


def _float(text: str | None) -> float | None:
    return parse_value(text) if text not in (None, ".", "") else None


def _real_time(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _fred_error(exc: HttpStatusError, what: str, http: Http) -> SourceError:
    """FRED's `<error code=".." message=".."/>` as a reportgen error, key redacted."""
    message = ""
    with contextlib.suppress(ET.ParseError):
        message = ET.fromstring(exc.body).get("message", "")
    message = http.redact(" ".join(message.split())) or f"HTTP {exc.status}"
    if "api_key" in message:
        return ConfigError(f"FRED rejected the API key ({message}); check FRED_API_KEY or "
                           "data.fred_api_key")
    if "series does not exist" in message.lower():
        return RetiredSeriesError(f"FRED: series {what!r} does not exist ({message})")
    return SourceError(f"FRED: {what}: {message} (HTTP {exc.status})")


def series_frame(rows: list[Vintage]) -> pd.DataFrame:
    """Vintage rows as a frame, for tests and inspection."""
    return pd.DataFrame([(r.date, r.start, r.end, r.value) for r in rows],
                        columns=["date", "realtime_start", "realtime_end", "value"])
