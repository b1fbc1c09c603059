"""Views: the per-language pieces the templates show beyond single sentences.

Chart captions and legends, alt text, the release table of the data-fog section, the
appendix rows and the cover's key numbers: all built from the language-free analysis and
the drawn charts, in the reader's words and formats.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from babel.lists import format_list

from reportgen import charts, signals
from reportgen.narrative import N_, SHADING_LABELS, SOURCE_NAMES, Narrator

# The handful of numbers a strategist wants before turning the cover.
COVER_SIGNALS = ("core_pce_yoy_pct", "effr_pct", "dgs2_minus_effr_bp", "unrate_pct",
                 "hy_oas_bp", "repo_share_at_or_above_iorb", "reserves_usd_bn",
                 "net_liquidity_usd_bn", "top10_share_pct", "data_fog_index")


def chart_views(specs: list[charts.ChartSpec], style: charts.Style,
                analysis: signals.Analysis, drawn: list[charts.DrawnChart], narrator: Narrator,
                events: list[tuple[str, dt.date, dt.date | None]],
                provenance: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """What the templates need to show each chart in one language."""
    t, fmt, lang = narrator.t, narrator.fmt, narrator.lang
    by_id: dict[str, charts.DrawnChart] = {}
    for d in drawn:
        if d.lang in (None, lang):
            by_id[d.id] = d
    views = {}
    pal = style.palette
    for spec in specs:
        d = by_id.get(spec.id)
        if d is None:
            if not spec.optional:  # a live store lacks its data: say so where it would be
                inputs = chart_inputs(spec, analysis) or [s["id"] for s in spec.series]
                views[spec.id] = {"title": spec.title, "subtitle": spec.subtitle,
                                  "missing": t.gettext("No data for this chart in this issue "
                                                       "(%(series)s); see the data appendix.")
                                  % {"series": ", ".join(inputs)}}
            continue
        legend = [{"label": s["label"], "color": style.color(i), "kind": "line"}
                  for i, s in enumerate(spec.series)
                  if spec.table or len(analysis.series.get(s["id"], ()))]
        spans = {k for k, _, end in events if k in spec.shade and end is not None}
        if spec.recessions:
            spans.add("recession")
        legend += [{"label": SHADING_LABELS[k], "color": pal[k], "kind": "shade"}
                   for k in ("recession", "shutdown", "qt") if k in spans]
        if any(k in spec.shade and end is None for k, _, end in events):
            legend.append({"label": SHADING_LABELS["event"], "color": pal["event_line"],
                           "kind": "event"})
        sources_text = chart_sources(spec, analysis, t)
        last = d.last_date or analysis.data_as_of
        views[spec.id] = {
            "title": spec.title, "subtitle": spec.subtitle, "legend": legend,
            "src": f"charts/{d.path.name}", "sources": sources_text, "last": fmt.date(last),
            "alt": alt_text(spec, analysis, narrator), "radar": spec.kind == "radar_table",
            "stale": stale_text(chart_inputs(spec, analysis), provenance or {}, narrator),
        }
    return views


def chart_inputs(spec: charts.ChartSpec, analysis: signals.Analysis) -> list[str]:
    ids = [s["id"] for s in (*spec.series, *spec.spokes)]
    return sorted({i for sid in ids if sid in analysis.signals
                   for i in analysis.signals[sid].inputs})


def stale_text(series_ids: list[str], provenance: dict[str, Any], narrator: Narrator) -> str:
    """'Not updated: WALCL (last fetched 17 Nov 2026, last observation 12 Nov 2026).'"""
    t, fmt = narrator.t, narrator.fmt
    parts = []
    for sid in series_ids:
        prov = provenance.get(sid)
        if prov is None or not prov.stale:
            continue
        parts.append(t.gettext("%(series)s (last fetched %(fetched)s, last observation "
                               "%(date)s)") % {
            "series": sid,
            "fetched": fmt.date(prov.fetched_at.date()) if prov.fetched_at else "–",
            "date": fmt.date(prov.last_date) if prov.last_date else "–"})
    if not parts:
        return ""
    return t.gettext("Not updated in this issue: %(list)s.") % {
        "list": format_list(parts, locale=fmt.f.babel)}


def chart_sources(spec: charts.ChartSpec, analysis: signals.Analysis, t: Any) -> str:
    """Series ids behind a chart, from its signals' inputs; user tables by name."""
    inputs = chart_inputs(spec, analysis)
    if inputs:
        return ", ".join(inputs)
    return t.gettext("user data (%(table)s)") % {"table": spec.table or spec.id}


def alt_text(spec: charts.ChartSpec, analysis: signals.Analysis, narrator: Narrator) -> str:
    """Alt text from the data: the title, then each series' latest value and date."""
    t = narrator.t
    parts = [t.gettext(spec.title) + "."]
    for s in spec.series:
        sig = analysis.signals.get(s["id"])
        if sig is not None and sig.ok:
            label = s["label"]
            parts.append(t.gettext("%(label)s: %(value)s on %(date)s.") % {
                "label": t.gettext(label), "value": narrator.v(s["id"]),
                "date": narrator.d(s["id"])})
    return " ".join(parts)


def fog_rows(analysis: signals.Analysis, narrator: Narrator, catalog: Any) -> list[dict]:
    fmt, t = narrator.fmt, narrator.t
    s2 = analysis.sections["s2"].tables
    revised = {r.series_id: r for r in s2.get("revisions", [])}
    rows = []
    for st in s2["releases"]:
        ind = catalog.indicators[st.series_id]
        period = fmt.quarter if ind.frequency == "quarterly" else fmt.month
        missing = [period(d) for d in st.missing]
        rows.append({"id": st.series_id, "title": t.gettext(ind.title), "status": st.status,
                     "latest_text": period(st.latest), "expected_text": period(st.expected),
                     "missing": missing,
                     "missing_text": format_list(missing, locale=fmt.f.babel) if missing
                     else "",
                     "revision_text": revision_text(revised.get(st.series_id), period,
                                                    narrator)})
    return rows


def revision_text(rev: Any, period: Any, narrator: Narrator) -> str:
    """The release table's revision cell: 'none of 12' or '3 of 12; largest +0.2 pp (Aug
    2026)'; a dash where the store has no real-time data for the release."""
    if rev is None:
        return "–"
    t, fmt = narrator.t, narrator.fmt
    if not rev.revised or rev.largest is None:
        return t.gettext("none of %(count)s") % {"count": rev.first_prints}
    digits = {"pp": 2, "pct": 2}.get(rev.unit)
    size = fmt.value(rev.largest, "percent" if rev.unit == "pct" else rev.unit,
                     **({"digits": digits} if digits is not None else {}))
    size = ("+" if rev.largest > 0 else "") + size
    return t.gettext("%(revised)s of %(count)s; largest %(size)s (%(period)s)") % {
        "revised": rev.revised, "count": rev.first_prints, "size": size,
        "period": period(rev.largest_date)}


VINTAGE_WORDS = {"exact": N_("first prints and revisions"), "point": N_("vintage read"),
                 "estimated": N_("latest values before %(date)s"),
                 "none": N_("latest values")}


FAILURE_WORDS = {
    "retired": N_("the source no longer has this series (retired, or an unknown id)"),
    "implausible": N_("the answer held an implausible value and was refused"),
    "truncated": N_("the answer lacked observations already stored and was refused as "
                    "truncated"),
    "malformed": N_("the answer was malformed, cut short or too large"),
    "unreachable": N_("the source could not be reached"),
    "input": N_("the data file needs fixing"),
    "failed": N_("the fetch failed"),
}


def failed_rows(snapshot: Any, narrator: Narrator) -> list[dict]:
    """Series whose latest fetch failed: why, in words, and the source's own message."""
    t = narrator.t
    rows = []
    for sid in sorted(snapshot.series):
        prov = snapshot.provenance.get(sid)
        if prov is None or not prov.last_error:
            continue
        rows.append({"id": sid, "error": prov.last_error,
                     "reason": t.gettext(FAILURE_WORDS.get(prov.failure,
                                                           FAILURE_WORDS["failed"]))})
    return rows


def appendix_rows(snapshot: Any, catalog: Any, narrator: Narrator) -> list[dict]:
    t, fmt = narrator.t, narrator.fmt
    rows = []
    for sid in sorted(snapshot.series):
        ind = catalog.indicators[sid]
        s = snapshot[sid]
        prov = snapshot.provenance.get(sid)
        vintage = prov.vintages if prov else "none"
        rows.append({"id": sid, "title": ind.title,
                     "source": t.gettext(SOURCE_NAMES.get(prov.source if prov else ind.source,
                                                          SOURCE_NAMES[ind.source])),
                     "sample": bool(prov and prov.sample),
                     "stale": bool(prov and prov.stale),
                     "vintages": t.gettext(VINTAGE_WORDS[vintage]) % {
                         "date": fmt.date(snapshot.as_of)},
                     "units": t.gettext(ind.units_label),
                     "last": fmt.date(s.index[-1].date()) if len(s) else "–",
                     "fetched": fmt.date(prov.fetched_at.date()) if prov and prov.fetched_at
                     else "–"})
    return rows


def language_extras(analysis: signals.Analysis, narrator: Narrator, catalog: Any,
                    snapshot: Any, previous_date: dt.date, rebuilt: bool = False,
                    fallback: str | None = None) -> dict[str, Any]:
    """Per-language pieces the partials use beyond single signals."""
    s4 = analysis.sections["s4"]
    radar = s4.tables.get("radar", {})
    radar_avg = {k: _mean(v.values()) for k, v in radar.items()}
    pace = analysis.signals.get("walcl_13w_change_usd_bn")
    top_loop = {}
    for loop in analysis.loops:
        known = [c for c in loop.contributions if c.z is not None]
        top_loop[loop.id] = max(known, key=lambda c: abs(c.contribution)) if known else None
    drivers = sorted((c for c in analysis.stance.contributions if c.z is not None),
                     key=lambda c: -abs(c.contribution))[:3]
    return {
        "fog_releases": fog_rows(analysis, narrator, catalog),
        "radar_avg": radar_avg,
        "weekly_runoff": pace.value / 13 if pace is not None and pace.ok else None,
        "widest_loan": s4.tables.get("widest_loan", {}),
        "triggers": analysis.sections["s8"].tables["triggers"],
        "phase_scores": {k: v for k, v in analysis.sections["s8"].tables["phase_scores"].items()
                         if not math.isnan(v)},
        "loop_evidence": top_loop,
        "stance_drivers": drivers,
        "appendix_rows": appendix_rows(snapshot, catalog, narrator),
        "failed_rows": failed_rows(snapshot, narrator),
        "stale_list": stale_text(snapshot.stale(), snapshot.provenance, narrator),
        "stale_count": len(snapshot.stale()),
        "fallback": fallback is not None,
        "rebuilt_as_of": narrator.fmt.date(snapshot.as_of) if rebuilt else None,
        "vintage_gaps": sorted(k for k, p in snapshot.provenance.items()
                               if p.vintages in ("estimated", "none") and k in snapshot.series)
        if rebuilt else [],
        "previous_date_text": narrator.fmt.date(previous_date),
        "cover_signals": COVER_SIGNALS,
    }


def _mean(values: Any) -> float:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else float("nan")
