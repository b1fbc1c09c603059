"""Sparklines: a series' recent history as the path of a tiny inline SVG.

The cover's key numbers each carry one. They are drawn as an SVG path in the page itself
rather than as chart jobs: a path of about a hundred points costs microseconds, needs no
file, no worker and no cache entry, and stays vector-sharp in the PDF and on any screen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reportgen.charts.plan import extremes

WIDTH, HEIGHT = 55.0, 15.0  # the viewBox (40 x 11 pt on the page, report.css)
PAD = 2.0                    # room for the end dot and the stroke at the edges
MAX_POINTS = 120             # about one per half point of width: finer cannot show


@dataclass(frozen=True)
class Sparkline:
    path: str       # SVG path data in the WIDTH x HEIGHT viewBox
    x: float        # the latest point, marked with a dot
    y: float
    low: float      # the year's lowest and highest values (the alt text states them)
    high: float
    width: float = WIDTH
    height: float = HEIGHT
    alt: str = ""   # what it shows, in words (the view fills it in the reader's language)


def sparkline(series: pd.Series | None, days: int = 365) -> Sparkline | None:
    """The last `days` of a series up to its latest observation, scaled to fill the box
    (time across, value up; a flat series runs through the middle). None when fewer than
    three observations fall in the window: a line through two points says nothing."""
    if series is None:
        return None
    s = series.dropna()
    s = s[np.isfinite(s.to_numpy(dtype=float))]
    if s.empty:
        return None
    end = s.index[-1]
    s = s[s.index > end - pd.Timedelta(days=days)]
    if len(s) < 3:
        return None
    s = extremes(s, MAX_POINTS)  # each bucket's lowest and highest: the year's range kept
    t = (s.index - s.index[0]).total_seconds().to_numpy()
    v = s.to_numpy(dtype=float)
    span, low, high = t[-1] or 1.0, v.min(), v.max()
    xs = PAD + (WIDTH - 2 * PAD) * t / span
    ys = (np.full_like(v, HEIGHT / 2) if high == low
          else HEIGHT - PAD - (HEIGHT - 2 * PAD) * (v - low) / (high - low))
    path = "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return Sparkline(path, round(float(xs[-1]), 1), round(float(ys[-1]), 1), float(low),
                     float(high))

