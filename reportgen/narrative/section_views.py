"""The built-in sections' `views` steps: what each template shows beyond single sentences,
in one language. Each takes a ViewContext and returns the dict its template sees as `view`;
the sections name them in their section.toml (`views = "reportgen.narrative.section_views:…"`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

from babel.lists import format_list

from reportgen.charts.sparkline import Sparkline, sparkline
from reportgen.narrative import N_
from reportgen.narrative.digest import key_numbers
from reportgen.narrative.views import (
    ViewContext,
    appendix_rows,
    company_names,
    failed_rows,
    revision_text,
    stale_text,
    user_file,
)
from reportgen.releases import FOMC, week_ahead

FOMC_WORDS = N_("FOMC meeting (statement on the last day)")


def cover(ctx: ViewContext) -> dict[str, Any]:
    """The banners (sample, stale, rebuilt), the key numbers with their change since the
    issue compared with, the week's takeaways (both as the e-mail has them, see digest),
    each number's past year as a sparkline (the series of the same id, where the analysis
    has one) and the week ahead."""
    snapshot, narrator = ctx.snapshot, ctx.narrator
    changes = ctx.analysis.changes
    previous = changes.previous if changes is not None else {}
    numbers = key_numbers(narrator, list(ctx.cover_signals), previous)
    return {"stale_count": len(snapshot.stale()),
            "fallback": ctx.issue.fallback is not None,
            "rebuilt_as_of": narrator.fmt.date(snapshot.as_of) if ctx.issue.rebuilt else None,
            "numbers": numbers,
            "sparklines": {k.id: _sparkline(ctx, k) for k in numbers},
            "since": narrator.fmt.date(dt.date.fromisoformat(changes.previous_date))
            if changes is not None and changes.previous_date else "",
            "takeaways": ctx.takeaways,
            "week_ahead": week_ahead_rows(ctx)}


def _sparkline(ctx: ViewContext, number: Any) -> Sparkline | None:
    """A key number's past year, with its alt text: the year's range and where it is now
    (the PDF tags it as a figure, which needs words)."""
    line = sparkline(ctx.analysis.series.get(number.id))
    if line is None:
        return None
    n = ctx.narrator
    alt = n.t.gettext("%(title)s, past 12 months: between %(low)s and %(high)s; now "
                      "%(now)s.") % {"title": number.title, "now": number.value,
                                     "low": n.value_as(number.id, line.low),
                                     "high": n.value_as(number.id, line.high)}
    return dataclasses.replace(line, alt=alt)


def week_ahead_rows(ctx: ViewContext) -> list[dict[str, str]]:
    """The releases and FOMC meetings of the seven days after the issue, in the reader's
    words and dates: FRED's schedule where the store holds it, else the bundled calendar."""
    fmt, t = ctx.narrator.fmt, ctx.narrator.t
    rows = []
    for item in week_ahead(ctx.catalog.releases, ctx.issue.issue_date or ctx.analysis.as_of,
                           schedule=getattr(ctx.snapshot, "schedule", None)):
        if item.kind == FOMC:
            rows.append({"kind": item.kind, "when": fmt.days(item.day, item.end),
                         "what": t.gettext(FOMC_WORDS)})
        else:
            rows.append({"kind": item.kind, "when": fmt.day(item.day),
                         "what": t.gettext(item.title)})
    return rows


def glance(ctx: ViewContext) -> dict[str, Any]:
    """Each loop's strongest input, as its one line of evidence."""
    evidence = {}
    for loop in ctx.analysis.loops:
        known = [c for c in loop.contributions if c.z is not None]
        evidence[loop.id] = max(known, key=lambda c: abs(c.contribution)) if known else None
    return {"loop_evidence": evidence}


def changed(ctx: ViewContext) -> dict[str, Any]:
    return {"previous_date_text": ctx.narrator.fmt.date(ctx.issue.previous_date)}


def stance(ctx: ViewContext) -> dict[str, Any]:
    """The three inputs that moved the stance scorecard most."""
    drivers = sorted((c for c in ctx.analysis.stance.contributions if c.z is not None),
                     key=lambda c: -abs(c.contribution))[:3]
    return {"stance_drivers": drivers}


def fog(ctx: ViewContext) -> dict[str, Any]:
    """The release table and the balance sheet's weekly pace."""
    narrator = ctx.narrator
    fmt, t = narrator.fmt, narrator.t
    tables = ctx.result.tables
    revised = {r.series_id: r for r in tables.get("revisions", [])}
    rows = []
    for st in tables["releases"]:
        ind = ctx.catalog.indicators[st.series_id]
        period = fmt.quarter if ind.frequency == "quarterly" else fmt.month
        missing = [period(d) for d in st.missing]
        rows.append({"id": st.series_id, "title": t.gettext(ind.title), "status": st.status,
                     "latest_text": period(st.latest), "expected_text": period(st.expected),
                     "missing": missing,
                     "missing_text": format_list(missing, locale=fmt.f.babel) if missing
                     else "",
                     "revision_text": revision_text(revised.get(st.series_id), period,
                                                    narrator)})
    pace = ctx.analysis.signals.get("walcl_13w_change_usd_bn")
    return {"releases": rows,
            "weekly_runoff": pace.value / 13 if pace is not None and pace.ok else None}


def credit(ctx: ViewContext) -> dict[str, Any]:
    """The filers named, a row per company for the table, and the single-name file."""
    narrator, catalog, result = ctx.narrator, ctx.catalog, ctx.result
    fmt = narrator.fmt
    rows = result.tables.get("hyperscaler_companies", [])
    members = [r["label"] for r in rows if r["in_total"]]
    table = [{"name": company_names(catalog, [r["label"]], narrator),
              "counted": r["in_total"], "quarter": fmt.quarter(r["date"]),
              "capex": fmt.usd_bn(r["hyperscaler_capex_ttm_usd_bn"]),
              "ocf": fmt.usd_bn(r["hyperscaler_ocf_ttm_usd_bn"]),
              "ratio": fmt.pct(r["capex_to_ocf_pct"], 0),
              "debt": fmt.usd_bn(r["hyperscaler_debt_issued_ttm_usd_bn"]),
              "share": fmt.pct(r["debt_funded_share_pct"], 0),
              "net_debt": fmt.usd_bn(r["net_debt_usd_bn"])} for r in rows]
    top = result.data.get("top_debt_company")
    return {"members": company_names(catalog, members, narrator),
            "companies": table,
            "top_debt_company": company_names(catalog, [top], narrator) if top else "",
            "single_name_file": user_file(catalog, "CLOUD_CDS_5Y")}


def concentration(ctx: ViewContext) -> dict[str, Any]:
    """The constituents file to add when it is absent."""
    return {"constituents_file": user_file(ctx.catalog, "constituents")}


def hedges(ctx: ViewContext) -> dict[str, Any]:
    """The stress episodes as a table, and the gold file to add when it is absent."""
    fmt, t = ctx.narrator.fmt, ctx.narrator.t
    rows = [{"title": t.gettext(r["title"]),
             "window": t.gettext("%(start)s to %(end)s") % {"start": fmt.date(r["start"]),
                                                            "end": fmt.date(r["date"])},
             **{k: fmt.pct(r[f"{k}_return_pct"], 0) for k in ("nasdaq", "btc", "gold")},
             "btc_worst": fmt.pct(r["btc_worst_pct"], 0)}
            for r in ctx.result.tables.get("stress_episodes", [])]
    return {"episodes": rows, "gold_file": user_file(ctx.catalog, "GOLD")}


def reserves(ctx: ViewContext) -> dict[str, Any]:
    """The radar in words: how many gauges have data, each episode's average over those
    gauges, which percentiles rest on a short history; the loan with the widest marks, and
    the loan-marks file to add when there is none."""
    tables = ctx.result.tables
    radar = tables.get("radar", {})
    latest = radar.get("latest", {})
    gauges = [k for k, v in latest.items() if v is not None and math.isfinite(v)]
    spec = next((c for c in ctx.section.charts if c.table == "radar"), None)
    names = {sp["id"]: ctx.narrator.t.gettext(sp["label"]) for sp in spec.spokes} if spec \
        else {}
    short = [names.get(k, k) for k in tables.get("radar_short", []) if k in gauges]
    return {"radar_avg": {k: _mean(v.get(g) for g in gauges) for k, v in radar.items()},
            "radar_count": len(gauges),
            "radar_short": format_list(short, locale=ctx.narrator.fmt.f.babel) if short else "",
            "widest_loan": tables.get("widest_loan", {}),
            "loan_marks_file": user_file(ctx.catalog, "loan_marks")}


def outlook(ctx: ViewContext) -> dict[str, Any]:
    """The triggers, each phase's share, and each phase's evidence: the triggers that hold,
    in words, so a reader sees why the data point where they do."""
    tables = ctx.result.tables
    t, babel = ctx.narrator.t, ctx.narrator.fmt.f.babel
    evidence = {}
    for phase in tables["phase_scores"]:
        held = [t.gettext(tr.label) for tr in tables["triggers"]
                if tr.phase == phase and tr.met]
        evidence[phase] = format_list(held, locale=babel) if held else ""
    return {"triggers": tables["triggers"], "evidence": evidence,
            "phase_scores": {k: v for k, v in tables["phase_scores"].items()
                             if not math.isnan(v)}}


def appendix(ctx: ViewContext) -> dict[str, Any]:
    """Every series used, with its source, vintages and freshness; the banners."""
    snapshot, narrator = ctx.snapshot, ctx.narrator
    fmt = narrator.fmt
    rebuilt = ctx.issue.rebuilt
    return {
        "appendix_rows": appendix_rows(snapshot, ctx.catalog, narrator),
        "failed_rows": failed_rows(snapshot, narrator),
        "stale_list": stale_text(snapshot.stale(), snapshot.provenance, narrator,
                                 snapshot.as_of if rebuilt else None),
        "rebuilt_as_of": fmt.date(snapshot.as_of) if rebuilt else None,
        "vintage_gaps": sorted(k for k, p in snapshot.provenance.items()
                               if p.vintages in ("estimated", "none") and k in snapshot.series)
        if rebuilt else [],
    }


def _mean(values: Any) -> float:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else float("nan")


def record(ctx: ViewContext) -> dict[str, Any]:
    """This week's reading against its history: the conditional outcome of the stance the
    framework reads now (made in the compute step for every stance; picked here)."""
    data = ctx.result.data if ctx.result is not None else {}
    if not data.get("available"):
        return {"available": False}
    stance = ctx.analysis.stance.label
    found = data["conditional"].get(stance)
    fmt = ctx.narrator.fmt
    hits = data["hit_rates"]
    return {"available": True, "found": found is not None, "stance": stance,
            "count": found["count"] if found else 0,
            "since": fmt.date(data["first"]), "weeks": data["weeks"],
            "direction": found["direction"] if found else "",
            "base_direction": found["base_direction"] if found else "",
            "median": fmt.bp(abs(found["median_bp"])) if found else "",
            "base": fmt.bp(abs(found["base_median_bp"])) if found else "",
            "bearish": hits.get("bearish", {}), "all": hits.get("all_weeks", {}),
            "compared": data.get("bearish_vs_all"), "episodes": hits.get("episodes", 0)}
