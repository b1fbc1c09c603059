"""Property tests: the transforms never crash and stay sane on gaps, single observations,
constant series and NaNs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.signals import transforms as tf

values = st.one_of(st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
                   st.just(float("nan")))


@st.composite
def series(draw, freq: str = "B", positive: bool = False) -> pd.Series:
    """A series with random length (0..300), gaps (dropped dates), NaNs and constants."""
    n = draw(st.integers(0, 300))
    if draw(st.booleans()):
        data = [draw(st.floats(0.5, 5.0))] * n  # constant
    else:
        data = draw(st.lists(values, min_size=n, max_size=n))
    if positive:
        data = [abs(x) + 0.01 if not math.isnan(x) else x for x in data]
    idx = pd.date_range("2020-01-01", periods=n, freq=freq)
    s = pd.Series(data, index=idx, dtype="float64")
    keep = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return s[keep] if keep else s


@settings(max_examples=60, deadline=None)
@given(series(freq="MS", positive=True))
def test_changes_are_finite_or_absent(s):
    for out in (tf.yoy(s), tf.annualised_change(s, 3), tf.diff_over(s, 30)):
        assert np.isfinite(out.to_numpy()).all()


@settings(max_examples=60, deadline=None)
@given(series(), st.one_of(st.none(), st.floats(-1e6, 1e6)))
def test_percentile_is_a_percentage(s, value):
    p = tf.percentile_rank(s, value)
    assert math.isnan(p) or 0.0 <= p <= 100.0


@settings(max_examples=60, deadline=None)
@given(series())
def test_zscore_is_finite_and_zero_for_constants(s):
    z = tf.zscore(s, window=20, min_periods=5)
    assert np.isfinite(z.to_numpy()).all()
    clean = s.dropna()
    if len(clean) >= 5 and clean.nunique() == 1:
        assert (z == 0).all()


@settings(max_examples=40, deadline=None)
@given(series(positive=True), series(positive=True))
def test_corr_beta_within_bounds(a, b):
    out = tf.rolling_corr_beta(a, b, window=20)
    assert np.isfinite(out.to_numpy()).all()
    assert (out["corr"].abs() <= 1 + 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(series(positive=True))
def test_drawdown_and_vol_are_sane(s):
    dd = tf.drawdown(s)
    assert (dd <= 1e-9).all() and (dd >= -100 - 1e-9).all()
    vol = tf.realised_vol(s, window=10)
    assert (vol >= 0).all() and np.isfinite(vol.to_numpy()).all()
    weekly = tf.to_weekly(s)
    assert weekly.index.is_monotonic_increasing and not weekly.isna().any()


@settings(max_examples=100, deadline=None)
@given(st.floats(-10, 10), st.lists(st.floats(-10, 10), min_size=5, max_size=5))
def test_share_at_or_above_is_bounded_and_monotone(threshold, rates):
    rates = sorted(rates)
    pts = list(zip((0.01, 0.25, 0.5, 0.75, 0.99), rates, strict=True))
    share = tf.interpolate_share_at_or_above(threshold, pts)
    assert 0.01 - 1e-12 <= share <= 0.99 + 1e-12
    higher = tf.interpolate_share_at_or_above(threshold + 0.01, pts)
    assert higher <= share + 1e-12  # a higher floor never has more volume above it


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 5), st.floats(0, 0.5), st.floats(0, 0.5),
                          st.floats(0, 0.5), st.floats(0, 0.5), st.floats(-1, 6)),
                min_size=1, max_size=30))
def test_the_vectorised_repo_share_matches_the_day_by_day_one(days):
    """shares_at_or_above gives interpolate_share_at_or_above's answer for every day."""
    pcts = (0.01, 0.25, 0.50, 0.75, 0.99)
    rates = np.array([[a, a + b, a + b + c, a + b + c + d, a + b + c + d + e]
                      for a, b, c, d, e, _ in days])
    floors = np.array([f for *_, f in days])
    fast = tf.shares_at_or_above(floors, rates, pcts)
    slow = [tf.interpolate_share_at_or_above(f, list(zip(pcts, r, strict=True)))
            for f, r in zip(floors, rates, strict=True)]
    np.testing.assert_allclose(fast, slow, equal_nan=True)
