"""The signal record every section produces, and helpers to make one from a series."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
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


@dataclass
class SectionResult:
    """A section's signals, the derived series its charts draw, and any tables."""

    signals: dict[str, Signal] = field(default_factory=dict)
    series: dict[str, pd.Series] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)

    def add(self, sig: Signal) -> Signal:
        self.signals[sig.id] = sig
        return sig


def direction(change: float | None, flat_band: float) -> str:
    """rising / falling / flat, with a dead band so noise does not read as a trend."""
    if change is None or not math.isfinite(change):
        return ""
    if change > flat_band:
        return "rising"
    if change < -flat_band:
        return "falling"
    return "flat"


def last_signal(sid: str, s: pd.Series, unit: str, inputs: tuple[str, ...], *,
                change_days: int | None = None, change_periods: int | None = None,
                change_label: str = "", flat_band: float = 0.0, state: str | None = None
                ) -> Signal:
    """A signal from a series' last value, with its change over days or observations."""
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
    st = state if state is not None else direction(change, flat_band)
    return Signal(sid, value, unit, when.date(), inputs, st, change, change_label)
