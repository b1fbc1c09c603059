"""The weekly job: the slot arithmetic, catching up once, the run lock, and stopping."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from reportgen import PROJECT_ROOT
from reportgen.config import load_config, with_overrides
from reportgen.errors import PublishError
from reportgen.scheduler import (
    STATE_FILE,
    _write_state,
    catch_up,
    describe_slot,
    last_slot,
    next_slot,
    run_lock,
    zone,
)
from tests.conftest import SAMPLE_CONFIG, run_cli

NY = zone("America/New_York")


def test_last_slot_is_the_latest_monday_seven_new_york_time():
    at = dt.time(7, 0)
    # Monday 23 Nov 2026, 11:00 UTC = 06:00 in New York: this week's slot is still ahead
    slot = last_slot(dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC), "monday", at, NY)
    assert slot == dt.datetime(2026, 11, 16, 7, 0, tzinfo=NY)
    slot = last_slot(dt.datetime(2026, 11, 23, 12, 30, tzinfo=dt.UTC), "monday", at, NY)
    assert slot == dt.datetime(2026, 11, 23, 7, 0, tzinfo=NY)
    slot = last_slot(dt.datetime(2026, 11, 26, 0, 0, tzinfo=dt.UTC), "monday", at, NY)
    assert slot.date() == dt.date(2026, 11, 23)


def test_the_next_run_is_said_in_its_own_zone_and_in_utc():
    at = dt.time(7, 0)
    # Monday 23 Nov 2026 12:30 UTC: this week's 07:00 New York slot has passed
    nxt = next_slot(dt.datetime(2026, 11, 23, 12, 30, tzinfo=dt.UTC), "monday", at, NY)
    assert nxt == dt.datetime(2026, 11, 30, 7, 0, tzinfo=NY)
    assert describe_slot(nxt) == ("Monday 2026-11-30 07:00 EST (America/New_York; "
                                  "2026-11-30 12:00 UTC)")
    # an hour earlier the slot of that same day is still ahead
    nxt = next_slot(dt.datetime(2026, 11, 23, 11, 30, tzinfo=dt.UTC), "monday", at, NY)
    assert nxt.date() == dt.date(2026, 11, 23)
    # across the change to daylight time the run stays at 07:00 local, 11:00 UTC
    nxt = next_slot(dt.datetime(2026, 3, 3, 0, 0, tzinfo=dt.UTC), "monday", at, NY)
    assert describe_slot(nxt) == ("Monday 2026-03-09 07:00 EDT (America/New_York; "
                                  "2026-03-09 11:00 UTC)")
    taipei = next_slot(dt.datetime(2026, 11, 23, 12, 30, tzinfo=dt.UTC), "friday",
                       dt.time(8, 30), zone("Asia/Taipei"))
    assert describe_slot(taipei) == ("Friday 2026-11-27 08:30 CST (Asia/Taipei; "
                                     "2026-11-27 00:30 UTC)")


def config(tmp_path):
    return with_overrides(load_config(SAMPLE_CONFIG),
                          output_dir=str(tmp_path / "out"))


def test_catches_up_once_after_downtime_never_twice(tmp_path):
    cfg = config(tmp_path)
    runs = []
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    assert not catch_up(cfg, now, lambda: runs.append(1))  # first start: nothing was missed
    # the machine was off over the next Monday's slot
    later = now + dt.timedelta(days=7)
    assert catch_up(cfg, later, lambda: runs.append(1))
    assert not catch_up(cfg, later, lambda: runs.append(1))
    assert runs == [1]


@pytest.mark.slow
def test_on_demand_run_exits_or_waits_while_the_weekly_job_runs(tmp_path):
    cfg = config(tmp_path)
    with run_lock(cfg.output_dir, wait=False, timeout=0):
        r = run_cli("run", "--no-wait", "--lang", "en", "--format", "html",
                    "--output", str(cfg.output_dir))
        assert r.returncode != 0
        assert "another reportgen run is in progress" in r.stderr and f"pid {os.getpid()}" in (
            r.stderr)
        with (pytest.raises(PublishError, match="waited 1 s"),
              run_lock(cfg.output_dir, wait=True, timeout=1)):
            pass
    with run_lock(cfg.output_dir, wait=False, timeout=0):  # released again afterwards
        pass


@pytest.mark.slow
def test_sigterm_stops_the_scheduler_cleanly(tmp_path):
    cfg = config(tmp_path)
    cfg.output_dir.mkdir(parents=True)
    s = cfg.schedule
    _write_state(cfg.output_dir / STATE_FILE,
                 last_slot(dt.datetime.now(dt.UTC), s.day, dt.time.fromisoformat(s.time),
                           zone(s.timezone)))  # up to date: no catch-up run
    proc = subprocess.Popen([sys.executable, "-m", "reportgen", "schedule", "--output",
                             str(cfg.output_dir)], stderr=subprocess.PIPE, text=True)
    log = cfg.output_dir / "reportgen-schedule.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "waiting for" not in (
            log.read_text() if log.exists() else ""):
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    text = log.read_text()
    assert "waiting for monday 07:00 America/New_York" in text and "stopped by SIGTERM" in text
    assert re.search(r"next run Monday \d{4}-\d\d-\d\d 07:00 E[SD]T \(America/New_York; "
                     r"\d{4}-\d\d-\d\d 1[12]:00 UTC\)", text), text
    assert not list(cfg.output_dir.glob(".staging-*"))



@pytest.mark.slow
def test_sigterm_during_a_catch_up_run_finishes_it_then_stops(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "reportgen.toml").write_text(
        '[report]\nlanguages = ["en", "zh-Hant"]\nformats = ["pdf", "html"]\n'
        'output_dir = "out"\n[paths]\n'
        + "".join(f'{k} = "{PROJECT_ROOT / k}"\n'
                  for k in ("templates", "charts", "catalogs", "locales")), encoding="utf-8")
    _write_state(out / STATE_FILE, dt.datetime(2020, 1, 6, 7, 0, tzinfo=NY))  # long missed
    proc = subprocess.Popen([sys.executable, "-m", "reportgen", "schedule"], cwd=tmp_path,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(out.glob(".staging-*")):
        time.sleep(0.1)
    assert list(out.glob(".staging-*")), "the catch-up run never started"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 0
    assert not list(out.glob(".staging-*"))
    issues = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(issues) == 1, "the run in progress should finish and publish its issue"
    names = {p.name for p in issues[0].iterdir()}
    for lang in ("en", "zh-Hant"):  # complete: every language and format
        assert {f"reportgen-{issues[0].name}-{lang}.pdf",
                f"reportgen-{issues[0].name}-{lang}.html"} <= names
    log = (out / "reportgen-schedule.log").read_text()
    assert "stopping after the run in progress" in log and "stopped by SIGTERM" in log


@pytest.mark.slow
def test_the_operator_hears_of_series_that_failed_in_a_weekly_run(tmp_path):
    """The issue is written (here from the sample, no source being reachable), and the
    operator gets one message naming each failed series and why."""
    import email
    import socket
    from dataclasses import replace

    from aiosmtpd.controller import Controller
    from live import write_config

    from reportgen.scheduler import weekly_job

    inbox: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            inbox.append(envelope.content)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        cfg = load_config(write_config(tmp_path))  # every source points at a closed port
        cfg = replace(cfg, email=replace(cfg.email, smtp_host="127.0.0.1", smtp_port=port,
                                         sender="weekly@example.org"),
                      schedule=replace(cfg.schedule, operator_email="ops@example.org"))
        weekly_job(cfg)
    finally:
        controller.stop()
    (raw,) = inbox
    msg = email.message_from_bytes(raw)
    assert msg["To"] == "ops@example.org"
    assert "series failed in the run of" in msg["Subject"]
    body = msg.get_payload(decode=True).decode()
    assert "was written, but" in body
    assert "UNRATE: FRED: 127.0.0.1:9 unreachable" in body
    assert list((tmp_path / "out").glob("*/signals.json"))
