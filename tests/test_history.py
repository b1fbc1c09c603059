"""Signals checked against small hand-made episodes with known answers.

Each data set is built here, from numbers stated in the comments, so a reader can see
where every value comes from.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from reportgen import PROJECT_ROOT
from reportgen.catalog import Indicator, load_catalog
from reportgen.releases import known_by
from reportgen.signals import fog, reserves
from reportgen.signals.base import Signal
from reportgen.signals.changes import compare
from reportgen.store import Snapshot
from tests.conftest import compute_context

CATALOG = load_catalog(PROJECT_ROOT / "catalogs")


def snapshot(as_of: dt.date, series: dict[str, pd.Series]) -> Snapshot:
    return Snapshot(as_of=as_of, series=series, tables={}, indicators=CATALOG.indicators,
                    sample=False)


def repo_episode() -> dict[str, pd.Series]:
    """A 2018-2019-shaped squeeze, business days 2 Jul 2018 to 16 Sep 2019.

    IOER is 1.95% until 19 Dec 2018 and 2.40% after (the hike of 20 Dec 2018), falling
    to 2.10% on 1 Aug 2019 (cut). Reserves fall linearly from $2,200 bn to $1,400 bn.
    SOFR sits at IOER - 8 bp while reserves are above $2,000 bn, then the gap closes by
    1 bp per $50 bn of reserves lost, reaching IOER + 4 bp at $1,400 bn. The volume
    percentiles are fixed offsets from SOFR: 1st -10 bp, 25th -2 bp, 75th +2 bp,
    99th +15 bp.
    """
    idx = pd.bdate_range("2018-07-02", "2019-09-16")
    ioer = pd.Series(1.95, index=idx)
    ioer[idx >= "2018-12-20"] = 2.40
    ioer[idx >= "2019-08-01"] = 2.10
    res_bn = pd.Series(np.linspace(2200.0, 1400.0, len(idx)), index=idx)
    gap_bp = -8.0 + np.clip(2000.0 - res_bn, 0, None) / 50.0
    sofr = ioer + gap_bp / 100.0
    weekly_res = res_bn.resample("W-WED").last() * 1000.0  # WRESBAL is in USD millions
    return {
        "IOER": ioer, "IORB": pd.Series(dtype="float64", index=pd.DatetimeIndex([])),
        "SOFR": sofr, "SOFR1": sofr - 0.10, "SOFR25": sofr - 0.02, "SOFR75": sofr + 0.02,
        "SOFR99": sofr + 0.15, "EFFR": ioer - 0.05 + gap_bp / 200.0, "WRESBAL": weekly_res,
        "RRPONTSYD": pd.Series(5.0, index=idx), "RPONTSYD": pd.Series(0.0, index=idx),
    }


def test_repo_share_stays_low_while_reserves_are_ample_then_climbs():
    data = snapshot(dt.date(2019, 9, 16), repo_episode())
    share = 100 * reserves.repo_share(data, reserves.floor_rate(data))
    q3_2018 = share["2018-07-01":"2018-09-30"]
    # SOFR75 = floor - 6 bp and SOFR99 = floor + 7 bp: the floor sits 6/13 of the way from
    # the 75th to the 99th percentile, so 1 - (0.75 + 6/13 * 0.24) = 13.9% is at or above.
    assert q3_2018.max() == pytest.approx(100 * (1 - (0.75 + 6 / 13 * 0.24)))
    sep_2019 = share["2019-09-01":]
    # by 16 Sep SOFR = floor + 4 bp: the floor is 6/8 of the way from the 1st (-10 bp) to
    # the 25th percentile (-2 bp), so 1 - (0.01 + 0.75 * 0.24) = 81% is at or above.
    assert sep_2019.iloc[-1] == pytest.approx(81.0)
    assert sep_2019.min() > 75
    monthly = share.resample("ME").mean()
    assert monthly.diff().dropna().ge(-1).all(), "the share should not fall as reserves fall"
    # worked example: at IOER - 1 bp (reserves $1,650 bn) the floor sits 1 bp above SOFR,
    # half-way from the 50th (SOFR) to the 75th percentile (+2 bp): 37.5% at or above.
    day = share.index[np.argmin(abs(repo_episode()["SOFR"] - repo_episode()["IOER"] + 0.01))]
    assert share[day] == pytest.approx(37.5, abs=0.5)


def test_radar_orders_the_episodes():
    """Read the next day (the episode's own date is "latest" on 16 Sep itself)."""
    data = snapshot(dt.date(2019, 9, 17), repo_episode())
    result = reserves.compute(data, compute_context(data.as_of))
    radar = result.tables["radar"]
    mean = {k: np.nanmean([v for v in row.values()]) for k, row in radar.items()}
    assert mean["2018Q3"] < mean["2019Q1"] < mean["2019-09"]
    assert radar["2019-09"]["repo_share_at_or_above_iorb"] == pytest.approx(100, abs=5)


def cpi_like() -> Indicator:
    return Indicator(id="CPI_TEST", title="t", short="t", source="fred", units="index",
                     units_label="", frequency="monthly", release_lag_days=13)


def months(start: str, end: str, drop: tuple[str, ...] = ()) -> pd.Series:
    idx = pd.date_range(start, end, freq="MS").drop(pd.DatetimeIndex(drop))
    return pd.Series(100.0 + np.arange(len(idx)), index=idx)


def test_a_shutdown_shows_as_delayed_then_missing_then_history():
    """September and October 2025 are not published during the shutdown (1 Oct - 12 Nov);
    September comes out late, October never does; from December the release is normal."""
    ind = cpi_like()
    # 20 Nov 2025: September (due 13 Oct + a week's grace) and October (due 13 Nov)
    # have not appeared: two periods behind, the release is delayed.
    during = fog.release_status(months("2023-01-01", "2025-08-01"), ind, dt.date(2025, 11, 20))
    assert during.status == "delayed" and during.periods_behind == 2
    # 25 Jan 2026: September arrived late, November and December are out, October never
    # came: the gap is named as a never-published period.
    after = fog.release_status(months("2023-01-01", "2025-12-01", drop=("2025-10-01",)), ind,
                               dt.date(2026, 1, 25))
    assert after.status == "missing" and after.missing == (dt.date(2025, 10, 1),)
    # Three years on, the gap has left the two-year window.
    later = fog.release_status(months("2023-01-01", "2028-12-01", drop=("2025-10-01",)), ind,
                               dt.date(2029, 1, 25))
    assert later.status == "on_time"

    idx = [fog.fog_index([s]) for s in (during, after, later)]
    assert idx[0] > idx[1] > idx[2] == 0  # rises in the shutdown, falls back after


def test_a_stance_that_flips_between_issues_appears_in_what_changed():
    now = {"macro_stance": Signal("macro_stance", -0.7, "score", dt.date(2026, 11, 23),
                                  ("x",), "bearish")}
    before = {"macro_stance": {"value": 0.1, "unit": "score", "state": "neutral"}}
    changes = compare(now, before, {"score": 0.25}, "previous_issue", "2026-11-16")
    assert [(f.id, f.before, f.after) for f in changes.flips] == [
        ("macro_stance", "neutral", "bearish")]
    assert changes.moves[0].id == "macro_stance" and changes.moves[0].size == pytest.approx(3.2)


# -- the fog index: absent releases, and the week-by-week history ----------------------------

def key_releases(end: dict[str, str], drop: dict[str, tuple[str, ...]] | None = None
                 ) -> dict[str, pd.Series]:
    """The five key releases from January 2022 to the given last periods (GDP quarterly)."""
    drop = drop or {}
    out = {}
    for sid, last in end.items():
        freq = "QS" if sid == "GDPC1" else "MS"
        idx = pd.date_range("2022-01-01", last, freq=freq).drop(
            pd.DatetimeIndex(drop.get(sid, ())))
        out[sid] = pd.Series(100.0 + np.arange(len(idx)), index=idx)
    return out


def test_an_absent_release_is_no_data_and_not_on_time():
    """The issue's replay of 12 Nov 2025 (timing by the usual lag, as before the release
    calendar): CPI, payrolls and PCE current, October unemployment missing, no GDP at all.
    Unemployment is one period behind (score 0.5); counting the absent GDP as on time made
    the index 0.5 / 5 = 10, leaving it out makes it 0.5 / 4 = 12.5."""
    series = key_releases({"CPIAUCSL": "2025-09-01", "PAYEMS": "2025-10-01",
                           "UNRATE": "2025-09-01", "PCEPILFE": "2025-09-01"})
    data = snapshot(dt.date(2025, 11, 12), series)
    result = fog.compute(data, compute_context(data.as_of))
    statuses = {st.series_id: st.status for st in result.tables["releases"]}
    assert statuses == {"CPIAUCSL": "on_time", "PAYEMS": "on_time", "UNRATE": "delayed",
                        "PCEPILFE": "on_time", "GDPC1": "no_data"}
    assert result.signals["data_fog_index"].value == pytest.approx(12.5)
    assert result.series["data_fog_index"].iloc[-1] == pytest.approx(12.5)
    # with no key release at all there is nothing to judge
    assert np.isnan(fog.fog_index([fog.release_status(pd.Series(dtype="float64"),
                                                      CATALOG.indicators["GDPC1"],
                                                      dt.date(2025, 11, 12))]))


def reference_release_status(s: pd.Series, ind: Indicator, as_of: dt.date):
    """The fog rule as it stood before the release calendar, one date at a time: the
    reference the vectorised history must reproduce where the rules did not change."""
    freq = {"monthly": "MS", "quarterly": "QS"}[ind.frequency]
    if s.empty:
        return 0, 0
    cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=7)
    window_start = pd.Timestamp(as_of) - pd.DateOffset(months=24)
    periods = pd.date_range(max(s.index[0], window_start - pd.DateOffset(months=6)),
                            pd.Timestamp(as_of), freq=freq)
    public = periods[known_by(periods, ind) <= cutoff]
    latest = s.index[-1]
    behind = int((public > latest).sum())
    present = s.index[s.index >= window_start]
    holes = [p for p in periods if window_start <= p < latest and p not in present]
    return behind, len(holes)


def test_the_fog_history_matches_the_date_by_date_rule():
    """Three years of weekly fog values from one pass over the data equal the date-by-date
    rule: holes (October 2025 CPI and unemployment, a GDP quarter), a release that stops
    (PCE after May 2025) and one that catches up late are all in the window."""
    series = key_releases(
        {"CPIAUCSL": "2026-01-01", "PAYEMS": "2026-01-01", "UNRATE": "2026-01-01",
         "PCEPILFE": "2025-05-01", "GDPC1": "2025-07-01"},
        drop={"CPIAUCSL": ("2025-10-01",), "UNRATE": ("2025-10-01",),
              "GDPC1": ("2024-04-01",)})
    data = snapshot(dt.date(2026, 2, 27), series)
    history = fog.fog_history(data)
    expected = []
    for when in history.index:
        scores = []
        for sid in fog.KEY_RELEASES:
            ind = CATALOG.indicators[sid]
            s = series[sid][known_by(series[sid].index, ind) <= when]
            if s.empty:
                continue
            behind, holes = reference_release_status(s, ind, when.date())
            scores.append(min(1.0, behind / 2 + 0.25 * holes))
        expected.append(100 * sum(scores) / len(scores))
    assert len(history) == 157 and history.index[-1] == pd.Timestamp("2026-02-27")  # Fridays
    np.testing.assert_allclose(history.to_numpy(), expected)
    assert history.nunique() >= 4 and history.iloc[-1] > 0  # the fixture moves the index
    # the single-date statuses agree with the history's last point
    statuses = [fog.release_status(series[sid], CATALOG.indicators[sid], data.as_of)
                for sid in fog.KEY_RELEASES]
    assert fog.fog_index(statuses) == pytest.approx(history.iloc[-1])
