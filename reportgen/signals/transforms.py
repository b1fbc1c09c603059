"""Time-series transforms the sections share. Pure functions of pandas Series.

Each function tolerates empty input, gaps and NaNs, returning an empty or NaN result rather
than raising, because a thin series should thin the report, not stop it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

_PERIODS_PER_YEAR = {"D": 252, "W": 52, "M": 12, "Q": 4}


def _empty(name: str | None = None) -> pd.Series:
    return pd.Series(dtype="float64", name=name, index=pd.DatetimeIndex([], name="date"))


def clean(s: pd.Series) -> pd.Series:
    """Drop NaNs and duplicate dates, sort: the shape every transform expects. An absent
    input (an empty series without dates, e.g. from a user table not supplied) comes back
    as an empty dated series, so date comparisons downstream still work. A series already
    in that shape (most are: the store reads them so) comes back as it is, uncopied."""
    if s.empty and not isinstance(s.index, pd.DatetimeIndex):
        return _empty(s.name)
    index = s.index
    if index.is_monotonic_increasing and index.is_unique and not s.isna().any():
        return s
    s = s.dropna().sort_index()
    return s[~s.index.duplicated(keep="last")]


# Calendars by period, for regular(): the period code and where its label falls. Period
# arithmetic is integer arithmetic, where resampling to month starts builds each bin's
# date one by one (a few milliseconds per long series, many times per analysis).
_PERIODS = {"MS": ("M", "start"), "QS": ("Q", "start"), "W-WED": ("W-WED", "end")}


def regular(s: pd.Series, freq: str, how: str = "last") -> pd.Series:
    """The series on a regular calendar (month starts, quarter starts, Wednesdays): each
    period's last value (or mean), every period from the first to the last present, with
    empty periods NaN. The same as `s.resample(freq).last()` (or `.mean()`), faster."""
    s = clean(s)
    if s.empty:
        return _empty(s.name)
    code, label = _PERIODS[freq]
    periods = s.index.to_period(code)
    grouped = s.groupby(periods, sort=True)
    values = grouped.last() if how == "last" else grouped.mean()
    full = pd.period_range(values.index[0], values.index[-1], freq=code)
    values = values.reindex(full)
    stamps = full.to_timestamp(how=label)
    if label == "end":
        stamps = stamps.normalize()
    return pd.Series(values.to_numpy(dtype="float64"),
                     index=pd.DatetimeIndex(stamps, name=s.index.name), name=s.name)


def yoy(s: pd.Series, periods: int = 12) -> pd.Series:
    """Percent change over `periods` observations (12 for monthly, 4 for quarterly).

    Done on a regular calendar so a missing month yields a missing change, never a change
    measured over 13 months.
    """
    s = clean(s)
    if s.empty:
        return _empty(s.name)
    freq = "QS" if periods == 4 else "MS"
    on_calendar = regular(s, freq)
    return (100.0 * (on_calendar / on_calendar.shift(periods) - 1.0)).dropna()


def annualised_change(s: pd.Series, months: int) -> pd.Series:
    """Compound annualised percent change over `months` months of a monthly index."""
    s = clean(s)
    if s.empty:
        return _empty(s.name)
    monthly = regular(s, "MS")
    ratio = monthly / monthly.shift(months)
    return (100.0 * (ratio ** (12.0 / months) - 1.0)).dropna()


def diff_over(s: pd.Series, days: int) -> pd.Series:
    """Change against the latest value at least `days` calendar days earlier."""
    s = clean(s)
    if s.empty:
        return _empty(s.name)
    earlier = s.reindex(s.index - pd.Timedelta(days=days), method="ffill")
    return pd.Series(s.to_numpy() - earlier.to_numpy(), index=s.index, name=s.name).dropna()


def return_over(s: pd.Series, days: int = 365) -> pd.Series:
    """Percent change against the latest value at least `days` calendar days earlier: a
    12-month return measured from the right base date, whatever the last date is."""
    s = clean(s)
    s = s[s > 0]
    if s.empty:
        return _empty(s.name)
    earlier = s.reindex(s.index - pd.Timedelta(days=days), method="ffill")
    ratio = s.to_numpy() / earlier.to_numpy()
    return pd.Series(100.0 * (ratio - 1.0), index=s.index, name=s.name).dropna()


def window_return(s: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Percent change from the last value on or before `start` to the last on or before
    `end`; NaN unless the series covers the whole window (a value at or before the start,
    and one on or after the end, so an episode still under way is not scored)."""
    window = _window(s, start, end)
    return float("nan") if window is None else 100.0 * (window[-1] / window[0] - 1.0)


def window_drawdown(s: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """The deepest fall (percent, negative) from the start of a window or any later high
    within it, to a later low within it; NaN unless the series covers the window."""
    window = _window(s, start, end)
    if window is None:
        return float("nan")
    return float(min(0.0, (100.0 * (window / np.maximum.accumulate(window) - 1.0)).min()))


def _window(s: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray | None:
    """The positive values from the last on or before `start` to the last on or before
    `end`, or None unless the series covers the window (arrays: episodes ask this for
    every asset, episode and week of a backtest)."""
    s = clean(s)
    values = s.to_numpy()
    s = s[values > 0]
    if s.empty or s.index[0] > start or s.index[-1] < end:
        return None
    first = s.index.searchsorted(start, side="right") - 1
    last = s.index.searchsorted(end, side="right") - 1
    return s.to_numpy()[first:last + 1]


def share_beyond(s: pd.Series, value: float | None = None) -> tuple[float, float]:
    """Shares (0-100) of history strictly below and strictly above `value` (default: the
    last observation): a spread 'wider than x%' and 'tighter than y%' of its history."""
    s = clean(s)
    if s.empty:
        return float("nan"), float("nan")
    v = s.iloc[-1] if value is None else value
    return float(100.0 * (s < v).mean()), float(100.0 * (s > v).mean())


def percentile_rank(s: pd.Series, value: float | None = None) -> float:
    """Share (0-100) of history at or below `value` (default: the last observation)."""
    s = clean(s)
    if s.empty:
        return float("nan")
    v = s.iloc[-1] if value is None else value
    return float(100.0 * (s <= v).mean())


def zscore(s: pd.Series, window: int | None = None, min_periods: int = 8) -> pd.Series:
    """Standardise against a trailing window (all history when None); flat series give 0."""
    s = clean(s)
    if s.empty:
        return _empty(s.name)
    if window is None:
        mean, std = s.expanding(min_periods).mean(), s.expanding(min_periods).std()
    else:
        mean = s.rolling(window, min_periods=min_periods).mean()
        std = s.rolling(window, min_periods=min_periods).std()
    z = (s - mean) / std.where(std > 0)
    return z.where(std > 0, 0.0).where(mean.notna()).dropna()


def returns(s: pd.Series) -> pd.Series:
    """Simple daily returns of a price series."""
    s = clean(s)
    s = s[s > 0]
    return s.pct_change().dropna()


def aligned_returns(a: pd.Series, b: pd.Series) -> pd.DataFrame:
    """Returns of two prices on the dates both traded (bitcoin trades at weekends)."""
    prices = pd.concat([clean(a), clean(b)], axis=1, join="inner").dropna()
    prices = prices[(prices > 0).all(axis=1)]
    return prices.pct_change().dropna()


def rolling_corr_beta(a: pd.Series, b: pd.Series, window: int = 90) -> pd.DataFrame:
    """Rolling correlation and beta of a's returns on b's, over `window` common days."""
    r = aligned_returns(a, b)
    if r.empty:
        return pd.DataFrame(columns=["corr", "beta"], dtype="float64")
    ra, rb = r.iloc[:, 0], r.iloc[:, 1]
    corr = ra.rolling(window, min_periods=window).corr(rb)
    cov = ra.rolling(window, min_periods=window).cov(rb)
    var = rb.rolling(window, min_periods=window).var()
    beta = cov / var.where(var > 0)
    return pd.DataFrame({"corr": corr, "beta": beta}).dropna()


def rolling_corr_changes(price: pd.Series, level: pd.Series, window: int = 90) -> pd.Series:
    """Rolling correlation of a price's returns with a level's changes (a yield, in
    points), over `window` days both were observed: gold against real yields."""
    both = pd.concat([clean(price), clean(level)], axis=1, join="inner").dropna()
    both = both[both.iloc[:, 0] > 0]
    if len(both) < 2:
        return _empty()
    ra, db = both.iloc[:, 0].pct_change(), both.iloc[:, 1].diff()
    corr = ra.rolling(window, min_periods=window).corr(db)
    return corr.replace([np.inf, -np.inf], np.nan).dropna()


def realised_vol(s: pd.Series, window: int = 30, periods_per_year: int = 252) -> pd.Series:
    """Annualised standard deviation of daily returns, in percent."""
    r = returns(s)
    return (100.0 * r.rolling(window, min_periods=window).std() * np.sqrt(periods_per_year)
            ).dropna()


def drawdown(s: pd.Series) -> pd.Series:
    """Percent below the running peak (0 at a new high, negative otherwise)."""
    s = clean(s)
    if s.empty:
        return _empty(s.name)
    return 100.0 * (s / s.cummax() - 1.0)


# Calendar each frequency is aligned to: H.4.1 weeks end on Wednesday; monthly and
# quarterly observations are dated at the start of their period, as FRED dates them.
FREQUENCY_RULES = {"weekly": "W-WED", "monthly": "MS", "quarterly": "QS", "business": "B"}


def resample_to(s: pd.Series, frequency: str, how: str = "last") -> pd.Series:
    """Put a series on another calendar: last value (levels) or mean (rates, flows).

    Empty bins stay missing rather than being filled, so a gap in the source is still a gap.
    """
    s = clean(s)
    if s.empty:
        return _empty(s.name)
    rule = FREQUENCY_RULES[frequency]
    if rule in _PERIODS:
        return regular(s, rule, how).dropna()
    r = s.resample(rule)
    return (r.last() if how == "last" else r.mean()).dropna()


def to_weekly(s: pd.Series, how: str = "last") -> pd.Series:
    """Weekly (Wednesday) values: H.4.1 convention, so mixed frequencies line up."""
    return resample_to(s, "weekly", how)


def moving_average(s: pd.Series, periods: int) -> pd.Series:
    """Trailing mean over `periods` observations, reported once the window is full."""
    s = clean(s)
    return s.rolling(periods, min_periods=periods).mean().dropna()


def asof_value(s: pd.Series, when: pd.Timestamp) -> float:
    """The last value known on or before `when` (NaN if none)."""
    s = clean(s)
    s = s[s.index <= when]
    return float(s.iloc[-1]) if len(s) else float("nan")


def interpolate_share_at_or_above(threshold: float, points: list[tuple[float, float]]) -> float:
    """Share of volume at or above `threshold`, from (percentile, rate) points.

    The percentiles (e.g. 1, 25, 50, 75, 99 of SOFR volume) define a piecewise-linear
    quantile function; the share is 1 minus the lowest percentile whose rate reaches the
    threshold. Beyond the outer points the share is capped at the 99/1 percent bounds the
    data can support. Ties count as "at or above".
    """
    pts = sorted((p, r) for p, r in points if np.isfinite(r))
    if len(pts) < 2 or not np.isfinite(threshold):
        return float("nan")
    (p_lo, r_lo), (p_hi, r_hi) = pts[0], pts[-1]
    if threshold <= r_lo:
        return 1.0 - p_lo
    if threshold > r_hi:
        return 1.0 - p_hi
    for (p0, r0), (p1, r1) in itertools.pairwise(pts):
        if r0 < threshold <= r1:
            frac = (threshold - r0) / (r1 - r0)
            return 1.0 - (p0 + frac * (p1 - p0))
    return float("nan")


def shares_at_or_above(thresholds: np.ndarray, rates: np.ndarray,
                       percentiles: tuple[float, ...]) -> np.ndarray:
    """interpolate_share_at_or_above for many days at once: `rates` has one row a day and
    one column per percentile (ascending, no NaNs). The same answer, without a Python loop
    over two thousand days."""
    p = np.asarray(percentiles, dtype="float64")
    t = np.asarray(thresholds, dtype="float64")[:, None]
    r0, r1 = rates[:, :-1], rates[:, 1:]
    inside = (r0 < t) & (t <= r1)
    seg = np.argmax(inside, axis=1)
    rows = np.arange(len(rates))
    lo, hi = r0[rows, seg], r1[rows, seg]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        frac = (t[:, 0] - lo) / (hi - lo)
    out = 1.0 - (p[seg] + frac * (p[seg + 1] - p[seg]))
    out = np.where(inside.any(axis=1), out, np.nan)
    out = np.where(t[:, 0] <= rates[:, 0], 1.0 - p[0], out)
    out = np.where(t[:, 0] > rates[:, -1], 1.0 - p[-1], out)
    return np.where(np.isfinite(t[:, 0]), out, np.nan)
