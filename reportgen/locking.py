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


@contextlib.contextmanager
def file_lock(path: Path, timeout: float, busy: Callable[[str, float], ReportgenError],
              poll: float = 0.2) -> Iterator[None]:
    """Hold an exclusive lock on `path`, waiting up to `timeout` seconds (0: fail at once).

    `busy(holder, waited)` builds the error raised when the wait runs out.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as fh:
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
