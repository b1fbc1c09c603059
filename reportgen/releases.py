"""When each observation became public, and when a series has gone stale.

Without vintages a value's only timing is its publication date. For the key releases the
bundled calendar (catalogs/releases.toml and release_dates.csv) gives the real date of
each reference period, including delays and cancellations (the 2025 shutdown); weekly
claims follow their Thursday rule; everything else falls back to period end plus the
catalog's usual lag. Both the store (what a replay may show) and the fog section (what
was due and did not come) read dates from here, so the two can never disagree.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar

from reportgen.errors import CatalogError

if TYPE_CHECKING:
    from reportgen.catalog import Indicator

NEVER = pd.Timestamp("2262-01-01")  # publication date of a period that was cancelled
PERIOD_END = {"monthly": pd.offsets.MonthEnd(0), "quarterly": pd.offsets.QuarterEnd(0)}
RULES = ("thursday",)
BASES = ("verified", "unchecked", "schedule")
_FREQUENCIES = ("monthly", "quarterly", "weekly_sat")

# Staleness: a series whose last observation should have been followed by two more
# releases (plus a week's grace for holidays and small delays) has stopped updating.
CYCLE_DAYS = {"daily": 1, "daily7": 1, "weekly_wed": 7, "weekly_fri": 7, "weekly_sat": 7,
              "monthly": 31, "quarterly": 92}
STALE_CYCLES = 2
STALE_GRACE_DAYS = 7


@dataclass(frozen=True)
class Release:
    id: str
    agency: str
    title: str
    series: tuple[str, ...]
    frequency: str
    rule: str = ""
    lag_days: int = 0
    part_of: str = ""  # published inside another release's report: one line in a calendar


@dataclass(frozen=True)
class FomcMeeting:
    """An FOMC meeting as the Fed announced it: first and last day (the statement's)."""

    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class Upcoming:
    """Something due in the week after an issue: a release or an FOMC meeting."""

    day: dt.date
    kind: str                 # release | fomc
    id: str                   # the release id, or "fomc"
    title: str                # English: releases.toml's title (a msgid), "FOMC"
    end: dt.date | None = None  # the last day of a two-day meeting


FOMC = "fomc"
WEEK_AHEAD_DAYS = 7


def _dated(values: dict[pd.Timestamp, pd.Timestamp]) -> pd.Series:
    index = pd.DatetimeIndex(sorted(values), name="date")
    return pd.Series([values[k] for k in index], index=index, dtype="datetime64[ns]")


@dataclass(frozen=True)
class ReleaseCalendar:
    """Per series: publication, original schedule and cancellation notice by period start."""

    releases: dict[str, Release] = field(default_factory=dict)
    published: dict[str, pd.Series] = field(default_factory=dict)
    scheduled: dict[str, pd.Series] = field(default_factory=dict)
    announced: dict[str, pd.Series] = field(default_factory=dict)
    rules: dict[str, Release] = field(default_factory=dict)
    meetings: tuple[FomcMeeting, ...] = ()  # FOMC meetings as announced (catalogs/fomc.toml)
    # per (table, series): its dates and values as sorted int64 arrays, for _lookup
    _arrays: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, compare=False, repr=False)

    def covers(self, sid: str) -> bool:
        return sid in self.published or sid in self.rules

    def release_of(self, sid: str) -> Release | None:
        return next((r for r in self.releases.values() if sid in r.series), None)

    def _lookup(self, table: dict[str, pd.Series], sid: str, index: pd.DatetimeIndex
                ) -> pd.DatetimeIndex:
        """The table's dates for `index` (NaT where it has none). A binary search on arrays
        kept per series: the backtest asks this thousands of times."""
        found = table.get(sid)
        out = np.full(len(index), np.datetime64("NaT"), "M8[ns]")
        if found is None or not len(index):
            return pd.DatetimeIndex(out)
        key = (id(table), sid)
        arrays = self._arrays.get(key)
        if arrays is None:
            ordered = found[~found.index.duplicated(keep="last")].sort_index()
            arrays = (pd.DatetimeIndex(ordered.index).as_unit("ns").asi8,
                      pd.DatetimeIndex(ordered.to_numpy("M8[ns]")).as_unit("ns").asi8)
            self._arrays[key] = arrays
        keys, values = arrays
        wanted = pd.DatetimeIndex(index).as_unit("ns").asi8
        at = np.clip(np.searchsorted(keys, wanted), 0, max(len(keys) - 1, 0))
        hit = (keys[at] == wanted) if len(keys) else np.zeros(len(wanted), bool)
        out[hit] = values[at[hit]].view("M8[ns]")
        return pd.DatetimeIndex(out)

    def published_dates(self, sid: str, index: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """The day each observation was first published (NEVER if cancelled), NaT where
        the calendar does not know."""
        rule = self.rules.get(sid)
        if rule is not None:
            return thursday_rule(pd.DatetimeIndex(index), rule.lag_days)
        return self._lookup(self.published, sid, index)

    def scheduled_dates(self, sid: str, index: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """The day each period was due: the original schedule, else the publication."""
        first = self._lookup(self.scheduled, sid, index)
        published = self.published_dates(sid, index)
        published = published.where(published != NEVER)
        return first.where(~first.isna(), published)

    def cancelled_from(self, sid: str, index: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """From when each cancelled period was known to be lost (NaT: not cancelled): the
        announcement, else its scheduled day."""
        published = self._lookup(self.published, sid, index)
        notice = self._lookup(self.announced, sid, index)
        due = self._lookup(self.scheduled, sid, index)
        notice = notice.where(~notice.isna(), due)
        return notice.where(published == NEVER)


@cache
def _thursday_holidays() -> pd.DatetimeIndex:
    days = USFederalHolidayCalendar().holidays("1990-01-01", "2040-12-31")
    return days[days.day_of_week == 3]


def thursday_rule(weeks: pd.DatetimeIndex, lag_days: int) -> pd.DatetimeIndex:
    """The Thursday report `lag_days` after each week's end, a day early on a holiday."""
    days = pd.DatetimeIndex(weeks).normalize().as_unit("ns") + pd.Timedelta(days=lag_days)
    return days.where(~days.isin(_thursday_holidays()), days - pd.Timedelta(days=1))


def known_by(index: pd.DatetimeIndex, indicator: Indicator,
             calendar: ReleaseCalendar | None = None) -> pd.DatetimeIndex:
    """The day each observation became public: its release date where the calendar knows
    it (NEVER for a cancelled period), else period end plus the usual lag."""
    index = pd.DatetimeIndex(index)
    offset = PERIOD_END.get(indicator.frequency)
    ends = index + offset if offset is not None else index
    estimate = ends + pd.Timedelta(days=indicator.release_lag_days)
    if calendar is None or not calendar.covers(indicator.id):
        return estimate
    table = calendar.published_dates(indicator.id, index)
    return table.where(~table.isna(), estimate)


def release_calendar_dates(index: pd.DatetimeIndex, frequency: str,
                           release_dates: Iterable[dt.date]) -> pd.DatetimeIndex:
    """Map a release's publication days (FRED's `release/dates`) to observations: each
    period is taken as published on the first release day after it ends, never before the
    period before it. A release that catches up on two periods at once (a shutdown) is
    dated by its first day after the period, which can be early: where the bundled
    calendar covers a series, it wins."""
    index = pd.DatetimeIndex(index)
    days = np.sort(pd.DatetimeIndex(list(release_dates)).to_numpy("M8[ns]"))
    offset = PERIOD_END.get(frequency)
    ends = (index + offset if offset is not None else index).to_numpy("M8[ns]")
    if not len(days):
        return pd.DatetimeIndex(np.full(len(index), np.datetime64("NaT"), "M8[ns]"))
    pos = np.searchsorted(days, ends, side="right")
    found = np.where(pos < len(days), days[np.minimum(pos, len(days) - 1)],
                     np.datetime64("NaT"))
    order = np.argsort(index.to_numpy("M8[ns]"), kind="stable")
    ranked = pd.Series(found[order])
    ranked = ranked.where(ranked.isna(), ranked.cummax())  # never before the period before
    out = np.empty_like(found)
    out[order] = ranked.to_numpy("M8[ns]")
    return pd.DatetimeIndex(out)


def stale_by_age(last: dt.date | None, indicator: Indicator, as_of: dt.date,
                 calendar: ReleaseCalendar | None = None) -> bool:
    """True when two more releases of the series were due after its last observation's
    and none came: a series that has stopped updating (youth unemployment ending in
    November 2023, read in 2026), not one that is merely a release late. A series the
    catalog marks as `ended` (discontinued, like IOER) is old by design, not stale."""
    if last is None or indicator.extra.get("ended"):
        return False
    published = known_by(pd.DatetimeIndex([pd.Timestamp(last)]), indicator, calendar)[0]
    if pd.isna(published) or published >= NEVER:
        return False
    allowed = STALE_CYCLES * CYCLE_DAYS.get(indicator.frequency, 1) + STALE_GRACE_DAYS
    return (as_of - published.date()).days > allowed


# -- loading ---------------------------------------------------------------------------

def _period_start(text: str, frequency: str, where: str) -> pd.Timestamp:
    try:
        if frequency == "quarterly":
            year, q = text.split("-Q")
            if not 1 <= int(q) <= 4:
                raise ValueError
            return pd.Timestamp(int(year), 3 * int(q) - 2, 1)
        year, month = text.split("-")
        return pd.Timestamp(int(year), int(month), 1)
    except ValueError:
        shape = "YYYY-Qn" if frequency == "quarterly" else "YYYY-MM"
        raise CatalogError(f"{where}: period {text!r} is not a {frequency} period "
                           f"({shape})") from None


def _day(text: str, column: str, where: str) -> pd.Timestamp | None:
    if not text:
        return None
    try:
        return pd.Timestamp(dt.date.fromisoformat(text))
    except ValueError:
        raise CatalogError(f"{where}: {column} {text!r} is not a YYYY-MM-DD date") from None


def _release(path: Path, rid: str, raw: dict[str, Any]) -> Release:
    where = f"{path}: [release.{rid}]"
    for key in ("agency", "title", "frequency"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise CatalogError(f"{where}: missing or empty key {key!r}")
    series = raw.get("series")
    if not isinstance(series, list) or not series or not all(isinstance(s, str)
                                                              for s in series):
        raise CatalogError(f"{where}: series must be a list of series ids")
    if raw["frequency"] not in _FREQUENCIES:
        raise CatalogError(f"{where}: frequency = {raw['frequency']!r}; use one of "
                           f"{', '.join(_FREQUENCIES)}")
    rule = str(raw.get("rule", ""))
    if rule and rule not in RULES:
        raise CatalogError(f"{where}: rule = {rule!r}; use one of {', '.join(RULES)}")
    return Release(rid, raw["agency"], raw["title"], tuple(series), raw["frequency"], rule,
                   int(raw.get("lag_days", 0)), str(raw.get("part_of", "")))


def week_ahead(calendar: ReleaseCalendar, issue_date: dt.date,
               days: int = WEEK_AHEAD_DAYS,
               schedule: Mapping[str, tuple[dt.date, ...]] | None = None) -> list[Upcoming]:
    """The releases and FOMC meetings due in the `days` days after the issue date (never
    on or before it, so a replay shows what was then still to come), by day. A cancelled
    period (published "never") is not due. `schedule` is FRED's schedule of a release as
    read by the issue date (Store.schedule): where it reaches past the week, it stands in
    for the bundled calendar, whose future rows are an agency schedule copied by hand."""
    first, last = issue_date + dt.timedelta(days=1), issue_date + dt.timedelta(days=days)
    out: list[Upcoming] = []
    for release in calendar.releases.values():
        if release.part_of:  # its parent's line says it
            continue
        fred = (schedule or {}).get(release.id, ())
        if fred and fred[-1] >= last:
            due = set(fred)
        elif release.rule:
            saturdays = pd.date_range(pd.Timestamp(first) - pd.Timedelta(
                days=release.lag_days + 7), pd.Timestamp(last), freq="W-SAT")
            due = set(thursday_rule(saturdays, release.lag_days).date)
        else:
            due = {d.date() for sid in release.series
                   for d in calendar.published.get(sid, pd.Series(dtype="M8[ns]"))
                   if d < NEVER}
        out += [Upcoming(d, "release", release.id, release.title) for d in sorted(due)
                if first <= d <= last]
    out += [Upcoming(m.start, FOMC, FOMC, "FOMC", m.end) for m in calendar.meetings
            if m.start <= last and m.end >= first]
    return sorted(out, key=lambda u: (u.day, u.kind != FOMC, u.id))


def load_meetings(path: Path | None) -> tuple[FomcMeeting, ...]:
    """catalogs/fomc.toml: the FOMC's announced meeting days; none: no meetings."""
    if path is None or not path.is_file():
        return ()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read ({exc})") from None
    meetings = []
    for i, entry in enumerate(raw.get("meeting", [])):
        start, end = entry.get("start"), entry.get("end")
        if not isinstance(start, dt.date) or not isinstance(end, dt.date) or end < start:
            raise CatalogError(f"{path}: meeting #{i + 1} needs TOML dates start <= end "
                               "(start = 2026-01-27, end = 2026-01-28)")
        meetings.append(FomcMeeting(start, end))
    return tuple(sorted(meetings, key=lambda m: m.start))


def load_releases(spec_path: Path | None, dates_path: Path | None,
                  fomc_path: Path | None = None) -> ReleaseCalendar:
    """releases.toml and release_dates.csv (found in the catalogs), and the FOMC's
    meetings (fomc.toml); none: empty."""
    meetings = load_meetings(fomc_path)
    if spec_path is None or not spec_path.is_file():
        return ReleaseCalendar(meetings=meetings)
    try:
        spec = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{spec_path}: cannot read ({exc})") from None
    releases = {rid: _release(spec_path, rid, raw)
                for rid, raw in spec.get("release", {}).items()}
    for r in releases.values():
        if r.part_of and r.part_of not in releases:
            raise CatalogError(f"{spec_path}: [release.{r.id}] part_of = {r.part_of!r} names "
                               f"no release; use one of {', '.join(releases)}")
    sources = spec.get("sources", {})
    rules = {sid: r for r in releases.values() if r.rule for sid in r.series}
    tables: tuple[dict, dict, dict] = ({}, {}, {})
    if dates_path is not None and dates_path.is_file():
        _read_dates(dates_path, releases, sources, tables)
    published, scheduled, announced = ({sid: _dated(v) for sid, v in t.items()}
                                       for t in tables)
    return ReleaseCalendar(releases, published, scheduled, announced, rules, meetings)


def _read_dates(path: Path, releases: dict[str, Release], sources: dict[str, str],
                tables: tuple[dict, dict, dict]) -> None:
    published, scheduled, announced = tables
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    needed = ["release", "period", "published", "scheduled", "announced", "series", "basis",
              "source"]
    if reader.fieldnames != needed:
        raise CatalogError(f"{path}: line 1 must be {','.join(needed)}")
    for row in reader:
        where = f"{path}: line {reader.line_num}"
        release = releases.get(row["release"])
        if release is None or release.rule:
            raise CatalogError(f"{where}: release {row['release']!r} is not a dated release "
                               "in releases.toml")
        period = _period_start(row["period"], release.frequency, where)
        never = row["published"] == "never"
        day = None if never else _day(row["published"], "published", where)
        if day is None and not never:
            raise CatalogError(f"{where}: published is empty; write a date or 'never'")
        if row["basis"] not in BASES:
            raise CatalogError(f"{where}: basis {row['basis']!r}; use one of "
                               f"{', '.join(BASES)}")
        unknown = [k for k in row["source"].split() if k not in sources]
        if unknown or (row["basis"] == "verified" and not row["source"]):
            raise CatalogError(f"{where}: a verified date needs a source listed under "
                               f"[sources] (unknown: {', '.join(unknown) or 'none given'})")
        sids = row["series"].split() or list(release.series)
        stray = [s for s in sids if s not in release.series]
        if stray:
            raise CatalogError(f"{where}: {stray[0]} is not a series of release "
                               f"{release.id!r}")
        due = _day(row["scheduled"], "scheduled", where)
        notice = _day(row["announced"], "announced", where)
        for sid in sids:
            if period in published.setdefault(sid, {}):
                raise CatalogError(f"{where}: {sid} {row['period']} is listed twice")
            published[sid][period] = NEVER if never else day
            if due is not None:
                scheduled.setdefault(sid, {})[period] = due
            if notice is not None:
                announced.setdefault(sid, {})[period] = notice
