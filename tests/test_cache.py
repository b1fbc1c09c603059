"""The build cache: the same inputs give the same files, any changed input makes exactly
what depends on it again, and nothing a failed or killed run wrote is ever used."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import reportgen
from reportgen.cache import Cache, key
from reportgen.catalog import load_catalog
from reportgen.config import load_config
from reportgen.content import builtin
from reportgen.pipeline import build
from reportgen.replay import cache_for
from reportgen.sources.sample import generate_sample
from reportgen.store import FetchRecord, Store

# its module-scoped fixtures are built once: on one worker under pytest-xdist
pytestmark = pytest.mark.xdist_group("test_cache")

DATE = dt.date(2026, 11, 23)
SEEN = dt.datetime(2026, 11, 20, 22, 0, tzinfo=dt.UTC)


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def merge(store_path: Path, values: dict, seen: dt.datetime = SEEN) -> None:
    with Store(load_catalog(builtin()), store_path) as store:
        for sid, s in values.items():
            store.merge_latest(sid, "import", s.dropna(), seen.date(),
                               FetchRecord(sid, "import", seen, seen, "ok"))


@pytest.fixture(scope="module", autouse=True)
def private_caches():
    """Each workspace here has its own cache (in its output folder), not the session's."""
    mp = pytest.MonkeyPatch()
    mp.delenv("REPORTGEN_CACHE_DIR", raising=False)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A live store holding the sample's series, as if loaded with `reportgen import`."""
    path = tmp_path_factory.mktemp("store") / "reportgen.sqlite"
    catalog = load_catalog(builtin())
    merge(path, {sid: s for sid, s in generate_sample().items() if sid in catalog.indicators})
    return path


def workspace(folder: Path, store: Path, formats: str = '"html"') -> Path:
    """An English workspace on a copy of the store (each test changes its own)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(store, folder / "store.sqlite")
    (folder / "reportgen.toml").write_text(
        f'[report]\nlanguages = ["en"]\nformats = [{formats}]\noutput_dir = "out"\n'
        '[data]\nsource = "live"\nstore = "store.sqlite"\n', encoding="utf-8")
    return folder


def run(folder: Path):
    return build(load_config(folder / "reportgen.toml"), DATE, fetch=False)


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory, store_file: Path):
    """One English issue, HTML and PDF, built once: (workspace, result, its files)."""
    ws = workspace(tmp_path_factory.mktemp("issue"), store_file, '"html", "pdf"')
    result = run(ws)
    return ws, result, outputs(result.folder)


def clone(first, folder: Path) -> Path:
    """The first issue's workspace (store, output and cache), HTML only from now on."""
    shutil.copytree(first[0], folder)
    config = folder / "reportgen.toml"
    config.write_text(config.read_text("utf-8").replace('"html", "pdf"', '"html"'), "utf-8")
    return folder


@pytest.mark.slow
def test_an_unchanged_rebuild_writes_the_same_bytes(first):
    ws, result, before = first
    assert result.made["pdfs"] == 1 and result.made["charts"] > 10
    assert any(n.endswith(".pdf") for n in before) and any(n.startswith("charts/")
                                                           for n in before)
    again = run(ws)  # replayed whole, before any analysis
    assert again.cache["hits"] == {"build": 1}
    assert outputs(again.folder) == before

    cache = cache_for(load_config(ws / "reportgen.toml"))
    for entry in cache.root.glob("entries/build/*/*.json"):
        entry.unlink()  # the long way: each chart, the analysis and the PDF from the cache
    third = run(ws)
    assert third.made == {"charts": 0, "pdfs": 0}
    assert {"analysis", "chart", "pdf"} <= set(third.cache["hits"])
    assert outputs(third.folder) == before  # even the creation time is the first build's
    assert cache.check() == []


@pytest.mark.slow
def test_one_changed_series_redraws_only_its_charts(first, tmp_path):
    ws = clone(first, tmp_path / "ws")
    before = first[2]
    s = generate_sample()["CBBTCUSD"].dropna()
    s.iloc[-1] *= 1.25  # bitcoin's last value revised
    merge(ws / "store.sqlite", {"CBBTCUSD": s}, SEEN + dt.timedelta(days=1))

    second = run(ws)
    after = outputs(second.folder)
    changed = {n for n in before if n.startswith("charts/") and after.get(n) != before[n]}
    assert 0 < second.made["charts"] == len(changed) < first[1].made["charts"] / 3
    assert all(n.startswith("charts/s7_") for n in changed), changed  # bitcoin and gold
    assert second.cache["misses"]["analysis"] == 1
    assert after[f"reportgen-{DATE}-en.html"] != before[f"reportgen-{DATE}-en.html"]


def test_changed_content_remakes_what_it_touches(first, tmp_path):
    ws = clone(first, tmp_path / "ws")
    before = first[2]
    charts = (reportgen.PROJECT_ROOT / "sections" / "s5" / "charts.toml").read_text("utf-8")
    assert 'id = "s5_unemployment"' in charts.split("[[chart]]")[1]
    spec = ws / "sections" / "s5" / "charts.toml"
    spec.parent.mkdir(parents=True)
    spec.write_text(charts.replace('since = "-10y"', 'since = "-3y"', 1), "utf-8")

    second = run(ws)  # one chart's spec: that chart alone, nothing computed again
    after = outputs(second.folder)
    assert second.made["charts"] == 2  # its wide drawing and its phone drawing
    assert {n for n in before if after.get(n) != before[n] and n.startswith("charts/")} == {
        "charts/s5_unemployment.svg", "charts/s5_unemployment.narrow.svg"}
    assert "analysis" in second.cache["hits"]

    template = ws / "sections" / "s5" / "template.html.j2"
    template.write_text((reportgen.PROJECT_ROOT / "sections" / "s5" / "template.html.j2")
                        .read_text("utf-8") + "<p>An analyst's added line.</p>\n", "utf-8")
    third = run(ws)  # words: the edition, no chart, no analysis
    assert third.made["charts"] == 0 and "analysis" in third.cache["hits"]
    html = outputs(third.folder)[f"reportgen-{DATE}-en.html"]
    assert b"An analyst's added line." in html


@pytest.mark.slow
def test_a_new_version_makes_everything_anew(first, tmp_path, monkeypatch):
    ws = clone(first, tmp_path / "ws")
    monkeypatch.setattr(reportgen, "__version__", "99.0.0")
    second = run(ws)
    assert "build" not in second.cache["hits"] and "analysis" not in second.cache["hits"]
    assert "chart" not in second.cache["hits"]
    assert second.made["charts"] == first[1].made["charts"]


def test_a_damaged_blob_is_a_miss_and_is_removed(tmp_path):
    cache = Cache(tmp_path / "cache", 10**9)
    src = tmp_path / "a.svg"
    src.write_bytes(b"<svg>a chart</svg>")
    k = key("chart", "inputs")
    cache.put("chart", k, files={".svg": src})
    entry = cache.get("chart", k)
    assert entry.files[".svg"].read_bytes() == src.read_bytes()
    entry.files[".svg"].write_bytes(b"<svg>a cha")  # a torn write, a bad disk
    assert cache.get("chart", k) is None
    assert cache.get("chart", k) is None and not list(cache.root.glob("entries/chart/*/*"))
    cache.put("chart", k, files={".svg": src})  # made again, stored whole again
    assert cache.get("chart", k).files[".svg"].read_bytes() == src.read_bytes()


def test_the_cache_stays_under_its_bound(tmp_path):
    cache = Cache(tmp_path / "cache", 2500)
    for i in range(5):
        cache.put("pdf", key(i), data={"pdf": bytes([i]) * 1000})
        time.sleep(0.01)
    cache.get("pdf", key(0))  # used lately: kept
    cache.trim()
    assert cache.size() <= 2500
    assert cache.get("pdf", key(0)) is not None and cache.get("pdf", key(1)) is None
    assert cache.check() == []


@pytest.mark.slow
def test_a_killed_build_leaves_no_bad_entry(tmp_path):
    """Killed (SIGKILL, the whole process group) while charts and PDFs are being made and
    stored: every entry left is whole, and the next build uses them and finishes."""
    (tmp_path / "reportgen.toml").write_text(
        '[report]\nlanguages = ["en", "zh-Hant"]\noutput_dir = "out"\n'
        '[data]\nsource = "sample"\n', encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "reportgen", "run", "--date",
                             DATE.isoformat(), "--section", "4"], cwd=tmp_path,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    charts = tmp_path / "out" / ".cache" / "1" / "entries" / "chart"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(charts.glob("*/*.json"))) < 3:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(charts.glob("*/*.json")), "the build never stored a chart"
    config = load_config(tmp_path / "reportgen.toml")
    cache = cache_for(config)
    assert not list(cache.root.glob("entries/build/*/*"))
    assert cache.check() == []
    result = build(config, DATE, sections=["4"])
    # (3 + 2 x 1 radar) wide and as many phone drawings + 2 x 3 in the chart packs
    assert result.made["charts"] < 16 and result.made["pdfs"] == 2
    assert cache.check() == []


@pytest.mark.slow
def test_a_failed_build_stores_nothing_of_what_failed(tmp_path):
    (tmp_path / "reportgen.toml").write_text(
        '[report]\nlanguages = ["en"]\nformats = ["pdf"]\noutput_dir = "out"\n'
        '[data]\nsource = "sample"\n', encoding="utf-8")
    bad = tmp_path / "sections" / "s4" / "template.html.j2"
    bad.parent.mkdir(parents=True)
    bad.write_text('{{ m.figure("s4_reserves") }}<img src="file:///etc/passwd" alt="x">\n',
                   encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "reportgen", "run", "--date", DATE.isoformat(),
                        "--section", "4"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 4 and "refused" in r.stderr
    cache = cache_for(load_config(tmp_path / "reportgen.toml"))
    assert list(cache.root.glob("entries/chart/*/*.json"))  # what was made is kept
    assert not list(cache.root.glob("entries/pdf/*/*")) + list(cache.root.glob(
        "entries/build/*/*"))
    assert cache.check() == []


@pytest.mark.slow
def test_no_cache_reads_and_writes_nothing(tmp_path):
    (tmp_path / "reportgen.toml").write_text(
        '[report]\nlanguages = ["en"]\nformats = ["html"]\noutput_dir = "out"\n'
        '[data]\nsource = "sample"\n', encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "reportgen", "run", "--date", DATE.isoformat(),
                        "--section", "4", "--no-cache", "--quiet"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "meetings" / f"{DATE}-s4" / f"reportgen-{DATE}-s4-en.html"
            ).is_file()
    assert not (tmp_path / "out" / ".cache").exists()


@pytest.mark.slow
def test_a_fallback_to_the_sample_is_analysed_once(tmp_path):
    """No source answers and the store is empty: the issue comes from the sample. Each
    failed fetch is logged in the store, which changes its fingerprint, yet the data read
    are the same sample: the second such run takes its analysis from the cache (it
    computed it again each time, 2.5 s of a 4.5 s run) and writes the same edition."""
    from live import write_config

    write_config(tmp_path)  # every source at a closed port, English HTML, private cache
    config = load_config(tmp_path / "reportgen.toml")
    first = build(config, DATE)
    assert first.fallback and first.cache["misses"].get("analysis") == 1
    html = (first.folder / f"reportgen-{DATE}-en.html").read_bytes()
    second = build(config, DATE)
    assert second.fallback == first.fallback and "analysis" in second.cache["hits"]
    assert (second.folder / f"reportgen-{DATE}-en.html").read_bytes() == html
