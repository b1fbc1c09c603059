"""Drawing: one planned chart job to one picture, with matplotlib and the house style.

Runs in the worker processes (reportgen.parallel), which load matplotlib and the fonts
once, before the build needs them. Jobs arrive as plain numpy arrays (see
`reportgen.charts`), so a worker never needs pandas. Report charts are SVG with their text
kept as text (searchable in the PDF, faster to lay out); the chart pack's are 16:9 slides
with their words inside. Output is deterministic (`svg.hashsalt`, no dates in metadata),
so the same job always gives the same bytes and the cache can stand in for drawing.
"""

from __future__ import annotations

import datetime as dt
import os
import textwrap
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import dates as mdates
from matplotlib import font_manager
from matplotlib import ticker as mticker

from reportgen.charts import (
    KINDS,
    NO_DATA,
    PACK_DPI,
    RASTER_DPI,
    ChartJob,
    DrawnChart,
    dark_css,
)
from reportgen.errors import RenderError

PACK_RC = {"font.size": 14, "xtick.labelsize": 13, "ytick.labelsize": 13,
           "legend.fontsize": 13, "lines.linewidth": 2.4, "savefig.bbox": "standard"}
# Report charts are fitted by tight_layout already: cropping them again to a tight box
# (the house style's savefig.bbox) moved their edges by a fraction of a point and cost a
# second full drawing of every chart.
REPORT_RC = {"savefig.bbox": "standard"}
DAY = np.timedelta64(1, "D")


def _fmt_axis(ax: Any, units: str) -> None:
    if units == "percent":
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}%"))
    elif units in ("usd_bn", "usd", "thousands"):
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    else:
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))


def _date_axis(ax: Any, start: np.datetime64, end: np.datetime64, narrow: bool = False
               ) -> None:
    """Numeric dates only (2024, 2026-03), so the picture stays language-neutral. A narrow
    drawing has room for about five labels: every second year over eight, and years alone
    (ticks at each half-year) where the wide one labels quarters."""
    years = float((end - start) / DAY) / 365.25
    if narrow and years > 1.5:
        step = 1 if years <= 5 else 2 if years <= 10 else 4 if years <= 20 else 10
        ax.xaxis.set_major_locator(mdates.YearLocator(step))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        if years <= 5:
            ax.xaxis.set_minor_locator(mdates.MonthLocator(bymonth=(7,)))
    elif narrow:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    elif years > 3:
        step = 1 if years <= 10 else 2 if years <= 20 else 5
        ax.xaxis.set_major_locator(mdates.YearLocator(step))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    else:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.set_xlim(start, end)


def _wrap(name: str, width: int = 12) -> str:
    """A spoke name on two lines for a narrow radar: at a space when it has spaces, else
    (Chinese) at the character nearest its middle that does not split a Latin word
    (IORB); East Asian characters count double. Short names stay on one line."""
    def cells(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    if cells(name) <= width:
        return name
    if " " in name:
        return textwrap.fill(name, width, break_long_words=False)
    cuts = [i for i in range(1, len(name))
            if not (name[i - 1].isascii() and name[i].isascii())]
    if not cuts:
        return name
    cut = min(cuts, key=lambda i: max(cells(name[:i]), cells(name[i:])))
    return f"{name[:cut]}\n{name[cut:]}"


def _crowded(job: ChartJob, fig: Any, texts: list[str], slots: int, points: float) -> bool:
    """Whether `texts` (the longest of them), set side by side in `slots` equal places
    across a narrow drawing, would touch (about 0.62 em a character, less the margins).
    The wide drawing is never judged: it has room, and the PDF keeps its picture."""
    if not job.narrow or not texts or not slots:
        return False
    room = (fig.get_figwidth() * 72 - 40) / slots
    return max(len(t) for t in texts) * 0.62 * _size(job, points) > room * 0.9


def _size(job: ChartJob, points: float) -> float:
    """A text size the wide drawing names; a narrow one never goes below its tick labels
    (charts/narrow.mplstyle), the smallest type that stays readable on a phone."""
    if not job.narrow:
        return points
    floor = font_manager.FontProperties(size=plt.rcParams["xtick.labelsize"])
    return max(points, floor.get_size_in_points())


def _day(d: dt.date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "ns")


def _shade(ax: Any, job: ChartJob, start: np.datetime64, end: np.datetime64) -> None:
    pal = job.style.palette
    for kind, a, b in job.spans:
        a_ts = _day(a)
        if a_ts > end or (b is not None and _day(b) < start):
            continue
        if b is None:
            ax.axvline(a_ts, color=pal["event_line"], lw=0.8, ls=(0, (3, 2)), zorder=1)
            code = job.event_codes.get(a.isoformat())
            if code and a_ts >= start:  # its short label just above the plot, on the line
                ax.text(a_ts, 1.0, code, transform=ax.get_xaxis_transform(), ha="center",
                        va="bottom", fontsize=11 if job.pack else _size(job, 7),
                        color=pal["event_line"], clip_on=False)
        else:
            color = pal.get(kind, pal["recession"])
            ax.axvspan(a_ts, _day(b), color=color, lw=0, zorder=0)


def _has_points(job: ChartJob, series_id: str) -> bool:
    points = job.series.get(series_id)
    return points is not None and len(points[0]) > 0


def _draw_line(job: ChartJob, fig: Any) -> None:
    spec = job.spec
    ax = fig.add_subplot(111)
    right = ax.twinx() if any(s.get("axis") == "right" and _has_points(job, s["id"])
                              for s in spec.series) else None  # no scale of nothing
    start = np.datetime64(job.start, "ns")
    end = start
    drawn_on: set[str] = set()
    for i, s_spec in enumerate(spec.series):
        if not _has_points(job, s_spec["id"]):
            continue
        dates, values = job.series[s_spec["id"]]
        if spec.rebase:
            values = 100.0 * values / values[0]
        target = right if s_spec.get("axis") == "right" else ax
        style, color = s_spec.get("style", "line"), job.style.color(i)
        label = _pack_label(job, i)
        if style == "bar":
            width = max(2.0, float((dates[-1] - dates[0]) / DAY) / max(len(dates), 1) * 0.7)
            target.bar(dates, values, width=width, color=color, zorder=2, label=label)
        elif style == "step":
            target.step(dates, values, where="post", color=color, zorder=3, label=label)
        else:
            target.plot(dates, values, color=color, zorder=3,
                        ls="--" if style == "dash" else "-", label=label)
        target.plot(dates[-1:], values[-1:], "o", ms=3, color=color, zorder=4)
        drawn_on.add("right" if target is right else "left")
        end = max(end, dates[-1])
    for h in spec.hlines:
        ax.axhline(h["y"], color=job.style.palette["reference"], lw=0.8, zorder=1)
    end = max(end, start + 60 * DAY)
    _shade(ax, job, start, end)
    span_days = int((end - start) / DAY)
    _date_axis(ax, start, end + max(5, span_days // 150) * DAY, job.narrow)
    _fmt_axis(ax, spec.units)
    if right is not None:
        right.grid(False)
        right.spines["right"].set_visible(True)
        _fmt_axis(right, spec.right_units or spec.units)
        if "left" not in drawn_on:  # only the right-axis series has data: no empty scale
            ax.yaxis.set_visible(False)  # on the left
            right.grid(True, color=job.style.palette.get("grid", "#E3E3E3"), lw=0.5)
    if job.pack:
        handles, labels = ax.get_legend_handles_labels()
        if right is not None:
            more = right.get_legend_handles_labels()
            handles, labels = handles + more[0], labels + more[1]
        ax.legend(handles, labels, loc="upper left", ncol=min(3, len(labels)))


def _draw_bar_table(job: ChartJob, fig: Any) -> None:
    ax = fig.add_subplot(111)
    rows = job.table or []
    names = [r[0] for r in rows]
    values = [r[1] for r in rows]
    ax.bar(names, values, color=job.style.color(0), zorder=2, label=_pack_label(job, 0))
    for x, v in enumerate(values):
        ax.text(x, v, f"{v:.1f}", ha="center", va="bottom", fontsize=_size(job, 7.5),
                color="#333333")
    _fmt_axis(ax, job.spec.units)
    ax.tick_params(axis="x", labelsize=_size(job, 7.5))
    if _crowded(job, fig, names, len(names), 7.5):  # names side by side would overlap
        ax.tick_params(axis="x", labelrotation=90)


def _draw_dumbbell(job: ChartJob, fig: Any) -> None:
    rows = job.table  # (borrower, low, high), narrowest spread first
    ax = fig.add_subplot(111)
    y = np.arange(len(rows))
    low = [r[1] for r in rows]
    high = [r[2] for r in rows]
    lo, hi = job.style.color(0), job.style.color(1)
    ax.hlines(y, low, high, color="#9A9A9A", lw=2, zorder=2)
    ax.plot(low, y, "o", color=lo, ms=5, zorder=3, label=_pack_label(job, 0))
    ax.plot(high, y, "o", color=hi, ms=5, zorder=3, label=_pack_label(job, 1))
    if job.pack:
        ax.legend(loc="lower left")
    ax.set_yticks(y, [r[0] for r in rows], fontsize=_size(job, 7))
    ax.grid(axis="x", color="#D9D9D9", lw=0.5)
    ax.grid(axis="y", visible=False)


def _draw_radar(job: ChartJob, fig: Any) -> None:
    spokes = job.spec.spokes
    angles = np.linspace(0, 2 * np.pi, len(spokes), endpoint=False).tolist()
    ax = fig.add_subplot(111, projection="polar")
    latest = job.table.get("latest", {})
    for i, s_spec in enumerate(job.spec.series):
        row = job.table.get(s_spec["id"])
        if not row:
            continue
        # a spoke without data is a gap in the web, never a zero
        vals = [float(row.get(sp["id"], np.nan)) for sp in spokes]
        ax.plot(angles + angles[:1], vals + vals[:1], color=job.style.color(i),
                lw=1.8 if s_spec["id"] == "latest" else 1.1, label=_pack_label(job, i))
        if s_spec["id"] == "latest" and all(np.isfinite(vals)):
            ax.fill(angles + angles[:1], vals + vals[:1], color=job.style.color(i), alpha=0.12)
    names = []
    for sp in spokes:
        name = job.labels.get(sp["id"], sp["id"])
        if job.narrow:  # short lines beside a small web
            name = _wrap(name)
        if not np.isfinite(latest.get(sp["id"], np.nan)):
            name += f"\n({job.labels.get(NO_DATA, 'no data')})"
        names.append(name)
    ax.set_xticks(angles, names, fontsize=_size(job, 7.5))
    for label, angle in zip(ax.get_xticklabels(), angles, strict=True):
        x = np.cos(angle)  # push labels away from the web: left of it, right of it, or centred
        label.set_horizontalalignment("left" if x > 0.3 else "right" if x < -0.3 else "center")
    ax.tick_params(axis="x", pad=6)
    ax.set_rlabel_position(90 + 180 / len(spokes))
    ax.set_ylim(0, 100)
    rings = ["", "50", "", "100"] if job.narrow else ["25", "50", "75", "100"]
    ax.set_yticks([25, 50, 75, 100], rings, fontsize=_size(job, 6.5), color="#777777")
    ax.grid(color="#D0D0D0", lw=0.5)
    ax.spines["polar"].set_visible(False)
    if job.pack:
        ax.legend(loc="upper left", bbox_to_anchor=(1.08, 1.0))


def _draw_stance_history(job: ChartJob, fig: Any) -> None:
    """A score over time, the area between it and zero coloured by the state it gave
    each week (the series' ids are the states, their `color` the fill); recessions and
    the spec's episodes shaded behind, as on every other chart."""
    ax = fig.add_subplot(111)
    table = job.table
    if not table or not len(table["dates"]):
        return
    dates, score = table["dates"], table["score"]
    states = np.asarray(table["states"], dtype=object)
    colors = {s["id"]: s.get("color", job.style.color(i))
              for i, s in enumerate(job.spec.series)}
    for state, color in colors.items():
        run = states == state
        if not run.any():
            continue
        # a run reaches the next week's point, so neighbouring states meet without a gap
        reach = run | np.concatenate(([False], run[:-1]))
        ax.fill_between(dates, score, 0.0, where=reach, step="post", color=color,
                        alpha=0.9, lw=0, zorder=2)
    ax.step(dates, score, where="post", color="#1d1f23", lw=0.9, zorder=3)
    ax.axhline(0.0, color=job.style.palette["reference"], lw=0.8, zorder=1)
    start, end = dates[0], dates[-1] + 7 * DAY
    _shade(ax, job, start, end)
    _date_axis(ax, start, end, job.narrow)
    _fmt_axis(ax, job.spec.units)


def _runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(first, after last) index of each run of equal values."""
    cuts = np.flatnonzero(np.diff(values) != 0) + 1
    bounds = np.concatenate(([0], cuts, [len(values)]))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _draw_heat_strip(job: ChartJob, fig: Any) -> None:
    """One row per series, first on top, each observation a cell lasting until the next,
    coloured by its value from the paper (the low end) to the series' colour (the high
    end): shares in percent run from 0 to 100. Rows are named by their `code` (A, B, C:
    language-neutral; the HTML legend gives the names), framed so that an empty cell reads
    as none rather than as missing, and end in their latest value, so
    several overlapping step lines become rows that can be read apart."""
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.patches import Rectangle

    spec = job.spec
    ax = fig.add_subplot(111)
    start = np.datetime64(job.start, "ns")
    drawn = [(i, s, job.series[s["id"]]) for i, s in enumerate(spec.series)
             if s["id"] in job.series and len(job.series[s["id"]][0])]
    every = [v for _, _, (_, v) in drawn]
    low, high = ((0.0, 100.0) if spec.units == "percent" else
                 (min(float(v.min()) for v in every), max(float(v.max()) for v in every)))
    paper = plt.rcParams["axes.facecolor"]
    end, rows = start + 60 * DAY, len(spec.series)
    for i, s_spec, (dates, values) in drawn:
        color = s_spec.get("color", job.style.color(i))
        ramp = LinearSegmentedColormap.from_list(s_spec["id"], [paper, color])
        step = np.median(np.diff(dates)) if len(dates) > 1 else 7 * DAY
        edges = mdates.date2num(np.append(dates, dates[-1] + step))
        y = rows - 1 - i
        cells = _runs(values)
        shade = [ramp((values[a] - low) / ((high - low) or 1.0)) for a, _ in cells]
        ax.broken_barh([(edges[a], edges[b] - edges[a]) for a, b in cells], (y + 0.1, 0.8),
                       facecolors=shade, edgecolor="none", zorder=2,
                       label=_pack_label(job, i))
        ax.add_patch(Rectangle((mdates.date2num(start), y + 0.1), edges[-1] -
                               mdates.date2num(start), 0.8, fill=False, lw=0.5,
                               edgecolor=job.style.palette.get("grid", "#C8C8C8"), zorder=3))
        latest = f"{values[-1]:.0f}%" if spec.units == "percent" else f"{values[-1]:g}"
        ax.text(1.0, y + 0.5, " " + latest, va="center", ha="left",
                fontsize=13 if job.pack else _size(job, 7.5),
                color="#333333", transform=ax.get_yaxis_transform(), clip_on=False)
        end = max(end, dates[-1] + step)
    ax.set_yticks([rows - 1 - i + 0.5 for i in range(rows)],
                  [s.get("code", str(i + 1)) if not job.pack else _pack_label(job, i)
                   for i, s in enumerate(spec.series)],
                  fontsize=13 if job.pack else _size(job, 8.5))
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(0, rows)
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    _date_axis(ax, start, end)
    _shade(ax, job, start, end)


def _draw_grouped_bars(job: ChartJob, fig: Any) -> None:
    """Bars side by side per row of the table: `[{"label": "MSFT", "<series id>": value,
    ...}, ...]`, one colour per series of the spec (a missing value leaves a gap). Row
    labels are short codes (tickers, year-months), so the picture stays language-neutral."""
    ax = fig.add_subplot(111)
    rows = job.table or []
    series = job.spec.series
    x = np.arange(len(rows))
    width = 0.8 / max(len(series), 1)
    # a narrow drawing may have no room for a number over every bar: the table beside it
    # has them
    numbers = [f"{float(r[s['id']]):,.0f}" for r in rows for s in series
               if r.get(s["id"]) is not None]
    crowded = _crowded(job, fig, numbers, len(rows) * len(series), 6.5)
    for i, s_spec in enumerate(series):
        values = np.array([float(r.get(s_spec["id"], np.nan)) for r in rows])
        offsets = x - 0.4 + width * (i + 0.5)
        ax.bar(offsets, np.nan_to_num(values), width=width * 0.92, color=job.style.color(i),
               zorder=2, label=_pack_label(job, i))
        for xo, v in zip(offsets, values, strict=True):
            if np.isfinite(v) and not crowded:
                ax.text(xo, v, f"{v:,.0f}", ha="center", va="bottom" if v >= 0 else "top",
                        fontsize=_size(job, 6.5), color="#333333")
    ax.axhline(0.0, color=job.style.palette["reference"], lw=0.8, zorder=1)
    names = [str(r["label"]) for r in rows]
    ax.set_xticks(x, names, fontsize=_size(job, 7.5),
                  rotation=90 if _crowded(job, fig, names, len(rows), 7.5) else 0)
    ax.grid(axis="x", visible=False)
    _fmt_axis(ax, job.spec.units)
    if job.pack:
        ax.legend(loc="upper left", ncol=min(3, len(series)))


DRAWERS: dict[str, Callable[[ChartJob, Any], None]] = {
    "line": _draw_line,
    "bar_table": _draw_bar_table,
    "grouped_bar_table": _draw_grouped_bars,
    "dumbbell_table": _draw_dumbbell,
    "radar_table": _draw_radar,
    "stance_history": _draw_stance_history,
    "heat_strip": _draw_heat_strip,
}


def _pack_label(job: ChartJob, i: int) -> str | None:
    labels = job.pack["labels"] if job.pack else []
    return labels[i] if i < len(labels) else None


def _pack_words(fig: Any, pack: dict[str, Any]) -> None:
    """Title, subtitle and source footer inside a slide-sized picture."""
    fig.text(0.012, 0.965, pack["title"], ha="left", va="top", fontsize=24, weight="bold")
    fig.text(0.012, 0.905, pack["subtitle"], ha="left", va="top", fontsize=14, color="#555555")
    fig.text(0.012, 0.015, pack["footer"], ha="left", va="bottom", fontsize=11, color="#666666")


def _with_dark_style(svg: Path, css: str) -> None:
    """Put the palette's dark-mode style into a report SVG, beside matplotlib's own."""
    text = svg.read_text(encoding="utf-8")
    head, sep, rest = text.partition("</style>")
    if not sep or not css:
        return
    svg.write_text(f'{head}{sep}\n  <style type="text/css">{css}</style>{rest}',
                   encoding="utf-8")


def draw(job: ChartJob) -> DrawnChart:
    """Draw one chart: SVG with text kept as text for the report, or a 16:9 slide with its
    words inside for the chart pack. Written to a temporary name and renamed, so a file
    that exists is complete (a PDF worker may be waiting for it)."""
    rc = PACK_RC if job.pack else REPORT_RC
    with plt.style.context([*job.style.styles(job.narrow), rc]):
        if job.font_family:
            plt.rcParams["font.family"] = job.font_family
        kind = KINDS[job.spec.kind]
        fig = plt.figure(figsize=job.size)
        fmt = job.format
        try:
            DRAWERS[kind.name](job, fig)
            if job.pack:
                _pack_words(fig, job.pack)
                fig.tight_layout(rect=(0.0, 0.05, 1.0, 0.87))
            else:
                fig.tight_layout(pad=0.3)
            # tight_layout leaves a placeholder layout engine behind, and savefig then draws
            # the whole figure once more before drawing it to the file: a fifth of the time
            fig.set_layout_engine(None)
            job.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = job.path.with_suffix(f".tmp.{fmt}")
            meta = {"Creator": "reportgen"} if fmt == "png" else {"Date": None,
                                                                   "Creator": "reportgen"}
            fig.savefig(tmp, format=fmt, metadata=meta, dpi=PACK_DPI if job.pack else None)
            if fmt == "svg" and not job.pack:
                _with_dark_style(tmp, dark_css(job.style.palette))
            if job.raster:
                png = job.path.with_suffix(".tmp.png")
                fig.savefig(png, format="png", dpi=RASTER_DPI,
                            metadata={"Creator": "reportgen"})
                os.replace(png, job.path.with_suffix(".png"))
            os.replace(tmp, job.path)
        except Exception as exc:
            raise RenderError(f"chart {job.spec.id}: drawing failed ({exc})") from exc
        finally:
            plt.close(fig)
    return DrawnChart(job.spec.id, job.lang, job.path, job.last_date, shown=job.shown())


def warm_up(font_families: list[list[str]]) -> None:
    """Load the house fonts once (matplotlib keeps them per process), so a worker forked
    from a warm process draws its first chart at full speed."""
    import io

    for family in font_families:
        with plt.style.context({"font.family": family}):
            fig = plt.figure(figsize=(1, 1))
            fig.text(0.1, 0.5, "Aa 09 通膨 通胀", fontsize=8)
            fig.savefig(io.BytesIO(), format="svg")
            plt.close(fig)
