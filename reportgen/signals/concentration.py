"""Section 6, concentration: how much of the index rides on a handful of names?

Two measures, and the text says which one it used:
- the top-10 share, Herfindahl index and effective number of stocks from the user's
  constituents file (`data/constituents.csv`), on its latest date: from index weights
  (`weight_pct`) when the file gives them, else from market capitalisations;
- a keyless proxy, always: the Nasdaq-100 (the largest names) against the Nasdaq
  Composite (all of them), as the 12-month gap between their returns, the ratio of the
  two, and how far each stands below its peak.

Every figure carries its own last date, and a 12-month return runs from the last value at
least 365 days before it, so an index that stopped updating is never dated like the
others nor measured from the wrong base.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd

from reportgen.signals.base import Context, SectionResult, Signal, last_signal
from reportgen.signals.transforms import clean, drawdown, return_over
from reportgen.store import Snapshot

MIN_CONSTITUENTS = 11  # a "top 10" of ten names or fewer is the whole file, not a share
INDICES = (("SP500", "sp500"), ("NASDAQCOM", "nasdaq"), ("NASDAQ100", "ndx"))


def concentration(caps: pd.Series) -> tuple[float, float, float]:
    """Top-10 share, Herfindahl index and effective number of stocks (1 / HHI) from
    market caps or weights (any scale: they are normalised to sum to one)."""
    caps = caps[caps > 0].sort_values(ascending=False)
    if caps.empty:
        return float("nan"), float("nan"), float("nan")
    w = caps / caps.sum()
    hhi = float((w**2).sum())
    return float(w.iloc[:10].sum()), hhi, 1.0 / hhi


def constituents(table: pd.DataFrame | None, levels: Mapping[str, float],
                 out: SectionResult) -> None:
    """The top-10 share from the file's latest date; `concentration_measure` says whether
    it came from index weights or market caps (without a usable file: the proxy, or none
    when the proxy lacks data too)."""
    measure = "proxy"
    if table is not None and not table.empty:
        latest = table[table["date"] == table["date"].max()]
        column = ("weight_pct" if "weight_pct" in latest and latest["weight_pct"].notna().all()
                  else "market_cap_usd_bn")
        values = (latest.set_index("ticker")[column] if column in latest
                  else pd.Series(dtype="float64"))
        values = values.dropna()
        if len(values) >= MIN_CONSTITUENTS:
            measure = "weights" if column == "weight_pct" else "market_caps"
            top10, hhi, eff = concentration(values)
            when = pd.Timestamp(latest["date"].iloc[0]).date()
            src = ("constituents",)
            out.add(Signal("top10_share_pct", 100 * top10, "percent", when, src,
                           "high" if 100 * top10 >= levels["top10_weak_point"] else "normal"))
            out.add(Signal("herfindahl_index", hhi, "ratio", when, src))
            out.add(Signal("effective_number_of_stocks", eff, "count", when, src))
            out.add(Signal("constituents_count", float(len(values)), "count", when, src))
            weights = (100 * values.sort_values(ascending=False) / values.sum()).iloc[:10]
            out.tables["top10"] = [(t, float(w)) for t, w in weights.items()]
    out.add(Signal("concentration_measure", None, "state", None, ("constituents",), measure))


def indices(data: Snapshot, out: SectionResult) -> None:
    """Level, 12-month return and distance below peak of each index, each dated by its
    own last observation."""
    for sid, key in INDICES:
        s = clean(data[sid])
        out.series[f"{key}_index"] = s
        out.add(last_signal(f"{key}_index", s, "index", (sid,)))
        ret = return_over(s, 365)
        out.series[f"{key}_yoy_pct"] = ret
        out.add(last_signal(f"{key}_yoy_pct", ret, "percent", (sid,)))
        dd = drawdown(s)
        out.series[f"{key}_drawdown_pct"] = dd
        at_peak = len(dd) > 0 and dd.iloc[-1] == 0.0
        out.add(last_signal(f"{key}_drawdown_pct", dd, "percent", (sid,),
                            state="at_peak" if at_peak else "below_peak"))


def proxy(data: Snapshot, levels: Mapping[str, float], out: SectionResult) -> None:
    """The Nasdaq-100 against the Composite: the ratio (rebased by the chart), the gap
    between their 12-month returns on the last day both are known, and the verdict."""
    ndx, comp = clean(data["NASDAQ100"]), clean(data["NASDAQCOM"])
    both = pd.concat([ndx, comp], axis=1, join="inner").dropna()
    both = both[(both > 0).all(axis=1)]
    ratio = (both.iloc[:, 0] / both.iloc[:, 1]) if len(both) else pd.Series(dtype="float64")
    inputs = ("NASDAQ100", "NASDAQCOM")
    out.series["ndx_to_comp_ratio"] = ratio
    out.add(last_signal("ndx_to_comp_ratio", ratio, "ratio", inputs, change_days=365,
                        change_label="12m"))
    gap = (return_over(both.iloc[:, 0], 365) - return_over(both.iloc[:, 1], 365)).dropna() \
        if len(both) else pd.Series(dtype="float64")
    out.series["ndx_minus_comp_12m_pp"] = gap
    sig = out.add(last_signal("ndx_minus_comp_12m_pp", gap, "pp", inputs))
    state = ""
    if sig.ok:
        lead = levels["ndx_lead_pp"]
        state = ("leaders_ahead" if sig.value >= lead else
                 "broadening" if sig.value <= -lead else "in_line")
    out.add(Signal("concentration_proxy", None, "state", sig.date, inputs, state))


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    out = SectionResult()
    constituents(data.table("constituents"), ctx.levels, out)
    indices(data, out)
    proxy(data, ctx.levels, out)
    if out.signals["concentration_measure"].state == "proxy" and \
            not out.signals["ndx_minus_comp_12m_pp"].ok:
        out.add(replace(out.signals["concentration_measure"], state="none"))
    return out
