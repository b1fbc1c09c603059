"""The weekly job: `reportgen schedule` runs build (and optionally send and publish) at the
configured weekday and time, never two runs at once, catching up once after downtime.

A run holds an advisory lock on <output>/.reportgen.lock (released by the kernel if the
process dies), which on-demand `reportgen run` respects too. SIGTERM or SIGINT stops the
scheduler at once when it is idle, and after the current run when one is in progress
(raising into the middle of a run could leave a worker pool or a lock half-released);
builds publish only complete issues, so nothing half-written is ever left behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reportgen.config import WEEKDAYS, Config
from reportgen.errors import ConfigError, PublishError, ReportgenError
from reportgen.locking import file_lock
from reportgen.publish import unwritable

log = logging.getLogger(__name__)
LOCK_FILE = ".reportgen.lock"
STATE_FILE = ".schedule-state.json"


class Stop(BaseException):
    """Raised to leave the loop; a BaseException, like KeyboardInterrupt, so no run's error
    handling swallows it."""


class Stopper:
    """Signal handling: stop now when idle, or once the run in progress has finished."""

    def __init__(self) -> None:
        self.running = False
        self.requested: str | None = None

    def __call__(self, signum: int, _frame: object) -> None:
        self.requested = signal.Signals(signum).name
        if not self.running:
            raise Stop(self.requested)
        log.info("%s received: stopping after the run in progress", self.requested)

    @contextlib.contextmanager
    def run(self) -> Iterator[None]:
        self.running = True
        try:
            yield
        finally:
            self.running = False
        if self.requested:
            raise Stop(self.requested)


def run_lock(output_dir: Path, wait: bool, timeout: float) -> contextlib.AbstractContextManager:
    """Hold the output folder's run lock; wait up to `timeout` s, or fail at once."""
    path = output_dir / LOCK_FILE

    def busy(holder: str, waited: float) -> PublishError:
        return PublishError(f"{path}: another reportgen run is in progress ({holder}); "
                            + (f"waited {waited:.0f} s; " if wait else "")
                            + "try again when it has finished")

    return file_lock(path, timeout if wait else 0, busy, poll=0.5,
                     unusable=lambda _path, exc: unwritable(output_dir, exc))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"schedule.timezone: unknown time zone {name!r}; use an IANA name "
                          "such as America/New_York") from None


def slot_time(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"schedule.time: {text!r} is not a time; use HH:MM") from None


def last_slot(now: dt.datetime, day: str, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The most recent scheduled instant at or before `now` (aware datetimes)."""
    local = now.astimezone(tz)
    days_back = (local.weekday() - WEEKDAYS.index(day)) % 7
    candidate = dt.datetime.combine(local.date() - dt.timedelta(days=days_back), at, tzinfo=tz)
    if candidate > local:
        candidate -= dt.timedelta(days=7)
    return candidate


def next_slot(now: dt.datetime, day: str, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The next scheduled instant after `now`, in the schedule's zone (aware)."""
    slot = last_slot(now, day, at, tz)
    while slot <= now:
        # a week on in wall-clock time: 07:00 stays 07:00 across a change of daylight time
        slot = dt.datetime.combine(slot.date() + dt.timedelta(days=7), at, tzinfo=tz)
    return slot


def describe_slot(slot: dt.datetime) -> str:
    """'Monday 2026-11-30 07:00 EST (America/New_York; 2026-11-30 12:00 UTC)': the zone said twice,
    so no one reads a local time as UTC or the other way round."""
    utc = slot.astimezone(dt.UTC)
    return (f"{slot:%A %Y-%m-%d %H:%M} {slot.tzname()} ({slot.tzinfo}; "
            f"{utc:%Y-%m-%d %H:%M} UTC)")


def _read_state(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(json.loads(path.read_text("utf-8"))["last_slot"])
    except (OSError, ValueError, KeyError):
        return None


def _write_state(path: Path, slot: dt.datetime) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"last_slot": slot.isoformat()}), encoding="utf-8")
    os.replace(tmp, path)


def catch_up(config: Config, now: dt.datetime, job: Callable[[], None]) -> bool:
    """Run `job` once if the last scheduled slot passed while we were not running.

    A first start with no record runs nothing: there was no scheduled run to miss.
    """
    s = config.schedule
    slot = last_slot(now, s.day, slot_time(s.time), zone(s.timezone))
    state = config.output_dir / STATE_FILE
    previous = _read_state(state)
    config.output_dir.mkdir(parents=True, exist_ok=True)
    if previous is None or previous >= slot:
        if previous is None:
            _write_state(state, slot)
        return False
    log.info("missed the run of %s: catching up once", slot.isoformat())
    _write_state(state, slot)  # recorded first, so a crash in the job never repeats it
    job()
    return True


def weekly_job(config: Config) -> None:
    """Build today's issue, then send and publish it as configured; failures are logged."""
    from reportgen.pipeline import build

    today = dt.datetime.now(zone(config.schedule.timezone)).date()
    with run_lock(config.output_dir, wait=True, timeout=config.schedule.lock_timeout):
        result = build(config, today)
        log.info("issue %s written in %.1f s", today, result.seconds)
        failed = result.fetch.failed if result.fetch is not None else {}
        if failed:
            _tell_operator(config, "\n".join(f"{sid}: {failed[sid]}" for sid in sorted(failed)),
                           f"reportgen: {len(failed)} series failed in the run of {today}",
                           f"The issue of {today} was written, but {len(failed)} series failed "
                           "to fetch and are shown as last stored (marked in the data "
                           "appendix):")
        if config.schedule.send:
            from reportgen.deliver import send

            report = send(config, today, config.report.languages)
            for message in report.warnings:
                log.warning("%s", message)
            if report.pending:
                log.warning("%d address(es) deferred by the SMTP server are pending; run "
                            "`reportgen send --date %s` later", len(report.pending), today)
        if config.schedule.publish:
            from reportgen.site import NO_SITE_URL, build_site

            build_site(config)
            if not config.site.url:
                log.warning("%s", NO_SITE_URL)


def _guarded(config: Config, stopper: Stopper) -> Callable[[], None]:
    def run() -> None:
        with stopper.run():
            _run_once()

    def _run_once() -> None:
        slot_file = config.output_dir / STATE_FILE
        s = config.schedule
        _write_state(slot_file, last_slot(dt.datetime.now(dt.UTC), s.day, slot_time(s.time),
                                          zone(s.timezone)))
        try:
            weekly_job(config)
        except ReportgenError as exc:
            log.error("scheduled run failed: %s", exc)
            _tell_operator(config, str(exc))
        except Exception as exc:  # keep the scheduler alive whatever a run does
            log.exception("scheduled run crashed")
            _tell_operator(config, f"{type(exc).__name__}: {exc}")

    return run


def _tell_operator(config: Config, problem: str,
                   subject: str = "reportgen: the scheduled run failed",
                   intro: str = "The weekly reportgen run failed:") -> None:
    if not config.schedule.operator_email:
        return
    from email.message import EmailMessage

    from reportgen.deliver import connect, smtp_settings

    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = config.email.sender
    msg["To"] = config.schedule.operator_email
    msg.set_content(f"{intro}\n\n{problem}\n\nSee the log for details.")
    try:
        server = connect(smtp_settings(config))
        with contextlib.closing(server):
            server.send_message(msg)
    except (ReportgenError, OSError) as exc:
        log.error("could not tell the operator: %s", exc)


def run_forever(config: Config, poll_seconds: float = 30.0) -> int:
    """The loop behind `reportgen schedule`; returns when SIGTERM or SIGINT arrives."""
    import schedule

    s = config.schedule
    tz, at = zone(s.timezone), slot_time(s.time)

    stopper = Stopper()
    signal.signal(signal.SIGTERM, stopper)
    signal.signal(signal.SIGINT, stopper)
    job = _guarded(config, stopper)
    try:
        catch_up(config, dt.datetime.now(dt.UTC), job)
        def job_then_next() -> None:
            job()
            log.info("next run %s", describe_slot(next_slot(dt.datetime.now(dt.UTC), s.day,
                                                             at, tz)))

        getattr(schedule.every(), s.day).at(at.strftime("%H:%M"), s.timezone).do(
            job_then_next)
        log.info("waiting for %s %s %s (next run %s)", s.day, s.time, tz.key,
                 describe_slot(next_slot(dt.datetime.now(dt.UTC), s.day, at, tz)))
        while True:
            schedule.run_pending()
            time.sleep(max(1.0, min(poll_seconds, schedule.idle_seconds() or poll_seconds)))
    except Stop as why:
        log.info("stopped by %s; no run left half-done", why)
        return 0
    finally:
        schedule.clear()
