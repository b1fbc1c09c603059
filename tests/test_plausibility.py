"""Plausibility and integrity at the door: bounds per series, ambiguous numbers, truncated
answers, and the rules of the user's tables. Each refusal names the file or series, the
line or date, and the rule."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pandas as pd
import pytest
from fakes import FakeFred
from live import TODAY, catalog, config, dump, fred_data, sample
from test_fetch import fetch, snapshot

from reportgen.errors import CatalogError, ImplausibleDataError, MalformedDataError
from reportgen.sources import open_store
from reportgen.sources.fredgraph import parse_csv
from reportgen.sources.sample import sample_tables
from reportgen.sources.usercsv import import_file, read_series, read_table
from reportgen.sources.validate import DEFAULT_BOUNDS, bounds, check_table, plausible
from reportgen.store import FetchRecord
from tests.conftest import run_cli

D = dt.date


def ind(sid: str = "UNRATE", **extra: object):
    base = catalog().indicators[sid]
    return dataclasses.replace(base, extra={**base.extra, **extra})


# -- bounds ---------------------------------------------------------------------------------


def test_bounds_come_from_the_catalog_else_from_the_unit():
    assert bounds(catalog().indicators["UNRATE"]) == (0.0, 50.0)  # its own entry
    assert bounds(catalog().indicators["DGS2"]) == DEFAULT_BOUNDS["percent"] == (-20.0, 100.0)
    assert bounds(catalog().indicators["WALCL"])[0] == 0  # a stock of dollars
    assert bounds(catalog().indicators["USREC"]) == (0.0, 1.0)
    assert set(DEFAULT_BOUNDS) == set(catalog_units())
    for bad in ([5, 1], [1], "0..5", [0, float("nan")], [True, 2]):
        with pytest.raises(CatalogError, match=r"\[UNRATE\] bounds = .*low < high"):
            bounds(ind(bounds=bad))


def catalog_units() -> tuple[str, ...]:
    from reportgen.catalog import UNITS
    return UNITS


def test_the_bundled_sample_is_plausible_everywhere():
    """The bounds must not refuse the shapes the report is built for."""
    for sid, values in sample().items():
        if sid in catalog().indicators:
            values = values.dropna()
            assert plausible(values, catalog().indicators[sid]).all(), sid
    for name, table in sample_tables().items():
        check_table("sample", name, catalog().tables[name], table,
                    list(range(2, len(table) + 2)))


def test_an_out_of_range_value_refuses_the_whole_answer_naming_series_date_and_value():
    body = b"observation_date,UNRATE\n2026-09-01,4.3\n2026-10-01,1e308\n"
    with pytest.raises(ImplausibleDataError) as err:
        parse_csv(body, catalog().indicators["UNRATE"], "FRED CSV for UNRATE", TODAY)
    message = str(err.value)
    assert "UNRATE on 2026-10-01 = 1e+308 (line 3)" in message
    assert "between 0 and 50" in message and "\n" not in message
    body = b"observation_date,DGS2\n2026-09-01,-25\n"
    with pytest.raises(ImplausibleDataError, match="between -20 and 100"):
        parse_csv(body, catalog().indicators["DGS2"], "FRED CSV for DGS2", TODAY)


# -- ambiguous numbers ------------------------------------------------------------------------


def test_numbers_with_commas_are_refused_not_guessed(tmp_path):
    quoted = b'observation_date,PAYEMS\n2026-09-01,"159,420"\n'
    with pytest.raises(MalformedDataError, match=r"line 2: '159,420' is ambiguous"):
        parse_csv(quoted, catalog().indicators["PAYEMS"], "FRED CSV for PAYEMS", TODAY)
    decimal_comma = b"observation_date,UNRATE\n2026-09-01,4,3\n"
    with pytest.raises(MalformedDataError, match=r"line 2 has 3 fields.*decimal commas"):
        parse_csv(decimal_comma, catalog().indicators["UNRATE"], "FRED CSV", TODAY)
    path = tmp_path / "UNRATE.csv"
    path.write_text('date,value\n2026-08-01,4.2\n2026-09-01,"4,3"\n', encoding="utf-8")
    with pytest.raises(MalformedDataError) as err:
        import_file(path, catalog(), TODAY)
    assert str(err.value).startswith(f"{path}: line 3: '4,3' is ambiguous")
    gold = tmp_path / "gold.csv"
    gold.write_text('date,usd_per_oz\n2026-11-18,"4,010.5"\n', encoding="utf-8")
    with pytest.raises(MalformedDataError, match=r"gold.csv: line 2: '4,010.5' is ambiguous"):
        read_series(gold, catalog().indicators["GOLD"], TODAY)


# -- truncated answers ------------------------------------------------------------------------


def test_an_answer_lacking_stored_observations_is_refused_as_truncated(tmp_path):
    data = fred_data(["DGS2"], since="2026-06-01")
    with FakeFred(data) as srv:
        cfg = config(tmp_path, srv, key=None)
        fetch(cfg, only={"DGS2"})
        before = dump(cfg.store_path)
        stored = [r[1] for r in before if r[0] == "DGS2"]
        # a well-formed answer that stops after a few days, then resumes: the middle is gone
        kept = stored[:3] + stored[-2:]
        body = "observation_date,DGS2\n" + "".join(f"{d},4.0\n" for d in kept)
        srv.fault("body", match="id=DGS2", body=body.encode())
        report = fetch(cfg, only={"DGS2"})
        message = report.failed["DGS2"]
        assert report.kinds["DGS2"] == "truncated"
        assert f"lacks {len(stored) - 5} of the {len(stored)} observations" in message
        assert "refused as truncated" in message
        assert dump(cfg.store_path) == before  # nothing closed, nothing revised
        # one observation withdrawn by the source is believed, and closed
        current = data.current("DGS2")
        gone = D.fromisoformat(stored[10])
        srv.fault("body", match="id=DGS2", body=("observation_date,DGS2\n" + "".join(
            f"{d},{v!r}\n" for d, v in sorted(current.items()) if d != gone)).encode())
        report = fetch(cfg, only={"DGS2"})
        assert report.written == {"DGS2": 1} and not report.failed
    assert pd.Timestamp(gone) not in snapshot(cfg, TODAY)["DGS2"].index


@pytest.mark.slow
def test_an_import_lacking_stored_observations_is_refused(tmp_path):
    from live import write_config
    write_config(tmp_path)
    full = tmp_path / "DGS2.csv"
    days = pd.bdate_range("2026-09-01", "2026-10-30")
    full.write_text("date,value\n" + "".join(f"{d.date()},4.{i % 10}\n"
                                             for i, d in enumerate(days)), encoding="utf-8")
    assert run_cli("import", "DGS2.csv", cwd=tmp_path).returncode == 0
    part = tmp_path / "part" / "DGS2.csv"
    part.parent.mkdir()
    part.write_text("date,value\n" + f"{days[0].date()},4.0\n{days[-1].date()},4.9\n",
                    encoding="utf-8")
    r = run_cli("import", str(part), cwd=tmp_path)
    assert r.returncode == 2
    assert f"lacks {len(days) - 2} of the {len(days)} observations" in r.stderr


# -- user tables ---------------------------------------------------------------------------

CONSTITUENTS = "date,ticker,name,market_cap_usd_bn{extra}\n"


def table_file(tmp_path, name: str, text: str):
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "expected"), [
    (CONSTITUENTS.format(extra="") + "2026-11-20,AAA,A,100\n2026-11-20,BBB,B,-5\n",
     r"line 3: market_cap_usd_bn = -5 must be at least 0 \(rule: \[tables.constituents\] "
     r"range"),
    (CONSTITUENTS.format(extra="") + "2026-11-20,AAA,A,100\n2026-11-20,BBB,B,50\n"
     "2026-11-20,AAA,A,100\n",
     r"line 4: repeats line 2 \(same date, ticker; rule: \[tables.constituents\] unique"),
    (CONSTITUENTS.format(extra=",weight_pct") + "2026-11-20,AAA,A,100,60\n"
     "2026-11-20,BBB,B,50,30\n",
     r"line 2: weight_pct on 2026-11-20 sums to 90, not between 99 and 101 \(rule: "
     r"\[tables.constituents\] sums"),
    (CONSTITUENTS.format(extra="") + '2026-11-20,AAA,A,"1,234"\n',
     r"line 2: column 'market_cap_usd_bn': '1,234' is ambiguous"),
])
def test_constituents_are_checked_row_by_row(tmp_path, text, expected):
    path = table_file(tmp_path, "constituents", text)
    with pytest.raises(MalformedDataError, match=expected) as err:
        read_table(path, "constituents", catalog().tables["constituents"])
    assert str(err.value).startswith(f"{path}: line ")


def test_weights_that_add_up_and_unique_rows_are_accepted(tmp_path):
    rest = "".join(f"{d},T{k},T{k},10,5\n" for d in ("2026-11-20", "2026-11-27")
                   for k in range(10))  # ten names of 5% each, beside AAA and BBB
    path = table_file(tmp_path, "constituents", CONSTITUENTS.format(extra=",weight_pct")
                      + "2026-11-20,AAA,A,100,33.4\n2026-11-20,BBB,B,50,16.6\n"
                      "2026-11-27,AAA,A,101,33.6\n2026-11-27,BBB,B,50,16.4\n" + rest)
    frame = read_table(path, "constituents", catalog().tables["constituents"])
    assert list(frame["weight_pct"])[:4] == [33.4, 16.6, 33.6, 16.4]
    assert len(frame) == 24


@pytest.mark.parametrize("mark", ["300", "-50"])
def test_loan_marks_stay_between_0_and_150(tmp_path, mark):
    path = table_file(tmp_path, "loan_marks", "date,loan_id,borrower,manager,mark\n"
                      f"2026-09-30,L1,Acme,Alpha,92\n2026-09-30,L1,Acme,Beta,{mark}\n")
    with pytest.raises(MalformedDataError,
                       match=rf"loan_marks.csv: line 3: mark = {mark} must be between 0 and "
                             r"150 \(rule: \[tables.loan_marks\] range"):
        read_table(path, "loan_marks", catalog().tables["loan_marks"])


@pytest.mark.slow
def test_a_bad_table_stops_the_run_with_one_line(tmp_path):
    from live import write_config
    write_config(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "loan_marks.csv").write_text(
        "date,loan_id,borrower,manager,mark\n2026-09-30,L1,Acme,Alpha,300\n", encoding="utf-8")
    r = run_cli("run", "--date", "2026-11-23", "--offline", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith("reportgen: error: ") and r.stderr.count("\n") == 1
    assert "loan_marks.csv: line 2: mark = 300 must be between 0 and 150" in r.stderr


def test_a_bad_table_rule_is_a_catalog_error(tmp_path):
    spec = {**catalog().tables["loan_marks"], "range": {"mark": [150, 0]}}
    path = table_file(tmp_path, "loan_marks", "date,loan_id,borrower,manager,mark\n"
                      "2026-09-30,L1,Acme,Alpha,92\n")
    with pytest.raises(CatalogError, match=r"\[tables.loan_marks\]: range must map"):
        read_table(path, "loan_marks", spec)


# -- what an older store let in ----------------------------------------------------------


def test_an_implausible_stored_value_is_left_out_of_every_read(tmp_path, caplog):
    cfg = config(tmp_path)
    stamp = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    values = pd.Series([4.2, 1e308, 4.3],
                       index=pd.to_datetime(["2026-08-01", "2026-09-01", "2026-10-01"]))
    with open_store(cfg, catalog()) as store:  # as an older reportgen would have stored it
        store.merge_latest("UNRATE", "fredgraph", values, TODAY,
                           FetchRecord("UNRATE", "fredgraph", stamp, stamp, "ok"))
    with caplog.at_level(logging.WARNING):
        s = snapshot(cfg, TODAY)["UNRATE"]
    assert s.tolist() == [4.2, 4.3]
    assert "UNRATE: 1 stored value(s) outside its plausible bounds left out" in caplog.text
