"""Section 4, early fault lines: are reserves still ample, is private credit marking reality?

The share of repo volume at or above the floor (IORB, IOER before 29 Jul 2021) is estimated
by linear interpolation of SOFR's published volume percentiles: (1%, SOFR1), (25%, SOFR25),
(50%, SOFR), (75%, SOFR75), (99%, SOFR99). The share is 1 minus the interpolated percentile
at which the rate reaches the floor, bounded to 1%..99% beyond the outer percentiles.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from reportgen.signals.base import Context, SectionResult, Signal, last_signal
from reportgen.signals.loanmarks import loan_marks
from reportgen.signals.transforms import (
    asof_value,
    clean,
    interpolate_share_at_or_above,
    percentile_rank,
)
from reportgen.store import Snapshot

PERCENTILES = ((0.01, "SOFR1"), (0.25, "SOFR25"), (0.50, "SOFR"), (0.75, "SOFR75"),
               (0.99, "SOFR99"))
RESERVE_PEAK_WINDOW = "730D"
RRP_PEAK_WINDOW = "1095D"
# Gauges on the reserve-scarcity radar; +1 means "higher is scarcer".
RADAR_SPOKES = ("repo_share_at_or_above_iorb", "sofr_minus_iorb_bp", "effr_minus_iorb_bp",
                "reserves_below_peak_pct", "rrp_depletion_pct", "srf_takeup_usd_bn")


def floor_rate(data: Snapshot) -> pd.Series:
    """IORB, spliced onto IOER before 29 Jul 2021, daily with gaps carried forward."""
    both = pd.concat([clean(data["IOER"]), clean(data["IORB"])]).sort_index()
    both = both[~both.index.duplicated(keep="last")]
    if both.empty:
        return both
    return both.resample("D").ffill()


def repo_share(data: Snapshot, floor: pd.Series) -> pd.Series:
    """Daily share of SOFR volume at or above the floor (0..1)."""
    frame = pd.concat({sid: clean(data[sid]) for _, sid in PERCENTILES}, axis=1).dropna()
    if frame.empty or floor.empty:
        return pd.Series(dtype="float64", index=pd.DatetimeIndex([], name="date"))
    fl = floor.reindex(frame.index, method="ffill")
    values = [interpolate_share_at_or_above(fl.loc[d], [(p, row[sid]) for p, sid in PERCENTILES])
              for d, row in frame.iterrows()]
    return pd.Series(values, index=frame.index, name="repo_share_at_or_above_iorb").dropna()


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    levels = ctx.levels
    out = SectionResult()
    floor = floor_rate(data)
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
    out.add(floor_verdict(out.signals["repo_share_at_or_above_iorb"], levels))
    out.tables["radar"] = radar(out.series, data.as_of)
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


def radar_dates(as_of: pd.Timestamp) -> list[tuple[str, pd.Timestamp]]:
    """The episodes the radar compares: 2018Q3, early 2019, the Sep 2019 spike, June, latest."""
    june = pd.Timestamp(year=as_of.year, month=6, day=30)
    if june > as_of:
        june = pd.Timestamp(year=as_of.year - 1, month=6, day=30)
    return [("2018Q3", pd.Timestamp("2018-09-28")), ("2019Q1", pd.Timestamp("2019-03-29")),
            ("2019-09", pd.Timestamp("2019-09-16")), ("june", june), ("latest", as_of)]


def radar(series: dict[str, pd.Series], as_of) -> dict[str, dict[str, float]]:
    """Each spoke as the percentile (0-100) of its value on each date over 2018-latest."""
    when = pd.Timestamp(as_of)
    out: dict[str, dict[str, float]] = {}
    for label, date in radar_dates(when):
        row = {}
        for spoke in RADAR_SPOKES:
            s = clean(series.get(spoke, pd.Series(dtype="float64")))
            hist = s[(s.index >= "2018-04-01") & (s.index <= when)]
            v = asof_value(hist, date)
            row[spoke] = percentile_rank(hist, v) if pd.notna(v) and len(hist) else float("nan")
        out[label] = row
    return out
