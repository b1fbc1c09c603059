"""Planning: the analysis's series and tables turned into chart jobs (build process).

Each series is cut to the window drawn and thinned to about one point per pixel of the
picture's width, keeping each pixel's lowest and highest value so a one-day spike stays
visible; tables are put in the plain form their drawer reads. The jobs carry numpy arrays
only, and the date each caption states is known here, before anything is drawn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reportgen.charts import (
    NARROW_WIDTH_IN,
    NO_DATA,
    PACK_DPI,
    PACK_SIZE_IN,
    SVG_DPI,
    WIDTH_IN,
    ChartJob,
    ChartSpec,
    DrawnChart,
    Style,
)

# The kinds drawn from series over time (cut to the window and thinned), not a table.
SERIES_KINDS = frozenset({"line", "heat_strip"})


def start_date(since: str, as_of: dt.date) -> pd.Timestamp:
    """'-8y' counts back from the issue date; anything else is an ISO date."""
    if since.startswith("-") and since.endswith("y"):
        return pd.Timestamp(as_of) - pd.DateOffset(years=int(since[1:-1]))
    return pd.Timestamp(since)


NARROW = ".narrow"  # a phone drawing's file: s4_reserves.narrow.svg

# ------------------------------------------------------------------------------ thinning

def weekly_mean(s: pd.Series) -> pd.Series:
    """Weekly averages (Thursday to Wednesday), each labelled by the week's last real
    observation, never by the bin's end: the line does not run past the data and the
    caption's last date stays true."""
    bins = s.resample("W-WED")
    dates = pd.Series(s.index, index=s.index).resample("W-WED").max()
    out = pd.Series(bins.mean().to_numpy(), index=pd.DatetimeIndex(dates.to_numpy()),
                    name=s.name)
    return out[out.index.notna()].dropna()


def extremes(s: pd.Series, pixels: int) -> pd.Series:
    """At most one point per pixel: the time span is cut into equal buckets of two pixels
    and each keeps its lowest and highest observation (in time order), plus the first and
    last points of the series. Averaging would flatten a one-day spike; this keeps every
    extreme a reader could see at that width."""
    s = s.dropna()
    if len(s) <= pixels:
        return s
    buckets = max(1, (pixels - 2) // 2)
    t = s.index.asi8
    span = int(t[-1] - t[0]) + 1
    bucket = (t - t[0]).astype(np.float64) * buckets // span
    values = pd.Series(s.to_numpy(), index=np.arange(len(s)))
    groups = values.groupby(bucket)
    keep = np.union1d(groups.idxmin().to_numpy(), groups.idxmax().to_numpy())
    keep = np.union1d(keep, [0, len(s) - 1])
    return s.iloc[keep]


def thin(s: pd.Series, how: str | None = None, pixels: int = round(WIDTH_IN * SVG_DPI)
         ) -> pd.Series:
    """The points worth drawing: the optional smoothing a chart asks for (`weekly_mean`),
    then at most about one point per pixel of drawn width, extremes kept."""
    if how == "weekly_mean":
        s = weekly_mean(s)
    return extremes(s, pixels)


# ---------------------------------------------------------------- planning (in the parent)

def recession_spans(usrec: pd.Series) -> list[tuple[dt.date, dt.date]]:
    """Contiguous USREC == 1 months as (first day, last day) spans."""
    s = usrec.dropna()
    spans, start = [], None
    for when, v in s.items():
        if v >= 0.5 and start is None:
            start = when
        elif v < 0.5 and start is not None:
            spans.append((start.date(), (when - pd.Timedelta(days=1)).date()))
            start = None
    if start is not None:
        spans.append((start.date(), (s.index[-1] + pd.offsets.MonthEnd(0)).date()))
    return spans


def has_data(spec: ChartSpec, series: dict[str, pd.Series], tables: dict[str, Any]) -> bool:
    if spec.table is not None:
        t = tables.get(spec.table)
        return t is not None and len(t) > 0
    return any(len(series.get(s["id"], ())) for s in spec.series)


@dataclass(frozen=True)
class Inputs:
    """What the charts stage is given: the signals' series and tables, and the shading."""

    as_of: dt.date
    series: dict[str, pd.Series]
    tables: dict[str, Any]
    events: list[tuple[str, dt.date, dt.date | None]]
    recessions: list[tuple[dt.date, dt.date]]
    event_codes: dict[dt.date, str] = field(default_factory=dict)  # an event line's label


def _points(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    return (s.index.to_numpy(dtype="datetime64[ns]"), s.to_numpy(dtype=np.float64))


def _line_data(spec: ChartSpec, inputs: Inputs, start: pd.Timestamp, pixels: int
               ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dt.date | None]:
    """Each series cut to the window and thinned; the last date drawn (the caption's)."""
    out, last = {}, None
    for s_spec in spec.series:
        s = inputs.series.get(s_spec["id"])
        if s is None or s.empty:
            continue
        s = thin(s[s.index >= start], s_spec.get("smooth", spec.smooth), pixels)
        if s.empty:
            continue
        out[s_spec["id"]] = _points(s)
        when = s.index[-1].date()
        last = max(last, when) if last else when
    return out, last


def _table_data(spec: ChartSpec, table: Any) -> tuple[Any, dt.date | None]:
    """A table in the plain form its drawer reads; the dumbbell's date is its last one."""
    if spec.kind == "dumbbell_table":
        latest_date = table["date"].max()
        latest = table[table["date"] == latest_date].sort_values("spread")
        rows = [(str(b), float(lo), float(hi)) for b, lo, hi in
                zip(latest["borrower"], latest["low"], latest["high"], strict=True)]
        return rows, pd.Timestamp(latest_date).date()
    if spec.kind == "radar_table":
        return {k: {sp: float(v) for sp, v in row.items()} for k, row in table.items()}, None
    if spec.kind == "stance_history":  # the weekly readings: date, score and state
        dates = pd.DatetimeIndex(table["date"])
        return ({"dates": dates.to_numpy(dtype="datetime64[ns]"),
                 "score": table["stance_score"].astype(float).to_numpy(),
                 "states": [str(s) for s in table["stance"]]},
                dates[-1].date() if len(dates) else None)
    if spec.kind == "grouped_bar_table":  # [{"label": ..., "<series id>": value, ...}]
        ids = {s["id"] for s in spec.series}
        rows = [{k: (float(v) if k in ids and v is not None else v) for k, v in row.items()}
                for row in table]
        dates = [d for d in (r.get("period_end") or r.get("date") for r in rows) if d]
        return rows, (max(dates) if dates else None)
    return [(str(name), float(value)) for name, value in table], None


def _job(spec: ChartSpec, style: Style, inputs: Inputs, path: Path, lang: str | None,
         fonts: list[str], labels: dict[str, str], pack: dict[str, Any] | None = None,
         pixels: int = round(WIDTH_IN * SVG_DPI)) -> ChartJob:
    spans = [(k, a, b) for k, a, b in inputs.events if k in spec.shade]
    if spec.recessions:
        spans += [("recession", a, b) for a, b in inputs.recessions]
    codes = {a.isoformat(): inputs.event_codes[a] for _, a, b in spans
             if b is None and a in inputs.event_codes}
    job = ChartJob(spec=spec, style=style, path=path, lang=lang, pack=pack, labels=labels,
                   start=None, spans=spans, font_family=fonts, event_codes=codes)
    if spec.kind in SERIES_KINDS:
        start = start_date(spec.since, inputs.as_of)
        job.start = start.to_pydatetime()
        job.series, job.last_date = _line_data(spec, inputs, start, pixels)
    elif spec.table:
        job.table, job.last_date = _table_data(spec, inputs.tables.get(spec.table))
    return job


def drawable(specs: list[ChartSpec], inputs: Inputs) -> list[ChartSpec]:
    """The charts that have data. A live store may lack a series (never fetched, not
    supplied): its chart is not drawn, and the report says so where it would stand."""
    return [spec for spec in specs if has_data(spec, inputs.series, inputs.tables)]


def plan(specs: list[ChartSpec], style: Style, inputs: Inputs, out_dir: Path,
         languages: list[str], translate: dict[str, Callable[[str], str]],
         fonts: dict[str, list[str]], raster: bool = False, narrow: bool = False
         ) -> list[ChartJob]:
    """One job per language-neutral chart, one per language for charts with words inside
    (the language-neutral ones first: every edition needs them); with `narrow` (an HTML
    edition is made), the same again as phone drawings, after all the wide ones."""
    jobs = []
    for spec in drawable(specs, inputs):
        for lang in (languages if spec.localized else [None]):
            stem = spec.id if lang is None else f"{spec.id}.{lang}"
            labels = ({sp["id"]: translate[lang](sp["label"]) for sp in spec.spokes}
                      | {NO_DATA: translate[lang]("no data")} if lang else {})
            job = _job(spec, style, inputs, out_dir / f"{stem}.svg", lang,
                       fonts.get(lang or "en", []), labels)
            job.raster = raster
            jobs.append(job)
            if narrow:
                job = _job(spec, style, inputs, out_dir / f"{stem}{NARROW}.svg", lang,
                           fonts.get(lang or "en", []), labels,
                           pixels=round(NARROW_WIDTH_IN * SVG_DPI))
                job.narrow = True
                jobs.append(job)
    return sorted(jobs, key=lambda j: (j.narrow, j.lang is not None))


def drawn(jobs: list[ChartJob]) -> list[DrawnChart]:
    """What the editions say about each chart (and its phone drawing), known before it is
    drawn."""
    phone = {(j.spec.id, j.lang): j.path for j in jobs if j.narrow}
    return [DrawnChart(j.spec.id, j.lang, j.path, j.last_date,
                       narrow=phone.get((j.spec.id, j.lang)), shown=j.shown())
            for j in jobs if not j.narrow]


def plan_pack(specs: list[ChartSpec], style: Style, inputs: Inputs, out_dir: Path,
              lang: str, translate: Callable[[str], str], fonts: list[str], fmt: str,
              words: Callable[[ChartSpec], dict[str, str]]) -> list[ChartJob]:
    """Slide-sized charts in one language with every word drawn in (meeting chart pack)."""
    jobs = []
    for spec in drawable(specs, inputs):
        pack = {"format": fmt, "labels": [translate(s["label"]) for s in spec.series],
                **words(spec)}
        labels = {sp["id"]: translate(sp["label"]) for sp in spec.spokes} | {
            NO_DATA: translate("no data")}
        jobs.append(_job(spec, style, inputs, out_dir / f"{spec.id}.{fmt}", lang, fonts,
                         labels, pack, pixels=round(PACK_SIZE_IN[0] * PACK_DPI)))
    return jobs
