"""The store under stress: two writers, a fetch killed halfway, a full disk, a held lock,
corrupted pages, an older schema."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
from fakes import FakeFred
from live import TODAY, catalog, config, fred_data, write_config

from reportgen.errors import SourceError
from reportgen.sources import open_store
from reportgen.store import FetchRecord, Store
from tests.conftest import TESTS_DIR, run_cli

IDS = ["UNRATE", "PAYEMS", "CPIAUCSL", "DGS1", "DGS2", "WALCL", "TREAST", "WSHOMCB"]


def rows_by_series(path) -> dict[str, int]:
    """Rows per series; {} while the fetch has created the file but not yet the schema."""
    with sqlite3.connect(path) as db:
        try:
            return dict(db.execute("SELECT series_id, COUNT(*) FROM observations GROUP BY 1"))
        except sqlite3.OperationalError:
            return {}


def content(path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT series_id, date, known_from, known_until, value FROM "
                          "observations ORDER BY 1, 2, 3").fetchall()


def fetch_process(folder, ids) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reportgen", "fetch", "--series",
                             ",".join(ids)], cwd=folder, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(TESTS_DIR.parent)})


@pytest.mark.slow
def test_two_processes_fetching_at_once_never_corrupt_the_store(tmp_path):
    data = fred_data(IDS, since="2024-01-01")
    with FakeFred(data) as srv:
        srv.latency = 0.02
        write_config(tmp_path, srv)
        a, b = fetch_process(tmp_path, IDS), fetch_process(tmp_path, IDS)
        out_a, out_b = a.communicate(timeout=120), b.communicate(timeout=120)
    assert a.returncode == 0 and b.returncode == 0, (out_a, out_b)
    store = tmp_path / "data" / "reportgen.sqlite"
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # the second waited for the first, then found nothing new
    summaries = out_a[0] + out_b[0]
    assert "8 updated" in summaries and "8 unchanged" in summaries
    expected = {sid: len([v for v in data.current(sid).values() if v is not None])
                for sid in IDS}
    assert rows_by_series(store) == expected


@pytest.mark.slow
def test_a_fetch_killed_halfway_leaves_whole_series_or_none(tmp_path):
    data = fred_data(IDS, since="2020-01-01")
    expected = {sid: len([v for v in data.current(sid).values() if v is not None])
                for sid in IDS}
    with FakeFred(data) as srv:
        srv.latency = 0.25
        write_config(tmp_path, srv, extra="threads = 2\n")
        proc = fetch_process(tmp_path, IDS)
        store = tmp_path / "data" / "reportgen.sqlite"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (store.exists() and rows_by_series(store)):
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        partial = rows_by_series(store)
        assert 0 < len(partial) < len(IDS), partial  # killed between series, mid-fetch
        for sid, count in partial.items():
            assert count == expected[sid], sid  # a series is all there or not at all
        with sqlite3.connect(store) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        srv.latency = 0
        r = run_cli("fetch", cwd=tmp_path)  # the kernel released the writer lock
        assert rows_by_series(store) == expected, r.stdout + r.stderr


def test_a_full_disk_leaves_the_series_as_it_was(tmp_path):
    store = Store(catalog(), tmp_path / "s.sqlite")
    stamp = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    small = pd.Series([4.1, 4.2], index=pd.to_datetime(["2026-09-01", "2026-10-01"]))
    store.merge_latest("UNRATE", "fredgraph", small, TODAY,
                       FetchRecord("UNRATE", "fredgraph", stamp, stamp, "ok"))
    before = content(tmp_path / "s.sqlite")
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages + 1}")  # the disk is now full
    big = pd.Series(range(5000), index=pd.date_range("2000-01-01", periods=5000),
                    dtype="float64")
    with pytest.raises(SourceError, match=r"could not write to the store.*full"):
        store.merge_latest("DGS2", "fredgraph", big, TODAY,
                           FetchRecord("DGS2", "fredgraph", stamp, stamp, "ok"))
    store.close()
    assert content(tmp_path / "s.sqlite") == before


@pytest.mark.slow
def test_a_busy_store_waits_then_names_who_holds_it(tmp_path):
    write_config(tmp_path, extra="")
    cfg = config(tmp_path)
    holder = open_store(cfg, catalog())
    with holder.writing():
        t0 = time.monotonic()
        r = run_cli("fetch", "--series", "UNRATE", cwd=tmp_path)
        waited = time.monotonic() - t0
    holder.close()
    assert r.returncode != 0
    assert f"pid {os.getpid()}" in r.stderr and "waited 5 s" in r.stderr
    assert waited >= 5
    assert r.stderr.count("\n") == 1


@pytest.mark.slow
def test_a_corrupt_store_is_a_clear_error(tmp_path):
    write_config(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "reportgen.sqlite").write_bytes(b"this is not a database" * 100)
    r = run_cli("indicators", cwd=tmp_path)
    assert r.returncode != 0
    assert "the store is damaged" in r.stderr and "reportgen.sqlite" in r.stderr


@pytest.mark.slow
def test_corrupted_pages_are_one_line_from_run_and_doctor(tmp_path):
    """The header is intact, so the file opens; the damage is found mid-run."""
    write_config(tmp_path)
    path = tmp_path / "data" / "reportgen.sqlite"
    stamp = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    with Store(catalog(), path) as store:
        for sid in ("DGS1", "DGS2"):
            values = pd.Series(4.0, index=pd.bdate_range("2000-01-03", "2026-11-20"))
            store.merge_latest(sid, "fredgraph", values, TODAY,
                               FetchRecord(sid, "fredgraph", stamp, stamp, "ok"))
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = bytearray(path.read_bytes())
    page = 4096
    for start in range(2 * page, len(raw) - page, 3 * page):  # every third page after two
        raw[start:start + page] = os.urandom(page)
    path.write_bytes(bytes(raw))
    for command in (["run", "--date", "2026-11-23"], ["run", "--offline"], ["indicators"]):
        r = run_cli(*command, cwd=tmp_path)
        assert r.returncode == 3, (command, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
        last = r.stderr.splitlines()[-1]
        assert last.startswith("reportgen: error: ") and "the store is damaged" in last
    d = run_cli("doctor", cwd=tmp_path)
    assert d.returncode == 1 and "Traceback" not in d.stderr + d.stdout
    line = next(x for x in d.stdout.splitlines() if x.startswith("FAIL  store"))
    assert "the store is damaged" in line


def test_a_store_of_schema_1_is_upgraded_in_place(tmp_path):
    path = tmp_path / "s.sqlite"
    stamp = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    with Store(catalog(), path) as store:
        store.merge_latest("UNRATE", "fredgraph", pd.Series(
            [4.1, 4.2], index=pd.to_datetime(["2026-09-01", "2026-10-01"])), TODAY,
            FetchRecord("UNRATE", "fredgraph", stamp, stamp, "ok"))
    with sqlite3.connect(path) as db:  # as reportgen 0.x wrote it
        db.execute("ALTER TABLE series DROP COLUMN failure")
        db.execute("UPDATE meta SET value='1' WHERE key='schema'")
    before = content(path)
    with Store(catalog(), path) as store:
        store.log_only(FetchRecord("UNRATE", "fredgraph", stamp, stamp, "error",
                                   message="FRED: UNRATE: gone", failure="retired"))
        assert store.state("UNRATE").failure == "retired"
    assert content(path) == before
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == ("3",)
