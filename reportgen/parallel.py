"""Workers: charts and PDFs on both cores, in processes that start warm.

Importing matplotlib and WeasyPrint costs about 2.5 s of CPU, and a build's own process
needs neither (it computes with pandas and fills templates with Jinja). So the workers
come from a *fork server* started as a build begins (`start`): a separate process that
imports matplotlib and/or WeasyPrint, loads the fonts once, and then forks each worker
from that warm state, while the build's process reads the content and computes the
signals on the other core. The start method is chosen deliberately (Python 3.14 makes
forkserver the default on Linux, without the preloading): workers never re-import
anything and never inherit the build's memory.

Tasks are submitted in order (charts, then PDFs) to one pool. A PDF task that starts
before the last of its charts is drawn waits for the file (`reportgen.render`), so both
workers stay busy from the first chart to the last PDF. Where forkserver does not exist,
or with one worker, tasks run inline in the build's process.

The backtest is the one exception: its workers must share the store it preloaded, so
`fork_map` forks the process itself (copy-on-write) instead of a warm server.

Workers die with the build, even one killed with SIGKILL that cannot close its pool: on
Linux the kernel sends them SIGKILL when their parent goes (prctl PR_SET_PDEATHSIG), and
the fork server leaves as soon as the build's end of its pipe closes.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from reportgen import stops

T = TypeVar("T")
R = TypeVar("R")

# What each worker duty needs loaded: modules the fork server imports before forking.
PRELOAD = {"charts": "reportgen.warm.charts", "pdf": "reportgen.warm.pdf"}


PR_SET_PDEATHSIG = 1


def _worker_init(build: int) -> None:
    """Workers must die on the SIGTERM the pool sends when it closes, whatever handler
    the parent installed (the scheduler's defers stopping): reset to the defaults. And
    they must not outlive their parent (the build, or the fork server that goes with it)
    when it is killed outright."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent or not _alive(build):  # gone before the line above took hold
        os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, but not ours to signal
        pass
    return True


def call(target_and_item: tuple[str, Any]) -> Any:
    """Run 'package.module:function' on an item in a worker. Tasks name their function
    instead of pickling it, so the build's process never imports matplotlib or WeasyPrint
    just to hand work over."""
    target, item = target_and_item
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)(item)


def available() -> bool:
    return "forkserver" in multiprocessing.get_all_start_methods()


def start(duties: Sequence[str]) -> None:
    """Start the fork server now, importing what `duties` ('charts', 'pdf') need, so its
    imports overlap the build's own work. A server already running (an earlier build in
    this process) is kept: its workers load anything else on first use."""
    if not available() or not duties:
        return
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([PRELOAD[d] for d in duties])
    forkserver.ensure_running()
    global _STOP_REGISTERED
    if not _STOP_REGISTERED:
        atexit.register(_stop_server)
        _STOP_REGISTERED = True


_STOP_REGISTERED = False


def _stop_server() -> None:
    """At exit, end the fork server at once: it may still be importing (a build that found
    everything in the cache needed no worker), and it holds the command's output open."""
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    if pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)


class Task:
    """A submitted piece of work; `get()` returns its result or raises its error."""

    def __init__(self, result: Any = None, error: BaseException | None = None,
                 done: bool = True) -> None:
        self._result, self._error = result, error
        self._handed = threading.Event()
        self._pending: Any = None
        if done:
            self._handed.set()

    def _hand(self, pending: Any = None, error: BaseException | None = None) -> None:
        self._pending, self._error = pending, error
        self._handed.set()

    def get(self) -> Any:
        self._handed.wait()
        if self._pending is not None:
            return self._pending.get()
        if self._error is not None:
            raise self._error
        return self._result


class Workers:
    """A pool of `n` warm workers (or inline work when n <= 1 or forkserver is missing).

    The pool is created in a background thread, because a worker can only be forked once
    the fork server has finished loading: the build goes on (comparing with the last
    issue, writing the HTML) while it does, and the tasks, queued in order, are handed
    over as soon as it is up. Use as a context manager: leaving it normally waits for the
    workers; leaving it with an error terminates them, so a PDF waiting for a chart that
    will never come dies too.
    """

    def __init__(self, n: int, duties: Sequence[str] = ()) -> None:
        self.n, self.duties = n, list(duties)
        self._pool: Any = None
        self._queue: queue.SimpleQueue[tuple[Any, Any, Task] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def submit(self, fn: Callable[[T], R], item: T) -> Task:
        if self.n <= 1 or not available():
            try:
                return Task(fn(item))
            except Exception as exc:
                return Task(error=exc)
        if self._thread is None:
            self._thread = threading.Thread(target=self._hand_over, daemon=True,
                                             name="reportgen-workers")
            self._thread.start()
        task = Task(done=False)
        self._queue.put((fn, item, task))
        return task

    def _hand_over(self) -> None:
        error = None
        try:
            start(self.duties)  # unless started already, with what this build needs
            ctx = multiprocessing.get_context("forkserver")
            with stops.held():  # a stop while forking is not lost, it lands just after
                self._pool = ctx.Pool(self.n, initializer=_worker_init,
                                      initargs=(os.getpid(),))
        except BaseException as exc:  # handed to every task's get()
            error = exc
        while (entry := self._queue.get()) is not None:
            fn, item, task = entry
            if error is not None:
                task._hand(error=error)
            else:
                task._hand(pending=self._pool.apply_async(fn, (item,)))

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join()
        self._thread = None
        if self._pool is None:
            return
        if exc_type is None:
            self._pool.close()
        else:
            self._pool.terminate()
        self._pool.join()
        self._pool = None


def forked(fn: Callable[[], R]) -> Callable[[], R]:
    """Start `fn` in a forked copy of this process, now; returns a function that waits
    for its result (or raises its error). For work the build's own process would do next
    but does not need yet: it runs on the other core meanwhile. Inline where fork does
    not exist; and inline again, when asked, if the copy died without an answer."""
    if "fork" not in multiprocessing.get_all_start_methods():
        result = fn()
        return lambda: result
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: compute, hand the result over, leave without cleaning up
        code = 0
        try:
            if sys.platform.startswith("linux"):  # not a minute longer than the build
                ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL,
                                                        0, 0, 0)
            os.close(read)
            try:
                data = pickle.dumps((True, fn()))
            except BaseException as exc:
                try:
                    data = pickle.dumps((False, exc))
                except Exception:
                    data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
            with os.fdopen(write, "wb") as out:
                out.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)

    def wait() -> R:
        with os.fdopen(read, "rb") as src:
            data = src.read()
        os.waitpid(pid, 0)
        if not data:  # killed (out of memory, say): do it here after all
            return fn()
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value

    return wait


def warm_map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """`fn` over `items` on warm workers, results in order (first error raised)."""
    with Workers(min(workers, len(items))) as pool:
        tasks = [pool.submit(fn, item) for item in items]
        return [t.get() for t in tasks]


def fork_map(fn: Callable[[T], R], items: Sequence[T], workers: int) -> list[R]:
    """`fn` over `items` in forked copies of this process, results in order: for work
    that needs what this process holds in memory (the backtest's preloaded store)."""
    if workers <= 1 or len(items) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(item) for item in items]
    ctx = multiprocessing.get_context("fork")
    pool = None
    try:
        with stops.held():  # a stop while forking is not lost, it lands just after
            pool = ctx.Pool(min(workers, len(items)), initializer=_worker_init,
                            initargs=(os.getpid(),))
        return pool.map(fn, items, chunksize=1)
    finally:
        if pool is not None:
            pool.terminate()
