"""A small live world for source tests: fake FRED, New York Fed and SEC EDGAR servers on
127.0.0.1 filled with (a slice of) the bundled SYNTHETIC sample, and a workspace whose config
points reportgen's real client code at them."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pandas as pd
from fakes import DEFAULT_API_KEY, FakeFred, FakeNYFed, FakeSEC, FredData

from reportgen import PROJECT_ROOT
from reportgen.catalog import Catalog, load_catalog
from reportgen.config import Config, load_config
from reportgen.sources.sample import generate_sample, sample_filings

KEY = DEFAULT_API_KEY
AGENT = "Reportgen Tests tests@example.org"
TODAY = dt.date(2026, 11, 23)
PUBLISHED = dt.date(2026, 11, 20)


@cache
def catalog() -> Catalog:
    return load_catalog(PROJECT_ROOT / "catalogs")


@cache
def sample() -> dict[str, pd.Series]:
    return generate_sample()


def values(sid: str, since: str | None = None) -> dict[dt.date, float]:
    s = sample()[sid].dropna()
    if since:
        s = s[s.index >= pd.Timestamp(since)]
    return {d.date(): round(float(v), 4) for d, v in s.items()}


def fred_data(ids: list[str], since: str | None = None, today: dt.date = TODAY,
              until: str | None = None, published: dt.date = PUBLISHED) -> FredData:
    """FRED series from the sample (observations from `since` to `until`), all first
    published on `published`."""
    data = FredData(today=today)
    for sid in ids:
        ind = catalog().indicators[sid]
        vals = values(sid, since)
        if until:
            vals = {d: v for d, v in vals.items() if d <= dt.date.fromisoformat(until)}
        data.add_series(sid, vals, published, title=ind.title,
                        units=ind.units_label, frequency=ind.frequency.title(),
                        last_updated=f"{published} 07:30:00-06")
    return data


def schedule_requests(ids: Iterable[str]) -> int:
    """What a fetch of `ids` with a key asks FRED beyond the series: for each bundled
    release with one of them, its release (`series/release`) and its schedule ahead (one
    page of `release/dates`)."""
    ids, indicators = set(ids), catalog().indicators
    return 2 * sum(1 for r in catalog().releases.releases.values()
                   if not r.part_of and any(s in ids and indicators[s].source == "fred"
                                            for s in r.series if s in indicators))


def nyfed_world(since: str = "2025-06-01") -> FakeNYFed:
    ny = FakeNYFed()
    s = {k: sample()[k] for k in ("SOFR", "SOFR1", "SOFR25", "SOFR75", "SOFR99", "SOFRVOL",
                                  "EFFR", "RRPONTSYD", "RPONTSYD", "DFEDTARL", "DFEDTARU")}
    start = pd.Timestamp(since)
    for d in s["SOFR"].index[s["SOFR"].index >= start]:
        ny.add_sofr(d.date(), *(round(float(s[k][d]), 4) for k in
                                ("SOFR", "SOFR1", "SOFR25", "SOFR75", "SOFR99")),
                    volume_bn=round(float(s["SOFRVOL"][d]), 1))
    for d in s["EFFR"].index[s["EFFR"].index >= start]:
        r = round(float(s["EFFR"][d]), 2)
        ny.add_effr(d.date(), r, r - 0.02, r - 0.01, r + 0.01, r + 0.05, 95.0,
                    float(s["DFEDTARL"].asof(d)), float(s["DFEDTARU"].asof(d)))
    for kind, sid in (("reverserepo", "RRPONTSYD"), ("repo", "RPONTSYD")):
        for d, v in s[sid][s[sid].index >= start].items():
            ny.add_operation(kind, d.date(), round(float(v) * 1e9))
    return ny


def sec_world(companies: list[str] | None = None, **kw: object) -> FakeSEC:
    """SEC EDGAR with the sample's SYNTHETIC filings of `companies` (default: all)."""
    sec = FakeSEC(**kw)  # type: ignore[arg-type]
    for cid, facts in sample_filings(catalog()).items():
        if companies is not None and cid not in companies:
            continue
        company = catalog().companies[cid]
        sec.add_company(company.cik, company.title.upper())
        for f in facts:
            sec.add_fact(company.cik, f.tag, start=f.start, end=f.end, val=f.value,
                         accn=f.accn, fy=f.fy or 0, fp=f.fp, form=f.form, filed=f.filed)
    return sec


def write_config(folder: Path, fred: FakeFred | None = None, ny: FakeNYFed | None = None,
                 key: str | None = KEY, extra: str = "", per_second: float = 500,
                 sec: FakeSEC | None = None, agent: str | None = None,
                 sec_per_second: float = 500) -> Path:
    """A workspace config: live data from the fakes (or a closed port), fast retries. SEC
    EDGAR is asked only with an `agent` (its User-Agent)."""
    fred_url = fred.fred_url if fred else "http://127.0.0.1:9/fred"
    csv_url = fred.csv_url if fred else "http://127.0.0.1:9/graph/fredgraph.csv"
    ny_url = ny.url if ny else "http://127.0.0.1:9"
    sec_url = sec.url if sec else "http://127.0.0.1:9"
    path = folder / "reportgen.toml"
    path.write_text(
        '[report]\noutput_dir = "out"\nlanguages = ["en"]\nformats = ["html"]\nworkers = 1\n'
        "[data]\n"
        'source = "live"\n'
        f'fred_api_url = "{fred_url}"\nfred_csv_url = "{csv_url}"\nnyfed_url = "{ny_url}"\n'
        f'sec_url = "{sec_url}"\nsec_per_second = {sec_per_second}\n'
        + (f'fred_api_key = "{key}"\n' if key else "")
        + (f'sec_user_agent = "{agent}"\n' if agent else "")
        + f"timeout = 2\nretries = 2\nbackoff = 0.05\nfred_per_second = {per_second}\n"
        "fred_per_minute = 100000\nnyfed_per_second = 500\nstore_timeout = 5\n"
        + extra
        + "[paths]\n"
        f'templates = "{PROJECT_ROOT / "templates"}"\ncharts = "{PROJECT_ROOT / "charts"}"\n'
        f'catalogs = "{PROJECT_ROOT / "catalogs"}"\nlocales = "{PROJECT_ROOT / "locales"}"\n',
        encoding="utf-8")
    return path


def config(folder: Path, *args: object, **kw: object) -> Config:
    return load_config(write_config(folder, *args, **kw))  # type: ignore[arg-type]


def dump(store_path: Path, table: str = "observations") -> list[tuple]:
    """Every row of a store table, for before/after comparisons."""
    with sqlite3.connect(store_path) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
