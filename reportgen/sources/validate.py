"""Checks every observation before it may reach the store.

One set of rules for every source, so FRED's XML, a fredgraph CSV, the New York Fed's JSON,
a user's CSV and an imported file are held to the same standard:

- a missing-value marker ("." or an empty field) is skipped silently: that is how FRED
  says "no value for this date" (holidays, the October 2025 CPI);
- a value that is not a finite number, or a date that does not parse, is skipped with a
  warning that names where it was;
- dates that cannot belong to the series (a monthly date not on the 1st, a date more than
  a year ahead) are skipped with a warning;
- a date given twice with different values is an error: which one is right is unknowable;
- an answer with no usable value at all is an error.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from reportgen.catalog import Indicator
from reportgen.errors import MalformedDataError

log = logging.getLogger(__name__)

MISSING = frozenset({"", ".", "NA", "N/A", "#N/A", "nan", "NaN"})
MAX_WARNINGS_SHOWN = 3


@dataclass
class Cleaned:
    values: pd.Series
    warnings: list[str] = field(default_factory=list)
    missing: int = 0


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None


def parse_value(text: object) -> float | None:
    """A finite float, or None for anything else (the caller knows if it was a marker)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        value = float(text)
    else:
        try:
            value = float(str(text).strip().replace(",", ""))
        except ValueError:
            return None
    return value if math.isfinite(value) else None


def _date_fits(date: dt.date, frequency: str) -> bool:
    if frequency == "monthly":
        return date.day == 1
    if frequency == "quarterly":
        return date.day == 1 and date.month in (1, 4, 7, 10)
    return True


def clean(rows: Iterable[tuple[str, object, object]], ind: Indicator, where: str,
          today: dt.date, allow_empty: bool = False, vintages: bool = False) -> Cleaned:
    """Turn (place, date text, value text) rows into a clean float series.

    `place` says where a row came from ("line 14"), for warnings and errors; `where` names
    the answer or file as a whole. With `vintages` a date may repeat (one row per real-time
    period; the caller checks those keys) and the series keeps its last value.
    """
    latest_ok = today + dt.timedelta(days=366)
    out: dict[dt.date, float] = {}
    seen_at: dict[dt.date, str] = {}
    warnings: list[str] = []
    missing = 0
    for place, date_text, value_text in rows:
        date = parse_date(str(date_text))
        if date is None:
            warnings.append(f"{place}: {str(date_text)[:30]!r} is not a date (YYYY-MM-DD)")
            continue
        if (isinstance(value_text, str) and value_text.strip() in MISSING) or value_text is None:
            missing += 1
            continue
        value = parse_value(value_text)
        if value is None:
            warnings.append(f"{place}: {str(value_text)[:30]!r} on {date} is not a number")
            continue
        if date > latest_ok or date.year < 1776 or not _date_fits(date, ind.frequency):
            warnings.append(f"{place}: {date} cannot be a {ind.frequency} observation")
            continue
        if date in out and out[date] != value and not vintages:
            raise MalformedDataError(
                f"{where}: date {date} appears twice with different values ({seen_at[date]}: "
                f"{out[date]:g}, {place}: {value:g}); fix the data or remove one row")
        out[date] = value
        seen_at.setdefault(date, place)
    if not out and not allow_empty:
        raise MalformedDataError(f"{where}: no usable observations"
                                 + (f" ({warnings[0]})" if warnings else "")
                                 + f"; check that {ind.id} is the right series")
    if warnings:
        shown = "; ".join(warnings[:MAX_WARNINGS_SHOWN])
        more = len(warnings) - MAX_WARNINGS_SHOWN
        log.warning("%s: skipped %d value(s): %s%s", where, len(warnings), shown,
                    f" (and {more} more)" if more > 0 else "")
    index = pd.DatetimeIndex(sorted(out), name="date")
    values = pd.Series([out[d.date()] for d in index], index=index, name=ind.id,
                       dtype="float64")
    return Cleaned(values, warnings, missing)
