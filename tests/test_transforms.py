"""Transforms against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reportgen.signals import transforms as tf
from reportgen.signals.transforms import regular


def monthly(values, start="2024-01-01"):
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="MS"),
                     dtype="float64")


def test_yoy_is_percent_change_over_twelve_months():
    s = monthly([100.0] * 12 + [103.0])
    assert tf.yoy(s).iloc[-1] == pytest.approx(3.0)


def test_yoy_never_bridges_a_missing_month():
    s = monthly(list(range(100, 126))).drop(pd.Timestamp("2024-10-01"))
    out = tf.yoy(s)
    assert pd.Timestamp("2025-10-01") not in out.index  # its base month is missing
    assert pd.Timestamp("2024-10-01") not in out.index


def test_annualised_three_month_change():
    s = monthly([100.0, 100.5, 101.0, 101.5])
    assert tf.annualised_change(s, 3).iloc[-1] == pytest.approx((1.015**4 - 1) * 100)


def test_percentile_rank_counts_ties_as_at_or_below():
    s = pd.Series([1.0, 2.0, 3.0, 4.0], index=pd.date_range("2024-01-01", periods=4))
    assert tf.percentile_rank(s) == 100.0
    assert tf.percentile_rank(s, 2.0) == 50.0


def test_rolling_corr_and_beta_match_numpy():
    rng = np.random.default_rng(1)
    idx = pd.bdate_range("2024-01-01", periods=200)
    rb = rng.normal(0, 0.01, 200)
    ra = 2.0 * rb + rng.normal(0, 0.005, 200)
    a = pd.Series(100 * np.cumprod(1 + ra), index=idx)
    b = pd.Series(100 * np.cumprod(1 + rb), index=idx)
    out = tf.rolling_corr_beta(a, b, window=90)
    last_a, last_b = ra[-90:], rb[-90:]
    assert out["corr"].iloc[-1] == pytest.approx(np.corrcoef(last_a, last_b)[0, 1])
    beta = np.cov(last_a, last_b)[0, 1] / np.var(last_b, ddof=1)
    assert out["beta"].iloc[-1] == pytest.approx(beta)


def test_drawdown_from_running_peak():
    s = pd.Series([100.0, 120.0, 90.0, 130.0], index=pd.date_range("2024-01-01", periods=4))
    assert list(tf.drawdown(s).round(6)) == [0.0, 0.0, -25.0, 0.0]


@pytest.mark.parametrize(("floor", "share"), [
    (5.30, 0.99),        # below the 1st percentile: at most 99% can be shown
    (5.40, 0.75),        # equals the 25th and 50th: ties count as at-or-above
    (5.405, 0.375),      # half-way between the 50th (5.40) and 75th (5.41)
    (5.46, 0.13),        # between 75th (5.41) and 99th (5.51): p = 0.75 + 0.5*0.24 = 0.87
    (5.60, 0.01),        # above the 99th percentile
])
def test_share_at_or_above_by_linear_interpolation(floor, share):
    points = [(0.01, 5.32), (0.25, 5.40), (0.50, 5.40), (0.75, 5.41), (0.99, 5.51)]
    assert tf.interpolate_share_at_or_above(floor, points) == pytest.approx(share)


def test_transforms_survive_empty_and_single_inputs():
    empty = pd.Series(dtype="float64", index=pd.DatetimeIndex([]))
    one = monthly([5.0])
    for s in (empty, one):
        assert tf.yoy(s).empty
        assert tf.drawdown(s).le(0).all()
        assert tf.zscore(s).empty
    assert np.isnan(tf.percentile_rank(empty))


def test_resampling_keeps_gaps_and_aligns_calendars():
    daily = pd.Series(1.0, index=pd.bdate_range("2024-01-01", "2024-03-29"))
    daily = daily.drop(daily["2024-02-01":"2024-02-29"].index)  # a month with no data
    monthly = tf.resample_to(daily, "monthly")
    assert list(monthly.index.month) == [1, 3]  # February stays missing, not filled
    weekly = tf.resample_to(daily, "weekly", how="mean")
    assert (weekly.index.day_of_week == 2).all()  # Wednesdays, as the H.4.1 reports


def test_moving_average_waits_for_a_full_window():
    s = monthly([1.0, 2.0, 3.0, 4.0])
    assert list(tf.moving_average(s, 3)) == [2.0, 3.0]


@pytest.mark.parametrize("freq", ["MS", "QS", "W-WED"])
@pytest.mark.parametrize("how", ["last", "mean"])
def test_regular_calendar_is_resample_without_its_cost(freq, how):
    """regular() must give what resample gives: each period's last value or mean, every
    period from first to last, empty ones NaN (daily, monthly and gappy inputs)."""
    rng = np.random.default_rng(3)
    gappy = pd.bdate_range("2010-01-01", "2012-12-31")
    for idx in (pd.bdate_range("2001-01-03", "2022-06-15"),
                pd.date_range("1950-01-01", "2022-06-01", freq="MS"),
                gappy[rng.random(len(gappy)) > 0.9]):
        s = pd.Series(rng.normal(size=len(idx)), index=idx)
        expected = getattr(s.resample(freq), how)()
        pd.testing.assert_series_equal(regular(s, freq, how), expected, check_freq=False,
                                       check_names=False, check_index_type=False)


def test_window_return_and_drawdown_read_the_window_as_known_at_its_ends():
    """From the last value on or before the start to the last on or before the end; the
    deepest fall from any high since the start; NaN when the window is not covered."""
    window_return, window_drawdown = tf.window_return, tf.window_drawdown
    s = pd.Series([100.0, 120.0, 90.0, 0.0, 108.0, 99.0],
                  index=pd.to_datetime(["2020-01-01", "2020-01-10", "2020-01-20",
                                        "2020-01-25", "2020-02-01", "2020-02-10"]))
    start, end = pd.Timestamp("2020-01-05"), pd.Timestamp("2020-02-05")
    assert window_return(s, start, end) == pytest.approx(8.0)  # 100 -> 108; 0 is no price
    assert window_drawdown(s, start, end) == pytest.approx(-25.0)  # 120 -> 90
    assert window_return(s, pd.Timestamp("2020-01-10"), end) == pytest.approx(-10.0)
    assert np.isnan(window_return(s, start, pd.Timestamp("2020-03-01")))  # still under way
    assert np.isnan(window_drawdown(s, pd.Timestamp("2019-12-01"), end))  # starts before data
