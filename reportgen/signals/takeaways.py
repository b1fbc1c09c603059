"""Key takeaways: the three to five things a reader should know about this week's issue.

Chosen from what signals.json says (so the e-mail, the site and the feeds agree with the
report), in this order of importance:

    alarm    an alarm signal (catalogs/scorecards.toml `alarm` tables) in its alarm state
    stance   the macro stance changed
    relief   an alarm signal left its alarm state
    failed   series failed to update this run (shown as last stored)
    loop     a feedback loop changed state, the larger the step the earlier
    move     a large move: five notable moves or more (catalogs/scorecards.toml [changes]),
             or half that where a verdict of the move's story turned this week
    verdict  any other signal changed its verdict
    move     the other largest moves, in notable moves
    trend    a trend state flipped (rising / falling / flat)
    stale    series that stopped updating (their last value is over two releases old)

A score (the stance, a loop) is told by its label changing, never by its decimals moving.
Moves, verdicts and trends tell each story once: signals grouped in [changes.stories]
(equities, credit spreads, funding, ...), or flips in one unit making the same turn, give
one takeaway, the first in the order above.

then, when nothing changed and no alarm is on, a quiet week (`quiet`), and when fewer
than three came out of all that, the loops that stand at stress or watch (`level`).
Words are chosen per language elsewhere (reportgen/narrative/digest.py); this module
decides only what matters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MIN_TAKEAWAYS, MAX_TAKEAWAYS = 3, 5
LOOP_PREFIX = "loop_"
STANCE = "macro_stance"
TREND_STATES = frozenset({"rising", "falling", "flat"})
LEVELS = {"calm": 0, "watch": 1, "stress": 2}  # a loop's states, mildest first
CHANGES = frozenset({"alarm", "stance", "relief", "loop", "verdict", "move", "trend"})
LARGE_MOVE = 5.0  # a move of five notable moves or more comes before the verdicts


@dataclass(frozen=True)
class Alarm:
    """A signal state that raises a loop's label, whatever its other inputs say."""

    signal: str
    states: frozenset[str]
    level: str  # watch | stress


@dataclass(frozen=True)
class Takeaway:
    kind: str                 # alarm, stance, relief, failed, loop, verdict, move, ...
    id: str = ""              # the signal, or "" for failed/stale/quiet
    before: Any = None        # a state (flips) or a value (moves)
    after: Any = None
    unit: str = ""
    ids: tuple[str, ...] = ()  # the series of a failed/stale takeaway


def alarms_from(scorecards: Mapping[str, Any]) -> list[Alarm]:
    """Every loop's alarm tables, as read from catalogs/scorecards.toml."""
    found = []
    for card in scorecards.get("loops", {}).values():
        for entry in card.get("alarm", []):
            found.append(Alarm(entry["signal"], frozenset(entry["states"]), entry["at_least"]))
    return found


def stories_from(scorecards: Mapping[str, Any]) -> dict[str, str]:
    """Signal -> story, from catalogs/scorecards.toml [changes.stories]."""
    stories = scorecards.get("changes", {}).get("stories", {})
    return {sid: story for story, ids in stories.items() for sid in ids}


def select(signals: Mapping[str, Mapping[str, Any]], changes: Mapping[str, Any],
           alarms: Iterable[Alarm] = (), failed: Iterable[str] = (),
           stale: Mapping[str, Mapping[str, Any]] | None = None,
           limit: int = MAX_TAKEAWAYS,
           stories: Mapping[str, str] | None = None) -> list[Takeaway]:
    """The week's takeaways, most important first: at most `limit`, and at least
    MIN_TAKEAWAYS where the issue has that many things to say (see the module doc).
    `stories` (stories_from) groups signals that tell one story: moves, verdicts and
    trends say each story once."""
    told = _Stories(stories or {}, signals)
    flips = {f["id"]: f for f in changes.get("flips", [])}
    alarms = list(alarms)
    alarm_ids = {a.signal for a in alarms}
    picked: list[Takeaway] = []

    def state(sid: str) -> str:
        return (signals.get(sid) or {}).get("state") or ""

    # 1. Alarms on now, the more severe first; 3. alarms that ended.
    active = sorted((a for a in alarms if state(a.signal) in a.states),
                    key=lambda a: -LEVELS.get(a.level, 0))
    seen_alarm: set[str] = set()
    for a in active:
        if a.signal in seen_alarm:
            continue
        seen_alarm.add(a.signal)
        flip = flips.get(a.signal)
        picked.append(Takeaway("alarm", a.signal, flip["before"] if flip else None,
                               state(a.signal)))
    if STANCE in flips:
        picked.append(Takeaway("stance", STANCE, flips[STANCE]["before"],
                               flips[STANCE]["after"]))
    for sid in sorted(alarm_ids - seen_alarm):
        if sid in flips:
            picked.append(Takeaway("relief", sid, flips[sid]["before"], flips[sid]["after"]))
    failed = sorted(set(failed))
    if failed:
        picked.append(Takeaway("failed", ids=tuple(failed)))
    # 5. Loops that changed state: the larger the step, the earlier; worsening first.
    loop_flips = [f for sid, f in flips.items() if sid.startswith(LOOP_PREFIX)]
    loop_flips.sort(key=lambda f: (-abs(_step(f)), -_step(f), f["id"]))
    picked += [Takeaway("loop", f["id"], f["before"], f["after"]) for f in loop_flips]
    handled = {t.id for t in picked}
    others = [f for sid, f in flips.items() if sid not in handled
              and not sid.startswith(LOOP_PREFIX)]
    # by size; a score (the stance, a loop) speaks through its label, not its decimals
    moves = [m for m in changes.get("moves", []) if m["id"] not in handled
             and m.get("unit") != "score"]
    verdicts = {told.story(f["id"]) for f in others
                if not {f["before"], f["after"]} <= TREND_STATES}
    picked += [Takeaway("move", m["id"], m["before"], m["after"], m.get("unit", ""))
               for m in moves if _large(m, verdicts, told) and told.first(m)]
    picked += [Takeaway("verdict", f["id"], f["before"], f["after"]) for f in others
               if not {f["before"], f["after"]} <= TREND_STATES and told.first(f)]
    handled = {t.id for t in picked}
    picked += [Takeaway("move", m["id"], m["before"], m["after"], m.get("unit", ""))
               for m in moves if m["id"] not in handled and told.first(m)]
    handled = {t.id for t in picked}  # a trend flip with a notable move: the move says more
    picked += [Takeaway("trend", f["id"], f["before"], f["after"]) for f in others
               if {f["before"], f["after"]} <= TREND_STATES and f["id"] not in handled
               and told.first(f)]
    old = sorted(sid for sid, entry in (stale or {}).items()
                 if entry.get("old") and sid not in failed)
    if old:
        picked.append(Takeaway("stale", ids=tuple(old)))
    if not any(t.kind in CHANGES for t in picked):
        picked.append(Takeaway("quiet"))
    if len(picked) < MIN_TAKEAWAYS:
        handled = {t.id for t in picked}
        standing = sorted((sid for sid in signals if sid.startswith(LOOP_PREFIX)
                           and sid not in handled and LEVELS.get(state(sid), 0) > 0),
                          key=lambda sid: (-LEVELS[state(sid)], sid))
        picked += [Takeaway("level", sid, after=state(sid)) for sid in standing]
    return picked[:limit]


class _Stories:
    """Which stories the takeaways have told. A signal's story is its [changes.stories]
    entry; a flip outside any story is still one story with the flips of the same unit
    that made the same turn (three spreads' percentiles from tight to normal)."""

    def __init__(self, stories: Mapping[str, str],
                 signals: Mapping[str, Mapping[str, Any]]) -> None:
        self.stories, self.signals, self.told = stories, signals, set()

    def story(self, sid: str) -> str:
        return self.stories.get(sid, f"signal:{sid}")

    def first(self, change: Mapping[str, Any]) -> bool:
        """Whether this flip or move tells a story not told yet (and note it told)."""
        sid = change["id"]
        keys = {self.story(sid)}
        if "size" not in change:  # a flip: its turn in its unit
            unit = (self.signals.get(sid) or {}).get("unit") or ""
            keys.add(f"turn:{unit}:{change['before']}:{change['after']}")
        if keys & self.told:
            return False
        self.told |= keys
        return True


def _large(move: Mapping[str, Any], verdicts: set[str], told: _Stories) -> bool:
    """A large move comes before the verdicts; so does half of one whose story's verdict
    turned this week: the verdict confirms it, and the move carries the number ("the
    high-yield spread from 320 to 367 bp", not "the IG spread's percentile: tight to
    normal", on 7 Aug 2024)."""
    size = move.get("size", 0.0)
    return size >= LARGE_MOVE or (size >= LARGE_MOVE / 2
                                  and told.story(move["id"]) in verdicts)


def _step(flip: Mapping[str, Any]) -> int:
    """How many levels a loop moved: +2 from calm to stress, -1 from watch to calm."""
    return LEVELS.get(flip["after"], 0) - LEVELS.get(flip["before"], 0)
