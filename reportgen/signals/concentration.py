"""Section 6, concentration: how much of the index rides on a handful of names?"""

from __future__ import annotations

import pandas as pd

from reportgen.signals.base import Context, SectionResult, Signal, last_signal
from reportgen.signals.transforms import clean, drawdown, yoy
from reportgen.store import Snapshot


def concentration(caps: pd.Series) -> tuple[float, float, float]:
    """Top-10 share, Herfindahl index and effective number of stocks (1 / HHI)."""
    caps = caps[caps > 0].sort_values(ascending=False)
    if caps.empty:
        return float("nan"), float("nan"), float("nan")
    w = caps / caps.sum()
    hhi = float((w**2).sum())
    return float(w.iloc[:10].sum()), hhi, 1.0 / hhi


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    levels = ctx.levels
    out = SectionResult()
    table = data.table("constituents")
    if table is not None and not table.empty:
        latest_date = table["date"].max()
        latest = table[table["date"] == latest_date]
        caps = latest.set_index("ticker")["market_cap_usd_bn"]
        top10, hhi, eff = concentration(caps)
        when = pd.Timestamp(latest_date).date()
        out.add(Signal("top10_share_pct", 100 * top10, "percent", when, ("constituents",),
                       "high" if 100 * top10 >= levels["top10_weak_point"] else "normal"))
        out.add(Signal("herfindahl_index", hhi, "ratio", when, ("constituents",)))
        out.add(Signal("effective_number_of_stocks", eff, "count", when, ("constituents",)))
        out.add(Signal("constituents_count", float(len(caps)), "count", when, ("constituents",)))
        weights = (100 * caps.sort_values(ascending=False) / caps.sum()).iloc[:10]
        out.tables["top10"] = [(t, float(w)) for t, w in weights.items()]
    for sid, key in (("SP500", "sp500"), ("NASDAQCOM", "nasdaq")):
        s = clean(data[sid])
        out.series[f"{key}_index"] = s
        out.add(last_signal(f"{key}_index", s, "index", (sid,)))
        daily = s.resample("MS").last()
        out.add(last_signal(f"{key}_yoy_pct", yoy(daily), "percent", (sid,)))
        out.add(last_signal(f"{key}_drawdown_pct", drawdown(s), "percent", (sid,)))
    return out
