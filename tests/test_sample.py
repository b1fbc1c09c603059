"""The bundled SYNTHETIC sample: complete, dated like FRED, deterministic, in catalog units.

These checks guard the things the report's signals silently depend on: a series in the
wrong unit or on the wrong weekday, an interpolated shutdown month, crossed SOFR
percentiles or a floor rate on the wrong day would all still draw charts, just wrong ones.
"""

from __future__ import annotations

import time
import tomllib

import numpy as np
import pandas as pd
import pytest

from reportgen import PROJECT_ROOT
from reportgen.catalog import Catalog, load_catalog
from reportgen.sources.sample import SAMPLE_END, SPEC_PATH, generate_sample, sample_tables

OCT_2025 = pd.Timestamp("2025-10-01")
PERCENTILES = ("SOFR1", "SOFR25", "SOFR", "SOFR75", "SOFR99")
PERIOD_END = {"monthly": pd.offsets.MonthEnd(0), "quarterly": pd.offsets.QuarterEnd(0)}
NEXT = {"daily": pd.offsets.BDay(1), "daily7": pd.DateOffset(days=1),
        "weekly_wed": pd.DateOffset(weeks=1), "weekly_fri": pd.DateOffset(weeks=1),
        "weekly_sat": pd.DateOffset(weeks=1), "monthly": pd.DateOffset(months=1),
        "quarterly": pd.DateOffset(months=3)}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(PROJECT_ROOT / "catalogs")


@pytest.fixture(scope="module")
def sample(catalog: Catalog) -> dict[str, pd.Series]:
    return generate_sample(catalog)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return sample_tables()


def yoy(s: pd.Series, when: str) -> float:
    t = pd.Timestamp(when)
    return 100.0 * (s[t] / s[t - pd.DateOffset(years=1)] - 1.0)


def test_every_catalog_series_is_present_and_named(catalog, sample):
    assert set(sample) == set(catalog.indicators)
    for sid, s in sample.items():
        assert s.name == sid


def test_spec_has_no_orphans(catalog):
    spec = tomllib.loads(SPEC_PATH.read_text(encoding="utf-8"))["series"]
    orphans = [sid for sid in spec if not sid.startswith("_") and sid not in catalog.indicators]
    assert orphans == []


@pytest.mark.parametrize("sid", sorted(load_catalog(PROJECT_ROOT / "catalogs").indicators))
def test_index_values_and_calendar(catalog, sample, sid):
    s, freq = sample[sid], catalog.indicators[sid].frequency
    assert isinstance(s.index, pd.DatetimeIndex) and s.index.name == "date"
    assert s.dtype == np.float64 and not s.isna().any() and np.isfinite(s).all()
    assert s.index.is_monotonic_increasing and s.index.is_unique
    assert len(s) > 20
    idx = s.index
    if freq in ("monthly", "quarterly"):
        assert (idx.day == 1).all()
    if freq == "quarterly":
        assert set(idx.month) <= {1, 4, 7, 10}
    if freq == "weekly_wed":
        assert (idx.day_of_week == 2).all()
    if freq == "weekly_fri":
        assert (idx.day_of_week == 4).all()
    if freq == "daily":
        assert (idx.day_of_week < 5).all()
        assert pd.Timestamp("2025-12-25") not in idx  # a holiday, not a business day
    if freq == "daily7":
        assert (idx.to_series().diff().dropna() == pd.Timedelta(days=1)).all()


@pytest.mark.parametrize("sid", sorted(load_catalog(PROJECT_ROOT / "catalogs").indicators))
def test_last_observation_matches_the_publication_lag(catalog, sample, sid):
    """The last row is the latest period published by SAMPLE_END, per the catalog's lag."""
    if sid == "IOER":  # discontinued on 28 Jul 2021
        assert sample[sid].index[-1] == pd.Timestamp("2021-07-28")
        return
    ind = catalog.indicators[sid]
    last = sample[sid].index[-1]

    def known(d: pd.Timestamp) -> pd.Timestamp:
        end = d + PERIOD_END[ind.frequency] if ind.frequency in PERIOD_END else d
        return end + pd.Timedelta(days=ind.release_lag_days)

    cutoff = pd.Timestamp(SAMPLE_END)
    assert known(last) <= cutoff < known(last + NEXT[ind.frequency]), last


def test_release_calendar_spot_checks(sample):
    assert sample["CPIAUCSL"].index[-1] == pd.Timestamp("2026-10-01")
    assert sample["PCEPILFE"].index[-1] == pd.Timestamp("2026-09-01")
    assert sample["GDPC1"].index[-1] == pd.Timestamp("2026-07-01")
    assert sample["WFRBST01134"].index[-1] == pd.Timestamp("2026-04-01")
    assert sample["WALCL"].index[-1] == pd.Timestamp("2026-11-18")


def test_deterministic(catalog, sample):
    again = generate_sample(catalog)
    assert again.keys() == sample.keys()
    for sid in sample:
        pd.testing.assert_series_equal(again[sid], sample[sid])
    default = generate_sample()  # the default catalog is the project's
    pd.testing.assert_series_equal(default["SOFR99"], sample["SOFR99"])


def test_fast_enough(catalog):
    t0 = time.perf_counter()
    generate_sample(catalog)
    assert time.perf_counter() - t0 < 1.0  # ~0.05 s warm; generous for slow CI machines


def test_shutdown_gap_is_an_absent_row(sample):
    """October 2025: CPI and the household survey were never published; PCE was."""
    for sid in ("CPIAUCSL", "CPILFESL", "UNRATE", "LNS14024887"):
        idx = sample[sid].index
        assert OCT_2025 not in idx, sid
        assert pd.Timestamp("2025-09-01") in idx and pd.Timestamp("2025-11-01") in idx, sid
    for sid in ("PCEPILFE", "PAYEMS"):
        assert OCT_2025 in sample[sid].index, sid


def test_inflation_shape(sample):
    cpi, core, pce = sample["CPIAUCSL"], sample["CPILFESL"], sample["PCEPILFE"]
    assert yoy(cpi, "2022-06-01") > 6.0
    assert 1.0 < yoy(cpi, "2019-06-01") < 3.0
    assert 2.0 < yoy(cpi, "2025-06-01") < 4.0
    assert yoy(core, "2022-06-01") > 4.5
    assert 2.0 < yoy(pce, "2025-06-01") < 4.0
    assert 190 < cpi.iloc[0] < 215 and 300 < cpi.iloc[-1] < 360  # Index 1982-1984=100


def test_units_match_the_catalog(catalog, sample):
    walcl, rrp = sample["WALCL"], sample["RRPONTSYD"]
    assert (walcl > 5e5).all() and (walcl["2009":] > 1e6).all()  # millions of USD
    assert rrp.max() > 2000 and rrp["2022"].median() > 1500     # billions of USD
    assert rrp["2025-11-01":].median() < 30                      # drained by late 2025
    assert sample["PAYEMS"].between(120_000, 170_000).all()     # thousands of persons
    assert 1.2e6 < sample["WRESBAL"]["2019"].min() < 1.6e6      # the 2019 low, millions
    assert 3.5e6 < sample["WRESBAL"]["2021"].max() < 4.5e6
    tga = sample["WTREGEN"]["2020"].max()
    assert 1.2e6 < tga < 2.5e6                                   # millions, not billions
    totres = sample["TOTRESNS"]["2023":]
    wres = sample["WRESBAL"].resample("MS").first().reindex(totres.index) / 1000
    assert ((totres / wres).between(0.9, 1.1)).all()             # billions vs millions
    for sid, ind in catalog.indicators.items():
        s = sample[sid]
        if ind.units == "percent":
            assert s.between(-5, 40).all(), sid
        if ind.units == "flag":
            assert set(s.unique()) <= {0.0, 1.0}, sid
        if ind.units == "usd_mn":
            assert s["2020":].median() > 1e5, sid
        if ind.units == "usd_bn":
            assert s.max() < 1e5, sid


def test_policy_rates_follow_real_policy(sample):
    upper, lower = sample["DFEDTARU"], sample["DFEDTARL"]
    iorb, ioer, effr = sample["IORB"], sample["IOER"], sample["EFFR"]
    assert iorb.index[0] == pd.Timestamp("2021-07-29")
    assert ioer.index[0] == pd.Timestamp("2008-10-09") and ioer.index[-1] == pd.Timestamp(
        "2021-07-28")
    assert np.allclose((upper - lower).dropna(), 0.25)
    assert np.allclose((upper.reindex(iorb.index) - iorb), 0.10)
    assert upper["2023-08-01"] == 5.50 and upper["2020-04-01"] == 0.25
    assert upper["2024-09-18"] == 5.50 and upper["2024-09-19"] == 5.00
    assert upper.iloc[-1] == 3.75
    band = pd.concat([lower, upper, effr], axis=1, keys=["lo", "hi", "effr"], sort=True)
    band = band.dropna()
    inside = (band["effr"] >= band["lo"]) & (band["effr"] <= band["hi"])
    assert inside.mean() > 0.99
    assert effr["2019-09-17"] > upper["2019-09-17"]  # the repo spike pushed EFFR out
    gap = (effr - lower.reindex(effr.index)).dropna()["2023"]
    assert 0.05 <= gap.median() <= 0.10  # lower bound + 8 bp


def test_sofr_percentiles_are_ordered_on_every_date(sample):
    frame = pd.concat({sid: sample[sid] for sid in PERCENTILES}, axis=1)
    assert not frame.isna().any().any()  # the same dates for all five
    assert (frame.diff(axis=1).iloc[:, 1:] > 0).all().all()
    assert frame.index[0] == pd.Timestamp("2018-04-02")


def test_repo_squeezes(sample):
    sofr, p99, p75 = sample["SOFR"], sample["SOFR99"], sample["SOFR75"]
    floor = pd.concat([sample["IOER"], sample["IORB"]]).sort_index()
    spread = (sofr - floor.reindex(sofr.index)) * 100
    assert sofr["2019-09-17"] > 5.0 and p99["2019-09-17"] > 8.0
    assert spread["2025-06-02":"2025-06-27"].median() < -5   # safely inside in June 2025
    assert spread["2025-10-01":"2025-11-30"].median() > 3    # above IORB in late 2025
    assert spread["2021-08":"2022-12"].median() < -8         # abundant reserves
    late = (p75 - floor.reindex(p75.index))["2025-10-01":"2025-11-30"]
    assert (late > 0).mean() > 0.8


def test_credit_and_labour_shapes(sample):
    ig, bbb, hy = sample["BAMLC0A0CM"], sample["BAMLC0A4CBBB"], sample["BAMLH0A0HYM2"]
    assert ig.index[0].year == 1997 and sample["NFCI"].index[0].year == 1997
    assert (bbb > ig).all() and (hy > bbb).all()
    assert hy["2008"].max() > 15 and hy["2020"].max() > 8 and hy["2024"].min() < 3.5
    youth, unrate = sample["LNS14024887"], sample["UNRATE"]
    assert (youth > unrate.reindex(youth.index)).all()
    assert unrate["2020-04-01"] > 12 and unrate["2019"].max() < 4.2
    assert 29 < sample["WFRBST01134"].iloc[-1] < 33
    assert 1.5 < sample["WFRBSB50215"].iloc[-1] < 3.5
    assert sample["USREC"]["2008-06-01"] == 1 and sample["USREC"]["2019-06-01"] == 0


def test_bitcoin_is_high_beta_liquidity(sample):
    btc, ndx = np.log(sample["CBBTCUSD"]).diff(), np.log(sample["NASDAQCOM"]).diff()
    both = pd.concat([btc, ndx], axis=1, keys=["btc", "ndx"], sort=True).dropna()["2022":]
    assert both["btc"].corr(both["ndx"]) > 0.3
    assert both["btc"].std() > 2 * both["ndx"].std()
    price = sample["CBBTCUSD"]
    assert (price / price.cummax() - 1).min() < -0.6
    gold = sample["GOLD"]
    assert 3500 < gold["2025-10"].mean() < 4800


def test_constituents_table(catalog, tables):
    t = tables["constituents"]
    assert list(t.columns) == [*catalog.tables["constituents"]["columns"], "market_cap_usd_bn"]
    assert 450 <= len(t) <= 550 and t["date"].nunique() == 1
    assert t["date"].iloc[0] == pd.Timestamp("2026-11-20") and t["ticker"].is_unique
    caps = t["market_cap_usd_bn"].sort_values(ascending=False)
    assert (caps > 0).all()
    assert 0.3 <= caps.iloc[:10].sum() / caps.sum() <= 0.5


def test_loan_marks_table(catalog, tables):
    t = tables["loan_marks"]
    assert list(t.columns) == list(catalog.tables["loan_marks"]["columns"])
    assert pd.api.types.is_datetime64_any_dtype(t["date"])
    assert t["loan_id"].nunique() >= 10
    assert t["date"].min() >= pd.Timestamp("2024-01-01")
    assert t["date"].max() <= pd.Timestamp(SAMPLE_END)
    assert (t["date"] + pd.offsets.QuarterEnd(0) == t["date"]).all()  # quarter ends
    managers = t.groupby(["date", "loan_id"])["manager"].nunique()
    assert managers.between(3, 5).all()
    assert t["mark"].between(30, 101).all()
    spread = t.groupby(["date", "loan_id"])["mark"].agg(lambda m: m.max() - m.min())
    by_date = spread.groupby(level="date").mean()
    assert by_date.iloc[-1] > by_date.iloc[0]  # dispersion widens
    assert spread.groupby(level="date").max().iloc[-1] >= 15  # e.g. 70 vs 90


def test_events_catalog(catalog):
    events = {e.id: e for e in catalog.events}
    assert len(events) == len(catalog.events)
    kinds = {"shutdown", "fomc_first_cut", "fomc_first_hike", "repo_spike", "qt", "policy"}
    assert {e.kind for e in catalog.events} <= kinds
    shutdown = [e for e in catalog.events if e.kind == "shutdown" and e.start.year == 2025]
    assert len(shutdown) == 1
    assert (shutdown[0].start.isoformat(), shutdown[0].end.isoformat()) == ("2025-10-01",
                                                                            "2025-11-12")
    starts = {e.start.isoformat() for e in catalog.events}
    assert {"2019-09-17", "2007-09-18", "2019-07-31", "2024-09-18", "2015-12-16",
            "2022-03-16"} <= starts
