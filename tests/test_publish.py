from __future__ import annotations

import datetime as dt
import errno
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from reportgen import publish
from reportgen.errors import PublishError, Terminated

DAY = dt.date(2026, 11, 23)


def test_publish_replaces_files_and_removes_staging(tmp_path):
    out = tmp_path / "out"
    target = publish.issue_dir(out, dt.date(2026, 11, 23))
    target.mkdir(parents=True)
    (target / "a.pdf").write_bytes(b"old")
    (target / "old.pdf").write_bytes(b"an earlier build's file")
    staging = publish.staging_dir(out, dt.date(2026, 11, 23))
    (staging / "a.pdf").write_bytes(b"new")
    (staging / ".a.print.html").write_text("internal")
    (staging / "charts").mkdir()
    (staging / "charts" / "x.svg").write_text("<svg/>")
    moved = publish.publish(staging, target, keep={"a.pdf", "charts/x.svg"})
    assert (target / "a.pdf").read_bytes() == b"new"
    assert (target / "charts" / "x.svg").exists()
    assert not (target / ".a.print.html").exists()
    assert not (target / "old.pdf").exists(), "a file of the earlier build survived"
    assert not staging.exists()
    assert len(moved) == 2
    assert [p.name for p in out.iterdir()] == ["2026-11-23"]


def test_discarded_staging_leaves_published_issue_alone(tmp_path):
    out = tmp_path / "out"
    target = publish.issue_dir(out, dt.date(2026, 11, 23))
    target.mkdir(parents=True)
    (target / "a.pdf").write_bytes(b"good")
    staging = publish.staging_dir(out, dt.date(2026, 11, 23))
    (staging / "a.pdf").write_bytes(b"half-writ")
    publish.discard(staging)
    assert (target / "a.pdf").read_bytes() == b"good"
    assert [p.name for p in out.iterdir()] == ["2026-11-23"]


def test_previous_signals_picks_latest_earlier_readable_issue(tmp_path):
    for day, payload in (("2026-11-09", {"signals": {"x": {"value": 1}}}),
                         ("2026-11-16", "not json"),
                         ("2026-11-23", {"signals": {"x": {"value": 3}}})):
        folder = tmp_path / day
        folder.mkdir()
        text = payload if isinstance(payload, str) else json.dumps(payload)
        (folder / "signals.json").write_text(text)
    when, sigs = publish.previous_signals(tmp_path, dt.date(2026, 11, 23))
    assert when == dt.date(2026, 11, 9)  # the 16th is unreadable, the 23rd is not earlier
    assert sigs == {"x": {"value": 1}}
    # four weeks after the 9th it is still the last issue; a day later it is too old
    (tmp_path / "2026-11-23" / "signals.json").unlink()
    assert publish.previous_signals(tmp_path, dt.date(2026, 12, 7))[0] == dt.date(2026, 11, 9)
    assert publish.previous_signals(tmp_path, dt.date(2026, 12, 8)) is None


def test_unwritable_output_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(PublishError, match="an existing file is in the way"):
        publish.staging_dir(blocker / "out", dt.date(2026, 11, 23))


def stage(out, files: dict[str, bytes]):
    """A staged build of DAY with a manifest in its signals.json, as build() writes it."""
    staging = publish.staging_dir(out, DAY)
    for name, data in files.items():
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        (staging / name).write_bytes(data)
    publish.write_json(staging / publish.SIGNALS_FILE,
                       {"signals": {}, "manifest": publish.manifest(staging, files)})
    return staging, set(files) | {publish.SIGNALS_FILE}


@pytest.fixture
def published(tmp_path):
    """An issue published with a PDF and HTML; deliveries and a chart pack beside it."""
    out = tmp_path / "out"
    staging, keep = stage(out, {"r-en.pdf": b"%PDF old", "r-en.html": b"<p>old</p>",
                                "charts/a.svg": b"<svg/>"})
    target = publish.issue_dir(out, DAY)
    publish.publish(staging, target, keep)
    (target / "sent.json").write_text('{"en": ["a@example.org"]}')
    (target / "chart-pack-en").mkdir()
    (target / "chart-pack-en" / "a.png").write_bytes(b"png")
    return out, target


def contents(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file()}


def test_a_rebuild_replaces_the_whole_build_and_keeps_ledger_and_chart_packs(published):
    out, target = published
    publish.verify(target)
    staging, keep = stage(out, {"r-en.html": b"<p>new</p>"})  # the re-run was html only
    publish.publish(staging, target, keep)
    files = contents(target)
    assert "r-en.pdf" not in files and "charts/a.svg" not in files
    assert files["r-en.html"] == b"<p>new</p>"
    assert files["sent.json"] == b'{"en": ["a@example.org"]}'
    assert files["chart-pack-en/a.png"] == b"png"
    assert publish.verify(target)[0]["manifest"] == {"r-en.html": publish.sha256(
        target / "r-en.html")}
    assert sorted(p.name for p in out.iterdir()) == ["2026-11-23"]
    assert oct(target.stat().st_mode & 0o777) == oct(out.stat().st_mode & 0o777)


@pytest.mark.parametrize("damage", ["changed", "missing", "extra", "no manifest"])
def test_verify_refuses_a_folder_that_is_not_one_build(published, damage):
    _, target = published
    if damage == "changed":
        (target / "r-en.pdf").write_bytes(b"%PDF edited")
    elif damage == "missing":
        (target / "charts" / "a.svg").unlink()
    elif damage == "extra":
        (target / "r-zh-Hant.pdf").write_bytes(b"%PDF from another build")
    else:
        (target / "signals.json").write_text('{"signals": {}}')
    with pytest.raises(PublishError, match=r"rebuild it with `reportgen run --date "
                                           r"2026-11-23`") as err:
        publish.verify(target)
    assert "\n" not in str(err.value)


def test_verify_returns_the_bytes_it_checked(published):
    _, target = published
    _, got = publish.verify(target, {"r-en.pdf"})
    assert got == {"r-en.pdf": b"%PDF old"}


def test_a_failed_exchange_leaves_the_published_issue_as_it_was(published, monkeypatch):
    out, target = published
    before = contents(target)

    def broken(a, b):
        raise OSError(errno.EIO, "Input/output error", str(b))

    monkeypatch.setattr(publish, "exchange", broken)
    staging, keep = stage(out, {"r-en.html": b"<p>new</p>"})
    with pytest.raises(PublishError, match=r"cannot publish the issue \(Input/output error\)"):
        publish.publish(staging, target, keep)
    assert contents(target) == before
    assert sorted(p.name for p in out.iterdir()) == ["2026-11-23"]


@pytest.mark.parametrize("failing", [1, 2])
def test_without_exchange_a_failed_rename_puts_the_earlier_build_back(published, monkeypatch,
                                                                     failing):
    """Where renameat2 is missing: rename away, rename in; either rename may fail."""
    out, target = published
    before = contents(target)
    monkeypatch.setattr(publish, "exchange", lambda a, b: False)
    staging, keep = stage(out, {"r-en.html": b"<p>new</p>"})
    real, calls = os.replace, []

    def replace(src, dst):
        calls.append((src, dst))
        if len(calls) == failing:
            raise OSError(errno.EACCES, "Permission denied", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PublishError, match="Permission denied"):
        publish.publish(staging, target, keep)
    assert contents(target) == before
    assert sorted(p.name for p in out.iterdir()) == ["2026-11-23"]


def test_without_exchange_the_renames_publish_the_new_build(published, monkeypatch):
    out, target = published
    monkeypatch.setattr(publish, "exchange", lambda a, b: False)
    staging, keep = stage(out, {"r-en.html": b"<p>new</p>"})
    publish.publish(staging, target, keep)
    assert sorted(contents(target)) == ["chart-pack-en/a.png", "r-en.html", "sent.json",
                                        "signals.json"]
    publish.verify(target)
    assert sorted(p.name for p in out.iterdir()) == ["2026-11-23"]


def test_a_first_publication_that_fails_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "out"
    staging, keep = stage(out, {"r-en.html": b"<p>new</p>"})

    def replace(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PublishError, match="No space left on device"):
        publish.publish(staging, publish.issue_dir(out, DAY), keep)
    assert list(out.iterdir()) == []


def test_sigterm_during_the_exchange_lands_after_it(published, monkeypatch):
    """The stop is held while output is switched, then raised saying where it went."""
    out, target = published
    real = publish.exchange

    def exchange_under_fire(a, b):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # the signal is pending, not handled, during the switch
        return real(a, b)

    def terminate(signum, frame):
        raise Terminated("SIGTERM")

    monkeypatch.setattr(publish, "exchange", exchange_under_fire)
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        staging, keep = stage(out, {"r-en.html": b"<p>new</p>"})
        with pytest.raises(Terminated) as stopped:
            publish.publish(staging, target, keep)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stopped.value.published == target
    assert contents(target)["r-en.html"] == b"<p>new</p>"
    publish.verify(target)
    assert sorted(p.name for p in out.iterdir()) == ["2026-11-23"]


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_dead_processes_are_cleaned_at_start_others_kept(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead, live = dead_pid(), os.getppid()
    names = {f".staging-2026-11-23-{dead}-abc": True, f".site-{dead}-xyz": True,
             f".site-old-{dead}": True, f".site-{dead}-xyz-link": True,
             f".staging-2026-11-23-{live}-abc": False, f".site-{live}-abc": False,
             f".site-{dead}-served": False,  # the version output/site points at
             ".staging-2026-11-23-oldstyle": True, ".site-recent1": False,
             ".reportgen.lock": False, ".schedule-state.json": False, "2026-11-16": False}
    for name in names:
        if name.endswith("-link"):
            os.symlink(f".site-{dead}-xyz", out / name)
        elif name.startswith(".") and not name.endswith((".lock", ".json")):
            (out / name).mkdir()
            (out / name / "f").write_text("x")
        else:
            (out / name).mkdir() if name[0].isdigit() else (out / name).write_text("")
    os.symlink(f".site-{dead}-served", out / "site")
    day_old = time.time() - publish.LEGACY_AGE - 60
    os.utime(out / ".staging-2026-11-23-oldstyle", (day_old, day_old))
    staging = publish.staging_dir(out, DAY)  # a new build starts
    left = {p.name for p in out.iterdir()} - {staging.name, "site"}
    assert left == {n for n, gone in names.items() if not gone}
    assert (out / "site" / "f").is_file()


def test_a_reused_pid_does_not_keep_a_leftover_alive(tmp_path):
    """The pid in the name now belongs to a process that started after the folder."""
    out = tmp_path / "out"
    out.mkdir()
    folder = out / f".staging-2026-11-23-{os.getppid()}-abc"
    folder.mkdir()
    os.utime(folder, (0, 0))  # made in 1970, long before our parent started
    publish.clean_leftovers(out)
    assert not folder.exists()
