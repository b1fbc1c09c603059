"""Signals: every section's numbers, computed once from a snapshot, for all languages.

Each section's compute step is a pure function of the data. `analyse` runs them in the
report's order, each seeing the derived series of the sections before it (the outlook
reads everyone's), then adds the cross-section pieces: dead bands, the scorecards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reportgen.signals import scorecard
from reportgen.signals.base import Context, SectionResult, Signal, apply_flat_bands
from reportgen.signals.changes import Changes
from reportgen.store import Snapshot

# A section's compute step: (snapshot, context) -> its result, or a dict for its template.
Compute = Callable[[Snapshot, Context], "SectionResult | dict[str, Any]"]


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
    inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # series -> catalog ids


def run_section(compute: Compute, data: Snapshot, ctx: Context) -> SectionResult:
    """One section's step; a plain dict (a workspace section's) becomes its `data`."""
    result = compute(data, ctx)
    if isinstance(result, dict):
        return SectionResult(data=result)
    if not isinstance(result, SectionResult):
        raise TypeError(f"compute returned {type(result).__name__}, not a dict")
    return result


def analyse(data: Snapshot, steps: list[tuple[str, Compute]], catalogs: Mapping[str, Any],
            flat_bands: Mapping[str, float], previous_as_of: dt.date) -> Analysis:
    """Run every section's step in order, then the scorecards on their combined output."""
    levels = catalogs.get("thresholds", {}).get("levels", {})
    sections: dict[str, SectionResult] = {}
    series: dict[str, pd.Series] = {}
    signals: dict[str, Signal] = {}
    for section_id, compute in steps:
        ctx = Context(as_of=data.as_of, levels=levels, series=dict(series), catalogs=catalogs,
                      signals=dict(signals))
        result = run_section(compute, data, ctx)
        result.signals = apply_flat_bands(result.signals, flat_bands)
        sections[section_id] = result
        series.update(result.series)
        signals.update(result.signals)
    cards = catalogs["scorecards"]
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
    inputs = {k: v for result in sections.values() for k, v in result.inputs.items()}
    return Analysis(as_of=data.as_of, data_as_of=data.data_as_of(), sample=data.sample,
                    sections=sections, series=series, signals=signals, stance=st, loops=loops,
                    inputs=inputs)
