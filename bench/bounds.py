"""Benchmark the bounds on work: `reportgen import` of a huge file, a server that drips,
and a huge answer.

- import: writes a CSV of `--rows` rows (default 10 million; FRED's download layout,
  `observation_date,DGS2`, dates cycling over 1990-2026 with one value each, so the file
  is the same 13,000 observations over and over, 230 MB), runs `reportgen import` on it in
  a subprocess and prints its wall time and peak resident memory (target: under 300 MB).
- drip: a loopback server that sends one byte a second; prints how long `reportgen fetch`
  of one series takes with `data.timeout = 3` and no retries (target: about 3 s plus
  start-up, not minutes).
- huge: a loopback server that answers 300 MB; prints the time and the peak memory of a
  fetch refused by `data.max_response_mb` (default 32).

Usage: python -m bench.bounds [--rows 10000000] [--skip-import] [--skip-network]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from reportgen import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "tests"))

from live import write_config

TARGET_MB = 300.0


def write_rows(path: Path, rows: int) -> None:
    """`rows` lines of FRED's CSV layout, the same 1990-2026 daily history repeated."""
    start, days = dt.date(1990, 1, 1), (dt.date(2026, 6, 30) - dt.date(1990, 1, 1)).days
    dates = [(start + dt.timedelta(days=i)).isoformat() for i in range(days)]
    values = [f"{3 + (i % 977) / 100:.2f}" for i in range(days)]
    block = "".join(f"{d},{v}\n" for d, v in zip(dates, values, strict=True))
    with path.open("w", encoding="utf-8") as out:
        out.write("observation_date,DGS2\n")
        whole, rest = divmod(rows, days)
        for _ in range(whole):
            out.write(block)
        out.write("".join(f"{d},{v}\n" for d, v in zip(dates[:rest], values[:rest],
                                                         strict=True)))


def child_peak_mb(cmd: list[str], cwd: Path, limit: float = 600.0
                  ) -> tuple[float, float, str]:
    """Wall time, peak RSS (MB) and output of one child process, killed after `limit` s."""
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    timer = threading.Timer(limit, child.kill)
    timer.start()
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    timer.cancel()
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t0
    if child.returncode == -9:
        out = f"killed after {limit:.0f} s " + out
    return seconds, usage.ru_maxrss / 1024, out.strip()


def bench_import(rows: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        write_config(work)
        big = work / "DGS2.csv"
        write_rows(big, rows)
        size = big.stat().st_size / 1e6
        seconds, peak, said = child_peak_mb(
            [sys.executable, "-m", "reportgen", "import", str(big)], work)
        verdict = "OK" if peak < TARGET_MB else "OVER TARGET"
        print(f"import of {rows:,} rows ({size:.0f} MB): {seconds:.1f} s, peak "
              f"{peak:.0f} MB RSS (target < {TARGET_MB:.0f} MB): {verdict}")
        print("  " + said[:200])


class _Drip:
    """A TCP server that answers HTTP headers then one byte a second, forever."""

    def __init__(self, huge: int = 0) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.huge = huge
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            if self.huge:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\r\n"
                             b"observation_date,DGS2\n")
                line = b"2026-01-02,4.00\n" * 4096
                for _ in range(self.huge // len(line)):
                    conn.sendall(line)
                return
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n"
                         b"Content-Length: 100000\r\n\r\n")
            while not self.stop.wait(1.0):
                conn.sendall(b"o")
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def bench_network() -> None:
    for name, server in (("drip (1 byte/s)", _Drip()), ("huge (300 MB)", _Drip(300 << 20))):
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            cfg = write_config(work, key=None)
            text = cfg.read_text().replace("http://127.0.0.1:9/graph/fredgraph.csv",
                                           server.url + "/fredgraph.csv")
            cfg.write_text(text.replace("timeout = 2\n", "timeout = 3\n")
                           .replace("retries = 2\n", "retries = 0\n"))
            fetch = [sys.executable, "-m", "reportgen", "fetch", "--series", "DGS2", "-q"]
            seconds, peak, said = child_peak_mb(fetch, work, 120)
            server.close()
            said = " / ".join(said.splitlines()[-2:])[:200]
            print(f"{name}, data.timeout = 3, no retry: `fetch` took {seconds:.1f} s in all, "
                  f"peak {peak:.0f} MB RSS; it said: {said}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-network", action="store_true")
    args = parser.parse_args()
    if not args.skip_network:
        bench_network()
    if not args.skip_import:
        bench_import(args.rows)


if __name__ == "__main__":
    main()
