"""Benchmark the build on the command line, against issue 14's targets.

Every figure is the wall time of `reportgen run` in a fresh process (imports included),
with the peak memory of its whole process tree (proportional set size, so pages the
workers share with the process that forked them count once; resident size shown too),
sampled every 20 ms from /proc:

  cold        3 languages x PDF + HTML, new output folder, empty cache     target 8 s
  unchanged   the same again: replayed from the cache, files byte-identical  1.5 s
  html en     --lang en --format html (cold; and after the issue: warm)    2.5 s
  meeting     --section 4 --lang en: HTML, PDF, chart pack (cold; warm)      2 s
  one series  the store changes one series: what is drawn and laid out again
  scaling     1 to 10 languages (the three repeated), 24 to 100 charts: must be linear
  floor       WeasyPrint alone on the same English HTML, in the same run

Peak memory target 600 MB, PDF size target 1.5 MB per language. By default the data are
the bundled sample; `--config` names a workspace with a live store (for instance one
filled by `reportgen import`), whose store is read but never written (it is copied).
`--engine SRC` runs another source tree with this bench (e.g. an export of main, for the
figures before a change); it skips what that engine lacks.

Usage: python -m bench [--runs 3] [--config WS/reportgen.toml] [--engine SRC]
                       [--skip-scaling] [--pdf-charts svg|png]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from reportgen import PROJECT_ROOT

DATE = "2026-11-23"
TARGETS = {"cold": 8.0, "unchanged": 1.5, "html_en": 2.5, "meeting": 2.0}
TARGET_MB, TARGET_PDF_MB = 600.0, 1.5
CLONES = ("en", "zh-Hant", "zh-Hans")
# The three again under other (valid) locale codes, for the scaling with languages.
COPIES = {"en-GB": "en", "zh-Hant-HK": "zh-Hant", "zh-Hans-SG": "zh-Hans", "en-AU": "en",
          "zh-Hant-MO": "zh-Hant", "zh-Hans-HK": "zh-Hans", "en-CA": "en"}


# -------------------------------------------------------------------- measuring a child

def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                out.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return out


def _tree(root: int) -> list[int]:
    kids, out, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in kB."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def _cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            parts = fh.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class Sampler(threading.Thread):
    """Peak PSS and RSS of a process tree, and the CPU time its processes used."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.pss, self.rss = pid, 0, 0
        self.cpu: dict[int, float] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pss = rss = 0
            for p in _tree(self.pid):
                a, b = _memory_kb(p)
                pss, rss = pss + a, rss + b
                self.cpu[p] = max(self.cpu.get(p, 0.0), _cpu_s(p))
            self.pss, self.rss = max(self.pss, pss), max(self.rss, rss)
            time.sleep(0.02)

    def stop(self) -> None:
        self._halt.set()
        self.join()


@dataclass
class Run:
    wall: float
    pss_mb: float
    rss_mb: float
    cpu: float
    out: str


def run(args: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """`python -m reportgen ARGS` in `cwd`; fails loudly if the command fails."""
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "reportgen", *args], cwd=cwd, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sampler = Sampler(child.pid)
    sampler.start()
    out, _ = child.communicate(timeout=900)
    wall = time.perf_counter() - t0
    sampler.stop()
    if child.returncode != 0:
        raise SystemExit(f"bench: reportgen {' '.join(args)} failed:\n{out}")
    return Run(wall, sampler.pss / 1024, sampler.rss / 1024, sum(sampler.cpu.values()), out)


# ---------------------------------------------------------------------------- workspaces

@dataclass
class Bench:
    root: Path
    engine: Path
    source: Path | None  # a workspace config with a live store, or None for the sample
    pdf_charts: str
    new_engine: bool
    results: dict[str, list[Run]] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(self.engine) + os.pathsep + env.get("PYTHONPATH", "")
        return env

    def workspace(self, name: str, languages: tuple[str, ...] = CLONES,
                  formats: tuple[str, ...] = ("pdf", "html"), cache: str | None = None,
                  store: Path | None = None) -> Path:
        """A folder with a reportgen.toml: built-in content, its own output, the data."""
        ws = self.root / name
        ws.mkdir(parents=True, exist_ok=True)
        lines = ["[report]", f"languages = {json.dumps(list(languages))}",
                 f"formats = {json.dumps(list(formats))}", 'output_dir = "output"',
                 f'pdf_charts = "{self.pdf_charts}"']
        if self.new_engine:
            lines.append(f'cache_dir = "{cache or (ws / "output" / ".cache")}"')
        lines.append("[data]")
        if self.source is None and store is None:
            lines.append('source = "sample"')
        else:
            lines += ['source = "live"', f'store = "{store or self.live_store()}"']
        (ws / "reportgen.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return ws

    def live_store(self) -> Path:
        """A private copy of the given workspace's store (the bench never writes the
        user's store)."""
        copy = self.root / "store.sqlite"
        if not copy.exists():
            raw = tomllib.loads(self.source.read_text(encoding="utf-8"))
            original = Path(raw.get("data", {}).get("store", "data/reportgen.sqlite"))
            original = original if original.is_absolute() else self.source.parent / original
            with sqlite3.connect(original) as src, sqlite3.connect(copy) as dst:
                src.backup(dst)
        return copy

    def date(self) -> str:
        if self.source is None:
            return DATE
        with sqlite3.connect(self.live_store()) as db:
            last = db.execute("SELECT MAX(date) FROM observations").fetchone()[0]
        return last or DATE

    def cli(self, label: str, ws: Path, *extra: str) -> Run:
        r = run(["run", "--offline", "--date", self.date(), *extra], ws, self.env)
        self.results.setdefault(label, []).append(r)
        return r


def files(folder: Path) -> dict[str, bytes]:
    """Every published file (not the cache, the lock or other dot-files)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and not any(part.startswith(".") for part in rel.parts):
            out[rel.as_posix()] = p.read_bytes()
    return out


def cache_counts(cache: Path) -> dict[str, int]:
    entries = cache / "1" / "entries"
    return {k.name: len(list(k.glob("*/*.json"))) for k in entries.iterdir()} \
        if entries.is_dir() else {}


# ------------------------------------------------------------------------------ scenarios

def main_scenarios(b: Bench, runs: int) -> dict[str, object]:
    notes: dict[str, object] = {}
    for i in range(runs):
        ws = b.workspace(f"cold{i}")
        b.cli("cold", ws)
        first = files(ws / "output")
        notes["pdf_mb"] = {p.name.rsplit("-", 1)[-1].removesuffix(".pdf")
                           if "zh" not in p.name else p.name[-11:-4]:
                           p.stat().st_size / 1e6
                           for p in sorted((ws / "output").glob("*/*.pdf"))}
        b.cli("unchanged", ws)
        notes["identical"] = notes.get("identical", True) and files(ws / "output") == first
    for i in range(runs):
        b.cli("html_en_cold", b.workspace(f"html{i}", ("en",), ("html",)))
        if not b.new_engine:
            continue
        shared = b.root / f"cold{i}" / "output" / ".cache"  # this run's issue, in its cache
        b.cli("html_en", b.workspace(f"htmlw{i}", ("en",), ("html",), cache=str(shared)))
        b.cli("meeting_cold", b.workspace(f"meet{i}", ("en",)), "--section", "4")
        ws = b.workspace(f"meetw{i}", ("en",), cache=str(shared))
        b.cli("meeting", ws, "--section", "4")
        b.cli("meeting_again", ws, "--section", "4")
    if b.new_engine:
        notes["meeting_files"] = sorted(files(b.root / "meet0" / "output"))
    return notes


def one_series(b: Bench) -> dict[str, object]:
    """A live store (a copy of the given one, or the sample imported as files), built once;
    then one series gets a new value and the build runs again."""
    store = sample_as_live_store(b) if b.source is None else b.live_store()
    ws = b.workspace("change", store=store)
    b.cli("change_first", ws)
    before = cache_counts(ws / "output" / ".cache")
    sid = "CBBTCUSD"
    with sqlite3.connect(store) as db:
        date, value = db.execute("SELECT date, value FROM observations WHERE series_id=?"
                                 " ORDER BY date DESC LIMIT 1", (sid,)).fetchone()
        db.execute("UPDATE observations SET value=?, fetched_at=? WHERE series_id=? AND"
                   " date=?", (value * 1.05, "2099-01-01T00:00:00", sid, date))
    r = b.cli("change", ws)
    after = cache_counts(ws / "output" / ".cache")
    return {"series": sid, "wall": r.wall,
            "charts": after.get("chart", 0) - before.get("chart", 0),
            "pdfs": after.get("pdf", 0) - before.get("pdf", 0),
            "charts_total": before.get("chart", 0), "pdfs_total": before.get("pdf", 0)}


def sample_as_live_store(b: Bench) -> Path:
    """The sample's series written as files and loaded with `reportgen import`."""
    folder = b.root / "sample-csv"
    folder.mkdir(exist_ok=True)
    script = ("import sys, pathlib\nfrom reportgen.sources.sample import generate_sample\n"
              "out = pathlib.Path(sys.argv[1])\n"
              "for sid, s in generate_sample().items():\n"
              "    s.dropna().rename('value').to_csv(out / f'{sid}.csv', index_label='date')\n")
    subprocess.run([sys.executable, "-c", script, str(folder)], check=True, env=b.env)
    store = b.root / "live.sqlite"
    ws = b.root / "importer"
    ws.mkdir(exist_ok=True)
    (ws / "reportgen.toml").write_text(f'[data]\nsource = "live"\nstore = "{store}"\n')
    known = subprocess.run([sys.executable, "-m", "reportgen", "indicators"], cwd=ws,
                           env=b.env, capture_output=True, text=True).stdout
    csvs = [str(p) for p in sorted(folder.glob("*.csv")) if p.stem in known]
    subprocess.run([sys.executable, "-m", "reportgen", "import", *csvs], cwd=ws, env=b.env,
                   capture_output=True)
    return store


def floor(b: Bench) -> dict[str, float]:
    """WeasyPrint alone on the build's own print HTML (kept from a build's staging)."""
    keep = b.root / "floor-html"
    ws = b.workspace("floor")
    script = f"""
import datetime as dt, shutil, sys
from pathlib import Path
from reportgen import publish
from reportgen.config import load_config
orig = publish.publish
def keep(staging, target, names=None):
    shutil.copytree(staging, {str(keep)!r}, dirs_exist_ok=True)
    return orig(staging, target, names)
publish.publish = keep
if __name__ == "__main__":
    from reportgen.pipeline import build
    build(load_config(Path("reportgen.toml")), dt.date.fromisoformat({b.date()!r}),
          fetch=False)
"""
    subprocess.run([sys.executable, "-c", script], cwd=ws, env=b.env, check=True)
    lay = """
import sys, time
t0 = time.perf_counter()
import weasyprint
t1 = time.perf_counter()
doc = weasyprint.HTML(filename=sys.argv[1], media_type="print").render()
t2 = time.perf_counter()
doc.write_pdf(sys.argv[2], pdf_variant="pdf/ua-1")
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""
    prints = {lang: next(keep.glob(f".*-{lang}.print.html")) for lang in CLONES}
    out = subprocess.run([sys.executable, "-c", lay, str(prints["en"]), str(keep / "en.pdf")],
                         env=b.env, capture_output=True, text=True, check=True).stdout.split()
    imp, layout, drawing = map(float, out)
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", lay, str(p), str(keep / f"{k}.pdf")],
                              env=b.env, stdout=subprocess.DEVNULL) for k, p in
             list(prints.items())[:2]]
    procs[0].wait()
    third = subprocess.Popen([sys.executable, "-c", lay, str(prints["zh-Hans"]),
                              str(keep / "zh-Hans.pdf")], env=b.env, stdout=subprocess.DEVNULL)
    for p in (*procs, third):
        p.wait()
    return {"import": imp, "layout": layout, "draw": drawing, "en": layout + drawing,
            "three_on_two": time.perf_counter() - t0}


# --------------------------------------------------------------------------------- scaling

def language_workspace(b: Bench, n: int) -> Path:
    """n languages: the three built-in ones, then copies of them under new codes."""
    codes = (list(CLONES) + list(COPIES))[:n]
    ws = b.workspace(f"lang{n}", tuple(codes))
    table = tomllib.loads((PROJECT_ROOT / "locales" / "languages.toml").read_text("utf-8"))
    text = (PROJECT_ROOT / "locales" / "languages.toml").read_text("utf-8")
    for code in codes[3:]:
        base = COPIES[code]
        entry = dict(table[base], name=f"{table[base]['name']} ({code})")
        text += f"\n[{code}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in entry.items())
        po = ws / "locales" / code.replace("-", "_") / "LC_MESSAGES" / "messages.po"
        po.parent.mkdir(parents=True, exist_ok=True)
        source = PROJECT_ROOT / "locales" / base.replace("-", "_") / "LC_MESSAGES" / "messages.po"
        po.write_text(source.read_text("utf-8") if source.exists() else
                      'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n',
                      encoding="utf-8")
    (ws / "locales").mkdir(exist_ok=True)
    (ws / "locales" / "languages.toml").write_text(text, encoding="utf-8")
    return ws


def toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def chart_workspace(b: Bench, n: int) -> Path:
    """The report plus a section of n - 24 more line charts (copies of the built-in ones),
    shown one after another."""
    ws = b.workspace(f"charts{n}", ("en",))
    lines = [c for p in sorted((PROJECT_ROOT / "sections").glob("*/charts.toml"))
             for c in tomllib.loads(p.read_text("utf-8")).get("chart", [])
             if c["kind"] == "line"]
    folder = ws / "sections" / "benchcharts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "section.toml").write_text('title = "More charts"\nafter = "conclusion"\n')
    (folder / "template.html.j2").write_text(
        '{% for c in section.charts %}{{ m.figure(c.id) }}{% endfor %}\n')
    out = []
    for i in range(max(0, n - 24)):
        c = dict(lines[i % len(lines)], id=f"bench_{i:03d}")
        out.append("[[chart]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in c.items()))
    (folder / "charts.toml").write_text("\n".join(out))
    return ws


def scaling(b: Bench, runs: int) -> dict[str, list[tuple[int, float, float, float]]]:
    """Cold builds (new output folder, empty cache each time): (size, best wall seconds,
    CPU seconds of that run, peak PSS MB)."""
    def point(label: str, n: int, ws: Path) -> tuple[int, float, float, float]:
        for _ in range(runs):
            shutil.rmtree(ws / "output", ignore_errors=True)
            b.cli(label, ws)
        r = min(b.results[label], key=lambda r: r.wall)
        return n, r.wall, r.cpu, max(x.pss_mb for x in b.results[label])

    return {"languages": [point(f"lang{n}", n, language_workspace(b, n))
                          for n in (1, 3, 6, 10)],
            "charts": [point(f"charts{n}", n, chart_workspace(b, n)) for n in (24, 50, 100)]}


def linear(points: list[tuple[int, float]]) -> tuple[float, float, float, float]:
    """Least squares t = a + b n; R^2; and the last step's cost per unit over the first's
    (about 1 when the growth is linear, well above 1 when it is not)."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    b = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)
    a = my - b * mx
    ss = sum((y - my) ** 2 for y in ys) or 1e-9
    r2 = 1 - sum((y - a - b * x) ** 2 for x, y in points) / ss
    first = (ys[1] - ys[0]) / (xs[1] - xs[0])
    last = (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
    return a, b, r2, last / first if first > 0 else float("inf")


# -------------------------------------------------------------------------------- report

def median(b: Bench, label: str) -> float | None:
    rs = b.results.get(label)
    return statistics.median(r.wall for r in rs) if rs else None


def report(b: Bench, notes: dict, change: dict | None, fl: dict) -> None:
    def row(name: str, label: str, target: float | None = None) -> None:
        t = median(b, label)
        if t is None:
            return
        rs = b.results[label]
        best = min(r.wall for r in rs)
        verdict = "" if target is None else ("met" if t <= target else "MISSED")
        tgt = f"<= {target:.1f} s" if target else ""
        print(f"  {name:<42} {t:6.2f} s (best {best:5.2f})  cpu "
              f"{statistics.median(r.cpu for r in rs):5.1f} s  "
              f"{max(r.pss_mb for r in rs):4.0f} MB  {tgt:<9} {verdict}")

    print(f"\nreportgen benchmark: {os.cpu_count()} cores, load average at start "
          f"{notes['load']:.2f}, data: {b.source or 'bundled sample'}, engine: {b.engine}, "
          f"{b.pdf_charts.upper()} charts in the PDF; median of "
          f"{len(b.results.get('cold', []))} run(s), peak PSS of the process tree")
    row("full issue, 3 languages x PDF+HTML, cold", "cold", TARGETS["cold"])
    row("unchanged rebuild", "unchanged", TARGETS["unchanged"])
    if "identical" in notes:
        print(f"    every file byte-identical after the rebuild: "
              f"{'yes' if notes['identical'] else 'NO'}")
    row("--lang en --format html, after the issue", "html_en", TARGETS["html_en"])
    row("--lang en --format html, cold", "html_en_cold")
    row("--section 4 --lang en, after the issue", "meeting", TARGETS["meeting"])
    row("--section 4 --lang en, cold", "meeting_cold")
    row("--section 4 --lang en, again (unchanged)", "meeting_again")
    if "meeting_files" in notes:
        print(f"    meeting edition: {', '.join(notes['meeting_files'][:4])}, ...")
    peak = max(r.pss_mb for rs in b.results.values() for r in rs)
    rss = max(r.rss_mb for rs in b.results.values() for r in rs)
    print(f"  peak memory (PSS, all runs) {peak:.0f} MB (RSS summed {rss:.0f} MB): "
          f"{'met' if peak <= TARGET_MB else 'MISSED'} (<= {TARGET_MB:.0f} MB)")
    sizes = notes.get("pdf_mb", {})
    print("  PDF sizes: " + ", ".join(f"{k} {v:.2f} MB" for k, v in sizes.items())
          + f": {'met' if sizes and max(sizes.values()) <= TARGET_PDF_MB else 'MISSED'}"
          f" (<= {TARGET_PDF_MB} MB)")
    if change:
        print(f"  one series changed ({change['series']}): rebuilt in {change['wall']:.2f} s,"
              f" {change['charts']} of {change['charts_total']} charts redrawn, "
              f"{change['pdfs']} of {change['pdfs_total']} PDFs laid out again")
    print(f"  WeasyPrint alone, same English HTML: {fl['en']:.2f} s (layout {fl['layout']:.2f}"
          f" + drawing {fl['draw']:.2f}; import {fl['import']:.2f} s more); the three "
          f"languages on two processes: {fl['three_on_two']:.2f} s with imports")


def report_scaling(scale: dict[str, list[tuple[int, float, float, float]]]) -> None:
    """Wall time on a shared machine is noisy; CPU time much less: both are fitted."""
    for what, runs in scale.items():
        print(f"  scaling with {what}: " + ", ".join(
            f"{n}: {t:.1f} s (cpu {c:.1f} s, {m:.0f} MB)" for n, t, c, m in runs))
        for name, points in (("wall", [(n, t) for n, t, _, _ in runs]),
                             ("cpu", [(n, c) for n, _, c, _ in runs])):
            a, slope, r2, bend = linear(points)
            ok = r2 >= 0.97 and bend <= 1.6
            print(f"    {name}: {slope:.2f} s per {what[:-1]} + {a:.1f} s, R^2 {r2:.3f}, "
                  f"last/first step {bend:.2f}: {'linear' if ok else 'NOT linear'}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--config", type=Path, default=None,
                   help="a workspace's reportgen.toml with a live store (default: sample)")
    p.add_argument("--engine", type=Path, default=PROJECT_ROOT,
                   help="source tree to benchmark (default: this one)")
    p.add_argument("--skip-scaling", action="store_true")
    p.add_argument("--pdf-charts", default="svg", choices=("svg", "png"))
    args = p.parse_args()
    engine = args.engine.resolve()
    new = (engine / "reportgen" / "cache.py").exists()
    with tempfile.TemporaryDirectory(prefix="reportgen-bench-") as tmp:
        b = Bench(Path(tmp), engine, args.config.resolve() if args.config else None,
                  args.pdf_charts, new)
        notes = {"load": os.getloadavg()[0]}
        notes.update(main_scenarios(b, args.runs))
        change = one_series(b) if new else None
        fl = floor(b)
        report(b, notes, change, fl)
        sys.stdout.flush()
        if not args.skip_scaling:
            report_scaling(scaling(b, max(1, min(args.runs, 2))))
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
