"""The fake FRED, fredgraph and NY Fed servers answer in the formats real clients parse."""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import json
import math
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.message import Message

import fredapi
import pandas as pd
import pytest
from fakes import DEFAULT_API_KEY, FakeFred, FakeNYFed, FakeSEC, FredData

D = dt.date
TODAY = D(2026, 11, 23)
KEY = DEFAULT_API_KEY


def make_data() -> FredData:
    """CPI first published on 2026-10-15, revised and extended on 2026-11-13."""
    data = FredData(today=TODAY)
    data.add_series(
        "CPIAUCSL",
        {D(2026, 7, 1): None, D(2026, 8, 1): 323.0, D(2026, 9, 1): 324.368},
        published=D(2026, 10, 15), title="Consumer Price Index & \"All\" Items",
        units="Index 1982-1984=100", units_short="Index 1982-1984=100",
    )
    data.publish("CPIAUCSL", {D(2026, 9, 1): 324.5, D(2026, 10, 1): 325.1}, on=D(2026, 11, 13))
    return data


@pytest.fixture
def fred_srv() -> Iterator[FakeFred]:
    with FakeFred(make_data()) as srv:
        yield srv


@pytest.fixture
def fred(fred_srv: FakeFred) -> fredapi.Fred:
    client = fredapi.Fred(api_key=KEY)
    client.root_url = fred_srv.fred_url
    return client


def get(url: str, timeout: float = 2.0) -> tuple[int, Message, bytes]:
    """Status, headers and body, also for HTTP errors."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()


def obs_url(srv: FakeFred, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"series_id": "CPIAUCSL", "api_key": KEY,
                                             **params}.items())
    return f"{srv.fred_url}/series/observations?{query}"


# --------------------------------------------------------------------------- data model


def test_data_model_vintages() -> None:
    data = make_data()
    assert data.current("CPIAUCSL") == {
        D(2026, 7, 1): None, D(2026, 8, 1): 323.0, D(2026, 9, 1): 324.5, D(2026, 10, 1): 325.1,
    }
    assert data.as_of("CPIAUCSL", D(2026, 11, 12))[D(2026, 9, 1)] == 324.368
    sept = [r for r in data.rows("CPIAUCSL") if r.date == D(2026, 9, 1)]
    assert [(r.realtime_start, r.realtime_end) for r in sept] == [
        (D(2026, 10, 15), D(2026, 11, 12)), (D(2026, 11, 13), D(9999, 12, 31))]
    assert data.vintage_dates("CPIAUCSL") == [D(2026, 10, 15), D(2026, 11, 13)]


# --------------------------------------------------------------------------- FRED via fredapi


def test_fredapi_get_series_current_vintage(fred: fredapi.Fred, fred_srv: FakeFred) -> None:
    s = fred.get_series("CPIAUCSL")
    assert s[pd.Timestamp("2026-09-01")] == 324.5
    assert s[pd.Timestamp("2026-10-01")] == 325.1
    assert math.isnan(s[pd.Timestamp("2026-07-01")])
    (req,) = fred_srv.requests
    assert req.path == "/fred/series/observations"
    assert req.query["api_key"] == KEY and "realtime_start" not in req.query


def test_fredapi_series_info(fred: fredapi.Fred) -> None:
    info = fred.get_series_info("CPIAUCSL")
    assert info["title"] == 'Consumer Price Index & "All" Items'
    assert info["last_updated"] == "2026-11-13 07:30:00-06"
    assert info["observation_start"] == "2026-07-01"
    assert info["observation_end"] == "2026-10-01"
    assert info["realtime_start"] == info["realtime_end"] == "2026-11-23"


def test_fredapi_all_releases_shows_revision(fred: fredapi.Fred) -> None:
    df = fred.get_series_all_releases("CPIAUCSL")
    sept = df[df["date"] == pd.Timestamp("2026-09-01")]
    assert list(sept["realtime_start"]) == [pd.Timestamp("2026-10-15"),
                                            pd.Timestamp("2026-11-13")]
    assert list(sept["value"]) == [324.368, 324.5]


def test_fredapi_errors(fred: fredapi.Fred, fred_srv: FakeFred) -> None:
    bad = fredapi.Fred(api_key="z" * 32)
    bad.root_url = fred_srv.fred_url
    with pytest.raises(ValueError, match="api_key is not registered"):
        bad.get_series("CPIAUCSL")
    with pytest.raises(ValueError, match="The series does not exist"):
        fred.get_series("NOPE")


# --------------------------------------------------------------------------- FRED raw XML


def test_observations_clipped_to_realtime_window(fred_srv: FakeFred) -> None:
    status, headers, body = get(obs_url(fred_srv, realtime_start="2026-11-01",
                                        realtime_end="9999-12-31"))
    assert status == 200 and headers["Content-Type"] == "text/xml; charset=UTF-8"
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8" ?>\n<observations ')
    root = ET.fromstring(body)
    rows = [(o.get("date"), o.get("realtime_start"), o.get("realtime_end"), o.get("value"))
            for o in root]
    assert rows == [
        ("2026-07-01", "2026-11-01", "9999-12-31", "."),
        ("2026-08-01", "2026-11-01", "9999-12-31", "323.0"),
        ("2026-09-01", "2026-11-01", "2026-11-12", "324.368"),
        ("2026-09-01", "2026-11-13", "9999-12-31", "324.5"),
        ("2026-10-01", "2026-11-13", "9999-12-31", "325.1"),
    ]
    assert root.get("count") == "5" and root.get("realtime_start") == "2026-11-01"


def test_observations_paging_sort_and_vintages(fred_srv: FakeFred) -> None:
    root = ET.fromstring(get(obs_url(fred_srv, sort_order="desc", limit="2", offset="1"))[2])
    assert root.get("count") == "4" and root.get("limit") == "2"
    assert [o.get("date") for o in root] == ["2026-09-01", "2026-08-01"]
    root = ET.fromstring(get(obs_url(fred_srv, vintage_dates="2026-10-20"))[2])
    assert [(o.get("date"), o.get("value"), o.get("realtime_start")) for o in root] == [
        ("2026-07-01", ".", "2026-10-20"), ("2026-08-01", "323.0", "2026-10-20"),
        ("2026-09-01", "324.368", "2026-10-20")]
    doc = json.loads(get(obs_url(fred_srv, file_type="json"))[2])
    assert doc["count"] == 4 and doc["observations"][0]["value"] == "."


@pytest.mark.parametrize(("params", "message"), [
    ({"observation_start": "2026-13-01"},
     "Bad Request.  Variable observation_start is not a valid date."),
    ({"realtime_start": "2026-11-02", "realtime_end": "2026-11-01"},
     "Bad Request.  The real-time start date must be before or equal to the real-time end date."),
    ({"series_id": "NOPE"}, "Bad Request.  The series does not exist."),
])
def test_observation_errors(fred_srv: FakeFred, params: dict[str, str], message: str) -> None:
    status, headers, body = get(obs_url(fred_srv, **params))
    assert status == 400 and headers["Content-Type"] == "text/xml; charset=UTF-8"
    assert ET.fromstring(body).attrib == {"code": "400", "message": message}


def test_missing_key_and_unknown_path(fred_srv: FakeFred) -> None:
    status, _, body = get(f"{fred_srv.fred_url}/series?series_id=CPIAUCSL")
    assert status == 400
    assert body.decode() == (
        '<?xml version="1.0" encoding="utf-8" ?>\n<error code="400" message="Bad Request.  '
        "The value for variable api_key is not registered.  Read "
        'https://fred.stlouisfed.org/docs/api/api_key.html for more information."/>')
    status, _, body = get(f"{fred_srv.fred_url}/nothing?api_key={KEY}")
    assert status == 404 and b'<error code="404" message="Not Found"/>' in body


# --------------------------------------------------------------------------- fredgraph


def test_series_release_and_release_dates() -> None:
    """fred/series/release names the series' release; fred/release/dates lists the days
    it was published (past ones only, unless include_release_dates_with_no_data=true)."""
    data = make_data()  # CPI in a release of its own: its days are its vintage days
    data.add_release(10, "Consumer Price Index", [D(2026, 10, 15), D(2026, 11, 13),
                                                  D(2026, 12, 10)],
                     link="http://www.bls.gov/cpi/")
    data.add_series("CPILFESL", {D(2026, 9, 1): 330.0}, published=D(2026, 10, 15),
                    release_id=10)
    with FakeFred(data) as srv:
        status, _, body = get(f"{srv.fred_url}/series/release?series_id=CPILFESL&api_key={KEY}")
        root = ET.fromstring(body)
        assert status == 200 and root.tag == "releases"
        release = root.find("release")
        assert release is not None and release.get("id") == "10"
        assert release.get("name") == "Consumer Price Index"
        assert release.get("realtime_start") == str(TODAY)
        url = f"{srv.fred_url}/release/dates?release_id=10&api_key={KEY}"
        root = ET.fromstring(get(url)[2])
        assert root.tag == "release_dates" and root.get("count") == "2"
        assert [(e.get("release_id"), e.text) for e in root] == [
            ("10", "2026-10-15"), ("10", "2026-11-13")]
        doc = json.loads(get(url + "&file_type=json&include_release_dates_with_no_data=true"
                             "&sort_order=desc&limit=1")[2])
        assert doc["count"] == 3 and doc["release_dates"] == [
            {"release_id": 10, "date": "2026-12-10"}]
        own = json.loads(get(f"{srv.fred_url}/series/release?series_id=CPIAUCSL&api_key={KEY}"
                             "&file_type=json")[2])["releases"][0]
        days = json.loads(get(f"{srv.fred_url}/release/dates?release_id={own['id']}"
                              f"&api_key={KEY}&file_type=json")[2])["release_dates"]
        assert [d["date"] for d in days] == ["2026-10-15", "2026-11-13"]
        status, _, body = get(f"{srv.fred_url}/release/dates?release_id=999&api_key={KEY}")
        assert status == 400 and b"release does not exist" in body


def test_fredgraph_csv(fred_srv: FakeFred) -> None:
    status, headers, body = get(f"{fred_srv.csv_url}?id=CPIAUCSL")
    assert status == 200 and headers["Content-Type"] == "text/csv"
    assert body.decode().splitlines() == [
        "observation_date,CPIAUCSL", "2026-07-01,", "2026-08-01,323.0", "2026-09-01,324.5",
        "2026-10-01,325.1"]
    body = get(f"{fred_srv.csv_url}?id=CPIAUCSL&cosd=2026-09-01&coed=2026-09-30")[2]
    assert body.decode().splitlines() == ["observation_date,CPIAUCSL", "2026-09-01,324.5"]
    status, headers, body = get(f"{fred_srv.csv_url}?id=NOPE")
    assert status == 404 and headers["Content-Type"] == "text/html"
    assert b"<title>FRED | Page Not Found</title>" in body
    assert all("api_key" not in r.query for r in fred_srv.requests)


def test_fredgraph_legacy_csv() -> None:
    with FakeFred(make_data(), legacy_csv=True) as srv:
        body = get(f"{srv.csv_url}?id=CPIAUCSL&coed=2026-08-01")[2]
    assert body.decode().splitlines() == ["DATE,CPIAUCSL", "2026-07-01,.", "2026-08-01,323.0"]


# --------------------------------------------------------------------------- NY Fed


@pytest.fixture
def nyfed() -> Iterator[FakeNYFed]:
    with FakeNYFed() as srv:
        for day, rate in ((18, 3.90), (19, 3.91), (20, 3.92)):
            srv.add_sofr(D(2026, 11, day), rate, 3.85, 3.9, 3.95, 4.05, 2800)
            srv.add_effr(D(2026, 11, day), 3.88, 3.85, 3.86, 3.9, 3.95, 95, 3.75, 4.0)
        srv.add_operation("repo", D(2026, 11, 20), 5_000_000)
        srv.add_operation("reverserepo", D(2026, 11, 19), 120_000_000_000, note="Small")
        srv.add_operation("reverserepo", D(2026, 11, 20), 130_000_000_000)
        yield srv


def test_nyfed_rates(nyfed: FakeNYFed) -> None:
    url = f"{nyfed.url}/api/rates/secured/sofr/search.json?startDate=2026-11-19&endDate=2026-11-20"
    rates = json.loads(get(url)[2])["refRates"]
    assert [r["effectiveDate"] for r in rates] == ["2026-11-20", "2026-11-19"]
    assert rates[0] == {
        "effectiveDate": "2026-11-20", "type": "SOFR", "percentRate": 3.92,
        "percentPercentile1": 3.85, "percentPercentile25": 3.9, "percentPercentile75": 3.95,
        "percentPercentile99": 4.05, "volumeInBillions": 2800, "revisionIndicator": ""}
    effr = json.loads(get(f"{nyfed.url}/api/rates/unsecured/effr/last/1.json")[2])["refRates"]
    assert len(effr) == 1 and effr[0]["type"] == "EFFR" and effr[0]["targetRateTo"] == 4.0


def test_nyfed_operations(nyfed: FakeNYFed) -> None:
    url = f"{nyfed.url}/api/rp/reverserepo/all/results/search.json?startDate=2026-11-01"
    ops = json.loads(get(url)[2])["repo"]["operations"]
    assert [o["operationDate"] for o in ops] == ["2026-11-20", "2026-11-19"]
    assert ops[0]["operationType"] == "Reverse Repo" and ops[0]["operationMethod"] == "Fixed Rate"
    assert ops[0]["totalAmtAccepted"] == 130_000_000_000 and ops[1]["note"] == "Small"
    (op,) = json.loads(get(f"{nyfed.url}/api/rp/repo/all/results/last/5.json")[2])["repo"][
        "operations"]
    assert op["operationId"] == "RP 112026 1" and op["maturityDate"] == "2026-11-23"
    assert op["termCalenderDays"] == 3 and op["details"][0]["amtAccepted"] == 5_000_000


def test_nyfed_errors(nyfed: FakeNYFed) -> None:
    status, _, body = get(f"{nyfed.url}/api/rates/secured/sofr/search.json?startDate=11/20/2026")
    assert status == 400 and json.loads(body) == {"error": {"code": 400, "message": "Invalid date"}}
    assert get(f"{nyfed.url}/api/rates/secured/sofr/search.json")[0] == 400
    assert get(f"{nyfed.url}/api/nothing.json")[0] == 404


# --------------------------------------------------------------------------- shared behaviour


def test_rate_limit_429_with_retry_after(fred_srv: FakeFred, nyfed: FakeNYFed) -> None:
    fred_srv.max_per_second, fred_srv.retry_after = 2, 7
    assert [get(obs_url(fred_srv))[0] for _ in range(2)] == [200, 200]
    status, headers, body = get(obs_url(fred_srv))
    assert (status, headers["Retry-After"]) == (429, "7")
    assert ET.fromstring(body).get("message") == "Too Many Requests.  Exceeded Rate Limit"
    assert len(fred_srv.requests) == 3
    nyfed.max_per_minute = 1
    assert get(f"{nyfed.url}/api/rates/secured/sofr/last/1.json")[0] == 200
    status, headers, body = get(f"{nyfed.url}/api/rates/secured/sofr/last/1.json")
    assert status == 429 and json.loads(body)["error"]["code"] == 429
    assert "Retry-After" not in headers


def test_fault_status_body_and_match(fred_srv: FakeFred) -> None:
    fred_srv.fault("status", status=503, match="series_id=CPIAUCSL", times=2)
    fred_srv.fault("body", body=b"<observations")
    status, _, body = get(obs_url(fred_srv, series_id="NOPE"))  # no match: the body fault
    assert status == 200 and body == b"<observations"
    status, _, body = get(obs_url(fred_srv))
    assert status == 503
    assert ET.fromstring(body).attrib == {"code": "503", "message": "Service Unavailable"}
    assert get(obs_url(fred_srv))[0] == 503
    assert get(obs_url(fred_srv))[0] == 200 and fred_srv.pending_faults == 0


def test_fault_html(fred_srv: FakeFred) -> None:
    fred_srv.fault("html")
    fred_srv.fault("html", status=502, headers={"Server": "cloudfront"})
    status, headers, body = get(obs_url(fred_srv))
    assert status == 200 and headers["Content-Type"] == "text/html"
    assert b"<h1>Service Unavailable</h1>" in body
    status, headers, body = get(obs_url(fred_srv))
    assert status == 502 and b"<h1>Bad Gateway</h1>" in body
    assert "cloudfront" in headers.get_all("Server", [])


def test_fault_truncated(fred_srv: FakeFred) -> None:
    fred_srv.fault("truncated")
    with (urllib.request.urlopen(obs_url(fred_srv), timeout=2) as resp,
          pytest.raises(http.client.IncompleteRead) as info):
        resp.read()
    assert info.value.expected > 0 and info.value.partial


def test_fault_drop(fred_srv: FakeFred) -> None:
    fred_srv.fault("drop")
    with pytest.raises((http.client.RemoteDisconnected, urllib.error.URLError)):
        urllib.request.urlopen(obs_url(fred_srv), timeout=2)
    assert get(obs_url(fred_srv))[0] == 200


def test_fault_slow_and_latency(nyfed: FakeNYFed) -> None:
    url = f"{nyfed.url}/api/rates/secured/sofr/last/1.json"
    nyfed.fault("slow", delay=1.0)
    with pytest.raises(TimeoutError):
        urllib.request.urlopen(url, timeout=0.2)
    nyfed.latency = 0.15
    started = time.monotonic()
    assert get(url)[0] == 200
    assert time.monotonic() - started >= 0.15


def test_keep_alive_and_stop_mid_request() -> None:
    srv = FakeNYFed().start()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=2)
    for _ in range(2):  # HTTP/1.1: two answers on one connection
        conn.request("GET", "/api/rates/secured/sofr/last/1.json")
        assert json.loads(conn.getresponse().read()) == {"refRates": []}
    conn.close()
    srv.fault("slow", delay=30)
    errors: list[BaseException] = []

    def client() -> None:
        try:
            urllib.request.urlopen(f"{srv.url}/api/rates/secured/sofr/last/1.json", timeout=10)
        except Exception as exc:
            errors.append(exc)

    thread = threading.Thread(target=client)
    thread.start()
    deadline = time.monotonic() + 2
    while len(srv.requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    srv.stop()
    thread.join(timeout=5)
    assert time.monotonic() - started < 2 and not thread.is_alive()
    assert len(errors) == 1


def sec_get(url: str, agent: str | None = "Fake Tests tests@example.org",
            gzipped: bool = False) -> tuple[int, Message, bytes]:
    headers = {"User-Agent": agent} if agent else {}
    if gzipped:
        headers["Accept-Encoding"] = "gzip"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=2) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()


def test_sec_company_facts_and_concept() -> None:
    with FakeSEC() as sec:
        sec.add_company(789019, "MICROSOFT CORPORATION")
        sec.add_fact(789019, "PaymentsToAcquirePropertyPlantAndEquipment",
                     start=D(2025, 7, 1), end=D(2025, 9, 30), val=19_394_000_000,
                     accn="0000950170-25-100001", fy=2026, fp="Q1", form="10-Q",
                     filed=D(2025, 10, 29), frame="CY2025Q3")
        sec.add_fact(789019, "LongTermDebt", end=D(2025, 9, 30), val=43e9,
                     accn="0000950170-25-100001", fy=2026, fp="Q1", form="10-Q",
                     filed=D(2025, 10, 29))
        base = f"{sec.url}/api/xbrl"
        status, headers, body = sec_get(f"{base}/companyfacts/CIK0000789019.json",
                                        gzipped=True)
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        doc = json.loads(gzip.decompress(body))
        assert doc["cik"] == 789019 and doc["entityName"] == "MICROSOFT CORPORATION"
        assert set(doc["facts"]) == {"dei", "us-gaap"}
        capex = doc["facts"]["us-gaap"]["PaymentsToAcquirePropertyPlantAndEquipment"]
        assert capex["units"]["USD"] == [{
            "start": "2025-07-01", "end": "2025-09-30", "val": 19394000000,
            "accn": "0000950170-25-100001", "fy": 2026, "fp": "Q1", "form": "10-Q",
            "filed": "2025-10-29", "frame": "CY2025Q3"}]
        debt = doc["facts"]["us-gaap"]["LongTermDebt"]["units"]["USD"][0]
        assert "start" not in debt and debt["val"] == 43000000000  # an instant
        status, _, body = sec_get(f"{base}/companyconcept/CIK0000789019/us-gaap/"
                                  "LongTermDebt.json")
        concept = json.loads(body)
        assert (status, concept["tag"], concept["taxonomy"]) == (200, "LongTermDebt",
                                                                 "us-gaap")
        assert concept["units"]["USD"][0]["end"] == "2025-09-30"
        status, headers, body = sec_get(f"{base}/companyfacts/CIK0000000001.json")
        assert status == 404 and b"<Code>NoSuchKey</Code>" in body


def test_sec_refuses_undeclared_tools_and_fast_clients() -> None:
    with FakeSEC() as sec:
        sec.add_company(789019, "MICROSOFT CORPORATION")
        url = f"{sec.url}/api/xbrl/companyfacts/CIK0000789019.json"
        for agent in (None, "Python-urllib/3.11", "jane@example.org"):
            status, _, body = sec_get(url, agent=agent)
            assert status == 403 and b"Undeclared Automated Tool" in body
        assert sec_get(url)[0] == 200
        sec.max_per_second, sec.retry_after = 2, 600
        time.sleep(1.05)  # the window forgets the requests above
        codes = [sec_get(url) for _ in range(3)]
        assert [c[0] for c in codes] == [200, 200, 429]
        assert codes[2][1]["Retry-After"] == "600" and b"Request Rate Threshold" in codes[2][2]
