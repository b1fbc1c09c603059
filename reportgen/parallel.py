"""Run one function over many items on both cores.

Chart drawing and PDF layout use a fork-based pool, chosen deliberately: workers inherit
the already imported matplotlib and WeasyPrint instead of re-importing them (about 1.3 s
each under the spawn default that Python 3.14 adopts). Where fork does not exist, or
there is one item or one worker, the work runs inline.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def _default_signals() -> None:
    """Workers must die on the SIGTERM the pool sends when it closes, whatever handler
    the parent installed (the scheduler's defers stopping): reset to the defaults."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def fork_map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    if workers <= 1 or len(items) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(item) for item in items]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(min(workers, len(items)), initializer=_default_signals) as pool:
        return pool.map(fn, items, chunksize=1)
