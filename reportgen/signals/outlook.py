"""Section 8 and the conclusion: which phase of the 2026 framework do the data point to?

Triggers are data (catalogs/outlook.toml): a derived series, a comparison and a threshold.
Each is evaluated over the whole series, so the report can say since when it has held.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass

import pandas as pd

from reportgen.errors import CatalogError
from reportgen.signals.base import Context, SectionResult, Signal, last_signal
from reportgen.signals.transforms import clean, diff_over
from reportgen.store import Snapshot

OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
PHASES = ("a", "b", "c")


@dataclass(frozen=True)
class Trigger:
    id: str
    phase: str
    label: str
    input: str
    op: str
    threshold: float
    met: bool | None
    value: float | None
    date: dt.date | None
    since: dt.date | None


def evaluate(spec: dict, series: pd.Series) -> Trigger:
    """Status now and the date the current status began."""
    if spec.get("op") not in OPS or spec.get("phase") not in PHASES:
        raise CatalogError(f"outlook.toml: trigger {spec.get('id')!r}: op must be one of "
                           f"{', '.join(OPS)} and phase one of {', '.join(PHASES)}")
    s = clean(series)
    base = dict(id=spec["id"], phase=spec["phase"], label=spec["label"], input=spec["input"],
                op=spec["op"], threshold=float(spec["threshold"]))
    if s.empty:
        return Trigger(**base, met=None, value=None, date=None, since=None)
    cond = OPS[spec["op"]](s, float(spec["threshold"]))
    now = bool(cond.iloc[-1])
    flips = cond[cond != now]
    since = cond.index[0] if flips.empty else cond[cond.index > flips.index[-1]].index[0]
    return Trigger(**base, met=now, value=float(s.iloc[-1]), date=s.index[-1].date(),
                   since=since.date())


def phase_scores(triggers: list[Trigger]) -> dict[str, float]:
    """Share of each phase's observable triggers that are met (0..1)."""
    out = {}
    for p in PHASES:
        known = [t for t in triggers if t.phase == p and t.met is not None]
        out[p] = sum(t.met for t in known) / len(known) if known else float("nan")
    return out


def leading_phase(scores: dict[str, float]) -> tuple[str, float | None]:
    """The phase with the largest share of its triggers holding; a tie is a tie, stated as
    the phases joined ("a-b": between A and B), never settled by order."""
    known = {p: v for p, v in scores.items() if pd.notna(v)}
    if not known:
        return "", None
    top = max(known.values())
    leaders = [p for p in PHASES if p in known and abs(known[p] - top) < 1e-9]
    return "-".join(leaders), top


def phase_history(specs: list[dict], series: dict[str, pd.Series], since: str) -> pd.DataFrame:
    """Weekly share of triggers met, per phase, for the outlook chart."""
    ends = [c.index[-1] for c in map(clean, series.values()) if len(c)]
    if not ends:
        return pd.DataFrame()
    idx = pd.date_range(since, max(ends), freq="W-FRI")
    cols = {}
    for p in PHASES:
        flags = []
        for spec in (s for s in specs if s["phase"] == p):
            s = clean(series.get(spec["input"], pd.Series(dtype="float64")))
            if s.empty:
                continue
            cond = OPS[spec["op"]](s, float(spec["threshold"])).astype(float)
            flags.append(cond.reindex(idx, method="ffill"))
        if flags:
            cols[p] = 100.0 * pd.concat(flags, axis=1).mean(axis=1)
    return pd.DataFrame(cols).dropna(how="all")


def compute(data: Snapshot, ctx: Context) -> SectionResult:
    """Reads the series of every section placed before it, and the triggers' catalog."""
    out = SectionResult()
    series, specs = ctx.series, ctx.catalogs.get("outlook", {}).get("trigger", [])
    nfci = clean(data["NFCI"])
    epu = clean(data["USEPUINDXD"])
    epu_30 = epu.rolling("30D").mean().dropna()
    out.series.update(nfci_index=nfci, epu_30d_avg=epu_30)
    out.add(last_signal("nfci_index", nfci, "index", ("NFCI",), change_days=91,
                        change_label="13w"))
    out.add(last_signal("epu_30d_avg", epu_30, "index", ("USEPUINDXD",), change_days=365,
                        change_label="1y"))
    out.add(last_signal("nfci_13w_change", diff_over(nfci, 91), "index", ("NFCI",)))

    inputs = {**series, **out.series}  # triggers may test this section's own series too
    triggers = [evaluate(spec, inputs.get(spec["input"], pd.Series(dtype="float64")))
                for spec in specs]
    scores = phase_scores(triggers)
    out.tables["triggers"] = triggers
    out.tables["phase_scores"] = scores
    phase, share = leading_phase(scores)
    out.add(Signal("outlook_phase", share, "share", data.as_of,
                   tuple(sorted({t.input for t in triggers})), phase))
    history = phase_history(specs, inputs, "2019-01-01")
    for p in history:
        out.series[f"phase_{p}_triggers_met_pct"] = history[p]
        out.inputs[f"phase_{p}_triggers_met_pct"] = tuple(
            spec["input"] for spec in specs if spec["phase"] == p)
    return out
