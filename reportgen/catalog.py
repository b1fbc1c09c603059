"""Indicator and event catalogs: what the report knows about each series, kept as data."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.content import ContentPaths, as_content, read_toml
from reportgen.errors import CatalogError
from reportgen.releases import ReleaseCalendar, load_releases

UNITS = ("percent", "index", "usd_mn", "usd_bn", "usd", "thousands", "number", "bp", "ratio",
         "flag")
FREQUENCIES = ("daily", "daily7", "weekly_wed", "weekly_fri", "weekly_sat", "monthly",
               "quarterly")
SOURCES = ("fred", "nyfed", "csv")
CONCEPT_KINDS = ("flow", "level")
_TAG = re.compile(r"^[A-Z][A-Za-z0-9]*\??$")


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
    code: str = ""  # a single date's short label, drawn beside its line (language-neutral)


Alternatives = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Concept:
    """A measure read from SEC filings (capex, operating cash flow...) and the us-gaap tags
    that can report it: alternatives in order of preference, each a sum of tags ("Tag?" is
    an addend that may be absent)."""

    id: str
    title: str
    kind: str  # flow: over a period (cash-flow statement); level: at an instant
    tags: Alternatives
    zero_if_absent: bool = False


@dataclass(frozen=True)
class Company:
    """A filer listed by its SEC CIK; `tags` holds its own alternatives where they differ
    from the concept's, which the catalog found in its filings."""

    id: str
    title: str
    cik: int
    in_total: bool = True
    tags: dict[str, Alternatives] = field(default_factory=dict)
    line: int = 0

    def alternatives(self, concept: Concept) -> Alternatives:
        return self.tags.get(concept.id, concept.tags)


@dataclass(frozen=True)
class Catalog:
    indicators: dict[str, Indicator]
    tables: dict[str, dict[str, Any]]
    events: tuple[Event, ...]
    path: Path | None = None
    releases: ReleaseCalendar = field(default_factory=ReleaseCalendar)
    companies: dict[str, Company] = field(default_factory=dict)
    concepts: dict[str, Concept] = field(default_factory=dict)

    def filer_tags(self, company: Company) -> set[str]:
        """Every us-gaap tag worth keeping from one company's facts."""
        return {tag.rstrip("?") for concept in self.concepts.values()
                for alternative in company.alternatives(concept) for tag in alternative}

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
    return Event(id=raw["id"], kind=raw["kind"], label=raw["label"], start=start, end=end,
                 code=str(raw.get("code", "")))


def load_catalog(source: ContentPaths | Path) -> Catalog:
    """Read indicators.toml, events.toml and the release calendar (releases.toml,
    release_dates.csv, fomc.toml); workspace copies win over built-ins."""
    content = as_content(source, "catalogs")
    ind_path = content.file("catalogs", "indicators.toml")
    ev_path = content.file("catalogs", "events.toml")
    raw = read_toml(ind_path)
    tables = raw.pop("tables", {})
    sec = raw.pop("sec", {})
    lines = _header_lines(ind_path)
    indicators = {sid: _indicator(ind_path, sid, spec, lines.get(sid, 0))
                  for sid, spec in raw.items()}
    events = tuple(_event(ev_path, i, e) for i, e in enumerate(read_toml(ev_path).get("event",
                                                                                         [])))
    concepts, companies = _sec(ind_path, sec)
    return Catalog(indicators=indicators, tables=tables, events=events, path=ind_path,
                   releases=load_releases(_optional(content, "releases.toml"),
                                          _optional(content, "release_dates.csv"),
                                          _optional(content, "fomc.toml")),
                   companies=companies, concepts=concepts)


def _optional(content: ContentPaths, name: str) -> Path | None:
    try:
        return content.file("catalogs", name)
    except CatalogError:
        return None


def _alternatives(where: str, raw: Any) -> Alternatives:
    """[["TagA"], ["TagB", "TagC?"]]: each inner list is summed; the first tag is required."""
    if not isinstance(raw, list) or not raw or not all(
            isinstance(alt, list) and alt and all(isinstance(t, str) and _TAG.match(t)
                                                  for t in alt) for alt in raw):
        raise CatalogError(f"{where}: tags must be a list of lists of us-gaap tag names, "
                           'e.g. [["LongTermDebt"], ["LongTermDebtNoncurrent", '
                           '"LongTermDebtCurrent?"]]')
    if any(alt[0].endswith("?") for alt in raw):
        raise CatalogError(f"{where}: the first tag of each alternative is required; only "
                           "the tags added to it may end in '?'")
    return tuple(tuple(alt) for alt in raw)


def _sec(path: Path, raw: dict[str, Any]) -> tuple[dict[str, Concept], dict[str, Company]]:
    """[sec.concepts.ID] and [sec.companies.ID]: what to read from SEC filings, and whose."""
    lines = _header_lines(path, r"sec\.companies\.([A-Za-z0-9_]+)")
    concepts: dict[str, Concept] = {}
    for cid, spec in raw.get("concepts", {}).items():
        where = f"{path}: [sec.concepts.{cid}]"
        if not isinstance(spec.get("title"), str) or spec.get("kind") not in CONCEPT_KINDS:
            raise CatalogError(f"{where}: needs a title and kind = one of "
                               + ", ".join(CONCEPT_KINDS))
        concepts[cid] = Concept(cid, spec["title"], spec["kind"],
                                _alternatives(where, spec.get("tags")),
                                bool(spec.get("zero_if_absent", False)))
    companies: dict[str, Company] = {}
    for key, spec in raw.get("companies", {}).items():
        where = f"{path}: [sec.companies.{key}]" + (f" (line {lines[key]})" if key in lines
                                                     else "")
        cik = spec.get("cik")
        if isinstance(cik, bool) or not isinstance(cik, int) or not 0 < cik < 10**10:
            raise CatalogError(f"{where}: cik must be the company's SEC number (CIK), "
                               "e.g. cik = 789019")
        if not isinstance(spec.get("title"), str) or not spec["title"]:
            raise CatalogError(f"{where}: missing or empty key 'title'")
        own = spec.get("tags", {})
        unknown = sorted(set(own) - set(concepts))
        if unknown:
            raise CatalogError(f"{where}: tags.{unknown[0]} is not a concept under "
                               "[sec.concepts]")
        companies[key] = Company(
            key, spec["title"], cik, bool(spec.get("in_total", True)),
            {c: _alternatives(f"{where} tags.{c}", alts) for c, alts in own.items()},
            lines.get(key, 0))
    return concepts, companies


def _header_lines(path: Path, name: str = r"([A-Za-z0-9_]+)") -> dict[str, int]:
    """Line number of each [ID] header (tomllib does not report positions); `name` is the
    header's pattern with the id as its group (top-level ids by default)."""
    found = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.match(r"^\s*\[\s*" + name + r"\s*\]", line)
        if match:
            found.setdefault(match.group(1), number)
    return found
