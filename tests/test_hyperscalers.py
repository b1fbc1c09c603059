"""The hyperscaler measures from SEC facts, pinned on hand-made filings shaped like what
Alphabet, Meta, Oracle, Microsoft and NVIDIA filed: year-to-date differencing, the fourth
quarter, tag alternatives, lines left out while zero, calendar placement, the total, and
the derived ratios and growth rates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from reportgen import PROJECT_ROOT
from reportgen.catalog import Company, load_catalog
from reportgen.signals import hyperscalers as hs
from reportgen.sources import sample_store
from reportgen.store import FACT_COLUMNS, latest_facts

D = dt.date
CATALOG = load_catalog(PROJECT_ROOT / "catalogs")
CONCEPTS = CATALOG.concepts
PPE = "PaymentsToAcquirePropertyPlantAndEquipment"
OCF = "NetCashProvidedByUsedInOperatingActivities"
FLP = "FinanceLeasePrincipalPayments"


class Filings:
    """Facts as a filer tags them, in millions, with the day each filing was made."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def ytd(self, company: str, tag: str, start: D, end: D, millions: float, filed: D,
            form: str = "10-Q") -> Filings:
        self.rows.append((company, tag, start.isoformat(), end.isoformat(), millions * 1e6,
                          filed.isoformat(), f"{company}-{filed}", form))
        return self

    def level(self, company: str, tag: str, end: D, millions: float, filed: D) -> Filings:
        self.rows.append((company, tag, "", end.isoformat(), millions * 1e6,
                          filed.isoformat(), f"{company}-{filed}", "10-Q"))
        return self

    def frame(self, as_of: D | None = None) -> pd.DataFrame:
        raw = pd.DataFrame(self.rows, columns=FACT_COLUMNS)
        if as_of is not None:
            raw = raw[raw["filed"] <= as_of.isoformat()]
        return latest_facts(raw)


def alphabet() -> Filings:
    """Capex as Alphabet files it: year to date only (quarters 2024-2026, $ millions, about
    as filed: 2025 came to 91,447; the second quarter of 2026 to 44,924)."""
    f = Filings()
    for year, quarters in ((2024, (12_012, 13_186, 13_061, 14_276)),
                           (2025, (17_197, 22_446, 23_953, 27_851)),
                           (2026, (35_674, 44_924))):
        cum = np.cumsum(quarters)
        ends = (D(year, 3, 31), D(year, 6, 30), D(year, 9, 30), D(year, 12, 31))
        for k, total in enumerate(cum):
            filed = ends[k] + dt.timedelta(days=24 if k < 3 else 34)
            f.ytd("GOOGL", PPE, D(year, 1, 1), ends[k], total, filed,
                  "10-K" if k == 3 else "10-Q")
            f.ytd("GOOGL", OCF, D(year, 1, 1), ends[k], 25_000.0 * (k + 1) + 2_000 * (year
                  - 2024) * (k + 1), filed, "10-K" if k == 3 else "10-Q")
    return f


def analyse(filings: pd.DataFrame, *companies: str, **members: Company) -> hs.Hyperscalers:
    chosen = {c: CATALOG.companies[c] for c in companies} | members
    return hs.analyse(filings, chosen, CONCEPTS)


def value(result: hs.Hyperscalers, concept: str, end: D) -> float:
    q = result.quarters
    return float(q[(q["concept"] == concept) & (q["period_end"] == pd.Timestamp(end))]
                 ["value"].iloc[0])


def test_year_to_date_facts_become_quarters():
    result = analyse(alphabet().frame(), "GOOGL")
    assert value(result, "capex", D(2026, 6, 30)) == pytest.approx(44.924)  # 80,598 - 35,674
    assert value(result, "capex", D(2025, 12, 31)) == pytest.approx(27.851)  # 10-K less 9M
    assert value(result, "capex", D(2026, 3, 31)) == pytest.approx(35.674)  # Q1 is its YTD
    frame = result.companies["GOOGL"]
    assert list(frame.loc["2025-01-01":"2025-10-01", "capex_usd_bn"]) == pytest.approx(
        [17.197, 22.446, 23.953, 27.851])
    # the last four quarters against the four before: 132,402 vs 66,980
    assert frame.loc["2026-04-01", "capex_ttm_usd_bn"] == pytest.approx(132.402)
    assert frame.loc["2026-04-01", "capex_yoy_pct"] == pytest.approx(
        100 * (132.402 / 66.980 - 1))
    # a year's first three quarters have no year-on-year figure: no earlier year
    assert frame.loc["2024-10-01":"2025-07-01", "capex_yoy_pct"].isna().all()


def test_a_quarter_filed_after_the_as_of_date_is_not_there():
    before = analyse(alphabet().frame(D(2026, 7, 22)), "GOOGL").companies["GOOGL"]
    after = analyse(alphabet().frame(D(2026, 7, 24)), "GOOGL").companies["GOOGL"]
    assert before.index[-1] == pd.Timestamp("2026-01-01")
    assert after.index[-1] == pd.Timestamp("2026-04-01")
    assert after.loc["2026-04-01", "known_from"] == pd.Timestamp("2026-07-24")


def test_capex_with_finance_leases_as_meta_reports_it():
    """Meta's Q2 2026: (49,113 - 18,997) + (1,805 - 843) = 31,078, as its release said."""
    f = Filings()
    for tag, q1, h1 in ((PPE, 18_997, 49_113), (FLP, 843, 1_805), (OCF, 24_000, 50_000)):
        f.ytd("META", tag, D(2026, 1, 1), D(2026, 3, 31), q1, D(2026, 4, 30))
        f.ytd("META", tag, D(2026, 1, 1), D(2026, 6, 30), h1, D(2026, 7, 30))
    frame = analyse(f.frame(), "META").companies["META"]
    row = frame.loc["2026-04-01"]
    assert row["capex_usd_bn"] == pytest.approx(30.116)
    assert row["finance_lease_principal_usd_bn"] == pytest.approx(0.962)
    assert row["capex_incl_finance_leases_usd_bn"] == pytest.approx(31.078)
    assert row["free_cash_flow_usd_bn"] == pytest.approx(26.0 - 30.116)
    assert row["capex_to_ocf_pct"] == pytest.approx(100 * 30.116 / 26.0)


def test_oracle_fourth_quarter_and_offset_fiscal_year():
    """Oracle's year ends in May: FY26's fourth quarter is 55,663 - 39,170 = 16,493, for
    March to May, which counts in the calendar's second quarter."""
    f = Filings()
    fy25, fy26 = D(2024, 6, 1), D(2025, 6, 1)
    f.ytd("ORCL", PPE, fy25, D(2025, 2, 28), 12_135, D(2025, 3, 11))
    f.ytd("ORCL", PPE, fy25, D(2025, 5, 31), 21_215, D(2025, 6, 18), "10-K")
    f.ytd("ORCL", PPE, fy26, D(2025, 8, 31), 8_502, D(2025, 9, 10))
    f.ytd("ORCL", PPE, fy26, D(2025, 11, 30), 20_502, D(2025, 12, 11))
    f.ytd("ORCL", PPE, fy26, D(2026, 2, 28), 39_170, D(2026, 3, 11))
    f.ytd("ORCL", PPE, fy26, D(2026, 5, 31), 55_663, D(2026, 6, 22), "10-K")
    result = analyse(f.frame(), "ORCL")
    assert value(result, "capex", D(2026, 5, 31)) == pytest.approx(16.493)
    capex = result.companies["ORCL"]["capex_usd_bn"]
    assert capex["2025-07-01"] == pytest.approx(8.502)  # June-August: the third quarter
    assert capex["2026-04-01"] == pytest.approx(16.493)
    # trailing four quarters to February 2026: 39,170 + (21,215 - 12,135) = 48,250
    assert result.companies["ORCL"].loc["2026-01-01", "capex_ttm_usd_bn"] == \
        pytest.approx(48.250)


@pytest.mark.parametrize(("end", "quarter"), [
    (D(2025, 8, 31), "2025-07-01"),   # Oracle, June-August
    (D(2025, 10, 26), "2025-07-01"),  # NVIDIA, late July to late October
    (D(2026, 1, 25), "2025-10-01"),   # NVIDIA's fiscal year end
    (D(2026, 6, 30), "2026-04-01"),   # Microsoft's fiscal year end
    (D(2026, 3, 31), "2026-01-01"),
])
def test_fiscal_quarters_count_in_the_calendar_quarter_they_mostly_cover(end, quarter):
    placed = hs.calendar_quarter(pd.Series([pd.Timestamp(end)]))
    assert placed.iloc[0] == pd.Timestamp(quarter)


def test_a_line_left_out_while_zero_counts_as_zero():
    """Debt issued appears in the 10-K only (a bond sold in the fourth quarter): the 10-Qs
    had no such line, so the first three quarters are zero and the fourth takes it all."""
    f = Filings()
    issued = "ProceedsFromIssuanceOfLongTermDebt"
    for k, end in enumerate((D(2025, 3, 31), D(2025, 6, 30), D(2025, 9, 30),
                             D(2025, 12, 31)), start=1):
        filed = end + dt.timedelta(days=30)
        f.ytd("META", OCF, D(2025, 1, 1), end, 25_000 * k, filed)
        f.ytd("META", PPE, D(2025, 1, 1), end, 15_000 * k, filed)
    f.ytd("META", issued, D(2025, 1, 1), D(2025, 12, 31), 29_990, D(2026, 1, 30), "10-K")
    frame = analyse(f.frame(), "META").companies["META"]
    assert list(frame["debt_issued_usd_bn"]) == [0.0, 0.0, 0.0, pytest.approx(29.99)]
    assert frame.loc["2025-10-01", "debt_funded_share_pct"] == pytest.approx(
        100 * 29.99 / 15.0)
    assert frame.loc["2025-10-01", "debt_funded_share_ttm_pct"] == pytest.approx(
        100 * 29.99 / 60.0)
    assert list(frame["buybacks_usd_bn"]) == [0.0] * 4  # never reported: zero


def test_the_first_alternative_wins_period_by_period():
    amazon = CATALOG.companies["AMZN"]
    assert amazon.alternatives(CONCEPTS["capex"]) == (("PaymentsToAcquireProductiveAssets",),)
    f = Filings()
    # Amazon also tags the PP&E element, with a different figure: it must not be read
    f.ytd("AMZN", "PaymentsToAcquireProductiveAssets", D(2026, 1, 1), D(2026, 3, 31),
          32_183, D(2026, 5, 1))
    f.ytd("AMZN", PPE, D(2026, 1, 1), D(2026, 3, 31), 1_100, D(2026, 5, 1))
    f.level("AMZN", "LongTermDebtNoncurrent", D(2026, 3, 31), 88_000, D(2026, 5, 1))
    f.level("AMZN", "LongTermDebt", D(2025, 12, 31), 65_000, D(2026, 2, 6))
    result = analyse(f.frame(), "AMZN")
    q = result.quarters.set_index(["concept", "period_end"])
    assert q.loc[("capex", pd.Timestamp("2026-03-31")), "value"] == pytest.approx(32.183)
    assert q.loc[("long_term_debt", pd.Timestamp("2025-12-31")), "tag"] == "LongTermDebt"
    assert q.loc[("long_term_debt", pd.Timestamp("2026-03-31")), "tag"] == \
        "LongTermDebtNoncurrent"


def test_the_total_counts_only_quarters_every_member_reported():
    f = alphabet()
    for k, end in enumerate((D(2025, 3, 31), D(2025, 6, 30), D(2025, 9, 30),
                             D(2025, 12, 31), D(2026, 3, 31)), start=1):
        start = D(end.year, 1, 1)
        ytd = k if end.year == 2025 else 1
        f.ytd("META", PPE, start, end, 10_000 * ytd, end + dt.timedelta(days=30))
        f.ytd("META", OCF, start, end, 20_000 * ytd, end + dt.timedelta(days=30))
        f.ytd("NVDA", "PaymentsToAcquireProductiveAssets", start, end, 500 * ytd,
              end + dt.timedelta(days=30))
    result = analyse(f.frame(), "GOOGL", "META", "NVDA")
    assert result.members == ("GOOGL", "META")  # NVIDIA is listed, not counted
    total = result.total
    assert total.index[0] == pd.Timestamp("2025-01-01")  # Meta's first quarter
    assert total.index[-1] == pd.Timestamp("2026-01-01")  # Meta lacks 2026's second
    assert total.loc["2026-01-01", "capex_usd_bn"] == pytest.approx(35.674 + 10.0)
    assert total.loc["2025-10-01", "capex_ttm_usd_bn"] == pytest.approx(91.447 + 40.0)
    assert np.isnan(total.loc["2025-10-01", "net_debt_usd_bn"])  # no level reported


def test_derived_measures_on_a_hand_made_frame():
    idx = pd.date_range("2024-01-01", periods=8, freq="QS", name="date")
    raw = pd.DataFrame({
        "capex": [10.0] * 4 + [20.0] * 4, "operating_cash_flow": [20.0] * 8,
        "debt_issued": [0.0, 0.0, 0.0, 4.0, 0.0, 10.0, 0.0, 10.0],
        "buybacks": [5.0] * 8, "finance_lease_principal": [1.0] * 8,
        "long_term_debt": [50.0] * 4 + [80.0] * 4,
        "cash_and_securities": [60.0] * 4 + [70.0] * 4}, index=idx)
    out = hs.derive(raw)
    last = out.iloc[-1]
    assert last["free_cash_flow_usd_bn"] == 0.0
    assert last["capex_to_ocf_pct"] == 100.0
    assert last["capex_to_ocf_ttm_pct"] == 100.0
    assert last["capex_to_ocf_ttm_change_1y_pp"] == 50.0
    assert last["capex_yoy_pct"] == 100.0
    assert last["operating_cash_flow_yoy_pct"] == 0.0
    assert last["free_cash_flow_yoy_pct"] == -100.0  # from 40 a year to nothing
    assert last["debt_funded_share_pct"] == 50.0
    assert last["debt_funded_share_ttm_pct"] == 25.0
    assert last["debt_funded_share_ttm_change_1y_pp"] == 15.0
    assert last["debt_issued_yoy_pct"] == 400.0
    assert last["net_debt_usd_bn"] == 10.0
    assert last["net_debt_change_1y_usd_bn"] == 20.0
    assert last["long_term_debt_yoy_pct"] == pytest.approx(60.0)
    assert last["capex_incl_finance_leases_ttm_usd_bn"] == 84.0
    assert out.iloc[:3]["capex_ttm_usd_bn"].isna().all()
    # from a year that burnt cash, growth is not a rate; nor is a share of no cash flow
    burnt = hs.derive(raw.assign(operating_cash_flow=[5.0] * 4 + [30.0] * 4))
    assert burnt.iloc[-1]["free_cash_flow_ttm_usd_bn"] == 40.0
    assert np.isnan(burnt.iloc[-1]["free_cash_flow_yoy_pct"])
    assert np.isnan(hs.derive(raw.assign(operating_cash_flow=0.0)).iloc[-1][
        "capex_to_ocf_pct"])


def test_latest_facts_restatements_and_comparatives():
    f = Filings()
    for filed, millions in ((D(2025, 4, 30), 10.0), (D(2026, 4, 30), 10.0),
                            (D(2026, 6, 1), 12.0), (D(2026, 7, 30), 12.0)):
        f.ytd("X", PPE, D(2025, 1, 1), D(2025, 3, 31), millions, filed)
    assert f.frame(D(2026, 5, 1))["filed"].iloc[0] == pd.Timestamp("2025-04-30")
    restated = f.frame()
    assert restated["value"].iloc[0] == 12e6
    assert restated["filed"].iloc[0] == pd.Timestamp("2026-06-01")  # current since then


@pytest.mark.slow
def test_the_bundled_sample_tells_section_3s_story():
    """SYNTHETIC figures, flagged as sample: every listed filer, and a total whose capex
    outgrows operating cash flow while new debt funds a rising share."""
    snap = sample_store(CATALOG).snapshot(D(2026, 11, 20))
    assert {c for c in snap.filings["company"]} == set(CATALOG.companies)
    assert all(snap.provenance[f"SEC:{c}"].sample for c in CATALOG.companies)
    result = hs.compute(snap)
    total = result.total
    assert total.index[-1] == pd.Timestamp("2026-07-01")
    assert total.loc["2024-04-01", "capex_to_ocf_ttm_pct"] < 60
    assert total.loc["2026-07-01", "capex_to_ocf_ttm_pct"] > 100
    assert total.loc["2024-04-01", "debt_funded_share_ttm_pct"] < 10
    assert total.loc["2026-07-01", "debt_funded_share_ttm_pct"] > 20
    assert total.loc["2026-07-01", "net_debt_usd_bn"] > 0 > total.loc["2024-04-01",
                                                                       "net_debt_usd_bn"]
    # as of a date before Oracle's August quarter was filed, the total ends a quarter earlier
    early = hs.compute(sample_store(CATALOG).snapshot(D(2026, 10, 1))).total
    assert early.index[-1] == pd.Timestamp("2026-04-01")
