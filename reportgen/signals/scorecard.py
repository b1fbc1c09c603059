"""Transparent scorecards (the macro stance and the five feedback loops).

Like the Chicago Fed's NFCI, each score is a weighted sum of standardised inputs, and every
input's value, z-score, weight and contribution is kept so the appendix can publish them.
Inputs, weights, windows and thresholds come from catalogs/scorecards.toml. An input built
on a series that has stopped updating (Snapshot.stale_by_age) contributes nothing, now and
at the previous issue alike, and is marked `stale` so the appendix can say why.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reportgen.catalog import read_toml
from reportgen.errors import CatalogError
from reportgen.signals.base import Signal
from reportgen.signals.transforms import clean

STANCES = ("bearish", "cautious_bearish", "neutral", "cautious_bullish", "bullish")
LOOP_STATUSES = ("calm", "watch", "stress")
Z_CAP = 3.0


@dataclass(frozen=True)
class Contribution:
    input_id: str
    value: float | None
    z: float | None
    weight: float
    sign: int
    contribution: float
    date: Any
    stale: bool = False


@dataclass(frozen=True)
class Score:
    id: str
    score: float
    previous: float | None
    label: str
    previous_label: str | None
    contributions: tuple[Contribution, ...]
    window_years: int

    @property
    def trend(self) -> str:
        if self.previous is None or not math.isfinite(self.previous):
            return ""
        d = self.score - self.previous
        return "up" if d > 0.05 else "down" if d < -0.05 else "flat"


def load_scorecards(path: Path) -> dict[str, Any]:
    cards = read_toml(path)
    if "stance" not in cards or "loops" not in cards:
        raise CatalogError(f"{path}: needs a [stance] table and [loops.*] tables")
    return cards


def _z_at(spec: dict[str, Any], series: dict[str, pd.Series], signals: dict[str, Signal],
          when: pd.Timestamp, window_years: int) -> tuple[float | None, float | None, Any]:
    """An input's value and standardised value as of `when`."""
    if "center" in spec:  # a level judged against a stated centre and scale
        sig = signals.get(spec["input"])
        if sig is None or not sig.ok:
            return None, None, None
        return sig.value, (sig.value - spec["center"]) / spec["scale"], sig.date
    s = clean(series.get(spec["input"], pd.Series(dtype="float64")))
    s = s[s.index <= when]
    if len(s) < 8:
        return None, None, None
    hist = s[s.index > when - pd.DateOffset(years=window_years)]
    std = hist.std()
    value = float(s.iloc[-1])
    z = 0.0 if not std or not math.isfinite(std) else (value - hist.mean()) / std
    return value, max(-Z_CAP, min(Z_CAP, float(z))), s.index[-1].date()


def is_stale(input_id: str, signals: dict[str, Signal], stale: Collection[str]) -> bool:
    """An input is stale when it is a stale series or its signal is built on one."""
    sig = signals.get(input_id)
    return input_id in stale or (sig is not None and any(i in stale for i in sig.inputs))


def score(card_id: str, card: dict[str, Any], series: dict[str, pd.Series],
          signals: dict[str, Signal], as_of: pd.Timestamp, previous_as_of: pd.Timestamp,
          labels: tuple[str, ...], stale: Collection[str] = ()) -> Score:
    """Evaluate one scorecard now and at the previous issue's date; inputs built on the
    `stale` series are kept (marked) but weigh nothing."""
    window = int(card.get("window_years", 10))
    thresholds = card["thresholds"]

    def total(when: pd.Timestamp) -> tuple[float, list[Contribution]]:
        parts, weight_used = [], 0.0
        for spec in card["input"]:
            value, z, date = _z_at(spec, series, signals, when, window)
            w, sign = float(spec["weight"]), int(spec.get("sign", 1))
            old = not spec.get("stale_ok", False) and is_stale(spec["input"], signals, stale)
            counted = z is not None and not old
            c = w * sign * z if counted else 0.0
            weight_used += w if counted else 0.0
            parts.append(Contribution(spec["input"], value, z, w, sign, c, date, old))
        s = sum(p.contribution for p in parts) / weight_used if weight_used else float("nan")
        return s, parts

    now, parts = total(as_of)
    before, _ = total(previous_as_of)

    def label(x: float) -> str:
        if not math.isfinite(x):
            return ""
        return labels[sum(x > t for t in thresholds)]

    return Score(card_id, now, before, label(now), label(before) if math.isfinite(before)
                 else None, tuple(parts), window)


def stance(cards: dict[str, Any], series, signals, as_of, previous_as_of,
           stale: Collection[str] = ()) -> Score:
    """The five-step macro stance; positive contributions are bullish for risk assets."""
    return score("stance", cards["stance"], series, signals, as_of, previous_as_of, STANCES,
                 stale)


def loops(cards: dict[str, Any], series, signals, as_of, previous_as_of,
          stale: Collection[str] = ()) -> list[Score]:
    """The five feedback loops; positive scores mean the loop is tightening (stress)."""
    return [score(loop_id, card, series, signals, as_of, previous_as_of, LOOP_STATUSES,
                  stale) for loop_id, card in cards["loops"].items()]
