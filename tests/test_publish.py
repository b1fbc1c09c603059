from __future__ import annotations

import datetime as dt
import json

import pytest

from reportgen import publish
from reportgen.errors import PublishError


def test_publish_replaces_files_and_removes_staging(tmp_path):
    out = tmp_path / "out"
    target = publish.issue_dir(out, dt.date(2026, 11, 23))
    target.mkdir(parents=True)
    (target / "a.pdf").write_bytes(b"old")
    staging = publish.staging_dir(out, dt.date(2026, 11, 23))
    (staging / "a.pdf").write_bytes(b"new")
    (staging / ".a.print.html").write_text("internal")
    (staging / "charts").mkdir()
    (staging / "charts" / "x.svg").write_text("<svg/>")
    moved = publish.publish(staging, target, keep={"a.pdf", "charts/x.svg"})
    assert (target / "a.pdf").read_bytes() == b"new"
    assert (target / "charts" / "x.svg").exists()
    assert not (target / ".a.print.html").exists()
    assert not staging.exists()
    assert len(moved) == 2


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


def test_unwritable_output_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(PublishError, match="cannot create the output folder"):
        publish.staging_dir(blocker / "out", dt.date(2026, 11, 23))
