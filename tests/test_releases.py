"""The release calendar: data without vintages are known from their real release dates, so
a replay of the 2025 shutdown never shows a number before it was published; and a series
that has stopped updating is flagged stale and drives no score.

The shutdown fixture is hand-made, shaped like the real episode: monthly values from
January 2024, with no October 2025 CPI (cancelled) and a user file that fills October 2025
unemployment by interpolation (the household survey was never collected, so the store must
never show it). The release dates come from catalogs/release_dates.csv, whose shutdown rows
are checked against BLS and BEA announcements (see the `source` column).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from live import catalog, config, write_config

from reportgen.errors import CatalogError
from reportgen.releases import (
    NEVER,
    known_by,
    load_releases,
    release_calendar_dates,
    stale_by_age,
    thursday_rule,
)
from reportgen.signals import fog, scorecard
from reportgen.signals.base import Signal
from reportgen.sources import open_store
from reportgen.store import FetchRecord, Store
from tests.conftest import run_cli

# its module-scoped fixtures are built once: on one worker under pytest-xdist
pytestmark = pytest.mark.xdist_group("test_releases")

D = dt.date
CLOSED = "http://127.0.0.1:9"


def monthly(start: str, end: str, first: float, step: float,
            skip: tuple[str, ...] = ()) -> dict[str, float]:
    days = pd.date_range(start, end, freq="MS")
    return {d.date().isoformat(): round(first + step * i, 3) for i, d in enumerate(days)
            if d.date().isoformat() not in skip}


def shutdown_files(folder: Path) -> list[Path]:
    """FRED-style downloads as a user would import them after the shutdown (Jan 2026)."""
    series = {
        "PAYEMS": monthly("2024-01-01", "2025-11-01", 157000, 40),
        "UNRATE": monthly("2024-01-01", "2025-11-01", 3.7, 0.04),  # Oct 2025 interpolated
        "CPIAUCSL": monthly("2024-01-01", "2025-11-01", 308.0, 0.8, skip=("2025-10-01",)),
        "PCEPILFE": monthly("2024-01-01", "2025-11-01", 122.0, 0.3),
    }
    paths = []
    for sid, values in series.items():
        path = folder / f"{sid}.csv"
        path.write_text(f"observation_date,{sid}\n"
                        + "".join(f"{d},{v}\n" for d, v in values.items()), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def shutdown(tmp_path_factory):
    """A store filled by `reportgen import` of the shutdown files."""
    folder = tmp_path_factory.mktemp("shutdown")
    write_config(folder, key=None)
    r = run_cli("import", *map(str, shutdown_files(folder)), cwd=folder)
    assert r.returncode == 0, r.stdout + r.stderr
    return config(folder, key=None)


def last(snapshot, sid: str) -> dt.date:
    return snapshot[sid].index[-1].date()


@pytest.mark.slow
def test_import_records_when_each_value_was_actually_published(shutdown):
    with sqlite3.connect(shutdown.store_path) as db:
        known = dict(((sid, d), k) for sid, d, k in db.execute(
            "SELECT series_id, date, known_from FROM observations"))
    assert known["PAYEMS", "2025-08-01"] == "2025-09-05"
    assert known["UNRATE", "2025-09-01"] == "2025-11-20"   # September report, 20 Nov
    assert known["PAYEMS", "2025-10-01"] == "2025-12-16"   # October payrolls with November
    assert known["CPIAUCSL", "2025-09-01"] == "2025-10-24"
    assert known["PCEPILFE", "2025-09-01"] == "2025-12-05"
    assert known["PCEPILFE", "2025-10-01"] == "2026-01-22"
    # October 2025 unemployment was never published: no date, hidden at read time
    assert known["UNRATE", "2025-10-01"] == ""


def test_a_shutdown_replay_shows_nothing_before_it_was_published(shutdown):
    with open_store(shutdown, catalog()) as store:
        nov12 = store.snapshot(D(2025, 11, 12))
        nov21 = store.snapshot(D(2025, 11, 21))
        dec05 = store.snapshot(D(2025, 12, 5))
        dec16 = store.snapshot(D(2025, 12, 16))
        later = store.snapshot(D(2026, 11, 27))
    # 12 Nov 2025: the store holds October payrolls, September unemployment and September
    # core PCE among its latest values; none of them had been published yet.
    assert last(nov12, "PAYEMS") == D(2025, 8, 1)
    assert last(nov12, "UNRATE") == D(2025, 8, 1)
    assert last(nov12, "PCEPILFE") == D(2025, 8, 1)
    assert last(nov12, "CPIAUCSL") == D(2025, 9, 1)  # published during the shutdown, 24 Oct
    # 21 Nov: the September employment report (20 Nov) is out; October payrolls are not
    assert last(nov21, "UNRATE") == D(2025, 9, 1) and last(nov21, "PAYEMS") == D(2025, 9, 1)
    assert last(nov21, "PCEPILFE") == D(2025, 8, 1)
    assert last(dec05, "PCEPILFE") == D(2025, 9, 1)  # September PCE, 5 Dec
    # 16 Dec: October payrolls with November's; October unemployment never
    assert last(dec16, "PAYEMS") == D(2025, 11, 1)
    assert pd.Timestamp("2025-10-01") in dec16["PAYEMS"].index
    for snap in (dec16, later):
        assert last(snap, "UNRATE") == D(2025, 11, 1)
        assert pd.Timestamp("2025-10-01") not in snap["UNRATE"].index


def test_no_as_of_date_shows_a_value_before_its_release_day(shutdown):
    """Every replay from September 2025 to March 2026, week by week."""
    releases = catalog().releases
    with open_store(shutdown, catalog()) as store:
        for when in pd.date_range("2025-09-05", "2026-03-06", freq="W-FRI"):
            snap = store.snapshot(when.date())
            for sid in ("PAYEMS", "UNRATE", "CPIAUCSL", "PCEPILFE"):
                days = releases.published_dates(sid, snap[sid].index)
                assert not days.isna().any() and (days <= when).all(), (sid, when)


def test_the_fog_names_what_the_shutdown_delayed_and_what_it_cancelled(shutdown):
    inds = catalog().indicators
    with open_store(shutdown, catalog()) as store:
        snaps = {d: store.snapshot(dt.date.fromisoformat(d))
                 for d in ("2025-11-12", "2025-11-20", "2025-11-21", "2025-12-17")}

    def status(d: str, sid: str) -> fog.ReleaseStatus:
        snap = snaps[d]
        return fog.release_status(snap[sid], inds[sid], snap.as_of, snap.releases)

    # 12 Nov: September and October employment reports were due (3 Oct, 7 Nov): two
    # periods behind; September PCE was due 31 Oct; September CPI came out on 24 Oct.
    payrolls = status("2025-11-12", "PAYEMS")
    assert payrolls.status == "delayed" and payrolls.periods_behind == 2
    assert payrolls.expected == D(2025, 10, 1)
    assert status("2025-11-12", "PCEPILFE").periods_behind == 1
    assert status("2025-11-12", "CPIAUCSL").status == "on_time"
    # October CPI was due 13 Nov: delayed until its cancellation was announced on 21 Nov,
    # then never published, named by its month.
    assert status("2025-11-20", "CPIAUCSL").status == "delayed"
    cpi = status("2025-11-21", "CPIAUCSL")
    assert cpi.status == "missing" and cpi.missing == (D(2025, 10, 1),)
    assert status("2025-11-21", "UNRATE").missing == (D(2025, 10, 1),)
    # 17 Dec: November CPI comes the next day; October and November PCE on 22 Jan
    assert status("2025-12-17", "CPIAUCSL").periods_behind == 1
    assert status("2025-12-17", "PCEPILFE").expected == D(2025, 10, 1)
    # GDP is not in this store at all: no data, not "on time"
    gdp = status("2025-11-12", "GDPC1")
    assert gdp.status == "no_data" and gdp.score is None


def test_the_calendar_covers_the_key_releases_from_2018():
    releases = catalog().releases
    for sid in ("CPIAUCSL", "CPILFESL", "PAYEMS", "UNRATE", "LNS14024887", "PCEPILFE",
                "JTSJOL"):
        months = pd.date_range("2018-01-01", "2025-12-01", freq="MS")
        days = releases.published_dates(sid, months)
        assert not days.isna().any(), sid
        assert ((days > months + pd.offsets.MonthEnd(0)) | (days == NEVER)).all(), sid
    quarters = pd.date_range("2018-01-01", "2026-01-01", freq="QS")
    gdp = releases.published_dates("GDPC1", quarters)
    assert not gdp.isna().any() and (gdp > quarters + pd.offsets.QuarterEnd(0)).all()
    # the shutdown's changes, as announced
    oct25 = pd.DatetimeIndex(["2025-10-01"])
    assert releases.published_dates("CPIAUCSL", oct25)[0] == NEVER
    assert releases.published_dates("UNRATE", oct25)[0] == NEVER
    assert releases.published_dates("PAYEMS", oct25)[0] == pd.Timestamp("2025-12-16")
    assert releases.published_dates("CPIAUCSL", pd.DatetimeIndex(["2025-11-01"]))[0] \
        == pd.Timestamp("2025-12-18")
    # a period the table does not know falls back to period end plus the usual lag
    umcsent = catalog().indicators["UMCSENT"]
    assert known_by(pd.DatetimeIndex(["2025-09-01"]), umcsent, releases)[0] \
        == pd.Timestamp("2025-09-30") + pd.Timedelta(days=umcsent.release_lag_days)


def test_weekly_claims_come_on_thursday_or_the_wednesday_before_a_holiday():
    weeks = pd.DatetimeIndex(["2025-11-15", "2025-11-22", "2025-12-20", "2025-12-27",
                              "2025-06-14", "2026-06-13"])
    assert [d.date() for d in thursday_rule(weeks, 5)] == [
        D(2025, 11, 20), D(2025, 11, 26),   # Thanksgiving
        D(2025, 12, 24), D(2025, 12, 31),   # Christmas, New Year's Day
        D(2025, 6, 18), D(2026, 6, 18)]     # Juneteenth on a Thursday (2025), not (2026)
    releases = catalog().releases
    assert releases.published_dates("CCSA", weeks[:1])[0] == pd.Timestamp("2025-11-27") \
        - pd.Timedelta(days=1)  # continued claims a week later, on Thanksgiving: Wednesday


def test_fred_release_days_date_each_period_by_the_first_release_after_it():
    months = pd.date_range("2025-07-01", "2025-11-01", freq="MS")
    days = [D(2025, 8, 29), D(2025, 9, 26), D(2025, 12, 5), D(2026, 1, 22)]
    mapped = release_calendar_dates(months, "monthly", days)
    assert [d.date() for d in mapped] == [D(2025, 8, 29), D(2025, 9, 26), D(2025, 12, 5),
                                          D(2025, 12, 5), D(2025, 12, 5)]
    assert release_calendar_dates(months, "monthly", []).isna().all()


def test_a_bad_calendar_file_names_the_line(tmp_path):
    (tmp_path / "releases.toml").write_text(
        '[release.cpi]\nagency = "BLS"\ntitle = "CPI"\nseries = ["CPIAUCSL"]\n'
        'frequency = "monthly"\n[sources]\nbls = "bls.gov"\n', encoding="utf-8")
    head = "release,period,published,scheduled,announced,series,basis,source\n"
    for row, message in (("cpi,2025-13,2025-12-10,,,,unchecked,", "period '2025-13'"),
                         ("cpi,2025-11,18 Dec 2025,,,,unchecked,", "not a YYYY-MM-DD"),
                         ("cpi,2025-11,2025-12-18,,,,verified,", "needs a source"),
                         ("ppi,2025-11,2025-12-18,,,,unchecked,", "release 'ppi'")):
        (tmp_path / "release_dates.csv").write_text(head + row + "\n", encoding="utf-8")
        with pytest.raises(CatalogError, match=message) as err:
            load_releases(tmp_path / "releases.toml", tmp_path / "release_dates.csv")
        assert "release_dates.csv: line 2" in str(err.value)


# -- staleness -----------------------------------------------------------------------------

def youth_store() -> Store:
    """Youth unemployment ends in November 2023 (as in a real file that stopped being
    updated); the overall rate runs to October 2026."""
    store = Store(catalog())
    stamp = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
    for sid, end in (("LNS14024887", "2023-11-01"), ("UNRATE", "2026-10-01")):
        values = pd.Series(monthly("2015-01-01", end, 8.0, 0.01))
        values.index = pd.DatetimeIndex(values.index)
        store.merge_latest(sid, "import", values, stamp.date(),
                           FetchRecord(sid, "import", stamp, stamp, "ok"))
    return store


def test_a_series_that_stopped_updating_is_stale_by_age():
    with youth_store() as store:
        now = store.snapshot(D(2026, 11, 27))
        then = store.snapshot(D(2023, 12, 20))
    assert now.stale_by_age() == {"LNS14024887"}
    assert now.stale() == ["LNS14024887"]
    prov = now.provenance["LNS14024887"]
    assert prov.old and prov.stale and prov.last_date == D(2023, 11, 1)
    assert not now.provenance["UNRATE"].stale
    assert then.stale_by_age() == frozenset()  # in December 2023 it was current


def test_stale_means_two_missed_releases_not_one_late_release():
    youth = catalog().indicators["LNS14024887"]
    releases = catalog().releases
    # the November 2023 report came out on 8 Dec 2023: two more monthly releases (and a
    # week's grace) take it to 15 Feb 2024
    assert not stale_by_age(D(2023, 11, 1), youth, D(2024, 2, 15), releases)
    assert stale_by_age(D(2023, 11, 1), youth, D(2024, 2, 16), releases)
    # the shutdown: September 2025 unemployment (published 20 Nov) was not stale on
    # 15 Dec 2025, a day before October's payrolls and November's report
    unrate = catalog().indicators["UNRATE"]
    assert not stale_by_age(D(2025, 9, 1), unrate, D(2025, 12, 15), releases)
    # a discontinued series (IOER, replaced by IORB in July 2021) is old, not stale
    assert not stale_by_age(D(2021, 7, 28), catalog().indicators["IOER"], D(2026, 11, 27))


def test_a_stale_input_drives_no_loop_and_is_marked():
    """The k-shape loop's youth-unemployment gap, built on a series ending in 2023."""
    idx = pd.date_range("2016-01-01", "2023-11-01", freq="MS")
    gap = pd.Series([2.0 + (i % 7) * 0.1 for i in range(len(idx))], index=idx)
    sent = pd.Series([80.0 - 0.1 * i for i in range(len(idx))], index=idx)
    series = {"youth_unrate_gap_pp": gap, "umcsent_index": sent}
    signals = {"youth_unrate_gap_pp": Signal("youth_unrate_gap_pp", 3.0, "pp", D(2023, 11, 1),
                                             ("LNS14024887", "UNRATE")),
               "umcsent_index": Signal("umcsent_index", 72.0, "index", D(2023, 11, 1),
                                       ("UMCSENT",))}
    card = {"thresholds": [0.0, 1.0], "input": [
        {"input": "youth_unrate_gap_pp", "weight": 1.0},
        {"input": "umcsent_index", "weight": 0.5, "sign": -1}]}
    now, before = pd.Timestamp("2023-11-30"), pd.Timestamp("2023-11-15")
    fresh = scorecard.score("k_shape", card, series, signals, now, before,
                            scorecard.LOOP_STATUSES)
    dropped = scorecard.score("k_shape", card, series, signals, now, before,
                              scorecard.LOOP_STATUSES, stale={"LNS14024887"}, min_coverage=0.0)
    youth, sentiment = dropped.contributions
    assert youth.stale and youth.contribution == 0.0 and youth.z == fresh.contributions[0].z
    assert not sentiment.stale
    # the score is the sentiment input alone (its own weight), not diluted by the stale one
    assert dropped.score == pytest.approx(sentiment.contribution / 0.5)
    assert fresh.score != pytest.approx(dropped.score)
    # by the catalog's rule, a third of the weight with fresh data is too little for a status
    thin = scorecard.score("k_shape", card, series, signals, now, before,
                           scorecard.LOOP_STATUSES, stale={"LNS14024887"})
    assert thin.coverage == pytest.approx(1 / 3) and thin.label == ""
    # an input that measures staleness itself is never dropped
    card["input"][0]["stale_ok"] = True
    kept = scorecard.score("k_shape", card, series, signals, now, before,
                           scorecard.LOOP_STATUSES, stale={"LNS14024887"})
    assert kept.score == pytest.approx(fresh.score)


@pytest.mark.slow
def test_signals_json_lists_a_series_that_stopped_updating(tmp_path):
    """A real run on imported files: youth unemployment ends in November 2023."""
    write_config(tmp_path, key=None)
    files = []
    for sid, end in (("LNS14024887", "2023-11-01"), ("UNRATE", "2026-10-01"),
                     ("PAYEMS", "2026-10-01")):
        path = tmp_path / f"{sid}.csv"
        path.write_text(f"observation_date,{sid}\n" + "".join(
            f"{d},{v}\n" for d, v in monthly("2012-01-01", end, 9.0, 0.01).items()),
            encoding="utf-8")
        files.append(str(path))
    assert run_cli("import", *files, cwd=tmp_path).returncode == 0
    r = run_cli("run", "--date", "2026-11-27", "--offline", "--lang", "en", "--format",
                "html", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "LNS14024887" in r.stdout
    payload = json.loads((tmp_path / "out" / "2026-11-27" / "signals.json").read_text())
    assert set(payload["stale"]) == {"LNS14024887"}
    entry = payload["stale"]["LNS14024887"]
    assert entry["old"] is True and entry["last_observation"] == "2023-11-01"
    assert entry["error"] is None
