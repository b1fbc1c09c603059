"""Sections 3, 4 (loan marks), 6 and 7: the essay's structural claims from data.

Each test builds a small data set shaped like a real episode, with the numbers stated here,
and checks the verdicts (made in compute) and the sentences (chosen by the templates) in
all three languages, without building a whole issue. Numbers are about as filed or
published, rounded; they are fixtures, not real data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reportgen import PROJECT_ROOT
from reportgen.catalog import load_catalog
from reportgen.errors import MalformedDataError
from reportgen.pipeline import PREVIOUS_ISSUE_DAYS, analyse, render_sections
from reportgen.signals import concentration, credit, hedges, loanmarks
from reportgen.signals.base import Signal
from reportgen.sources.usercsv import read_table
from reportgen.store import Fact, FetchRecord, Snapshot, Store, filer_id
from tests.conftest import LANGUAGES, compute_context

D = dt.date
CATALOG = load_catalog(PROJECT_ROOT / "catalogs")
LEVELS = compute_context(D(2026, 1, 1)).levels
PPE = "PaymentsToAcquirePropertyPlantAndEquipment"
OCF = "NetCashProvidedByUsedInOperatingActivities"
DEBT = "ProceedsFromIssuanceOfLongTermDebt"
ORACLE_DEBT = "ProceedsFromIssuanceOfSeniorLongTermDebt"


def paragraphs(html: str) -> list[str]:
    """The sentences a reader sees: the text of every <p>, tags stripped."""
    return [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p[^>]*>(.*?)</p>", html, re.S)]


def render(sample_issue, snapshot: Snapshot, ids: list[str], lang: str) -> str:
    """Sections rendered alone from a snapshot of our own (the sample's content)."""
    analysis = analyse(sample_issue.content, snapshot,
                       snapshot.as_of - dt.timedelta(days=PREVIOUS_ISSUE_DAYS))
    return render_sections(sample_issue.config, sample_issue.content, analysis, snapshot,
                           lang, ids)


def t(sample_issue, lang: str, msgid: str) -> str:
    return sample_issue.content.locales[lang].translations.gettext(msgid)


# -- section 3: the AI spenders' capex and its funding, point in time -------------------

# Quarterly capex, operating cash flow and debt issued ($ bn) for calendar 2023-2025,
# shaped like Meta's and Oracle's filings: Meta sold $10.5 bn of bonds in August 2024 and
# $30 bn in October 2025, Oracle $18 bn in September 2025. 10-Qs report year to date and
# are filed about 30 days (Meta) or 40 days (Oracle) after the quarter; the 10-K 35/45 days.
FILERS = {
    "META": {"capex": [(7.1, 6.1, 6.6, 7.9), (6.4, 8.5, 9.2, 14.8), (13.7, 17.0, 19.4, 22.1)],
             "ocf": [(14.0, 17.3, 20.4, 19.4), (19.2, 19.4, 24.7, 27.6),
                     (24.0, 25.6, 30.0, 29.0)],
             "debt": [(0, 0, 0, 0), (0, 0, 10.5, 0), (0, 0, 0, 30.0)],
             "lag": (30, 35), "debt_tag": DEBT},
    "ORCL": {"capex": [(1.7, 1.7, 1.3, 1.1), (1.7, 2.8, 2.3, 4.0), (5.9, 9.1, 8.5, 12.0)],
             "ocf": [(5.1, 1.5, 8.3, 3.4), (5.0, 5.0, 7.4, 1.3), (5.9, 6.1, 8.1, 2.1)],
             "debt": [(0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 18.0, 0)],
             "lag": (40, 45), "debt_tag": ORACLE_DEBT},
}
QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


def filer_facts(cid: str) -> list[Fact]:
    """Year-to-date facts as 10-Qs and 10-Ks report them, each with its filing date."""
    spec, facts = FILERS[cid], []
    for y, year in enumerate((2023, 2024, 2025)):
        for measure, tag in (("capex", PPE), ("ocf", OCF), ("debt", spec["debt_tag"])):
            total = 0.0
            for k, (month, day) in enumerate(QUARTER_ENDS):
                total += spec[measure][y][k]
                end = D(year, month, day)
                filed = end + dt.timedelta(days=spec["lag"][k == 3])
                if measure == "debt" and total == 0:
                    continue  # filers leave a line out while it is zero
                facts.append(Fact(tag, D(year, 1, 1), end, total * 1e9, f"{cid}-{filed}",
                                  "10-K" if k == 3 else "10-Q", filed))
    return facts


@pytest.fixture(scope="module")
def filings_store() -> Store:
    """A store holding the two filers' facts, and a restatement of Meta's 2025 capex in a
    10-K/A filed on 1 Mar 2026 (year-to-date September raised by $3 bn)."""
    catalog = dataclasses.replace(CATALOG, companies={c: CATALOG.companies[c]
                                                      for c in FILERS})
    store = Store(catalog)
    stamp = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    for cid in FILERS:
        facts = filer_facts(cid)
        if cid == "META":
            facts.append(Fact(PPE, D(2025, 1, 1), D(2025, 9, 30), (13.7 + 17.0 + 19.4 + 3.0)
                              * 1e9, "META-restated", "10-K/A", D(2026, 3, 1)))
        store.merge_facts(cid, facts, FetchRecord(filer_id(cid), "sec", stamp, stamp, "ok"),
                          CATALOG.companies[cid].title)
    return store


def s3(store: Store, as_of: D):
    snap = store.snapshot(as_of)
    return credit.compute(snap, compute_context(as_of)).signals


def test_a_replay_of_section_3_uses_only_filings_made_by_its_date(filings_store):
    """Before Oracle filed its September 10-Q (9 Nov 2025) the total ends in June even
    though Meta had filed (30 Oct); the restatement counts only from 1 Mar 2026."""
    before = s3(filings_store, D(2025, 11, 8))
    after = s3(filings_store, D(2025, 11, 10))
    assert before["hyperscaler_capex_usd_bn"].date == D(2025, 4, 1)
    assert before["hyperscaler_capex_usd_bn"].value == pytest.approx(17.0 + 9.1)
    assert after["hyperscaler_capex_usd_bn"].date == D(2025, 7, 1)
    assert after["hyperscaler_capex_usd_bn"].value == pytest.approx(19.4 + 8.5)
    # the 10-K/A raises nine months' capex by $3 bn from its filing date on: the fourth
    # quarter (the year less nine months) is $3 bn lower, the year unchanged
    filed, restated = s3(filings_store, D(2026, 2, 28)), s3(filings_store, D(2026, 3, 1))
    assert filed["hyperscaler_capex_usd_bn"].value == pytest.approx(22.1 + 12.0)
    assert restated["hyperscaler_capex_usd_bn"].value == pytest.approx(22.1 + 12.0 - 3.0)
    assert filed["hyperscaler_capex_ttm_usd_bn"].value == pytest.approx(72.2 + 35.5)
    assert restated["hyperscaler_capex_ttm_usd_bn"].value == pytest.approx(72.2 + 35.5)


def test_capex_still_paid_from_cash_then_debt_funds_a_rising_share(filings_store):
    """Mid-2024: capex 47% of operating cash flow and no bonds sold: paid from cash. Early
    2026: capex $107.7 bn against $130.8 bn of cash flow, and $48 bn of bonds, 45% of capex
    against 21% a year earlier: debt funds a rising share, while spreads sit tight."""
    early = s3(filings_store, D(2024, 7, 1))
    assert early["hyperscaler_capex_to_ocf_pct"].date == D(2024, 1, 1)
    assert early["hyperscaler_debt_funded_share_pct"].value == 0.0
    assert early["capex_funding"].state == "cash_funded"
    late = s3(filings_store, D(2026, 2, 20))
    share = late["hyperscaler_debt_funded_share_pct"]
    assert share.date == D(2025, 10, 1)
    assert share.value == pytest.approx(100 * 48.0 / 107.7)
    assert share.change == pytest.approx(100 * 48.0 / 107.7 - 100 * 10.5 / 49.7)
    assert late["hyperscaler_capex_to_ocf_pct"].value == pytest.approx(
        100 * 107.7 / (108.6 + 22.2))
    assert late["capex_funding"].state == "debt_rising"
    assert late["hyperscaler_top_debt_share_pct"].inputs == ("SEC:ORCL",)  # 18.0 / 35.5
    assert late["hyperscaler_net_position"].state == ""  # no balance-sheet levels filed


@pytest.mark.parametrize(("ratio", "share", "change", "expected"), [
    (60.0, 2.0, 0.0, "cash_funded"),
    (85.0, 5.0, 1.0, "cash_stretched"),
    (105.0, 4.0, 0.0, "cash_drawdown"),
    (105.0, 15.0, 1.0, "debt_filling"),
    (95.0, 30.0, -4.0, "debt_heavy"),
    (70.0, 12.0, 8.0, "debt_rising"),
])
def test_the_funding_verdict_between_cash_and_debt(ratio, share, change, expected):
    when = D(2025, 10, 1)
    r = Signal("r", ratio, "percent", when, ("SEC:META",), change=0.0)
    s = Signal("s", share, "percent", when, ("SEC:META",), change=change)
    assert credit.funding_verdict(r, s, LEVELS).state == expected


@pytest.mark.parametrize(("funding", "spreads", "expected"), [
    ("debt_rising", "tight", "building_unpriced"), ("debt_heavy", "normal", "building"),
    ("debt_filling", "wide", "credit_cycle"), ("cash_funded", "wide", "stress_elsewhere"),
    ("cash_stretched", "tight", "equity_risk"), ("", "tight", ""),
])
def test_the_sections_answer_combines_funding_and_spreads(funding, spreads, expected):
    when = D(2026, 2, 20)
    verdict = credit.cycle_verdict(Signal("capex_funding", None, "state", when, (), funding),
                                   Signal("hy_oas_percentile", 5.0, "percentile", when, (),
                                          spreads))
    assert verdict.state == expected


def test_a_spread_at_its_5th_percentile_is_tighter_than_95_percent_of_history():
    idx = pd.bdate_range("2020-01-01", periods=20)
    bp = pd.Series([300.0 + 10 * k for k in range(19)] + [250.0], index=idx)
    last = Signal("hy_oas_bp", 250.0, "bp", idx[-1].date(), ("BAMLH0A0HYM2",))
    rank = credit.rank_signal("hy_oas_rank", bp, last)
    assert (rank.state, rank.value) == ("tighter", 95.0)
    wide = credit.rank_signal("hy_oas_rank", -bp, last)
    assert (wide.state, wide.value) == ("wider", 95.0)


def test_section_3_says_debt_funds_a_rising_share_in_every_language(sample_issue):
    """The sample's filings (synthetic) end with debt funding 27% of capex, up 24 points."""
    signals = sample_issue.analysis.signals
    assert signals["capex_funding"].state == "debt_rising"
    assert signals["ai_credit_cycle"].state == "building_unpriced"
    for lang in LANGUAGES:
        html = sample_issue.render(["s3"], lang)
        text = " ".join(paragraphs(html))
        for msgid in ("Debt now funds a rising share of the AI build-out: the cash machines "
                      "are turning to leverage.",
                      "Leverage is building while credit is priced for calm: the risk is "
                      "moving toward a credit cycle that lenders have not priced yet."):
            assert t(sample_issue, lang, msgid) in text, lang
        assert "–" not in text, lang
    en = " ".join(paragraphs(sample_issue.render(["s3"], "en")))
    assert "In the four quarters to Q3 2026, Microsoft, Alphabet, Amazon, Meta Platforms, " \
           "and Oracle spent $683\u00a0bn on capital expenditure" in en
    assert "tighter than 85% of its history" in en and "wider than" not in en
    hant = " ".join(paragraphs(sample_issue.render(["s3"], "zh-Hant")))
    assert "截至2026年第3季的近四季" in hant and "比85%的歷史時期更窄" in hant


# -- what a reader sees without any user file ---------------------------------------------

def bare(snapshot: Snapshot, *drop: str) -> Snapshot:
    """The sample as a store without user files or SEC filings (FRED and NY Fed only)."""
    user = {"GOLD", "CLOUD_CDS_5Y", *drop}
    return dataclasses.replace(
        snapshot, series={k: v for k, v in snapshot.series.items() if k not in user},
        tables={}, filings=snapshot.filings.iloc[0:0])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_without_user_files_each_section_says_which_file_to_add(sample_issue, lang):
    snap = bare(sample_issue.snapshot)
    html = render(sample_issue, snap, ["s3", "s4", "s6", "s7"], lang)
    text = paragraphs(html)
    joined = " ".join(text)
    catalog = sample_issue.content.catalog
    assert t(sample_issue, lang, "The AI spenders' SEC filings are not in the store, so "
             "their capex and its funding cannot be shown: set data.sec_user_agent in "
             "reportgen.toml to your name and e-mail address, as SEC's fair-access rules ask, "
             "and run reportgen fetch.") in joined
    for path, header in (("data/cloud_cds_5y.csv", "date,spread_bp"),
                         ("data/loan_marks.csv", "date,loan_id,borrower,manager,mark"),
                         ("data/constituents.csv", "date,ticker,name"),
                         ("data/gold.csv", "date,usd_per_oz")):
        assert any(path in p and header in p for p in text), (lang, path)
    assert catalog.tables["constituents"]["one_of"] == ["market_cap_usd_bn", "weight_pct"]
    assert "market_cap_usd_bn,weight_pct" in joined
    # bitcoin is still shown, and the Nasdaq-100 proxy answers section 6's question
    assert t(sample_issue, lang, "Bitcoin is trading as high-beta liquidity, not as a hedge: "
             "it amplifies equity moves.") in joined
    assert t(sample_issue, lang, "When it mattered, bitcoin behaved as high-beta liquidity: "
             "the perfect hedge failed.") in joined
    assert "reportgen import FILE --series GOLD" in joined
    assert 'id="fig-s6_relative"' in html and 'id="fig-s7_corr"' in html
    # no value is missing inside a sentence
    assert not [p for p in text if "–" in p]


def test_without_the_nasdaq_100_section_6_says_it_has_no_measure(sample_issue):
    snap = bare(sample_issue.snapshot, "NASDAQ100")
    signals = concentration.compute(snap, compute_context(snap.as_of)).signals
    assert signals["concentration_measure"].state == "none"
    text = " ".join(paragraphs(render(sample_issue, snap, ["s6"], "en")))
    assert "Neither a constituents file nor the Nasdaq-100 is in the store" in text
    assert "The Nasdaq Composite returned" in text


# -- section 6: each figure with its own date, the proxy, weights or market caps ----------

def index_series(start: str, end: str, first: float, last: float) -> pd.Series:
    idx = pd.bdate_range(start, end, name="date")
    return pd.Series(np.geomspace(first, last, len(idx)), index=idx)


def test_each_index_figure_carries_its_own_date_and_base(sample_issue):
    """The S&P 500 stopped on 31 Dec 2025 (FRED's ten-year window in the real store); the
    Nasdaq runs to 20 Aug 2026. Each 12-month return runs from the last close at least a
    year before its own last date."""
    sp = index_series("2023-01-02", "2025-12-31", 3800.0, 6850.0)
    comp = index_series("2023-01-02", "2026-08-20", 10400.0, 23000.0)
    ndx = comp * np.linspace(1.05, 1.20, len(comp))  # the largest names pull ahead
    snap = Snapshot(D(2026, 8, 24), {"SP500": sp, "NASDAQCOM": comp, "NASDAQ100": ndx}, {},
                    CATALOG.indicators, False)
    sig = concentration.compute(snap, compute_context(snap.as_of)).signals
    assert sig["sp500_yoy_pct"].date == D(2025, 12, 31)
    base = sp[sp.index <= "2024-12-31"].iloc[-1]
    assert sig["sp500_yoy_pct"].value == pytest.approx(100 * (6850.0 / base - 1))
    assert sig["nasdaq_yoy_pct"].date == D(2026, 8, 20)
    base = comp[comp.index <= "2025-08-20"].iloc[-1]
    assert sig["nasdaq_yoy_pct"].value == pytest.approx(100 * (23000.0 / base - 1))
    assert sig["concentration_measure"].state == "proxy"
    assert sig["concentration_proxy"].state == "leaders_ahead"
    assert sig["nasdaq_drawdown_pct"].state == "at_peak"
    html = render(sample_issue, snap, ["s6"], "en")
    text = " ".join(paragraphs(html))
    assert re.search(r"The S&P 500 returned [\d.]+% in the 12\u00a0months to 31 Dec 2025", text)
    assert re.search(r"The Nasdaq Composite returned [\d.]+% in the 12\u00a0months to 20 Aug "
                     r"2026, ending at a record high\.", text)
    assert "the largest names are pulling ahead" in text
    hans = " ".join(paragraphs(render(sample_issue, snap, ["s6"], "zh-Hans")))
    assert "截至2025年12月31日的12个月，标普500指数回报率为" in hans


def constituents_table(column: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.Timestamp("2026-11-20"),
                         "ticker": [f"T{k:02d}" for k in range(len(values))],
                         "name": [f"Name {k}" for k in range(len(values))], column: values})


def test_the_top_10_share_from_index_weights_or_market_caps():
    """Ten names of 4% and ten of 6% in a 20-name file: the top ten hold 60%."""
    out = concentration.SectionResult()
    concentration.constituents(constituents_table("weight_pct", [6.0] * 10 + [4.0] * 10),
                               LEVELS, out)
    assert out.signals["top10_share_pct"].value == pytest.approx(60.0)
    assert out.signals["concentration_measure"].state == "weights"
    assert out.signals["top10_share_pct"].state == "high"
    out = concentration.SectionResult()
    caps = constituents_table("market_cap_usd_bn", [300.0] * 10 + [700.0] * 10)
    concentration.constituents(caps, LEVELS, out)
    assert out.signals["top10_share_pct"].value == pytest.approx(70.0)
    assert out.signals["concentration_measure"].state == "market_caps"


def test_a_constituents_file_needs_caps_or_weights_and_the_whole_index(tmp_path):
    spec = CATALOG.tables["constituents"]
    path = tmp_path / "constituents.csv"
    path.write_text("date,ticker,name\n2026-11-20,AAA,A\n", encoding="utf-8")
    with pytest.raises(MalformedDataError, match=r"line 1: needs a column "
                       r"'market_cap_usd_bn' or 'weight_pct'"):
        read_table(path, "constituents", spec)
    rows = "".join(f"2026-11-20,T{k},N{k},{1000 - k}\n" for k in range(10))
    path.write_text("date,ticker,name,market_cap_usd_bn\n" + rows, encoding="utf-8")
    with pytest.raises(MalformedDataError, match=r"10 row\(s\) on 2026-11-20, fewer than 11: "
                       r"list the whole index"):
        read_table(path, "constituents", spec)
    rows = "".join(f"2026-11-20,T{k},N{k},{100 / 12:.4f}\n" for k in range(12))
    path.write_text("date,ticker,name,weight_pct\n" + rows, encoding="utf-8")
    frame = read_table(path, "constituents", spec)
    assert list(frame.columns) == ["date", "ticker", "name", "weight_pct"]


# -- section 7: bitcoin and gold, the hedges that were not --------------------------------

def stress_snapshot(as_of: D, gold: bool = True) -> Snapshot:
    """Daily prices 2019-2023 shaped like March 2020 and 2022: the Nasdaq falls 30% from
    19 Feb to 23 Mar 2020 and 36% from 19 Nov 2021 to 28 Dec 2022; bitcoin falls 33% and
    72% over the same windows; gold falls 5% then 3%. Between, each rises 40% a year. The
    real yield falls 1 bp each day gold rises 0.1% (gold moves against it)."""
    days = pd.date_range("2019-01-01", "2023-06-30", freq="D", name="date")

    def path(falls: dict[tuple[str, str], float]) -> pd.Series:
        r = pd.Series(np.log(1.4) / 365, index=days)
        for (a, b), fall in falls.items():
            window = (days > a) & (days <= b)
            r[window] = np.log(1 + fall) / window.sum()
        return pd.Series(100.0 * np.exp(r.cumsum()), index=days)

    eps = {("2020-02-19", "2020-03-23"), ("2021-11-19", "2022-12-28")}
    ndx_falls = dict(zip(sorted(eps), (-0.30, -0.36), strict=True))
    btc_falls = dict(zip(sorted(eps), (-0.33, -0.72), strict=True))
    gold_falls = dict(zip(sorted(eps), (-0.05, -0.03), strict=True))
    business = days[days.day_of_week < 5]
    ndx = path(ndx_falls)[business]
    wiggle = pd.Series(np.where(np.arange(len(days)) % 2 == 0, 0.004, -0.004), index=days)
    gold_px = path(gold_falls) * np.exp(wiggle.cumsum())
    real = 1.0 - 10 * np.log(gold_px[business]).diff().fillna(0).cumsum()
    series = {"NASDAQCOM": ndx, "CBBTCUSD": path(btc_falls), "DFII10": real}
    if gold:
        series["GOLD"] = gold_px[business]
    series = {k: v[v.index <= pd.Timestamp(as_of)] for k, v in series.items()}
    return Snapshot(as_of, series, {}, CATALOG.indicators, False)


def s7(as_of: D, gold: bool = True):
    snap = stress_snapshot(as_of, gold)
    return hedges.compute(snap, compute_context(as_of))


def test_in_stress_bitcoin_fell_further_and_gold_held():
    out = s7(D(2023, 6, 30))
    rows = {r["id"]: r for r in out.tables["stress_episodes"]}
    assert set(rows) == {"covid_2020", "rate_shock_2022", "banks_2023"}
    assert rows["covid_2020"]["nasdaq_return_pct"] == pytest.approx(-30.0, abs=0.5)
    assert rows["rate_shock_2022"]["btc_return_pct"] == pytest.approx(-72.0, abs=0.5)
    sig = out.signals
    assert sig["btc_stress_episodes"].value == 2  # March 2023: the Nasdaq rose here
    assert sig["btc_stress_worse_count"].value == 2
    assert sig["btc_stress_hedge"].state == "failed"
    assert sig["gold_stress_up_count"].value == 0 and sig["gold_stress_episodes"].value == 2
    assert sig["gold_real_yield_tie"].state == "inverse"
    assert sig["gold_real_yield_corr_90d"].value < -0.9
    btc = stress_snapshot(D(2023, 6, 30))["CBBTCUSD"]
    year_ago = btc[btc.index <= "2022-06-30"].iloc[-1]
    assert sig["btc_return_12m_pct"].value == pytest.approx(100 * (btc.iloc[-1] / year_ago - 1))


def test_an_episode_not_over_by_the_as_of_date_is_not_scored():
    out = s7(D(2022, 6, 30))
    assert [r["id"] for r in out.tables["stress_episodes"]] == ["covid_2020"]
    assert out.signals["btc_stress_episodes"].date == D(2020, 3, 23)


def test_without_gold_bitcoin_is_still_judged():
    sig = s7(D(2023, 6, 30), gold=False).signals
    assert sig["btc_stress_hedge"].state == "failed"
    assert not sig["gold_stress_episodes"].ok and not sig["gold_usd"].ok
    assert sig["gold_real_yield_tie"].state == ""


@pytest.mark.parametrize("lang", LANGUAGES)
def test_section_7_sentences_in_every_language(sample_issue, lang):
    snap = stress_snapshot(D(2023, 6, 30))
    text = " ".join(paragraphs(render(sample_issue, snap, ["s7"], lang)))
    en = {"en": "In 2 of the 2 stress episodes in the store in which the Nasdaq fell, "
                "bitcoin fell further than the index; it rose in none of them.",
          "zh-Hant": "資料庫涵蓋的壓力事件中，那斯達克下跌的有2次，其中2次比特幣跌得比指數更深；"
                     "比特幣一次也沒有上漲。",
          "zh-Hans": "数据库涵盖的压力事件中，纳斯达克下跌的有2次，其中2次比特币跌得比指数更深；"
                     "比特币一次也没有上涨。"}
    assert en[lang] in text
    gold = t(sample_issue, lang, "%(name)s moves against real yields, as a hedge against "
             "easier money should.") % {"name": t(sample_issue, lang, "Gold")}
    assert gold in text
    assert "–" not in text


# -- section 4: the same loan, different marks --------------------------------------------

def test_marks_of_70_and_90_on_the_same_loan_are_diverging():
    """Three loans at 30 Sep 2026: Acme marked 70 by one holder and 90 by another (the
    essay's case), Beta at 98 and 97, and Gamma held by one manager only (not compared)."""
    table = pd.DataFrame({
        "date": pd.Timestamp("2026-09-30"),
        "loan_id": ["L1", "L1", "L2", "L2", "L3"],
        "borrower": ["Acme", "Acme", "Beta", "Beta", "Gamma"],
        "manager": ["A", "B", "A", "C", "B"], "mark": [70.0, 90.0, 98.0, 97.0, 60.0]})
    out = credit.SectionResult()
    loanmarks.loan_marks(table, LEVELS, out)
    sig = out.signals
    assert sig["loan_mark_loans"].value == 2
    assert sig["loan_mark_dispersion_cents"].value == pytest.approx((20.0 + 1.0) / 2)
    assert (sig["loan_mark_widest_low_cents"].value,
            sig["loan_mark_widest_high_cents"].value) == (70.0, 90.0)
    assert sig["loan_marks"].state == "diverging" and sig["loan_mark_wide_count"].value == 1
    calm = table.assign(mark=[89.0, 90.0, 98.0, 97.0, 60.0])
    out = credit.SectionResult()
    loanmarks.loan_marks(calm, LEVELS, out)
    assert out.signals["loan_marks"].state == "in_step"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_section_4_states_the_marks_in_every_language(sample_issue, lang):
    """The sample's marks (synthetic): Falcon Aerospace Parts at 70 against 90."""
    html = sample_issue.render(["s4"], lang)
    text = " ".join(paragraphs(html))
    expected = {"en": "the widest gap, 20\u00a0cents, is on Falcon Aerospace Parts (70 against 90)",
                "zh-Hant": "差距最大的是Falcon Aerospace Parts，達20美分（70對90）",
                "zh-Hans": "差距最大的是Falcon Aerospace Parts，达20美分（70对90）"}
    assert expected[lang] in text


# -- charts: grouped bars, and source lines naming what was drawn --------------------------

def test_grouped_bars_and_their_source_lines(sample_issue, tmp_path):
    """The by-company and stress-episode charts draw from their tables with short codes on
    the axis; their source lines name the filers and series behind them, and a chart
    whose gold line is absent does not name GOLD."""
    from reportgen.charts import draw, plan
    from reportgen.narrative.views import chart_views
    from reportgen.pipeline import chart_inputs, events

    content = sample_issue.content
    snap = bare(sample_issue.snapshot)
    snap = dataclasses.replace(snap, filings=sample_issue.snapshot.filings)
    analysis = analyse(content, snap, snap.as_of - dt.timedelta(days=PREVIOUS_ISSUE_DAYS))
    specs = [c for c in content.registry.charts()
             if c.id in ("s3_companies", "s7_episodes", "s7_corr")]
    jobs = plan.plan(specs, content.style, chart_inputs(content, analysis, snap), tmp_path,
                     ["en"], {"en": str}, {"en": []})
    drawn = [draw.draw(job) for job in jobs]
    svg = {d.id: d.path.read_text(encoding="utf-8") for d in drawn}
    assert all(code in svg["s3_companies"] for code in ("MSFT", "ORCL", "NVDA"))
    assert all(code in svg["s7_episodes"] for code in ("2020-03", "2022", "2025-04"))
    views = chart_views(specs, content.style, analysis, drawn, content.narrator("en", analysis),
                        events(content), snap.provenance)
    assert views["s3_companies"]["sources"] == \
        "SEC EDGAR filings (AMZN, GOOGL, META, MSFT, NVDA, ORCL)"
    assert views["s7_corr"]["sources"] == "CBBTCUSD, NASDAQCOM"
    assert views["s7_episodes"]["sources"] == "CBBTCUSD, NASDAQCOM"
    assert views["s3_companies"]["last"] == "30 Sep 2026"  # the latest quarter's end


def test_quarterly_signals_are_dated_by_quarter_and_amounts_carry_their_sign(sample_issue):
    n = sample_issue.content.narrator("en", sample_issue.analysis)
    assert sample_issue.content.registry.signals["hyperscaler_capex_ttm_usd_bn"].period == \
        "quarter"
    assert n.d("hyperscaler_capex_ttm_usd_bn") == "Q3 2026"
    assert n.d("hy_oas_bp") == "19 Nov 2026"
    assert n.fmt.usd_bn(-62.0) == "-$62\u00a0bn"  # a no-break space: never a line end between
    hant = sample_issue.content.narrator("zh-Hant", sample_issue.analysis)
    assert hant.d("hyperscaler_capex_ttm_usd_bn") == "2026年第3季"
    assert hant.fmt.usd_bn(-62.0) == "-620億美元"


# -- charts: the outlook's heat strip ------------------------------------------------------

def _collections(svg: str) -> list[list[tuple[float, float, str]]]:
    """Each PolyCollection of a matplotlib SVG: its cells as (left x, top y, fill)."""
    out = []
    for group in re.findall(r'<g id="PolyCollection_\d+">(.*?)</g>', svg, re.S):
        cells = []
        for d, fill in re.findall(r'<path d="M ([\d.]+ [\d.]+).*?fill: (#[0-9a-f]{6})',
                                  group, re.S):
            x, y = (float(v) for v in d.split())
            cells.append((x, y, fill))
        out.append(cells)
    return out


def test_heat_strip_rows_shade_by_value(tmp_path):
    """A row per series, the first on top; each run of equal values one cell, coloured
    from the paper (0%) to the series' colour (100%); the latest value written at the
    row's end and the row named by its code."""
    from reportgen.charts import ChartJob, ChartSpec, load_style
    from reportgen.charts.draw import draw
    from reportgen.content import builtin

    style = load_style(builtin())
    weeks = np.arange("2024-01-03", "2024-03-27", 7, dtype="datetime64[D]").astype(
        "datetime64[ns]")
    a = np.array([0, 0, 50, 50, 50, 100, 100, 100, 100, 0, 0, 25], dtype=float)
    b = np.full(len(weeks), 100.0)
    spec = ChartSpec(id="phases", section="s8", kind="heat_strip", title="t", subtitle="s",
                     units="percent", series=({"id": "a", "label": "A", "code": "A"},
                                              {"id": "b", "label": "B", "code": "B"}))
    job = ChartJob(spec=spec, style=style, path=tmp_path / "phases.svg",
                   start=dt.datetime(2024, 1, 1), series={"a": (weeks, a), "b": (weeks, b)})
    svg = draw(job).path.read_text(encoding="utf-8")
    row_a, row_b = _collections(svg)
    def rgb(hex_: str) -> np.ndarray:
        return np.array([int(hex_[k:k + 2], 16) for k in (1, 3, 5)], dtype=float)

    def mix(share: float, color: str) -> np.ndarray:  # paper (white) to the colour
        return (1 - share) * rgb("#ffffff") + share * rgb(color)

    wanted = [mix(v, style.color(0)) for v in (0, 0.5, 1, 0, 0.25)]
    assert len(row_a) == len(wanted)
    for (_, _, fill), want in zip(row_a, wanted, strict=True):
        assert np.abs(rgb(fill) - want).max() <= 1.5, (fill, want)
    assert [f for _, _, f in row_b] == [style.color(1).lower()]
    assert row_a[0][1] < row_b[0][1]  # the first series on top
    assert [x for x, _, _ in row_a] == sorted(x for x, _, _ in row_a)
    texts = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    assert {"A", "B", " 25%", " 100%"} <= {t for t in texts}


def test_phase_chart_is_a_heat_strip_with_a_legend_of_blocks(sample_issue):
    from reportgen.charts import plan
    from reportgen.narrative.views import chart_views
    from reportgen.pipeline import chart_inputs, events

    content, analysis = sample_issue.content, sample_issue.analysis
    spec = next(c for c in content.registry.charts() if c.id == "s8_phases")
    assert spec.kind == "heat_strip" and [s["code"] for s in spec.series] == ["A", "B", "C"]
    jobs = plan.plan([spec], content.style, chart_inputs(content, analysis,
                                                         sample_issue.snapshot),
                     Path("/nonexistent"), ["en"], {"en": str}, {"en": []})
    assert set(jobs[0].series) == {s["id"] for s in spec.series}
    drawn = plan.drawn(jobs)
    view = chart_views([spec], content.style, analysis, drawn,
                       content.narrator("en", analysis), events(content))["s8_phases"]
    assert [(k["label"], k["kind"]) for k in view["legend"]] == [
        (s["label"], "shade") for s in spec.series]


# -- charts: event lines labelled, keys for what the window shows, no empty axis ------------

def _planned(sample_issue, ids, tmp_path):
    from reportgen.charts import plan
    from reportgen.pipeline import chart_inputs

    content, analysis = sample_issue.content, sample_issue.analysis
    specs = [c for c in content.registry.charts() if c.id in ids]
    return specs, plan.plan(specs, content.style, chart_inputs(content, analysis,
                                                               sample_issue.snapshot),
                            tmp_path, ["en"], {"en": str}, {"en": []})


def test_event_lines_carry_their_code_and_keys_follow_the_window(sample_issue, tmp_path):
    """Each dashed event line in the window is labelled above the plot with its event's
    language-neutral code (catalogs/events.toml); one outside the window is neither drawn
    nor labelled. The legend keys only the shading and events the window shows: the
    labour chart starts after the 2020 recession and has no recession key."""
    from reportgen.charts import draw
    from reportgen.narrative.views import chart_views
    from reportgen.pipeline import events

    ids = ("s1_policy", "s2_path", "s4_reserves", "s1_labour", "s1_inflation")
    specs, jobs = _planned(sample_issue, ids, tmp_path)
    drawn = [draw.draw(job) for job in jobs]
    texts = {d.id: re.findall(r"<text[^>]*>([^<]+)</text>", d.path.read_text("utf-8"))
             for d in drawn}
    assert texts["s1_policy"].count("FOMC ↓") == 2  # July 2019 and September 2024
    assert texts["s1_policy"].count("FOMC ↑") == 1  # March 2022
    assert texts["s2_path"].count("FOMC ↓") == 1 and "FOMC ↑" not in texts["s2_path"]
    assert texts["s4_reserves"].count("SOFR ↑") == 1
    assert not any("FOMC" in t or "SOFR" in t for t in texts["s1_labour"])
    content, analysis = sample_issue.content, sample_issue.analysis
    views = chart_views(specs, content.style, analysis, drawn,
                        content.narrator("en", analysis), events(content))
    keys = {cid: [k["label"] for k in v["legend"] if k["kind"] != "line"]
            for cid, v in views.items()}
    assert keys["s1_labour"] == ["Government shutdowns"]
    assert keys["s1_inflation"] == ["Recessions (NBER)", "Government shutdowns"]
    assert keys["s1_policy"] == ["Recessions (NBER)", "Policy events"]
    assert keys["s4_reserves"] == ["Balance-sheet runoff (QT)", "Policy events"]


def test_no_empty_left_axis_when_its_series_is_absent(sample_issue, tmp_path):
    """A two-axis chart whose left-axis series has no data draws the right axis alone:
    no tick labels on the left (a scale of nothing), the grid on the right axis."""
    from reportgen.charts import draw

    _, jobs = _planned(sample_issue, ("s1_labour",), tmp_path)
    job = jobs[0]
    right = {s["id"] for s in job.spec.series if s.get("axis") == "right"}
    assert right and set(job.series) - right, "the labour chart has both axes"

    def axes_and_yticks(svg: str) -> tuple[int, int]:
        return (len(re.findall(r'<g id="matplotlib\.axis_\d+"', svg)),
                len(re.findall(r'<g id="ytick_\d+"', svg)))

    both = axes_and_yticks(draw.draw(job).path.read_text("utf-8"))
    job.series = {k: v for k, v in job.series.items() if k in right}
    job.path = tmp_path / "right-only.svg"
    alone = axes_and_yticks(draw.draw(job).path.read_text("utf-8"))
    assert both[0] == 3  # x, left and right axes
    assert alone[0] == 2 and 0 < alone[1] < both[1]  # the left axis and its ticks are gone


def test_no_empty_right_axis_when_its_series_is_absent(sample_issue, tmp_path):
    """Without the policy-uncertainty series (absent from a store built from FRED alone),
    the conclusion's chart draws NFCI on one axis: no empty 0-1 scale on the right, and
    the caption names the line it promised but could not draw, in each language."""
    from reportgen.charts import DrawnChart, draw
    from reportgen.narrative.views import chart_views
    from reportgen.pipeline import events

    specs, jobs = _planned(sample_issue, ("conclusion_conditions",), tmp_path)
    job = jobs[0]
    right = {s["id"] for s in job.spec.series if s.get("axis") == "right"}
    assert right and set(job.series) & right, "the sample has the right-axis series"

    def axes(svg: str) -> int:
        return len(re.findall(r'<g id="matplotlib\.axis_\d+"', svg))

    assert axes(draw.draw(job).path.read_text("utf-8")) == 3  # x, left and right
    job.series = {k: v for k, v in job.series.items() if k not in right}
    job.path = tmp_path / "left-only.svg"
    assert axes(draw.draw(job).path.read_text("utf-8")) == 2  # no right scale of nothing

    content, analysis = sample_issue.content, sample_issue.analysis
    drawn = [DrawnChart(job.spec.id, None, job.path, job.last_date)]
    full = chart_views(specs, content.style, analysis, drawn,
                       content.narrator("en", analysis), events(content))
    assert full["conclusion_conditions"]["absent"] is None
    without = dataclasses.replace(analysis, series={k: v for k, v in analysis.series.items()
                                                    if k not in right})
    said = {lang: chart_views(specs, content.style, without, drawn,
                              content.narrator(lang, without), events(content)
                              )["conclusion_conditions"] for lang in ("en", "zh-Hant", "zh-Hans")}
    assert said["en"]["absent"] == ("Not drawn, for want of data in this issue: "
                                    "Policy uncertainty (EPU).")
    assert said["zh-Hant"]["absent"].startswith("本期因無資料而未繪出：")
    assert said["zh-Hans"]["absent"].startswith("本期因无数据而未绘出：")
    assert all("EPU" not in [k["label"] for k in v["legend"]] for v in said.values())
