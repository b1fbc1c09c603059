"""Judgement on episodes of real history: the verdicts and the sentences, in all three
languages, on small hand-made data sets shaped like each episode. Every number below is
stated where it is built, from the published figures of the time (rounded).

- 17 Sep 2019: SOFR 5.25% against IOER 2.10% (+315 bp), EFFR 2.30% above a 2.00-2.25% range.
- March 2020: high-yield spread 3.5% -> 10%, NFCI -0.5 -> +0.4, funding strain.
- June 2022: CPI 8.5% and rising, core momentum just under the annual rate, EFFR 0.83%,
  five-year breakevens 2.9%, the two-year yield 3.45% (+262 bp: hikes priced).
- March 2023: EFFR 4.58%, breakevens 2.4% (real rate +2.2%: restrictive), CPI falling,
  the two-year yield 4.62% in mid-February, 5.07% on 8 March, 4.0% after SVB (13 March):
  cuts priced, and repriced sharply.
- August 2024: the two-year yield 4.62% on 9 July, 3.88% after the payrolls of 2 August,
  3.99% on 6 August (-63 bp in four weeks); EFFR 5.33%, SOFR under IORB (5.40%).
- October 2023: the two-year yield near 5.1% for a month; EFFR 5.33% (one cut priced).
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from reportgen.pipeline import analyse
from reportgen.signals.outlook import leading_phase
from reportgen.signals.reserves import radar_dates
from reportgen.signals.scorecard import robust_z
from reportgen.store import Snapshot
from tests.conftest import LANGUAGES

D = dt.date


def daily(start: str, end: str, value: float | list[tuple[str, float]]) -> pd.Series:
    """Business days with a level, or steps [(from, value), ...]."""
    idx = pd.bdate_range(start, end)
    s = pd.Series(np.nan, index=idx)
    for when, v in (value if isinstance(value, list) else [(start, value)]):
        s[s.index >= when] = v
    return s.ffill()


def calendar_daily(start: str, end: str, steps: list[tuple[str, float]]) -> pd.Series:
    idx = pd.date_range(start, end, freq="D")
    s = pd.Series(np.nan, index=idx)
    for when, v in steps:
        s[s.index >= when] = v
    return s.ffill()


def monthly_index(start: str, end: str, first: float, yoy: list[tuple[str, float]]) -> pd.Series:
    """A price index whose year-on-year rate follows `yoy` (steps of annual %), compounding
    monthly: the shape CPI takes when inflation runs at those rates."""
    idx = pd.date_range(start, end, freq="MS")
    rates = pd.Series(np.nan, index=idx)
    for when, v in yoy:
        rates[rates.index >= when] = v
    monthly = (1 + rates.ffill() / 100) ** (1 / 12)
    return first * monthly.cumprod()


def snapshot(sample_issue, as_of: dt.date, series: dict[str, pd.Series]) -> Snapshot:
    catalog = sample_issue.content.catalog
    cut = {k: v[v.index <= pd.Timestamp(as_of)].rename(k) for k, v in series.items()}
    return Snapshot(as_of=as_of, series=cut, tables={}, indicators=catalog.indicators,
                    sample=False, releases=catalog.releases)


def run(sample_issue, as_of: dt.date, series: dict[str, pd.Series]):
    data = snapshot(sample_issue, as_of, series)
    analysis = analyse(sample_issue.content, data, as_of - dt.timedelta(days=7))
    from reportgen.signals.changes import compare
    analysis.changes = compare(analysis.signals, {}, {}, "recomputed",
                               (as_of - dt.timedelta(days=7)).isoformat())
    return data, analysis


def words(sample_issue, data, analysis, section: str, lang: str) -> str:
    from reportgen.pipeline import render_sections

    html = render_sections(sample_issue.config, sample_issue.content, analysis, data, lang,
                           [section])
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def repo_spike() -> dict[str, pd.Series]:
    """September 2019 around the spike; IOER comes from catalogs/policy.toml."""
    sofr = daily("2019-01-02", "2019-09-18", 2.40)
    for day, v in {"2019-08-01": 2.12, "2019-09-13": 2.20, "2019-09-16": 2.43,
                   "2019-09-17": 5.25, "2019-09-18": 2.55}.items():
        sofr[sofr.index >= day] = v
    effr = daily("2019-01-02", "2019-09-18", [("2019-01-02", 2.40), ("2019-08-01", 2.13),
                                               ("2019-09-16", 2.25), ("2019-09-17", 2.30),
                                               ("2019-09-18", 2.25)])
    upper = calendar_daily("2018-12-20", "2019-09-18", [("2018-12-20", 2.50),
                                                         ("2019-08-01", 2.25)])
    return {"SOFR": sofr, "EFFR": effr, "DFEDTARU": upper, "DFEDTARL": upper - 0.25}


def test_the_2019_repo_spike_puts_funding_in_stress_and_section_4_says_so(sample_issue):
    data, analysis = run(sample_issue, D(2019, 9, 18), repo_spike())
    s = analysis.signals
    assert s["funding_stress"].state == "stress"
    assert s["sofr_peak_over_floor_bp"].value == pytest.approx(315, abs=0.5)
    assert s["sofr_peak_over_floor_bp"].date == D(2019, 9, 17)
    assert s["effr_peak_over_top_bp"].state == "above_range"
    loop = next(lp for lp in analysis.loops if lp.id == "private_credit")
    assert loop.label == "stress"
    stance_input = next(c for c in analysis.stance.contributions
                        if c.input_id == "funding_stress_bp")
    assert stance_input.contribution < 0  # stress in funding weighs on the stance
    first = {"en": "Funding markets are under stress: on 17 Sep 2019 SOFR printed 315 bp",
             "zh-Hant": "資金市場承受壓力：2019年9月17日 SOFR比準備金利率",
             "zh-Hans": "资金市场承受压力：2019年9月17日 SOFR比准备金利率"}
    for lang in LANGUAGES:
        question = sample_issue.content.locales[lang].gettext(
            "Are reserves still ample, and is private credit marking reality?")
        body = words(sample_issue, data, analysis, "s4", lang).split(question, 1)[1].strip()
        assert body.startswith(first[lang]), (lang, body[:200])  # the section's first words
        assert "315" in body.split("。")[0].split(". ")[0]


def test_a_calm_week_after_the_spike_is_calm_again(sample_issue):
    """Two weeks on, with IOER cut to 1.80% and SOFR back at 1.82%: the week's worst gap is
    2 bp, so the alarm is off (the chart keeps the spike; the verdict is about now)."""
    series = repo_spike()
    for sid in ("SOFR", "EFFR"):
        series[sid] = pd.concat([series[sid], daily("2019-09-19", "2019-10-04", 1.82)])
    upper = calendar_daily("2018-12-20", "2019-10-04", [("2018-12-20", 2.50),
                                                         ("2019-08-01", 2.25),
                                                         ("2019-09-19", 2.00)])
    series.update(DFEDTARU=upper, DFEDTARL=upper - 0.25)
    _, analysis = run(sample_issue, D(2019, 10, 4), series)
    assert analysis.signals["funding_stress"].state == "calm"
    assert analysis.signals["sofr_peak_over_floor_bp"].value == pytest.approx(2, abs=0.5)


def march_2020() -> dict[str, pd.Series]:
    hy = daily("2016-01-04", "2020-03-18", [("2016-01-04", 5.0), ("2017-01-02", 4.0),
                                             ("2019-01-02", 3.8), ("2020-02-20", 3.5),
                                             ("2020-03-02", 5.5), ("2020-03-12", 7.5),
                                             ("2020-03-17", 9.5)])
    nfci = pd.Series(-0.5, index=pd.date_range("2016-01-08", "2020-03-13", freq="W-FRI"))
    nfci[nfci.index >= "2020-02-28"] = -0.3
    nfci[nfci.index >= "2020-03-06"] = 0.0
    nfci[nfci.index >= "2020-03-13"] = 0.4
    return {"BAMLH0A0HYM2": hy, "NFCI": nfci}


def test_march_2020_reads_as_credit_and_conditions_stress(sample_issue):
    data, analysis = run(sample_issue, D(2020, 3, 18), march_2020())
    s = analysis.signals
    assert s["credit_verdict"].state == "wide_widening"
    assert s["conditions_verdict"].state == "tight_tightening"
    heads = {"en": ("Tighter financial conditions.", "Rising credit sensitivity."),
             "zh-Hant": ("金融情勢趨緊。", "信用敏感度升高。"),
             "zh-Hans": ("金融状况趋紧。", "信用敏感度升高。")}
    for lang in LANGUAGES:
        text = words(sample_issue, data, analysis, "conclusion", lang)
        for head in heads[lang]:
            assert head in text, (lang, text[:400])
    en = words(sample_issue, data, analysis, "conclusion", "en")
    assert "wider than" in en and "of its history" in en


def june_2022() -> dict[str, pd.Series]:
    cpi = monthly_index("2019-01-01", "2022-05-01", 250.0, [
        ("2019-01-01", 1.9), ("2021-01-01", 4.0), ("2021-06-01", 8.0), ("2021-12-01", 8.5),
        ("2022-03-01", 9.4), ("2022-05-01", 10.2)])
    core = monthly_index("2019-01-01", "2022-05-01", 260.0, [
        ("2019-01-01", 2.2), ("2021-01-01", 4.5), ("2021-06-01", 6.4), ("2022-01-01", 6.3),
        ("2022-03-01", 5.6), ("2022-05-01", 5.2)])
    return {
        "CPIAUCSL": cpi, "CPILFESL": core,
        "EFFR": daily("2021-01-04", "2022-06-14", [("2021-01-04", 0.08), ("2022-03-17", 0.33),
                                                    ("2022-05-05", 0.83)]),
        "T5YIE": daily("2021-01-04", "2022-06-14", [("2021-01-04", 2.5), ("2022-03-01", 3.4),
                                                     ("2022-06-01", 2.9)]),
        "DGS2": daily("2021-01-04", "2022-06-14", [("2021-01-04", 0.2), ("2022-03-01", 1.5),
                                                    ("2022-06-13", 3.45)]),
    }


def test_june_2022_is_not_disinflation_and_prices_hikes(sample_issue):
    data, analysis = run(sample_issue, D(2022, 6, 15), june_2022())
    s = analysis.signals
    assert s["cpi_yoy_pct"].value > 8 and s["cpi_yoy_pct"].state == "rising"
    assert s["inflation_momentum"].state != "disinflating"
    assert s["rate_path"].state == "hikes" and s["rate_path"].value == 10
    assert s["policy_stance"].state == "accommodative"
    real = next(c for c in analysis.stance.contributions
                if c.input_id == "real_rate_exante_pct")
    assert real.contribution < 0  # real rates rising: bearish, never a bullish offset
    expect = {"en": ("not yet disinflation", "about 10 quarter-point hikes"),
              "zh-Hant": ("還談不上通膨回落", "約10碼的升息"),
              "zh-Hans": ("还谈不上通胀回落", "约10次25个基点的加息")}
    for lang in LANGUAGES:
        text = words(sample_issue, data, analysis, "s1", lang) + words(
            sample_issue, data, analysis, "s2", lang)
        for phrase in expect[lang]:
            assert phrase in text, (lang, phrase)
        assert "disinflation is under way" not in text


def march_2023() -> dict[str, pd.Series]:
    cpi = monthly_index("2020-01-01", "2023-02-01", 258.0, [
        ("2020-01-01", 1.5), ("2021-06-01", 6.0), ("2022-01-01", 9.0), ("2022-09-01", 3.0),
        ("2022-12-01", 2.5)])
    core = monthly_index("2020-01-01", "2023-02-01", 268.0, [
        ("2020-01-01", 2.0), ("2021-06-01", 5.0), ("2022-01-01", 7.0), ("2022-09-01", 5.0),
        ("2022-12-01", 4.4)])
    return {
        "CPIAUCSL": cpi, "CPILFESL": core,
        "EFFR": daily("2022-01-03", "2023-03-14", [("2022-01-03", 0.08), ("2022-09-22", 3.08),
                                                    ("2023-02-02", 4.58)]),
        "T5YIE": daily("2022-01-03", "2023-03-14", 2.4),
        "DGS2": daily("2022-01-03", "2023-03-14", [("2022-01-03", 0.8), ("2022-10-03", 4.3),
                                                    ("2023-02-14", 4.62), ("2023-03-08", 5.07),
                                                    ("2023-03-13", 4.0)]),
    }


def test_march_2023_is_restrictive_and_prices_cuts(sample_issue):
    data, analysis = run(sample_issue, D(2023, 3, 15), march_2023())
    s = analysis.signals
    assert s["real_rate_exante_pct"].value == pytest.approx(2.18, abs=0.1)
    assert s["policy_stance"].state == "restrictive"
    assert s["inflation_momentum"].state == "disinflating"
    assert s["rate_path"].state == "cuts" and s["rate_path"].value == 2
    assert s["policy_verdict"].state == "repricing_cuts"  # -62 bp in four weeks
    expect = {"en": "policy is restrictive", "zh-Hant": "政策屬緊縮", "zh-Hans": "政策属紧缩"}
    for lang in LANGUAGES:
        assert expect[lang] in words(sample_issue, data, analysis, "s1", lang)


def rates_2024_08() -> dict[str, pd.Series]:
    return {"DGS2": daily("2023-06-01", "2024-08-06", [
                ("2023-06-01", 4.6), ("2024-07-09", 4.62), ("2024-07-16", 4.44),
                ("2024-07-30", 4.36), ("2024-07-31", 4.26), ("2024-08-01", 4.16),
                ("2024-08-02", 3.88), ("2024-08-06", 3.99)]),
            "EFFR": daily("2023-06-01", "2024-08-06", [("2023-06-01", 5.08), ("2023-07-27", 5.33)]),
            "SOFR": daily("2023-06-01", "2024-08-06", [("2023-06-01", 5.06), ("2023-07-27", 5.31)]),
            "IORB": calendar_daily("2023-06-01", "2024-08-06", [("2023-06-01", 5.15),
                                                                ("2023-07-27", 5.40)]),
            "DFEDTARU": calendar_daily("2023-06-01", "2024-08-06", [("2023-06-01", 5.25),
                                                                    ("2023-07-27", 5.50)]),
            "DFEDTARL": calendar_daily("2023-06-01", "2024-08-06", [("2023-06-01", 5.00),
                                                                    ("2023-07-27", 5.25)])}


def rates_2023_10() -> dict[str, pd.Series]:
    return {"DGS2": daily("2023-01-03", "2023-10-24", [
                ("2023-01-03", 4.4), ("2023-09-20", 5.13), ("2023-10-03", 5.15),
                ("2023-10-24", 5.13)]),
            "EFFR": daily("2023-01-03", "2023-10-24", [("2023-01-03", 4.33),
                                                        ("2023-07-27", 5.33)])}


def test_a_sharp_repricing_of_the_path_is_a_non_linear_policy_reaction(sample_issue):
    """August 2024: funding calm, but the two-year yield fell 63 bp in four weeks after a
    weak payrolls report: the conclusion's fourth feature is a policy reaction the market
    is pricing, not "policy reacting smoothly". October 2023, with the yield flat for a
    month and one cut priced, stays smooth."""
    data, analysis = run(sample_issue, D(2024, 8, 7), rates_2024_08())
    s = analysis.signals
    assert s["dgs2_4w_change_bp"].value == pytest.approx(-63, abs=0.5)
    assert s["funding_stress"].state == "calm"
    assert s["policy_verdict"].state == "repricing_cuts"
    assert s["rate_path"].state == "cuts" and s["rate_path"].value == 5
    said = {"en": ("Non-linear policy reactions in view: the market has repriced the Fed's "
                   "path sharply.", "The two-year yield fell 63 bp in four weeks (6 Aug 2024)",
                   "The market prices about 5 quarter-point cuts over two years."),
            "zh-Hant": ("市場已大幅重新評估聯準會的利率路徑", "2年期殖利率在四週內下跌63個基點",
                        "約5碼的降息"),
            "zh-Hans": ("市场已大幅重新评估美联储的利率路径", "2年期收益率在四周内下跌63个基点",
                        "降息")}
    for lang in LANGUAGES:
        text = words(sample_issue, data, analysis, "conclusion", lang)
        for phrase in said[lang]:
            assert phrase in text, (lang, phrase, text[:800])

    data, analysis = run(sample_issue, D(2023, 10, 25), rates_2023_10())
    assert abs(analysis.signals["dgs2_4w_change_bp"].value) < 5
    assert analysis.signals["policy_verdict"].state == "calm_cuts"
    assert "Policy reacting smoothly, for now." in words(sample_issue, data, analysis,
                                                         "conclusion", "en")


def test_robust_z_is_not_fooled_by_the_pandemic_prints():
    """Payrolls of -45k a month against a decade with -20 million in it: without the
    pandemic months and with the median and MAD, -45k is far below normal."""
    idx = pd.date_range("2013-01-01", "2025-09-01", freq="MS")
    rng = np.random.default_rng(7)
    payrolls = pd.Series(200 + rng.normal(0, 60, len(idx)), index=idx)
    payrolls["2020-04-01"] = -20500.0
    payrolls["2020-06-01"] = 4800.0
    hist = payrolls[(payrolls.index < "2020-03-01") | (payrolls.index > "2021-06-30")]
    assert robust_z(-45.0, hist) < -2.5
    naive = (-45.0 - payrolls.mean()) / payrolls.std()
    assert naive > -0.5  # what the plain z-score said


def test_an_alarm_raises_a_loop_whatever_its_average():
    from reportgen.signals.base import Signal
    from reportgen.signals.scorecard import LOOP_STATUSES, raised

    alarms = [{"signal": "funding_stress", "states": ["stress"], "at_least": "stress"},
              {"signal": "funding_stress", "states": ["strained"], "at_least": "watch"}]
    signals = {"funding_stress": Signal("funding_stress", None, "state", D(2019, 9, 17),
                                        (), "stress")}
    assert raised("calm", alarms, signals, LOOP_STATUSES) == ("stress", "funding_stress")
    signals["funding_stress"] = Signal("funding_stress", None, "state", None, (), "strained")
    assert raised("calm", alarms, signals, LOOP_STATUSES) == ("watch", "funding_stress")
    assert raised("stress", alarms, signals, LOOP_STATUSES) == ("stress", None)
    signals["funding_stress"] = Signal("funding_stress", None, "state", None, (), "calm")
    assert raised("calm", alarms, signals, LOOP_STATUSES) == ("calm", None)


def test_a_tie_between_phases_is_a_tie():
    assert leading_phase({"a": 0.5, "b": 0.5, "c": 0.0}) == ("a-b", 0.5)
    assert leading_phase({"a": 0.25, "b": 0.75, "c": float("nan")}) == ("b", 0.75)


def test_the_radar_never_compares_with_a_date_after_the_issue():
    labels = [label for label, _ in radar_dates(pd.Timestamp("2018-11-14"))]
    assert labels == ["2018Q3", "june", "latest"]  # June 2018, never Sep 2019
    labels = [label for label, day in radar_dates(pd.Timestamp("2026-03-04"))]
    assert labels == ["2018Q3", "2019Q1", "2019-09", "june", "latest"]


@pytest.mark.parametrize("episode", [repo_spike, march_2020, june_2022])
def test_no_dash_stands_inside_a_sentence_in_any_language(sample_issue, episode):
    """Sparse data (only the episode's few series): every sentence that would state a
    missing value is left out, in every language; tables keep their dashes."""
    as_of = {repo_spike: D(2019, 9, 18), march_2020: D(2020, 3, 18),
             june_2022: D(2022, 6, 15)}[episode]
    data, analysis = run(sample_issue, as_of, episode())
    from reportgen.pipeline import render_sections

    ids = [s.id for s in sample_issue.content.registry]
    for lang in LANGUAGES:
        html = render_sections(sample_issue.config, sample_issue.content, analysis, data, lang,
                               ids)
        prose = re.findall(r"<(p|li)\b[^>]*>(.*?)</\1>", html, flags=re.S)
        dashed = [re.sub(r"<[^>]+>", "", text) for _, text in prose if "–" in text]
        assert not dashed, (lang, dashed[:3])


def august_2024(with_nasdaq_100: bool = False) -> dict[str, pd.Series]:
    """The week of 5 Aug 2024 (the yen carry unwind), as a replay without a FRED key sees
    it: the Nasdaq Composite about 12% below its July peak (18,650 -> 16,370), bitcoin
    from 70k to 54k and moving with it, and no Nasdaq-100 and no constituents file, so
    index concentration itself is not measured. Daily returns share one factor (seeded)."""
    idx = pd.bdate_range("2016-01-04", "2024-08-06")
    rng = np.random.default_rng(2024)
    common = rng.normal(0.0006, 0.011, len(idx))
    comp = 4900 * np.exp(np.cumsum(common))
    comp *= 18650 / comp[idx.get_loc(pd.Timestamp("2024-07-10"))]
    drop = idx >= "2024-07-11"
    comp[drop] = np.linspace(18650, 16370, drop.sum())
    btc = 430 * np.exp(np.cumsum(1.6 * common + rng.normal(0.001, 0.03, len(idx))))
    btc *= 70000 / btc[idx.get_loc(pd.Timestamp("2024-07-10"))]
    btc[drop] = np.linspace(70000, 54000, drop.sum())
    series = {"NASDAQCOM": pd.Series(comp, index=idx), "CBBTCUSD": pd.Series(btc, index=idx)}
    if with_nasdaq_100:  # the mega-caps a little ahead of the rest over the year
        series["NASDAQ100"] = pd.Series(comp * np.linspace(1.0, 1.4, len(idx)), index=idx)
    return series


def test_a_loop_read_off_its_minor_inputs_alone_gets_no_status(sample_issue):
    """August 2024 without the Nasdaq-100 or a constituents file: only the bitcoin-Nasdaq
    correlation (weight 0.5 of 2.25) has data, so "index concentration" has no status and
    says why, in every language, instead of a stress its subject was never measured for.
    With the Nasdaq-100 (0.75 more: 56% of the weight) it is judged again."""
    data, analysis = run(sample_issue, D(2024, 8, 7), august_2024())
    loop = next(lp for lp in analysis.loops if lp.id == "concentration")
    measured = {c.input_id for c in loop.contributions if c.z is not None}
    assert measured == {"btc_nasdaq_corr_90d"}
    assert loop.label == "" and not np.isfinite(loop.score)
    assert loop.coverage == pytest.approx(0.5 / 2.25)
    assert analysis.signals["loop_concentration"].state == ""
    said = {"en": ("Too little data", "Inputs with data carry 22% of its weight; a status "
                   "needs 50%."),
            "zh-Hant": ("資料不足", "有資料的指標占其權重的 22%；判定狀態需達 50%。"),
            "zh-Hans": ("数据不足", "有数据的指标占其权重的 22%；判定状态需达 50%。")}
    for lang in LANGUAGES:
        text = words(sample_issue, data, analysis, "glance", lang)
        row = text.split(sample_issue.content.locales[lang].gettext("Index concentration"))[1]
        status, why = said[lang]
        assert row.strip().startswith(status), (lang, row[:120])
        assert why in row, (lang, row[:300])

    _, analysis = run(sample_issue, D(2024, 8, 7), august_2024(with_nasdaq_100=True))
    loop = next(lp for lp in analysis.loops if lp.id == "concentration")
    assert loop.coverage == pytest.approx(1.25 / 2.25)
    assert loop.label in ("calm", "watch", "stress") and np.isfinite(loop.score)


def test_a_coverage_share_outside_0_to_1_is_a_catalog_error():
    from reportgen.errors import CatalogError
    from reportgen.signals.scorecard import min_coverage

    assert min_coverage({}) == 0.5
    with pytest.raises(CatalogError, match=r"\[coverage\] min_weight_share = 50; use a share"):
        min_coverage({"coverage": {"min_weight_share": 50}})
