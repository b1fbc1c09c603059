"""SYNTHETIC sample data for tests and the offline demo: these are NOT real observations.

Every series is drawn from `sample_spec.toml`: a piecewise path through hand-set anchor
points that follows real history at coarse granularity (policy rates step with the real
target-range changes, spreads spike in 2008 and 2020, ...) plus seeded noise of a
plausible size. The noise generator of each series is seeded from zlib.crc32 of its id and
nothing reads the clock, so every call on every machine returns the same numbers.
Frequency and publication lag come from the indicator catalog, so the sample cannot drift
from what the engine expects of each series.

Dates follow FRED conventions: monthly and quarterly observations sit on the first day of
the period, H.4.1 weekly data on Wednesdays, NFCI on Fridays, daily market data on
business days (Mon-Fri, US federal holidays removed) and policy rates on every day. Each
series ends at the latest period that its usual publication lag allows by SAMPLE_END.
A never-published period (the October 2025 CPI, lost to the federal shutdown) is an absent
row, declared in the spec with `missing = [...]`.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar

from reportgen.catalog import Catalog, Company, load_catalog
from reportgen.content import builtin
from reportgen.store import Fact

SAMPLE_END: dt.date = dt.date(2026, 11, 20)

_HERE = Path(__file__).resolve().parent
SPEC_PATH = _HERE / "sample_spec.toml"
TABLES_DIR = _HERE / "sample_tables"
TABLES = {"constituents": "constituents.csv", "loan_marks": "loan_marks.csv"}

# pandas frequency of each catalog frequency ("daily" is built by _calendar).
_FREQ = {"daily7": "D", "weekly_wed": "W-WED", "weekly_fri": "W-FRI",
         "weekly_sat": "W-SAT", "monthly": "MS", "quarterly": "QS"}
_PER_YEAR = {"daily": 252, "daily7": 365, "weekly_wed": 52, "weekly_fri": 52,
             "weekly_sat": 52, "monthly": 12, "quarterly": 4}
_PERIOD_END = {"monthly": pd.offsets.MonthEnd(0), "quarterly": pd.offsets.QuarterEnd(0)}
_KEYS = {"freq", "lag", "start", "end", "model", "interp", "base", "anchors", "noise", "of",
         "op", "scale", "factor", "month_end", "quarter_end", "overrides", "clip",
         "decimals", "bound", "missing"}
Anchors = list[list[Any]]
Timing = dict[str, tuple[str, int]]  # series id -> (frequency, release lag in days)


class SampleSpecError(ValueError):
    """The spec file is inconsistent; the message names the series and the key."""


def _fail(sid: str, message: str) -> SampleSpecError:
    return SampleSpecError(f"{SPEC_PATH.name}: [series.{sid}] {message}")


@cache
def _spec() -> dict[str, Any]:
    return tomllib.loads(SPEC_PATH.read_text(encoding="utf-8"))


@cache
def _calendar(freq: str) -> pd.DatetimeIndex:
    """All observation dates of a frequency over the sample's span, built once."""
    first, last = pd.Timestamp("1996-01-01"), pd.Timestamp(SAMPLE_END)
    if freq == "daily":
        days = pd.date_range(first, last, freq="D")
        holidays = USFederalHolidayCalendar().holidays(first, last)
        idx = days[(days.day_of_week < 5) & ~days.isin(holidays)]
    else:
        idx = pd.date_range(first, last, freq=_FREQ[freq])
    return pd.DatetimeIndex(idx, name="date")


def _grid(freq: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """Observation dates between start and end, FRED style."""
    cal = _calendar(freq)
    return cal[cal.searchsorted(start):cal.searchsorted(end, side="right")]


def last_observation(freq: str, lag: int) -> pd.Timestamp:
    """Latest period whose end plus the publication lag falls on or before SAMPLE_END."""
    cutoff = pd.Timestamp(SAMPLE_END) - pd.Timedelta(days=lag)
    recent = _grid(freq, cutoff - pd.Timedelta(days=200), cutoff)
    offset = _PERIOD_END.get(freq)
    ends = recent + offset if offset is not None else recent
    return recent[ends <= cutoff][-1]


def _days(dates: Any) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(dates).values.astype("datetime64[D]"), dtype=np.int64)


def _path(anchors: Anchors | float, index: pd.DatetimeIndex, interp: str = "linear"
          ) -> np.ndarray:
    """A scalar, or a path through (date, value) anchors: linear, log-linear or stepwise."""
    if not isinstance(anchors, list):
        return np.full(len(index), float(anchors))
    ax = _days([pd.Timestamp(a[0]) for a in anchors])
    ay = np.array([float(a[1]) for a in anchors])
    x = _days(index)
    if interp == "step":
        return ay[np.clip(np.searchsorted(ax, x, side="right") - 1, 0, None)]
    if interp == "log":
        return np.exp(np.interp(x, ax, np.log(ay)))
    return np.interp(x, ax, ay)


def _ar1(eps: np.ndarray, phi: float) -> np.ndarray:
    """x[t] = phi x[t-1] + eps[t], started at its stationary spread (pandas ewm, no loop)."""
    if phi == 0 or len(eps) == 0:
        return eps
    v = eps / (1.0 - phi)
    v[0] = eps[0] / np.sqrt(1.0 - phi * phi)
    return pd.Series(v).ewm(alpha=1.0 - phi, adjust=False).mean().to_numpy()


def _bridge(walk: np.ndarray, index: pd.DatetimeIndex, anchors: Anchors) -> np.ndarray:
    """Pin a random walk to zero at every anchor date so the path still meets its anchors."""
    pos = np.unique(np.clip(index.searchsorted([pd.Timestamp(a[0]) for a in anchors]), 0,
                            len(index) - 1))
    return walk - np.interp(np.arange(len(walk)), pos, walk[pos])


def _period_ends(index: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the last observation of each month and of each quarter."""
    month = index.to_period("M").asi8
    last = np.zeros(len(index), dtype=bool)
    last[:-1] = month[:-1] != month[1:]
    return last, last & np.isin(index.month, (3, 6, 9, 12))


def _on_grid(sid: str, key: str, dates: list[Any], index: pd.DatetimeIndex) -> list[int]:
    stamps = [pd.Timestamp(d) for d in dates]
    missing = [s.date() for s in stamps if s not in index]
    if missing:
        raise _fail(sid, f"{key}: {missing[0]} is not an observation date of this series")
    return [int(index.get_loc(s)) for s in stamps]


def _aligned(other: pd.Series, index: pd.DatetimeIndex, sid: str) -> np.ndarray:
    values = other.reindex(index, method="ffill").to_numpy()
    if np.isnan(values).any():
        raise _fail(sid, f"starts before {other.name}, which it is built on")
    return values


def _noise(sid: str, spec: dict[str, Any], index: pd.DatetimeIndex,
           done: dict[str, pd.Series]) -> np.ndarray:
    """The seeded noise: iid, AR(1), or a random walk (optionally sharing a factor)."""
    cfg = spec.get("noise")
    if cfg is None:
        return np.zeros(len(index))
    rng = np.random.default_rng(zlib.crc32(sid.encode()))
    eps = rng.standard_normal(len(index)) * _path(cfg["sd"], index)
    kind = cfg["kind"]
    if kind == "iid":
        return eps
    if kind == "ar1":
        return _ar1(eps, float(cfg["phi"]))
    if kind != "walk":
        raise _fail(sid, f"noise.kind = {kind!r}; use iid, ar1 or walk")
    factor = spec.get("factor")
    if factor is not None:
        other = done[factor["of"]]
        returns = np.log(other).diff().reindex(index).fillna(0.0).to_numpy()
        eps = eps + _path(factor["beta"], index) * returns
    walk = np.cumsum(eps)
    return _bridge(walk, index, spec["anchors"]) if "anchors" in spec else walk


def _deps(spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(series the path is combined with, every series this one needs first)."""
    of = spec.get("of", [])
    of = [of] if isinstance(of, str) else list(of)
    extra = [spec[k]["of"] for k in ("factor", "bound") if k in spec]
    return of, of + extra


def _build(sid: str, specs: dict[str, dict[str, Any]], timing: Timing,
           done: dict[str, pd.Series]) -> pd.Series:
    """One series, after the series it depends on (recursively, memoised in `done`)."""
    if sid in done:
        return done[sid]
    if sid not in specs:
        raise SampleSpecError(f"{SPEC_PATH.name}: no [series.{sid}] to build")
    spec = specs[sid]
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise _fail(sid, f"unknown key {unknown[0]!r}")
    of, deps = _deps(spec)
    for dep in deps:
        _build(dep, specs, timing, done)

    if sid not in timing:
        raise _fail(sid, "is not in the indicator catalog and has no freq/lag")
    freq, lag = timing[sid]
    start = pd.Timestamp(spec.get("start", _spec()["sample"]["default_start"]))
    end = pd.Timestamp(spec["end"]) if "end" in spec else last_observation(freq, lag)
    index = _grid(freq, start, end)
    model = spec.get("model", "level")
    noise = _noise(sid, spec, index, done)
    if model == "growth":
        rate = _path(spec["anchors"], index) + noise
        steps = np.log1p(rate / 100.0) / _PER_YEAR[freq]
        steps[0] = 0.0
        values = float(spec["base"]) * np.exp(np.cumsum(steps))
    elif model == "level":
        values = _path(spec.get("anchors", 0.0), index, spec.get("interp", "linear"))
        mul = spec.get("interp") == "log" or spec.get("noise", {}).get("mul", False)
        values = values * np.exp(noise) if mul else values + noise
    else:
        raise _fail(sid, f"model = {model!r}; use level or growth")

    if of:
        base = float(spec.get("scale", 1.0)) * sum(_aligned(done[d], index, sid) for d in of)
        values = base * values if spec.get("op", "add") == "mul" else base + values
    month_end, quarter_end = _period_ends(index)
    for key, mask in (("month_end", month_end), ("quarter_end", quarter_end)):
        if key in spec:
            values = values + np.where(mask, _path(spec[key], index), 0.0)
    if "overrides" in spec:
        pos = _on_grid(sid, "overrides", [o[0] for o in spec["overrides"]], index)
        values[pos] = [float(o[1]) for o in spec["overrides"]]
    if "clip" in spec:
        values = np.clip(values, *spec["clip"])
    decimals = int(spec.get("decimals", 6))
    values = np.round(values, decimals)
    if "bound" in spec:
        bound = spec["bound"]
        limit = _aligned(done[bound["of"]], index, sid)
        gap = float(bound.get("gap", 0.0))
        values = (np.minimum(values, limit - gap) if bound["side"] == "below"
                  else np.maximum(values, limit + gap))
        values = np.round(values, decimals)

    series = pd.Series(values, index=index, name=sid, dtype="float64")
    done[sid] = series
    return series


def generate_sample(catalog: Catalog | None = None) -> dict[str, pd.Series]:
    """Every catalog series that the spec describes, by id (csv tables excluded).

    `catalog` supplies each series' frequency and publication lag; by default it is the
    project's catalogs/ folder. Spec entries whose id starts with "_" are building blocks
    with their own freq/lag and are not returned.
    """
    if catalog is None:
        catalog = load_catalog(builtin())
    specs: dict[str, dict[str, Any]] = _spec()["series"]
    timing: Timing = {sid: (ind.frequency, ind.release_lag_days)
                      for sid, ind in catalog.indicators.items()}
    for sid, spec in specs.items():
        if sid.startswith("_"):
            timing[sid] = (spec["freq"], int(spec["lag"]))
        elif "freq" in spec or "lag" in spec:
            raise _fail(sid, "freq/lag come from the indicator catalog; remove them here")
    done: dict[str, pd.Series] = {}
    out: dict[str, pd.Series] = {}
    for sid in specs:
        if sid.startswith("_") or sid not in catalog.indicators:
            continue
        series = _build(sid, specs, timing, done)
        gone = pd.DatetimeIndex(pd.to_datetime(specs[sid].get("missing", [])))
        if not gone.isin(series.index).all():
            raise _fail(sid, "missing: a date that is not an observation date of this series")
        out[sid] = series[~series.index.isin(gone)].copy()
    return out


def sample_tables() -> dict[str, pd.DataFrame]:
    """The synthetic table inputs (index constituents, private-credit loan marks)."""
    return {name: pd.read_csv(TABLES_DIR / file, parse_dates=["date"])
            for name, file in TABLES.items()}


def sample_filings(catalog: Catalog | None = None) -> dict[str, list[Fact]]:
    """SYNTHETIC facts in the shape of SEC's company facts, for each company of the catalog
    that the spec's [filings] describes (see the spec for how they are drawn)."""
    if catalog is None:
        catalog = load_catalog(builtin())
    spec = _spec().get("filings", {})
    return {cid: _filer_facts(company, spec[cid], spec, catalog)
            for cid, company in catalog.companies.items() if cid in spec}


def _quarter_ends(fiscal_year_end: int, first: pd.Timestamp) -> pd.DatetimeIndex:
    """Fiscal quarter ends (month ends) of whole fiscal years from `first` to SAMPLE_END."""
    months = {(fiscal_year_end - 3 * k - 1) % 12 + 1 for k in range(4)}
    ends = pd.date_range(first, pd.Timestamp(SAMPLE_END), freq="ME")
    ends = ends[ends.month.isin(sorted(months))]
    while len(ends) and _fiscal_quarter(ends[0], fiscal_year_end) != 1:
        ends = ends[1:]
    return ends


def _fiscal_quarter(end: pd.Timestamp, fiscal_year_end: int) -> int:
    return (end.month - fiscal_year_end - 1) % 12 // 3 + 1


def _quarterly(cid: str, concept: str, raw: list[list[Any]], ends: pd.DatetimeIndex,
               events: bool, noise_sd: float) -> np.ndarray:
    """USD bn per quarter (NaN before the first anchor)."""
    if events:
        starts = ends - pd.offsets.MonthBegin(3)
        out = np.zeros(len(ends))
        for when, amount in raw:
            hit = (starts <= pd.Timestamp(when)) & (pd.Timestamp(when) <= ends)
            out[hit] += float(amount)
        return out
    values = _path(raw, ends)
    values[ends < pd.Timestamp(raw[0][0])] = np.nan
    if noise_sd > 0:
        rng = np.random.default_rng(zlib.crc32(f"{cid}.{concept}".encode()))
        values = values * np.exp(rng.standard_normal(len(ends)) * noise_sd)
    return values


def _filer_facts(company: Company, cspec: dict[str, Any], spec: dict[str, Any],
                 catalog: Catalog) -> list[Fact]:
    fye = int(cspec["fiscal_year_end"])
    ends = _quarter_ends(fye, pd.Timestamp(spec["start"]))
    facts: list[Fact] = []
    for concept in catalog.concepts.values():
        if concept.id not in cspec:
            continue
        flow = concept.kind == "flow"
        bn = _quarterly(company.id, concept.id, cspec[concept.id], ends,
                        concept.id in spec.get("events", []),
                        float(spec["noise_sd"]) if flow else 0.0)
        tags = [t for t in company.alternatives(concept)[0] if not t.endswith("?")]
        ytd, fy_start, year_total = 0.0, ends[0], []
        for i, end in enumerate(ends):
            k = _fiscal_quarter(end, fye)
            if k == 1:
                ytd, fy_start = 0.0, (end - pd.offsets.MonthBegin(3))
                year_total = bn[i:i + 4]
            if np.isnan(bn[i]) or (flow and not np.nansum(np.abs(year_total))):
                continue  # not reported yet, or a line that is zero all year
            ytd += bn[i]
            annual = k == 4
            filed = end + pd.Timedelta(days=int(spec["lag_10k" if annual else "lag_10q"]))
            if filed.date() > SAMPLE_END:
                break
            fy = (end + pd.DateOffset(months=3 * (4 - k))).year
            accn = f"{company.cik:010d}-{filed.year % 100:02d}-{fy % 100:02d}{k:04d}"
            amount = ytd if flow else bn[i]
            for tag in tags:
                facts.append(Fact(
                    tag, fy_start.date() if flow else None, end.date(),
                    round(amount * 1e3 / len(tags)) * 1e6, accn, "10-K" if annual else "10-Q",
                    filed.date(), fy, "FY" if annual else f"Q{k}"))
    return facts
