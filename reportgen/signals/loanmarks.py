"""Section 4's private-credit block: is private credit marking reality?

The user's loan-marks file (`data/loan_marks.csv`: date, loan_id, borrower, manager, mark in
cents on the dollar) holds the same loan as each holder marks it at a period end, as
business development companies and private-credit funds report it in their schedules of
investments. For each loan and date, the spread between the highest and lowest mark is the
disagreement about what it is worth (the essay's 70 against 90 cents): a holder marking
to model can stay near par while another, closer to the market, marks it down. Only loans
that at least two holders mark count.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from reportgen.signals.base import SectionResult, Signal

COLUMNS = ["date", "loan_id", "borrower", "low", "high", "spread", "holders"]


def loan_mark_dispersion(table: pd.DataFrame | None) -> pd.DataFrame:
    """Per date and loan held by two or more managers, the lowest and highest mark and
    the spread between them."""
    if table is None or table.empty:
        return pd.DataFrame(columns=COLUMNS)
    g = table.groupby(["date", "loan_id", "borrower"])["mark"]
    out = g.agg(low="min", high="max", holders="count").reset_index()
    out = out[out["holders"] >= 2].copy()
    out["spread"] = out["high"] - out["low"]
    return out[COLUMNS].reset_index(drop=True)


def loan_marks(table: pd.DataFrame | None, levels: Mapping[str, float],
               out: SectionResult) -> None:
    """The latest date's average and widest spread, the widest loan's marks, and the
    verdict `loan_marks` (diverging / in_step)."""
    marks = loan_mark_dispersion(table)
    out.tables["loan_marks"] = marks
    inputs = ("loan_marks",)
    if marks.empty:
        out.add(Signal("loan_marks", None, "state", None, inputs))
        return
    latest = marks[marks["date"] == marks["date"].max()]
    widest = latest.sort_values("spread").iloc[-1]
    when = pd.Timestamp(latest["date"].iloc[0]).date()
    out.add(Signal("loan_mark_dispersion_cents", float(latest["spread"].mean()), "cents", when,
                   inputs))
    out.add(Signal("loan_mark_widest_spread_cents", float(widest["spread"]), "cents", when,
                   inputs))
    out.add(Signal("loan_mark_widest_low_cents", float(widest["low"]), "cents", when, inputs))
    out.add(Signal("loan_mark_widest_high_cents", float(widest["high"]), "cents", when,
                   inputs))
    out.add(Signal("loan_mark_loans", float(len(latest)), "count", when, inputs))
    out.data["loan_mark_wide_cents"] = float(levels["loan_mark_wide_cents"])
    wide = latest["spread"] >= levels["loan_mark_wide_cents"]
    out.add(Signal("loan_mark_wide_count", float(wide.sum()), "count", when, inputs))
    state = "diverging" if wide.any() else "in_step"
    out.add(Signal("loan_marks", None, "state", when, inputs, state))
    out.tables["widest_loan"] = widest.to_dict()
