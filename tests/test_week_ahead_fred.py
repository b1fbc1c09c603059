"""The cover's week ahead from FRED's release calendar (with a key), against a loopback
server that answers `series/release` and `release/dates` as FRED does: the schedule is
read ahead of the data (include_release_dates_with_no_data), kept in the store as known
on the day it was read, preferred to the bundled calendar, and a failure costs nothing."""

from __future__ import annotations

import datetime as dt
import logging

from fakes import FakeFred, FredData
from live import KEY, PUBLISHED, TODAY, catalog, config, values
from test_fetch import fetch, snapshot

from reportgen.releases import week_ahead

D = dt.date
CPI_RELEASE = 10
# Nov 2026 CPI: the bundled calendar has 10 Dec 2026; this FRED has it moved to the 11th
FRED_DAYS = [D(2026, 10, 14), D(2026, 11, 10), D(2026, 12, 11), D(2027, 1, 13)]
ISSUE = D(2026, 12, 7)  # a Monday: its week ahead runs to Monday 14 December


def cpi_world(days: list[dt.date]) -> FredData:
    data = FredData(today=TODAY)
    data.add_release(CPI_RELEASE, "Consumer Price Index", days)
    ind = catalog().indicators["CPIAUCSL"]
    data.add_series("CPIAUCSL", values("CPIAUCSL", "2024-01-01"), PUBLISHED,
                    title=ind.title, units=ind.units_label, release_id=CPI_RELEASE,
                    last_updated=f"{PUBLISHED} 07:30:00-06")
    return data


def cpi_days(found) -> list[dt.date]:
    return [u.day for u in found if u.id == "cpi"]


def test_fred_s_schedule_replaces_the_bundled_dates(tmp_path):
    with FakeFred(cpi_world(FRED_DAYS)) as srv:
        cfg = config(tmp_path, srv)
        report = fetch(cfg, only={"CPIAUCSL"})
        asked = [r for r in srv.requests if r.path == "/fred/release/dates"]
    assert not report.failed and not report.errors
    assert asked and all(r.query["include_release_dates_with_no_data"] == "true"
                         and r.query["api_key"] == KEY for r in asked)
    # kept from the day it was read: the days ahead of it, none behind
    assert snapshot(cfg, TODAY).schedule == {"cpi": (D(2026, 12, 11), D(2027, 1, 13))}
    assert snapshot(cfg, TODAY - dt.timedelta(days=1)).schedule == {}
    releases = catalog().releases
    assert cpi_days(week_ahead(releases, ISSUE)) == [D(2026, 12, 10)]  # bundled
    schedule = snapshot(cfg, ISSUE).schedule
    assert cpi_days(week_ahead(releases, ISSUE, schedule=schedule)) == [D(2026, 12, 11)]
    # the other releases keep the bundled calendar: the claims still come on Thursday
    assert [u.day for u in week_ahead(releases, ISSUE, schedule=schedule)
            if u.id != "cpi"] == [u.day for u in week_ahead(releases, ISSUE) if u.id != "cpi"]


def test_a_later_read_moves_a_date_and_the_earlier_week_keeps_its_own(tmp_path):
    with FakeFred(cpi_world(FRED_DAYS)) as srv:
        cfg = config(tmp_path, srv)
        fetch(cfg, only={"CPIAUCSL"})
    later = TODAY + dt.timedelta(days=7)
    moved = [D(2026, 11, 10), D(2026, 12, 9), D(2027, 1, 13)]
    data = cpi_world(moved)
    data.today = later
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv)
        fetch(cfg, today=later, only={"CPIAUCSL"})
    assert snapshot(cfg, ISSUE).schedule == {"cpi": (D(2026, 12, 9), D(2027, 1, 13))}
    assert snapshot(cfg, TODAY).schedule == {}  # the days it spoke of were read again later


def test_a_schedule_fred_cannot_give_keeps_the_bundled_calendar(tmp_path, caplog):
    with FakeFred(cpi_world(FRED_DAYS)) as srv:
        srv.fault("status", status=500, times=None, match="/release/dates")
        cfg = config(tmp_path, srv)
        with caplog.at_level(logging.WARNING):
            report = fetch(cfg, only={"CPIAUCSL"})
    assert report.written and not report.failed and not report.errors
    assert "cpi: FRED's schedule could not be read" in caplog.text
    assert KEY not in caplog.text
    schedule = snapshot(cfg, ISSUE).schedule
    assert schedule == {}
    assert cpi_days(week_ahead(catalog().releases, ISSUE, schedule=schedule)) == [
        D(2026, 12, 10)]
