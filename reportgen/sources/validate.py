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
- a number written with a comma ("1,234", or a decimal-comma export's "4,1") is an error:
  a thousands separator and a decimal comma differ by a factor of 1000 and cannot be told
  apart;
- a value outside the series' plausible bounds (`bounds = [low, high]` in the indicator
  catalog, else the default for its unit, see DEFAULT_BOUNDS) refuses the whole answer:
  an absurd value says the answer cannot be trusted, and it must never reach the store;
- an answer with no usable value at all is an error.

User tables are checked against the rules of their [tables.NAME] entry (`check_table`).
Rows are consumed as they come, so a file of millions of rows is never held whole: what is
kept is one value per distinct date (a daily series has at most ~90,000 since 1776) and
the first few warnings.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reportgen.catalog import Indicator
from reportgen.errors import CatalogError, ImplausibleDataError, MalformedDataError

log = logging.getLogger(__name__)

MISSING = frozenset({"", ".", "NA", "N/A", "#N/A", "nan", "NaN"})
MAX_WARNINGS_SHOWN = 3
MAX_WARNINGS_KEPT = 20
INF = math.inf
# What a value of each unit can plausibly be, unless the catalog entry says `bounds`.
DEFAULT_BOUNDS: dict[str, tuple[float, float]] = {
    "percent": (-20.0, 100.0),      # rates, spreads, shares
    "index": (-1_000.0, 1_000_000.0),  # price and diffusion indexes; NFCI-style ones < 0
    "usd_mn": (0.0, 100_000_000.0),    # stocks of dollars: up to $100 trillion
    "usd_bn": (0.0, 100_000.0),
    "usd": (0.0, 10_000_000.0),        # prices
    "thousands": (0.0, 10_000_000.0),  # counts of people or units
    "number": (-1e12, 1e12),
    "bp": (-1_000.0, 10_000.0),
    "ratio": (-1_000.0, 1_000.0),
    "flag": (0.0, 1.0),
}


@dataclass
class Cleaned:
    values: pd.Series
    warnings: list[str] = field(default_factory=list)  # the first MAX_WARNINGS_KEPT
    missing: int = 0
    skipped: int = 0


def bounds(ind: Indicator) -> tuple[float, float]:
    """The plausible range of a series: its catalog `bounds`, else its unit's default."""
    raw = ind.extra.get("bounds")
    if raw is None:
        return DEFAULT_BOUNDS.get(ind.units, (-INF, INF))
    ok = (isinstance(raw, list) and len(raw) == 2
          and all(isinstance(x, int | float) and not isinstance(x, bool) for x in raw)
          and not any(math.isnan(x) for x in raw) and raw[0] < raw[1])
    if not ok:
        raise CatalogError(f"indicator catalog line {ind.line}: [{ind.id}] bounds = {raw!r}; "
                           "write bounds = [low, high] with low < high (inf allowed)")
    return float(raw[0]), float(raw[1])


def _range_text(lo: float, hi: float) -> str:
    if hi == INF:
        return f"at least {lo:g}"
    if lo == -INF:
        return f"at most {hi:g}"
    return f"between {lo:g} and {hi:g}"


def plausible(values: pd.Series, ind: Indicator) -> pd.Series:
    """A boolean mask: which values lie within the series' bounds."""
    lo, hi = bounds(ind)
    return (values >= lo) & (values <= hi)


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else None
    except ValueError:
        return None


def parse_value(text: object) -> float | None:
    """A finite float, or None for anything else (the caller knows if it was a marker).
    A number with a comma is not one: see `ambiguous`."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        value = float(text)
    else:
        try:
            value = float(str(text).strip())
        except ValueError:
            return None
    return value if math.isfinite(value) else None


def ambiguous(text: object) -> bool:
    """'1,234' or '4,1': a thousands separator or a decimal comma, which cannot be told."""
    return isinstance(text, str) and "," in text and any(c.isdigit() for c in text)


def ambiguous_error(where: str, place: str, text: object) -> MalformedDataError:
    return MalformedDataError(
        f"{where}: {place}: {str(text).strip()[:30]!r} is ambiguous (a thousands separator "
        "or a decimal comma?); export plain numbers such as 1234.5, without separators")


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
    lo, hi = bounds(ind)
    out: dict[dt.date, float] = {}
    seen_at: dict[dt.date, str] = {}
    warnings: list[str] = []
    missing = skipped = 0

    def skip(text: str) -> None:
        nonlocal skipped
        skipped += 1
        if len(warnings) < MAX_WARNINGS_KEPT:
            warnings.append(text)

    for place, date_text, value_text in rows:
        date = parse_date(str(date_text))
        if date is None:
            skip(f"{place}: {str(date_text)[:30]!r} is not a date (YYYY-MM-DD)")
            continue
        if (isinstance(value_text, str) and value_text.strip() in MISSING) or value_text is None:
            missing += 1
            continue
        if ambiguous(value_text):
            raise ambiguous_error(where, place, value_text)
        value = parse_value(value_text)
        if value is None:
            skip(f"{place}: {str(value_text)[:30]!r} on {date} is not a number")
            continue
        if date > latest_ok or date.year < 1776 or not _date_fits(date, ind.frequency):
            skip(f"{place}: {date} cannot be a {ind.frequency} observation")
            continue
        if not lo <= value <= hi:
            raise ImplausibleDataError(
                f"{where}: {ind.id} on {date} = {value:g} ({place}) is not plausible for "
                f"{ind.units} ({_range_text(lo, hi)}); the answer was refused (if the value "
                f"is real, set bounds for [{ind.id}] in the indicator catalog)")
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
    if skipped:
        shown = "; ".join(warnings[:MAX_WARNINGS_SHOWN])
        more = skipped - min(MAX_WARNINGS_SHOWN, len(warnings))
        log.warning("%s: skipped %d value(s): %s%s", where, skipped, shown,
                    f" (and {more} more)" if more > 0 else "")
    index = pd.DatetimeIndex(sorted(out), name="date")
    values = pd.Series([out[d.date()] for d in index], index=index, name=ind.id,
                       dtype="float64")
    return Cleaned(values, warnings, missing, skipped)


# -- user tables ---------------------------------------------------------------------------

RULES = ("unique", "range", "sums", "one_of", "min_rows")


def table_rules(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The checks declared for a table, validated: a bad rule is a catalog error."""
    where = f"indicator catalog: [tables.{name}]"
    columns = set(spec.get("columns", {})) | set(spec.get("optional", {}))
    unique = spec.get("unique", [])
    if not isinstance(unique, list) or not all(c in columns for c in unique):
        raise CatalogError(f"{where}: unique must list declared columns, got {unique!r}")
    for rule in ("range", "sums"):
        table = spec.get(rule, {})
        if not isinstance(table, dict) or not all(
                c in columns and isinstance(v, list) and len(v) == 2
                and all(isinstance(x, int | float) for x in v) and v[0] <= v[1]
                for c, v in table.items()):
            raise CatalogError(f"{where}: {rule} must map declared columns to [low, high], "
                               f"got {table!r}")
    one_of = spec.get("one_of", [])
    if not isinstance(one_of, list) or not all(c in columns for c in one_of):
        raise CatalogError(f"{where}: one_of must list declared columns, got {one_of!r}")
    min_rows = spec.get("min_rows", 0)
    if not isinstance(min_rows, int) or min_rows < 0:
        raise CatalogError(f"{where}: min_rows must be a whole number, got {min_rows!r}")
    return {"unique": unique, "range": spec.get("range", {}), "sums": spec.get("sums", {}),
            "one_of": one_of, "min_rows": min_rows}


def check_header(path: object, name: str, spec: dict[str, Any], header: list[str]) -> None:
    """A table that needs one of several columns (weights or market caps) has one."""
    one_of = table_rules(name, spec)["one_of"]
    if one_of and not any(c in header for c in one_of):
        raise MalformedDataError(
            f"{path}: line 1: needs a column {' or '.join(repr(c) for c in one_of)} (columns: "
            f"{', '.join(header) or 'none'}; rule: [tables.{name}] one_of in the indicator "
            "catalog)")


def check_table(path: object, name: str, spec: dict[str, Any], frame: pd.DataFrame,
                lines: list[int]) -> None:
    """Each rule of [tables.NAME] on the rows read; the first broken one is an error that
    names the file, the line and the rule. `lines[i]` is the file line of row i."""
    rules = table_rules(name, spec)
    rule_of = f"[tables.{name}] {{}} in the indicator catalog"
    for col, (lo, hi) in rules["range"].items():
        if col not in frame:
            continue
        for i, value in enumerate(frame[col]):
            if not lo <= value <= hi:
                raise MalformedDataError(
                    f"{path}: line {lines[i]}: {col} = {value:g} must be "
                    f"{_range_text(float(lo), float(hi))} (rule: {rule_of.format('range')})")
    if rules["unique"]:
        seen: dict[tuple, int] = {}
        for i, key in enumerate(zip(*(frame[c] for c in rules["unique"]), strict=True)):
            if key in seen:
                raise MalformedDataError(
                    f"{path}: line {lines[i]}: repeats line {lines[seen[key]]} (same "
                    f"{', '.join(rules['unique'])}; rule: {rule_of.format('unique')}); "
                    "remove the duplicate")
            seen[key] = i
    for col, (lo, hi) in rules["sums"].items():
        if col not in frame:
            continue
        groups = frame.groupby("date", sort=False) if "date" in frame else [(None, frame)]
        for when, group in groups:
            total = float(group[col].sum())
            if not lo <= total <= hi:
                on = f" on {pd.Timestamp(when).date()}" if when is not None else ""
                raise MalformedDataError(
                    f"{path}: line {lines[group.index[0]]}: {col}{on} sums to {total:g}, "
                    f"not {_range_text(float(lo), float(hi))} "
                    f"(rule: {rule_of.format('sums')})")
    if rules["min_rows"]:
        groups = frame.groupby("date", sort=False) if "date" in frame else [(None, frame)]
        for when, group in groups:
            if len(group) < rules["min_rows"]:
                on = f" on {pd.Timestamp(when).date()}" if when is not None else ""
                raise MalformedDataError(
                    f"{path}: line {lines[group.index[0]]}: {len(group)} row(s){on}, fewer "
                    f"than {rules['min_rows']}: list the whole index, not only its largest "
                    f"names (rule: {rule_of.format('min_rows')})")
