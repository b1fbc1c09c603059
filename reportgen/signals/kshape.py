"""Section 5, the K-shaped economy: is the split between households widening?"""

from __future__ import annotations

from reportgen.signals.base import Context, SectionResult, last_signal
from reportgen.signals.transforms import clean, yoy
from reportgen.store import Snapshot


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    out = SectionResult()
    youth, overall = clean(data["LNS14024887"]), clean(data["UNRATE"])
    gap = (youth - overall.reindex(youth.index)).dropna()
    out.series.update(youth_unrate_pct=youth, unrate_pct=overall, youth_unrate_gap_pp=gap)
    out.add(last_signal("youth_unrate_pct", youth, "percent", ("LNS14024887",),
                        change_days=365, change_label="12m"))
    out.add(last_signal("youth_unrate_gap_pp", gap, "pp", ("LNS14024887", "UNRATE"),
                        change_days=365, change_label="12m"))
    sent = clean(data["UMCSENT"])
    out.series["umcsent_index"] = sent
    out.add(last_signal("umcsent_index", sent, "index", ("UMCSENT",), change_days=365,
                        change_label="12m"))
    for sid, key in (("DRCCLACBS", "card_delinquency_pct"),
                     ("DRCLACBS", "consumer_loan_delinquency_pct")):
        s = clean(data[sid])
        out.series[key] = s
        out.add(last_signal(key, s, "percent", (sid,), change_days=365, change_label="1y"))
    top, bottom = clean(data["WFRBST01134"]), clean(data["WFRBSB50215"])
    out.series.update(top1_wealth_share_pct=top, bottom50_wealth_share_pct=bottom)
    out.add(last_signal("top1_wealth_share_pct", top, "percent", ("WFRBST01134",),
                        change_days=365, change_label="1y"))
    out.add(last_signal("bottom50_wealth_share_pct", bottom, "percent", ("WFRBSB50215",),
                        change_days=365, change_label="1y"))
    ratio = (top / bottom.reindex(top.index)).dropna()
    out.series["top1_to_bottom50_wealth_ratio"] = ratio
    out.add(last_signal("top1_to_bottom50_wealth_ratio", ratio, "ratio",
                        ("WFRBST01134", "WFRBSB50215"), change_days=365, change_label="1y"))
    earnings = yoy(data["LES1252881600Q"], periods=4)
    out.series["real_earnings_yoy_pct"] = earnings
    out.add(last_signal("real_earnings_yoy_pct", earnings, "percent", ("LES1252881600Q",)))
    return out
