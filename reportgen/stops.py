"""Stop signals (SIGINT, SIGTERM) held over the moments that must not be cut in two.

Two such moments: switching published output to a new build (a stop lands before or after
the switch, never inside it), and forking worker processes (CPython drops, with an
"Exception ignored" message, an exception a signal handler raises while the interpreter
runs its at-fork hooks; the stop would be lost).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

STOPS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Catch and record stop signals during the body, then hand them to the handlers
    they were meant for (or the system's default action).

    They are also blocked in this thread, so that a child forked meanwhile starts with
    them blocked: a SIGTERM sent to it stays pending until it has set its own handlers
    (parallel._worker_start) instead of landing in the recorder it inherited.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers, and only it runs them
        return
    caught: list[int] = []
    before = {s: signal.signal(s, lambda signum, _frame: caught.append(signum)) for s in STOPS}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # pending ones: to the recorder
        for signum, handler in before.items():
            signal.signal(signum, handler)
        if caught:
            deliver(caught[0], before[caught[0]])


def deliver(signum: int, handler: Any) -> None:
    """Hand a held signal to its handler, or to the system's default action."""
    if callable(handler):
        handler(signum, None)
    elif handler != signal.SIG_IGN:
        signal.raise_signal(signum)
