"""Advisory file locks that say who holds them.

Used for the run lock (one build at a time per output folder) and the store's writer lock
(one fetch or import at a time per database). The kernel releases a lock when its process
dies, so a killed run never leaves a stale lock behind; the holder writes its pid, command
and start time into the file so that whoever waits can be told who is in the way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from reportgen.errors import ReportgenError


def _holder_text() -> str:
    command = " ".join(os.path.basename(a) if i == 0 else a
                       for i, a in enumerate(sys.argv[:3])) or "python"
    return (f"pid {os.getpid()} ({command}) since "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC")


def _cannot_open(path: Path, exc: OSError) -> ReportgenError:
    return ReportgenError(f"{path}: cannot open the lock file ({exc.strerror}); check the "
                          "folder's permissions")


@contextlib.contextmanager
def file_lock(path: Path, timeout: float, busy: Callable[[str, float], ReportgenError],
              poll: float = 0.2,
              unusable: Callable[[Path, OSError], ReportgenError] = _cannot_open
              ) -> Iterator[None]:
    """Hold an exclusive lock on `path`, waiting up to `timeout` seconds (0: fail at once).

    `busy(holder, waited)` builds the error raised when the wait runs out;
    `unusable(path, exc)` the one raised when the lock file cannot be created at all.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        opened = path.open("a+")
    except OSError as exc:
        raise unusable(path, exc) from None
    with opened as fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    raise busy(fh.read().strip() or "another process", timeout) from None
                time.sleep(poll)
        fh.seek(0)
        fh.truncate()
        fh.write(_holder_text())
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fh.flush()
            fcntl.flock(fh, fcntl.LOCK_UN)


def process_alive(pid: int, since: float | None = None) -> bool:
    """Whether process `pid` still runs and could be the one that made a thing at `since`
    (a Unix time): a process that started later only reuses a dead owner's number."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    except OverflowError:
        return False
    state, started = _proc_stat(pid)
    if state in ("Z", "X"):
        return False  # a zombie is dead; only its exit status is waiting to be read
    return not (since is not None and started is not None and started > since + 1)


def _proc_stat(pid: int) -> tuple[str | None, float | None]:
    """State letter and start time (Unix time) of a process, from Linux's /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(float(line.split()[1]) for line in
                    Path("/proc/stat").read_text().splitlines() if line.startswith("btime "))
        fields = stat[stat.rindex(")") + 2:].split()
        return fields[0], boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None, None
