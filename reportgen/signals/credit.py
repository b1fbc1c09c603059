"""Section 3, AI and mega-cap tech: is risk moving from equity volatility into credit?

Two sides of one question. Credit: corporate spreads and where they sit in their history
(phrased in the direction that matters: a spread at its 5th percentile is tighter than 95%
of its history), corporate borrowing, and a single name's CDS or bond spread from the
user's file. The AI spenders: from their SEC filings (`reportgen.signals.hyperscalers`),
capex against operating cash flow, the debt they issue and the share of capex it funds, in
total and by company, each as known on the as-of date (facts count from their filing
date). The funding verdict (`capex_funding`) is made here, from trailing four-quarter
sums, so one quarter's bond sale does not swing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from reportgen.signals import hyperscalers as hs
from reportgen.signals.base import (
    Context,
    SectionResult,
    Signal,
    direction,
    last_signal,
)
from reportgen.signals.transforms import clean, percentile_rank, share_beyond, yoy
from reportgen.store import Snapshot

SPREADS = {  # series -> signal stem; all OAS are published in percent
    "BAMLC0A0CM": "ig_oas",
    "BAMLC0A4CBBB": "bbb_oas",
    "BAMLH0A0HYM2": "hy_oas",
    "BAA10Y": "baa_minus_10y",
}
# Signals of the hyperscaler total: id -> column of hyperscalers.derive. Flows by quarter
# (what the chart draws) and over the last four quarters (what the sentences state).
TOTAL = {
    "hyperscaler_capex_usd_bn": "capex_usd_bn",
    "hyperscaler_ocf_usd_bn": "operating_cash_flow_usd_bn",
    "hyperscaler_debt_issued_usd_bn": "debt_issued_usd_bn",
    "hyperscaler_capex_ttm_usd_bn": "capex_ttm_usd_bn",
    "hyperscaler_ocf_ttm_usd_bn": "operating_cash_flow_ttm_usd_bn",
    "hyperscaler_fcf_ttm_usd_bn": "free_cash_flow_ttm_usd_bn",
    "hyperscaler_debt_issued_ttm_usd_bn": "debt_issued_ttm_usd_bn",
    "hyperscaler_buybacks_ttm_usd_bn": "buybacks_ttm_usd_bn",
    "hyperscaler_capex_yoy_pct": "capex_yoy_pct",
    "hyperscaler_capex_to_ocf_pct": "capex_to_ocf_ttm_pct",
    "hyperscaler_debt_funded_share_pct": "debt_funded_share_ttm_pct",
    "hyperscaler_net_debt_usd_bn": "net_debt_usd_bn",
}
# Sign states: (state signal, the figure, (above zero, zero or below)).
SIGNS = (
    ("hyperscaler_capex_trend", "hyperscaler_capex_yoy_pct", ("higher", "lower")),
    ("hyperscaler_fcf_sign", "hyperscaler_fcf_ttm_usd_bn", ("surplus", "shortfall")),
    ("hyperscaler_net_position", "hyperscaler_net_debt_usd_bn", ("net_debt", "net_cash")),
)
# Per company, at its own latest quarter: table column -> column of hyperscalers.derive.
BY_COMPANY = {
    "hyperscaler_capex_ttm_usd_bn": "capex_ttm_usd_bn",
    "hyperscaler_ocf_ttm_usd_bn": "operating_cash_flow_ttm_usd_bn",
    "hyperscaler_debt_issued_ttm_usd_bn": "debt_issued_ttm_usd_bn",
    "capex_to_ocf_pct": "capex_to_ocf_ttm_pct",
    "debt_funded_share_pct": "debt_funded_share_ttm_pct",
    "net_debt_usd_bn": "net_debt_usd_bn",
}


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    out = SectionResult()
    spreads(data, ctx.levels, out)
    debt = yoy(data["BCNSDODNS"], periods=4)
    out.series["nonfin_corp_debt_yoy_pct"] = debt
    out.add(last_signal("nonfin_corp_debt_yoy_pct", debt, "percent", ("BCNSDODNS",),
                        change_periods=4, change_label="1y"))
    single_name(data, out)
    hyperscalers(hs.compute(data), ctx.levels, out)
    out.add(cycle_verdict(out.signals["capex_funding"], out.signals["hy_oas_percentile"]))
    return out


DEBT_STATES = frozenset({"debt_rising", "debt_heavy", "debt_filling"})


def cycle_verdict(funding: Signal, spreads: Signal) -> Signal:
    """The section's answer: is the risk moving from equity volatility into credit? Debt
    funding the build-out moves it toward credit; the high-yield spread's place in its
    history says whether lenders price that yet.
    building_unpriced  leverage building, credit priced for calm
    building           leverage building, spreads mid-range
    credit_cycle       leverage building and credit pricing stress
    stress_elsewhere   credit pricing stress, but capex still paid from cash
    equity_risk        capex paid from cash, credit calm: the risk is still in equities"""
    inputs = tuple(dict.fromkeys((*funding.inputs, *spreads.inputs)))
    if not funding.state or not spreads.state:
        return Signal("ai_credit_cycle", None, "state", None, inputs)
    debt = funding.state in DEBT_STATES
    if debt:
        state = {"tight": "building_unpriced", "wide": "credit_cycle"}.get(spreads.state,
                                                                          "building")
    else:
        state = "stress_elsewhere" if spreads.state == "wide" else "equity_risk"
    return Signal("ai_credit_cycle", None, "state", max(funding.date, spreads.date), inputs,
                  state)


# -- credit spreads ------------------------------------------------------------------------


def spreads(data: Snapshot, levels: Mapping[str, float], out: SectionResult) -> None:
    """Each spread in bp, its percentile (state tight / normal / wide) and its rank in the
    direction that matters (`<stem>_rank`: the share of history it is tighter or wider
    than, state "tighter" or "wider")."""
    for sid, stem in SPREADS.items():
        bp = 100.0 * clean(data[sid])
        out.series[f"{stem}_bp"] = bp
        sig = out.add(last_signal(f"{stem}_bp", bp, "bp", (sid,), change_days=91,
                                  change_label="3m"))
        if not sig.ok:
            out.add(Signal(f"{stem}_percentile", None, "percentile", None, (sid,)))
            out.add(Signal(f"{stem}_rank", None, "percent", None, (sid,)))
            continue
        pct = percentile_rank(bp)
        state = ("tight" if pct < levels["spread_tight_percentile"] else
                 "wide" if pct > levels["spread_wide_percentile"] else "normal")
        out.add(Signal(f"{stem}_percentile", pct, "percentile", sig.date, (sid,), state))
        out.add(rank_signal(f"{stem}_rank", bp, sig))


def rank_signal(sid: str, s: pd.Series, last: Signal) -> Signal:
    """The share of history a spread is tighter than (in the lower half) or wider than."""
    wider, tighter = share_beyond(s)
    side, share = ("tighter", tighter) if tighter >= wider else ("wider", wider)
    return Signal(sid, share, "percent", last.date, last.inputs, side)


def single_name(data: Snapshot, out: SectionResult) -> None:
    """A single name's CDS or bond spread from the user's file, and its gap over the
    investment-grade index on the last day both are known."""
    cds = clean(data["CLOUD_CDS_5Y"])
    out.series["cloud_cds_5y_bp"] = cds
    out.add(last_signal("cloud_cds_5y_bp", cds, "bp", ("CLOUD_CDS_5Y",), change_days=91,
                        change_label="3m"))
    ig = out.series.get("ig_oas_bp", pd.Series(dtype="float64"))
    gap = (cds - ig.reindex(cds.index, method="ffill")).dropna() if len(ig) and len(cds) \
        else cds.iloc[0:0]
    out.add(last_signal("cloud_cds_minus_ig_bp", gap, "bp", ("CLOUD_CDS_5Y", "BAMLC0A0CM"),
                        change_days=91, change_label="3m"))


# -- the AI spenders from their filings ----------------------------------------------------


def quarter_signal(sid: str, s: pd.Series, unit: str, inputs: tuple[str, ...],
                   state: str | None = None) -> Signal:
    """The latest quarter's value, dated by its quarter, with the change over a year
    (against the same quarter a year earlier)."""
    valid = s.dropna()
    if valid.empty:
        return Signal(sid, None, unit, None, inputs)
    when = valid.index[-1]
    year_ago = s.get(when - pd.DateOffset(years=1), np.nan)
    change = float(valid.iloc[-1] - year_ago) if pd.notna(year_ago) else None
    return Signal(sid, float(valid.iloc[-1]), unit, when.date(), inputs,
                  direction(change, 0.0) if state is None else state, change, "1y")


def hyperscalers(h: hs.Hyperscalers, levels: Mapping[str, float], out: SectionResult) -> None:
    """The total's measures, the verdict on how capex is funded, the company whose capex
    debt funds most, and a row per company at its own latest quarter."""
    inputs = tuple(f"SEC:{c}" for c in h.members)
    total = h.total
    for sid, column in TOTAL.items():
        s = total[column].astype("float64") if column in total else pd.Series(dtype="float64")
        unit = "percent" if sid.endswith("_pct") else "usd_bn"
        out.series[sid] = s.dropna()
        out.add(quarter_signal(sid, s, unit, inputs))
    for sid, of, states in SIGNS:
        out.add(sign_state(sid, out.signals[of], states))
    out.add(funding_verdict(out.signals["hyperscaler_capex_to_ocf_pct"],
                            out.signals["hyperscaler_debt_funded_share_pct"], levels))
    rows = company_rows(h)
    present = tuple(f"SEC:{r['label']}" for r in rows)
    out.tables["hyperscaler_companies"] = rows
    out.add(Signal("hyperscaler_companies", float(len(rows)) if rows else None, "count",
                   max((r["date"] for r in rows), default=None), present))
    counted = [r for r in rows if r["in_total"] and np.isfinite(r["debt_funded_share_pct"])]
    if counted:
        top = max(counted, key=lambda r: r["debt_funded_share_pct"])
        out.add(Signal("hyperscaler_top_debt_share_pct", top["debt_funded_share_pct"],
                       "percent", top["date"], (f"SEC:{top['label']}",)))
        out.data["top_debt_company"] = top["label"]
    else:
        out.add(Signal("hyperscaler_top_debt_share_pct", None, "percent", None, inputs))


def sign_state(sid: str, of: Signal, states: tuple[str, str]) -> Signal:
    """Which side of zero a figure is on (capex growing or shrinking, net debt or net
    cash), so a sentence can carry the sign in words and state the size alone."""
    if not of.ok:
        return Signal(sid, None, "state", None, of.inputs)
    return Signal(sid, None, "state", of.date, of.inputs, states[0] if of.value > 0 else states[1])


def company_rows(h: hs.Hyperscalers) -> list[dict[str, Any]]:
    """One row per company: its trailing four quarters to its own latest quarter with a
    full year of capex (the companies' fiscal quarters end on different dates)."""
    rows = []
    for cid, frame in h.companies.items():
        capex = frame["capex_ttm_usd_bn"].dropna()
        if capex.empty:
            continue
        last = frame.loc[capex.index[-1]]
        end = last.get("period_end")
        row: dict[str, Any] = {"label": cid, "date": capex.index[-1].date(),
                               "period_end": end.date() if pd.notna(end) else None,
                               "in_total": cid in h.members}
        for key, column in BY_COMPANY.items():
            row[key] = float(last[column]) if pd.notna(last[column]) else float("nan")
        rows.append(row)
    return rows


def funding_verdict(ratio: Signal, share: Signal, levels: Mapping[str, float]) -> Signal:
    """How the AI spenders pay for capex, over the last four quarters:
    debt_rising     new debt funds a material and rising share (the essay's turn)
    debt_heavy      debt funds a large share, though no longer a rising one
    debt_filling    capex exceeds operating cash flow and debt fills part of the gap
    cash_drawdown   capex exceeds operating cash flow, the gap paid from cash reserves
    cash_stretched  still paid from cash, but capex absorbs most of operating cash flow
    cash_funded     still paid from cash, with room to spare."""
    inputs = tuple(dict.fromkeys((*ratio.inputs, *share.inputs)))
    if not (ratio.ok and share.ok):
        return Signal("capex_funding", None, "state", None, inputs)
    material = share.value >= levels["debt_share_material"]
    rising = share.change is not None and share.change >= levels["debt_share_rising_pp"]
    if material and rising:
        state = "debt_rising"
    elif share.value >= levels["debt_share_high"]:
        state = "debt_heavy"
    elif ratio.value >= 100.0:
        state = "debt_filling" if material else "cash_drawdown"
    elif ratio.value >= levels["capex_ocf_stretched"]:
        state = "cash_stretched"
    else:
        state = "cash_funded"
    return Signal("capex_funding", None, "state", max(ratio.date, share.date), inputs, state)
