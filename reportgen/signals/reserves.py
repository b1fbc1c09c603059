"""Section 4, early fault lines: are reserves still ample, is private credit marking reality?

Funding stress is an alarm, not an average: the largest daily gap of SOFR and EFFR over
the floor (IORB, IOER before 29 Jul 2021) in the last week, EFFR against the top of its
target range, and standing-repo take-up decide whether funding markets are calm, strained
or in stress (levels in catalogs/thresholds.toml). A day like 17 Sep 2019 (SOFR 315 bp
over IOER, EFFR above the range) is stress on the spot.

The share of repo volume at or above the floor is estimated by linear interpolation of
SOFR's published volume percentiles: (1%, SOFR1), (25%, SOFR25), (50%, SOFR), (75%,
SOFR75), (99%, SOFR99). The share is 1 minus the interpolated percentile at which the rate
reaches the floor, bounded to 1%..99% beyond the outer percentiles.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from reportgen.signals.base import Context, SectionResult, Signal, last_signal
from reportgen.signals.loanmarks import loan_marks
from reportgen.signals.transforms import (
    asof_value,
    clean,
    percentile_rank,
    shares_at_or_above,
)
from reportgen.store import Snapshot

PERCENTILES = ((0.01, "SOFR1"), (0.25, "SOFR25"), (0.50, "SOFR"), (0.75, "SOFR75"),
               (0.99, "SOFR99"))
RESERVE_PEAK_WINDOW = "730D"
RRP_PEAK_WINDOW = "1095D"
# Gauges on the reserve-scarcity radar; +1 means "higher is scarcer".
RADAR_SPOKES = ("repo_share_at_or_above_iorb", "sofr_minus_iorb_bp", "effr_minus_iorb_bp",
                "reserves_below_peak_pct", "rrp_depletion_pct", "srf_takeup_usd_bn")


FUNDING_WINDOW_DAYS = 7  # a spike counts for a week: an issue a few days later still sees it
IORB_START = pd.Timestamp("2021-07-29")


def ioer_schedule(entries: list[dict[str, Any]]) -> pd.Series:
    """The FOMC's IOER settings (catalogs/policy.toml), daily, up to the day before IORB."""
    if not entries:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], name="date"))
    steps = pd.Series([float(e["rate"]) for e in entries],
                      index=pd.DatetimeIndex([pd.Timestamp(e["from"]) for e in entries]))
    days = pd.date_range(steps.index[0], IORB_START - pd.Timedelta(days=1), freq="D")
    return steps.sort_index().reindex(days, method="ffill")


def floor_rate(data: Snapshot, schedule: pd.Series | None = None) -> pd.Series:
    """IORB, spliced onto IOER before 29 Jul 2021, daily with gaps carried forward; the
    FOMC's published IOER settings fill dates the store has neither for."""
    both = pd.concat([clean(data["IOER"]), clean(data["IORB"])]).sort_index()
    both = both[~both.index.duplicated(keep="last")]
    if schedule is not None and len(schedule):
        both = both.combine_first(schedule[schedule.index <= pd.Timestamp(data.as_of)])
    if both.empty:
        return both
    return both.resample("D").ffill()


def _peak(s: pd.Series, end: pd.Timestamp) -> tuple[float, pd.Timestamp] | None:
    recent = s[s.index > end - pd.Timedelta(days=FUNDING_WINDOW_DAYS)].dropna()
    if recent.empty:
        return None
    return float(recent.max()), recent.idxmax()


def funding(out: SectionResult, data: Snapshot, floor: pd.Series,
            levels: Mapping[str, float]) -> None:
    """The funding-stress signals: the week's peak gap over the floor, EFFR against the
    top of the range, and the verdict (calm, strained, stress)."""
    sofr_gap, effr_gap = out.series["sofr_minus_iorb_bp"], out.series["effr_minus_iorb_bp"]
    effr, top = clean(data["EFFR"]), clean(data["DFEDTARU"])
    over_top = (100.0 * (effr - top.reindex(effr.index, method="ffill"))).dropna()
    out.series["effr_minus_top_bp"] = over_top
    gaps = pd.concat([sofr_gap, effr_gap], axis=1, sort=True).max(axis=1).dropna()
    stress = gaps.rolling(f"{FUNDING_WINDOW_DAYS}D").max()
    out.series["funding_stress_bp"] = stress
    out.inputs["funding_stress_bp"] = ("SOFR", "EFFR", "IORB", "IOER")
    out.add(last_signal("funding_stress_bp", stress, "bp", ("SOFR", "EFFR", "IORB", "IOER"),
                        change_days=91, change_label="3m"))
    ends = [s.index[-1] for s in (sofr_gap, effr_gap) if len(s)]
    if not ends:
        out.add(Signal("funding_stress", None, "state", None, ("SOFR", "EFFR")))
        return
    end = max(ends)
    sofr_peak, top_peak = _peak(sofr_gap, end), _peak(over_top, end)
    if sofr_peak is not None:
        out.add(Signal("sofr_peak_over_floor_bp", sofr_peak[0], "bp", sofr_peak[1].date(),
                       ("SOFR", "IORB", "IOER"), "above" if sofr_peak[0] >= 0.5 else
                       "below" if sofr_peak[0] <= -0.5 else "at"))
    if top_peak is not None:
        out.add(Signal("effr_peak_over_top_bp", top_peak[0], "bp", top_peak[1].date(),
                       ("EFFR", "DFEDTARU"),
                       "above_range" if top_peak[0] > 0 else "in_range"))
    srf = out.signals.get("srf_takeup_7d_max_usd_bn")
    srf_bn = srf.value if srf is not None and srf.ok else 0.0
    gap = sofr_peak[0] if sofr_peak is not None else float("-inf")
    above_top = top_peak is not None and top_peak[0] > 0
    share = out.signals["repo_share_at_or_above_iorb"]
    if gap >= levels["funding_stress_bp"] or above_top or srf_bn >= levels["srf_stress_usd_bn"]:
        state = "stress"
    elif (gap >= levels["funding_strain_bp"] or srf_bn >= levels["srf_strain_usd_bn"]
          or (share.ok and share.value >= levels["repo_share_majority"])):
        state = "strained"
    else:
        state = "calm"
    out.add(Signal("funding_stress", None, "state", end.date(),
                   ("SOFR", "EFFR", "IORB", "IOER", "DFEDTARU", "RPONTSYD"), state))


def repo_share(data: Snapshot, floor: pd.Series) -> pd.Series:
    """Daily share of SOFR volume at or above the floor (0..1)."""
    frame = pd.concat({sid: clean(data[sid]) for _, sid in PERCENTILES}, axis=1).dropna()
    if frame.empty or floor.empty:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], name="date"))
    fl = floor.reindex(frame.index, method="ffill")
    values = shares_at_or_above(fl.to_numpy(dtype="float64"),
                                frame[[sid for _, sid in PERCENTILES]].to_numpy(dtype="float64"),
                                tuple(p for p, _ in PERCENTILES))
    return pd.Series(values, index=frame.index, name="repo_share_at_or_above_iorb").dropna()


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    levels = ctx.levels
    out = SectionResult()
    floor = floor_rate(data, ioer_schedule(ctx.catalogs.get("policy", {}).get("ioer", [])))
    share = repo_share(data, floor)
    out.series["repo_share_at_or_above_iorb"] = 100.0 * share
    out.add(last_signal("repo_share_at_or_above_iorb", 100.0 * share, "percent",
                        (*tuple(s for _, s in PERCENTILES), "IORB", "IOER"), change_days=91,
                        change_label="3m"))
    for sid, stem in (("SOFR", "sofr"), ("EFFR", "effr")):
        rate = clean(data[sid])
        spread = (100.0 * (rate - floor.reindex(rate.index, method="ffill"))).dropna()
        out.series[f"{stem}_minus_iorb_bp"] = spread
        out.add(last_signal(f"{stem}_minus_iorb_bp", spread, "bp", (sid, "IORB", "IOER"),
                            change_days=91, change_label="3m"))
    reserves = clean(data.usd_bn("WRESBAL"))
    peak = reserves.rolling(RESERVE_PEAK_WINDOW).max()
    below = (100.0 * (reserves / peak - 1.0)).dropna()
    out.series.update(reserves_usd_bn=reserves, reserves_below_peak_pct=-below)
    out.add(last_signal("reserves_usd_bn", reserves, "usd_bn", ("WRESBAL",), change_days=91,
                        change_label="13w"))
    out.add(last_signal("reserves_below_peak_pct", -below, "percent", ("WRESBAL",)))
    rrp = clean(data.usd_bn("RRPONTSYD"))
    rrp_peak = rrp.rolling(RRP_PEAK_WINDOW).max()
    depletion = (100.0 * (1.0 - rrp / rrp_peak.where(rrp_peak > 0))).dropna()
    out.series.update(rrp_usd_bn=rrp, rrp_depletion_pct=depletion)
    out.add(last_signal("rrp_usd_bn", rrp, "usd_bn", ("RRPONTSYD",), change_days=91,
                        change_label="13w"))
    out.add(last_signal("rrp_depletion_pct", depletion, "percent", ("RRPONTSYD",)))
    srf = clean(data.usd_bn("RPONTSYD"))
    out.series["srf_takeup_usd_bn"] = srf
    srf_30 = srf.rolling("30D").max().dropna()
    out.add(last_signal("srf_takeup_usd_bn", srf, "usd_bn", ("RPONTSYD",)))
    out.add(last_signal("srf_takeup_30d_max_usd_bn", srf_30, "usd_bn", ("RPONTSYD",)))
    out.add(last_signal("srf_takeup_7d_max_usd_bn", srf.rolling(
        f"{FUNDING_WINDOW_DAYS}D").max().dropna(), "usd_bn", ("RPONTSYD",)))
    funding(out, data, floor, levels)
    out.add(floor_verdict(out.signals["repo_share_at_or_above_iorb"], levels))
    out.tables["radar"] = radar(out.series, data.as_of)
    out.tables["radar_short"] = short_histories(out.series, data.as_of)
    loan_marks(data.table("loan_marks"), levels, out)
    return out


def floor_verdict(share: Signal, levels: Mapping[str, float]) -> Signal:
    """Where secured funding clears against the floor: mostly above it (the shape seen
    before the September 2019 spike), a growing minority above it, or mostly below."""
    if not share.ok:
        return Signal("repo_floor", None, "state", None, share.inputs)
    state = ("above_floor" if share.value >= levels["repo_share_majority"] else
             "minority_above" if share.value >= levels["repo_share_minority"] else
             "below_floor")
    return Signal("repo_floor", None, "state", share.date, share.inputs, state)


RADAR_START = pd.Timestamp("2018-04-01")  # SOFR and its percentiles begin in April 2018
SHORT_HISTORY_YEARS = 3  # a percentile over less history than this says little; it is marked
EPISODES = (("2018Q3", "2018-09-28"), ("2019Q1", "2019-03-29"), ("2019-09", "2019-09-16"))


def radar_dates(as_of: pd.Timestamp) -> list[tuple[str, pd.Timestamp]]:
    """The episodes the radar compares (2018Q3, early 2019, just before the Sep 2019 spike,
    the latest June) that lie before the issue date, then the latest reading. An issue never
    compares itself with a date after it."""
    june = pd.Timestamp(year=as_of.year, month=6, day=30)
    if june >= as_of:
        june = pd.Timestamp(year=as_of.year - 1, month=6, day=30)
    dated = [(label, pd.Timestamp(day)) for label, day in EPISODES] + [("june", june)]
    return [(label, day) for label, day in dated if day < as_of] + [("latest", as_of)]


def radar(series: dict[str, pd.Series], as_of) -> dict[str, dict[str, float]]:
    """Each spoke as the percentile (0-100) of its value on each date, against its history
    from April 2018 to the issue date (never later); NaN where a spoke has no data."""
    when = pd.Timestamp(as_of)
    out: dict[str, dict[str, float]] = {}
    for label, date in radar_dates(when):
        row = {}
        for spoke in RADAR_SPOKES:
            hist = _radar_history(series, spoke, when)
            v = asof_value(hist, date)
            row[spoke] = percentile_rank(hist, v) if pd.notna(v) and len(hist) else float("nan")
        out[label] = row
    return out


def _radar_history(series: dict[str, pd.Series], spoke: str, when: pd.Timestamp) -> pd.Series:
    s = clean(series.get(spoke, pd.Series(dtype="float64")))
    return s[(s.index >= RADAR_START) & (s.index <= when)]


def short_histories(series: dict[str, pd.Series], as_of) -> list[str]:
    """Spokes whose history up to the issue date spans less than three years: their
    percentiles are marked as such."""
    when = pd.Timestamp(as_of)
    out = []
    for spoke in RADAR_SPOKES:
        hist = _radar_history(series, spoke, when)
        if len(hist) and hist.index[-1] - hist.index[0] < pd.Timedelta(
                days=365 * SHORT_HISTORY_YEARS):
            out.append(spoke)
    return out
