"""The cover: the week's takeaways (the e-mail's, word for word) and the week ahead."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import html
import re
import tomllib
from pathlib import Path

import pytest
from conftest import ISSUE_DATE, LANGUAGES
from pandas.tseries.holiday import USFederalHolidayCalendar

from reportgen.narrative import digest
from reportgen.narrative.views import IssueInfo
from reportgen.pipeline import digest_inputs, render_sections
from reportgen.releases import week_ahead

CATALOGS = Path(__file__).resolve().parent.parent / "catalogs"


def _block(page: str, css_class: str) -> str:
    found = re.search(rf'<section class="{css_class}".*?</section>', page, re.S)
    assert found, f"no {css_class} on the cover"
    return found.group(0)


def _texts(block: str, tag: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", m)).strip()
            for m in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", block, re.S)]


def expected_week(issue: dt.date) -> list[tuple[dt.date, str]]:
    """What is due in the seven days after `issue`, read from the calendar files alone:
    release_dates.csv's publication days, Thursday for the weekly claims (the Wednesday
    when that Thursday is a federal holiday), and fomc.toml's meetings."""
    first, last = issue + dt.timedelta(days=1), issue + dt.timedelta(days=7)
    spec = tomllib.loads((CATALOGS / "releases.toml").read_text(encoding="utf-8"))
    due: set[tuple[dt.date, str]] = set()
    with open(CATALOGS / "release_dates.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["published"] != "never":
                day = dt.date.fromisoformat(row["published"])
                if first <= day <= last:
                    due.add((day, spec["release"][row["release"]]["title"]))
    holidays = {d.date() for d in USFederalHolidayCalendar().holidays(first, last)}
    for release in spec["release"].values():
        if release.get("rule") == "thursday" and not release.get("part_of"):
            for k in range(8):
                day = issue + dt.timedelta(days=k)
                if day.weekday() == 3:
                    day = day - dt.timedelta(days=1) if day in holidays else day
                    if first <= day <= last:
                        due.add((day, release["title"]))
    fomc = tomllib.loads((CATALOGS / "fomc.toml").read_text(encoding="utf-8"))
    for m in fomc["meeting"]:
        if m["start"] <= last and m["end"] >= first:
            due.add((m["start"], "FOMC"))
    return sorted(due)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_cover_shows_the_emails_takeaways(sample_issue, lang):
    """Same selection and words as the e-mail's digest of the published signals.json."""
    a = sample_issue.analysis
    payload = {"issue_date": ISSUE_DATE.isoformat(), "data_as_of": None,
               "sample": a.sample, **digest_inputs(a, sample_issue.snapshot, ())}
    mail = digest.digest(payload, sample_issue.content, lang, "Macro Liquidity Weekly")
    shown = _texts(_block(sample_issue.render(["cover"], lang), "cover-takeaways"), "li")
    assert 3 <= len(shown) <= 5
    assert shown == [b.text for b in mail.takeaways]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_cover_key_numbers_carry_the_emails_changes(sample_issue, lang):
    """Each key number with its change since the issue compared with, as the e-mail gives
    it, and an arrow for its direction; a number whose earlier value is not comparable has
    none."""
    a = sample_issue.analysis
    payload = {"issue_date": ISSUE_DATE.isoformat(), "data_as_of": None,
               "sample": a.sample, **digest_inputs(a, sample_issue.snapshot, ())}
    mail = digest.digest(payload, sample_issue.content, lang, "Macro Liquidity Weekly")
    page = sample_issue.render(["cover"], lang)
    numbers = re.search(r'<dl class="cover-numbers">(.*?)</dl>', page, re.S).group(1)
    rows = re.findall(r"<div><dt>(.*?)</dt>(?:<dd class=\"spark\">.*?</dd>)?<dd class=\"val\">"
                      r"(.*?)</dd>(?:<dd class=\"chg chg-(\w+)\">"
                      r"<span aria-hidden=\"true\">(.)</span> (.*?)</dd>)?</div>", numbers)
    assert [(html.unescape(t), html.unescape(v), d, html.unescape(c))
            for t, v, d, _, c in rows] == [
        (k.title, k.value, k.direction, k.change) for k in mail.numbers]
    arrows = {"up": "\u2191", "down": "\u2193", "flat": "\u2192"}
    assert all(arrow == arrows[d] for _, _, d, arrow, _ in rows if d)
    assert {"down", "flat"} <= {d for _, _, d, _, _ in rows}  # the sample's week has both
    assert any(not d for _, _, d, _, _ in rows)  # the top-10 share: its measure changed
    assert mail.previous_date_text in page


@pytest.mark.parametrize("lang", LANGUAGES)
def test_week_ahead_lists_what_the_calendar_says(sample_issue, lang):
    expected = expected_week(ISSUE_DATE)
    assert expected, "the sample week should have something due (the claims at least)"
    n = sample_issue.content.narrator(lang, sample_issue.analysis)
    block = _block(sample_issue.render(["cover"], lang), "cover-week")
    when, what = _texts(block, "dt"), _texts(block, "dd")
    fomc = n.t.gettext("FOMC meeting (statement on the last day)")
    assert sorted(zip(when, what, strict=True)) == sorted(
        (n.fmt.day(day), fomc if title == "FOMC" else n.t.gettext(title))
        for day, title in expected)
    days = [day for day, _ in expected]
    assert when == [n.fmt.day(d) for d in sorted(days)]  # in the order of the days
    if lang == "en":  # Thanksgiving moves the claims to Wednesday 25 November
        assert "Wed, Nov 25" in when
    else:
        assert all("週三" in w or "周三" in w for w in when)
        assert not re.search(r"[A-Za-z]{4,}", " ".join(what).replace("FOMC", "")
                             .replace("CPI", "").replace("JOLTS", "").replace("PCE", "")
                             .replace("GDP", ""))


@pytest.mark.parametrize("issue", [dt.date(2025, 10, 27), dt.date(2026, 12, 1),
                                   dt.date(2026, 12, 3), dt.date(2019, 5, 1)])
def test_week_ahead_matches_the_files_and_never_looks_back(sample_issue, issue):
    found = week_ahead(sample_issue.content.catalog.releases, issue)
    assert sorted((u.day, u.title) for u in found) == expected_week(issue)
    assert [u.day for u in found] == sorted(u.day for u in found)
    assert all(issue < u.day <= issue + dt.timedelta(days=7) for u in found)


def test_replay_lists_the_week_after_the_issue_not_after_the_data(sample_issue):
    """An --as-of replay: data of 23 Oct 2025, issue of 27 Oct (the CPI came out on the
    24th, between the two). The week ahead is the issue's (the FOMC of 28-29 Oct first),
    nothing on or before the issue date."""
    data_day, issue = dt.date(2025, 10, 23), dt.date(2025, 10, 27)
    analysis = dataclasses.replace(sample_issue.analysis, as_of=data_day)
    info = IssueInfo(previous_date=data_day - dt.timedelta(days=7), rebuilt=True,
                     issue_date=issue)
    page = render_sections(sample_issue.config, sample_issue.content, analysis,
                           sample_issue.snapshot, "en", ["cover"], info=info)
    block = _block(page, "cover-week")
    assert _texts(block, "dt")[0] == "Oct 28\u2009\u2013\u200929"
    assert "FOMC meeting" in _texts(block, "dd")[0]
    n = sample_issue.content.narrator("en", analysis)
    shown = set(_texts(block, "dt"))
    assert "Consumer Price Index" not in _texts(block, "dd")
    for k in range((issue - data_day).days + 1):
        assert n.fmt.day(data_day + dt.timedelta(days=k)) not in shown


def test_the_cover_takes_fred_s_schedule_when_the_store_holds_it(sample_issue):
    """A store that read FRED's calendar (tests/test_week_ahead_fred.py) moved November's
    CPI from 10 to 11 December: the cover of 7 December says the 11th."""
    issue = dt.date(2026, 12, 7)
    info = IssueInfo(previous_date=issue - dt.timedelta(days=7), issue_date=issue)
    cpi = sample_issue.content.catalog.releases.releases["cpi"].title

    def cpi_days(snapshot) -> list[str]:
        page = render_sections(sample_issue.config, sample_issue.content,
                               sample_issue.analysis, snapshot, "en", ["cover"], info=info)
        block = _block(page, "cover-week")
        return [w for w, t in zip(_texts(block, "dt"), _texts(block, "dd"), strict=True)
                if t == cpi]

    assert cpi_days(sample_issue.snapshot) == ["Thu, Dec 10"]
    moved = dataclasses.replace(sample_issue.snapshot,
                                schedule={"cpi": (dt.date(2026, 12, 11), dt.date(2027, 1, 13))})
    assert cpi_days(moved) == ["Fri, Dec 11"]


def test_sparkline_is_the_past_year_scaled_to_its_box():
    import pandas as pd

    from reportgen.charts.sparkline import HEIGHT, PAD, WIDTH, sparkline

    days = pd.date_range("2024-01-01", "2026-06-30", freq="D")
    rising = pd.Series(range(len(days)), index=days, dtype=float)
    line = sparkline(rising)
    # the latest point is the year's highest: at the right edge, at the top
    assert (line.x, line.y) == (WIDTH - PAD, PAD)
    first = [float(v) for v in line.path[1:].split("L")[0].split(",")]
    assert first == [PAD, HEIGHT - PAD]  # a year back: the lowest, at the left
    assert line.path.count("L") < 120  # a daily year thinned to a light path
    # what lies further back than a year does not stretch the scale
    spiked = rising.copy()
    spiked.iloc[0] = 1e9
    assert sparkline(spiked) == line
    flat = sparkline(pd.Series(5.0, index=days[:40]))
    assert flat.y == HEIGHT / 2
    assert sparkline(rising.iloc[:2]) is None and sparkline(None) is None
    assert sparkline(pd.Series([1.0, float("nan"), 2.0], index=days[:3])) is None


@pytest.mark.parametrize("lang", LANGUAGES)
def test_cover_key_numbers_have_a_sparkline_of_their_series(sample_issue, lang):
    """Each key number whose series the analysis has shows its past year, the dot on the
    latest value (its height says where that value stands in the year's range); a number
    without a history (the top-10 share, from one constituents file) has none."""
    from reportgen.charts.sparkline import HEIGHT, PAD

    a = sample_issue.analysis
    n = sample_issue.content.narrator(lang, a)
    page = sample_issue.render(["cover"], lang)
    numbers = re.search(r'<dl class="cover-numbers">(.*?)</dl>', page, re.S).group(1)
    rows = re.findall(r"<div><dt>(.*?)</dt>(.*?)</div>", numbers, re.S)
    ids = sample_issue.content.registry.cover_signals()
    assert len(rows) == len(ids)
    with_line = 0
    for sid, (_, rest) in zip(ids, rows, strict=True):
        dot = re.search(r'<circle class="spark-dot" cx="([\d.]+)" cy="([\d.]+)"', rest)
        series = a.series.get(sid)
        if series is None:
            assert dot is None, sid
            continue
        with_line += 1
        assert dot is not None and "<path d=\"M" in rest, sid
        year = series.dropna()
        year = year[year.index > year.index[-1] - dt.timedelta(days=365)]
        low, high = year.min(), year.max()
        share = 0.5 if high == low else (year.iloc[-1] - low) / (high - low)
        assert float(dot.group(2)) == pytest.approx(HEIGHT - PAD - (HEIGHT - 2 * PAD) * share,
                                                    abs=0.06), sid
        title = html.unescape(re.search(r"<title>(.*?)</title>", rest).group(1))
        for x in (low, high):  # its words (the PDF's figure alt text): the year's range
            assert n.value_as(sid, x) in title, (sid, title)
    assert with_line >= len(ids) - 1
