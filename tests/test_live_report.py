"""The whole report on live data from loopback servers (filled with the SYNTHETIC sample):
a cold fetch of the catalog, then the sources go away (stale series are marked), an as-of
rebuild, and the loud sample fallback when there is no network and no store."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from fakes import FakeFred
from live import catalog, fred_data, nyfed_world, schedule_requests, write_config

from tests.conftest import run_cli

# its module-scoped fixtures are built once: on one worker under pytest-xdist
pytestmark = pytest.mark.xdist_group("test_live_report")

DATE = "2026-11-23"
CLOSED = "http://127.0.0.1:9"


def issue(folder: Path, date: str = DATE) -> tuple[str, dict]:
    out = folder / "out" / date
    html = (out / f"reportgen-{date}-en.html").read_text(encoding="utf-8")
    return html, json.loads((out / "signals.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A workspace whose store was filled by one cold fetch of the whole catalog."""
    folder = tmp_path_factory.mktemp("live")
    fred_ids = [i.id for i in catalog().indicators.values() if i.source == "fred"]
    # history known for years (older than the vintage window, so its timing is estimated)
    data = fred_data(fred_ids, published=dt.date(2000, 1, 3))
    with FakeFred(data) as srv, nyfed_world(since="2016-03-01") as ny:
        write_config(folder, srv, ny)
        r = run_cli("run", "--date", DATE, cwd=folder)
        requests = len(srv.requests) + len(ny.requests)
    assert r.returncode == 0, r.stderr
    # monthly and quarterly series outside the bundled release calendar read FRED's
    calendar = [i for i in fred_ids if catalog().indicators[i].frequency in
                ("monthly", "quarterly") and not catalog().releases.covers(i)]
    return folder, r, requests, fred_ids, len(calendar)


def test_a_cold_fetch_then_a_report_on_live_data(live):
    folder, r, requests, fred_ids, n_calendar = live
    n_fred = len(fred_ids)
    assert "SAMPLE" not in r.stdout and "WARNING" not in r.stdout
    # metadata + observations per FRED series, release + release dates for n_calendar of
    # them, the key releases' schedules ahead; 4 NY Fed
    assert n_calendar and requests == (2 * n_fred + 2 * n_calendar + 4
                                       + schedule_requests(fred_ids))
    html, payload = issue(folder)
    assert not payload["sample"] and payload["fallback"] is None and payload["stale"] == {}
    assert 'class="sample-banner"' not in html and 'class="stale-banner"' not in html
    assert "New York Fed" in html and "first prints and revisions" in html
    assert payload["signals"]["sofr_minus_iorb_bp"]["value"] is not None


def test_unreachable_sources_mark_stale_series_and_the_run_goes_on(live):
    folder, *_ = live
    env = {"REPORTGEN_FRED_API_URL": f"{CLOSED}/fred", "REPORTGEN_NYFED_URL": CLOSED}
    os.environ.update(env)
    try:
        r = run_cli("run", "--date", "2026-11-24", cwd=folder)
    finally:
        for k in env:
            del os.environ[k]
    assert r.returncode == 0, r.stderr
    fetched = [i for i in catalog().indicators.values() if i.source in ("fred", "nyfed")]
    assert f"{len(fetched)} series failed this run" in r.stdout
    assert "BAA10Y (source unreachable)" in r.stdout
    assert "SAMPLE" not in r.stdout and "no source could be reached" not in r.stdout
    # one line per distinct problem, not one per series
    assert r.stderr.count("unreachable (connection refused)") == 2, r.stderr
    html, payload = issue(folder, "2026-11-24")
    assert not payload["sample"]
    walcl = payload["stale"]["WALCL"]
    assert walcl["last_observation"] and walcl["last_fetched"].startswith("20")
    assert "unreachable" in walcl["error"] and walcl["failure"] == "unreachable"
    assert "WALCL" in payload["failed"] and len(payload["failed"]) == len(fetched)
    assert 'class="stale-banner"' in html
    assert "Not updated in this issue: " in html and "WALCL (last fetched" in html
    assert 'class="flag stale"' in html  # the appendix row


def test_as_of_rebuilds_from_the_store_without_fetching(live):
    folder, *_ = live
    r = run_cli("run", "--as-of", "2026-11-16", cwd=folder)
    assert r.returncode == 0, r.stderr
    html, payload = issue(folder, "2026-11-16")
    assert payload["as_of"] == "2026-11-16"
    assert "Rebuilt with the data as they were known on" in html
    assert payload["data_as_of"] <= "2026-11-16"


@pytest.mark.slow
def test_no_network_and_no_store_falls_back_to_the_sample_loudly(tmp_path):
    write_config(tmp_path)  # every source points at a closed port
    r = run_cli("run", "--date", DATE, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("WARNING: no source could be reached and the store is empty")
    # the sample stands in for every series: none is "shown as last stored"
    assert "shown as last stored" not in r.stdout
    html, payload = issue(tmp_path)
    assert payload["sample"] and payload["fallback"]
    assert 'class="sample-banner"' in html and "No data source could be reached" in html
    s = run_cli("send", "--date", DATE, "--to", "a@example.org", cwd=tmp_path)
    assert s.returncode != 0 and "sample data" in s.stderr
    p = run_cli("publish", cwd=tmp_path)
    assert p.returncode != 0 and "sample" in p.stderr


def copy_of(live, tmp_path) -> Path:
    """The live workspace with its filled store, for a test that changes it."""
    folder = tmp_path / "live"
    shutil.copytree(live[0], folder, ignore=shutil.ignore_patterns("out"))
    return folder


def test_a_retired_and_an_absurd_series_leave_the_issue_written_and_honest(live, tmp_path):
    folder = copy_of(live, tmp_path)
    fred_ids = [i.id for i in catalog().indicators.values()
                if i.source == "fred" and i.id != "GDPC1"]  # FRED has dropped GDPC1
    data = fred_data(fred_ids, published=dt.date(2000, 1, 3))
    data.publish("UNRATE", {dt.date(2026, 11, 1): 1e308}, on=dt.date(2026, 11, 27))
    with FakeFred(data) as srv, nyfed_world(since="2016-03-01") as ny:
        write_config(folder, srv, ny)
        strict = run_cli("run", "--date", "2026-11-27", "--strict", cwd=folder)
        r = run_cli("run", "--date", "2026-11-27", cwd=folder)
        doctor = run_cli("doctor", cwd=folder)
    # --strict: a distinct exit code, one line, nothing written
    assert strict.returncode == 6, strict.stderr
    assert strict.stderr.splitlines()[-1].startswith("reportgen: error: 2 series failed")
    assert "--strict: nothing was written" in strict.stderr
    assert "Traceback" not in strict.stderr
    # by default: written, exit 0, the failures named in the summary, appendix and JSON
    assert r.returncode == 0, r.stderr
    assert "2 series failed this run" in r.stdout
    assert "GDPC1 (no longer at the source)" in r.stdout
    assert "UNRATE (implausible value)" in r.stdout
    assert "UNRATE on 2026-11-01 = 1e+308" in r.stderr  # the one-line warning
    html, payload = issue(folder, "2026-11-27")
    assert payload["failed"] == ["GDPC1", "UNRATE"]
    assert payload["stale"]["GDPC1"]["failure"] == "retired"
    assert "does not exist" in payload["stale"]["GDPC1"]["error"]
    assert payload["stale"]["UNRATE"]["failure"] == "implausible"
    assert "Series that failed to update" in html
    assert "the source no longer has this series (retired, or an unknown id)" in html
    assert "the answer held an implausible value and was refused" in html
    assert payload["signals"]["unrate_pct"]["value"] < 50  # the last good value, not 1e308
    # doctor names the retired id and the catalog line to fix
    line = catalog().indicators["GDPC1"].line
    assert doctor.returncode == 1
    assert any(x.startswith("FAIL  series GDPC1: the source says it does not exist")
               and f"indicators.toml line {line}" in x for x in doctor.stdout.splitlines())
    assert "UNRATE (implausible)" in doctor.stdout


def test_a_poisoned_store_does_not_break_later_builds(live, tmp_path):
    """A value an older reportgen let in (UNRATE = 1e308) is left out of every read."""
    folder = copy_of(live, tmp_path)
    with sqlite3.connect(folder / "data" / "reportgen.sqlite") as db:
        db.execute("UPDATE observations SET value=1e308 WHERE series_id='UNRATE' AND date="
                   "(SELECT MAX(date) FROM observations WHERE series_id='UNRATE')")
    r = run_cli("run", "--date", DATE, "--offline", cwd=folder)
    assert r.returncode == 0, r.stderr
    assert "UNRATE: 1 stored value(s) outside its plausible bounds left out" in r.stderr
    html, payload = issue(folder)
    assert payload["signals"]["unrate_pct"]["value"] < 50
    assert 'src="charts/s1_labour' in html  # drawn, not "drawing failed"
