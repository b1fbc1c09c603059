"""Benchmark the data-fog history: three years of weekly fog values from one snapshot.

Section 2 re-judges every key release at each Friday of the last three years (about 157
dates) on the data known then. Target: under 0.3 s on a 2-core machine (it was 0.5-3.6 s
when each date re-ran the single-date status). Runs on the bundled SYNTHETIC sample, or on
a store of your own with --store (e.g. one filled by `reportgen import`).

Usage: python -m bench.fog [--runs 5] [--as-of 2025-11-12] [--store data/reportgen.sqlite]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

from reportgen import PROJECT_ROOT
from reportgen.catalog import load_catalog
from reportgen.signals import fog
from reportgen.sources import sample_store
from reportgen.store import Store

TARGET_S = 0.3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 20))
    parser.add_argument("--store", type=Path, help="an on-disk store instead of the sample")
    args = parser.parse_args()
    catalog = load_catalog(PROJECT_ROOT / "catalogs")
    store = Store(catalog, args.store) if args.store else sample_store(catalog)
    with store:
        snapshot = store.snapshot(args.as_of)
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        history = fog.fog_history(snapshot)
        times.append(time.perf_counter() - t0)
    best, median = min(times), statistics.median(times)
    print(f"fog history as of {args.as_of}: {len(history)} dates, best {best:.3f} s, "
          f"median {median:.3f} s (target {TARGET_S} s)")
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
