"""Benchmark fetching the whole catalog against loopback servers with realistic latency.

The servers (tests/fakes.py) answer exactly as FRED's API, fredgraph and the New York Fed
do, each request delayed by `--latency` seconds, and refuse more than FRED's 2 requests a
second with 429. The catalog's FRED and New York Fed series are served from the bundled
SYNTHETIC sample. Prints, with an API key and without: the wall time and requests of a cold
fetch into an empty store and of a warm (incremental) fetch right after it.

Usage: python -m bench.fetch [--latency 0.15] [--only-key | --only-keyless]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from reportgen import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "tests"))

from fakes import FakeFred
from live import catalog, fred_data, nyfed_world, write_config

from reportgen.config import load_config
from reportgen.sources import open_store
from reportgen.sources.fetch import Fetcher, Services, source_today


def one_fetch(cfg_path: Path) -> tuple[float, int, int, int]:
    cfg = load_config(cfg_path)
    t0 = time.perf_counter()
    with open_store(cfg, catalog()) as store:
        report = Fetcher(cfg, catalog(), store, Services.from_config(cfg),
                         source_today()).run()
    seconds = time.perf_counter() - t0
    return seconds, report.total_requests, sum(report.written.values()), len(report.failed)


def scenario(key: bool, latency: float) -> None:
    fred_ids = [i.id for i in catalog().indicators.values() if i.source == "fred"]
    with (tempfile.TemporaryDirectory() as folder,
          FakeFred(fred_data(fred_ids)) as fred, nyfed_world(since="2016-03-01") as ny):
        for srv in (fred, ny):
            srv.latency = latency
        fred.max_per_second, fred.max_per_minute = 2, 120
        cfg = write_config(Path(folder), fred, ny, key=None if not key else
                           "abcdefghijklmnopqrstuvwxyz123456", per_second=1.8)
        text = cfg.read_text().replace("fred_per_minute = 100000", "fred_per_minute = 120")
        cfg.write_text(text.replace("timeout = 2\n", "timeout = 20\n"))
        label = "with an API key (fredapi, vintages)" if key else "without a key (fredgraph CSV)"
        print(f"\n{len(fred_ids)} FRED series {label}, 9 New York Fed series, "
              f"{latency * 1000:.0f} ms a request, FRED limited to 2 requests/s:")
        for name in ("cold fetch (empty store)", "warm fetch (nothing new)"):
            seconds, requests, rows, failed = one_fetch(cfg)
            print(f"  {name:<26} {seconds:6.1f} s  {requests:4d} requests  "
                  f"{rows:7d} rows written  {failed} failed")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--latency", type=float, default=0.15)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--only-key", action="store_true")
    group.add_argument("--only-keyless", action="store_true")
    args = p.parse_args()
    if not args.only_keyless:
        scenario(True, args.latency)
    if not args.only_key:
        scenario(False, args.latency)
    return 0


if __name__ == "__main__":
    sys.exit(main())
