"""Section 1, macro stance: where inflation, policy and the labour market stand."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from reportgen.signals.base import Context, SectionResult, Signal, last_signal
from reportgen.signals.transforms import (
    annualised_change,
    clean,
    moving_average,
    regular,
    yoy,
)
from reportgen.store import Snapshot


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    levels = ctx.levels
    out = SectionResult()
    cpi, core, pce = yoy(data["CPIAUCSL"]), yoy(data["CPILFESL"]), yoy(data["PCEPILFE"])
    core_3m = annualised_change(data["CPILFESL"], 3)
    core_6m = annualised_change(data["CPILFESL"], 6)
    out.series.update(cpi_yoy_pct=cpi, core_cpi_yoy_pct=core, core_pce_yoy_pct=pce,
                      core_cpi_3m_ann_pct=core_3m, core_cpi_6m_ann_pct=core_6m)
    out.add(last_signal("cpi_yoy_pct", cpi, "percent", ("CPIAUCSL",), change_periods=3,
                        change_label="3m"))
    out.add(last_signal("core_cpi_yoy_pct", core, "percent", ("CPILFESL",), change_periods=3,
                        change_label="3m"))
    out.add(last_signal("core_pce_yoy_pct", pce, "percent", ("PCEPILFE",), change_periods=3,
                        change_label="3m"))
    out.add(last_signal("core_cpi_3m_ann_pct", core_3m, "percent", ("CPILFESL",)))
    out.add(last_signal("core_cpi_6m_ann_pct", core_6m, "percent", ("CPILFESL",)))

    effr, upper, lower = clean(data["EFFR"]), clean(data["DFEDTARU"]), clean(data["DFEDTARL"])
    out.series.update(effr_pct=effr, fed_target_upper_pct=upper, fed_target_lower_pct=lower)
    out.add(last_signal("fed_target_upper_pct", upper, "percent", ("DFEDTARU",),
                        change_days=365, change_label="12m"))
    out.add(last_signal("fed_target_lower_pct", lower, "percent", ("DFEDTARL",)))
    out.add(last_signal("effr_pct", effr, "percent", ("EFFR",), change_days=91,
                        change_label="3m"))
    effr_m = regular(effr, "MS", "mean")
    real = (effr_m - pce.reindex(effr_m.index)).dropna()
    out.series["real_policy_rate_pct"] = real
    out.add(last_signal("real_policy_rate_pct", real, "percent", ("EFFR", "PCEPILFE"),
                        change_periods=6, change_label="6m"))

    unrate, payems = clean(data["UNRATE"]), clean(data["PAYEMS"])
    payroll_change = regular(payems, "MS").diff().dropna()
    payroll_3m = moving_average(payroll_change, 3)
    out.series.update(unrate_pct=unrate, payrolls_mom_k=payroll_change,
                      payrolls_3m_avg_k=payroll_3m)
    out.add(last_signal("unrate_pct", unrate, "percent", ("UNRATE",), change_days=365,
                        change_label="12m"))
    low12 = unrate.rolling("365D").min()
    gap = (unrate - low12).dropna()
    out.series["unrate_minus_12m_low_pp"] = gap
    out.add(last_signal("unrate_minus_12m_low_pp", gap, "pp", ("UNRATE",)))
    out.add(last_signal("payrolls_mom_k", payroll_change, "thousands", ("PAYEMS",)))
    out.add(last_signal("payrolls_3m_avg_k", payroll_3m, "thousands", ("PAYEMS",),
                        change_periods=3, change_label="3m"))
    out.series["cpi_minus_core_pp"] = (cpi - core.reindex(cpi.index)).dropna()
    out.add(momentum_verdict(out.signals, levels))
    exante, inputs = ex_ante_real_rate(effr, data["T5YIE"], pce)
    out.series["real_rate_exante_pct"] = exante
    out.add(last_signal("real_rate_exante_pct", exante, "percent", inputs, change_periods=6,
                        change_label="6m"))
    out.add(policy_verdict(out.signals["real_rate_exante_pct"], levels))
    return out


def momentum_verdict(signals: dict[str, Signal], levels: Mapping[str, float]) -> Signal:
    """Where core inflation is heading, when level and momentum agree. Re-accelerating:
    3-month annualised core CPI above the annual rate. Disinflating: momentum below it AND
    the annual rate of core and headline CPI falling over three months. Momentum below with
    the annual rate not falling yet is "cooling": not yet disinflation."""
    fast, slow = signals["core_cpi_3m_ann_pct"], signals["core_cpi_yoy_pct"]
    headline = signals["cpi_yoy_pct"]
    inputs = ("CPILFESL", "CPIAUCSL")
    if not (fast.ok and slow.ok):
        return Signal("inflation_momentum", None, "state", None, inputs)
    gap, band = fast.value - slow.value, levels["core_momentum_pp"]
    falling = (slow.change is not None and slow.change < 0
               and (headline.change is None or headline.change <= 0))
    if gap > band:
        state = "reaccelerating"
    elif gap < -band:
        state = "disinflating" if falling else "cooling"
    else:
        state = "sideways"
    return Signal("inflation_momentum", None, "state", fast.date, inputs, state)


def ex_ante_real_rate(effr: pd.Series, breakeven: pd.Series, core_pce: pd.Series
                      ) -> tuple[pd.Series, tuple[str, ...]]:
    """EFFR less expected inflation: the 5-year breakeven where there is one (what markets
    expect), else core PCE inflation (what was), monthly."""
    effr_m = regular(effr, "MS", "mean")
    be = clean(breakeven)
    if len(be):
        expected = regular(be, "MS", "mean").reindex(effr_m.index)
        return (effr_m - expected).dropna(), ("EFFR", "T5YIE")
    return (effr_m - core_pce.reindex(effr_m.index)).dropna(), ("EFFR", "PCEPILFE")


def policy_verdict(real: Signal, levels: Mapping[str, float]) -> Signal:
    """Restrictive, near neutral or accommodative: the ex-ante real policy rate against the
    neutral band of thresholds.toml."""
    if not real.ok:
        return Signal("policy_stance", None, "state", None, real.inputs)
    state = ("restrictive" if real.value > levels["neutral_real_high"] else
             "accommodative" if real.value < levels["neutral_real_low"] else "near_neutral")
    return Signal("policy_stance", None, "state", real.date, real.inputs, state)
