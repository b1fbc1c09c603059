"""What changed since the last issue: flipped states and the largest moves.

Moves in different units are ranked by how many "notable moves" (a per-unit size set in
catalogs/scorecards.toml) they amount to, so 30 bp and $120 bn can be compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from reportgen.signals.base import Signal

IGNORED_STATES = {"", "flat"}


@dataclass(frozen=True)
class Flip:
    id: str
    before: str
    after: str


@dataclass(frozen=True)
class Move:
    id: str
    unit: str
    before: float
    after: float
    size: float  # in notable moves

    @property
    def delta(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class Changes:
    basis: str  # "previous_issue" (its signals.json) or "recomputed" (data as of that date)
    previous_date: str
    flips: tuple[Flip, ...]
    moves: tuple[Move, ...]
    # Each signal's value in the issue compared with (same unit only), so a reader of
    # signals.json (the e-mail) can give any number's change since then.
    previous: dict[str, float] = field(default_factory=dict)


def compare(current: dict[str, Signal], previous: dict[str, dict[str, Any]],
            notable: dict[str, Any], basis: str, previous_date: str,
            max_moves: int = 12) -> Changes:
    """Flips of state and the largest moves, current vs the previous issue's signals.

    Twelve moves are kept, though the issue's table shows six: the takeaways tell each
    story once, and a week whose front end moves three ways (the two-year yield, its gap to
    EFFR and that gap's four-week change) must still leave moves of other stories to tell.

    `notable` maps a unit to the size of one notable move; its `signal` table overrides that
    for single signals (an index level such as NFCI has its own scale). A unit or signal
    with no size (index levels in points, prices) is not ranked.
    """
    by_signal = notable.get("signal", {})
    flips, moves = [], []
    previous_values: dict[str, float] = {}
    for sid, sig in current.items():
        old = previous.get(sid)
        if old is None:
            continue
        before_state, after_state = old.get("state") or "", sig.state
        if (before_state != after_state and before_state and after_state
                and not {before_state, after_state} <= IGNORED_STATES):
            flips.append(Flip(sid, before_state, after_state))
        before = old.get("value")
        if (isinstance(before, int | float) and math.isfinite(before)
                and old.get("unit") == sig.unit):
            previous_values[sid] = float(before)
        scale = by_signal.get(sid, notable.get(sig.unit))
        if (sig.ok and before is not None and math.isfinite(before) and scale
                and old.get("unit") == sig.unit):
            size = abs(sig.value - before) / scale
            if size >= 1.0:
                moves.append(Move(sid, sig.unit, float(before), float(sig.value), size))
    moves.sort(key=lambda m: -m.size)
    return Changes(basis, previous_date, tuple(flips), tuple(moves[:max_moves]),
                   previous_values)
