"""Backtest: replay the framework every week over history, and say what followed.

Each reading is the analysis as of one date, read from the store point in time exactly as
`run --as-of` reads it (vintages where the store has them, the release calendar
otherwise), so no value is used before it was published. The readings (stance, its score,
each loop's score and state, the outlook phase, the largest contributions) go to
`backtest.csv` and `backtest.json`, one row per date; a killed run resumes where it
stopped, and a later run only adds the dates it lacks.

What followed each reading is measured separately, with forward windows that start the day
after it: the change in the high-yield spread, the equity index's return and worst
drawdown, the change in NFCI and in the fed funds target over 4, 13 and 26 weeks. Outcomes
never feed a reading. The summary groups them by reading (stance class, loop state) against
the base rate of all weeks, with counts, medians and quartiles, and the hit rate of
"stress" and "bearish" readings against a stated bad outcome.

Read it honestly: there are few independent episodes since 2018, the 13- and 26-week
windows of neighbouring weeks overlap (a single selloff is counted many times), and none
of this is a claim of prediction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from reportgen import __version__
from reportgen.errors import ConfigError, PublishError
from reportgen.layout import BACKTEST_TABLE
from reportgen.signals.transforms import clean

log = logging.getLogger(__name__)

TABLE_JSON, TABLE_CSV, SUMMARY_JSON = BACKTEST_TABLE, "backtest.csv", "summary.json"
HORIZONS = (4, 13, 26)  # weeks
WEEKDAY = 2  # Wednesday: the H.4.1's day, after the week's funding data
FIRST_DATE = dt.date(2018, 7, 4)  # three months of SOFR (April 2018) behind the first reading
TOP = 3  # contributions kept per reading
# A bad outcome, for hit rates: the high-yield spread 100 bp wider, or the equity index
# more than 10% below its level at the reading, at some point within 13 weeks.
BAD_SPREAD_BP, BAD_DRAWDOWN_PCT, BAD_WEEKS = 100.0, -10.0, 13
# What the outcomes are measured on (derived series ids of the analysis, catalog ids).
SPREAD, NFCI, TARGET = "BAMLH0A0HYM2", "NFCI", "DFEDTARU"
EQUITY = ("SP500", "NASDAQCOM")  # the first with data at the reading

Progress = Callable[[int, int, dt.date], None]


@dataclass(frozen=True)
class Reading:
    """What the framework said on one date."""

    date: dt.date
    stance: str
    stance_score: float
    loops: dict[str, tuple[float, str]]
    phase: str
    top: tuple[tuple[str, float], ...]

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {"date": self.date.isoformat(), "stance": self.stance,
                               "stance_score": _num(self.stance_score), "phase": self.phase}
        for lid, (score, state) in sorted(self.loops.items()):
            out[f"loop_{lid}_score"] = _num(score)
            out[f"loop_{lid}"] = state
        for k, (input_id, contribution) in enumerate(self.top, start=1):
            out[f"top{k}"] = input_id
            out[f"top{k}_contribution"] = _num(contribution)
        return out


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), 4)


def reading(analysis: Any) -> Reading:
    """The row of one analysis: its stance, loops, phase and largest contributions."""
    parts = sorted((c for c in analysis.stance.contributions if c.z is not None and
                    not c.stale), key=lambda c: -abs(c.contribution))[:TOP]
    phase = analysis.signals.get("outlook_phase")
    return Reading(analysis.as_of, analysis.stance.label, analysis.stance.score,
                   {lp.id: (lp.score, lp.label) for lp in analysis.loops},
                   phase.state if phase is not None else "",
                   tuple((c.input_id, c.contribution) for c in parts))


def wednesdays(start: dt.date, end: dt.date, step_days: int = 7) -> list[dt.date]:
    """Reading dates: Wednesdays (or every `step_days` from the first Wednesday)."""
    first = start + dt.timedelta(days=(WEEKDAY - start.weekday()) % 7)
    out, day = [], first
    while day <= end:
        out.append(day)
        day += dt.timedelta(days=step_days)
    return out


def content_key(content: Any) -> str:
    """What the readings depend on besides the data: the version and the analysis content
    (scorecards, thresholds, triggers, the sections' compute steps). A change of any of
    them makes every stored reading stale."""
    h = hashlib.sha256(__version__.encode())
    h.update(json.dumps(content.catalogs, sort_keys=True, default=str).encode())
    for section in content.registry.computed():
        h.update(section.id.encode())
        h.update(getattr(section.compute, "__qualname__", "").encode())
        h.update(json.dumps({k: vars(m) for k, m in section.signals.items()},
                            sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


# ------------------------------------------------------------------------------ table

@dataclass
class Table:
    """The stored readings of one content key, by date."""

    key: str
    rows: list[dict[str, Any]]

    def dates(self) -> set[str]:
        return {r["date"] for r in self.rows}

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.rows)
        if frame.empty:
            return pd.DataFrame(columns=["date", "stance", "stance_score", "phase"])
        frame["date"] = pd.to_datetime(frame["date"])
        return frame.sort_values("date").reset_index(drop=True)


def load(folder: Path, key: str) -> Table:
    """The readings stored in `folder` for this content key (none when absent or when
    they were made by other content)."""
    path = folder / TABLE_JSON
    if not path.is_file():
        return Table(key, [])
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("%s: unreadable (%s); the backtest starts again", path, exc)
        return Table(key, [])
    if payload.get("key") != key:
        return Table(key, [])
    return Table(key, list(payload.get("rows", [])))


def save(folder: Path, table: Table, summary: dict[str, Any] | None = None) -> None:
    """Write the table (JSON and CSV) and the summary, each by an atomic rename."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        rows = sorted(table.rows, key=lambda r: r["date"])
        _atomic(folder / TABLE_JSON, json.dumps(
            {"key": table.key, "reportgen": __version__, "rows": rows}, indent=1,
            ensure_ascii=False))
        frame = pd.DataFrame(rows)
        _atomic(folder / TABLE_CSV, frame.to_csv(index=False) if len(frame) else "date\n")
        if summary is not None:
            _atomic(folder / SUMMARY_JSON, json.dumps(summary, indent=1, ensure_ascii=False))
    except OSError as exc:
        raise PublishError(f"{folder}: cannot write the backtest ({exc.strerror})") from None


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- replay

# The analysis as known on a date, for the worker processes (inherited when they fork:
# a function cannot be sent to a worker, its module's globals come along).
_ANALYSE_ON: Callable[[dt.date], Any] | None = None


def _rows(days: list[dt.date]) -> list[dict[str, Any]]:
    assert _ANALYSE_ON is not None
    return [reading(_ANALYSE_ON(day)).row() for day in days]


def replay(analyse_on: Callable[[dt.date], Any], dates: Iterable[dt.date], table: Table,
           folder: Path | None, progress: Progress = lambda *_: None,
           save_every: int = 20, workers: int = 1) -> Table:
    """Add a reading for every date the table lacks; save every few rows, so a killed run
    resumes where it stopped. `analyse_on(date)` is the analysis as known on that date (a
    Replayer); with more than one worker its store must be preloaded."""
    from reportgen.parallel import fork_map

    global _ANALYSE_ON
    todo = [d for d in dates if d.isoformat() not in table.dates()]
    done = 0
    _ANALYSE_ON = analyse_on
    try:
        for chunk in _chunks(todo, save_every):
            # consecutive weeks to each worker: what one filing changes is computed once
            # per worker (see signals.hyperscalers), not once per week
            blocks = _split(chunk, workers)
            table.rows.extend(row for rows in fork_map(_rows, blocks, workers) for row in rows)
            done += len(chunk)
            progress(done, len(todo), chunk[-1])
            if folder is not None:
                save(folder, table)
    finally:
        _ANALYSE_ON = None
    return table


def _split(items: list, parts: int) -> list[list]:
    """`items` in `parts` consecutive runs of nearly equal length, in order."""
    size, extra = divmod(len(items), max(parts, 1))
    out, i = [], 0
    for k in range(max(parts, 1)):
        n = size + (k < extra)
        if n:
            out.append(items[i:i + n])
        i += n
    return out


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


class Replayer:
    """The analysis as known on a date, from the store point in time. For many dates the
    store is preloaded into memory first (Store.preload), so that forked workers cut their
    snapshots from inherited arrays and never use the parent's SQLite connection."""

    def __init__(self, analyse: Callable[[Any, dt.date], Any], stale_after_days: int,
                 store: Any) -> None:
        self.analyse, self.stale_after_days, self.store = analyse, stale_after_days, store

    def __call__(self, day: dt.date) -> Any:
        return self.analyse(self.store.snapshot(day, self.stale_after_days), day)


# --------------------------------------------------------------------------- outcomes

def _weekly(s: pd.Series) -> pd.Series:
    s = clean(s)
    return s if s.empty else s.resample("D").last().ffill()


def forward(series: pd.Series, day: pd.Timestamp, weeks: int) -> pd.Series:
    """The window after a reading: from the day after it to `weeks` weeks later."""
    start, end = day + pd.Timedelta(days=1), day + pd.Timedelta(weeks=weeks)
    return series[(series.index >= start) & (series.index <= end)]


def outcomes(table: pd.DataFrame, data: dict[str, pd.Series], last: dt.date
             ) -> pd.DataFrame:
    """What followed each reading, over each horizon whose window the data cover by `last`
    (later windows are left empty, never measured on part of the window)."""
    spread = 100.0 * _weekly(data.get(SPREAD, pd.Series(dtype="float64")))
    nfci = _weekly(data.get(NFCI, pd.Series(dtype="float64")))
    target = _weekly(data.get(TARGET, pd.Series(dtype="float64")))
    equities = [_weekly(data.get(sid, pd.Series(dtype="float64"))) for sid in EQUITY]
    out = table[["date"]].copy()
    limit = pd.Timestamp(last)
    for weeks in HORIZONS:
        cols: dict[str, list[float]] = {f"{name}_{weeks}w": [] for name in
                                        ("hy_change_bp", "equity_return_pct",
                                         "equity_drawdown_pct", "nfci_change",
                                         "fed_target_change_bp")}
        for day in table["date"]:
            covered = day + pd.Timedelta(weeks=weeks) <= limit
            cols[f"hy_change_bp_{weeks}w"].append(_change(spread, day, weeks, covered))
            cols[f"nfci_change_{weeks}w"].append(_change(nfci, day, weeks, covered))
            cols[f"fed_target_change_bp_{weeks}w"].append(
                100.0 * _change(target, day, weeks, covered))
            equity = next((e for e in equities if len(e) and e.index[0] <= day
                           and e.index[-1] >= day), pd.Series(dtype="float64"))
            ret, dd = _equity(equity, day, weeks, covered)
            cols[f"equity_return_pct_{weeks}w"].append(ret)
            cols[f"equity_drawdown_pct_{weeks}w"].append(dd)
        for name, values in cols.items():
            out[name] = values
    out["bad_13w"] = [_bad(spread, equities, day, limit) for day in table["date"]]
    return out


def _change(s: pd.Series, day: pd.Timestamp, weeks: int, covered: bool) -> float:
    if not covered or s.empty:
        return float("nan")
    before = s[s.index <= day]
    after = forward(s, day, weeks)
    if before.empty or after.empty:
        return float("nan")
    return float(after.iloc[-1] - before.iloc[-1])


def _equity(s: pd.Series, day: pd.Timestamp, weeks: int, covered: bool
            ) -> tuple[float, float]:
    if not covered or s.empty:
        return float("nan"), float("nan")
    before, after = s[s.index <= day], forward(s, day, weeks)
    if before.empty or after.empty:
        return float("nan"), float("nan")
    base = float(before.iloc[-1])
    return (100.0 * (float(after.iloc[-1]) / base - 1.0),
            100.0 * (float(after.min()) / base - 1.0))


def _bad(spread: pd.Series, equities: list[pd.Series], day: pd.Timestamp,
         limit: pd.Timestamp) -> float:
    """1 if within 13 weeks the spread widened by 100 bp or equities fell 10% below their
    level at the reading; 0 if neither; NaN where the window is not yet over."""
    if day + pd.Timedelta(weeks=BAD_WEEKS) > limit:
        return float("nan")
    seen = False
    if len(spread):
        before, after = spread[spread.index <= day], forward(spread, day, BAD_WEEKS)
        if len(before) and len(after):
            seen = True
            if float(after.max() - before.iloc[-1]) >= BAD_SPREAD_BP:
                return 1.0
    for e in equities:
        before, after = e[e.index <= day], forward(e, day, BAD_WEEKS)
        if len(before) and len(after):
            seen = True
            if 100.0 * (float(after.min()) / float(before.iloc[-1]) - 1.0) <= BAD_DRAWDOWN_PCT:
                return 1.0
            break
    return 0.0 if seen else float("nan")


# ---------------------------------------------------------------------------- summary

def _stats(values: pd.Series) -> dict[str, float | int | None]:
    v = values.dropna()
    if v.empty:
        return {"count": 0, "median": None, "p25": None, "p75": None}
    return {"count": len(v), "median": _num(float(v.median())),
            "p25": _num(float(v.quantile(0.25))), "p75": _num(float(v.quantile(0.75)))}


def episodes(flags: pd.Series, dates: pd.Series) -> int:
    """Distinct bad stretches: runs of consecutive weeks with a bad outcome count once."""
    runs, previous = 0, None
    for day, flag in zip(dates, flags, strict=True):
        if flag == 1.0 and (previous is None or (day - previous).days > 7):
            runs += 1
        previous = day if flag == 1.0 else None
    return runs


def summarise(table: pd.DataFrame, after: pd.DataFrame) -> dict[str, Any]:
    """Outcomes by reading against the base rate of all weeks; hit rates of the alarming
    readings against the stated bad outcome."""
    joined = table.merge(after, on="date")
    measures = [c for c in after.columns if c not in ("date", "bad_13w")]
    summary: dict[str, Any] = {
        "readings": len(joined),
        "first": joined["date"].min().date().isoformat() if len(joined) else None,
        "last": joined["date"].max().date().isoformat() if len(joined) else None,
        "bad_outcome": {"spread_widening_bp": BAD_SPREAD_BP,
                        "equity_drawdown_pct": BAD_DRAWDOWN_PCT, "within_weeks": BAD_WEEKS},
        "base": {m: _stats(joined[m]) for m in measures},
        "stance": {}, "loops": {}, "hit_rates": {},
    }
    for stance, group in joined.groupby("stance"):
        if stance:
            summary["stance"][stance] = {m: _stats(group[m]) for m in measures}
    loop_cols = [c for c in joined.columns if c.startswith("loop_") and
                 not c.endswith("_score")]
    for col in loop_cols:
        summary["loops"][col[5:]] = {state: {m: _stats(g[m]) for m in measures}
                                     for state, g in joined.groupby(col) if state}
    bad = joined["bad_13w"]
    base = bad.dropna()
    summary["hit_rates"]["all_weeks"] = _rate(base)
    summary["hit_rates"]["episodes"] = episodes(bad.fillna(0), joined["date"])
    alarming = joined["stance"].isin(["bearish", "cautious_bearish"])
    summary["hit_rates"]["bearish"] = _rate(bad[alarming].dropna())
    for col in loop_cols:
        summary["hit_rates"][f"{col[5:]}_stress"] = _rate(bad[joined[col] == "stress"].dropna())
    return summary


def _rate(flags: pd.Series) -> dict[str, Any]:
    return {"readings": len(flags),
            "bad": int(flags.sum()) if len(flags) else 0,
            "rate_pct": _num(100.0 * float(flags.mean())) if len(flags) else None}


def conditional(table: pd.DataFrame, after: pd.DataFrame, stance: str,
                weeks: int = 13, flat_bp: float = 2.5) -> dict[str, Any] | None:
    """This week's reading against history: how many weeks read the same, and the median
    change of the high-yield spread over the next `weeks` after them and after all weeks
    (each also as a direction: within `flat_bp` of zero is unchanged)."""
    col = f"hy_change_bp_{weeks}w"
    joined = table.merge(after, on="date")
    same = joined[joined["stance"] == stance][col].dropna()
    base = joined[col].dropna()
    if same.empty or base.empty:
        return None
    return {"stance": stance, "weeks": weeks, "count": len(same),
            "since": joined["date"].min().date(),
            "median_bp": float(same.median()), "base_median_bp": float(base.median()),
            "direction": _direction(float(same.median()), flat_bp),
            "base_direction": _direction(float(base.median()), flat_bp),
            "p25_bp": float(same.quantile(0.25)), "p75_bp": float(same.quantile(0.75))}


def _direction(bp: float, flat_bp: float) -> str:
    return "unchanged" if abs(bp) < flat_bp else "widened" if bp > 0 else "narrowed"


def compare_rates(rate: float | None, base: float | None, band_pp: float) -> str | None:
    """How often alarming readings met a bad outcome against all weeks: more, less or
    as often (within `band_pp` points), or None when either is unknown."""
    if rate is None or base is None:
        return None
    return "as_often" if abs(rate - base) < band_pp else "more" if rate > base else "less"


def check_dates(start: dt.date, end: dt.date) -> None:
    if start > end:
        raise ConfigError(f"--from {start} is after --to {end}; give --from before --to")
