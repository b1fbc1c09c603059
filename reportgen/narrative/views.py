"""Views: the per-language pieces the templates show beyond single sentences.

Chart captions and legends, alt text and stale marks for every chart, and the context a
section's own `views` step receives (reportgen/narrative/section_views.py holds the
built-in sections' steps). All are built from the language-free analysis and the drawn
charts, in the reader's words and formats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from babel.lists import format_list

from reportgen import charts, signals
from reportgen.narrative import N_, SHADING_LABELS, SOURCE_NAMES, Narrator


@dataclass(frozen=True)
class ViewContext:
    """What a section's `views` step gets for one language."""

    section: Any                 # the Section
    result: Any                  # its SectionResult (None for sections without compute)
    analysis: signals.Analysis
    narrator: Narrator
    catalog: Any
    snapshot: Any
    issue: IssueInfo
    cover_signals: tuple[str, ...] = ()
    takeaways: tuple[Any, ...] = ()   # digest.Bullet: the week's takeaways in its words


@dataclass(frozen=True)
class IssueInfo:
    """Facts about this build the front and back matter state."""

    previous_date: dt.date
    rebuilt: bool = False
    fallback: str | None = None
    failed: tuple[str, ...] = ()   # series that failed to update in this run
    issue_date: dt.date | None = None  # the issue's date (an --as-of replay's data are older)


def chart_views(specs: list[charts.ChartSpec], style: charts.Style,
                analysis: signals.Analysis, drawn: list[charts.DrawnChart], narrator: Narrator,
                events: list[tuple[str, dt.date, dt.date | None]],
                provenance: dict[str, Any] | None = None, known_by: dt.date | None = None
                ) -> dict[str, dict[str, Any]]:
    """What the templates need to show each chart in one language. `provenance` (the
    snapshot's) says which catalog series had data: only those are named as sources."""
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
        table = _table(analysis, spec.table) if spec.table else None
        legend = [{"label": s["label"], "color": s.get("color", style.color(i)),
                   "kind": "shade" if spec.kind in ("stance_history", "heat_strip") else "line"}
                  for i, s in enumerate(spec.series)
                  if (table is not None and (not isinstance(table, dict) or s["id"] in table))
                  or len(analysis.series.get(s["id"], ()))]
        # keys for what the window shows, not for all the chart could shade
        legend += [{"label": SHADING_LABELS[k], "color": pal[k], "kind": "shade"}
                   for k in ("recession", "shutdown", "qt") if k in d.shown]
        if any(k in d.shown and end is None for k, _, end in events):
            legend.append({"label": SHADING_LABELS["event"], "color": pal["event_line"],
                           "kind": "event"})
        absent = [t.gettext(s["label"]) for s in spec.series
                  if table is None and not len(analysis.series.get(s["id"], ()))]
        drawn_from = chart_inputs(spec, analysis, drawn_only=True, provenance=provenance)
        sources_text = chart_sources(spec, analysis, t, drawn_from)
        last = d.last_date or analysis.data_as_of
        dark = charts.dark_colors(pal)
        for item in legend:  # the key's swatch takes the line's dark colour in dark mode
            item["dark"] = dark.get(item["color"].lower(), item["color"])
        views[spec.id] = {
            "title": spec.title, "subtitle": spec.subtitle, "legend": legend,
            "src": f"charts/{d.path.name}", "sources": sources_text,
            "narrow": f"charts/{d.narrow.name}" if d.narrow else None,
            "last": fmt.observed(last, narrator.frequency(tuple(drawn_from))),
            "alt": alt_text(spec, analysis, narrator),
            "img_class": charts.KINDS[spec.kind].img_class,
            # a line the subtitle promises but the data cannot draw is named, not silent
            "absent": t.gettext("Not drawn, for want of data in this issue: %(series)s.")
            % {"series": format_list(absent, locale=fmt.f.babel)} if absent else None,
            "stale": stale_text(chart_inputs(spec, analysis), provenance or {}, narrator,
                                known_by),
        }
    return views


def _table(analysis: signals.Analysis, name: str) -> Any:
    return next((r.tables[name] for r in analysis.sections.values() if name in r.tables), None)


def chart_inputs(spec: charts.ChartSpec, analysis: signals.Analysis, drawn_only: bool = False,
                 provenance: dict[str, Any] | None = None) -> list[str]:
    """The catalog series behind a chart: its lines' inputs (only the lines that have data,
    when any has), or those of the signal that stands for its table (`sources`). With
    `drawn_only` and the store's `provenance`, only series the store held are named, so a
    source line names exactly what was drawn (no IOER on a store that starts in 2021)."""
    ids = [s["id"] for s in (*spec.series, *spec.spokes)]
    drawn = [i for i in ids if len(analysis.series.get(i, ()))]
    if spec.sources is not None:
        ids = [spec.sources]
    elif drawn:
        ids = drawn
    found: set[str] = set()
    todo, seen = list(ids), set()
    while todo:  # a derived series may be made of other derived series (the outlook's)
        sid = todo.pop()
        if sid in seen:
            continue
        seen.add(sid)
        sig = analysis.signals.get(sid)
        for i in analysis.inputs.get(sid) or (sig.inputs if sig is not None else ()):
            (todo.append(i) if i in analysis.inputs or i in analysis.signals
             else found.add(i))
    if drawn_only and provenance:
        held = {i for i in found if i in provenance and (
            provenance[i].last_date is not None or i.startswith("SEC:"))}
        found = held or found
    return sorted(found)


def stale_text(series_ids: list[str], provenance: dict[str, Any], narrator: Narrator,
               known_by: dt.date | None = None) -> str:
    """'Not updated: WALCL (last fetched 17 Nov 2026, last observation 12 Nov 2026).'

    `known_by`: in an --as-of replay, the day the data are as of. A fetch after it is
    not something the issue could have known: then only the last observation is said.
    Nothing known: the series id alone, never a dash mid-sentence."""
    t, fmt = narrator.t, narrator.fmt
    parts = []
    for sid in series_ids:
        prov = provenance.get(sid)
        if prov is None or not prov.stale:
            continue
        fetched = prov.fetched_at.date() if prov.fetched_at else None
        if fetched is not None and known_by is not None and fetched > known_by:
            fetched = None
        if fetched is not None and prov.last_date is not None:
            parts.append(t.gettext("%(series)s (last fetched %(fetched)s, last observation "
                                   "%(date)s)") % {
                "series": sid, "fetched": fmt.date(fetched), "date": fmt.date(prov.last_date)})
        elif prov.last_date is not None:
            parts.append(t.gettext("%(series)s (last observation %(date)s)") % {
                "series": sid, "date": fmt.date(prov.last_date)})
        elif fetched is not None:
            parts.append(t.gettext("%(series)s (last fetched %(fetched)s)") % {
                "series": sid, "fetched": fmt.date(fetched)})
        else:
            parts.append(sid)
    if not parts:
        return ""
    return t.gettext("Not updated in this issue: %(list)s.") % {
        "list": format_list(parts, locale=fmt.f.babel)}


def chart_sources(spec: charts.ChartSpec, analysis: signals.Analysis, t: Any,
                  inputs: list[str] | None = None) -> str:
    """Series ids behind a chart (`inputs`, default: all its signals' inputs); SEC filers
    grouped; user tables by name."""
    inputs = chart_inputs(spec, analysis) if inputs is None else inputs
    filers = [i.removeprefix("SEC:") for i in inputs if i.startswith("SEC:")]
    named = [i for i in inputs if not i.startswith("SEC:")]
    if filers:
        named.append(t.gettext("SEC EDGAR filings (%(filers)s)") % {
            "filers": ", ".join(filers)})
    if named:
        return ", ".join(named)
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


def user_file(catalog: Any, name: str) -> dict[str, str]:
    """Where a user file goes and its header, from the catalog entry (a series or a
    [tables.NAME]), for the sentence that says which file to add when it is absent."""
    if name in catalog.tables:
        spec = catalog.tables[name]
        columns = list(spec.get("columns", {}))
        optional = list(spec.get("optional", {}))
        return {"path": str(spec.get("path", f"data/{name}.csv")),
                "columns": ",".join(columns), "optional": ",".join(optional)}
    ind = catalog.indicators[name]
    return {"path": str(ind.path or f"data/{name.lower()}.csv"),
            "columns": f"{ind.extra.get('date_column', 'date')},"
                       f"{ind.extra.get('value_column', 'value')}", "optional": ""}


def company_names(catalog: Any, ids: Any, narrator: Narrator) -> str:
    """'Microsoft, Alphabet and Amazon' / '微軟、Alphabet和亞馬遜': filers by their names."""
    names = [narrator.t.gettext(catalog.companies[c].title) if c in catalog.companies else c
             for c in ids]
    return format_list(names, locale=narrator.fmt.f.babel) if names else ""

