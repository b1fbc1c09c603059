"""SEC EDGAR against a loopback server that answers in EDGAR's company facts JSON: facts kept
with their filing dates, restatements and 10-K/As as new vintages, tag fallbacks, SEC's
fair-access rules (User-Agent, 403, 429, the request budget), bad answers and --as-of."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sqlite3

import pandas as pd
import pytest
from fakes import FakeSEC
from live import AGENT, TODAY, catalog, config, dump, sec_world, write_config

from reportgen.signals import hyperscalers
from reportgen.sources import open_store, sample_store
from reportgen.sources.fetch import SOURCE_TZ, Fetcher, Services
from reportgen.store import Store

D = dt.date
MSFT = 789019
META = 1326801
# Microsoft's FY2026 (July 2025 to June 2026), in millions; the nine-month and full-year
# capex are the filed figures (115,948 - 80,146 = 35,802, the fourth quarter's).
Q1, Q2, Q3 = (D(2025, 7, 1), D(2025, 9, 30)), (D(2025, 10, 1), D(2025, 12, 31)), \
    (D(2026, 1, 1), D(2026, 3, 31))
FY = (D(2025, 7, 1), D(2026, 6, 30))
FILED_Q1, FILED_Q2, FILED_Q3 = D(2025, 10, 29), D(2026, 1, 28), D(2026, 4, 29)
FILED_10K, FILED_10KA, FILED_NEXT_Q1 = D(2026, 7, 29), D(2026, 9, 15), D(2026, 10, 28)
M = 1_000_000


def clock(today):
    return lambda: dt.datetime.combine(today, dt.time(12), SOURCE_TZ).astimezone(dt.UTC)


def only(*companies):
    """The project catalog reduced to some filers: a fetch asks SEC and nothing else."""
    cat = catalog()
    return dataclasses.replace(cat, indicators={}, tables={},
                               companies={c: cat.companies[c] for c in companies})


def sec_fetch(cfg, cat, today=TODAY):
    with open_store(cfg, cat) as store:
        return Fetcher(cfg, cat, store, Services.from_config(cfg), today, clock(today)).run()


def microsoft_world(**kw) -> FakeSEC:
    """Microsoft's FY2026 as filed: 10-Qs with three-month and year-to-date cash flows, the
    10-K, a 10-K/A restating the year's capex, and the next 10-Q restating Q1's comparative."""
    sec = FakeSEC(**kw)
    sec.add_company(MSFT, "MICROSOFT CORPORATION")
    capex, ocf = "PaymentsToAcquirePropertyPlantAndEquipment", \
        "NetCashProvidedByUsedInOperatingActivities"

    def fact(tag, span, val, accn, fp, form, filed, start=True, fy=2026):
        sec.add_fact(MSFT, tag, start=span[0] if start else None, end=span[1], val=val * M,
                     accn=accn, fy=fy, fp=fp, form=form, filed=filed)

    a1, a2, a3 = "0000950170-25-100001", "0000950170-26-010002", "0000950170-26-050003"
    k, ka, n1 = "0000950170-26-090004", "0000950170-26-110005", "0000950170-26-130006"
    fact(capex, Q1, 19_394, a1, "Q1", "10-Q", FILED_Q1)
    fact(ocf, Q1, 45_057, a1, "Q1", "10-Q", FILED_Q1)
    fact(capex, Q2, 29_876, a2, "Q2", "10-Q", FILED_Q2)  # MSFT tags three months too...
    fact(capex, (Q1[0], Q2[1]), 49_270, a2, "Q2", "10-Q", FILED_Q2)  # ...and the half year
    fact(ocf, (Q1[0], Q2[1]), 80_000, a2, "Q2", "10-Q", FILED_Q2)
    fact(capex, (Q1[0], Q3[1]), 80_146, a3, "Q3", "10-Q", FILED_Q3)
    fact(ocf, (Q1[0], Q3[1]), 126_000, a3, "Q3", "10-Q", FILED_Q3)
    fact(capex, FY, 115_948, k, "FY", "10-K", FILED_10K)
    fact(ocf, FY, 170_000, k, "FY", "10-K", FILED_10K)
    fact(capex, FY, 116_100, ka, "FY", "10-K/A", FILED_10KA)  # the amendment restates
    fact(ocf, FY, 170_000, ka, "FY", "10-K/A", FILED_10KA)
    fact(capex, Q1, 19_500, n1, "Q1", "10-Q", FILED_NEXT_Q1, fy=2027)  # restated comparative
    fact(capex, (D(2026, 7, 1), D(2026, 9, 30)), 34_900, n1, "Q1", "10-Q", FILED_NEXT_Q1,
         fy=2027)
    fact(ocf, (D(2026, 7, 1), D(2026, 9, 30)), 50_000, n1, "Q1", "10-Q", FILED_NEXT_Q1, fy=2027)
    for span, debt, filed, accn in ((Q1, 43_000, FILED_Q1, a1), (Q3, 40_000, FILED_Q3, a3),
                                    (FY, 40_200, FILED_10K, k)):
        fact("LongTermDebt", span, debt, accn, "Q1", "10-Q", filed, start=False)
    # other forms, other units and a broken fact are not read
    sec.add_fact(MSFT, capex, start=Q1[0], end=Q1[1], val=1, accn="0000950170-25-100009",
                 fy=2026, fp="Q1", form="8-K", filed=FILED_Q1)
    sec.add_fact(MSFT, "EarningsPerShareBasic", start=Q1[0], end=Q1[1], val=3.72,
                 accn=a1, fy=2026, fp="Q1", form="10-Q", filed=FILED_Q1, unit="USD/shares")
    sec.add_fact(MSFT, "PaymentsForRepurchaseOfCommonStock", start=Q1[0], end=Q1[1],
                 val="n/a", accn=a1, fy=2026, fp="Q1", form="10-Q", filed=FILED_Q1)
    return sec


def quarter(result, concept, end):
    q = result.quarters
    row = q[(q["concept"] == concept) & (q["period_end"] == pd.Timestamp(end))]
    return None if row.empty else row.iloc[0]


def test_facts_are_kept_with_their_filing_dates_and_read_as_of(tmp_path, caplog):
    cat = only("MSFT")
    with microsoft_world() as sec:
        cfg = config(tmp_path, sec=sec, agent=AGENT)
        with caplog.at_level(logging.WARNING):
            report = sec_fetch(cfg, cat)
        assert report.written["SEC:MSFT"] == 17 and not report.failed and not report.errors
        assert report.requests["SEC EDGAR"] == 1
        (req,) = sec.requests
        assert req.path == "/api/xbrl/companyfacts/CIK0000789019.json"
        assert req.headers["User-Agent"] == AGENT and "gzip" in req.headers["Accept-Encoding"]
        assert "skipped 1 fact(s): PaymentsForRepurchaseOfCommonStock #1: val 'n/a'" \
            in caplog.text
        before = dump(cfg.store_path, "filing_facts")
        again = sec_fetch(cfg, cat)  # nothing new: one request, nothing written
        assert again.unchanged == ["SEC:MSFT"] and len(sec.requests) == 2
        assert dump(cfg.store_path, "filing_facts") == before

    def read(as_of):
        with open_store(cfg, cat) as store:
            return hyperscalers.compute(store.snapshot(as_of))

    # the fourth quarter is the year less nine months, known from the 10-K's filing day
    assert quarter(read(FILED_10K - dt.timedelta(days=1)), "capex", FY[1]) is None
    q4 = quarter(read(FILED_10K), "capex", FY[1])
    assert q4["value"] == pytest.approx(35.802) and q4["derived"]
    assert q4["period_start"] == pd.Timestamp(2026, 4, 1)
    assert q4["known_from"] == pd.Timestamp(FILED_10K)
    # the 10-K/A is a new vintage from its filing day
    assert quarter(read(FILED_10KA - dt.timedelta(days=1)), "capex", FY[1])["value"] == \
        pytest.approx(35.802)
    amended = quarter(read(FILED_10KA), "capex", FY[1])
    assert amended["value"] == pytest.approx(35.954)
    assert amended["known_from"] == pd.Timestamp(FILED_10KA)
    # the second quarter was tagged for three months; the third comes from the year to date
    late = read(TODAY)
    assert quarter(late, "capex", Q2[1])["value"] == pytest.approx(29.876)
    assert not quarter(late, "capex", Q2[1])["derived"]
    assert quarter(late, "capex", Q3[1])["value"] == pytest.approx(30.876)
    # a comparative restated in next year's 10-Q replaces the first print from that day on
    assert quarter(read(FILED_NEXT_Q1 - dt.timedelta(days=1)), "capex", Q1[1])["value"] == \
        pytest.approx(19.394)
    assert quarter(late, "capex", Q1[1])["value"] == pytest.approx(19.5)
    # levels are read at the period end; buybacks, never reported, count as zero
    msft = late.companies["MSFT"]
    assert msft.loc["2026-01-01", "long_term_debt_usd_bn"] == pytest.approx(40.0)
    assert msft.loc["2025-07-01", "buybacks_usd_bn"] == 0.0
    assert msft.loc["2026-04-01", "capex_to_ocf_pct"] == pytest.approx(
        100 * 35.954 / 44.0)
    with open_store(cfg, cat) as store:
        snap = store.snapshot(TODAY)
    assert snap.provenance["SEC:MSFT"].source == "sec"
    assert snap.provenance["SEC:MSFT"].last_date == D(2026, 9, 30)
    assert not snap.provenance["SEC:MSFT"].stale


def test_a_missing_tag_falls_back_to_the_next_alternative(tmp_path):
    """Meta tagged as if it used the alternatives: capex under the productive-assets tag,
    debt only as non-current plus (once) current portion."""
    sec = FakeSEC()
    sec.add_company(META, "META PLATFORMS, INC.")
    accn = "0001326801-26-000010"
    sec.add_fact(META, "PaymentsToAcquireProductiveAssets", start=D(2026, 1, 1),
                 end=D(2026, 3, 31), val=18_997 * M, accn=accn, fy=2026, fp="Q1",
                 form="10-Q", filed=D(2026, 4, 30))
    sec.add_fact(META, "NetCashProvidedByUsedInOperatingActivities", start=D(2026, 1, 1),
                 end=D(2026, 3, 31), val=24_000 * M, accn=accn, fy=2026, fp="Q1",
                 form="10-Q", filed=D(2026, 4, 30))
    for end, noncurrent, current in ((D(2025, 12, 31), 28_800, None),
                                     (D(2026, 3, 31), 28_800, 1_000)):
        sec.add_fact(META, "LongTermDebtNoncurrent", end=end, val=noncurrent * M, accn=accn,
                     fy=2026, fp="Q1", form="10-Q", filed=D(2026, 4, 30))
        if current:
            sec.add_fact(META, "LongTermDebtCurrent", end=end, val=current * M, accn=accn,
                         fy=2026, fp="Q1", form="10-Q", filed=D(2026, 4, 30))
    cat = only("META")
    with sec:
        cfg = config(tmp_path, sec=sec, agent=AGENT)
        assert sec_fetch(cfg, cat).written["SEC:META"] == 5
    with open_store(cfg, cat) as store:
        result = hyperscalers.compute(store.snapshot(TODAY))
    capex = quarter(result, "capex", D(2026, 3, 31))
    assert capex["tag"] == "PaymentsToAcquireProductiveAssets" and capex["value"] == 18.997
    assert quarter(result, "long_term_debt", D(2026, 3, 31))["tag"] == \
        "LongTermDebtNoncurrent+LongTermDebtCurrent"
    assert quarter(result, "long_term_debt", D(2026, 3, 31))["value"] == pytest.approx(29.8)
    assert quarter(result, "long_term_debt", D(2025, 12, 31))["tag"] == \
        "LongTermDebtNoncurrent"


@pytest.mark.slow
def test_without_a_user_agent_sec_is_skipped_and_doctor_says_why(tmp_path):
    from tests.conftest import run_cli
    with sec_world(["MSFT"]) as sec:
        cfg = config(tmp_path, sec=sec)  # no agent
        report = sec_fetch(cfg, only("MSFT"))
        assert sec.requests == []
        assert "data.sec_user_agent" in report.skipped["SEC EDGAR"]
        write_config(tmp_path, sec=sec)
        r = run_cli("doctor", cwd=tmp_path)
        assert "skip  SEC EDGAR: no User-Agent" in r.stdout
        assert "REPORTGEN_SEC_USER_AGENT" in r.stdout
        r = run_cli("fetch", cwd=tmp_path)
        assert "SEC EDGAR skipped: no User-Agent" in r.stdout
        assert sec.requests == []
        write_config(tmp_path, sec=sec, agent=AGENT)
        r = run_cli("doctor", cwd=tmp_path)
        assert f"ok    SEC EDGAR {sec.url} (User-Agent '{AGENT}'): answers" in r.stdout
        assert sec.requests[-1].path.startswith("/api/xbrl/companyconcept/CIK0000789019/")
    bad = tmp_path / "bad"
    bad.mkdir()
    write_config(bad, agent="just-a-tool/1.0")
    r = run_cli("fetch", cwd=bad)
    assert r.returncode == 2
    assert "data.sec_user_agent: 'just-a-tool/1.0' does not give a name and a contact " \
           "e-mail" in r.stderr


def test_a_403_names_the_fix_and_stops_asking(tmp_path):
    with sec_world(["MSFT", "GOOGL", "AMZN"]) as sec:
        sec.fault("status", status=403, times=None)
        cfg = config(tmp_path, sec=sec, agent=AGENT, extra="threads = 1\n")
        report = sec_fetch(cfg, only("MSFT", "GOOGL", "AMZN"))
        assert len(sec.requests) == 1  # a 403 is not retried, nor asked again
    assert set(report.errors) == {"SEC:MSFT", "SEC:GOOGL", "SEC:AMZN"}
    message = report.errors["SEC:MSFT"]
    assert "SEC EDGAR refused MSFT (CIK 789019) (HTTP 403)" in message
    assert "data.sec_user_agent" in message
    with sqlite3.connect(cfg.store_path) as db:
        assert db.execute("SELECT COUNT(*) FROM filing_facts").fetchone() == (0,)


def test_a_429_waits_for_retry_after(tmp_path):
    with sec_world(["MSFT"]) as sec:
        sec.retry_after = 1
        sec.fault("status", status=429, times=1)
        cfg = config(tmp_path, sec=sec, agent=AGENT)
        report = sec_fetch(cfg, only("MSFT"))
        first, second = sec.requests
    assert report.written["SEC:MSFT"] > 0 and not report.failed
    assert second.time - first.time >= 0.95  # backoff alone would be 0.05 s


def test_requests_stay_under_ten_a_second(tmp_path):
    companies = list(catalog().companies)
    with sec_world() as sec:
        sec.max_per_second = 10  # SEC's limit: more gets 429
        cfg = config(tmp_path, sec=sec, agent=AGENT, sec_per_second=8)
        report = sec_fetch(cfg, only(*companies))
        times = sorted(r.time for r in sec.requests)
    # no 429 (each company asked once) and the budget's pace: 8 a second
    assert len(times) == len(companies) and not report.failed
    assert sorted(report.written) == [f"SEC:{c}" for c in sorted(companies)]
    assert times[-1] - times[0] >= (len(times) - 1) / 8 - 0.05


def test_bad_answers_fail_the_company_and_keep_the_store(tmp_path):
    with sec_world(["MSFT", "GOOGL"]) as sec:
        cfg = config(tmp_path, sec=sec, agent=AGENT)
        sec_fetch(cfg, only("MSFT", "GOOGL"))
        before = dump(cfg.store_path, "filing_facts")
        sec.fault("html", status=200, match="CIK0000789019")
        sec.fault("body", body=b'{"cik": 1, "entityName": "X", "facts": {}}',
                  match="CIK0001652044")
        report = sec_fetch(cfg, only("MSFT", "GOOGL"))
        assert "the answer was an HTML page" in report.failed["SEC:MSFT"]
        assert "the answer is for CIK 1, not 1652044" in report.failed["SEC:GOOGL"]
        assert dump(cfg.store_path, "filing_facts") == before
        sec.fault("truncated", match="CIK0000789019")  # half a gzip stream: asked again
        report = sec_fetch(cfg, only("MSFT"))
        assert report.unchanged == ["SEC:MSFT"] and len(
            [r for r in sec.requests if "789019" in r.path]) == 4
    with open_store(cfg, only("MSFT", "GOOGL")) as store:
        snap = store.snapshot(TODAY)
    assert snap.provenance["SEC:MSFT"].last_error == "" and snap.provenance["SEC:GOOGL"].stale


def test_an_unknown_cik_is_a_catalog_error(tmp_path):
    cat = only("MSFT")
    cat = dataclasses.replace(cat, companies={"MSFT": dataclasses.replace(
        cat.companies["MSFT"], cik=1234567)})
    with sec_world(["MSFT"]) as sec:
        cfg = config(tmp_path, sec=sec, agent=AGENT)
        report = sec_fetch(cfg, cat)
    assert "no XBRL company facts for MSFT (CIK 1234567) (HTTP 404)" in report.errors["SEC:MSFT"]


def test_environment_overrides_url_and_user_agent(tmp_path, monkeypatch):
    with sec_world(["ORCL"]) as sec:
        cfg = config(tmp_path)  # SEC at a closed port, no agent
        monkeypatch.setenv("REPORTGEN_SEC_URL", sec.url)
        monkeypatch.setenv("REPORTGEN_SEC_USER_AGENT", "Env Operator ops@example.net")
        report = sec_fetch(cfg, only("ORCL"))
        assert report.written["SEC:ORCL"] > 0
        assert sec.requests[0].headers["User-Agent"] == "Env Operator ops@example.net"


@pytest.mark.slow
def test_fetched_sample_filings_read_back_as_the_sample_does(tmp_path):
    """The whole path (JSON, parsing, store, point-in-time read) loses nothing: the same
    SYNTHETIC filings served by the fake or loaded as the sample give the same frames."""
    with sec_world() as sec:
        cfg = config(tmp_path, sec=sec, agent=AGENT)
        sec_fetch(cfg, only(*catalog().companies))
    with open_store(cfg, catalog()) as store:
        fetched = hyperscalers.compute(store.snapshot(TODAY))
    bundled = hyperscalers.compute(sample_store(catalog()).snapshot(TODAY))
    pd.testing.assert_frame_equal(fetched.total, bundled.total)
    pd.testing.assert_frame_equal(fetched.companies["ORCL"], bundled.companies["ORCL"])
    assert fetched.members == ("MSFT", "GOOGL", "AMZN", "META", "ORCL")


def test_an_older_store_gains_the_filings_table(tmp_path):
    path = tmp_path / "old.sqlite"
    Store(catalog(), path).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE filing_facts")  # a store of schema 1 had neither
        db.execute("ALTER TABLE series DROP COLUMN failure")
        db.execute("UPDATE meta SET value='1' WHERE key='schema'")
    with Store(catalog(), path) as store:
        assert store.filings(TODAY).empty
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == ("3",)


@pytest.mark.slow
def test_indicators_lists_the_filers(tmp_path):
    from tests.conftest import run_cli
    with sec_world(["MSFT"]) as sec:  # the other filers are unknown to this SEC: 404
        write_config(tmp_path, sec=sec, agent=AGENT)
        assert run_cli("fetch", cwd=tmp_path).returncode == 2
    lines = run_cli("indicators", cwd=tmp_path).stdout.splitlines()
    msft = next(x for x in lines if x.startswith("SEC:MSFT"))
    assert msft.split()[1:4] == ["sec", "quarterly", "2026-09-30"] and msft.endswith("ok")
    assert next(x for x in lines if x.startswith("SEC:GOOGL")).endswith("never fetched")


def test_a_fetch_of_some_series_does_not_ask_sec(tmp_path):
    with sec_world(["MSFT"]) as sec:
        cfg = config(tmp_path, sec=sec, agent=AGENT)
        with open_store(cfg, catalog()) as store:
            report = Fetcher(cfg, catalog(), store, Services.from_config(cfg), TODAY,
                             clock(TODAY)).run(only={"GOLD"})
        assert sec.requests == [] and not report.skipped
