"""Indicator and event catalogs: what the report knows about each series, kept as data."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.content import ContentPaths, as_content
from reportgen.errors import CatalogError
from reportgen.releases import ReleaseCalendar, load_releases

UNITS = ("percent", "index", "usd_mn", "usd_bn", "usd", "thousands", "number", "bp", "ratio",
         "flag")
FREQUENCIES = ("daily", "daily7", "weekly_wed", "weekly_fri", "weekly_sat", "monthly",
               "quarterly")
SOURCES = ("fred", "nyfed", "csv")


@dataclass(frozen=True)
class Indicator:
    id: str
    title: str
    short: str
    source: str
    units: str
    units_label: str
    frequency: str
    seasonal_adjustment: str = ""
    release_lag_days: int = 1
    sections: tuple[int, ...] = ()
    path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    line: int = 0  # where [ID] stands in the catalog file, for error messages


@dataclass(frozen=True)
class Event:
    id: str
    kind: str
    label: str
    start: dt.date
    end: dt.date | None = None


@dataclass(frozen=True)
class Catalog:
    indicators: dict[str, Indicator]
    tables: dict[str, dict[str, Any]]
    events: tuple[Event, ...]
    path: Path | None = None
    releases: ReleaseCalendar = field(default_factory=ReleaseCalendar)

    def where(self, series_id: str) -> str:
        """'catalogs/indicators.toml line 12', to point a user at the entry to fix."""
        ind = self.indicators.get(series_id)
        name = self.path or "the indicator catalog"
        return f"{name} line {ind.line}" if ind is not None and ind.line else str(name)

    def indicator(self, series_id: str) -> Indicator:
        try:
            return self.indicators[series_id]
        except KeyError:
            raise CatalogError(f"series {series_id!r} is not in the indicator catalog; "
                               "add it to catalogs/indicators.toml") from None


def read_toml(path: Path) -> dict[str, Any]:
    """Read one content file (catalog, chart definitions, section list) or say what is wrong."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML ({exc})") from None


def _indicator(path: Path, sid: str, raw: dict[str, Any], line: int = 0) -> Indicator:
    where = f"{path}: [{sid}]" + (f" (line {line})" if line else "")
    for key in ("title", "short", "source", "units", "units_label", "frequency"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise CatalogError(f"{where}: missing or empty key {key!r}")
    for key, allowed in (("units", UNITS), ("frequency", FREQUENCIES), ("source", SOURCES)):
        if raw[key] not in allowed:
            raise CatalogError(f"{where}: {key} = {raw[key]!r}; use one of {', '.join(allowed)}")
    known = {"title", "short", "source", "units", "units_label", "frequency",
             "seasonal_adjustment", "release_lag_days", "sections", "path"}
    return Indicator(
        id=sid, title=raw["title"], short=raw["short"], source=raw["source"],
        units=raw["units"], units_label=raw["units_label"], frequency=raw["frequency"],
        seasonal_adjustment=raw.get("seasonal_adjustment", ""),
        release_lag_days=int(raw.get("release_lag_days", 1)),
        sections=tuple(raw.get("sections", ())), path=raw.get("path"),
        extra={k: v for k, v in raw.items() if k not in known}, line=line,
    )


def _event(path: Path, i: int, raw: dict[str, Any]) -> Event:
    where = f"{path}: event #{i + 1}"
    for key in ("id", "kind", "label", "start"):
        if key not in raw:
            raise CatalogError(f"{where}: missing key {key!r}")
    start, end = raw["start"], raw.get("end")
    if not isinstance(start, dt.date) or (end is not None and not isinstance(end, dt.date)):
        raise CatalogError(f"{where} ({raw['id']}): start/end must be TOML dates (2025-10-01)")
    if end is not None and end < start:
        raise CatalogError(f"{where} ({raw['id']}): end {end} is before start {start}")
    return Event(id=raw["id"], kind=raw["kind"], label=raw["label"], start=start, end=end)


def load_catalog(source: ContentPaths | Path) -> Catalog:
    """Read indicators.toml, events.toml and the release calendar (releases.toml,
    release_dates.csv); workspace copies win over built-ins."""
    content = as_content(source, "catalogs")
    ind_path = content.file("catalogs", "indicators.toml")
    ev_path = content.file("catalogs", "events.toml")
    raw = read_toml(ind_path)
    tables = raw.pop("tables", {})
    lines = _header_lines(ind_path)
    indicators = {sid: _indicator(ind_path, sid, spec, lines.get(sid, 0))
                  for sid, spec in raw.items()}
    events = tuple(_event(ev_path, i, e) for i, e in enumerate(read_toml(ev_path).get("event",
                                                                                         [])))
    return Catalog(indicators=indicators, tables=tables, events=events, path=ind_path,
                   releases=load_releases(_optional(content, "releases.toml"),
                                          _optional(content, "release_dates.csv")))


def _optional(content: ContentPaths, name: str) -> Path | None:
    try:
        return content.file("catalogs", name)
    except CatalogError:
        return None


def _header_lines(path: Path) -> dict[str, int]:
    """Line number of each top-level [ID] header (tomllib does not report positions)."""
    found = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.match(r"^\s*\[\s*([A-Za-z0-9_]+)\s*\]", line)
        if match:
            found.setdefault(match.group(1), number)
    return found
