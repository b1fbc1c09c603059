"""Lines are thinned to about one point per pixel before drawing, and stay honest: every
extreme a reader could see at that width is kept, and the last date stays the last."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from reportgen.charts import ChartSpec, Style
from reportgen.charts.plan import Inputs, extremes, plan, thin
from reportgen.content import builtin

PIXELS = 690


def daily(n: int = 3000, seed: int = 3) -> pd.Series:
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2015-01-01", periods=n)
    return pd.Series(5 + np.cumsum(rng.normal(0, 0.01, n)), index=idx, name="rate")


def test_a_one_day_spike_and_a_one_day_dip_survive():
    s = daily()
    s.iloc[1234] += 3.0  # the September 2019 repo spike, in miniature
    s.iloc[2345] -= 2.0
    out = extremes(s, PIXELS)
    assert len(out) <= PIXELS
    assert out.max() == s.max() and out.idxmax() == s.index[1234]
    assert out.min() == s.min() and out.idxmin() == s.index[2345]
    assert out.index[0] == s.index[0] and out.index[-1] == s.index[-1]
    assert out.index.is_monotonic_increasing and set(out.index) <= set(s.index)


def test_every_pixel_keeps_its_range():
    s = daily()
    out = extremes(s, PIXELS)
    t0, span = s.index.asi8[0], s.index.asi8[-1] - s.index.asi8[0] + 1

    def pixel(index: pd.DatetimeIndex) -> np.ndarray:  # half a pixel's worth of time each
        return (index.asi8 - t0) * ((PIXELS - 2) // 2) // span

    whole, kept = s.groupby(pixel(s.index)), out.groupby(pixel(out.index))
    assert (kept.max() == whole.max()).all() and (kept.min() == whole.min()).all()
    assert len(kept) == len(whole) == (PIXELS - 2) // 2


def test_short_series_are_left_alone_and_weekly_means_stay_means():
    s = daily(300)
    assert extremes(s, PIXELS).equals(s)
    weekly = thin(s, "weekly_mean")
    assert len(weekly) < len(s) / 4 and weekly.index[-1] == s.index[-1]
    first_week = s[s.index <= weekly.index[0]]
    assert weekly.iloc[0] == first_week.mean()


def test_planned_jobs_carry_thin_arrays_and_the_true_last_date():
    s = daily(4000)
    spec = ChartSpec(id="x", section="s4", kind="line", title="t", subtitle="", units="percent",
                     series=({"id": "rate", "label": "Rate"},), since="2010-01-01")
    style = Style(builtin().file("charts", "house.mplstyle"), {"series": ["#000000"]})
    inputs = Inputs(as_of=dt.date(2030, 1, 1), series={"rate": s}, tables={}, events=[],
                    recessions=[])
    (job,) = plan([spec], style, inputs, builtin().builtin, ["en"], {"en": str}, {})
    dates, values = job.series["rate"]
    assert len(dates) <= PIXELS and values.max() == s.max() and values.min() == s.min()
    assert job.last_date == s.index[-1].date()
    same = plan([spec], style, inputs, builtin().builtin, ["en"], {"en": str}, {})[0]
    assert same.key() == job.key()
    s.iloc[-1] += 1.0
    changed = plan([spec], style, Inputs(inputs.as_of, {"rate": s}, {}, [], []),
                   builtin().builtin, ["en"], {"en": str}, {})[0]
    assert changed.key() != job.key()
