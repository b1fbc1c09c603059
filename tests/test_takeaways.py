"""Key takeaways: what a week's signals.json says first (pure selection), and the words and
numbers the e-mail and the site show for it (the digest)."""

from __future__ import annotations

import datetime as dt

import pytest

from reportgen.config import load_config
from reportgen.signals.takeaways import Alarm, Takeaway, alarms_from, select, stories_from
from tests.conftest import SAMPLE_CONFIG, analysis_catalogs

FUNDING = [Alarm("funding_stress", frozenset({"stress"}), "stress"),
           Alarm("funding_stress", frozenset({"strained"}), "watch")]


def sig(state: str = "", value: float | None = None, unit: str = "state") -> dict:
    return {"state": state, "value": value, "unit": unit}


def flip(sid: str, before: str, after: str) -> dict:
    return {"id": sid, "before": before, "after": after}


def move(sid: str, before: float, after: float, size: float, unit: str = "bp") -> dict:
    return {"id": sid, "before": before, "after": after, "size": size, "unit": unit}


# September 2019: repo spikes, the funding alarm goes off and puts private credit in stress,
# while the stance slips; the largest move is SOFR's gap over the floor.
SEPT_2019 = {
    "signals": {"funding_stress": sig("stress"), "macro_stance": sig("cautious_bearish", -0.6),
                "loop_private_credit": sig("stress", 1.4, "score"),
                "loop_policy_error": sig("watch", 0.4, "score"),
                "loop_concentration": sig("calm", -0.2, "score"),
                "repo_floor": sig("above_floor"), "sofr_minus_iorb_bp": sig("rising", 300, "bp"),
                "hy_oas_bp": sig("rising", 420, "bp")},
    "changes": {"flips": [flip("loop_policy_error", "calm", "watch"),
                          flip("sofr_minus_iorb_bp", "flat", "rising"),
                          flip("funding_stress", "calm", "stress"),
                          flip("loop_private_credit", "calm", "stress"),
                          flip("repo_floor", "below_floor", "above_floor"),
                          flip("macro_stance", "neutral", "cautious_bearish")],
                "moves": [move("sofr_minus_iorb_bp", 5, 300, 29.5),
                          move("loop_private_credit", -0.1, 1.4, 3.0, "score"),
                          move("hy_oas_bp", 380, 420, 1.3)]},
}


def test_an_alarm_week_leads_with_the_alarm_then_the_stance_then_the_loops():
    picked = select(SEPT_2019["signals"], SEPT_2019["changes"], FUNDING)
    assert [(t.kind, t.id) for t in picked] == [
        ("alarm", "funding_stress"), ("stance", "macro_stance"),
        ("loop", "loop_private_credit"),   # two steps, calm to stress, before one step
        ("loop", "loop_policy_error"),
        ("move", "sofr_minus_iorb_bp")]    # +295 bp: a large move before the verdicts
    assert picked[0] == Takeaway("alarm", "funding_stress", "calm", "stress")
    # a move of a signal already named by a flip is not repeated (the loop's); five at most
    assert len(picked) == 5 and "loop_private_credit" not in {
        t.id for t in picked if t.kind == "move"}


# 9 April 2025, a week after the tariffs: the high-yield spread 107 bp wider at 457 bp, the
# Nasdaq 24% below its peak; three spreads' percentiles turn from tight to normal together
# and private credit goes on watch. Values as the real-data replay of that week read them.
APRIL_2025 = {
    "signals": {"loop_private_credit": sig("watch", 0.31, "score"),
                "macro_stance": sig("cautious_bearish", -0.52),
                "ig_oas_percentile": sig("normal", 39.5, "percentile"),
                "hy_oas_percentile": sig("normal", 49.2, "percentile"),
                "baa_minus_10y_percentile": sig("normal", 40.5, "percentile"),
                "sofr_peak_over_floor_bp": sig("at", 0.0, "bp"),
                "hy_oas_bp": sig("rising", 457, "bp"),
                "funding_stress": sig("calm")},
    "changes": {"flips": [flip("ig_oas_percentile", "tight", "normal"),
                          flip("hy_oas_percentile", "tight", "normal"),
                          flip("baa_minus_10y_percentile", "tight", "normal"),
                          flip("sofr_peak_over_floor_bp", "above", "at"),
                          flip("loop_private_credit", "calm", "watch")],
                "moves": [move("hy_oas_bp", 350, 457, 10.7),
                          move("nasdaq_drawdown_pct", -13.5, -24.3, 3.6, "percent"),
                          move("hy_oas_rank", 77.2, 50.8, 2.6, "percent")]},
}


def test_a_sell_off_week_leads_with_the_spread_and_says_one_story_once():
    picked = select(APRIL_2025["signals"], APRIL_2025["changes"], FUNDING)
    assert [(t.kind, t.id) for t in picked] == [
        ("loop", "loop_private_credit"), ("move", "hy_oas_bp"),
        ("verdict", "ig_oas_percentile"),  # for the three spreads' percentiles
        ("verdict", "sofr_peak_over_floor_bp"), ("move", "nasdaq_drawdown_pct")]
    # with the catalog's stories the spread's move tells the credit story: the percentiles
    # and the rank are not said again, and the equity story comes once
    stories = stories_from(analysis_catalogs()["scorecards"])
    changes = dict(APRIL_2025["changes"], moves=[
        *APRIL_2025["changes"]["moves"],
        move("nasdaq_yoy_pct", 6.4, -6.1, 6.2, "percent"),
        move("sp500_yoy_pct", 7.4, -4.2, 5.8, "percent")])
    picked = select(APRIL_2025["signals"], changes, FUNDING, stories=stories)
    assert [(t.kind, t.id) for t in picked] == [
        ("loop", "loop_private_credit"), ("move", "hy_oas_bp"),
        ("move", "nasdaq_yoy_pct"),       # large: before the verdicts; the S&P's not again
        ("verdict", "sofr_peak_over_floor_bp")]


def test_the_notable_sizes_rank_the_sell_off_s_moves_as_a_strategist_would():
    """The catalog's sizes, on the moves of 2-9 April 2025: the high-yield spread and the
    Nasdaq's fall first; the ranks and bitcoin's 12-month return (tens of points a week)
    behind them or not notable at all."""
    from reportgen.signals.base import Signal
    from reportgen.signals.changes import compare

    notable = analysis_catalogs()["scorecards"]["changes"]["notable"]
    week = {"hy_oas_bp": (350.2, 457.0, "bp"), "nasdaq_drawdown_pct": (-13.5, -24.3, "percent"),
            "hy_oas_rank": (77.2, 50.8, "percent"), "ig_oas_rank": (75.5, 60.5, "percent"),
            "btc_return_12m_pct": (22.2, 6.5, "percent"),
            "gold_return_12m_pct": (41.5, 30.0, "percent")}
    current = {k: Signal(k, after, unit, None, ()) for k, (_, after, unit) in week.items()}
    previous = {k: {"value": before, "unit": unit, "state": ""}
                for k, (before, _, unit) in week.items()}
    ranked = [m.id for m in compare(current, previous, notable, "recomputed", "2025-04-02").moves]
    assert ranked[:2] == ["hy_oas_bp", "nasdaq_drawdown_pct"]
    assert "btc_return_12m_pct" not in ranked


def test_moves_come_before_trend_flips_and_failed_series_before_loops():
    changes = {"flips": [flip("hy_oas_bp", "flat", "rising"),
                         flip("loop_k_shape", "watch", "calm")],
               "moves": [move("sofr_minus_iorb_bp", 5, 40, 3.5), move("hy_oas_bp", 380, 420, 1.3)]}
    signals = {"hy_oas_bp": sig("rising", 420, "bp"), "loop_k_shape": sig("calm", 0, "score"),
               "sofr_minus_iorb_bp": sig("rising", 40, "bp"), "funding_stress": sig("calm")}
    picked = select(signals, changes, FUNDING, failed=["WALCL", "DGS2", "WALCL"])
    assert [(t.kind, t.id or t.ids) for t in picked] == [
        ("failed", ("DGS2", "WALCL")), ("loop", "loop_k_shape"),
        ("move", "sofr_minus_iorb_bp"), ("move", "hy_oas_bp")]  # its trend flip: once
    changes["moves"] = changes["moves"][:1]
    assert select(signals, changes, FUNDING)[-1] == Takeaway("trend", "hy_oas_bp", "flat",
                                                             "rising")


def test_a_standing_alarm_and_an_alarm_that_ended():
    still = select({"funding_stress": sig("strained")}, {"flips": [], "moves": []}, FUNDING)
    assert still[0] == Takeaway("alarm", "funding_stress", None, "strained")
    ended = select({"funding_stress": sig("calm")},
                   {"flips": [flip("funding_stress", "stress", "calm")]}, FUNDING)
    assert ended[0] == Takeaway("relief", "funding_stress", "stress", "calm")


def test_a_quiet_week_still_says_three_things_where_it_can():
    signals = {"loop_ai_leverage": sig("stress", 1.2, "score"),
               "loop_k_shape": sig("watch", 0.6, "score"),
               "loop_policy_error": sig("calm", 0.1, "score"),
               "GDPC1_gone": sig("", 1.0, "index")}
    stale = {"GOLD": {"old": True}, "WALCL": {"old": False}}
    picked = select(signals, {"flips": [], "moves": []}, FUNDING, stale=stale)
    assert [(t.kind, t.id or t.ids) for t in picked] == [
        ("stale", ("GOLD",)), ("quiet", ()), ("level", "loop_ai_leverage"),
        ("level", "loop_k_shape")]
    calm = select({"loop_k_shape": sig("calm", 0, "score")}, {}, FUNDING)
    assert calm == [Takeaway("quiet")]


def test_the_alarms_come_from_the_scorecards_catalog():
    alarms = alarms_from(analysis_catalogs()["scorecards"])
    assert {(a.signal, a.level) for a in alarms} >= {("funding_stress", "stress"),
                                                     ("funding_stress", "watch")}
    assert all(a.states for a in alarms)


# ------------------------------------------------------------------- the digest

@pytest.fixture(scope="module")
def content():
    from reportgen.pipeline import load_content

    return load_content(load_config(SAMPLE_CONFIG), ["en", "zh-Hant"])


def payload() -> dict:
    return {
        "issue_date": "2019-09-23", "data_as_of": "2019-09-20", "sample": False,
        "failed": [], "stale": {},
        "signals": {
            "macro_stance": {"value": -0.6, "unit": "score", "state": "cautious_bearish",
                             "date": "2019-09-23", "inputs": []},
            "funding_stress": {"value": None, "unit": "state", "state": "stress",
                               "date": "2019-09-17", "inputs": ["SOFR"]},
            "effr_pct": {"value": 2.30, "unit": "percent", "state": "rising",
                         "date": "2019-09-17", "inputs": ["EFFR"]},
            "hy_oas_bp": {"value": 412.0, "unit": "bp", "state": "flat",
                          "date": "2019-09-20", "inputs": ["BAMLH0A0HYM2"]},
            "core_pce_yoy_pct": {"value": 1.8, "unit": "percent", "state": "flat",
                                 "date": "2019-08-01", "inputs": ["PCEPILFE"]},
            "reserves_usd_bn": {"value": 1390.0, "unit": "usd_bn", "state": "falling",
                                "date": "2019-09-18", "inputs": ["WRESBAL"]},
            "loop_private_credit": {"value": 1.4, "unit": "score", "state": "stress",
                                    "date": "2019-09-23", "inputs": []},
        },
        "changes": {"basis": "previous_issue", "previous_date": "2019-09-16",
                    "flips": [flip("funding_stress", "calm", "stress")],
                    "moves": [],
                    "previous": {"effr_pct": 2.14, "hy_oas_bp": 411.0,
                                 "core_pce_yoy_pct": 1.8, "reserves_usd_bn": 1450.0}},
    }


def test_digest_words_and_key_numbers_with_their_weekly_change(content):
    from reportgen.narrative.digest import digest

    d = digest(payload(), content, "en", "Macro Liquidity Weekly", "s4_reserves")
    assert d.headline == "Macro Liquidity Weekly · 23 Sep 2019 · Cautiously bearish"
    assert [(b.text, b.tone) for b in d.takeaways] == [
        ("Funding markets: from Calm to Stress", "stress"),
        ("Private credit and funding liquidity: Stress", "stress")]  # fewer than three
    numbers = {k.title: k for k in d.numbers}
    effr = numbers["Effective fed funds rate"]  # a rate: its change in basis points
    assert (effr.value, effr.change, effr.direction) == ("2.30%", "+16\u00a0bp", "up")
    hy = numbers["High-yield spread"]  # 1 bp, inside its flat band of 10 bp: the size
    assert (hy.change, hy.direction) == ("+1\u00a0bp", "flat")  # shown, the arrow flat
    assert (numbers["Core PCE inflation, year on year"].change,
            numbers["Core PCE inflation, year on year"].observed) == ("unchanged", "Aug 2019")
    reserves = numbers["Reserve balances"]
    assert (reserves.change, reserves.direction) == ("\u2212$60\u00a0bn", "down")
    assert d.previous_date_text == "16 Sep 2019"
    assert [(r.name, r.tone) for r in d.loops] == [("Private credit and funding liquidity",
                                                    "stress")]
    assert d.chart is not None and d.chart.file == "s4_reserves.email.png"
    assert d.chart.alt.startswith("Reserves and the reverse-repo buffer. Reserve balances: "
                                  "$1.39\u00a0tn on 18 Sep 2019.")
    assert d.chart.legend[0] == ("Reserve balances", "#0072B2", "line")

    zh = digest(payload(), content, "zh-Hant", "Macro Liquidity Weekly")
    assert zh.headline == "總經流動性週報 · 2019年9月23日 · 審慎偏空"
    assert zh.takeaways[0].text.startswith("資金市場：由")
    assert {k.title: k.change for k in zh.numbers}["有效聯邦基金利率"] == "+16個基點"


def test_a_first_issue_without_earlier_values_shows_no_change(content):
    from reportgen.narrative.digest import digest

    p = payload()
    p["changes"] = {"basis": "recomputed", "previous_date": "2019-09-16", "flips": [],
                    "moves": []}
    d = digest(p, content, "en", "Macro Liquidity Weekly")
    assert all(k.change == "" and k.direction == "" for k in d.numbers)
    assert d.chart is None and d.takeaways  # the standing alarm still leads
    assert d.takeaways[0].text == "Funding markets: still stress" or "still" in \
        d.takeaways[0].text
    assert dt.date(2019, 9, 23) == d.date


def test_a_week_whose_front_end_moves_three_ways_still_tells_other_stories():
    """7 Aug 2024 as the real-data replay read it: the two-year yield, its gap to EFFR and
    that gap's four-week change are the same story. Twelve moves are kept (the issue's
    table shows six), so after the front end is told once the takeaways still have moves
    of other stories to tell."""
    from reportgen.signals.base import Signal
    from reportgen.signals.changes import compare

    week = {"hy_oas_bp": (320, 367, "bp"), "dgs2_minus_effr_bp": (-98, -134, "bp"),
            "dgs2_minus_effr_bp_4w_change": (-39, -63, "bp"),
            "dgs2_4w_change_bp": (-39, -63, "bp"), "btc_nasdaq_beta_90d": (0.82, 1.06, "ratio"),
            "btc_return_12m_pct": (126.5, 92.0, "percent"),
            "btc_vol_30d_pct": (47.3, 55.1, "percent"),
            "gold_vol_30d_pct": (14.9, 17.9, "percent"),
            "nasdaq_drawdown_pct": (-8.0, -12.2, "percent"),
            "sp500_drawdown_pct": (-4.1, -7.5, "percent")}
    cards = analysis_catalogs()["scorecards"]
    current = {k: Signal(k, after, unit, None, ()) for k, (_, after, unit) in week.items()}
    previous = {k: {"value": before, "unit": unit, "state": ""}
                for k, (before, _, unit) in week.items()}
    changes = compare(current, previous, cards["changes"]["notable"], "recomputed",
                      "2024-07-31")
    assert len(changes.moves) == len(week)  # none cut off at six
    signals = {k: sig("", after, unit) for k, (_, after, unit) in week.items()}
    moves = [{"id": m.id, "before": m.before, "after": m.after, "size": m.size,
              "unit": m.unit} for m in changes.moves]
    picked = select(signals, {"flips": [], "moves": moves}, FUNDING,
                    stories=stories_from(cards))
    ids = [t.id for t in picked]
    front = {"dgs2_minus_effr_bp", "dgs2_minus_effr_bp_4w_change", "dgs2_4w_change_bp"}
    assert ids[:2] == ["hy_oas_bp", "dgs2_minus_effr_bp"] and len(front & set(ids)) == 1
    assert len(picked) == 5 and "nasdaq_drawdown_pct" in ids  # the equity story is told


def test_the_week_of_7_aug_2024_with_its_verdicts_tells_the_spread_and_the_sell_off():
    """The replay's real week: three spreads' percentiles turned from tight to normal, and
    the takeaways said "Investment-grade spread, percentile: from tight to normal" while
    the high-yield spread had widened 47 bp, then spent two of five lines on gold's
    volatility and a loop's score (Calm both weeks) instead of the Nasdaq's fall. The
    verdict now lets its story's move carry the number, and scores speak by their labels."""
    moves = [move("hy_oas_bp", 320, 367, 4.7), move("dgs2_minus_effr_bp", -98, -134, 3.6),
             move("dgs2_minus_effr_bp_4w_change", -39, -63, 2.4),
             move("btc_nasdaq_beta_90d", 0.82, 1.06, 2.4, "ratio"),
             move("btc_return_12m_pct", 126.5, 92.0, 1.7, "percent"),
             move("btc_vol_30d_pct", 47.3, 55.1, 1.6, "percent"),
             move("gold_vol_30d_pct", 14.9, 17.9, 1.5, "percent"),
             move("loop_private_credit", -0.61, -0.26, 1.4, "score"),
             move("nasdaq_drawdown_pct", -8.0, -12.2, 1.4, "percent"),
             move("sp500_drawdown_pct", -4.1, -7.5, 1.4, "percent")]
    flips = [flip("ig_oas_percentile", "tight", "normal"),
             flip("hy_oas_percentile", "tight", "normal"),
             flip("baa_minus_10y_percentile", "tight", "normal"),
             flip("btc_usd", "rising", "falling")]
    signals = {m["id"]: sig("", m["after"], m["unit"]) for m in moves} | {
        "ig_oas_percentile": sig("normal", 30.0, "percent"),
        "hy_oas_percentile": sig("normal", 30.0, "percent"),
        "baa_minus_10y_percentile": sig("normal", 30.0, "percent"),
        "loop_private_credit": sig("calm", -0.26, "score")}
    stories = stories_from(analysis_catalogs()["scorecards"])
    picked = select(signals, {"flips": flips, "moves": moves}, FUNDING, stories=stories)
    assert [(t.kind, t.id) for t in picked] == [
        ("move", "hy_oas_bp"), ("move", "dgs2_minus_effr_bp"),
        ("move", "btc_nasdaq_beta_90d"), ("move", "gold_vol_30d_pct"),
        ("move", "nasdaq_drawdown_pct")]
    # without any verdict the moves go by size, and the loop's score is still not one
    calm = select(signals, {"flips": [], "moves": moves}, FUNDING, stories=stories)
    assert "loop_private_credit" not in [t.id for t in calm]



def test_a_change_that_writes_as_nothing_is_unchanged(content):
    """A key number that moved by less than its shown precision (float noise from a
    recomputed previous value, or a revision in the third decimal) says "unchanged", not
    "+0.0 pp"; one that moved inside its flat band by a visible amount keeps its size."""
    from reportgen.narrative.digest import digest

    data = payload()
    data["changes"]["previous"] |= {"core_pce_yoy_pct": 1.8 - 1e-9, "hy_oas_bp": 411.8}
    numbers = {k.title: k for k in digest(data, content, "en", "Macro Liquidity Weekly").numbers}
    pce = numbers["Core PCE inflation, year on year"]
    assert (pce.change, pce.direction) == ("unchanged", "flat")
    hy = numbers["High-yield spread"]
    assert (hy.change, hy.direction) == ("unchanged", "flat")  # 0.2 bp writes as 0 bp
