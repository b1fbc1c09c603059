"""Section 7, bitcoin and gold: hedge, or high-beta liquidity?"""

from __future__ import annotations

from collections.abc import Mapping

from reportgen.signals.base import Context, SectionResult, Signal, last_signal
from reportgen.signals.transforms import (
    clean,
    diff_over,
    drawdown,
    realised_vol,
    rolling_corr_beta,
    to_weekly,
)
from reportgen.store import Snapshot

WINDOW = 90


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


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    out = SectionResult()
    btc, ndx, gold = clean(data["CBBTCUSD"]), clean(data["NASDAQCOM"]), clean(data["GOLD"])
    cb = rolling_corr_beta(btc, ndx, WINDOW)
    out.series.update(btc_usd=btc, btc_nasdaq_corr_90d=cb["corr"], btc_nasdaq_beta_90d=cb["beta"])
    out.add(last_signal("btc_nasdaq_corr_90d", cb["corr"], "ratio", ("CBBTCUSD", "NASDAQCOM"),
                        change_days=91, change_label="3m"))
    out.add(last_signal("btc_nasdaq_beta_90d", cb["beta"], "ratio", ("CBBTCUSD", "NASDAQCOM"),
                        change_days=91, change_label="3m"))
    gb = rolling_corr_beta(gold, ndx, WINDOW)
    out.series["gold_nasdaq_corr_90d"] = gb["corr"]
    out.add(last_signal("gold_nasdaq_corr_90d", gb["corr"], "ratio", ("GOLD", "NASDAQCOM")))
    for key, s, sid, ppy in (("btc", btc, "CBBTCUSD", 365), ("gold", gold, "GOLD", 252)):
        vol = realised_vol(s, 30, ppy)
        dd = drawdown(s)
        out.series.update({f"{key}_vol_30d_pct": vol, f"{key}_drawdown_pct": dd})
        out.add(last_signal(f"{key}_usd", s, "usd", (sid,), change_days=91, change_label="3m"))
        out.add(last_signal(f"{key}_vol_30d_pct", vol, "percent", (sid,)))
        out.add(last_signal(f"{key}_drawdown_pct", dd, "percent", (sid,)))
    out.add(hedge_verdict(out.signals["btc_nasdaq_corr_90d"],
                          out.signals["btc_nasdaq_beta_90d"], ctx.levels))
    out.series["gold_usd"] = gold
    liq = net_liquidity(data)
    out.series["net_liquidity_usd_bn"] = liq
    liq_13w = diff_over(liq, 91)
    out.series["net_liquidity_13w_change_usd_bn"] = liq_13w
    out.add(last_signal("net_liquidity_13w_change_usd_bn", liq_13w, "usd_bn",
                        ("WALCL", "WTREGEN", "RRPONTSYD")))
    out.add(last_signal("net_liquidity_usd_bn", liq, "usd_bn", ("WALCL", "WTREGEN", "RRPONTSYD"),
                        change_days=91, change_label="13w"))
    return out
