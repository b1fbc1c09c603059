"""Faults on the output side, with real processes: SIGTERM and SIGKILL at each stage of a
run (charts, PDF, publish), worker processes outliving their parent, unwritable or
misnamed output folders, and dates out of range. Whatever happens, the published issue is
the earlier build or the new one, complete, and nothing is left behind for long."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reportgen import PROJECT_ROOT, publish
from reportgen.config import load_config, with_overrides
from reportgen.errors import EXIT_TERMINATED
from reportgen.pipeline import build
from tests.conftest import ISSUE_DATE, SAMPLE_CONFIG, one_worker_at_a_time, run_cli

DATE = ISSUE_DATE.isoformat()
EN_PDF = f"reportgen-{DATE}-en.pdf"
EN_HTML = f"reportgen-{DATE}-en.html"
# The run under attack: two languages and two workers, so charts and PDFs use the pool.
RUN = ["run", "--date", DATE, "--lang", "en,zh-Hant", "--format", "pdf,html",
       "--workers", "2", "--no-cache"]
# A cheaper run for what happens at publication.
RUN_HTML = ["run", "--date", DATE, "--lang", "en", "--format", "html", "--workers", "1"]


@pytest.fixture(scope="module")
def earlier(tmp_path_factory) -> Path:
    """A real earlier build of the same date (English, PDF and HTML), to be replaced."""
    out = tmp_path_factory.mktemp("earlier")
    config = with_overrides(load_config(SAMPLE_CONFIG), output_dir=str(out),
                            languages=["en"], workers=1)
    with one_worker_at_a_time(tmp_path_factory, "earlier"):
        return build(config, ISSUE_DATE).folder


@pytest.fixture
def workspace(tmp_path, earlier) -> Path:
    """A config folder whose output holds the earlier build; the run's cwd."""
    (tmp_path / "reportgen.toml").write_text(
        '[report]\noutput_dir = "out"\n[data]\nsource = "sample"\n[paths]\n'
        + "".join(f'{k} = "{PROJECT_ROOT / k}"\n'
                  for k in ("templates", "charts", "catalogs", "locales")), encoding="utf-8")
    shutil.copytree(earlier, tmp_path / "out" / DATE)
    return tmp_path


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file()}


def start(workspace: Path, *args: str, code: str | None = None) -> subprocess.Popen:
    cmd = ([sys.executable, "-c", code] if code else [sys.executable, "-m", "reportgen"])
    return subprocess.Popen([*cmd, *args], cwd=workspace, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def children(pid: int) -> list[int]:
    """Worker processes of `pid` (read from /proc, as ps would): its descendants running
    Python (the fork server, the workers it forks, a forked copy of the build), not helpers
    it runs (ctypes runs gcc to find libraries)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            parents[int(stat.parent.name)] = int(text[text.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            continue
    found, frontier = [], {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        for child in sorted(frontier):
            try:
                argv0 = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if argv0 == os.fsencode(sys.executable):
                found.append(child)
    return found


def gone(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return text[text.rindex(")") + 2] in "ZX"  # a zombie has stopped running


def wait_for(what, timeout: float = 120, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the run ended (exit {proc.returncode}) before the stage: "
                        f"{proc.stderr.read()}")
        time.sleep(0.05)
    pytest.fail("the stage never came")


def staged(out: Path) -> list[Path]:
    return list(out.glob(".staging-*"))


def in_stage(out: Path, pid: int, stage: str):
    """The pool's workers, once the run draws charts or lays out PDFs with them (the same
    children twice in a row: a helper between fork and exec looks like a worker too)."""
    seen: list[list[int]] = [[]]

    def busy() -> bool:
        for folder in staged(out):
            charts = list((folder / "charts").glob("*")) if (folder / "charts").is_dir() else []
            printing = list(folder.glob(".*.print.html"))
            # the HTML is written while the charts are drawn: the first few charts it is
            if stage == "charts" and 0 < len(charts) < 10:
                return True
            if stage == "pdf" and len(printing) == 2 and not list(folder.glob("*.pdf")):
                return True
        return False

    def check() -> list[int]:
        now = children(pid) if busy() else []
        stable = now if now and now == seen[0] else []
        seen[0] = now
        return stable
    return check


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["charts", "pdf"])
def test_sigterm_at_a_stage_publishes_nothing_and_stops_the_workers(workspace, stage):
    out = workspace / "out"
    before = files(out / DATE)
    proc = start(workspace, *RUN)
    workers = wait_for(in_stage(out, proc.pid, stage), proc=proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == EXIT_TERMINATED
    lines = [line for line in proc.stderr.read().splitlines() if line.strip()]
    assert lines == ["reportgen: stopped by SIGTERM; nothing was published"]
    assert files(out / DATE) == before
    assert not staged(out)
    wait_for(lambda: all(gone(w) for w in workers), timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["charts", "pdf"])
def test_sigkill_at_a_stage_takes_the_workers_along_and_the_next_run_cleans_up(workspace,
                                                                              stage):
    out = workspace / "out"
    before = files(out / DATE)
    proc = start(workspace, *RUN)
    workers = wait_for(in_stage(out, proc.pid, stage), proc=proc)
    proc.kill()
    proc.wait(timeout=30)
    # At once, not when the task in hand is done (a PDF takes seconds): PR_SET_PDEATHSIG.
    wait_for(lambda: all(gone(w) for w in workers), timeout=2)
    assert files(out / DATE) == before
    assert len(staged(out)) == 1  # left by the dead run
    r = run_cli("publish", "--force", cwd=workspace)  # starts by cleaning up
    assert r.returncode == 0, r.stderr
    assert not staged(out)
    publish.verify(out / DATE)


# Runs reportgen with the exchange of publication slowed down, before or after the real
# exchange, so that a signal can be sent right then; the marker file says when.
SLOW_EXCHANGE = """
import pathlib, sys, time
import reportgen.publish as p
real, marker, when = p.exchange, pathlib.Path(sys.argv[1]), sys.argv[2]
def slow(a, b):
    if when == "before":
        marker.touch(); time.sleep(3)
    done = real(a, b)
    if when == "after":
        marker.touch(); time.sleep(30)
    return done
p.exchange = slow
from reportgen.cli import main
sys.exit(main(sys.argv[3:]))
"""


@pytest.mark.slow
def test_sigterm_during_the_exchange_finishes_it_then_stops(workspace):
    out, marker = workspace / "out", workspace / "marker"
    proc = start(workspace, str(marker), "before", *RUN_HTML, code=SLOW_EXCHANGE)
    wait_for(marker.exists, proc=proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == EXIT_TERMINATED
    assert proc.stderr.read().strip() == (
        "reportgen: stopped by SIGTERM; the output was switched to the new build just "
        f"before ({out / DATE})")
    publish.verify(out / DATE)
    assert not (out / DATE / EN_PDF).exists(), "the earlier build's PDF is still there"
    assert not staged(out)


@pytest.mark.slow
@pytest.mark.parametrize("when", ["before", "after"])
def test_sigkill_at_the_exchange_leaves_one_whole_build(workspace, when):
    out, marker = workspace / "out", workspace / "marker"
    before = files(out / DATE)
    proc = start(workspace, str(marker), when, *RUN_HTML, code=SLOW_EXCHANGE)
    wait_for(marker.exists, proc=proc)
    proc.kill()
    proc.wait(timeout=30)
    publish.verify(out / DATE)
    if when == "before":
        assert files(out / DATE) == before
    else:
        assert not (out / DATE / EN_PDF).exists() and (out / DATE / EN_HTML).exists()
    assert len(staged(out)) == 1  # the new build before, or the earlier one after
    assert run_cli("publish", "--force", cwd=workspace).returncode == 0
    assert not staged(out)


@pytest.mark.slow
def test_sigkill_at_the_site_switch_leaves_a_site(workspace):
    """Killed between renaming the new link over output/site and removing the old
    version: the site is there (the new one), and the next publish removes the old."""
    out, marker = workspace / "out", workspace / "marker"
    assert run_cli("publish", "--force", cwd=workspace).returncode == 0
    first = os.readlink(out / "site")
    code = """
import os, pathlib, sys, time
marker, real = pathlib.Path(sys.argv[1]), os.replace
def slow(src, dst):
    real(src, dst)
    if pathlib.Path(dst).name == "site":
        marker.touch(); time.sleep(30)
os.replace = slow
from reportgen.cli import main
sys.exit(main(sys.argv[2:]))
"""
    proc = start(workspace, str(marker), "publish", "--force", code=code)
    wait_for(marker.exists, proc=proc)
    proc.kill()
    proc.wait(timeout=30)
    assert (out / "site" / "index.html").is_file() and os.readlink(out / "site") != first
    assert (out / first).is_dir()  # the old version was not removed yet
    assert run_cli("publish", "--force", cwd=workspace).returncode == 0
    assert not (out / first).exists()
    assert [p.name for p in out.glob(".site*")] == [os.readlink(out / "site")]


@pytest.mark.slow
def test_a_rerun_in_fewer_formats_leaves_no_stale_file_to_send(workspace):
    """The earlier build had a PDF; the re-run was HTML only: the PDF goes with it, and
    `send` says what to do instead of mailing last week's numbers."""
    out = workspace / "out"
    r = run_cli(*RUN_HTML, "--quiet", cwd=workspace)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (out / DATE).iterdir() if p.suffix in (".pdf", ".html")) == [
        EN_HTML]
    publish.verify(out / DATE)
    r = run_cli("send", "--date", DATE, "--to", "a@example.org", "--force", cwd=workspace)
    assert r.returncode == 5
    assert r.stderr.strip() == (f"reportgen: error: {out / DATE}: no en PDF in this issue; "
                                f"rebuild it with `reportgen run --date {DATE} --lang en`")


# ---------------------------------------------------------------- one-line errors

def one_line(r: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == code, r.stderr
    assert len(lines) == 1 and lines[0].startswith("reportgen: error:"), r.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(("args", "fragments"), [
    (["run", "--date", "9999-12-31"], ["--date 9999-12-31: out of range", "1990-01-01"]),
    (["run", "--date", "1900-01-01"], ["--date 1900-01-01: out of range"]),
    (["run", "--as-of", "1989-12-31"], ["--as-of 1989-12-31: out of range"]),
    (["run", "--date", "2026-11-16", "--as-of", DATE],
     [f"--as-of {DATE} is later than the issue date 2026-11-16"]),
    (["send", "--date", "9999-12-31"], ["--date 9999-12-31: out of range"]),
    (["charts", "--date", "1900-01-01"], ["--date 1900-01-01: out of range"]),
])
@pytest.mark.slow
def test_dates_out_of_range_are_refused(workspace, args, fragments):
    out = workspace / "out"
    before = files(out)
    one_line(run_cli(*args, cwd=workspace), 2, *fragments)
    assert files(out) == before


@pytest.mark.slow
@pytest.mark.parametrize("command", [["run"], ["send", "--to", "a@example.org"], ["publish"],
                                     ["charts"], ["serve"]])
def test_an_output_that_is_a_file_is_refused(workspace, command):
    blocker = workspace / "a-file"
    blocker.write_text("not a folder")
    one_line(run_cli(*command, "--output", str(blocker), cwd=workspace), 2,
             f"{blocker}: is an existing file, not a folder")
    assert blocker.read_text() == "not a folder"


def as_owner_only(*args: str) -> list[str]:
    """The command, run so that file modes bind it (root would pass through them)."""
    if os.geteuid() != 0:
        return list(args)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("setpriv (util-linux) is needed to test permissions as root")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--", *args]


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "command"), [(0o000, RUN_HTML), (0o555, RUN_HTML),
                                               (0o555, ["publish", "--force"])])
def test_an_output_folder_that_cannot_be_written_is_one_line(workspace, mode, command):
    out = workspace / "out"
    (out / ".reportgen.lock").touch()  # used before: the lock opens, the build goes on
    before = files(out)
    out.chmod(mode)
    try:
        r = subprocess.run(as_owner_only(sys.executable, "-m", "reportgen", *command),
                           cwd=workspace, capture_output=True, text=True, timeout=600)
    finally:
        out.chmod(0o755)
    one_line(r, 5, f"{out}: cannot write to the output folder (Permission denied)",
             "--output")
    assert files(out) == before
    assert not staged(out) and not list(out.glob(".site*"))


def test_a_stop_while_the_pool_forks_its_workers_is_not_lost():
    """CPython drops an exception that a signal handler raises inside an at-fork hook (a
    real SIGTERM landed in logging's): the pool holds stops while it forks. And the pool,
    stopped at once, must not hang on a worker that has not set its own handlers yet."""
    code = """
import os, signal, sys
from reportgen.errors import Terminated
from reportgen.parallel import fork_map
def stop(signum, frame):
    raise Terminated("SIGTERM")
signal.signal(signal.SIGTERM, stop)
armed = [False]
def hook():  # the signal arrives while the interpreter runs its at-fork hooks
    if armed[0]:
        armed[0] = False
        os.kill(os.getpid(), signal.SIGTERM)
os.register_at_fork(after_in_parent=hook)
for attempt in range(60):
    armed[0] = True
    try:
        fork_map(abs, [-1, -2, -3], 2)
    except Terminated:
        continue
    sys.exit(f"the stop was lost at attempt {attempt}: the pool ran to the end")
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Exception ignored" not in r.stderr
