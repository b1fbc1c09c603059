"""The backtest: readings made point in time, outcomes measured after them, a resumable
table, and the issue's sentence built from that table, in three languages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest

from reportgen import backtest
from reportgen.pipeline import analyse, render_sections
from reportgen.sources import sample_store
from tests.conftest import LANGUAGES

D = dt.date


def test_wednesdays_from_any_start():
    days = backtest.wednesdays(D(2026, 11, 1), D(2026, 11, 30))
    assert days == [D(2026, 11, 4), D(2026, 11, 11), D(2026, 11, 18), D(2026, 11, 25)]
    assert all(d.weekday() == 2 for d in days)


def test_forward_windows_start_after_the_reading():
    """A spread that jumps on the reading's own day: that jump was known at the reading,
    so it is the base, not an outcome; a jump the day after is an outcome."""
    days = pd.date_range("2020-01-01", "2020-06-30", freq="D")
    spread = pd.Series(3.0, index=days)  # percent, as FRED publishes it
    spread[days >= "2020-02-05"] = 4.0    # the reading day itself
    spread[days >= "2020-03-05"] = 5.0    # the day after the second reading
    table = pd.DataFrame({"date": pd.to_datetime(["2020-02-05", "2020-03-04"]),
                          "stance": ["neutral", "neutral"]})
    after = backtest.outcomes(table, {backtest.SPREAD: spread}, D(2020, 6, 30))
    assert after.loc[0, "hy_change_bp_4w"] == pytest.approx(0.0)
    assert after.loc[1, "hy_change_bp_4w"] == pytest.approx(100.0)
    # a window not over by the last date is left empty, never measured on a part
    late = backtest.outcomes(table, {backtest.SPREAD: spread}, D(2020, 3, 20))
    assert np.isnan(late.loc[1, "hy_change_bp_4w"])
    assert late.loc[0, "hy_change_bp_4w"] == pytest.approx(0.0)


def test_bad_outcomes_and_episodes():
    days = pd.date_range("2020-01-01", "2020-12-31", freq="D")
    spread = pd.Series(3.0, index=days)
    spread[(days >= "2020-03-10") & (days <= "2020-04-30")] = 8.0  # +500 bp
    equity = pd.Series(100.0, index=days)
    dates = pd.to_datetime([d for d in pd.date_range("2020-01-01", "2020-09-30", freq="W-WED")])
    table = pd.DataFrame({"date": dates, "stance": ["bearish"] * len(dates)})
    after = backtest.outcomes(table, {backtest.SPREAD: spread, "SP500": equity},
                              D(2020, 12, 31))
    flags = after.set_index("date")["bad_13w"]
    assert flags[pd.Timestamp("2020-01-01")] == 1.0  # the widening lies within 13 weeks
    assert flags[pd.Timestamp("2020-09-30")] == 0.0
    assert backtest.episodes(after["bad_13w"], after["date"]) == 1  # one stretch, once


def small_store():
    """The bundled sample store, preloaded as a backtest reads it."""
    from reportgen.catalog import load_catalog
    from reportgen.content import builtin

    store = sample_store(load_catalog(builtin()))
    return store


@pytest.mark.slow
def test_preloaded_snapshots_equal_the_store_s_own(sample_issue):
    store = small_store()
    plain = sample_store(sample_issue.content.catalog)
    store.preload()
    for day in (D(2018, 7, 4), D(2019, 9, 18), D(2025, 11, 12), D(2026, 11, 18)):
        a, b = plain.snapshot(day), store.snapshot(day)
        assert a.series.keys() == b.series.keys()
        for sid in a.series:
            pd.testing.assert_series_equal(a.series[sid], b.series[sid], check_freq=False,
                                           check_index_type=False)
        assert a.provenance == b.provenance
        assert a.tables.keys() == b.tables.keys()
        pd.testing.assert_frame_equal(a.filings, b.filings)


@pytest.mark.slow
def test_a_reading_never_uses_a_value_published_after_its_date(sample_issue):
    """The sample's October 2025 payrolls came out with November's on 16 Dec 2025 (the
    shutdown): the readings of 12 Nov and 10 Dec 2025 cannot see them; 17 Dec's can."""
    store = small_store()
    store.preload()
    content = sample_issue.content
    replay = backtest.Replayer(lambda snap, day: analyse(content, snap, day), 3, store)
    seen = {}
    for day in (D(2025, 11, 12), D(2025, 12, 10), D(2025, 12, 17)):
        a = replay(day)
        seen[day] = a.signals["payrolls_mom_k"].date
        assert a.as_of == day
    assert seen[D(2025, 11, 12)] < D(2025, 10, 1)
    assert seen[D(2025, 12, 10)] < D(2025, 10, 1)
    assert seen[D(2025, 12, 17)] >= D(2025, 10, 1)


@pytest.mark.slow
def test_a_resumed_run_gives_the_same_table(sample_issue, tmp_path):
    store = small_store()
    store.preload()
    content = sample_issue.content
    days = backtest.wednesdays(D(2024, 1, 1), D(2024, 3, 15))
    good = backtest.Replayer(lambda snap, day: analyse(content, snap, day), 3, store)
    whole = backtest.replay(good, days, backtest.Table("k", []), tmp_path / "whole",
                            save_every=4)

    class Killed(Exception):
        pass

    def dies_midway(day: dt.date):
        if day >= D(2024, 2, 10):  # after six readings, four of them saved
            raise Killed
        return good(day)

    folder = tmp_path / "resumed"
    with pytest.raises(Killed):
        backtest.replay(dies_midway, days, backtest.Table("k", []), folder, save_every=4)
    saved = backtest.load(folder, "k")
    assert 0 < len(saved.rows) < len(days)  # what was done before the kill is kept
    resumed = backtest.replay(good, days, saved, folder, save_every=4)
    key = lambda r: r["date"]  # noqa: E731
    assert sorted(resumed.rows, key=key) == sorted(whole.rows, key=key)
    assert json.loads((folder / backtest.TABLE_JSON).read_text())["rows"] == sorted(
        whole.rows, key=key)
    # another content key starts again rather than mixing readings
    assert backtest.load(folder, "other").rows == []


def test_the_issue_s_sentence_comes_from_the_table_in_three_languages(sample_issue):
    """A hand-made table: the stance read 'cautious_bearish' in 3 weeks whose spreads then
    widened 40, 60 and 50 bp over 13 weeks, and 'neutral' in 3 weeks (0, 10, -10)."""
    days = pd.date_range("2024-01-03", periods=6, freq="7D")
    stances = ["cautious_bearish", "neutral", "cautious_bearish", "neutral",
               "cautious_bearish", "neutral"]
    table = pd.DataFrame({"date": days, "stance": stances, "phase": "a",
                          "stance_score": [-0.4, 0.0, -0.5, 0.1, -0.3, 0.0]})
    later = {0: 40, 1: 0, 2: 60, 3: 10, 4: 50, 5: -10}
    daily = pd.date_range("2023-12-01", "2024-12-31", freq="D")
    # each reading's own path: flat until it, then its 13-week change is reached by the
    # end of its window and held (windows do not overlap the next reading's base here)
    spread_paths = {}
    for k, day in enumerate(days):
        path = pd.Series(3.0, index=daily)
        path[daily > day + pd.Timedelta(weeks=12)] = 3.0 + later[k] / 100.0
        spread_paths[k] = path
    analysis = sample_issue.analysis
    data = sample_issue.snapshot
    for k in range(len(days)):
        series = dict(data.series)
        series["BAMLH0A0HYM2"] = spread_paths[k]
        after = backtest.outcomes(table.iloc[[k]].reset_index(drop=True), series,
                                  D(2024, 12, 31))
        assert after.loc[0, "hy_change_bp_13w"] == pytest.approx(later[k])
    # the whole table with the median path per reading is what the section computes on;
    # its sentence counts the weeks, gives the median and the base rate
    found = backtest.conditional(table, pd.DataFrame({
        "date": days, "hy_change_bp_13w": [later[k] for k in range(6)]}), "cautious_bearish")
    assert found["count"] == 3 and found["median_bp"] == 50 and found["base_median_bp"] == 25
    assert (found["direction"], found["base_direction"]) == ("widened", "widened")
    assert backtest.compare_rates(14.3, 21.0, 3) == "less"
    assert backtest.compare_rates(20.0, 21.0, 3) == "as_often"
    from reportgen.signals import record
    from reportgen.signals.base import SectionResult

    result = SectionResult(data={
        "available": True, "weeks": 13, "first": D(2024, 1, 3), "readings": 6,
        "conditional": {"cautious_bearish": found},
        "hit_rates": {"bearish": {"readings": 3, "bad": 1, "rate_pct": 33.3},
                      "all_weeks": {"readings": 6, "bad": 1, "rate_pct": 16.7},
                      "episodes": 1},
        "bearish_vs_all": backtest.compare_rates(33.3, 16.7, 3)})
    stance = dataclasses.replace(analysis.stance, label="cautious_bearish")
    staged = dataclasses.replace(analysis, stance=stance,
                                 sections={**analysis.sections, "record": result})
    expect = {"en": ("In the 3 weeks since 3 Jan 2024 when the stance read Cautiously "
                     "bearish, the high-yield spread widened by a median 50 bp over the next "
                     "13 weeks. Across all weeks, the median was a widening of 25 bp. Bearish "
                     "or cautiously bearish readings were followed within 13 weeks by a "
                     "high-yield spread 100 bp wider or equities 10% lower in 33% of 3 weeks, "
                     "more often than the 17% of all weeks."),
              "zh-Hant": "「審慎偏空」的3週中，高收益債利差在其後13週的變動中位數為擴大50個基點",
              "zh-Hans": "“谨慎偏空”的3周中，高收益债利差在其后13周的变动中位数为扩大50个基点"}
    for lang in LANGUAGES:
        html = render_sections(sample_issue.config, sample_issue.content, staged, data, lang,
                               ["record"])
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
        assert expect[lang] in text, (lang, text[-600:])
    assert record.WEEKS == 13


@pytest.mark.slow
def test_the_section_reads_only_the_weeks_before_its_date(sample_issue, tmp_path):
    """An issue dated mid-table sees the readings up to its date and judges only the weeks
    whose 13 weeks have passed by then."""
    from reportgen.signals import record
    from reportgen.signals.base import Context

    store = small_store()
    store.preload()
    content = sample_issue.content
    days = backtest.wednesdays(D(2024, 1, 1), D(2024, 12, 31), 28)
    replay = backtest.Replayer(lambda snap, day: analyse(content, snap, day), 3, store)
    table = backtest.replay(replay, days, backtest.Table("k", []), tmp_path).frame()
    as_of = D(2024, 9, 4)
    snap = store.snapshot(as_of, 3)
    snap = dataclasses.replace(snap, tables={**snap.tables, "backtest": table})
    catalogs = content.catalogs
    result = record.compute(snap, Context(as_of=as_of, levels=catalogs["thresholds"]["levels"],
                                          series={}, catalogs=catalogs))
    seen = [d for d in days if d <= as_of]
    assert result.data["readings"] == len(seen)
    judged = sum(f["count"] for f in result.data["conditional"].values() if f)
    ripe = [d for d in seen if d + dt.timedelta(weeks=13) <= as_of]
    assert 0 < judged <= len(ripe) < len(seen)
    assert result.series["record_stance_score"].index.max() <= pd.Timestamp(as_of)
