"""Charts: draw the chart definitions in charts/charts.toml with the house style.

Words live in the HTML caption and legend, not in the image, so a chart is drawn once and
shared by every language. Only charts that need words inside the picture (the radar's
spoke names) are drawn once per language. Drawing runs in a process pool: matplotlib is
imported before the pool forks, so workers start warm.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import ticker as mticker

from reportgen.catalog import read_toml
from reportgen.content import ContentPaths, as_content
from reportgen.errors import CatalogError, RenderError
from reportgen.parallel import fork_map

WIDTH_IN, HEIGHT_IN = 6.9, 2.75
PACK_SIZE_IN, PACK_DPI = (13.333, 7.5), 150  # 16:9, 2000 x 1125 px as PNG
RASTER_DPI = 200
PACK_RC = {"font.size": 14, "xtick.labelsize": 13, "ytick.labelsize": 13,
           "legend.fontsize": 13, "lines.linewidth": 2.4, "savefig.bbox": "standard"}
MAX_POINTS = 700


@dataclass(frozen=True)
class ChartSpec:
    id: str
    section: str
    kind: str
    title: str
    subtitle: str
    units: str
    series: tuple[dict[str, Any], ...]
    since: str = "-8y"
    right_units: str | None = None
    hlines: tuple[dict[str, Any], ...] = ()
    shade: tuple[str, ...] = ()
    recessions: bool = False
    optional: bool = False
    rebase: bool = False
    smooth: str | None = None
    table: str | None = None
    spokes: tuple[dict[str, Any], ...] = ()

    @property
    def localized(self) -> bool:
        """True when the picture itself carries words (drawn once per language)."""
        return KINDS[self.kind].localized


@dataclass(frozen=True)
class Style:
    """House style: the matplotlib style file and the palette."""

    mplstyle: Path
    palette: dict[str, Any]

    def color(self, i: int) -> str:
        colors = self.palette["series"]
        return colors[i % len(colors)]


@dataclass
class ChartJob:
    """Everything one drawing needs, picklable, so it can run in a worker."""

    spec: ChartSpec
    style: Style
    path: Path
    start: pd.Timestamp | None
    lang: str | None = None
    # For the meeting chart pack: words drawn into the picture (title, subtitle, footer,
    # series labels) and the file format. None for report charts, whose words are HTML.
    pack: dict[str, Any] | None = None
    # Also save a 200-dpi PNG beside the SVG (for a PDF laid out with raster charts).
    raster: bool = False
    series: dict[str, pd.Series] = field(default_factory=dict)
    table: Any = None
    spans: list[tuple[str, dt.date, dt.date | None]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    font_family: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DrawnChart:
    id: str
    lang: str | None
    path: Path
    last_date: dt.date | None


def parse_specs(raw: dict[str, Any], path: Path, section: str) -> list[ChartSpec]:
    """The [[chart]] tables of one section's charts.toml, checked."""
    specs, seen = [], set()
    for i, c in enumerate(raw.get("chart", [])):
        where = f"{path}: chart #{i + 1} ({c.get('id', '?')})"
        for key in ("id", "kind", "title", "subtitle", "units", "series"):
            if key not in c:
                raise CatalogError(f"{where}: missing key {key!r}")
        if c["kind"] not in KINDS:
            raise CatalogError(f"{where}: kind {c['kind']!r}; use one of {', '.join(KINDS)}")
        if c["id"] in seen:
            raise CatalogError(f"{where}: duplicate chart id")
        seen.add(c["id"])
        try:
            specs.append(ChartSpec(**{"section": section, **{
                k: tuple(v) if isinstance(v, list) else v for k, v in c.items()}}))
        except TypeError as exc:
            raise CatalogError(f"{where}: {exc}") from None
    return specs


def load_style(source: ContentPaths | Path) -> Style:
    content = as_content(source, "charts")
    return Style(mplstyle=content.file("charts", "house.mplstyle"),
                 palette=read_toml(content.file("charts", "palette.toml")))


def start_date(since: str, as_of: dt.date) -> pd.Timestamp:
    """'-8y' counts back from the issue date; anything else is an ISO date."""
    if since.startswith("-") and since.endswith("y"):
        return pd.Timestamp(as_of) - pd.DateOffset(years=int(since[1:-1]))
    return pd.Timestamp(since)


def thin(s: pd.Series, how: str | None = None) -> pd.Series:
    """Fewer points for long daily series: SVG size and WeasyPrint time scale with them.

    Weekly bins are labelled by their last real observation, never by the bin's end, so the
    line does not run past the data and the caption's last date stays true.
    """
    if how != "weekly_mean" and len(s) <= MAX_POINTS:
        return s
    bins = s.resample("W-WED")
    values = bins.mean() if how == "weekly_mean" else bins.last()
    dates = pd.Series(s.index, index=s.index).resample("W-WED").max()
    out = pd.Series(values.to_numpy(), index=pd.DatetimeIndex(dates.to_numpy()), name=s.name)
    return out[out.index.notna()].dropna()


# ---------------------------------------------------------------- drawing (runs in workers)

def _fmt_axis(ax: Any, units: str) -> None:
    if units == "percent":
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}%"))
    elif units in ("usd_bn", "usd", "thousands"):
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    else:
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))


def _date_axis(ax: Any, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """Numeric dates only (2024, 2026-03), so the picture stays language-neutral."""
    years = (end - start).days / 365.25
    if years > 3:
        step = 1 if years <= 10 else 2 if years <= 20 else 5
        ax.xaxis.set_major_locator(mdates.YearLocator(step))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    else:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.set_xlim(start, end)


def _shade(ax: Any, job: ChartJob, start: pd.Timestamp, end: pd.Timestamp) -> None:
    pal = job.style.palette
    for kind, a, b in job.spans:
        a_ts = pd.Timestamp(a)
        if a_ts > end or (b is not None and pd.Timestamp(b) < start):
            continue
        if b is None:
            ax.axvline(a_ts, color=pal["event_line"], lw=0.8, ls=(0, (3, 2)), zorder=1)
        else:
            color = pal.get(kind, pal["recession"])
            ax.axvspan(a_ts, pd.Timestamp(b), color=color, lw=0, zorder=0)


def _draw_line(job: ChartJob, fig: Any) -> dt.date | None:
    spec = job.spec
    ax = fig.add_subplot(111)
    right = ax.twinx() if any(s.get("axis") == "right" for s in spec.series) else None
    start = job.start
    last, end = None, start
    for i, s_spec in enumerate(spec.series):
        s = job.series.get(s_spec["id"])
        if s is None or s.empty:
            continue
        s = thin(s[s.index >= start], spec.smooth)
        if s.empty:
            continue
        if spec.rebase:
            s = 100.0 * s / s.iloc[0]
        target = right if s_spec.get("axis") == "right" else ax
        style, color = s_spec.get("style", "line"), job.style.color(i)
        label = _pack_label(job, i)
        if style == "bar":
            width = max(2.0, (s.index[-1] - s.index[0]).days / max(len(s), 1) * 0.7)
            target.bar(s.index, s.to_numpy(), width=width, color=color, zorder=2, label=label)
        elif style == "step":
            target.step(s.index, s.to_numpy(), where="post", color=color, zorder=3,
                        label=label)
        else:
            target.plot(s.index, s.to_numpy(), color=color, zorder=3,
                        ls="--" if style == "dash" else "-", label=label)
        target.plot(s.index[-1:], s.to_numpy()[-1:], "o", ms=3, color=color, zorder=4)
        end = max(end, s.index[-1])
        last = max(last, s.index[-1].date()) if last else s.index[-1].date()
    for h in spec.hlines:
        ax.axhline(h["y"], color=job.style.palette["reference"], lw=0.8, zorder=1)
    end = max(end, start + pd.Timedelta(days=60))
    _shade(ax, job, start, end)
    _date_axis(ax, start, end + pd.Timedelta(days=max(5, (end - start).days // 150)))
    _fmt_axis(ax, spec.units)
    if right is not None:
        right.grid(False)
        right.spines["right"].set_visible(True)
        _fmt_axis(right, spec.right_units or spec.units)
    if job.pack:
        handles, labels = ax.get_legend_handles_labels()
        if right is not None:
            more = right.get_legend_handles_labels()
            handles, labels = handles + more[0], labels + more[1]
        ax.legend(handles, labels, loc="upper left", ncol=min(3, len(labels)))
    return last


def _draw_bar_table(job: ChartJob, fig: Any) -> dt.date | None:
    ax = fig.add_subplot(111)
    rows = job.table or []
    names = [r[0] for r in rows]
    values = [r[1] for r in rows]
    ax.bar(names, values, color=job.style.color(0), zorder=2, label=_pack_label(job, 0))
    for x, v in enumerate(values):
        ax.text(x, v, f"{v:.1f}", ha="center", va="bottom", fontsize=7.5, color="#333333")
    _fmt_axis(ax, job.spec.units)
    ax.tick_params(axis="x", labelsize=7.5)
    return None


def _draw_dumbbell(job: ChartJob, fig: Any) -> dt.date | None:
    table = job.table
    ax = fig.add_subplot(111)
    latest = table[table["date"] == table["date"].max()].sort_values("spread")
    y = np.arange(len(latest))
    lo, hi = job.style.color(0), job.style.color(1)
    ax.hlines(y, latest["low"], latest["high"], color="#9A9A9A", lw=2, zorder=2)
    ax.plot(latest["low"], y, "o", color=lo, ms=5, zorder=3, label=_pack_label(job, 0))
    ax.plot(latest["high"], y, "o", color=hi, ms=5, zorder=3, label=_pack_label(job, 1))
    if job.pack:
        ax.legend(loc="lower left")
    ax.set_yticks(y, latest["borrower"].astype(str).tolist(), fontsize=7)
    ax.grid(axis="x", color="#D9D9D9", lw=0.5)
    ax.grid(axis="y", visible=False)
    return pd.Timestamp(table["date"].max()).date()


def _draw_radar(job: ChartJob, fig: Any) -> dt.date | None:
    spokes = job.spec.spokes
    angles = np.linspace(0, 2 * np.pi, len(spokes), endpoint=False).tolist()
    ax = fig.add_subplot(111, projection="polar")
    for i, s_spec in enumerate(job.spec.series):
        row = job.table.get(s_spec["id"])
        if not row:
            continue
        vals = [row.get(sp["id"], np.nan) for sp in spokes]
        vals = [0.0 if not np.isfinite(v) else v for v in vals]
        ax.plot(angles + angles[:1], vals + vals[:1], color=job.style.color(i),
                lw=1.8 if s_spec["id"] == "latest" else 1.1, label=_pack_label(job, i))
        if s_spec["id"] == "latest":
            ax.fill(angles + angles[:1], vals + vals[:1], color=job.style.color(i), alpha=0.12)
    ax.set_xticks(angles, [job.labels.get(sp["id"], sp["id"]) for sp in spokes], fontsize=7.5)
    for label, angle in zip(ax.get_xticklabels(), angles, strict=True):
        x = np.cos(angle)  # push labels away from the web: left of it, right of it, or centred
        label.set_horizontalalignment("left" if x > 0.3 else "right" if x < -0.3 else "center")
    ax.tick_params(axis="x", pad=6)
    ax.set_rlabel_position(90 + 180 / len(spokes))
    ax.set_ylim(0, 100)
    ax.set_yticks([25, 50, 75, 100], ["25", "50", "75", "100"], fontsize=6.5, color="#777777")
    ax.grid(color="#D0D0D0", lw=0.5)
    ax.spines["polar"].set_visible(False)
    if job.pack:
        ax.legend(loc="upper left", bbox_to_anchor=(1.08, 1.0))
    return None


@dataclass(frozen=True)
class ChartKind:
    """One kind of chart: how it is drawn, at what size, and whether its picture carries
    words (then it is drawn once per language instead of once for all)."""

    name: str
    draw: Callable[[ChartJob, Any], dt.date | None]
    size: tuple[float, float] = (WIDTH_IN, HEIGHT_IN)
    localized: bool = False
    img_class: str = ""  # CSS class of the picture in the editions


KINDS: dict[str, ChartKind] = {k.name: k for k in (
    ChartKind("line", _draw_line),
    ChartKind("bar_table", _draw_bar_table),
    ChartKind("dumbbell_table", _draw_dumbbell),
    ChartKind("radar_table", _draw_radar, size=(WIDTH_IN, 3.6), localized=True,
              img_class="radar"),
)}


def _pack_label(job: ChartJob, i: int) -> str | None:
    labels = job.pack["labels"] if job.pack else []
    return labels[i] if i < len(labels) else None


def _pack_words(fig: Any, pack: dict[str, Any]) -> None:
    """Title, subtitle and source footer inside a slide-sized picture."""
    fig.text(0.012, 0.965, pack["title"], ha="left", va="top", fontsize=24, weight="bold")
    fig.text(0.012, 0.905, pack["subtitle"], ha="left", va="top", fontsize=14, color="#555555")
    fig.text(0.012, 0.015, pack["footer"], ha="left", va="bottom", fontsize=11, color="#666666")


def draw(job: ChartJob) -> DrawnChart:
    """Draw one chart: SVG with text kept as text for the report (searchable in the PDF,
    faster to lay out), or a 16:9 slide with its words inside for the chart pack."""
    rc = PACK_RC if job.pack else {}
    with plt.style.context([str(job.style.mplstyle), rc]):
        if job.font_family:
            plt.rcParams["font.family"] = job.font_family
        kind = KINDS[job.spec.kind]
        fig = plt.figure(figsize=PACK_SIZE_IN if job.pack else kind.size)
        fmt = job.pack["format"] if job.pack else "svg"
        try:
            last = kind.draw(job, fig)
            if job.pack:
                _pack_words(fig, job.pack)
                fig.tight_layout(rect=(0.0, 0.05, 1.0, 0.87))
            else:
                fig.tight_layout(pad=0.3)
            tmp = job.path.with_suffix(f".tmp.{fmt}")
            meta = {"Creator": "reportgen"} if fmt == "png" else {"Date": None,
                                                                   "Creator": "reportgen"}
            fig.savefig(tmp, format=fmt, metadata=meta, dpi=PACK_DPI if job.pack else None)
            os.replace(tmp, job.path)
            if job.raster:
                fig.savefig(job.path.with_suffix(".png"), format="png", dpi=RASTER_DPI,
                            metadata={"Creator": "reportgen"})
        except Exception as exc:
            raise RenderError(f"chart {job.spec.id}: drawing failed ({exc})") from exc
        finally:
            plt.close(fig)
    return DrawnChart(job.spec.id, job.lang, job.path, last)


def draw_all(jobs: list[ChartJob], workers: int) -> list[DrawnChart]:
    """Draw on both cores; workers inherit the imported matplotlib."""
    return fork_map(draw, jobs, workers)


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


def _job(spec: ChartSpec, style: Style, inputs: Inputs, path: Path, lang: str | None,
         fonts: list[str], labels: dict[str, str], pack: dict[str, Any] | None = None
         ) -> ChartJob:
    spans = [(k, a, b) for k, a, b in inputs.events if k in spec.shade]
    if spec.recessions:
        spans += [("recession", a, b) for a, b in inputs.recessions]
    return ChartJob(
        spec=spec, style=style, path=path, lang=lang, pack=pack, labels=labels,
        start=start_date(spec.since, inputs.as_of) if spec.kind == "line" else None,
        series={s["id"]: inputs.series[s["id"]] for s in spec.series
                if s["id"] in inputs.series},
        table=inputs.tables.get(spec.table) if spec.table else None,
        spans=spans, font_family=fonts)


def drawable(specs: list[ChartSpec], inputs: Inputs) -> list[ChartSpec]:
    """The charts that have data. A live store may lack a series (never fetched, not
    supplied): its chart is not drawn, and the report says so where it would stand."""
    return [spec for spec in specs if has_data(spec, inputs.series, inputs.tables)]


def plan(specs: list[ChartSpec], style: Style, inputs: Inputs, out_dir: Path,
         languages: list[str], translate: dict[str, Callable[[str], str]],
         fonts: dict[str, list[str]], raster: bool = False) -> list[ChartJob]:
    """One job per language-neutral chart, one per language for charts with words inside."""
    jobs = []
    for spec in drawable(specs, inputs):
        for lang in (languages if spec.localized else [None]):
            name = f"{spec.id}.svg" if lang is None else f"{spec.id}.{lang}.svg"
            labels = ({sp["id"]: translate[lang](sp["label"]) for sp in spec.spokes}
                      if lang else {})
            job = _job(spec, style, inputs, out_dir / name, lang, fonts.get(lang or "en", []),
                       labels)
            job.raster = raster
            jobs.append(job)
    return jobs


def plan_pack(specs: list[ChartSpec], style: Style, inputs: Inputs, out_dir: Path,
              lang: str, translate: Callable[[str], str], fonts: list[str], fmt: str,
              words: Callable[[ChartSpec], dict[str, str]]) -> list[ChartJob]:
    """Slide-sized charts in one language with every word drawn in (meeting chart pack)."""
    jobs = []
    for spec in drawable(specs, inputs):
        pack = {"format": fmt, "labels": [translate(s["label"]) for s in spec.series],
                **words(spec)}
        labels = {sp["id"]: translate(sp["label"]) for sp in spec.spokes}
        jobs.append(_job(spec, style, inputs, out_dir / f"{spec.id}.{fmt}", lang, fonts,
                         labels, pack))
    return jobs
