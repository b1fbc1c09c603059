"""Narrative: turn language-free signals into the reader's words.

The sentences themselves are message-catalog entries in the section templates; this stage
gives them what they need: numbers formatted for the locale, phrases chosen by a signal's
state (rising / falling / flat, thresholds), and per-language labels. The number in a
sentence is the same Signal value the chart's last point shows, with its date.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from babel.support import NullTranslations

from reportgen.i18n import Formatter
from reportgen.signals import Analysis
from reportgen.signals.base import Signal

# A value the data do not have: shown as a dash in tables, but a sentence that would state
# it is left out (render.paragraph_filter drops it; render_html removes the mark elsewhere).
MISSING_MARK = "\u2063"  # INVISIBLE SEPARATOR, never produced by formatting
NO_VALUE = MISSING_MARK + "–"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


# The default report title (config report.title); a title of the user's own is shown as is
# unless the message catalogs translate it.
DEFAULT_TITLE = N_("Macro Liquidity Weekly")

# Comparison horizons as written in change phrases; msgids so translators see them.
PERIODS = {
    "3m": N_("three months"),
    "6m": N_("six months"),
    "12m": N_("12 months"),
    "1y": N_("a year"),
    "13w": N_("13 weeks"),
    "4w": N_("four weeks"),
}


STANCE_LABELS = {
    "bearish": N_("Bearish"),
    "cautious_bearish": N_("Cautiously bearish"),
    "neutral": N_("Neutral"),
    "cautious_bullish": N_("Cautiously bullish"),
    "bullish": N_("Bullish"),
}
# Keys of the shading shown under a chart.
SHADING_LABELS = {"recession": N_("Recessions (NBER)"), "shutdown": N_("Government shutdowns"),
                  "qt": N_("Balance-sheet runoff (QT)"), "event": N_("Policy events")}
LOOP_STATUS = {"calm": N_("Calm"), "watch": N_("Watch"), "stress": N_("Stress")}
TRENDS = {"up": N_("tightening"), "down": N_("easing"), "flat": N_("unchanged"),
          "": N_("no comparison")}
LOOP_NAMES = {
    "policy_error": N_("Policy-error risk"),
    "ai_leverage": N_("AI and mega-caps turning to debt"),
    "private_credit": N_("Private-credit marks diverging"),
    "k_shape": N_("K-shaped economy as a political variable"),
    "concentration": N_("Index concentration"),
}
RELEASE_STATUS = {"on_time": N_("On time"), "delayed": N_("Delayed"),
                  "missing": N_("Gaps: never published"), "no_data": N_("No data")}
PHASE_NAMES = {"a": N_("Phase A (controlled tightening and stress)"),
               "b": N_("Phase B (liquidity recovery with the political cycle)"),
               "c": N_("Phase C (broad repricing)")}


# Policy and money-market rates move in quarter points and basis points: they are quoted to
# two decimals and their changes are stated in basis points.
RATE_SIGNALS = frozenset({"fed_target_upper_pct", "fed_target_lower_pct", "effr_pct"})
# Decimals for signals whose unit alone does not say how precisely to quote them.
DIGITS = {**dict.fromkeys(RATE_SIGNALS, 2), "data_fog_index": 0, "epu_30d_avg": 0,
          "umcsent_index": 1, "effective_number_of_stocks": 0}


@dataclass
class Narrator:
    """Per-language helpers the templates call; one instance per language."""

    lang: str
    fmt: Formatter
    t: NullTranslations
    analysis: Analysis

    def _(self, msg: str) -> str:
        return self.t.gettext(msg)

    def sig(self, sid: str) -> Signal:
        got = self.analysis.signals.get(sid)
        return got if got is not None else Signal(sid, None, "", None, ())

    def v(self, sid: str, **kw: Any) -> str:
        """A signal's value, formatted by its unit."""
        s = self.sig(sid)
        if not s.ok:
            return NO_VALUE
        if sid in DIGITS:
            kw.setdefault("digits", DIGITS[sid])
        return self.fmt.value(s.value, s.unit, **kw)

    def va(self, sid: str, **kw: Any) -> str:
        """A signal's magnitude, for sentences that carry the sign in words (below/above)."""
        s = self.sig(sid)
        return self.fmt.value(abs(s.value), s.unit, **kw) if s.ok else NO_VALUE

    def d(self, sid: str) -> str:
        """A signal's observation date, at the precision its frequency deserves."""
        s = self.sig(sid)
        return self.fmt.date(s.date) if s.date else NO_VALUE

    def m(self, sid: str) -> str:
        """A signal's observation month (for monthly data)."""
        s = self.sig(sid)
        return self.fmt.month(s.date) if s.date else NO_VALUE

    def q(self, sid: str) -> str:
        s = self.sig(sid)
        return self.fmt.quarter(s.date) if s.date else NO_VALUE

    def change(self, sid: str, **kw: Any) -> str:
        """'up 0.3 pp over three months' / '三個月來上升0.3個百分點', from the signal's state."""
        s = self.sig(sid)
        if s.change is None or not math.isfinite(s.change):
            return self._("with no earlier value to compare")
        if sid in RATE_SIGNALS:
            amount = self.fmt.bp(abs(s.change) * 100.0)
        else:
            unit = "pp" if s.unit == "percent" else s.unit
            amount = self.fmt.value(abs(s.change), unit, **kw)
        period = self._(PERIODS.get(s.change_label, s.change_label))
        if s.state == "rising":
            return self._("up %(amount)s over %(period)s") % {"amount": amount, "period": period}
        if s.state == "falling":
            return self._("down %(amount)s over %(period)s") % {"amount": amount,
                                                                "period": period}
        return self._("little changed over %(period)s") % {"period": period}

    def extreme(self, sid: str) -> str:
        """'the highest since Mar 2023' / 'a high for the data since 2007', for a signal whose
        series just moved beyond its recent range; empty when it did not."""
        series = self.analysis.series.get(sid)
        s = self.sig(sid)
        if series is None or len(series) < 24 or not s.ok:
            return ""
        prior, value = series.iloc[:-1], series.iloc[-1]
        rising = s.state != "falling"
        beyond = prior >= value if rising else prior <= value
        if not beyond.any():
            msg = (self._("a high for the data since %(start)s") if rising else
                   self._("a low for the data since %(start)s"))
            return msg % {"start": str(series.index[0].year)}
        last = beyond[beyond].index[-1]
        if len(series[series.index > last]) < 12:  # only news if it has not happened lately
            return ""
        msg = self._("the highest since %(month)s") if rising else self._(
            "the lowest since %(month)s")
        return msg % {"month": self.fmt.month(last.date())}

    def state(self, sid: str) -> str:
        return self.sig(sid).state

    def stance_label(self, key: str | None = None) -> str:
        key = self.analysis.stance.label if key is None else key
        return self._(STANCE_LABELS.get(key, key)) if key else "–"

    def loop_name(self, loop_id: str) -> str:
        return self._(LOOP_NAMES.get(loop_id, loop_id))

    def loop_status(self, status: str) -> str:
        return self._(LOOP_STATUS.get(status, status)) if status else "–"

    def trend(self, trend: str) -> str:
        return self._(TRENDS.get(trend, trend))

    def release_status(self, status: str) -> str:
        return self._(RELEASE_STATUS[status])

    def phase_name(self, phase: str) -> str:
        return self._(PHASE_NAMES.get(phase, phase)) if phase else "–"

    def signal_title(self, sid: str) -> str:
        """The reader's name for a signal id (from the signal-title catalog)."""
        return self._(SIGNAL_TITLES.get(sid, sid))

    def date(self, d: dt.date | None) -> str:
        return self.fmt.date(d)


# Reader-facing names of the signals that "what changed" and the appendix may list.
SIGNAL_TITLES = {
    "cpi_yoy_pct": N_("CPI inflation, year on year"),
    "core_cpi_yoy_pct": N_("Core CPI inflation, year on year"),
    "core_pce_yoy_pct": N_("Core PCE inflation, year on year"),
    "core_cpi_3m_ann_pct": N_("Core CPI, 3-month annualised"),
    "core_cpi_6m_ann_pct": N_("Core CPI, 6-month annualised"),
    "fed_target_upper_pct": N_("Fed funds target, upper bound"),
    "fed_target_lower_pct": N_("Fed funds target, lower bound"),
    "effr_pct": N_("Effective fed funds rate"),
    "real_policy_rate_pct": N_("Real policy rate"),
    "unrate_pct": N_("Unemployment rate"),
    "unrate_minus_12m_low_pp": N_("Unemployment rate above its 12-month low"),
    "payrolls_mom_k": N_("Payrolls, monthly change"),
    "payrolls_3m_avg_k": N_("Payrolls, 3-month average change"),
    "data_fog_index": N_("Data-fog index"),
    "releases_delayed_count": N_("Key releases delayed"),
    "periods_never_published_count": N_("Periods never published"),
    "dgs1_minus_effr_bp": N_("1-year yield minus EFFR"),
    "dgs2_minus_effr_bp": N_("2-year yield minus EFFR"),
    "dgs1_minus_effr_bp_4w_change": N_("1-year yield minus EFFR, 4-week change"),
    "dgs2_minus_effr_bp_4w_change": N_("2-year yield minus EFFR, 4-week change"),
    "walcl_usd_bn": N_("Fed total assets"),
    "walcl_13w_change_usd_bn": N_("Fed total assets, 13-week change"),
    "ig_oas_bp": N_("Investment-grade spread"),
    "bbb_oas_bp": N_("BBB spread"),
    "hy_oas_bp": N_("High-yield spread"),
    "baa_minus_10y_bp": N_("Baa yield minus 10-year Treasury"),
    "ig_oas_percentile": N_("Investment-grade spread, percentile"),
    "bbb_oas_percentile": N_("BBB spread, percentile"),
    "hy_oas_percentile": N_("High-yield spread, percentile"),
    "baa_minus_10y_percentile": N_("Baa minus 10-year, percentile"),
    "nonfin_corp_debt_yoy_pct": N_("Nonfinancial corporate debt growth"),
    "hyperscaler_capex_usd_bn": N_("Hyperscaler capex, quarterly"),
    "hyperscaler_capex_yoy_pct": N_("Hyperscaler capex growth"),
    "cloud_cds_5y_bp": N_("Cloud vendor 5-year CDS"),
    "repo_share_at_or_above_iorb": N_("Repo volume at or above IORB"),
    "sofr_minus_iorb_bp": N_("SOFR minus IORB"),
    "effr_minus_iorb_bp": N_("EFFR minus IORB"),
    "reserves_usd_bn": N_("Reserve balances"),
    "reserves_below_peak_pct": N_("Reserves below their two-year peak"),
    "rrp_usd_bn": N_("Overnight reverse repo"),
    "rrp_depletion_pct": N_("Overnight reverse repo drained from peak"),
    "srf_takeup_usd_bn": N_("Standing repo take-up"),
    "srf_takeup_30d_max_usd_bn": N_("Standing repo take-up, 30-day high"),
    "loan_mark_dispersion_cents": N_("Loan-mark dispersion, average"),
    "loan_mark_widest_spread_cents": N_("Loan-mark dispersion, widest"),
    "youth_unrate_pct": N_("Youth unemployment rate (16-24)"),
    "youth_unrate_gap_pp": N_("Youth minus overall unemployment"),
    "umcsent_index": N_("Consumer sentiment"),
    "card_delinquency_pct": N_("Credit-card delinquency rate"),
    "consumer_loan_delinquency_pct": N_("Consumer-loan delinquency rate"),
    "top1_wealth_share_pct": N_("Net worth held by the top 1%"),
    "bottom50_wealth_share_pct": N_("Net worth held by the bottom 50%"),
    "top1_to_bottom50_wealth_ratio": N_("Top 1% to bottom 50% wealth ratio"),
    "real_earnings_yoy_pct": N_("Real median weekly earnings, year on year"),
    "top10_share_pct": N_("Top-10 share of the index"),
    "herfindahl_index": N_("Herfindahl index"),
    "effective_number_of_stocks": N_("Effective number of stocks"),
    "constituents_count": N_("Index constituents"),
    "sp500_index": N_("S&P 500"),
    "sp500_yoy_pct": N_("S&P 500, year on year"),
    "sp500_drawdown_pct": N_("S&P 500, below peak"),
    "nasdaq_index": N_("Nasdaq Composite"),
    "nasdaq_yoy_pct": N_("Nasdaq Composite, year on year"),
    "nasdaq_drawdown_pct": N_("Nasdaq Composite, below peak"),
    "btc_nasdaq_corr_90d": N_("Bitcoin-Nasdaq correlation, 90 days"),
    "btc_nasdaq_beta_90d": N_("Bitcoin beta to Nasdaq, 90 days"),
    "gold_nasdaq_corr_90d": N_("Gold-Nasdaq correlation, 90 days"),
    "btc_usd": N_("Bitcoin"),
    "btc_vol_30d_pct": N_("Bitcoin volatility, 30 days"),
    "btc_drawdown_pct": N_("Bitcoin, below peak"),
    "gold_usd": N_("Gold"),
    "gold_vol_30d_pct": N_("Gold volatility, 30 days"),
    "gold_drawdown_pct": N_("Gold, below peak"),
    "net_liquidity_usd_bn": N_("Net liquidity"),
    "net_liquidity_13w_change_usd_bn": N_("Net liquidity, 13-week change"),
    "outlook_phase": N_("Phase the data point to"),
    "nfci_index": N_("Financial conditions (NFCI)"),
    "nfci_13w_change": N_("NFCI, 13-week change"),
    "epu_30d_avg": N_("Policy uncertainty, 30-day average"),
    "macro_stance": N_("Macro stance score"),
    "loop_policy_error": N_("Loop: policy-error risk"),
    "loop_ai_leverage": N_("Loop: AI and mega-caps turning to debt"),
    "loop_private_credit": N_("Loop: private-credit marks"),
    "loop_k_shape": N_("Loop: K-shaped economy"),
    "loop_concentration": N_("Loop: index concentration"),
}

SOURCE_NAMES = {"fred": N_("FRED"), "nyfed": N_("New York Fed"), "csv": N_("user CSV")}

STATE_WORDS = {
    "rising": N_("rising"), "falling": N_("falling"), "flat": N_("flat"),
    "high": N_("high"), "elevated": N_("elevated"), "clear": N_("clear"),
    "tight": N_("tight"), "wide": N_("wide"), "normal": N_("normal"),
    "a": N_("phase A"), "b": N_("phase B"), "c": N_("phase C"),
    **STANCE_LABELS, **LOOP_STATUS,
}


def state_word(t: NullTranslations, state: str) -> str:
    return t.gettext(STATE_WORDS.get(state, state)) if state else "–"
