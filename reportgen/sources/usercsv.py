"""User CSV files: series and tables that no API has, and `reportgen import` of FRED files.

A user series is declared in the indicator catalog with its file and columns:

    [GOLD]
    source = "csv"
    path = "data/gold.csv"          # relative to the config file
    date_column = "date"
    value_column = "usd_per_oz"

A table (index constituents, loan marks) is declared under [tables.NAME] with its columns
and their types (date, str, float), optional columns read when the file has them, and
rules: `unique` columns, a `range` per column, `sums` per date (see validate.check_table).
Files are validated on load; an error names the file, the line and the rule broken. A
declared file that does not exist is not an error: the report leaves that series or table
out cleanly.

`reportgen import` reads FRED's own CSV downloads (series id from the header) and the
two-column `date,value` form (series id from the file name, e.g. WALCL.csv), for machines
that cannot reach the APIs; `--series ID` loads either under any catalog id instead
(`reportgen import lbma_gold.csv --series GOLD`). Files are read as a stream: memory does
not grow with the number of rows, only with the number of distinct dates.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from reportgen.catalog import Catalog, Indicator
from reportgen.errors import CatalogError, MalformedDataError
from reportgen.sources.fredgraph import DATE_HEADERS, parse_lines
from reportgen.sources.validate import (
    ambiguous,
    ambiguous_error,
    check_header,
    check_table,
    clean,
    parse_date,
    parse_value,
    table_rules,
)

TYPES = ("date", "str", "float")
_EXPECTED = {"date": "YYYY-MM-DD date", "float": "number", "str": "text"}


@contextlib.contextmanager
def _open(path: Path) -> Iterator[IO[str]]:
    """The file as UTF-8 text, read lazily; decoding and reading errors name the file."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise MalformedDataError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        with handle:
            yield handle
    except UnicodeDecodeError:
        raise MalformedDataError(f"{path}: not UTF-8 text; save the file as UTF-8 CSV"
                                 ) from None
    except OSError as exc:
        raise MalformedDataError(f"{path}: cannot read ({exc.strerror})") from None


def _rows(path: Path, handle: IO[str], needed: list[str]
          ) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    reader = csv.DictReader(handle)
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in needed if c not in header]
    if missing:
        raise MalformedDataError(f"{path}: line 1: no column {missing[0]!r} (columns: "
                                 f"{', '.join(header) or 'none'}); fix the header or the "
                                 "catalog entry")

    def rows() -> Iterator[tuple[int, dict]]:
        for row in reader:
            if None in row:
                raise MalformedDataError(f"{path}: line {reader.line_num}: more fields than "
                                         f"the {len(header)} columns of the header (decimal "
                                         "commas?)")
            if any((v or "").strip() for v in row.values()):
                yield reader.line_num, row

    return header, rows()


def read_series(path: Path, ind: Indicator, today: dt.date) -> pd.Series:
    """A user series from its CSV, validated like any fetched series."""
    date_col = str(ind.extra.get("date_column", "date"))
    value_col = str(ind.extra.get("value_column", "value"))
    with _open(path) as handle:
        _, rows = _rows(path, handle, [date_col, value_col])
        return clean(((f"line {n}", r[date_col] or "", r[value_col] or "") for n, r in rows),
                     ind, str(path), today).values


def read_table(path: Path, name: str, spec: dict[str, Any]) -> pd.DataFrame:
    """A user table with declared column types and rules; every cell is checked."""
    columns: dict[str, str] = spec.get("columns", {})
    optional: dict[str, str] = spec.get("optional", {})
    bad = {c: t for c, t in {**columns, **optional}.items() if t not in TYPES}
    if not columns or bad:
        raise CatalogError(f"catalogs/indicators.toml: [tables.{name}] columns must map each "
                           f"column to one of {', '.join(TYPES)}")
    table_rules(name, spec)
    with _open(path) as handle:
        header, rows = _rows(path, handle, list(columns))
        check_header(path, name, spec, header)
        kinds = {**columns, **{c: t for c, t in optional.items() if c in header}}
        out: dict[str, list[Any]] = {c: [] for c in kinds}
        lines: list[int] = []
        for number, row in rows:
            for col, kind in kinds.items():
                out[col].append(_cell(path, number, col, kind, (row[col] or "").strip()))
            lines.append(number)
    if not lines:
        raise MalformedDataError(f"{path}: no rows below the header")
    frame = pd.DataFrame(out)
    for col, kind in kinds.items():
        if kind == "date":
            frame[col] = pd.to_datetime(frame[col])
    check_table(path, name, spec, frame, lines)
    return frame


def _cell(path: Path, number: int, col: str, kind: str, raw: str) -> Any:
    value: Any = raw
    if kind == "date":
        value = parse_date(raw)
    elif kind == "float":
        if ambiguous(raw):
            raise ambiguous_error(str(path), f"line {number}: column {col!r}", raw)
        value = parse_value(raw)
    if value is None or (kind == "str" and not raw):
        raise MalformedDataError(f"{path}: line {number}: column {col!r} = {raw[:30]!r} is "
                                 f"not a valid {_EXPECTED[kind]}")
    return value


def import_file(path: Path, catalog: Catalog, today: dt.date, series: str | None = None
                ) -> tuple[str, pd.Series]:
    """One downloaded file: FRED's CSV (id in the header) or date,value (id = file name),
    or either under the catalog id `series` (a vendor's gold prices loaded as GOLD)."""
    with _open(path) as handle:
        first = handle.readline()
        cells = [c.strip() for c in next(csv.reader([first]), [])]
        if len(cells) != 2 or cells[0].lower() not in DATE_HEADERS:
            raise MalformedDataError(f"{path}: line 1 should be 'observation_date,SERIES' "
                                     "(FRED's download) or 'date,value'; got "
                                     f"{first.strip()[:60]!r}")
        if series is not None:
            sid = series
        else:
            sid = path.stem.upper() if cells[1].lower() == "value" else cells[1]
        try:
            ind = catalog.indicator(sid)
        except CatalogError:
            hint = ("pass a catalog id with --series, or rename the file to a known id"
                    if series is None else "`reportgen indicators` lists them")
            raise CatalogError(f"{path}: series {sid!r} is not in the indicator catalog; add "
                               f"it to catalogs/indicators.toml or {hint}") from None
        _check_complete(path)
        lines = itertools.chain([f"date,{sid}\n"], handle)
        return sid, parse_lines(lines, ind, str(path), today, expect_id=sid)


def _check_complete(path: Path) -> None:
    """A file that stops in the middle of a line was cut short (a broken download)."""
    with path.open("rb") as raw:
        raw.seek(0, 2)
        size = raw.tell()
        raw.seek(max(0, size - 1))
        last = raw.read(1)
        raw.seek(0)
        several = raw.readline() and raw.read(1)
    if several and last not in (b"\n", b"\r"):
        raise MalformedDataError(f"{path}: the file ends in the middle of a line; it was cut "
                                 "short, download it again")
