"""The large AI spenders from their SEC filings: what they invest, what their operations pay
for, and how much of it new debt funds, by company and in total.

The input is what a snapshot holds: the facts filed by its as-of date (the latest per
period, see `Store.filings`) and the catalog's companies and concepts. So every number here
is what could be known on that date; a restatement counts from the day it was filed.

1. `quarters`: fiscal quarters per company and concept. Cash-flow facts in 10-Qs run year
   to date (3, 6, 9 months): a quarter is the difference of two facts with the same start,
   the fourth quarter is the 10-K's year less nine months, and a 3-month fact is used as
   it is. Balance-sheet levels are read at each period end. The catalog's tag
   alternatives are tried in order, quarter by quarter, and the tag used is kept.
2. `company_frame`: one row per calendar quarter, dated by its first day as FRED dates
   quarters. A fiscal quarter counts in the calendar quarter of its end less 45 days, so
   Oracle's quarter to August and NVIDIA's to late October both count as the third.
3. `total_frame`: the companies counted in the total, added up, for the quarters all of
   them have reported (a quarter half the filers have reported is not a total).

`derive` then adds free cash flow after capex, capex over operating cash flow, the share of
capex that new debt funds, net debt, trailing four-quarter sums and the growth of each over
a year (the last four quarters against the four before). Amounts are in billions of
dollars.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reportgen.catalog import Company, Concept

QUARTER_DAYS = (80, 100)  # a fiscal quarter: 13 weeks, 14 in a 53-week year, 3 months
YEAR_DAYS = 380  # the longest year-to-date span: a 53-week fiscal year
PLACE_BY = pd.Timedelta(days=45)  # a fiscal quarter counts in the calendar quarter of end - 45d
FLOW_ANCHOR = "operating_cash_flow"  # a quarter the filer reported has this flow...
LEVEL_ANCHOR = "cash_and_securities"  # ...and this level
FLOWS = ("capex", "operating_cash_flow", "free_cash_flow", "debt_issued", "buybacks",
         "finance_lease_principal", "capex_incl_finance_leases")
QUARTER_COLUMNS = ["company", "concept", "period_start", "period_end", "value", "known_from",
                   "tag", "derived"]

Quarter = tuple[pd.Timestamp | None, float, pd.Timestamp, bool]  # start, USD, known, derived


@dataclass(frozen=True)
class Hyperscalers:
    """Everything section 3 draws from SEC filings, as known on one date."""

    quarters: pd.DataFrame  # one row per company, concept and fiscal quarter (tidy)
    companies: dict[str, pd.DataFrame]  # per company: calendar quarters, derived columns
    total: pd.DataFrame  # the companies in `members`, added up
    members: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return self.quarters.empty


_MEMO_SIZE = 64
_MEMO: dict[tuple, Any] = {}


def compute(snapshot: Any) -> Hyperscalers:
    """The frames for a snapshot (its filings, companies and concepts)."""
    return analyse(snapshot.filings, snapshot.companies, snapshot.concepts)


def analyse(filings: pd.DataFrame, companies: Mapping[str, Company],
            concepts: Mapping[str, Concept]) -> Hyperscalers:
    keys = {cid: _key(filings[filings["company"] == cid], cid, company, concepts)
            for cid, company in companies.items()}
    whole = ("total", *keys.values())
    found = _MEMO.get(whole)
    if found is None:
        parts = {cid: _company(key, filings, cid, companies[cid], concepts)
                 for cid, key in keys.items()}
        filed = [part[0] for part in parts.values() if len(part[0])]
        q = pd.concat(filed, ignore_index=True) if filed else quarters(filings.iloc[0:0], {},
                                                                       concepts)
        frames = {cid: part[1] for cid, part in parts.items() if part[1] is not None}
        members = tuple(cid for cid, c in companies.items() if c.in_total)
        total = total_frame({cid: frames.get(cid) for cid in members}, concepts)
        found = _remember(whole, Hyperscalers(
            q, {cid: part[2] for cid, part in parts.items() if part[2] is not None},
            derive(total), members))
    return found


def _key(facts: pd.DataFrame, cid: str, company: Company, concepts: Mapping[str, Concept]
         ) -> tuple:
    digest = int(pd.util.hash_pandas_object(facts, index=False).sum()) if len(facts) else 0
    return (cid, digest, len(facts), repr(company), repr(sorted(concepts.items())))


def _company(key: tuple, filings: pd.DataFrame, cid: str, company: Company,
             concepts: Mapping[str, Concept]
             ) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """One filer's quarters, calendar-quarter frame and derived measures. A filing changes
    one company at a time while a backtest reads every week, so results are kept by the
    content of the facts they come from (`_key`: nothing stale is returned); callers
    only read them."""
    found = _MEMO.get(key)
    if found is None:
        q = quarters(filings[filings["company"] == cid], {cid: company}, concepts)
        frame = company_frame(q, cid, concepts) if len(q) else None
        found = _remember(key, (q, frame, derive(frame) if frame is not None else None))
    return found


def _remember(key: tuple, value: Any) -> Any:
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = value
    return value


# -- 1. fiscal quarters ------------------------------------------------------------------


def quarters(filings: pd.DataFrame, companies: Mapping[str, Company],
             concepts: Mapping[str, Concept]) -> pd.DataFrame:
    """Per company, concept and fiscal quarter: the value (USD bn), the day it was known
    from (the latest filing it rests on), the tag(s) it was read from and whether it was
    derived by differencing year-to-date facts."""
    rows: list[tuple] = []
    for cid, company in companies.items():
        facts = filings[filings["company"] == cid]
        if facts.empty:
            continue
        by_tag = {tag: f for tag, f in facts.groupby("tag")}
        calendar = _fiscal_calendar(facts, companies[cid], concepts)
        for concept in concepts.values():
            found: dict[pd.Timestamp, tuple[Quarter, str]] = {}
            for alternative in company.alternatives(concept):
                for end, (q, label) in _alternative(alternative, by_tag, concept,
                                                    calendar).items():
                    found.setdefault(end, (q, label))  # the first alternative wins
            for end, ((start, usd, known, derived), label) in sorted(found.items()):
                rows.append((cid, concept.id, start, end, usd / 1e9, known, label, derived))
    out = pd.DataFrame(rows, columns=QUARTER_COLUMNS)
    for col in ("period_start", "period_end", "known_from"):
        out[col] = pd.to_datetime(out[col])
    return out.astype({"value": "float64", "derived": bool})


def _fiscal_calendar(facts: pd.DataFrame, company: Company,
                     concepts: Mapping[str, Concept]) -> dict[pd.Timestamp, list[pd.Timestamp]]:
    """The filer's year-to-date periods: fiscal-year start -> the ends reported from it,
    read from its operating cash flow (every 10-Q and 10-K reports it)."""
    anchor = concepts.get(FLOW_ANCHOR)
    if anchor is None:
        return {}
    tags = {t.rstrip("?") for alt in company.alternatives(anchor) for t in alt}
    f = facts[facts["tag"].isin(tags) & facts["start"].notna()]
    days = (f["end"] - f["start"]).dt.days + 1
    f = f[(days >= QUARTER_DAYS[0]) & (days <= YEAR_DAYS)]
    return {start: sorted(set(g["end"])) for start, g in f.groupby("start")}


def _alternative(tags: tuple[str, ...], by_tag: dict[str, pd.DataFrame], concept: Concept,
                 calendar: dict[pd.Timestamp, list[pd.Timestamp]]
                 ) -> dict[pd.Timestamp, tuple[Quarter, str]]:
    """Quarters of one alternative: its tags added up, where every required tag has one."""
    parts = []
    for tag in tags:
        facts = by_tag.get(tag.rstrip("?"))
        series = {} if facts is None else (
            _flow_quarters(facts, calendar if concept.zero_if_absent else {})
            if concept.kind == "flow" else _levels(facts))
        parts.append((tag.rstrip("?"), tag.endswith("?"), series))
    required = [(name, s) for name, optional, s in parts if not optional]
    extra = [(name, s) for name, optional, s in parts if optional]
    out: dict[pd.Timestamp, tuple[Quarter, str]] = {}
    for end, first in required[0][1].items():
        if any(end not in s for _, s in required[1:]):
            continue
        used = [(name, s[end]) for name, s in required + extra if end in s]
        if concept.kind == "flow" and any(q[0] != first[0] for _, q in used):
            continue  # the tags cover different spans
        out[end] = ((first[0], sum(q[1] for _, q in used), max(q[2] for _, q in used),
                     any(q[3] for _, q in used)), "+".join(name for name, _ in used))
    return out


def _flow_quarters(facts: pd.DataFrame, calendar: dict[pd.Timestamp, list[pd.Timestamp]]
                   ) -> dict[pd.Timestamp, Quarter]:
    """Quarters of one cash-flow tag: 3-month facts, and where there is none, differences of
    year-to-date facts with the same start (a restated first quarter must not move into the
    second when only the first was filed again). With a `calendar` (for a line filers leave
    out while it is zero), a year-to-date period the filer reported without this line
    counts as zero."""
    f = facts[facts["start"].notna()]
    days = (f["end"] - f["start"]).dt.days + 1
    out: dict[pd.Timestamp, Quarter] = {}
    native = f[(days >= QUARTER_DAYS[0]) & (days <= QUARTER_DAYS[1])]
    for start, end, value, filed in _rows(native):
        out[end] = (start, value, filed, False)
    ytd = f[(days >= QUARTER_DAYS[0]) & (days <= YEAR_DAYS)]
    for start, group in ytd.groupby("start"):
        chain = {end: (value, filed) for _, end, value, filed in _rows(group)}
        first = min(chain)
        for end in calendar.get(start, ()):
            if end < first:  # reported before the line appeared: zero so far
                chain[end] = (0.0, group["filed"].min())
        ends = sorted(chain)
        for before, end in itertools.pairwise(ends):
            if not QUARTER_DAYS[0] <= (end - before).days <= QUARTER_DAYS[1]:
                continue
            (v1, k1), (v2, k2) = chain[before], chain[end]
            candidate = (before + pd.Timedelta(days=1), v2 - v1, max(k1, k2), True)
            held = out.get(end)
            if held is None or (held[3] and candidate[2] > held[2]):
                out[end] = candidate  # a 3-month fact, as filed, beats any difference
    return out


def _rows(facts: pd.DataFrame) -> Iterator[tuple[Any, pd.Timestamp, float, pd.Timestamp]]:
    """(start, end, value, filed) per fact, as Timestamps and floats (faster than
    itertuples on the many small frames a backtest reads)."""
    return zip(pd.DatetimeIndex(facts["start"]), pd.DatetimeIndex(facts["end"]),
               facts["value"].astype("float64").tolist(), pd.DatetimeIndex(facts["filed"]),
               strict=True)


def _levels(facts: pd.DataFrame) -> dict[pd.Timestamp, Quarter]:
    f = facts[facts["start"].isna()]
    return {end: (None, value, filed, False) for _, end, value, filed in _rows(f)}


# -- 2. calendar quarters per company ----------------------------------------------------


def calendar_quarter(period_end: pd.Series) -> pd.Series:
    """The first day of the calendar quarter a fiscal quarter counts in."""
    return (pd.to_datetime(period_end) - PLACE_BY).dt.to_period("Q").dt.start_time


def company_frame(q: pd.DataFrame, company: str, concepts: Mapping[str, Concept]
                  ) -> pd.DataFrame:
    """One company's concepts by calendar quarter (USD bn), with each quarter's period end
    and the latest filing date it rests on; lines the filer leaves out while they are zero
    are zero in the quarters it reported."""
    rows = q[q["company"] == company].sort_values("period_end").copy()
    rows["date"] = calendar_quarter(rows["period_end"])
    rows = rows.drop_duplicates(["concept", "date"], keep="last")
    wide = rows.pivot(index="date", columns="concept", values="value")
    index = pd.date_range(wide.index.min(), wide.index.max(), freq="QS", name="date")
    wide = wide.reindex(index, columns=list(concepts))
    for concept in concepts.values():
        anchor = FLOW_ANCHOR if concept.kind == "flow" else LEVEL_ANCHOR
        if concept.zero_if_absent and anchor in wide:
            wide.loc[wide[concept.id].isna() & wide[anchor].notna(), concept.id] = 0.0
    by_date = rows.groupby("date")
    wide["period_end"] = by_date["period_end"].max()
    wide["known_from"] = by_date["known_from"].max()
    return wide


# -- 3. the total ------------------------------------------------------------------------


def total_frame(frames: Mapping[str, pd.DataFrame | None], concepts: Mapping[str, Concept]
                ) -> pd.DataFrame:
    """The sum over `frames` of each concept, only where every one of them has a value."""
    present = [f for f in frames.values() if f is not None and not f.empty]
    columns = [*concepts, "known_from"]
    if not present or len(present) < len(frames):
        return pd.DataFrame(columns=columns, index=pd.DatetimeIndex([], name="date"))
    index = pd.date_range(min(f.index.min() for f in present),
                          max(f.index.max() for f in present), freq="QS", name="date")
    aligned = [f.reindex(index) for f in present]
    total = pd.DataFrame(index=index)
    for cid in concepts:
        stack = pd.concat([f[cid] for f in aligned], axis=1)
        total[cid] = stack.sum(axis=1, min_count=len(aligned)).where(stack.notna().all(axis=1))
    total["known_from"] = pd.concat([f["known_from"] for f in aligned], axis=1).max(axis=1)
    filled = total[list(concepts)].notna().any(axis=1)
    if not filled.any():
        return total.iloc[0:0]
    return total.loc[filled.idxmax():filled[::-1].idxmax()]


# -- the derived measures -----------------------------------------------------------------


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """100 * num / den where the denominator is positive (a share of nothing is no share)."""
    return (100.0 * num / den).where(den > 0)


def _growth(now: pd.Series, before: pd.Series) -> pd.Series:
    """Percent change where the earlier value is positive (from a loss, growth is not a rate)."""
    return (100.0 * (now / before - 1.0)).where(before > 0)


def derive(raw: pd.DataFrame) -> pd.DataFrame:
    """The measures section 3 reads, by calendar quarter; rows must be consecutive
    quarters, so four rows back is a year ago."""
    nan = pd.Series(np.nan, index=raw.index, dtype="float64")

    def col(name: str) -> pd.Series:
        return raw[name].astype("float64") if name in raw else nan

    out = pd.DataFrame(index=raw.index)
    flows = {"capex": col("capex"), "operating_cash_flow": col("operating_cash_flow"),
             "debt_issued": col("debt_issued"), "buybacks": col("buybacks"),
             "finance_lease_principal": col("finance_lease_principal")}
    flows["free_cash_flow"] = flows["operating_cash_flow"] - flows["capex"]
    flows["capex_incl_finance_leases"] = flows["capex"] + flows["finance_lease_principal"]
    debt, cash = col("long_term_debt"), col("cash_and_securities")
    for name in FLOWS:
        out[f"{name}_usd_bn"] = flows[name]
    out["long_term_debt_usd_bn"] = debt
    out["cash_and_securities_usd_bn"] = cash
    out["net_debt_usd_bn"] = debt - cash
    out["capex_to_ocf_pct"] = _ratio(flows["capex"], flows["operating_cash_flow"])
    out["debt_funded_share_pct"] = _ratio(flows["debt_issued"], flows["capex"])
    ttm = {name: s.rolling(4, min_periods=4).sum() for name, s in flows.items()}
    for name in FLOWS:
        out[f"{name}_ttm_usd_bn"] = ttm[name]
        out[f"{name}_yoy_pct"] = _growth(ttm[name], ttm[name].shift(4))
    for name, num, den in (("capex_to_ocf", "capex", "operating_cash_flow"),
                           ("debt_funded_share", "debt_issued", "capex")):
        share = _ratio(ttm[num], ttm[den])
        out[f"{name}_ttm_pct"] = share
        out[f"{name}_ttm_change_1y_pp"] = share - share.shift(4)
    out["long_term_debt_yoy_pct"] = _growth(debt, debt.shift(4))
    out["net_debt_change_1y_usd_bn"] = out["net_debt_usd_bn"] - out["net_debt_usd_bn"].shift(4)
    out["known_from"] = raw.get("known_from", pd.NaT)
    if "period_end" in raw:
        out["period_end"] = raw["period_end"]
    return out
