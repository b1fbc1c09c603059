"""Section 2, tightening in the fog: how reliable is the dashboard, where is policy headed.

A release is judged against its own calendar: the latest period that should be public by
now versus the latest period we have. "Should be public" comes from the release calendar
(reportgen.releases): a period is due on its scheduled day (the original one, when a
shutdown delayed it), or, for periods the calendar does not know, at period end plus the
usual lag and a week's grace. A period the calendar lists as cancelled is never due: once
the cancellation is announced it is a finding, "never published", named by its month, as
is a hole inside the history (later periods exist, this one does not); neither is ever
interpolated. A key release with no data at all cannot be judged: it is "no_data" and is
left out of the fog index rather than scored as on time.

The fog history re-runs that judgement at every week of the last three years on the data
known then; it is computed for all weeks at once (one boolean grid per release) and the
single-date status uses the same code, so the table and the chart cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportgen.catalog import Indicator
from reportgen.releases import ReleaseCalendar, known_by
from reportgen.signals.base import Context, SectionResult, Signal, last_signal
from reportgen.signals.transforms import clean, diff_over
from reportgen.store import Snapshot

KEY_RELEASES = ("CPIAUCSL", "PAYEMS", "UNRATE", "PCEPILFE", "GDPC1")
GRACE_DAYS = 7
LOOKBACK_MONTHS = 24
REVISION_DAYS = 365
_FREQ = {"monthly": "MS", "quarterly": "QS"}
_NAT = np.datetime64("NaT", "ns")


@dataclass(frozen=True)
class ReleaseStatus:
    series_id: str
    latest: dt.date | None
    expected: dt.date | None
    periods_behind: int
    missing: tuple[dt.date, ...]

    @property
    def status(self) -> str:
        if self.latest is None:
            return "no_data"
        if self.periods_behind > 0:
            return "delayed"
        return "missing" if self.missing else "on_time"

    @property
    def score(self) -> float | None:
        """This release's share of the fog: None when it has no data to judge."""
        if self.latest is None:
            return None
        return min(1.0, self.periods_behind / 2 + 0.25 * len(self.missing))


@dataclass(frozen=True)
class _Grid:
    """One release judged at many dates (columns); periods are the rows."""

    periods: pd.DatetimeIndex
    latest: np.ndarray      # latest period known at each date (NaT: no data)
    expected: np.ndarray    # latest period due at each date (NaT: none)
    behind: np.ndarray      # periods due but not known, after the latest
    missing: np.ndarray     # periods x dates: never published within the window

    def status(self, sid: str, col: int) -> ReleaseStatus:
        def day(x: np.datetime64) -> dt.date | None:
            return None if np.isnat(x) else pd.Timestamp(x).date()
        gaps = tuple(p.date() for p in self.periods[self.missing[:, col]])
        return ReleaseStatus(sid, day(self.latest[col]), day(self.expected[col]),
                             int(self.behind[col]), gaps)

    def scores(self) -> np.ndarray:
        """Each date's score (NaN where the release has no data yet)."""
        score = np.minimum(1.0, self.behind / 2 + 0.25 * self.missing.sum(axis=0))
        return np.where(np.isnat(self.latest), np.nan, score)


def _last_true(mask: np.ndarray, values: np.ndarray, last: bool = True) -> np.ndarray:
    """Per column, the value of the last (or first) row where `mask` holds; NaT if none."""
    n = mask.shape[0]
    rows = np.arange(n)[:, None]
    pick = np.where(mask, rows, -1).max(axis=0) if last else \
        np.where(mask, rows, n).min(axis=0)
    found = (pick >= 0) & (pick < n)
    return np.where(found, values[np.clip(pick, 0, max(n - 1, 0))], _NAT)


def _grid(obs: pd.DatetimeIndex, known: pd.DatetimeIndex, ind: Indicator,
          calendar: ReleaseCalendar | None, whens: pd.DatetimeIndex) -> _Grid:
    """Judge one release at every date in `whens` from the observations known by then."""
    freq = _FREQ[ind.frequency]
    at = whens.to_numpy("M8[ns]")
    empty = np.zeros((0, len(at)), dtype=bool)
    if not len(obs):
        nat = np.full(len(at), _NAT)
        return _Grid(pd.DatetimeIndex([]), nat, nat, np.zeros(len(at), int), empty)
    dates = obs.to_numpy("M8[ns]")
    visible = known.to_numpy("M8[ns]")[:, None] <= at[None, :]
    latest = _last_true(visible, dates)
    first = _last_true(visible, dates, last=False)
    window = (whens - pd.DateOffset(months=LOOKBACK_MONTHS)).to_numpy("M8[ns]")
    early = (pd.DatetimeIndex(window) - pd.DateOffset(months=6)).to_numpy("M8[ns]")
    low = np.where(np.isnat(first), _NAT, np.maximum(first, early))
    if np.isnat(low).all():
        return _Grid(pd.DatetimeIndex([]), latest, np.full(len(at), _NAT),
                     np.zeros(len(at), int), empty)
    periods = pd.date_range(pd.Timestamp(low[~np.isnat(low)].min()),
                            pd.Timestamp(at.max()), freq=freq)
    p = periods.to_numpy("M8[ns]")[:, None]
    in_range = (p >= low[None, :]) & (p <= at[None, :])
    due = (known_by(periods, ind) + pd.Timedelta(days=GRACE_DAYS)).to_numpy("M8[ns]")
    lost_from = np.full(len(periods), _NAT)
    if calendar is not None and calendar.covers(ind.id):
        scheduled = calendar.scheduled_dates(ind.id, periods).to_numpy("M8[ns]")
        due = np.where(np.isnat(scheduled), due, scheduled)
        lost_from = calendar.cancelled_from(ind.id, periods).to_numpy("M8[ns]")
    lost = ~np.isnat(lost_from)[:, None] & (lost_from[:, None] <= at[None, :])
    public = in_range & (due[:, None] <= at[None, :]) & ~lost
    behind = (public & (p > latest[None, :])).sum(axis=0)
    expected = _last_true(public, periods.to_numpy("M8[ns]"))
    where = obs.get_indexer(periods)
    present = np.zeros((len(periods), len(at)), dtype=bool)
    present[where >= 0] = visible[where[where >= 0]]
    recent = in_range & (p >= window[None, :]) & ~present
    missing = recent & ((p < latest[None, :]) | lost)
    return _Grid(periods, latest, expected, behind, missing)


def release_status(s: pd.Series, ind: Indicator, as_of: dt.date,
                   calendar: ReleaseCalendar | None = None) -> ReleaseStatus:
    """Latest vs expected period, and never-published periods in the recent history of one
    release, from the series as known on `as_of`."""
    s = clean(s)
    if ind.frequency not in _FREQ:
        return ReleaseStatus(ind.id, s.index[-1].date() if len(s) else None, None, 0, ())
    everything = pd.DatetimeIndex(np.full(len(s), np.datetime64("1677-09-22", "ns")))
    grid = _grid(s.index, everything, ind, calendar,
                 pd.DatetimeIndex([pd.Timestamp(as_of)]))
    return grid.status(ind.id, 0)


@dataclass(frozen=True)
class Revision:
    """First prints of one release in the last year and how far they have been revised.

    `largest` is latest minus first print of the most revised observation: in percentage
    points for rates, thousands for payroll counts, per cent of the first print otherwise.
    """

    series_id: str
    first_prints: int
    revised: int
    largest: float | None
    largest_date: dt.date | None
    unit: str


def revision_unit(ind: Indicator) -> str:
    return {"percent": "pp", "thousands": "thousands"}.get(ind.units, "pct")


def revisions(data: Snapshot) -> list[Revision]:
    """Key releases with real-time data: first print against the value known on as_of."""
    start = pd.Timestamp(data.as_of) - pd.Timedelta(days=REVISION_DAYS)
    out = []
    for sid in KEY_RELEASES:
        first = data.first_prints.get(sid)
        if first is None or first.empty or sid not in data.indicators:
            continue
        ind = data.indicators[sid]
        first = first[first.index >= start]
        latest = clean(data[sid]).reindex(first.index)
        unit = revision_unit(ind)
        diff = latest - first if unit != "pct" else 100.0 * (latest / first - 1.0)
        diff = diff.dropna()
        moved = diff[diff.abs() > 1e-9]
        top = moved.abs().idxmax() if len(moved) else None
        out.append(Revision(sid, len(first), len(moved),
                            float(moved[top]) if top is not None else None,
                            top.date() if top is not None else None, unit))
    return out


def fog_index(statuses: list[ReleaseStatus]) -> float:
    """0 = every key release on time and complete; 100 = every one two periods late.

    Each release scores min(1, periods behind / 2) plus 0.25 per never-published period in
    the last two years (capped at 1), averaged over the releases that have data: one with
    no data at all is not on time, so it is left out rather than counted as a zero.
    """
    scores = [st.score for st in statuses if st.score is not None]
    return 100.0 * sum(scores) / len(scores) if scores else float("nan")


def fog_history(data: Snapshot, months: int = 36) -> pd.Series:
    """The fog index re-evaluated every week (and on the issue date) from the data known
    then, each release's observations dated by the release calendar."""
    end = pd.Timestamp(data.as_of)
    dates = pd.date_range(end - pd.DateOffset(months=months), end, freq="W-FRI")
    dates = dates.append(pd.DatetimeIndex([end])).unique()  # end on the issue date itself
    scores = []
    for sid in KEY_RELEASES:
        ind = data.indicators.get(sid)
        if ind is None:
            continue
        s = clean(data[sid])
        known = known_by(s.index, ind, data.releases)
        if ind.frequency in _FREQ:
            scores.append(_grid(s.index, known, ind, data.releases, dates).scores())
        else:
            seen = known.to_numpy("M8[ns]")[:, None] <= dates.to_numpy("M8[ns]")[None, :]
            scores.append(np.where(seen.any(axis=0), 0.0, np.nan))
    grid = np.vstack(scores) if scores else np.full((1, len(dates)), np.nan)
    counted = (~np.isnan(grid)).sum(axis=0)
    total = np.nansum(grid, axis=0)
    values = np.where(counted > 0, 100.0 * total / np.maximum(counted, 1), np.nan)
    return pd.Series(values, index=pd.DatetimeIndex(dates, name="date"),
                     name="data_fog_index")


def rate_path(two: Signal, levels: Mapping[str, float]) -> Signal:
    """What the market prices, from the two-year yield against EFFR: cuts, no change or
    hikes, and how many quarter-point steps the average expected rate over two years sits
    away (the value)."""
    if not two.ok:
        return Signal("rate_path", None, "count", None, two.inputs)
    steps = round(abs(two.value) / 25.0)
    none = levels["rate_path_none_bp"]
    state = "cuts" if two.value <= -none else "hikes" if two.value >= none else "hold"
    return Signal("rate_path", float(max(steps, 1) if state != "hold" else 0), "count",
                  two.date, two.inputs, state)


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    levels = ctx.levels
    out = SectionResult()
    indicators = data.indicators
    statuses = [release_status(data[sid], indicators[sid], data.as_of, data.releases)
                for sid in KEY_RELEASES if sid in indicators]
    out.tables["releases"] = statuses
    fog = fog_history(data)
    out.series["data_fog_index"] = fog
    idx = fog_index(statuses)
    prev = fog[fog.index <= pd.Timestamp(data.as_of) - pd.Timedelta(days=91)]
    before = float(prev.iloc[-1]) if len(prev) else float("nan")
    change = idx - before if np.isfinite(idx) and np.isfinite(before) else None
    state = "" if not np.isfinite(idx) else "high" if idx >= levels["fog_high"] \
        else "elevated" if idx > 0 else "clear"
    out.add(Signal("data_fog_index", idx, "index", data.as_of, KEY_RELEASES, state, change, "3m"))
    out.add(Signal("releases_delayed_count", float(sum(s.status == "delayed" for s in statuses)),
                   "count", data.as_of, KEY_RELEASES))
    out.add(Signal("periods_never_published_count",
                   float(sum(len(s.missing) for s in statuses)), "count", data.as_of,
                   KEY_RELEASES))
    revised = revisions(data)
    out.tables["revisions"] = revised
    if revised:
        inputs = tuple(r.series_id for r in revised)
        out.add(Signal("key_release_first_prints_count",
                       float(sum(r.first_prints for r in revised)), "count", data.as_of, inputs))
        out.add(Signal("key_release_revised_count", float(sum(r.revised for r in revised)),
                       "count", data.as_of, inputs))

    effr = clean(data["EFFR"])
    for tenor in ("DGS1", "DGS2"):
        y = clean(data[tenor])
        spread = 100.0 * (y - effr.reindex(y.index, method="ffill")).dropna()
        key = f"{tenor.lower()}_minus_effr_bp"
        out.series[key] = spread
        out.add(last_signal(key, spread, "bp", (tenor, "EFFR"), change_days=91,
                            change_label="13w"))
        out.add(last_signal(f"{key}_4w_change", diff_over(spread, 28), "bp", (tenor, "EFFR")))
    out.add(rate_path(out.signals["dgs2_minus_effr_bp"], levels))
    out.add(last_signal("dgs2_4w_change_bp", 100.0 * diff_over(clean(data["DGS2"]), 28), "bp",
                        ("DGS2",)))
    walcl = clean(data.usd_bn("WALCL"))
    out.series["walcl_usd_bn"] = walcl
    out.series["treast_usd_bn"] = clean(data.usd_bn("TREAST"))
    out.series["wshomcb_usd_bn"] = clean(data.usd_bn("WSHOMCB"))
    out.inputs.update(treast_usd_bn=("TREAST",), wshomcb_usd_bn=("WSHOMCB",),
                      data_fog_index=KEY_RELEASES)
    pace = diff_over(walcl, 91)
    out.series["walcl_13w_change_usd_bn"] = pace
    out.add(last_signal("walcl_usd_bn", walcl, "usd_bn", ("WALCL",), change_days=91,
                        change_label="13w"))
    out.add(last_signal("walcl_13w_change_usd_bn", pace, "usd_bn", ("WALCL",)))
    return out
