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
from reportgen.narrative import SHADING_LABELS, SOURCE_NAMES, Narrator

# The handful of numbers a strategist wants before turning the cover.
COVER_SIGNALS = ("core_pce_yoy_pct", "effr_pct", "dgs2_minus_effr_bp", "unrate_pct",
                 "hy_oas_bp", "repo_share_at_or_above_iorb", "reserves_usd_bn",
                 "net_liquidity_usd_bn", "top10_share_pct", "data_fog_index")


def chart_views(specs: list[charts.ChartSpec], style: charts.Style,
                analysis: signals.Analysis, drawn: list[charts.DrawnChart], narrator: Narrator,
                events: list[tuple[str, dt.date, dt.date | None]]) -> dict[str, dict[str, Any]]:
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
        }
    return views


def chart_sources(spec: charts.ChartSpec, analysis: signals.Analysis, t: Any) -> str:
    """Series ids behind a chart, from its signals' inputs; user tables by name."""
    ids = [s["id"] for s in (*spec.series, *spec.spokes)]
    inputs = sorted({i for sid in ids if sid in analysis.signals
                     for i in analysis.signals[sid].inputs})
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
    rows = []
    for st in analysis.sections["s2"].tables["releases"]:
        ind = catalog.indicators[st.series_id]
        period = fmt.quarter if ind.frequency == "quarterly" else fmt.month
        missing = [period(d) for d in st.missing]
        rows.append({"id": st.series_id, "title": t.gettext(ind.title), "status": st.status,
                     "latest_text": period(st.latest), "expected_text": period(st.expected),
                     "missing": missing,
                     "missing_text": format_list(missing, locale=fmt.f.babel) if missing
                     else ""})
    return rows


def appendix_rows(store: Any, snapshot: Any, narrator: Narrator) -> list[dict]:
    rows = []
    for sid in store.series_ids():
        ind = store.catalog.indicators[sid]
        s = snapshot[sid]
        prov = store.provenance(sid)
        rows.append({"id": sid, "title": ind.title,
                     "source": narrator.t.gettext(SOURCE_NAMES[ind.source]),
                     "sample": bool(prov and prov.sample),
                     "units": narrator.t.gettext(ind.units_label),
                     "last": narrator.fmt.date(s.index[-1].date()) if len(s) else "–",
                     "fetched": narrator.fmt.date(prov.fetched_at.date()) if prov else "–"})
    return rows


def language_extras(analysis: signals.Analysis, narrator: Narrator, catalog: Any,
                     store: Any, snapshot: Any, previous_date: dt.date) -> dict[str, Any]:
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
        "appendix_rows": appendix_rows(store, snapshot, narrator),
        "previous_date_text": narrator.fmt.date(previous_date),
        "cover_signals": COVER_SIGNALS,
    }


def _mean(values: Any) -> float:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else float("nan")
