"""Languages: one `Locale` per language, built once and used by every stage that writes.

A Locale holds the language's rules (locales/languages.toml: name, CLDR locale, date
patterns, fonts, how sentences join, where notes are borrowed from), its gettext catalog
(compiled in memory from .po, with the sections' own catalogs merged in) and its formatter.
Every number the reader sees goes through `Formatter`, so a value is written `$2.85 tn` in
English, `2.85兆美元` in Traditional and `2.85万亿美元` in Simplified Chinese. Adding a
language is data only: a table in languages.toml and a message catalog.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_interval, format_skeleton
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_decimal
from babel.support import NullTranslations, Translations

from reportgen.content import ContentPaths, as_content, read_toml
from reportgen.errors import CatalogError, ConfigError, RenderError

DOMAIN = "messages"
# A value the data do not have. Tables show the dash; a sentence that would state it is
# left out (render.paragraph_filter drops every line carrying the mark, and render_html
# removes the mark everywhere else), so no "–" ever stands inside a sentence.
MISSING_MARK = "\u2063"  # INVISIBLE SEPARATOR, never produced by formatting
NO_VALUE = MISSING_MARK + "–"


def po_dir(lang: str) -> str:
    """gettext folder name: zh-Hant -> zh_Hant."""
    return lang.replace("-", "_")


LANGUAGES_FILE = "languages.toml"


def language_table(source: ContentPaths | Path) -> dict[str, dict[str, Any]]:
    """locales/languages.toml: every language reportgen can write, by code."""
    return read_toml(as_content(source, "locales").file("locales", LANGUAGES_FILE))


def check_languages(source: ContentPaths | Path, codes: list[str], where: str) -> None:
    """One line naming the option and the languages there are, for an unknown code."""
    known = list(language_table(source))
    bad = [c for c in codes if c not in known]
    if bad:
        raise ConfigError(f"{where}: unknown language {bad[0]!r}; use one of "
                          + ", ".join(known) + " (or add it to locales/languages.toml)")


def load_translations(source: ContentPaths | Path, lang: str) -> NullTranslations:
    """The language's catalog (the workspace's copy wins), compiled from its .po."""
    check_languages(source, [lang], "language")
    relative = f"{po_dir(lang)}/LC_MESSAGES/{DOMAIN}.po"
    try:
        po = as_content(source, "locales").file("locales", relative)
    except CatalogError:
        if lang == "en":
            return NullTranslations()
        raise RenderError(f"locales/{relative}: message catalog missing for {lang}") from None
    return _compile(po)


def _read_catalog(po: Path, locale: str) -> Catalog:
    try:
        with po.open("rb") as fh:
            return read_po(fh, locale=locale)
    except Exception as exc:  # babel raises several parse errors
        raise RenderError(f"{po}: cannot read message catalog ({exc})") from None


@lru_cache(maxsize=32)
def _compile(po: Path, locale: str | None = None, extra: tuple[Path, ...] = ()
             ) -> Translations:
    """Compile a .po in memory (no build step to forget), with the messages of `extra`
    catalogs added over it; cached per set of files."""
    locale = locale or po.parent.parent.name
    catalog = _read_catalog(po, locale)
    for more in extra:
        for message in _read_catalog(more, locale):
            if message.id and message.string:
                catalog[message.id] = message
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


@dataclass(frozen=True)
class LocaleFormats:
    babel: str
    date: str
    month: str
    quarter: str
    compact_money: bool
    font_family: str


FORMAT_KEYS = ("babel", "date", "month", "quarter", "compact_money", "font_family")
RULE_KEYS = ("name", "separator", "fallbacks")


def load_formats(source: ContentPaths | Path) -> dict[str, LocaleFormats]:
    """Number and date formats of every language in languages.toml."""
    path = as_content(source, "locales").file("locales", LANGUAGES_FILE)
    out = {}
    for code, raw in read_toml(path).items():
        missing = [k for k in (*FORMAT_KEYS, *RULE_KEYS) if k not in raw]
        if missing:
            raise CatalogError(f"{path}: [{code}] needs the key {missing[0]!r} (see [en])")
        out[code] = LocaleFormats(**{k: raw[k] for k in FORMAT_KEYS})
    return out


@dataclass
class Locale:
    """One language: its rules, its catalog and its formatter, built once per run."""

    code: str
    name: str
    formats: LocaleFormats
    translations: NullTranslations
    separator: str
    fallbacks: tuple[str, ...]
    env: Any = None  # its Jinja environment, set once the templates are known

    def __post_init__(self) -> None:
        self.fmt = Formatter(self.code, self.formats, self.translations)

    @property
    def fonts(self) -> list[str]:
        """The font list for matplotlib and the PDF, first choice first."""
        return [f.strip() for f in self.formats.font_family.split(",")]

    @property
    def font_family_css(self) -> str:
        return ", ".join(f'"{f}"' for f in self.fonts) + ", sans-serif"

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)


def load_locales(source: ContentPaths | Path, codes: list[str],
                 extra_catalogs: list[Path] = ()) -> dict[str, Locale]:
    """The Locales for `codes`. `extra_catalogs` are section catalogs named `<lang>.po`
    (zh_Hant.po), merged over the main catalog of that language."""
    check_languages(source, codes, "report.languages")
    table = language_table(source)
    formats = load_formats(source)
    out = {}
    for code in codes:
        translations = load_translations(source, code)
        extra = tuple(po for po in extra_catalogs if po.stem == po_dir(code))
        if extra:
            main = _main_catalog(source, code)
            translations = (_compile(main, po_dir(code), extra) if main is not None
                            else _compile(extra[0], po_dir(code), extra[1:]))
        out[code] = Locale(code, table[code]["name"], formats[code],
                           UnitsTogether(translations), table[code]["separator"],
                           tuple(table[code]["fallbacks"]))
    return out


def _main_catalog(source: ContentPaths | Path, code: str) -> Path | None:
    try:
        return as_content(source, "locales").file(
            "locales", f"{po_dir(code)}/LC_MESSAGES/{DOMAIN}.po")
    except CatalogError:
        return None


NBSP = "\u00a0"
# A number (digits, or a placeholder that stands for one) then a unit word: the space
# between them. English unit words only: the Chinese catalogs put no space there.
_NUMBER_UNIT = re.compile(
    r"(\d|%\(\w+\)[sd]) (?=(?:bp|pp|percentage points?|basis points?|cents?|"
    r"quarter-points?|bn|tn|days?|weeks?|months?|quarters?|years?|hours?|minutes?|seconds?|"
    r"times)\b)")


def units_together(text: str) -> str:
    """A number and its unit inside a sentence ("13 weeks", "%(n)s bp", "500 bp"): a
    no-break space between them, so a line never ends between the two."""
    return _NUMBER_UNIT.sub(r"\1" + NBSP, text)


class UnitsTogether(NullTranslations):
    """A language's catalog whose every message comes back with its numbers and units
    held together (units_together), in the pattern before the values go in: the
    templates' `_()` and `{% trans %}`, the views' `t.gettext` and the formatter all read
    through it, so no translated string can end a line between a number and its unit."""

    def __init__(self, inner: NullTranslations):
        super().__init__()
        self.inner = inner

    def gettext(self, message: str) -> str:
        return units_together(self.inner.gettext(message))

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return units_together(self.inner.ngettext(msgid1, msgid2, n))

    def pgettext(self, context: str, message: str) -> str:
        return units_together(self.inner.pgettext(context, message))

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return units_together(self.inner.npgettext(context, msgid1, msgid2, n))

    # Jinja's i18n prefers these older names where they exist (babel's base class has them)
    ugettext, ungettext, upgettext, unpgettext = gettext, ngettext, pgettext, npgettext


def _together(text: str) -> str:
    """A number with its unit word ("5 bp", "$3.02 tn"): a no-break space, so a line never
    ends between the two. Applied to the translated pattern, so every language gets it."""
    return text.replace(" ", NBSP)


class Formatter:
    """Locale-aware formatting of the report's units."""

    def __init__(self, lang: str, formats: LocaleFormats, translations: NullTranslations):
        self.lang = lang
        self.f = formats
        self.t = translations

    def _n(self, x: float, digits: int) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(x, format=pattern, locale=self.f.babel)

    def num(self, x: float | None, digits: int = 1) -> str:
        if x is None or not math.isfinite(x):
            return NO_VALUE
        return self._n(x, digits)

    def pct(self, x: float | None, digits: int = 1) -> str:
        """A level in percent (3.1%)."""
        return NO_VALUE if x is None or not math.isfinite(x) else f"{self._n(x, digits)}%"

    def pp(self, x: float | None, digits: int = 1) -> str:
        """A difference of percentages, in percentage points."""
        if x is None or not math.isfinite(x):
            return NO_VALUE
        return _together(self.t.gettext("%(n)s pp") % {"n": self._n(x, digits)})

    def bp(self, x: float | None, digits: int = 0) -> str:
        if x is None or not math.isfinite(x):
            return NO_VALUE
        return _together(self.t.gettext("%(n)s bp") % {"n": self._n(x, digits)})

    def usd_bn(self, x: float | None, digits: int | None = None) -> str:
        """An amount given in USD billions, in the reader's scale words."""
        if x is None or not math.isfinite(x):
            return NO_VALUE
        if x < 0:  # the sign before the currency: -$62 bn, not $-62 bn
            return "-" + self.usd_bn(-x, digits)
        if self.f.compact_money:
            digits = 2 if abs(x) >= 1000 else 0 if abs(x) >= 10 else 1
            n = format_compact_decimal(x * 1e9, locale=self.f.babel, fraction_digits=digits)
            return _together(self.t.gettext("%(n)s USD") % {"n": n})
        if abs(x) >= 1000:
            return _together(self.t.gettext("$%(n)s tn") % {"n": self._n(x / 1000, 2)})
        return _together(self.t.gettext("$%(n)s bn") % {
            "n": self._n(x, 0 if abs(x) >= 10 else 1)})

    def usd(self, x: float | None, digits: int = 0) -> str:
        if x is None or not math.isfinite(x):
            return NO_VALUE
        return self.t.gettext("$%(n)s") % {"n": self._n(x, digits)}

    def thousands(self, x: float | None, digits: int | None = None) -> str:
        """A count given in thousands (payrolls): 119k / 11.9萬."""
        if x is None or not math.isfinite(x):
            return NO_VALUE
        if self.f.compact_money:
            return format_compact_decimal(x * 1000, locale=self.f.babel, fraction_digits=1)
        return self.t.gettext("%(n)sk") % {"n": self._n(x, 0)}

    def date(self, d: dt.date | None) -> str:
        return NO_VALUE if d is None else format_date(d, self.f.date, locale=self.f.babel)

    def day(self, d: dt.date | None) -> str:
        """A day of the coming week, with its weekday: "Wed, Nov 25" / "11月25日 週三"."""
        return NO_VALUE if d is None else format_skeleton("MMMEd", d, locale=self.f.babel)

    def days(self, first: dt.date, last: dt.date | None) -> str:
        """A span of days ("Dec 8 – 9"), or one day."""
        if last is None or last == first:
            return self.day(first)
        return format_interval(first, last, "MMMd", locale=self.f.babel)

    def month(self, d: dt.date | None) -> str:
        return NO_VALUE if d is None else format_date(d, self.f.month, locale=self.f.babel)

    def quarter(self, d: dt.date | None) -> str:
        if d is None:
            return NO_VALUE
        return self.f.quarter.format(q=(d.month - 1) // 3 + 1, y=d.year)

    def observed(self, d: dt.date | None, frequency: str = "") -> str:
        """An observation's date at the precision of its period: "Jul 2026" for a monthly
        value (dated by FRED on the 1st), "Q2 2026" for a quarterly one, else the day."""
        if d is None:
            return NO_VALUE
        if frequency == "quarterly" and d.day == 1 and d.month in (1, 4, 7, 10):
            return self.quarter(d)
        if frequency in ("monthly", "quarterly") and d.day == 1:
            return self.month(d)
        return self.date(d)

    def value(self, x: float | None, unit: str, **kw: Any) -> str:
        """Format by unit name, as signals carry it."""
        fn = {"percent": self.pct, "pp": self.pp, "bp": self.bp, "usd_bn": self.usd_bn,
              "usd": self.usd, "thousands": self.thousands}.get(unit)
        if fn is not None:
            return fn(x, **kw)
        return self.num(x, kw.get("digits", 2 if unit in ("ratio", "index", "score") else 1))
