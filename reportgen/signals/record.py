"""The framework's track record: how its readings have played out since 2018.

The readings come from the backtest table (reportgen/backtest.py), carried into the
snapshot as the `backtest` table by the build; what followed each reading is measured here,
on the snapshot's own series, so an `--as-of` replay never uses data published after its
date. The result holds, for every stance class, how often it was read and what the
high-yield spread did over the next 13 weeks, beside the base rate of all weeks.
"""

from __future__ import annotations

import pandas as pd

from reportgen import backtest
from reportgen.signals.base import Context, SectionResult, Signal
from reportgen.store import Snapshot

WEEKS = 13


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    out = SectionResult()
    table = data.table("backtest")
    if table is None or table.empty:
        out.data["available"] = False
        return out
    table = table[table["date"] <= pd.Timestamp(data.as_of)].reset_index(drop=True)
    series = {sid: data[sid] for sid in (backtest.SPREAD, backtest.NFCI, backtest.TARGET,
                                         *backtest.EQUITY)}
    after = backtest.outcomes(table, series, data.as_of)
    stances = sorted({s for s in table["stance"] if s})
    out.data.update(available=True, weeks=WEEKS,
                    conditional={s: backtest.conditional(
                                        table, after, s, WEEKS, ctx.levels["record_flat_bp"])
                                 for s in stances},
                    first=table["date"].min().date(), readings=len(table))
    score = pd.Series(table["stance_score"].astype(float).to_numpy(),
                      index=pd.DatetimeIndex(table["date"], name="date"))
    out.series["record_stance_score"] = score.dropna()
    # the readings rest on the stance's inputs (resolved to catalog series by whoever names
    # sources), and what followed on the spread
    stance_inputs = tuple(spec["input"] for spec in ctx.catalogs.get("scorecards", {}).get(
        "stance", {}).get("input", []))
    out.inputs["record_stance_score"] = (*stance_inputs, backtest.SPREAD)
    out.tables["stance_history"] = table[["date", "stance", "stance_score"]]
    summary = backtest.summarise(table, after)
    rates = summary["hit_rates"]
    out.data["hit_rates"] = rates
    out.data["bearish_vs_all"] = backtest.compare_rates(
        rates["bearish"]["rate_pct"], rates["all_weeks"]["rate_pct"],
        ctx.levels["record_rate_band_pp"])
    out.add(Signal("record_readings", float(len(table)), "count", data.as_of,
                   out.inputs["record_stance_score"]))
    return out
