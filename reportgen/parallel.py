"""Run one function over many items on both cores.

Chart drawing and PDF layout use a fork-based pool, chosen deliberately: workers inherit
the already imported matplotlib and WeasyPrint instead of re-importing them (about 1.3 s
each under the spawn default that Python 3.14 adopts). Where fork does not exist, or
there is one item or one worker, the work runs inline.

Workers die with their parent, even one killed with SIGKILL that cannot close its pool:
on Linux the kernel sends them SIGKILL when it goes (prctl PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from reportgen import stops

T = TypeVar("T")
R = TypeVar("R")


PR_SET_PDEATHSIG = 1


def _worker_start(parent: int) -> None:
    """Workers must die on the SIGTERM the pool sends when it closes, whatever handler
    the parent installed (the scheduler's defers stopping): reset to the defaults. And
    they must not outlive a parent that is killed outright."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def fork_map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    if workers <= 1 or len(items) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(item) for item in items]
    ctx = multiprocessing.get_context("fork")
    pool = None
    try:
        with stops.held():  # a stop while forking is not lost, it lands just after
            pool = ctx.Pool(min(workers, len(items)), initializer=_worker_start,
                            initargs=(os.getpid(),))
        return pool.map(fn, items, chunksize=1)
    finally:
        if pool is not None:
            pool.terminate()
