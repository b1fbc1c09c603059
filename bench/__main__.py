"""Benchmark a full run (3 languages x 2 formats) on the bundled sample.

Prints wall time per stage and the peak resident memory of the whole process tree
(the parent plus its chart and PDF workers, sampled every 20 ms from /proc).
Targets on a 2-core machine: under 12 s and under 700 MB.

Usage: python -m bench [--runs N] [--workers N] [--pdf-charts svg,png]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

T0 = time.perf_counter()
from reportgen import PROJECT_ROOT  # noqa: E402
from reportgen.config import load_config, with_overrides  # noqa: E402
from reportgen.pipeline import build  # noqa: E402

IMPORT_S = time.perf_counter() - T0
TARGET_S, TARGET_MB = 12.0, 700.0


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


class PeakMemory(threading.Thread):
    """Samples the summed RSS of this process and its descendants."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(p) for p in _tree(os.getpid())))
            time.sleep(0.02)

    def stop(self) -> int:
        self._halt.set()
        self.join()
        return self.peak_kb


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--pdf-charts", default="svg",
                   help="comma-separated chart formats to compare inside the PDF (svg,png)")
    args = p.parse_args()
    for variant in args.pdf_charts.split(","):
        run_variant(args, variant.strip())
    return 0


def run_variant(args: argparse.Namespace, pdf_charts: str) -> None:
    base = load_config(PROJECT_ROOT / "reportgen.toml")
    base = replace(base, data=replace(base.data, source="sample"))
    print(f"\nreportgen benchmark: 3 languages x 2 formats, sample data, {os.cpu_count()} cores,"
          f" {pdf_charts.upper()} charts in the PDF")
    print(f"import reportgen + pandas/matplotlib/jinja2: {IMPORT_S:.2f} s")
    totals, peaks, stages = [], [], {}
    for i in range(args.runs):
        with tempfile.TemporaryDirectory() as out:
            cfg = with_overrides(base, output_dir=out, workers=args.workers,
                                 languages=["en", "zh-Hant", "zh-Hans"], formats=["pdf", "html"],
                                 pdf_charts=pdf_charts)
            sampler = PeakMemory()
            sampler.start()
            result = build(cfg, dt.date(2026, 11, 23))
            peak = sampler.stop() / 1024
            sizes = {f.name: f.stat().st_size for f in Path(result.folder).glob("*.pdf")}
        totals.append(result.seconds)
        peaks.append(peak)
        for k, v in result.timings.items():
            stages.setdefault(k, []).append(v)
        print(f"run {i + 1}: {result.seconds:.2f} s, peak {peak:.0f} MB")
    print("\nstage (median of runs)        seconds")
    for k, v in stages.items():
        print(f"  {k:<28} {statistics.median(v):6.2f}")
    total, peak = statistics.median(totals), max(peaks)
    print(f"  {'total build':<28} {total:6.2f}   (+ {IMPORT_S:.2f} s imports)")
    print("\nPDF sizes: " + ", ".join(f"{n.rsplit('-', 1)[-1] if 'zh' not in n else n[-11:]}"
                                     f" {s / 1e6:.2f} MB" for n, s in sorted(sizes.items())))
    print(f"peak memory (process tree): {peak:.0f} MB")
    ok_t = total + IMPORT_S < TARGET_S
    ok_m = peak < TARGET_MB
    print(f"\ntarget wall < {TARGET_S:.0f} s: {'met' if ok_t else 'MISSED'}; "
          f"target memory < {TARGET_MB:.0f} MB: {'met' if ok_m else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
