"""Digest: an issue at a glance, in one language, from its signals.json alone.

The e-mail, the site's pages and its feeds show the same few things: the stance, the key
takeaways (chosen by reportgen/signals/takeaways.py), the key numbers with their change
since the previous issue, the five loops and the lead chart's words. They are built here
from the published signals.json, with the report's own Narrator, so they say what the
report says without recomputing anything.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from reportgen import charts
from reportgen.narrative import (
    N_,
    NO_DATA_WORD,
    SHADING_LABELS,
    STANCE_LABELS,
    Narrator,
    state_word,
)
from reportgen.narrative.views import alt_text
from reportgen.signals import Analysis
from reportgen.signals.base import Signal
from reportgen.signals.scorecard import Score
from reportgen.signals.takeaways import (
    LOOP_PREFIX,
    STANCE,
    Takeaway,
    alarms_from,
    select,
    stories_from,
)

# The colour class of a state: stress and strain read red, watch amber, calm green.
TONES = {"stress": "stress", "strained": "stress", "watch": "watch", "calm": "calm",
         "bearish": "stress", "cautious_bearish": "stress", "bullish": "calm",
         "cautious_bullish": "calm"}
MAX_NAMES = 6  # series named in a failed/stale takeaway before "and N more"
STANCE_TITLE = N_("Macro stance")
EMAIL_CHART = ".email"  # the lead chart's PNG: charts/<id>[.<lang>].email.png


@dataclass(frozen=True)
class Bullet:
    text: str
    tone: str = ""  # stress | watch | calm | "": its colour


@dataclass(frozen=True)
class KeyNumber:
    title: str
    value: str
    observed: str       # the observation's date, at its frequency's precision
    change: str         # signed, in the signal's units ("+0.25 pp"); "" without comparison
    direction: str      # up | down | flat | ""
    id: str = ""        # the signal's


@dataclass(frozen=True)
class LoopRow:
    name: str
    status: str
    tone: str


@dataclass(frozen=True)
class LeadChart:
    id: str
    file: str           # charts/<file>, the PNG
    title: str
    subtitle: str
    alt: str
    legend: tuple[tuple[str, str, str], ...]  # (label, colour, line | shade | event)


@dataclass
class Digest:
    lang: str
    title: str
    date: dt.date
    date_text: str
    stance_key: str
    stance: str
    takeaways: list[Bullet]
    numbers: list[KeyNumber]
    loops: list[LoopRow]
    previous_date_text: str
    sample: bool
    chart: LeadChart | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headline(self) -> str:
        """'Macro Liquidity Weekly · 24 Aug 2026 · Cautiously bullish' (feeds, the site)."""
        return " · ".join(p for p in (self.title, self.date_text, self.stance) if p)


def analysis_from(payload: dict[str, Any]) -> Analysis:
    """The language-free analysis as far as signals.json keeps it (no series, no tables):
    enough for the Narrator's values, dates, states and titles."""
    sigs = {}
    for sid, raw in payload.get("signals", {}).items():
        value = raw.get("value")
        sigs[sid] = Signal(sid, float(value) if isinstance(value, int | float) else None,
                           raw.get("unit", ""),
                           dt.date.fromisoformat(raw["date"]) if raw.get("date") else None,
                           tuple(raw.get("inputs", ())), raw.get("state") or "",
                           raw.get("change"), raw.get("change_label") or "")

    def score(sid: str, name: str) -> Score:
        s = sigs.get(sid) or Signal(sid, None, "score", None, ())
        return Score(name, s.value if s.ok else math.nan, None, s.state, None, (), 0)

    issue = dt.date.fromisoformat(payload["issue_date"])
    as_of = payload.get("data_as_of")
    return Analysis(as_of=issue, data_as_of=dt.date.fromisoformat(as_of) if as_of else None,
                    sample=bool(payload.get("sample")), sections={}, series={}, signals=sigs,
                    stance=score(STANCE, "stance"),
                    loops=[score(sid, sid.removeprefix(LOOP_PREFIX)) for sid in sigs
                           if sid.startswith(LOOP_PREFIX)])


def takeaways_of(payload: dict[str, Any], content: Any) -> list[Takeaway]:
    """The issue's takeaways, language-free (the alarms are the scorecards' catalog's)."""
    scorecards = content.catalogs["scorecards"]
    return select(payload.get("signals", {}), payload.get("changes", {}),
                  alarms_from(scorecards), payload.get("failed", []),
                  payload.get("stale", {}), stories=stories_from(scorecards))


def digest(payload: dict[str, Any], content: Any, lang: str, title: str,
           lead_chart: str = "") -> Digest:
    """One language's digest of a published issue. `content` is the pipeline's Content
    (sections, catalogs, languages); `title` the report's title (translated here)."""
    locale = content.locales[lang]
    analysis = analysis_from(payload)
    n: Narrator = content.narrator(lang, analysis)
    fmt = n.fmt
    changes = payload.get("changes", {})
    previous = changes.get("previous_date")
    stance_key = analysis.stance.label
    return Digest(
        lang=lang, title=locale.gettext(title), date=analysis.as_of,
        date_text=fmt.date(analysis.as_of),
        stance_key=stance_key,
        stance=locale.gettext(STANCE_LABELS[stance_key]) if stance_key in STANCE_LABELS
        else "",
        takeaways=[bullet(t, n, content) for t in takeaways_of(payload, content)],
        numbers=key_numbers(n, content.registry.cover_signals(), changes.get("previous", {})),
        loops=[LoopRow(n.loop_name(lp.id), n.loop_status(lp.label), TONES.get(lp.label, ""))
               for lp in analysis.loops],
        previous_date_text=fmt.date(dt.date.fromisoformat(previous)) if previous else "",
        sample=analysis.sample,
        chart=lead(lead_chart, n, content, lang) if lead_chart else None)


def _title(sid: str, n: Narrator) -> str:
    if sid == STANCE:
        return n._(STANCE_TITLE)
    if sid.startswith(LOOP_PREFIX):
        return n.loop_name(sid.removeprefix(LOOP_PREFIX))
    return n.signal_title(sid)


def bullet(t: Takeaway, n: Narrator, content: Any) -> Bullet:
    """One takeaway in the reader's words, with the colour of its state."""
    words = n.t
    tone = TONES.get(t.after, "") if isinstance(t.after, str) else ""
    if t.kind in ("alarm", "stance", "relief", "loop", "verdict", "trend") and t.before:
        text = words.gettext("%(title)s: from %(before)s to %(after)s") % {
            "title": _title(t.id, n), "before": state_word(words, t.before),
            "after": state_word(words, t.after)}
    elif t.kind == "alarm":
        text = words.gettext("%(title)s: still %(state)s") % {
            "title": _title(t.id, n), "state": state_word(words, t.after)}
    elif t.kind == "level":
        text = words.gettext("%(title)s: %(state)s") % {
            "title": _title(t.id, n), "state": state_word(words, t.after)}
    elif t.kind == "move":
        meta = n.meta.get(t.id)
        digits = {"digits": 2} if meta is not None and meta.rate else (
            {"digits": meta.digits} if meta is not None and meta.digits is not None else {})
        text = words.gettext("%(title)s moved from %(before)s to %(after)s") % {
            "title": _title(t.id, n), "before": n.fmt.value(t.before, t.unit, **digits),
            "after": n.fmt.value(t.after, t.unit, **digits)}
    elif t.kind in ("failed", "stale"):
        names = ", ".join(t.ids[:MAX_NAMES]) + (
            words.gettext(" and %(count)s more") % {"count": len(t.ids) - MAX_NAMES}
            if len(t.ids) > MAX_NAMES else "")
        if t.kind == "failed":
            text = words.ngettext(
                "%(count)s series failed to update and is shown as last stored: %(names)s",
                "%(count)s series failed to update and are shown as last stored: %(names)s",
                len(t.ids)) % {"count": len(t.ids), "names": names}
        else:
            text = words.ngettext(
                "%(count)s series has stopped updating; its last value is old: %(names)s",
                "%(count)s series have stopped updating; their last values are old: "
                "%(names)s", len(t.ids)) % {"count": len(t.ids), "names": names}
        tone = "watch"
    else:  # quiet
        text = words.gettext("No signal changed state.")
    return Bullet(text, tone)


def key_numbers(n: Narrator, ids: list[str], previous: dict[str, float]) -> list[KeyNumber]:
    """The cover's key numbers, each with its change since the previous issue."""
    rows = []
    for sid in ids:
        s = n.sig(sid)
        if not s.ok:
            continue
        before = previous.get(sid)
        change, direction = "", ""
        if before is not None and math.isfinite(before):
            delta = s.value - before
            amount, nil = n.amount(sid, delta)
            if nil:
                change, direction = n._("unchanged"), "flat"
            else:  # a move inside the flat band keeps its size, with the flat arrow:
                # "HY 275 bp, unchanged" after an 8 bp widening misleads a reader
                direction = ("flat" if n.within_band(sid, delta) else "up" if delta > 0
                             else "down")
                change = ("+" if delta > 0 else "\u2212") + amount
        rows.append(KeyNumber(n.signal_title(sid), n.v(sid), n.d(sid), change, direction,
                               sid))
    return rows


def chart_file(spec: charts.ChartSpec, lang: str) -> str:
    """Name of the e-mail's PNG of a chart, in the issue's charts/ folder."""
    return f"{spec.id}.{lang}{EMAIL_CHART}.png" if spec.localized else \
        f"{spec.id}{EMAIL_CHART}.png"


def lead(chart_id: str, n: Narrator, content: Any, lang: str) -> LeadChart | None:
    """The lead chart's words: title, subtitle, legend and alt text from the data."""
    spec = next((c for c in content.registry.charts() if c.id == chart_id), None)
    if spec is None:
        return None
    words = n.t
    style = content.style
    drawn = [s for s in spec.series if n.sig(s["id"]).ok] or list(spec.series)
    legend = [(words.gettext(s["label"]), style.color(spec.series.index(s)), "line")
              for s in drawn]
    events = [(e.kind, e.end) for e in content.catalog.events if e.kind in spec.shade]
    spans = {k for k, end in events if end is not None} | (
        {"recession"} if spec.recessions else set())
    legend += [(words.gettext(SHADING_LABELS[k]), style.palette[k], "shade")
               for k in ("recession", "shutdown", "qt") if k in spans]
    if any(end is None for _, end in events):
        legend.append((words.gettext(SHADING_LABELS["event"]), style.palette["event_line"],
                       "event"))
    alt = alt_text(spec, n.analysis, n) if drawn else words.gettext(NO_DATA_WORD)
    return LeadChart(spec.id, chart_file(spec, lang), words.gettext(spec.title),
                     words.gettext(spec.subtitle), alt, tuple(legend))
