"""Section 7, bitcoin and gold: hedge, or high-beta liquidity?

Bitcoin is FRED's CBBTCUSD; gold is the user's file (GOLD). For each: returns over 12
months, distance below its peak, 30-day volatility, the 90-day correlation of daily
returns with the Nasdaq Composite (and bitcoin's beta to it) and with daily changes in the
10-year real yield (DFII10: a hedge against easier money should rise when real yields
fall, so its correlation is negative). Then the stress episodes named in
catalogs/episodes.toml: each asset's return from the start of an episode to its end,
against the Nasdaq's, for the episodes that are over by the as-of date and that the data
cover. Two verdicts: `btc_hedge` from the last 90 days, `btc_stress_hedge` from the
episodes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from reportgen.signals.base import Context, SectionResult, Signal, drawn_from, last_signal
from reportgen.signals.transforms import (
    clean,
    diff_over,
    drawdown,
    realised_vol,
    return_over,
    rolling_corr_beta,
    rolling_corr_changes,
    to_weekly,
    window_drawdown,
    window_return,
)
from reportgen.store import Snapshot

WINDOW = 90
ASSETS = (("btc", "CBBTCUSD", 365), ("gold", "GOLD", 252))  # key, series, trading days
EPISODE_SERIES = (("nasdaq", "NASDAQCOM"), ("btc", "CBBTCUSD"), ("gold", "GOLD"))


def net_liquidity(data: Snapshot):
    """Fed balance sheet less the Treasury's account and ON RRP, weekly, in USD bn."""
    walcl = to_weekly(data.usd_bn("WALCL"))
    tga = to_weekly(data.usd_bn("WTREGEN"))
    rrp = to_weekly(data.usd_bn("RRPONTSYD"), how="mean")
    return (walcl - tga.reindex(walcl.index) - rrp.reindex(walcl.index)).dropna()


def hedge_verdict(corr: Signal, beta: Signal, levels: Mapping[str, float]) -> Signal:
    """Bitcoin as high-beta liquidity (correlation and beta both high), as something
    moving on its own (low correlation), or in between."""
    inputs = ("CBBTCUSD", "NASDAQCOM")
    if not (corr.ok and beta.ok):
        return Signal("btc_hedge", None, "state", None, inputs)
    if corr.value >= levels["high_beta_corr"] and beta.value >= levels["high_beta_beta"]:
        state = "high_beta"
    elif corr.value < levels["independent_corr"]:
        state = "independent"
    else:
        state = "partial"
    return Signal("btc_hedge", None, "state", corr.date, inputs, state)


def real_yield_tie(sid: str, corr: Signal, levels: Mapping[str, float]) -> Signal:
    """Moving against real yields (what a hedge against easier money does), with them, or
    with no steady tie, from the 90-day correlation."""
    if not corr.ok:
        return Signal(sid, None, "state", None, corr.inputs)
    band = levels["real_yield_tie_corr"]
    state = "inverse" if corr.value <= -band else "with" if corr.value >= band else "loose"
    return Signal(sid, None, "state", corr.date, corr.inputs, state)


def assets(data: Snapshot, levels: Mapping[str, float], out: SectionResult) -> None:
    """Per asset: price, 12-month return, below peak, volatility, and its 90-day ties to
    the Nasdaq and to real yields."""
    ndx, real = clean(data["NASDAQCOM"]), clean(data["DFII10"])
    for key, sid, ppy in ASSETS:
        s = clean(data[sid])
        out.series[f"{key}_usd"] = s
        out.add(last_signal(f"{key}_usd", s, "usd", (sid,), change_days=91, change_label="3m"))
        ret = return_over(s, 365)
        out.series[f"{key}_return_12m_pct"] = ret
        out.add(last_signal(f"{key}_return_12m_pct", ret, "percent", (sid,)))
        vol, dd = realised_vol(s, 30, ppy), drawdown(s)
        out.series.update({f"{key}_vol_30d_pct": vol, f"{key}_drawdown_pct": dd})
        out.add(last_signal(f"{key}_vol_30d_pct", vol, "percent", (sid,)))
        at_peak = len(dd) > 0 and dd.iloc[-1] == 0.0
        out.add(last_signal(f"{key}_drawdown_pct", dd, "percent", (sid,),
                            state="at_peak" if at_peak else "below_peak"))
        cb = rolling_corr_beta(s, ndx, WINDOW)
        out.series[f"{key}_nasdaq_corr_90d"] = cb["corr"]
        out.add(last_signal(f"{key}_nasdaq_corr_90d", cb["corr"], "ratio", (sid, "NASDAQCOM"),
                            change_days=91, change_label="3m"))
        if key == "btc":
            out.series["btc_nasdaq_beta_90d"] = cb["beta"]
            out.add(last_signal("btc_nasdaq_beta_90d", cb["beta"], "ratio",
                                (sid, "NASDAQCOM"), change_days=91, change_label="3m"))
        ry = rolling_corr_changes(s, real, WINDOW)
        out.series[f"{key}_real_yield_corr_90d"] = ry
        tie = out.add(last_signal(f"{key}_real_yield_corr_90d", ry, "ratio", (sid, "DFII10"),
                                  change_days=91, change_label="3m"))
        out.add(real_yield_tie(f"{key}_real_yield_tie", tie, levels))


def episodes(data: Snapshot, specs: Sequence[Mapping[str, Any]], as_of: dt.date
             ) -> list[dict[str, Any]]:
    """Each episode over by `as_of` that the Nasdaq covers: every asset's return over it
    and its deepest fall within it (NaN where the asset does not cover the window)."""
    rows = []
    for spec in specs:
        start, end = pd.Timestamp(spec["start"]), pd.Timestamp(spec["end"])
        if end.date() > as_of:
            continue
        row: dict[str, Any] = {"id": spec["id"], "label": spec.get("code", spec["id"]),
                               "title": spec["label"], "start": start.date(),
                               "date": end.date()}
        for key, sid in EPISODE_SERIES:
            s = clean(data[sid])
            row[f"{key}_return_pct"] = window_return(s, start, end)
            row[f"{key}_worst_pct"] = window_drawdown(s, start, end)
        if pd.notna(row["nasdaq_return_pct"]):
            rows.append(row)
    return rows


def stress_record(rows: list[dict[str, Any]], levels: Mapping[str, float],
                  data: Snapshot, out: SectionResult) -> None:
    """Over the episodes in which the Nasdaq fell: how often bitcoin fell further, how often
    it rose, how often gold rose; the verdict `btc_stress_hedge` (failed / held / mixed)."""
    falls = [r for r in rows if r["nasdaq_return_pct"] < 0]
    btc = [r for r in falls if pd.notna(r["btc_return_pct"])]
    gold = [r for r in falls if pd.notna(r["gold_return_pct"])]
    when = max((r["date"] for r in btc), default=None)
    inputs = ("NASDAQCOM", "CBBTCUSD")
    if not btc:
        out.add(Signal("btc_stress_episodes", None, "count", None, inputs))
        out.add(Signal("btc_stress_hedge", None, "state", None, inputs))
    else:
        worse = sum(r["btc_return_pct"] < r["nasdaq_return_pct"] for r in btc)
        rose = sum(r["btc_return_pct"] > 0 for r in btc)
        out.add(Signal("btc_stress_episodes", float(len(btc)), "count", when, inputs))
        out.add(Signal("btc_stress_worse_count", float(worse), "count", when, inputs))
        out.add(Signal("btc_stress_up_count", float(rose), "count", when, inputs,
                       "" if rose else "never_rose"))
        state = ("failed" if 100 * worse / len(btc) >= levels["stress_failed_share"] else
                 "held" if 100 * rose / len(btc) >= levels["stress_held_share"] else "mixed")
        out.add(Signal("btc_stress_hedge", None, "state", when, inputs, state))
    g_inputs = ("NASDAQCOM", "GOLD")
    if gold:
        g_when = max(r["date"] for r in gold)
        out.add(Signal("gold_stress_episodes", float(len(gold)), "count", g_when, g_inputs))
        out.add(Signal("gold_stress_up_count", float(sum(r["gold_return_pct"] > 0
                                                          for r in gold)), "count", g_when,
                       g_inputs))
    else:
        out.add(Signal("gold_stress_episodes", None, "count", None, g_inputs))
    out.tables["stress_episodes"] = rows
    out.add(Signal("stress_episodes", float(len(rows)) if rows else None, "count",
                   max((r["date"] for r in rows), default=None),
                   drawn_from(data, "NASDAQCOM", "CBBTCUSD", "GOLD")))


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    out = SectionResult()
    assets(data, ctx.levels, out)
    out.add(hedge_verdict(out.signals["btc_nasdaq_corr_90d"],
                          out.signals["btc_nasdaq_beta_90d"], ctx.levels))
    rows = episodes(data, ctx.catalogs.get("episodes", {}).get("episode", []), ctx.as_of)
    stress_record(rows, ctx.levels, data, out)
    liq = net_liquidity(data)
    out.series["net_liquidity_usd_bn"] = liq
    liq_13w = diff_over(liq, 91)
    out.series["net_liquidity_13w_change_usd_bn"] = liq_13w
    out.add(last_signal("net_liquidity_13w_change_usd_bn", liq_13w, "usd_bn",
                        ("WALCL", "WTREGEN", "RRPONTSYD")))
    out.add(last_signal("net_liquidity_usd_bn", liq, "usd_bn", ("WALCL", "WTREGEN", "RRPONTSYD"),
                        change_days=91, change_label="13w"))
    return out
