"""Narrative: turn language-free signals into the reader's words.

The sentences themselves are message-catalog entries in the section templates; this stage
gives them what they need: numbers formatted for the locale, phrases chosen by a signal's
state (rising / falling / flat, thresholds), and per-language labels. The number in a
sentence is the same Signal value the chart's last point shows, with its date.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from babel.support import NullTranslations

from reportgen.i18n import NO_VALUE, Formatter, Locale
from reportgen.signals import Analysis
from reportgen.signals.base import Signal, SignalMeta


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


# The default report title (config report.title); a title of the user's own is shown as is
# unless the message catalogs translate it.
DEFAULT_TITLE = N_("Macro Liquidity Weekly")

# Comparison horizons as written in change phrases; msgids so translators see them.
PERIODS = {
    "3m": N_("three months"),
    "6m": N_("six months"),
    "12m": N_("12 months"),
    "1y": N_("a year"),
    "13w": N_("13 weeks"),
    "4w": N_("four weeks"),
}


STANCE_LABELS = {
    "bearish": N_("Bearish"),
    "cautious_bearish": N_("Cautiously bearish"),
    "neutral": N_("Neutral"),
    "cautious_bullish": N_("Cautiously bullish"),
    "bullish": N_("Bullish"),
}
# Keys of the shading shown under a chart.
NO_DATA_WORD = N_("no data")  # a radar spoke without data
SHADING_LABELS = {"recession": N_("Recessions (NBER)"), "shutdown": N_("Government shutdowns"),
                  "qt": N_("Balance-sheet runoff (QT)"), "event": N_("Policy events")}
LOOP_STATUS = {"calm": N_("Calm"), "watch": N_("Watch"), "stress": N_("Stress")}
TRENDS = {"up": N_("tightening"), "down": N_("easing"), "flat": N_("unchanged"),
          "": N_("no comparison")}
RELEASE_STATUS = {"on_time": N_("On time"), "delayed": N_("Delayed"),
                  "missing": N_("Gaps: never published"), "no_data": N_("No data")}
PHASE_NAMES = {"a": N_("Phase A (controlled tightening and stress)"),
               "b": N_("Phase B (liquidity recovery with the political cycle)"),
               "c": N_("Phase C (broad repricing)")}


@dataclass
class Narrator:
    """Per-language helpers the templates call; one instance per language.

    `meta` is the signal metadata the sections declare (reader's title, digits, rate or
    not); `loop_titles` names the feedback loops (from the scorecards' catalog)."""

    locale: Locale
    analysis: Analysis
    meta: Mapping[str, SignalMeta] = field(default_factory=dict)
    loop_titles: Mapping[str, str] = field(default_factory=dict)
    frequencies: Mapping[str, str] = field(default_factory=dict)  # catalog id -> frequency

    @property
    def lang(self) -> str:
        return self.locale.code

    @property
    def fmt(self) -> Formatter:
        return self.locale.fmt

    @property
    def t(self) -> NullTranslations:
        return self.locale.translations

    def _(self, msg: str) -> str:
        return self.t.gettext(msg)

    def sig(self, sid: str) -> Signal:
        got = self.analysis.signals.get(sid)
        return got if got is not None else Signal(sid, None, "", None, ())

    def v(self, sid: str, **kw: Any) -> str:
        """A signal's value, formatted by its unit."""
        s = self.sig(sid)
        return self.value_as(sid, s.value, **kw) if s.ok else NO_VALUE

    def value_as(self, sid: str, x: float, **kw: Any) -> str:
        """A value of a signal's quantity (its own, or its year's low, say), formatted as
        the signal's value is: by its unit, with its digits."""
        meta = self.meta.get(sid)
        if meta is not None and meta.rate:
            kw.setdefault("digits", 2)
        elif meta is not None and meta.digits is not None:
            kw.setdefault("digits", meta.digits)
        return self.fmt.value(x, self.sig(sid).unit, **kw)

    def va(self, sid: str, **kw: Any) -> str:
        """A signal's magnitude, for sentences that carry the sign in words (below/above)."""
        s = self.sig(sid)
        return self.fmt.value(abs(s.value), s.unit, **kw) if s.ok else NO_VALUE

    def d(self, sid: str) -> str:
        """A signal's observation date, at the precision its frequency deserves: by month
        or quarter where its section declares a `period` (Jul 2026, Q3 2026), else by the
        coarsest frequency of its inputs (a monthly value is "Jul 2026", never "1 Jul")."""
        s = self.sig(sid)
        if not s.date:
            return NO_VALUE
        period = getattr(self.meta.get(sid), "period", None)
        if period == "quarter":
            return self.fmt.quarter(s.date)
        if period == "month":
            return self.fmt.month(s.date)
        return self.fmt.observed(s.date, self.frequency(s.inputs))

    def frequency(self, inputs: tuple[str, ...]) -> str:
        """The coarsest frequency among a value's input series (quarterly, monthly...)."""
        found = {self.frequencies.get(i, "") for i in inputs}
        return next((f for f in ("quarterly", "monthly") if f in found), "daily")

    def m(self, sid: str) -> str:
        """A signal's observation month (for monthly data)."""
        s = self.sig(sid)
        return self.fmt.month(s.date) if s.date else NO_VALUE

    def q(self, sid: str) -> str:
        s = self.sig(sid)
        return self.fmt.quarter(s.date) if s.date else NO_VALUE

    def amount(self, sid: str, delta: float, **kw: Any) -> tuple[str, bool]:
        """A change of a signal's quantity, unsigned and written as its value is (basis
        points for a rate; the value's digits: "69.4, up 11.2", not "up 11.20"), and
        whether it writes as nothing at all (0.0 pp)."""
        meta = self.meta.get(sid)
        if meta is not None and meta.rate:
            unit, scale, kw = "bp", 100.0, {}
        else:
            if meta is not None and meta.digits is not None:
                kw.setdefault("digits", meta.digits)
            unit = "pp" if self.sig(sid).unit == "percent" else self.sig(sid).unit
            scale = 1.0
        text = self.fmt.value(abs(delta) * scale, unit, **kw)
        return text, text == self.fmt.value(0.0, unit, **kw)

    def within_band(self, sid: str, delta: float) -> bool:
        """Whether a change stays inside the signal's flat band (its section.toml)."""
        meta = self.meta.get(sid)
        return abs(delta) <= (meta.flat_band if meta is not None and meta.flat_band else 0.0)

    def change(self, sid: str, **kw: Any) -> str:
        """'up 0.3 pp over three months' / '三個月來上升0.3個百分點', from the signal's state."""
        s = self.sig(sid)
        if s.change is None or not math.isfinite(s.change):
            return self._("with no earlier value to compare")
        amount, nil = self.amount(sid, s.change, **kw)
        period = self._(PERIODS.get(s.change_label, s.change_label))
        direction = s.state
        if s.state not in ("rising", "falling", "flat"):
            # a level state (the fog index "high") says nothing of the change: its own
            # size and sign do, against the signal's flat band
            direction = ("flat" if nil or self.within_band(sid, s.change)
                         else "rising" if s.change > 0 else "falling")
        if direction == "rising":
            return self._("up %(amount)s over %(period)s") % {"amount": amount, "period": period}
        if direction == "falling":
            return self._("down %(amount)s over %(period)s") % {"amount": amount,
                                                                "period": period}
        return self._("little changed over %(period)s") % {"period": period}

    def extreme(self, sid: str) -> str:
        """'the highest since Mar 2023' / 'a high for the data since 2007', for a signal whose
        series just moved beyond its recent range; empty when it did not."""
        series = self.analysis.series.get(sid)
        s = self.sig(sid)
        if series is None or len(series) < 24 or not s.ok:
            return ""
        prior, value = series.iloc[:-1], series.iloc[-1]
        rising = s.state != "falling"
        beyond = prior >= value if rising else prior <= value
        if not beyond.any():
            msg = (self._("a high for the data since %(start)s") if rising else
                   self._("a low for the data since %(start)s"))
            return msg % {"start": str(series.index[0].year)}
        last = beyond[beyond].index[-1]
        if len(series[series.index > last]) < 12:  # only news if it has not happened lately
            return ""
        msg = self._("the highest since %(month)s") if rising else self._(
            "the lowest since %(month)s")
        return msg % {"month": self.fmt.month(last.date())}

    def spread_rank(self, sid: str) -> str:
        """A spread's percentile in the direction that matters: at the 5th percentile it is
        "tighter than 95% of its history", at the 80th "wider than 80%"."""
        s = self.sig(sid)
        if not s.ok:
            return NO_VALUE
        if s.value < 50:
            return self._("tighter than %(share)s of its history") % {
                "share": self.fmt.pct(100 - s.value, 0)}
        return self._("wider than %(share)s of its history") % {
            "share": self.fmt.pct(s.value, 0)}

    def state(self, sid: str) -> str:
        return self.sig(sid).state

    def stance_label(self, key: str | None = None) -> str:
        key = self.analysis.stance.label if key is None else key
        return self._(STANCE_LABELS.get(key, key)) if key else NO_VALUE

    def loop_name(self, loop_id: str) -> str:
        return self._(self.loop_titles.get(loop_id, loop_id))

    def loop_status(self, status: str) -> str:
        """A loop's status in words; a loop whose inputs with data carry too little of its
        weight for a verdict (none, or only minor ones) says so."""
        return self._(LOOP_STATUS.get(status, status)) if status else self._("Too little data")

    def trend(self, trend: str) -> str:
        return self._(TRENDS.get(trend, trend))

    def release_status(self, status: str) -> str:
        return self._(RELEASE_STATUS[status])

    def phase_name(self, phase: str) -> str:
        """A phase's name; a tie ("a-b") reads "between Phase A (...) and Phase B (...)"."""
        if not phase:
            return NO_VALUE
        if "-" in phase:
            names = [self._(PHASE_NAMES.get(p, p)) for p in phase.split("-")]
            return self._("between %(first)s and %(second)s") % {
                "first": ", ".join(names[:-1]), "second": names[-1]}
        return self._(PHASE_NAMES.get(phase, phase))

    def signal_title(self, sid: str) -> str:
        """The reader's name for a signal id (declared in its section's section.toml)."""
        meta = self.meta.get(sid)
        return self._(meta.title) if meta is not None else sid

    def date(self, d: dt.date | None) -> str:
        return self.fmt.date(d)


SOURCE_NAMES = {"fred": N_("FRED"), "nyfed": N_("New York Fed"), "csv": N_("user CSV")}

STATE_WORDS = {
    "rising": N_("rising"), "falling": N_("falling"), "flat": N_("flat"),
    "high": N_("high"), "elevated": N_("elevated"), "clear": N_("clear"),
    "tight": N_("tight"), "wide": N_("wide"), "normal": N_("normal"),
    "a": N_("phase A"), "b": N_("phase B"), "c": N_("phase C"),
    "reaccelerating": N_("re-accelerating"), "disinflating": N_("disinflating"),
    "cooling": N_("cooling, not yet disinflation"),
    "sideways": N_("moving sideways"), "restrictive": N_("restrictive"),
    "near_neutral": N_("near neutral"), "accommodative": N_("accommodative"),
    "cuts": N_("cuts priced"), "hikes": N_("hikes priced"), "hold": N_("no change priced"),
    "strained": N_("Strained"), "above": N_("above the floor"), "below": N_("below the floor"),
    "at": N_("at the floor"),
    "above_range": N_("above the target range"), "in_range": N_("inside the target range"),
    "above_floor": N_("mostly at or above the floor"),
    "minority_above": N_("a growing minority at or above the floor"),
    "below_floor": N_("mostly below the floor"),
    "high_beta": N_("high-beta liquidity"), "independent": N_("independent of equities"),
    "partial": N_("partly tied to equities"),
    "tighter": N_("tighter than most of its history"),
    "wider": N_("wider than most of its history"),
    "debt_rising": N_("debt funds a rising share of capex"),
    "debt_heavy": N_("debt funds a large share of capex"),
    "debt_filling": N_("capex beyond cash flow, partly debt-funded"),
    "cash_drawdown": N_("capex beyond cash flow, paid from cash reserves"),
    "cash_stretched": N_("paid from cash, little to spare"),
    "cash_funded": N_("paid from cash"),
    "higher": N_("higher than a year earlier"), "lower": N_("lower than a year earlier"),
    "surplus": N_("cash left after capex"), "shortfall": N_("capex beyond operating cash flow"),
    "net_debt": N_("net debt"), "net_cash": N_("net cash"),
    "weights": N_("index weights"), "market_caps": N_("market values"),
    "proxy": N_("the Nasdaq-100 proxy"), "none": N_("no measure"),
    "building_unpriced": N_("leverage building, credit priced for calm"),
    "building": N_("leverage building"),
    "credit_cycle": N_("leverage building, credit pricing stress"),
    "stress_elsewhere": N_("credit stress not from the AI spenders"),
    "equity_risk": N_("risk still in equities"),
    "leaders_ahead": N_("largest names pulling ahead"),
    "broadening": N_("the rest catching up"), "in_line": N_("moving together"),
    "at_peak": N_("at a record high"), "below_peak": N_("below its peak"),
    "inverse": N_("moving against real yields"), "with": N_("moving with real yields"),
    "loose": N_("no steady tie to real yields"),
    "failed": N_("failed as a hedge in stress"), "held": N_("held up in stress"),
    "mixed": N_("mixed record in stress"), "never_rose": N_("never rose in stress"),
    "diverging": N_("marks diverging"), "in_step": N_("marks in step"),
    **STANCE_LABELS, **LOOP_STATUS,
}


def state_word(t: NullTranslations, state: str) -> str:
    """A state in words; a tie of outlook phases ("a-b") names both."""
    if state and "-" in state and all(p in PHASE_NAMES for p in state.split("-")):
        words = [t.gettext(STATE_WORDS[p]) for p in state.split("-")]
        return t.gettext("between %(first)s and %(second)s") % {
            "first": ", ".join(words[:-1]), "second": words[-1]}
    return t.gettext(STATE_WORDS.get(state, state)) if state else "–"
