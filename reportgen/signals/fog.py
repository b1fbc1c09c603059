"""Section 2, tightening in the fog: how reliable is the dashboard, where is policy headed.

A release is judged against its own cadence: the latest period that should be public by
now (period end + usual lag, with a grace period) versus the latest period we have. A hole
inside the history (later periods exist, this one does not) was never published: it is a
finding, named by its month, and never interpolated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from reportgen.catalog import Indicator
from reportgen.signals.base import Context, SectionResult, Signal, last_signal
from reportgen.signals.transforms import clean, diff_over
from reportgen.store import Snapshot, known_by

KEY_RELEASES = ("CPIAUCSL", "PAYEMS", "UNRATE", "PCEPILFE", "GDPC1")
GRACE_DAYS = 7
LOOKBACK_MONTHS = 24
REVISION_DAYS = 365
_FREQ = {"monthly": "MS", "quarterly": "QS"}


@dataclass(frozen=True)
class ReleaseStatus:
    series_id: str
    latest: dt.date | None
    expected: dt.date | None
    periods_behind: int
    missing: tuple[dt.date, ...]

    @property
    def status(self) -> str:
        if self.periods_behind > 0:
            return "delayed"
        return "missing" if self.missing else "on_time"


def release_status(s: pd.Series, ind: Indicator, as_of: dt.date) -> ReleaseStatus:
    """Latest vs expected period, and holes in the recent history of one release."""
    freq = _FREQ.get(ind.frequency)
    s = clean(s)
    if freq is None or s.empty:
        return ReleaseStatus(ind.id, None, None, 0, ())
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=GRACE_DAYS)
    window_start = pd.Timestamp(as_of) - pd.DateOffset(months=LOOKBACK_MONTHS)
    periods = pd.date_range(max(s.index[0], window_start - pd.DateOffset(months=6)),
                            pd.Timestamp(as_of), freq=freq)
    public = periods[known_by(periods, ind) <= cutoff]
    expected = public[-1] if len(public) else None
    latest = s.index[-1]
    behind = int((public > latest).sum())
    present = s.index[s.index >= window_start]
    holes = tuple(p.date() for p in periods
                  if window_start <= p < latest and p not in present)
    return ReleaseStatus(ind.id, latest.date(), expected.date() if expected is not None else None,
                         behind, holes)


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
    the last two years (capped at 1), averaged over releases.
    """
    if not statuses:
        return float("nan")
    scores = [min(1.0, st.periods_behind / 2 + 0.25 * len(st.missing)) for st in statuses]
    return 100.0 * sum(scores) / len(scores)


def fog_history(data: Snapshot, months: int = 36) -> pd.Series:
    """The fog index re-evaluated at each month end, from the data known then."""
    end = pd.Timestamp(data.as_of)
    dates = pd.date_range(end - pd.DateOffset(months=months), end, freq="W-FRI")
    dates = dates.append(pd.DatetimeIndex([end])).unique()  # end on the issue date itself
    releases = []
    for sid in KEY_RELEASES:
        s = clean(data[sid])
        releases.append((s, data.indicators[sid], known_by(s.index, data.indicators[sid])))
    values = [fog_index([release_status(s[known <= when], ind, when.date())
                         for s, ind, known in releases]) for when in dates]
    return pd.Series(values, index=pd.DatetimeIndex(dates, name="date"), name="data_fog_index")


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    levels = ctx.levels
    out = SectionResult()
    indicators = data.indicators
    statuses = [release_status(data[sid], indicators[sid], data.as_of) for sid in KEY_RELEASES
                if sid in indicators]
    out.tables["releases"] = statuses
    fog = fog_history(data)
    out.series["data_fog_index"] = fog
    idx = fog_index(statuses)
    prev = fog[fog.index <= pd.Timestamp(data.as_of) - pd.Timedelta(days=91)]
    change = idx - float(prev.iloc[-1]) if len(prev) else None
    state = "high" if idx >= levels["fog_high"] else "elevated" if idx > 0 else "clear"
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
    two = out.signals["dgs2_minus_effr_bp"]
    out.add(Signal("rate_path", None, "state", two.date, two.inputs,
                   ("cuts_priced" if two.value < 0 else "no_cuts") if two.ok else ""))
    walcl = clean(data.usd_bn("WALCL"))
    out.series["walcl_usd_bn"] = walcl
    out.series["treast_usd_bn"] = clean(data.usd_bn("TREAST"))
    out.series["wshomcb_usd_bn"] = clean(data.usd_bn("WSHOMCB"))
    pace = diff_over(walcl, 91)
    out.series["walcl_13w_change_usd_bn"] = pace
    out.add(last_signal("walcl_usd_bn", walcl, "usd_bn", ("WALCL",), change_days=91,
                        change_label="13w"))
    out.add(last_signal("walcl_13w_change_usd_bn", pace, "usd_bn", ("WALCL",)))
    return out
