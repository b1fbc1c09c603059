"""The signal record every section produces, and helpers to make one from a series."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import pandas as pd

from reportgen.signals.transforms import clean


@dataclass(frozen=True)
class Signal:
    """One number the report states: what, how much, when, and from which series.

    `id` is stable and lowercase and names its inputs (`sofr_minus_iorb_bp`), because the
    next issue, the site and the e-mail read signals by id.
    """

    id: str
    value: float | None
    unit: str
    date: dt.date | None
    inputs: tuple[str, ...]
    state: str = ""
    change: float | None = None
    change_label: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None and math.isfinite(self.value)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["date"] = self.date.isoformat() if self.date else None
        d["inputs"] = list(self.inputs)
        return d


@dataclass(frozen=True)
class SignalMeta:
    """What the reader-facing stages need to know of one signal, declared once, beside
    the section that computes it (its section.toml)."""

    id: str
    title: str
    digits: int | None = None
    rate: bool = False        # a policy or money-market rate: two decimals, changes in bp
    flat_band: float | None = None  # smaller changes read as "little changed"
    cover: int | None = None  # position among the cover's key numbers (None: not there)
    flips: bool = True        # a change of its state is news in "what changed"
    period: str | None = None  # "month" or "quarter": dated by its period (Jul 2026, Q3 2026)


@dataclass
class SectionResult:
    """A section's signals, the derived series its charts draw, any tables, and `data`:
    anything else its template needs (a workspace section's compute returns only this)."""

    signals: dict[str, Signal] = field(default_factory=dict)
    series: dict[str, pd.Series] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    # The catalog series each derived series is made from (a chart's source line names
    # exactly these); a signal's inputs count for the series of the same id.
    inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def add(self, sig: Signal) -> Signal:
        self.signals[sig.id] = sig
        if sig.inputs:
            self.inputs.setdefault(sig.id, sig.inputs)
        return sig


@dataclass(frozen=True)
class Context:
    """What a compute step gets besides the snapshot: the verdict levels, the derived
    series and signals (their dead bands applied) of the sections placed before it, and the
    analysis catalogs (outlook triggers, scorecards), all read-only."""

    as_of: dt.date
    levels: Mapping[str, float]
    series: Mapping[str, pd.Series]
    catalogs: Mapping[str, Any]
    signals: Mapping[str, Signal] = field(default_factory=dict)  # earlier sections' signals


DIRECTIONS = frozenset({"rising", "falling", "flat"})


def apply_flat_bands(signals: dict[str, Signal], bands: dict[str, float]) -> dict[str, Signal]:
    """Re-judge rising/falling/flat with each signal's dead band from the thresholds file."""
    out = {}
    for sid, sig in signals.items():
        if sig.state in DIRECTIONS and sid in bands:
            sig = replace(sig, state=direction(sig.change, float(bands[sid])))
        out[sid] = sig
    return out


def direction(change: float | None, flat_band: float) -> str:
    """rising / falling / flat, with a dead band so noise does not read as a trend."""
    if change is None or not math.isfinite(change):
        return ""
    if change > flat_band:
        return "rising"
    if change < -flat_band:
        return "falling"
    return "flat"


def drawn_from(data: Mapping[str, pd.Series], *ids: str) -> tuple[str, ...]:
    """The series among `ids` that hold data: what a number was really drawn from, so a
    source line names no series the store lacks. With none, all of them (what it needs)."""
    present = tuple(i for i in ids if len(clean(data[i])))
    return present or ids


def last_signal(sid: str, s: pd.Series, unit: str, inputs: tuple[str, ...], *,
                change_days: int | None = None, change_periods: int | None = None,
                change_label: str = "", state: str | None = None) -> Signal:
    """A signal from a series' last value, with its change over days or observations.

    Its direction state is provisional: `apply_flat_bands` sets the dead band from
    catalogs/thresholds.toml once every section has run.
    """
    s = clean(s)
    if s.empty:
        return Signal(sid, None, unit, None, inputs, state or "")
    value, when = float(s.iloc[-1]), s.index[-1]
    change = None
    if change_days is not None:
        earlier = s[s.index <= when - pd.Timedelta(days=change_days)]
        change = value - float(earlier.iloc[-1]) if len(earlier) else None
    elif change_periods is not None and len(s) > change_periods:
        change = value - float(s.iloc[-1 - change_periods])
    st = state if state is not None else direction(change, 0.0)
    return Signal(sid, value, unit, when.date(), inputs, st, change, change_label)
