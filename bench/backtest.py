"""Benchmark the backtest: every Wednesday from July 2018 re-read on the data known then.

`reportgen backtest` replays the whole analysis at about 440 dates. Target on a 2-core
machine: under 60 s for the whole history from nothing, and under 1 s to add a week to a
stored table (what a weekly build does). Runs on the bundled SYNTHETIC sample, or on a
workspace of your own with --config (e.g. one filled by `reportgen import`).

Usage: python -m bench.backtest [--config reportgen.toml] [--workers 2] [--to 2026-11-25]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

from reportgen import PROJECT_ROOT, backtest, sources
from reportgen.config import Config, load_config, with_overrides
from reportgen.pipeline import backtest_folder, load_content, run_backtest, with_history

TARGET_S, TARGET_WEEK_S = 60.0, 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "tests" / "reportgen.toml")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--to", type=dt.date.fromisoformat, default=dt.date(2026, 11, 25))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = with_overrides(load_config(args.config), workers=args.workers,
                                output_dir=str(Path(tmp) / "output"))
        t0, cpu0 = time.perf_counter(), _cpu()
        _, table, _ = run_backtest(config, None, args.to, 7, None)
        whole, cpu = time.perf_counter() - t0, _cpu() - cpu0
        week = _add_a_week(config, table, args.to)
    n = len(table.rows)
    print(f"backtest to {args.to}: {n} readings in {whole:.1f} s wall "
          f"({1000 * whole / n:.0f} ms each, {cpu:.1f} s CPU over {args.workers} worker(s)), "
          f"target {TARGET_S:.0f} s")
    print(f"adding the last week to a stored table: {week:.2f} s (target {TARGET_WEEK_S} s)")
    print(f"peak memory of the largest process: {_peak_mb():.0f} MB")
    return 0 if whole < TARGET_S and week < TARGET_WEEK_S else 1


def _add_a_week(config: Config, table: backtest.Table, day: dt.date) -> float:
    """What a weekly build does when the stored table lacks its week: one reading, read
    from SQLite as the build reads it."""
    folder = backtest_folder(config)
    backtest.save(folder, dataclasses.replace(table, rows=table.rows[:-1]), {})
    content = load_content(config, config.report.languages[:1])
    store = sources.gather(config, content.catalog, day, fetch=False).store
    try:
        snapshot = store.snapshot(day, config.data.stale_after_days)
        t0 = time.perf_counter()
        with_history(config, content, store, snapshot)
        return time.perf_counter() - t0
    finally:
        store.close()


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_mb() -> float:
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


if __name__ == "__main__":
    raise SystemExit(main())
