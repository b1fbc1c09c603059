"""Transparent scorecards (the macro stance and the five feedback loops).

Like the Chicago Fed's NFCI, each score is a weighted sum of standardised inputs, and every
input's value, z-score, weight and contribution is kept so the appendix can publish them.
Inputs, weights, windows and thresholds come from catalogs/scorecards.toml.

Standardising is robust: the z-score of an input is its distance from the median of its
trailing window in units of the scaled median absolute deviation, with the windows of
`exclude` (the 2020 pandemic months) left out, so one -20 million payrolls print does not
make a -45k month look normal. An input may be a level judged against a stated centre and
scale (a Sahm-style unemployment gap, inflation against the 2% target), or the change of a
series over `change_days` (tightening is a change, not a level). An input built on a
series that has stopped updating (Snapshot.stale_by_age) contributes nothing, now and at
the previous issue alike, and is marked `stale`. A card's `alarms` raise its label when a
named signal is in a given state (a repo spike puts the funding loop in stress whatever
the average says). A card whose inputs with data carry less than its minimum share of the
weight ([coverage] min_weight_share, or the card's `min_coverage`) has no score and no
label: a verdict resting on minor inputs alone would name a risk it never measured.
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
MAD_TO_SD = 1.4826  # a normal distribution's standard deviation per median absolute deviation
MIN_HISTORY = 8
MIN_COVERAGE = 0.5  # the share of a card's weight its inputs with data must carry, by default


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
    basis: str = "history"  # history (robust z over the window) | level (centre, scale)


@dataclass(frozen=True)
class Score:
    id: str
    score: float
    previous: float | None
    label: str
    previous_label: str | None
    contributions: tuple[Contribution, ...]
    window_years: int
    alarm: str | None = None  # the signal whose state raised the label, if one did
    coverage: float = 1.0  # the share of the card's weight whose inputs have data now
    min_coverage: float = MIN_COVERAGE  # the share it needs for a score and a label

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


def _excluded(s: pd.Series, spans: list[tuple[pd.Timestamp, pd.Timestamp]]) -> pd.Series:
    for start, end in spans:
        s = s[(s.index < start) | (s.index > end)]
    return s


def input_series(spec: dict[str, Any], series: dict[str, pd.Series]) -> pd.Series:
    """The series an input reads: the derived series, or its change over `change_days`."""
    s = clean(series.get(spec["input"], pd.Series(dtype="float64")))
    days = spec.get("change_days")
    if not days or s.empty:
        return s
    earlier = s.reindex(s.index - pd.Timedelta(days=int(days)), method="ffill")
    change = pd.Series(s.to_numpy() - earlier.to_numpy(), index=s.index)
    return change.dropna()


def robust_z(value: float, hist: pd.Series) -> float:
    """(value - median) / (1.4826 * MAD); the standard deviation where the MAD is zero."""
    median = float(hist.median())
    spread = MAD_TO_SD * float((hist - median).abs().median())
    if not spread or not math.isfinite(spread):
        spread = float(hist.std())
    if not spread or not math.isfinite(spread):
        return 0.0
    return (value - median) / spread


def _z_at(spec: dict[str, Any], series: dict[str, pd.Series], signals: dict[str, Signal],
          when: pd.Timestamp, window_years: int,
          exclude: list[tuple[pd.Timestamp, pd.Timestamp]]
          ) -> tuple[float | None, float | None, Any, str]:
    """An input's value, standardised value and date as of `when`, and the basis."""
    s = input_series(spec, series)
    s = s[s.index <= when]
    if "center" in spec:  # a level judged against a stated centre and scale
        if s.empty:  # a single level with no history (a table), known only now
            sig = signals.get(spec["input"])
            if sig is None or not sig.ok or pd.Timestamp(sig.date) > when:
                return None, None, None, "level"
            value, date = sig.value, sig.date
        else:
            value, date = float(s.iloc[-1]), s.index[-1].date()
        z = (value - spec["center"]) / spec["scale"]
        return value, max(-Z_CAP, min(Z_CAP, float(z))), date, "level"
    if len(s) < MIN_HISTORY:
        return None, None, None, "history"
    hist = _excluded(s[s.index > when - pd.DateOffset(years=window_years)], exclude)
    value = float(s.iloc[-1])
    z = robust_z(value, hist) if len(hist) >= MIN_HISTORY else 0.0
    return value, max(-Z_CAP, min(Z_CAP, float(z))), s.index[-1].date(), "history"


def is_stale(input_id: str, signals: dict[str, Signal], stale: Collection[str]) -> bool:
    """An input is stale when it is a stale series or its signal is built on one."""
    sig = signals.get(input_id)
    return input_id in stale or (sig is not None and any(i in stale for i in sig.inputs))


def _share(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise CatalogError(f"scorecards.toml: {where} = {value!r}; use a share between 0 "
                           "and 1 (0.5: half the weight)")
    return float(value)


def min_coverage(cards: dict[str, Any]) -> float:
    """[coverage] min_weight_share: below it, a card's inputs are too few for a verdict."""
    return _share(cards.get("coverage", {}).get("min_weight_share", MIN_COVERAGE),
                  "[coverage] min_weight_share")


def exclusions(cards: dict[str, Any]) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """[robust] exclude: the windows no z-score learns from (the 2020 pandemic months)."""
    spans = cards.get("robust", {}).get("exclude", [])
    return [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in spans]


def score(card_id: str, card: dict[str, Any], series: dict[str, pd.Series],
          signals: dict[str, Signal], as_of: pd.Timestamp, previous_as_of: pd.Timestamp,
          labels: tuple[str, ...], stale: Collection[str] = (),
          exclude: list[tuple[pd.Timestamp, pd.Timestamp]] = (),
          min_coverage: float = MIN_COVERAGE) -> Score:
    """Evaluate one scorecard now and at the previous issue's date; inputs built on the
    `stale` series are kept (marked) but weigh nothing."""
    window = int(card.get("window_years", 10))
    thresholds = card["thresholds"]
    weight_all = sum(float(spec["weight"]) for spec in card["input"])
    needed = _share(card.get("min_coverage", min_coverage), f"[{card_id}] min_coverage")

    def total(when: pd.Timestamp) -> tuple[float, list[Contribution], float]:
        parts, weight_used = [], 0.0
        for spec in card["input"]:
            value, z, date, basis = _z_at(spec, series, signals, when, window, list(exclude))
            w, sign = float(spec["weight"]), int(spec.get("sign", 1))
            old = not spec.get("stale_ok", False) and is_stale(spec["input"], signals, stale)
            counted = z is not None and not old
            c = w * sign * z if counted else 0.0
            weight_used += w if counted else 0.0
            parts.append(Contribution(spec["input"], value, z, w, sign, c, date, old, basis))
        share = weight_used / weight_all if weight_all else 0.0
        enough = weight_used and share >= needed - 1e-9
        s = sum(p.contribution for p in parts) / weight_used if enough else float("nan")
        return s, parts, share

    now, parts, coverage = total(as_of)
    before, _, _ = total(previous_as_of)

    def label(x: float) -> str:
        if not math.isfinite(x):
            return ""
        return labels[sum(x > t for t in thresholds)]

    current, alarm = raised(label(now), card.get("alarm", []), signals, labels)
    return Score(card_id, now, before, current, label(before) if math.isfinite(before)
                 else None, tuple(parts), window, alarm, coverage, needed)


def raised(label: str, alarms: list[dict[str, Any]], signals: dict[str, Signal],
           labels: tuple[str, ...]) -> tuple[str, str | None]:
    """The label, raised to at least an alarm's level while its signal is in its state."""
    fired = None
    for alarm in alarms:
        sig = signals.get(alarm["signal"])
        if sig is None or sig.state not in alarm["states"]:
            continue
        floor = alarm["at_least"]
        if floor not in labels:
            raise CatalogError(f"scorecards.toml: alarm on {alarm['signal']}: at_least = "
                               f"{floor!r}; use one of {', '.join(labels)}")
        if not label or labels.index(floor) > labels.index(label):
            label, fired = floor, alarm["signal"]
    return label, fired


def stance(cards: dict[str, Any], series, signals, as_of, previous_as_of,
           stale: Collection[str] = ()) -> Score:
    """The five-step macro stance; positive contributions are bullish for risk assets."""
    return score("stance", cards["stance"], series, signals, as_of, previous_as_of, STANCES,
                 stale, exclusions(cards), min_coverage(cards))


def loops(cards: dict[str, Any], series, signals, as_of, previous_as_of,
          stale: Collection[str] = ()) -> list[Score]:
    """The five feedback loops; positive scores mean the loop is tightening (stress)."""
    return [score(loop_id, card, series, signals, as_of, previous_as_of, LOOP_STATUSES,
                  stale, exclusions(cards), min_coverage(cards))
            for loop_id, card in cards["loops"].items()]
