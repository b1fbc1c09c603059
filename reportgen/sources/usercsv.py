"""User CSV files: series and tables that no API has, and `reportgen import` of FRED files.

A user series is declared in the indicator catalog with its file and columns:

    [GOLD]
    source = "csv"
    path = "data/gold.csv"          # relative to the config file
    date_column = "date"
    value_column = "usd_per_oz"

A table (index constituents, loan marks) is declared under [tables.NAME] with its columns
and their types (date, str, float). Files are validated on load; an error names the file
and line and says what to write. A declared file that does not exist is not an error:
the report leaves that series or table out cleanly.

`reportgen import` reads FRED's own CSV downloads (series id from the header) and the
two-column `date,value` form (series id from the file name, e.g. WALCL.csv), for machines
that cannot reach the APIs; `--series ID` loads either under any catalog id instead
(`reportgen import lbma_gold.csv --series GOLD`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pandas as pd

from reportgen.catalog import Catalog, Indicator
from reportgen.errors import CatalogError, MalformedDataError
from reportgen.sources.fredgraph import DATE_HEADERS, parse_csv
from reportgen.sources.validate import clean, parse_date, parse_value

TYPES = ("date", "str", "float")
_EXPECTED = {"date": "YYYY-MM-DD date", "float": "number", "str": "text"}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedDataError(f"{path}: not UTF-8 text; save the file as UTF-8 CSV"
                                 ) from None
    except OSError as exc:
        raise MalformedDataError(f"{path}: cannot read ({exc.strerror})") from None


def _rows(path: Path, text: str, needed: list[str]) -> tuple[list[str], list[tuple[int, dict]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in needed if c not in header]
    if missing:
        raise MalformedDataError(f"{path}: line 1: no column {missing[0]!r} (columns: "
                                 f"{', '.join(header) or 'none'}); fix the header or the "
                                 "catalog entry")
    rows = []
    for row in reader:
        if None in row:
            raise MalformedDataError(f"{path}: line {reader.line_num}: more fields than the "
                                     f"{len(header)} columns of the header")
        if any((v or "").strip() for v in row.values()):
            rows.append((reader.line_num, row))
    return header, rows


def read_series(path: Path, ind: Indicator, today: dt.date) -> pd.Series:
    """A user series from its CSV, validated like any fetched series."""
    date_col = str(ind.extra.get("date_column", "date"))
    value_col = str(ind.extra.get("value_column", "value"))
    _, rows = _rows(path, _read(path), [date_col, value_col])
    return clean(((f"line {n}", r[date_col] or "", r[value_col] or "") for n, r in rows),
                 ind, str(path), today).values


def read_table(path: Path, name: str, spec: dict[str, Any]) -> pd.DataFrame:
    """A user table with declared column types; every cell is checked."""
    columns: dict[str, str] = spec.get("columns", {})
    bad = {c: t for c, t in columns.items() if t not in TYPES}
    if not columns or bad:
        raise CatalogError(f"catalogs/indicators.toml: [tables.{name}] columns must map each "
                           f"column to one of {', '.join(TYPES)}")
    _, rows = _rows(path, _read(path), list(columns))
    if not rows:
        raise MalformedDataError(f"{path}: no rows below the header")
    out: dict[str, list[Any]] = {c: [] for c in columns}
    for number, row in rows:
        for col, kind in columns.items():
            raw = (row[col] or "").strip()
            value: Any = raw
            if kind == "date":
                value = parse_date(raw)
            elif kind == "float":
                value = parse_value(raw)
            if value is None or (kind == "str" and not raw):
                raise MalformedDataError(
                    f"{path}: line {number}: column {col!r} = {raw[:30]!r} is not a valid "
                    f"{_EXPECTED[kind]}")
            out[col].append(value)
    frame = pd.DataFrame(out)
    for col, kind in columns.items():
        if kind == "date":
            frame[col] = pd.to_datetime(frame[col])
    return frame


def import_file(path: Path, catalog: Catalog, today: dt.date, series: str | None = None
                ) -> tuple[str, pd.Series]:
    """One downloaded file: FRED's CSV (id in the header) or date,value (id = file name),
    or either under the catalog id `series` (a vendor's gold prices loaded as GOLD)."""
    text = _read(path)
    first = text.splitlines()[0] if text.strip() else ""
    cells = [c.strip() for c in next(csv.reader([first]), [])]
    if len(cells) != 2 or cells[0].lower() not in DATE_HEADERS:
        raise MalformedDataError(f"{path}: line 1 should be 'observation_date,SERIES' (FRED's "
                                 "download) or 'date,value'; got "
                                 f"{first[:60]!r}")
    if series is not None:
        sid = series
    else:
        sid = path.stem.upper() if cells[1].lower() == "value" else cells[1]
    try:
        ind = catalog.indicator(sid)
    except CatalogError:
        hint = ("pass a catalog id with --series" if series is None else
                "`reportgen indicators` lists them")
        raise CatalogError(f"{path}: series {sid!r} is not in the indicator catalog; add it "
                           f"to catalogs/indicators.toml or {hint}") from None
    body = text.replace(first, f"date,{sid}", 1)
    return sid, parse_csv(body.encode("utf-8"), ind, str(path), today, expect_id=sid)
