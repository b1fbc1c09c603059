"""FRED without a key: the public `fredgraph.csv?id=SERIES` download.

A new user gets real data with no sign-up. The answer is today's values only (no
vintages, no metadata); `cosd` (observation start) keeps an incremental fetch to a short
window. Both of FRED's CSV layouts are read: `observation_date,SERIES` with empty fields
for missing values (since 2024) and the older `DATE,SERIES` with ".".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator

import pandas as pd

from reportgen.catalog import Indicator
from reportgen.errors import MalformedDataError, RetiredSeriesError, SourceError
from reportgen.sources.net import Http, HttpStatusError
from reportgen.sources.validate import clean

DATE_HEADERS = ("observation_date", "date")


def fetch_csv(http: Http, base_url: str, ind: Indicator, start: dt.date | None,
              today: dt.date) -> pd.Series:
    """Today's values of one series from `start` on (all history when None)."""
    params = {"id": ind.id}
    if start is not None:
        params["cosd"] = start.isoformat()
    try:
        body = http.get(http.url(base_url, params), ind.id)
    except HttpStatusError as exc:
        if exc.status == 404:
            raise RetiredSeriesError(f"FRED: series {ind.id!r} does not exist (fredgraph "
                                     "answered 404)") from None
        raise SourceError(f"FRED CSV: {ind.id}: HTTP {exc.status} from {exc.url}") from None
    return parse_csv(body, ind, f"FRED CSV for {ind.id}", today, expect_id=ind.id)


def parse_csv(body: bytes, ind: Indicator, where: str, today: dt.date,
              expect_id: str | None = None) -> pd.Series:
    """A two-column FRED CSV (date, value) as a clean series; malformed answers raise."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedDataError(f"{where}: not UTF-8 text; expected a CSV") from None
    if text.lstrip()[:1] == "<":
        raise MalformedDataError(f"{where}: got an HTML page instead of a CSV; the site or a "
                                 "proxy in between is misbehaving, try later")
    if not text.endswith("\n") and "\n" in text.strip():
        raise MalformedDataError(f"{where}: the CSV ends in the middle of a line; the answer "
                                 "was cut short, try again")
    return parse_lines(io.StringIO(text, newline=""), ind, where, today, expect_id)


def parse_lines(lines: Iterable[str], ind: Indicator, where: str, today: dt.date,
                expect_id: str | None = None) -> pd.Series:
    """The same from lines as they are read (a file of millions of rows is never whole)."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header or len(header) < 2 or header[0].strip().lower() not in DATE_HEADERS:
        raise MalformedDataError(f"{where}: line 1 should be 'observation_date,{ind.id}', "
                                 f"got {','.join(header or [])[:60]!r}")
    if expect_id and header[1].strip() != expect_id:
        raise MalformedDataError(f"{where}: the CSV is for {header[1].strip()!r}, not "
                                 f"{expect_id!r}")

    def rows() -> Iterator[tuple[str, str, str]]:
        for number, row in enumerate(reader, start=2):
            if not row or not "".join(row).strip():
                continue
            if len(row) != 2:
                raise MalformedDataError(f"{where}: line {number} has {len(row)} fields, "
                                         "expected 2 (date,value); the answer may be "
                                         "truncated, or written with decimal commas")
            yield f"line {number}", row[0], row[1]

    return clean(rows(), ind, where, today).values
