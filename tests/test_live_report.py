"""The whole report on live data from loopback servers (filled with the SYNTHETIC sample):
a cold fetch of the catalog, then the sources go away (stale series are marked), an as-of
rebuild, and the loud sample fallback when there is no network and no store."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from fakes import FakeFred
from live import catalog, fred_data, nyfed_world, write_config

from tests.conftest import run_cli

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
    return folder, r, requests, len(fred_ids)


def test_a_cold_fetch_then_a_report_on_live_data(live):
    folder, r, requests, n_fred = live
    assert "SAMPLE" not in r.stdout and "WARNING" not in r.stdout
    assert requests == 2 * n_fred + 4  # metadata + observations per FRED series; 4 NY Fed
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
    assert "45 series failed this run" in r.stdout and "BAA10Y (source unreachable)" in r.stdout
    assert "SAMPLE" not in r.stdout and "no source could be reached" not in r.stdout
    # one line per distinct problem, not one per series
    assert r.stderr.count("unreachable (connection refused)") == 2, r.stderr
    html, payload = issue(folder, "2026-11-24")
    assert not payload["sample"]
    walcl = payload["stale"]["WALCL"]
    assert walcl["last_observation"] and walcl["last_fetched"].startswith("20")
    assert "unreachable" in walcl["error"] and walcl["failure"] == "unreachable"
    assert "WALCL" in payload["failed"] and len(payload["failed"]) == 45
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


def test_no_network_and_no_store_falls_back_to_the_sample_loudly(tmp_path):
    write_config(tmp_path)  # every source points at a closed port
    r = run_cli("run", "--date", DATE, "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("WARNING: no source could be reached and the store is empty")
    html, payload = issue(tmp_path)
    assert payload["sample"] and payload["fallback"]
    assert 'class="sample-banner"' in html and "No data source could be reached" in html
    s = run_cli("send", "--date", DATE, "--to", "a@example.org", cwd=tmp_path)
    assert s.returncode != 0 and "sample data" in s.stderr
    p = run_cli("publish", cwd=tmp_path)
    assert p.returncode != 0 and "sample" in p.stderr
