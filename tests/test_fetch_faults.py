"""Sources misbehave: malformed, implausible, dripping or huge answers, errors, slow answers,
rate limits, retired series. Nothing malformed reaches the store, retries follow the rules,
work is bounded, and neither the API key nor a URL's password ever leaks."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import sqlite3
import threading
import time

import pytest
from fakes import FakeFred
from live import (
    KEY,
    TODAY,
    catalog,
    config,
    dump,
    fred_data,
    nyfed_world,
    schedule_requests,
    write_config,
)
from test_fetch import fetch, observation_requests

from reportgen.errors import SourceError
from reportgen.sources.net import RateBudget
from tests.conftest import run_cli

OBS = "series/observations"
HEAD = ('<?xml version="1.0" encoding="utf-8" ?>\n<observations realtime_start="2024-11-23" '
        'realtime_end="9999-12-31" count="{n}" offset="0" limit="100000">\n')


def xml(*rows: tuple[str, str]) -> bytes:
    body = "".join(f'  <observation realtime_start="2026-11-20" realtime_end="9999-12-31" '
                   f'date="{d}" value="{v}"/>\n' for d, v in rows)
    return (HEAD.format(n=len(rows)) + body + "</observations>\n").encode()


@pytest.fixture
def world(tmp_path):
    """UNRATE and DGS2 already fetched once; FRED now has a new UNRATE month."""
    data = fred_data(["UNRATE", "DGS2"], since="2025-01-01")
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv)
        fetch(cfg, only={"UNRATE", "DGS2"})
        data.publish("UNRATE", {dt.date(2026, 11, 1): 4.4}, on=TODAY)
        data.publish("DGS2", {dt.date(2026, 11, 23): 3.4}, on=TODAY)
        srv.clear_requests()
        yield srv, cfg


MALFORMED = {
    "html page": ("html", {}, "the answer was an HTML page"),
    "truncated": ("truncated", {}, "answer cut short"),
    "dropped": ("drop", {}, "connection closed without an answer"),
    "missing values only": ("body", {"body": xml(("2026-11-01", "."))},
                            "no usable observations"),
    "not a number": ("body", {"body": xml(("2026-11-01", "abc"))}, "no usable observations"),
    "impossible date": ("body", {"body": xml(("2026-13-01", "4.4"))},
                        "no usable observations"),
    "empty": ("body", {"body": xml()}, "no usable observations"),
    "duplicate dates": ("body", {"body": xml(("2026-11-01", "4.4"), ("2026-11-01", "4.5"))},
                        "appears twice"),
    "not xml": ("body", {"body": b"Service temporarily unavailable"}, "was not XML"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_answer_changes_nothing_of_that_series(world, case):
    srv, cfg = world
    kind, kw, message = MALFORMED[case]
    srv.fault(kind, match="series_id=UNRATE", times=None if kind != "body" else 1, **kw)
    # the metadata request of UNRATE is hit too: only the observations carry a body fault
    if kind == "body":
        srv.clear_faults()
        srv.fault(kind, match=f"{OBS}?series_id=UNRATE", **kw)
    before = [r for r in dump(cfg.store_path) if r[0] == "UNRATE"]
    report = fetch(cfg, only={"UNRATE", "DGS2"})
    assert message in report.failed["UNRATE"], report.failed
    assert "DGS2" in report.written  # the other series is not held back
    assert [r for r in dump(cfg.store_path) if r[0] == "UNRATE"] == before
    with sqlite3.connect(cfg.store_path) as db:
        status, text = db.execute("SELECT status, message FROM fetch_log WHERE series_id="
                                  "'UNRATE' ORDER BY id DESC LIMIT 1").fetchone()
        last_error = db.execute("SELECT last_error FROM series WHERE id='UNRATE'").fetchone()
    assert status == "error" and message in text and last_error[0]


def test_bad_values_are_skipped_with_a_warning(world, caplog):
    srv, cfg = world
    srv.fault("body", match=f"{OBS}?series_id=UNRATE",
              body=xml(("2026-10-01", "4.3"), ("2026-11-01", "n/a"), ("2026-11-15", "4.4")))
    with caplog.at_level(logging.WARNING):
        report = fetch(cfg, only={"UNRATE"})
    assert "UNRATE" in report.written
    assert "skipped 2 value(s)" in caplog.text and "'n/a'" in caplog.text
    assert "2026-11-15 cannot be a monthly observation" in caplog.text
    dates = [r[1] for r in dump(cfg.store_path) if r[0] == "UNRATE"]
    assert "2026-11-15" not in dates and "2026-11-01" not in dates


def test_server_errors_are_retried_then_succeed(world):
    srv, cfg = world
    srv.fault("status", status=503, times=2, match=OBS)
    report = fetch(cfg, only={"UNRATE"})
    assert report.written.get("UNRATE") and not report.failed
    assert len(observation_requests(srv)) == 3


def test_retry_after_is_honoured(world):
    srv, cfg = world
    srv.retry_after = 1
    srv.fault("status", status=429, times=1, match=OBS)
    t0 = time.monotonic()
    report = fetch(cfg, only={"UNRATE"})
    waited = time.monotonic() - t0
    assert report.written.get("UNRATE")
    assert waited >= 1.0  # the backoff alone (0.05 s) would not have waited this long
    stamps = [r.time for r in observation_requests(srv)]
    assert stamps[1] - stamps[0] >= 0.95


def test_a_rate_limit_that_persists_fails_the_series_and_says_so(world):
    srv, cfg = world
    srv.fault("status", status=429, times=None, match=OBS)
    report = fetch(cfg, only={"UNRATE"})
    assert "rate limit" in report.failed["UNRATE"]
    assert len(observation_requests(srv)) == 3  # first try plus two retries


@pytest.mark.slow
def test_a_slow_answer_times_out_and_is_retried(world):
    srv, cfg = world
    srv.fault("slow", delay=3, times=1, match=OBS)
    report = fetch(cfg, only={"UNRATE"})
    assert report.written.get("UNRATE")
    assert len(observation_requests(srv)) == 2


def test_client_errors_are_not_retried(world):
    srv, cfg = world
    srv.fault("status", status=404, times=None, match=OBS)
    report = fetch(cfg, only={"UNRATE"})
    assert "HTTP 404" in report.failed["UNRATE"]
    assert len(observation_requests(srv)) == 1


def test_csv_and_json_answers_are_checked_too(tmp_path):
    data = fred_data(["UNRATE"], since="2025-01-01")
    ny = nyfed_world(since="2026-10-01")
    with FakeFred(data) as srv, ny:
        cfg = config(tmp_path, srv, ny, key=None)
        srv.fault("body", match="fredgraph", body=b"observation_date,UNRATE\n2026-09-01,4.")
        ny.fault("html", match="sofr")
        report = fetch(cfg, only={"UNRATE", "SOFR", "EFFR"})
        assert "cut short" in report.failed["UNRATE"]
        assert "HTML page" in report.failed["SOFR"]
        assert "EFFR" in report.written
        srv.fault("body", match="fredgraph", body=b"observation_date,UNRATE\n2026-13-01,4.1\n")
        report = fetch(cfg, only={"UNRATE"})
        assert "no usable observations" in report.failed["UNRATE"]
    assert not [r for r in dump(cfg.store_path) if r[0] in ("UNRATE", "SOFR")]


def test_the_rate_budget_is_shared_across_threads():
    budget = RateBudget(per_second=20, per_minute=5, window=0.5)
    t0 = time.monotonic()
    for _ in range(10):
        budget.acquire()
    elapsed = time.monotonic() - t0
    # 5 per half second: the 6th waits for the window, the 10th only after ~0.5 s more
    assert 0.45 <= elapsed < 1.5


@pytest.mark.slow
def test_fred_is_never_asked_faster_than_its_limit(tmp_path):
    ids = ["UNRATE", "DGS2", "DGS1", "PAYEMS"]
    data = fred_data(ids, since="2026-01-01")
    with FakeFred(data) as srv:
        srv.max_per_second = 2  # like FRED since 2026: a burst gets 429 at once
        cfg = config(tmp_path, srv, per_second=1.8)  # the default: a little under
        t0 = time.monotonic()
        report = fetch(cfg, only=set(ids))
        elapsed = time.monotonic() - t0
        assert sorted(report.written) == sorted(ids)
        asked = 2 * len(ids) + schedule_requests(ids)  # the jobs report's schedule too
        assert asked == 10
        # Paced under the limit, so no 429 comes back, but for one: the fake counts
        # arrivals, and on a loaded machine two requests sent 0.56 s apart can arrive
        # closer (the one refused is asked again). A client ignoring the limit gets most
        # of its 10 requests refused.
        assert asked <= len(srv.requests) <= asked + 1
        assert elapsed >= 4.5  # 10 requests at 1.8 a second


@pytest.mark.slow
def test_the_key_never_appears_in_logs_errors_or_the_store(tmp_path, caplog):
    data = fred_data(["UNRATE", "DGS2", "DGS1"], since="2026-01-01")
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv)
        srv.fault("html", status=502, times=None, match="series_id=UNRATE")
        srv.fault("truncated", times=None, match=f"{OBS}?series_id=DGS2")
        with caplog.at_level(logging.DEBUG):
            report = fetch(cfg, only={"UNRATE", "DGS2", "DGS1", "WALCL"})
        assert {"UNRATE", "DGS2", "WALCL"} <= set(report.failed)  # no WALCL on this FRED
        text = caplog.text + repr(report)
        r = run_cli("fetch", cwd=tmp_path)
        d = run_cli("doctor", cwd=tmp_path)
    for out in (text, r.stdout, r.stderr, d.stdout, d.stderr):
        assert KEY not in out
    assert "api_key=***" in text or "***" in text or "HTTP 502" in text
    raw = cfg.store_path.read_bytes() + b"".join(
        p.read_bytes() for p in cfg.store_path.parent.glob("*") if p.is_file())
    assert KEY.encode() not in raw
    assert all(r.query.get("api_key") == KEY for r in srv.requests)  # it was sent, though


@pytest.mark.slow
def test_fetch_command_exit_codes(tmp_path):
    write_config(tmp_path)  # every source points at a closed port
    r = run_cli("fetch", "--series", "UNRATE", cwd=tmp_path)
    assert r.returncode == 1 and "unreachable" in r.stderr  # problems on stderr
    r = run_cli("fetch", "--series", "NOPE", cwd=tmp_path)
    assert r.returncode == 2 and "'NOPE' is not in the indicator catalog" in r.stderr


# -- bounded work --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["drip", "drip_headers"])
def test_a_dripping_server_cannot_hold_a_request_past_the_timeout(world, kind):
    srv, cfg = world  # data.timeout = 2, two retries
    srv.fault(kind, delay=0.2, times=None, match=f"{OBS}?series_id=UNRATE")
    before = [r for r in dump(cfg.store_path) if r[0] == "UNRATE"]
    t0 = time.monotonic()
    report = fetch(cfg, only={"UNRATE", "DGS2"})
    elapsed = time.monotonic() - t0
    assert "no complete answer within 2 s after 3 attempts" in report.failed["UNRATE"]
    assert report.kinds["UNRATE"] == "unreachable"
    assert "DGS2" in report.written
    assert len(observation_requests(srv)) - 1 == 3  # DGS2's one, then UNRATE's three tries
    # Each try is cut at 2 s. A timeout per read never fires at 5 bytes a second: the
    # answer (thousands of bytes) would hold each try for many minutes.
    assert elapsed < 12
    assert [r for r in dump(cfg.store_path) if r[0] == "UNRATE"] == before


@pytest.mark.parametrize("declared", [False, True], ids=["streamed", "content-length"])
def test_an_answer_over_the_size_cap_is_refused_as_it_arrives(tmp_path, declared):
    data = fred_data(["UNRATE", "DGS2"], since="2025-01-01")
    size = 300 * 1024 * 1024
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv, key=None, extra="max_response_mb = 1\n")
        srv.fault("huge", size=size, times=None, match="id=UNRATE",
                  headers={"Content-Length": str(size)} if declared else None)
        report = fetch(cfg, only={"UNRATE", "DGS2"})
        asked = [r for r in srv.requests if r.query.get("id") == "UNRATE"]
    assert "larger than 1 MB (data.max_response_mb)" in report.failed["UNRATE"]
    assert report.kinds["UNRATE"] == "malformed"
    assert len(asked) == 1  # a size will not shrink by asking again
    assert "DGS2" in report.written
    assert not [r for r in dump(cfg.store_path) if r[0] == "UNRATE"]


def test_an_implausible_value_refuses_the_answer_and_never_reaches_the_store(world, caplog):
    srv, cfg = world
    srv.fault("body", match=f"{OBS}?series_id=UNRATE",
              body=xml(("2026-10-01", "4.3"), ("2026-11-01", "1e308")))
    before = [r for r in dump(cfg.store_path) if r[0] == "UNRATE"]
    report = fetch(cfg, only={"UNRATE", "DGS2"})
    message = report.failed["UNRATE"]
    assert "UNRATE on 2026-11-01 = 1e+308" in message and "between 0 and 50" in message
    assert "\n" not in message and report.kinds["UNRATE"] == "implausible"
    assert "DGS2" in report.written
    assert [r for r in dump(cfg.store_path) if r[0] == "UNRATE"] == before
    with sqlite3.connect(cfg.store_path) as db:
        failure, error = db.execute("SELECT failure, last_error FROM series WHERE id='UNRATE'"
                                    ).fetchone()
    assert failure == "implausible" and "1e+308" in error


def test_a_series_the_source_no_longer_has_is_a_failure_not_a_stop(tmp_path):
    data = fred_data(["DGS2"], since="2025-01-01")  # fredgraph answers 404 for UNRATE
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv, key=None)
        report = fetch(cfg, only={"UNRATE", "DGS2"})
    assert not report.errors and "DGS2" in report.written
    assert report.kinds["UNRATE"] == "retired"
    line = catalog().indicators["UNRATE"].line
    assert "'UNRATE' does not exist" in report.failed["UNRATE"]
    assert f"indicators.toml line {line}" in report.failed["UNRATE"]


def test_each_thread_names_its_own_series_in_errors(tmp_path, monkeypatch):
    """The client is shared by the fetch threads: what one asks must not rename another's
    error. UNRATE's second page fails while another thread has asked about DGS2."""
    from reportgen.sources import fred
    from reportgen.sources.fetch import Services

    monkeypatch.setattr(fred, "PAGE", 4)
    data = fred_data(["UNRATE", "DGS2"], since="2026-01-01")
    with FakeFred(data) as srv:
        client = Services.from_config(config(tmp_path, srv)).fred
        srv.fault("slow", delay=0.8, match=f"{OBS}?series_id=UNRATE", times=1)
        srv.fault("status", status=400, match="&offset=4", times=1)
        errors: dict[str, str] = {}

        def unrate() -> None:
            try:
                client.observations(catalog().indicators["UNRATE"], TODAY, None, TODAY)
            except SourceError as exc:
                errors["UNRATE"] = str(exc)

        worker = threading.Thread(target=unrate)
        worker.start()
        time.sleep(0.3)  # UNRATE's first page is on its way
        client.info(catalog().indicators["DGS2"])
        worker.join()
    assert errors["UNRATE"].startswith("FRED: UNRATE: Bad Request"), errors


# -- secrets ---------------------------------------------------------------------------------

PASSWORD = "S3cret-PASSWORD"


@pytest.mark.slow
def test_userinfo_in_a_source_url_never_appears_anywhere(tmp_path, caplog, monkeypatch):
    """Like the API key: not in logs, errors, CLI output, the store or the issue; the
    user name and password still reach the server, as basic authentication."""
    data = fred_data(["UNRATE", "DGS2"], since="2026-01-01")
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv, key=None)
        url = srv.csv_url.replace("http://", f"http://reader:{PASSWORD}@")
        monkeypatch.setenv("REPORTGEN_FRED_CSV_URL", url)
        srv.fault("html", status=502, times=None, match="id=UNRATE")
        with caplog.at_level(logging.DEBUG):
            report = fetch(cfg, only={"UNRATE", "DGS2", "WALCL"})
        assert "DGS2" in report.written  # the request went through, authenticated
        auth = "Basic " + base64.b64encode(f"reader:{PASSWORD}".encode()).decode()
        assert srv.requests and all(r.auth == auth for r in srv.requests)
        assert "http://***@127.0.0.1" in report.failed["UNRATE"]
        text = caplog.text + repr(report)
        f = run_cli("fetch", cwd=tmp_path)
        d = run_cli("doctor", cwd=tmp_path)
        r = run_cli("run", "--date", "2026-11-23", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "FRED CSV http://***@127.0.0.1" in d.stdout
    signals = (tmp_path / "out" / "2026-11-23" / "signals.json").read_text(encoding="utf-8")
    html = (tmp_path / "out" / "2026-11-23" / "reportgen-2026-11-23-en.html").read_text(
        encoding="utf-8")
    assert "***@127.0.0.1" in json.loads(signals)["stale"]["UNRATE"]["error"]
    for out in (text, f.stdout, f.stderr, d.stdout, d.stderr, r.stdout, r.stderr, signals,
                html):
        assert PASSWORD not in out and "reader:" not in out
    raw = b"".join(p.read_bytes() for p in cfg.store_path.parent.glob("*") if p.is_file())
    assert PASSWORD.encode() not in raw and b"reader:" not in raw
