"""The New York Fed's Markets Data API (JSON, no key): reference rates and repo operations.

The Desk publishes SOFR with its volume percentiles and volume, EFFR, and the results of
its repo and reverse-repo operations the same day; FRED lacks the percentiles and lags
by a day. Which series comes from which answer is data, in the indicator catalog:

    nyfed_endpoint = "rates/secured/sofr"          # /api/<endpoint>/search.json
    nyfed_field    = "percentPercentile1"           # the field of each record
    nyfed_scale    = 1e-9                           # optional: dollars -> billions

Rates arrive as `refRates[]` records keyed by `effectiveDate`; operations as
`repo.operations[]` keyed by `operationDate`, summed over the day's operations (the
standing repo facility holds two a day) and leaving out the Desk's small-value exercises.
Every series of one endpoint comes from one request.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from reportgen.catalog import Indicator
from reportgen.errors import MalformedDataError, SourceError
from reportgen.sources.net import Http, HttpStatusError
from reportgen.sources.validate import clean

FIRST_DATES = {"rates/secured/sofr": dt.date(2018, 4, 2),
               "rates/unsecured/effr": dt.date(2016, 3, 1)}
DEFAULT_FIRST = dt.date(2016, 1, 1)


def endpoint(ind: Indicator) -> str:
    return str(ind.extra.get("nyfed_endpoint", "")).strip("/")


def first_date(name: str) -> dt.date:
    return FIRST_DATES.get(name, DEFAULT_FIRST)


def fetch_endpoint(http: Http, base_url: str, name: str, series: list[Indicator],
                   start: dt.date, today: dt.date) -> dict[str, pd.Series]:
    """One request for every series of `name`, from `start` to today."""
    url = http.url(f"{base_url.rstrip('/')}/api/{name}/search.json",
                   {"startDate": start.isoformat(), "endDate": today.isoformat()})
    ids = ", ".join(i.id for i in series)
    try:
        body = http.get(url, ids)
    except HttpStatusError as exc:
        raise SourceError(f"New York Fed: {ids}: HTTP {exc.status} from {exc.url}") from None
    where = f"New York Fed {name}"
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        kind = "an HTML page" if body.lstrip()[:1] == b"<" else "not JSON"
        raise MalformedDataError(f"{where}: the answer was {kind} ({exc}); try later"
                                 ) from None
    records, date_key = _records(payload, where)
    return {ind.id: _series(records, date_key, ind, where, today) for ind in series}


def _records(payload: Any, where: str) -> tuple[list[dict[str, Any]], str]:
    if isinstance(payload, dict) and isinstance(payload.get("refRates"), list):
        return payload["refRates"], "effectiveDate"
    ops = payload.get("repo", {}).get("operations") if isinstance(payload, dict) else None
    if isinstance(ops, list):
        kept = [op for op in ops if isinstance(op, dict)
                and "small value" not in str(op.get("note", "")).lower()
                and str(op.get("auctionStatus", "Results")) == "Results"]
        return kept, "operationDate"
    raise MalformedDataError(f"{where}: expected refRates[] or repo.operations[] in the "
                             "answer; the API may have changed")


def _series(records: Iterable[dict[str, Any]], date_key: str, ind: Indicator, where: str,
            today: dt.date) -> pd.Series:
    field = str(ind.extra.get("nyfed_field", "percentRate"))
    scale = float(ind.extra.get("nyfed_scale", 1.0))
    by_date: dict[str, float] = {}
    bad: list[tuple[str, object, object]] = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            bad.append((f"record {i + 1}", "", "not an object"))
            continue
        date, value = str(rec.get(date_key, "")), rec.get(field)
        if date_key == "operationDate":  # operations add up within a day
            if isinstance(value, int | float) and not isinstance(value, bool):
                by_date[date] = by_date.get(date, 0.0) + float(value)
            else:
                bad.append((f"record {i + 1}", date, value))
            continue
        if date in by_date:
            raise MalformedDataError(f"{where}: {date} appears twice in the answer")
        if isinstance(value, int | float) and not isinstance(value, bool):
            by_date[date] = float(value)
        else:
            bad.append((f"record {i + 1}", date, value if value is not None else ""))
    rows = [(f"{date_key} {d}", d, repr(v * scale)) for d, v in sorted(by_date.items())]
    return clean(rows + bad, ind, f"{where} ({ind.id}.{field})", today).values
