"""Fetching against loopback servers that answer as FRED, fredgraph and the New York Fed do:
incremental fetches, vintages and as-of reads, user files, imports."""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import pytest
from fakes import FakeFred, FredData
from live import (
    KEY,
    PUBLISHED,
    TODAY,
    catalog,
    config,
    dump,
    fred_data,
    nyfed_world,
    schedule_requests,
    values,
)

from reportgen.errors import CatalogError, MalformedDataError
from reportgen.sources import open_store
from reportgen.sources.fetch import SOURCE_TZ, Fetcher, Services
from reportgen.sources.usercsv import import_file

D = dt.date
MONTHLY = ["CPIAUCSL", "PAYEMS", "UNRATE"]


def clock(today):
    """Fetch time in step with the fake servers' calendar: noon in New York on `today`."""
    return lambda: dt.datetime.combine(today, dt.time(12), SOURCE_TZ).astimezone(dt.UTC)


def fetcher(cfg, store, today=TODAY):
    return Fetcher(cfg, catalog(), store, Services.from_config(cfg), today, clock(today))


def fetch(cfg, today=TODAY, only=None):
    with open_store(cfg, catalog()) as store:
        return fetcher(cfg, store, today).run(only)


def snapshot(cfg, as_of):
    with open_store(cfg, catalog()) as store:
        return store.snapshot(as_of)


def observation_requests(srv):
    return [r for r in srv.requests if r.path.endswith("/series/observations")]


def test_cold_then_warm_fetch_with_a_key(tmp_path):
    data = fred_data(MONTHLY, since="2020-01-01")
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv)
        cold = fetch(cfg, only=set(MONTHLY))
        assert sorted(cold.written) == MONTHLY and not cold.failed
        # metadata + observations, and the schedule of CPI's and the jobs report's releases
        assert cold.requests["FRED"] == 2 * len(MONTHLY) + schedule_requests(MONTHLY) == 10
        # a first fetch keeps the vintages of the last `vintage_days` days
        first = observation_requests(srv)[0]
        assert first.query["realtime_start"] == (TODAY - dt.timedelta(days=730)).isoformat()
        assert "observation_start" not in first.query
        before = dump(cfg.store_path)

        srv.clear_requests()
        warm = fetch(cfg, only=set(MONTHLY))
        # nothing new: one cheap request per series (the schedules were read today), and
        # no observation written
        assert sorted(warm.unchanged) == MONTHLY and not warm.written
        assert len(srv.requests) == len(MONTHLY)
        assert all(r.path.endswith("/fred/series") for r in srv.requests)
        assert dump(cfg.store_path) == before
    s = snapshot(cfg, TODAY)
    assert s["CPIAUCSL"].index[-1] == pd.Timestamp(max(data.current("CPIAUCSL")))
    assert s.provenance["CPIAUCSL"].vintages == "exact"
    assert s.provenance["CPIAUCSL"].source == "fred"


def test_revisions_are_kept_and_read_as_of(tmp_path):
    """A first print, then a revision: both are stored, each read on its own dates."""
    data = fred_data(["PAYEMS"], since="2024-01-01", until="2026-08-01",
                     today=D(2026, 10, 10), published=D(2026, 9, 5))
    aug = D(2026, 8, 1)
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv)
        data.publish("PAYEMS", {D(2026, 9, 1): 159_500.0}, on=D(2026, 10, 10))
        fetch(cfg, today=D(2026, 10, 10), only={"PAYEMS"})
        first_aug = data.current("PAYEMS")[aug]
        # the November report revises August and September and adds October
        data.today = D(2026, 11, 7)
        data.publish("PAYEMS", {aug: first_aug - 91.0, D(2026, 9, 1): 159_420.0,
                                D(2026, 10, 1): 159_480.0}, on=D(2026, 11, 7))
        srv.clear_requests()
        report = fetch(cfg, today=D(2026, 11, 7), only={"PAYEMS"})
        # August and September revised (each: old value closed, new one opened), October new
        assert report.written.get("PAYEMS") == 5, report
        obs = observation_requests(srv)[0].query
        # incremental: real-time from the last fetch, observations from a window back
        assert obs["realtime_start"] == "2026-10-09"
        assert obs["observation_start"] == (D(2026, 9, 1) - dt.timedelta(days=400)).isoformat()
    old = snapshot(cfg, D(2026, 10, 20))["PAYEMS"]
    new = snapshot(cfg, D(2026, 11, 10))["PAYEMS"]
    assert old[pd.Timestamp(aug)] == first_aug
    assert old[pd.Timestamp("2026-09-01")] == 159_500.0
    assert pd.Timestamp("2026-10-01") not in old.index  # not published yet on 20 Oct
    assert new[pd.Timestamp(aug)] == first_aug - 91.0
    assert new[pd.Timestamp("2026-10-01")] == 159_480.0
    firsts = snapshot(cfg, D(2026, 11, 10)).first_prints["PAYEMS"]
    assert firsts[pd.Timestamp("2026-09-01")] == 159_500.0  # first print kept
    assert firsts[pd.Timestamp("2026-10-01")] == 159_480.0


def test_as_of_older_than_the_stored_vintages_asks_fred_for_that_vintage(tmp_path):
    data = fred_data(["UNRATE"], since="2023-01-01", until="2025-01-01",
                     today=D(2025, 3, 10), published=D(2025, 2, 7))
    data.publish("UNRATE", {D(2025, 2, 1): 4.1}, on=D(2025, 3, 7))
    data.today = TODAY
    data.publish("UNRATE", {D(2025, 2, 1): 4.2}, on=D(2026, 1, 9))  # annual revision
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv, extra="vintage_days = 30\n")
        fetch(cfg, only={"UNRATE"})
        assert snapshot(cfg, D(2025, 3, 20)).provenance["UNRATE"].vintages == "estimated"
        srv.clear_requests()
        with open_store(cfg, catalog()) as store:
            fetcher(cfg, store).read_vintages(D(2025, 3, 20))
        (req,) = srv.requests
        assert req.query["realtime_start"] == req.query["realtime_end"] == "2025-03-20"
        srv.clear_requests()
        with open_store(cfg, catalog()) as store:  # asked once, then read from the store
            fetcher(cfg, store).read_vintages(D(2025, 3, 20))
        assert srv.requests == []
    s = snapshot(cfg, D(2025, 3, 20))
    assert s.provenance["UNRATE"].vintages == "point"
    assert s["UNRATE"][pd.Timestamp("2025-02-01")] == 4.1
    assert snapshot(cfg, TODAY)["UNRATE"][pd.Timestamp("2025-02-01")] == 4.2


def test_keyless_csv_fetch_is_incremental_and_records_revisions(tmp_path):
    data = fred_data(["UNRATE", "DGS2"], since="2024-01-01")
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv, key=None)
        cold = fetch(cfg, only={"UNRATE", "DGS2"})
        assert sorted(cold.written) == ["DGS2", "UNRATE"]
        assert all(r.path.endswith("fredgraph.csv") and "cosd" not in r.query
                   for r in srv.requests)
        assert not any("api_key" in r.query for r in srv.requests)
        data.today = D(2026, 12, 5)
        data.publish("UNRATE", {D(2026, 9, 1): 4.9}, on=D(2026, 12, 5))
        srv.clear_requests()
        warm = fetch(cfg, today=D(2026, 12, 5), only={"UNRATE", "DGS2"})
        assert len(srv.requests) == 2 and all("cosd" in r.query for r in srv.requests)
        assert warm.written == {"UNRATE": 1} and warm.unchanged == ["DGS2"]
    before = snapshot(cfg, D(2026, 11, 30))
    after = snapshot(cfg, D(2026, 12, 5))
    assert before["UNRATE"][pd.Timestamp("2026-09-01")] != 4.9
    assert after["UNRATE"][pd.Timestamp("2026-09-01")] == 4.9
    assert after.provenance["UNRATE"].vintages == "none"
    assert after.provenance["UNRATE"].source == "fredgraph"


def test_new_york_fed_rates_and_operations(tmp_path):
    ny = nyfed_world(since="2026-09-01")
    day = D(2026, 11, 20)
    ny.add_operation("repo", day, 2_000_000_000)  # the afternoon operation adds up
    ny.add_operation("repo", day, 5_000_000, note="Small value exercise")  # left out
    ids = {"SOFR", "SOFR1", "SOFR99", "SOFRVOL", "EFFR", "RRPONTSYD", "RPONTSYD"}
    with ny:
        cfg = config(tmp_path, None, ny)
        report = fetch(cfg, only=ids)
        assert sorted(report.written) == sorted(ids) and not report.failed
        assert report.requests["New York Fed"] == 4  # sofr, effr, repo, reverse repo
        paths = sorted(r.path for r in ny.requests)
        assert "/api/rates/secured/sofr/search.json" in paths
        ny.clear_requests()
        warm = fetch(cfg, only=ids)
        assert sorted(warm.unchanged) == sorted(ids)
        starts = {r.query["startDate"] for r in ny.requests}
        assert len(ny.requests) == 4 and all(
            D(2025, 10, 1) <= D.fromisoformat(x) <= day - dt.timedelta(days=400)
            for x in starts)
    s = snapshot(cfg, TODAY)
    from live import sample
    expected = float(sample()["RPONTSYD"].get(pd.Timestamp(day), 0.0))
    assert s["RPONTSYD"][pd.Timestamp(day)] == pytest.approx(expected + 2.0, abs=1e-6)
    assert s["SOFR99"].index[-1] == sample()["SOFR99"].index[-1]
    assert s.provenance["SOFR"].source == "nyfed"


def test_user_csv_series_and_tables_are_validated(tmp_path, caplog):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "gold.csv").write_text(
        "date,usd_per_oz\n2026-11-18,4010.5\n2026-11-19,n/a?\n2026-11-20,4032\n",
        encoding="utf-8")
    (tmp_path / "data" / "loan_marks.csv").write_text(
        "date,loan_id,borrower,manager,mark\n2026-09-30,L1,Acme,Alpha,0.92\n"
        "2026-09-30,L1,Acme,Beta,0.71\n", encoding="utf-8")
    cfg = config(tmp_path)
    with caplog.at_level(logging.WARNING):
        report = fetch(cfg, only={"GOLD"})
    assert report.written == {"GOLD": 2}
    assert "gold.csv: skipped 1 value(s): line 3" in caplog.text
    report = fetch(cfg)  # whole catalog: the sources are unreachable, the files are read
    assert report.written["table loan_marks"] == 2
    assert "table constituents" in report.absent and "CLOUD_CDS_5Y" in report.absent
    s = snapshot(cfg, TODAY)
    assert list(s.table("loan_marks")["mark"]) == [0.92, 0.71]
    assert s["GOLD"].tolist() == [4010.5, 4032.0]

    (tmp_path / "data" / "gold.csv").write_text(
        "date,usd_per_oz\n2026-11-18,4010.5\n2026-11-18,4011\n", encoding="utf-8")
    before = dump(cfg.store_path)
    report = fetch(cfg, only={"GOLD"})
    (message,) = report.errors.values()
    assert "gold.csv" in message and "2026-11-18 appears twice" in message
    assert "line 2" in message and "line 3" in message
    assert dump(cfg.store_path) == before


def test_import_reads_fred_downloads_and_date_value_files(tmp_path):
    fred_file = tmp_path / "fredgraph.csv"
    fred_file.write_text("observation_date,WALCL\n2026-11-11,6552000\n2026-11-18,6549000\n",
                         encoding="utf-8")
    plain = tmp_path / "rrpontsyd.csv"
    plain.write_text("date,value\n2026-11-19,4.1\n2026-11-20,\n2026-11-21,3.9\n",
                     encoding="utf-8")
    sid, values = import_file(fred_file, catalog(), TODAY)
    assert sid == "WALCL" and values.tolist() == [6552000.0, 6549000.0]
    sid, values = import_file(plain, catalog(), TODAY)
    assert sid == "RRPONTSYD" and values.tolist() == [4.1, 3.9]
    bad = tmp_path / "XYZ.csv"
    bad.write_text("date,value\n2026-11-19,1\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="'XYZ' is not in the indicator catalog"):
        import_file(bad, catalog(), TODAY)


@pytest.mark.slow
def test_import_command_keeps_data_like_fetched_data(tmp_path):
    from live import write_config

    from tests.conftest import run_cli
    write_config(tmp_path)
    (tmp_path / "DGS2.csv").write_text("date,value\n2026-11-19,3.51\n2026-11-20,3.49\n",
                                       encoding="utf-8")
    (tmp_path / "broken.csv").write_text("when,what\n1,2\n", encoding="utf-8")
    r = run_cli("import", "DGS2.csv", "broken.csv", cwd=tmp_path)
    assert r.returncode == 2
    assert "DGS2.csv: DGS2, 2 observations" in r.stdout
    assert "broken.csv: line 1 should be" in r.stderr  # errors on stderr, always
    assert "broken.csv" not in r.stdout
    r = run_cli("indicators", cwd=tmp_path)
    line = next(x for x in r.stdout.splitlines() if x.startswith("DGS2 "))
    assert "import" in line and "2026-11-20" in line


def test_an_unknown_series_id_is_a_failed_series_naming_the_catalog_line(tmp_path):
    data = FredData(today=TODAY)  # FRED knows nothing
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv)
        report = fetch(cfg, only={"WALCL"})
        assert len([r for r in srv.requests]) == 1  # a 400 is never retried
    assert not report.errors  # not input to fix before anything can run: a failed series
    message = report.failed["WALCL"]
    assert report.kinds["WALCL"] == "retired"
    line = catalog().indicators["WALCL"].line
    assert "'WALCL' does not exist" in message
    assert f"indicators.toml line {line}" in message
    assert KEY not in message
    with open_store(cfg, catalog()) as store:  # recorded, though nothing was ever stored
        state = store.state("WALCL")
        assert state.failure == "retired" and "does not exist" in state.last_error
        assert store.failures() == [("WALCL", "retired", state.last_error)]


def test_a_rejected_key_is_reported_once_without_the_key(tmp_path):
    data = fred_data(MONTHLY, since="2026-01-01")
    with FakeFred(data, api_key="z" * 32) as srv:
        cfg = config(tmp_path, srv, extra="threads = 1\n")
        report = fetch(cfg, only=set(MONTHLY))
        assert len(srv.requests) == 1  # the others are not even tried
    assert set(report.errors) == set(MONTHLY)
    assert all("rejected the API key" in m and KEY not in m for m in report.errors.values())


def test_env_urls_override_the_config(tmp_path, monkeypatch):
    data = fred_data(["UNRATE"], since="2026-01-01")
    with FakeFred(data) as srv:
        cfg = config(tmp_path, None)  # the config points at a closed port
        monkeypatch.setenv("REPORTGEN_FRED_API_URL", srv.fred_url)
        monkeypatch.setenv("FRED_API_KEY", KEY)
        report = fetch(cfg, only={"UNRATE"})
    assert report.written and not report.failed
    with open_store(cfg, catalog()) as store:
        assert store.state("UNRATE").last_date == max(data.current("UNRATE"))
    assert PUBLISHED < TODAY


def umcsent_world() -> tuple[FredData, list[dt.date]]:
    """Consumer sentiment (not in the bundled release calendar) and CPI (in it), both with
    history published long ago; sentiment's release calendar puts each month's final
    reading on the 4th Friday of the next month."""
    data = fred_data(["UMCSENT", "CPIAUCSL"], since="2022-01-01", published=D(2000, 1, 3))
    months = pd.date_range("2022-02-01", "2026-11-01", freq="MS")
    days = [(m + pd.offsets.WeekOfMonth(week=3, weekday=4)).date() for m in months]
    data.add_release(91, "Surveys of Consumers", [*days, D(2026, 12, 25)])  # one to come
    data.add_series("UMCSENT", values("UMCSENT", "2022-01-01"), D(2000, 1, 3),
                    title="University of Michigan: Consumer Sentiment", release_id=91)
    return data, days


def test_a_first_fetch_with_a_key_dates_old_values_by_the_release_calendar(tmp_path):
    data, days = umcsent_world()
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv)
        report = fetch(cfg, only={"UMCSENT", "CPIAUCSL"})
        paths = [r.path for r in srv.requests]
    assert not report.failed and not report.errors
    # FRED's calendar of past releases is read for sentiment only (CPI is in the bundled
    # table); CPI's release is asked for its schedule ahead
    assert paths.count("/fred/series/release") == 1 + 1
    assert paths.count("/fred/release/dates") == 1 + 1
    assert report.requests["FRED"] == 2 * 2 + 2 + schedule_requests(["CPIAUCSL"])
    known = {(sid, d): k for sid, d, k, *_ in dump(cfg.store_path)}
    window = (TODAY - dt.timedelta(days=730)).isoformat()
    # values known before the real-time window are dated by their release day
    assert known["UMCSENT", "2023-05-01"] == days[16].isoformat() == "2023-06-23"
    assert known["CPIAUCSL", "2023-05-01"] == "2023-06-13"  # the bundled table
    # those released inside the window keep the window's own start (they may have been
    # revised since; the revisions are what the real-time periods record)
    assert known["UMCSENT", "2025-06-01"] == "" and known["CPIAUCSL", "2025-06-01"] == ""
    assert all(k == "" or k < window for (sid, _d), k in known.items())
    with open_store(cfg, catalog()) as store:
        june = store.snapshot(D(2023, 6, 20))
        late = store.snapshot(D(2023, 6, 23))
        first = store.snapshot(TODAY).first_prints["UMCSENT"]
    assert june["UMCSENT"].index[-1] == pd.Timestamp("2023-04-01")
    assert late["UMCSENT"].index[-1] == pd.Timestamp("2023-05-01")
    assert first.empty  # nothing was first published inside the recorded periods


def test_a_release_calendar_that_fails_costs_no_data(tmp_path, caplog):
    data, _ = umcsent_world()
    with FakeFred(data) as srv:
        srv.fault("status", status=500, times=None, match="/release/dates")
        cfg = config(tmp_path, srv)
        with caplog.at_level(logging.WARNING):
            report = fetch(cfg, only={"UMCSENT"})
    assert report.written and not report.failed
    assert "release calendar could not be read" in caplog.text
    assert {k for sid, _d, k, *_ in dump(cfg.store_path)} == {""}  # timing by the usual lag


def test_import_loads_any_file_under_a_series_id(tmp_path):
    """A vendor's gold export and FRED's discontinued London fix, both loaded as GOLD."""
    lbma = tmp_path / "lbma_gold.csv"
    lbma.write_text("date,value\n2026-11-18,4010.5\n2026-11-19,\n2026-11-20,4032\n",
                    encoding="utf-8")
    sid, values = import_file(lbma, catalog(), TODAY, series="GOLD")
    assert sid == "GOLD" and values.tolist() == [4010.5, 4032.0]
    old = tmp_path / "fredgraph.csv"
    old.write_text("observation_date,GOLDPMGBD228NLBM\n2021-12-30,1805.85\n2021-12-31,.\n",
                   encoding="utf-8")
    sid, values = import_file(old, catalog(), TODAY, series="GOLD")
    assert sid == "GOLD" and values.tolist() == [1805.85]
    twice = tmp_path / "twice.csv"
    twice.write_text("date,value\n2026-11-18,4010.5\n2026-11-18,4011\n", encoding="utf-8")
    with pytest.raises(MalformedDataError, match="2026-11-18 appears twice"):
        import_file(twice, catalog(), TODAY, series="GOLD")
    with pytest.raises(CatalogError, match="'GOLDX' is not in the indicator catalog"):
        import_file(lbma, catalog(), TODAY, series="GOLDX")


@pytest.mark.slow
def test_import_command_with_series(tmp_path):
    from live import write_config

    from tests.conftest import run_cli
    write_config(tmp_path)
    (tmp_path / "lbma_gold.csv").write_text(
        "date,value\n2026-11-19,4010.5\n2026-11-20,4032\n", encoding="utf-8")
    (tmp_path / "other.csv").write_text("date,value\n2026-11-19,1\n", encoding="utf-8")
    r = run_cli("import", "lbma_gold.csv", "--series", "GOLD", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "lbma_gold.csv: GOLD, 2 observations (2026-11-19 to 2026-11-20)" in r.stdout
    line = next(x for x in run_cli("indicators", cwd=tmp_path).stdout.splitlines()
                if x.startswith("GOLD "))
    assert "import" in line and "2026-11-20" in line
    r = run_cli("import", "lbma_gold.csv", "other.csv", "--series", "GOLD", cwd=tmp_path)
    assert r.returncode == 2 and "--series GOLD: give exactly one file" in r.stderr
    r = run_cli("import", "lbma_gold.csv", "--series", "NOPE", cwd=tmp_path)
    assert r.returncode == 2 and "'NOPE' is not in the indicator catalog" in r.stderr
