"""Narrative helpers: phrases chosen from a signal's state and history, in each language."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from types import SimpleNamespace

import pandas as pd
import pytest

from reportgen import PROJECT_ROOT
from reportgen.i18n import load_locales
from reportgen.narrative import Narrator
from reportgen.signals.base import Signal
from tests.conftest import LANGUAGES

LOCALES = PROJECT_ROOT / "locales"


def narrator(lang: str, values: list[float], state: str = "rising", change: float = 1.0):
    idx = pd.date_range("2020-01-01", periods=len(values), freq="MS")
    s = pd.Series(values, index=idx, dtype="float64")
    sig = Signal("x_pct", values[-1], "percent", idx[-1].date(), ("X",), state, change, "3m")
    analysis = SimpleNamespace(signals={"x_pct": sig}, series={"x_pct": s})
    return Narrator(load_locales(LOCALES, [lang])[lang], analysis)


def test_highest_since_names_the_month_it_was_last_this_high():
    values = [5.0] + [1.0 + 0.01 * i for i in range(40)] + [4.0]
    assert narrator("en", values).extreme("x_pct") == "the highest since Jan 2020"
    assert narrator("zh-Hant", values).extreme("x_pct") == "2020年1月以來的最高水準"
    assert narrator("zh-Hans", values).extreme("x_pct") == "2020年1月以来的最高水平"


def test_a_high_for_all_the_data_and_nothing_when_it_is_not_news():
    assert narrator("en", [1.0] * 30 + [2.0]).extreme("x_pct") == \
        "a high for the data since 2020"
    assert narrator("en", [1.0, 3.0] * 15 + [2.0]).extreme("x_pct") == ""


def test_change_phrase_follows_state_and_unit():
    n = narrator("en", [1.0] * 30, state="falling", change=-0.25)
    assert n.change("x_pct") == "down 0.2\u00a0pp over three months"
    n = narrator("zh-Hant", [1.0] * 30, state="falling", change=-0.25)
    assert n.change("x_pct") == "較三個月前下降0.2個百分點"
    assert n.date(dt.date(2026, 11, 23)) == "2026年11月23日"


def test_a_sentence_whose_value_the_data_lack_is_left_out():
    """A live store may lack a series: its sentence goes, a table cell keeps the dash."""
    from reportgen.i18n import MISSING_MARK, NO_VALUE
    from reportgen.render import paragraph_filter

    para = paragraph_filter(" ")
    text = f"Debt grew {NO_VALUE} over the year.\nSpreads are 275 bp."
    assert str(para(text)) == "<p>Spreads are 275 bp.</p>"
    assert str(para(f"Only {NO_VALUE} here.")) == ""
    assert NO_VALUE.replace(MISSING_MARK, "") == "–"


# English unit words that follow a number ("13 weeks", "500 bp", "5.6 cents")
UNIT_AFTER_NUMBER = re.compile(
    r"\S*\d[ \t\n](?:bp|pp|basis points?|percentage points?|cents?|quarter-points?|bn|tn|"
    r"days?|weeks?|months?|quarters?|years?|times)\b")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_line_ends_between_a_number_and_its_unit(sample_issue, lang):
    """Numbers and units inside translated sentences (msgids such as "over the next
    %(weeks)s weeks" or "above 500 bp") are held together by a no-break space in every
    language, as the formatter's own amounts are."""
    page = sample_issue.render(sample_issue.content.registry.ids(), lang)
    body = re.sub(r"<(style|script)\b.*?</\1>", "", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    assert not UNIT_AFTER_NUMBER.findall(text), UNIT_AFTER_NUMBER.findall(text)[:10]
    if lang == "en":  # the sample's English has such pairs, all held together
        held = re.findall(r"\d\u00a0(?:months|days|weeks|bp|cents)\b", text)
        assert len(held) >= 10, held


def test_a_change_has_its_values_digits(sample_issue):
    """'Consumer sentiment stands at 69.4, up 11.2 over 12 months', not 'up 11.20' (the
    2023-10-25 replay): a change is written with the digits its value is written with."""
    text = re.sub(r"<[^>]+>", "", sample_issue.render(["s5"], "en"))
    found = re.search(r"Consumer sentiment stands at ([\d.]+), (?:up|down) ([\d.]+) over", text)
    assert found, text[:600]
    level, change = found.groups()
    assert len(level.partition(".")[2]) == len(change.partition(".")[2]), found.group(0)


@pytest.mark.parametrize(("change", "words"), [(62.5, "up 62 over three months"),
                                                (-20.0, "down 20 over three months"),
                                                (3.0, "little changed over three months")])
def test_a_level_state_does_not_hide_the_change(sample_issue, change, words):
    """The data-fog index's state is a level ("high"), not a trend: on the 12 Nov 2025
    replay it read "62 (high), little changed over three months" after rising from 0
    in the shutdown. The change's own size and sign, against the flat band (5), say it."""
    analysis = sample_issue.analysis
    fog = dataclasses.replace(analysis.signals["data_fog_index"], value=62.5, state="high",
                              change=change, change_label="3m")
    moved = dataclasses.replace(analysis, signals={**analysis.signals, "data_fog_index": fog})
    assert sample_issue.content.narrator("en", moved).change("data_fog_index") == words
    zh = sample_issue.content.narrator("zh-Hant", moved).change("data_fog_index")
    assert ("持平" in zh or "變化不大" in zh) == (words.startswith("little"))
