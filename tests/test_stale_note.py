"""The "Not updated in this issue" note: never a fetch the issue could not have known."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re

import pytest
from conftest import LANGUAGES

SERIES = ("WALCL", "RRPONTSYD")


def _note(sample_issue, lang: str, fetched: dt.datetime | None, replay: bool = True) -> str:
    """The appendix's note with WALCL and RRPONTSYD stale, fetched at `fetched`, in an
    --as-of replay (`replay`) or an ordinary build."""
    snap = sample_issue.snapshot
    provenance = dict(snap.provenance)
    for sid in SERIES:
        provenance[sid] = dataclasses.replace(provenance[sid], stale=True, fetched_at=fetched,
                                              last_date=dt.date(2026, 11, 11))
    stale = dataclasses.replace(snap, provenance=provenance)
    from reportgen.narrative.views import IssueInfo
    from reportgen.pipeline import render_sections

    info = IssueInfo(previous_date=snap.as_of - dt.timedelta(days=7), rebuilt=replay)
    page = render_sections(sample_issue.config, sample_issue.content, sample_issue.analysis,
                           stale, lang, ["appendix"], info=info)
    found = re.search(r'<p class="stale-banner" role="note">(.*?)</p>', page, re.S)
    assert found, "the appendix has no stale note"
    return html.unescape(found.group(1))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_fetch_after_the_issue_is_not_mentioned(sample_issue, lang):
    """Rebuilt later with --as-of: fetched a week after the data's date."""
    n = sample_issue.content.narrator(lang, sample_issue.analysis)
    later = dt.datetime.combine(sample_issue.analysis.as_of + dt.timedelta(days=7),
                                dt.time(9), dt.UTC)
    note = _note(sample_issue, lang, later)
    assert n.fmt.date(later.date()) not in note
    fetched_words = n.t.gettext("%(series)s (last fetched %(fetched)s, last observation "
                                "%(date)s)").split("%(fetched)s")[0].split(")s")[-1]
    assert fetched_words.strip() not in note
    for sid in SERIES:
        assert n.t.gettext("%(series)s (last observation %(date)s)") % {
            "series": sid, "date": n.fmt.date(dt.date(2026, 11, 11))} in note


def test_an_ordinary_build_says_when_it_fetched(sample_issue):
    """Not a replay (run --date in the past): the fetch really happened then; say so."""
    fmt = sample_issue.content.narrator("en", sample_issue.analysis).fmt
    later = dt.datetime.combine(sample_issue.analysis.as_of + dt.timedelta(days=7),
                                dt.time(9), dt.UTC)
    note = _note(sample_issue, "en", later, replay=False)
    assert f"WALCL (last fetched {fmt.date(later.date())}, last observation" in note


def test_a_fetch_before_the_issue_is_still_said(sample_issue):
    earlier = dt.datetime.combine(sample_issue.analysis.as_of - dt.timedelta(days=3),
                                  dt.time(9), dt.UTC)
    fmt = sample_issue.content.narrator("en", sample_issue.analysis).fmt
    note = _note(sample_issue, "en", earlier)
    assert (f"WALCL (last fetched {fmt.date(earlier.date())}, last observation "
            f"{fmt.date(dt.date(2026, 11, 11))})") in note


def test_no_fetch_time_no_dash(sample_issue):
    note = _note(sample_issue, "en", None)
    assert "\u2013" not in note and "last fetched" not in note
    assert "WALCL (last observation" in note
