"""The conclusion: the four features of the next stretch, each a verdict on this week's
evidence rather than a fixed claim.

The essay names them (tighter financial conditions, rising credit sensitivity, more
political turbulence, more non-linear policy reactions); the data decide whether each
holds now. Every verdict is a state signal; the template only picks the words.
"""

from __future__ import annotations

import pandas as pd

from reportgen.signals.base import Context, SectionResult, Signal
from reportgen.signals.transforms import clean, percentile_rank
from reportgen.store import Snapshot


def _state(ctx: Context, sid: str) -> str:
    sig = ctx.signals.get(sid)
    return sig.state if sig is not None else ""


def conditions(ctx: Context) -> Signal:
    """Financial conditions (NFCI; above zero is tighter than average) and their direction
    over 13 weeks (the dead band of nfci_index)."""
    nfci = ctx.signals.get("nfci_index")
    if nfci is None or not nfci.ok:
        return Signal("conditions_verdict", None, "state", None, ("NFCI",))
    level = "tight" if nfci.value > 0 else "loose"
    moving = {"rising": "tightening", "falling": "easing"}.get(nfci.state, "steady")
    return Signal("conditions_verdict", None, "state", nfci.date, ("NFCI",),
                  f"{level}_{moving}")


def credit(ctx: Context) -> Signal:
    """Credit sensitivity: where the high-yield spread sits in its history (tight, normal,
    wide) and whether it is widening over three months."""
    pct, spread = ctx.signals.get("hy_oas_percentile"), ctx.signals.get("hy_oas_bp")
    if pct is None or not pct.ok or spread is None:
        return Signal("credit_verdict", None, "state", None, ("BAMLH0A0HYM2",))
    moving = {"rising": "widening", "falling": "narrowing"}.get(spread.state, "steady")
    return Signal("credit_verdict", None, "state", pct.date, ("BAMLH0A0HYM2",),
                  f"{pct.state or 'normal'}_{moving}")


def politics(data: Snapshot, ctx: Context) -> Signal:
    """Political turbulence: the 30-day average of economic policy uncertainty against its
    own history (high above the 75th percentile, low below the 25th) and its direction."""
    epu = clean(ctx.series.get("epu_30d_avg", pd.Series(dtype="float64")))
    sig = ctx.signals.get("epu_30d_avg")
    if epu.empty or sig is None or not sig.ok:
        return Signal("politics_verdict", None, "state", None, ("USEPUINDXD",))
    pct = percentile_rank(epu, float(epu.iloc[-1]))
    levels = ctx.levels
    level = ("high" if pct > levels["spread_wide_percentile"] else
             "low" if pct < levels["spread_tight_percentile"] else "normal")
    moving = {"rising": "rising", "falling": "falling"}.get(sig.state, "steady")
    return Signal("politics_verdict", pct, "percentile", sig.date, ("USEPUINDXD",),
                  f"{level}_{moving}")


def policy(ctx: Context) -> Signal:
    """Non-linear policy reactions: funding stress or strain at the floor (the Fed has had
    to act abruptly there before); else a sharp repricing of the path (the two-year yield
    moving `rate_repricing_bp` or more in four weeks: the market expects the Fed to move
    faster than a month ago); else how the market prices the path."""
    funding = _state(ctx, "funding_stress")
    inputs = ("SOFR", "EFFR", "IORB", "DGS2")
    if funding in ("stress", "strained"):
        return Signal("policy_verdict", None, "state", ctx.as_of, inputs, f"funding_{funding}")
    moved = ctx.signals.get("dgs2_4w_change_bp")
    if moved is not None and moved.ok and abs(moved.value) >= ctx.levels["rate_repricing_bp"]:
        return Signal("policy_verdict", None, "state", ctx.as_of, inputs,
                      "repricing_cuts" if moved.value < 0 else "repricing_hikes")
    path = _state(ctx, "rate_path")
    if not funding and not path:
        return Signal("policy_verdict", None, "state", None, inputs)
    return Signal("policy_verdict", None, "state", ctx.as_of, inputs,
                  f"calm_{path}" if path else "calm")


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    """The conclusion reads the verdicts of every section placed before it."""
    out = SectionResult()
    for sig in (conditions(ctx), credit(ctx), politics(data, ctx), policy(ctx)):
        out.add(sig)
    return out
