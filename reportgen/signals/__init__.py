"""Signals: every section's numbers, computed once from a snapshot, for all languages.

Each section module is a pure function of the data; this package runs them in order and
adds the cross-section pieces (scorecards, outlook triggers) that read their outputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reportgen.signals import (
    concentration,
    credit,
    fog,
    hedges,
    kshape,
    outlook,
    reserves,
    scorecard,
    stance,
)
from reportgen.signals.base import SectionResult, Signal, apply_flat_bands
from reportgen.signals.changes import Changes
from reportgen.store import Snapshot

# Section id -> its compute function; `outlook` also reads the other sections' series.
SECTION_SIGNALS: dict[str, Callable[[Snapshot, dict[str, float]], SectionResult]] = {
    "s1": stance.compute,
    "s2": fog.compute,
    "s3": credit.compute,
    "s4": reserves.compute,
    "s5": kshape.compute,
    "s6": concentration.compute,
    "s7": hedges.compute,
}


@dataclass
class Analysis:
    """Everything the charts and the narrative need, language-free."""

    as_of: dt.date
    data_as_of: dt.date | None
    sample: bool
    sections: dict[str, SectionResult]
    series: dict[str, pd.Series]
    signals: dict[str, Signal]
    stance: scorecard.Score
    loops: list[scorecard.Score]
    changes: Changes | None = None


def analyse(data: Snapshot, cards: dict[str, Any], triggers: list[dict],
            thresholds: dict[str, Any], previous_as_of: dt.date) -> Analysis:
    """Run every section, then the scorecards and the outlook on their combined output."""
    levels = thresholds.get("levels", {})
    sections = {sid: fn(data, levels) for sid, fn in SECTION_SIGNALS.items()}
    series: dict[str, pd.Series] = {}
    signals: dict[str, Signal] = {}
    for result in sections.values():
        series.update(result.series)
        signals.update(result.signals)
    sections["s8"] = outlook.compute(data, series, triggers)
    series.update(sections["s8"].series)
    signals.update(sections["s8"].signals)
    signals = apply_flat_bands(signals, thresholds.get("flat_band", {}))
    now, before = pd.Timestamp(data.as_of), pd.Timestamp(previous_as_of)
    stale = data.stale_by_age()  # series that stopped updating drive no score
    st = scorecard.stance(cards, series, signals, now, before, stale)
    loops = scorecard.loops(cards, series, signals, now, before, stale)
    signals["macro_stance"] = Signal("macro_stance", st.score, "score", data.as_of,
                                     tuple(c.input_id for c in st.contributions), st.label)
    for loop in loops:
        signals[f"loop_{loop.id}"] = Signal(f"loop_{loop.id}", loop.score, "score", data.as_of,
                                            tuple(c.input_id for c in loop.contributions),
                                            loop.label)
    return Analysis(as_of=data.as_of, data_as_of=data.data_as_of(), sample=data.sample,
                    sections=sections, series=series, signals=signals, stance=st, loops=loops)
