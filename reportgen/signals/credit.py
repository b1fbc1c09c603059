"""Section 3, AI and mega-cap tech: is risk moving from equity volatility into credit?"""

from __future__ import annotations

from reportgen.signals.base import Context, SectionResult, Signal, last_signal
from reportgen.signals.transforms import clean, percentile_rank, yoy
from reportgen.store import Snapshot

SPREADS = {  # series -> signal stem; all OAS are published in percent
    "BAMLC0A0CM": "ig_oas",
    "BAMLC0A4CBBB": "bbb_oas",
    "BAMLH0A0HYM2": "hy_oas",
    "BAA10Y": "baa_minus_10y",
}


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    levels = ctx.levels
    out = SectionResult()
    for sid, stem in SPREADS.items():
        bp = 100.0 * clean(data[sid])
        out.series[f"{stem}_bp"] = bp
        sig = out.add(last_signal(f"{stem}_bp", bp, "bp", (sid,), change_days=91,
                                  change_label="3m"))
        pct = percentile_rank(bp)
        state = ("tight" if pct < levels["spread_tight_percentile"] else
                 "wide" if pct > levels["spread_wide_percentile"] else "normal")
        out.add(Signal(f"{stem}_percentile", pct, "percentile", sig.date, (sid,), state))
    debt = yoy(data["BCNSDODNS"], periods=4)
    out.series["nonfin_corp_debt_yoy_pct"] = debt
    out.add(last_signal("nonfin_corp_debt_yoy_pct", debt, "percent", ("BCNSDODNS",),
                        change_periods=4, change_label="1y"))
    capex = clean(data["HYPERSCALER_CAPEX"])
    if len(capex):
        out.series["hyperscaler_capex_usd_bn"] = capex
        growth = yoy(capex, periods=4)
        out.add(last_signal("hyperscaler_capex_usd_bn", capex, "usd_bn", ("HYPERSCALER_CAPEX",)))
        out.add(last_signal("hyperscaler_capex_yoy_pct", growth, "percent",
                            ("HYPERSCALER_CAPEX",)))
    cds = clean(data["CLOUD_CDS_5Y"])
    if len(cds):
        out.series["cloud_cds_5y_bp"] = cds
        out.add(last_signal("cloud_cds_5y_bp", cds, "bp", ("CLOUD_CDS_5Y",), change_days=91,
                            change_label="3m"))
    return out
