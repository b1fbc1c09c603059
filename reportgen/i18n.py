"""Languages: gettext catalogs (compiled in memory from .po) and locale formatting (Babel).

Every number the reader sees goes through `Formatter`, so a value is written `$2.85 tn` in
English, `2.85兆美元` in Traditional and `2.85万亿美元` in Simplified Chinese, and dates
follow each language's conventions.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_compact_decimal, format_decimal
from babel.support import NullTranslations, Translations

from reportgen import LANGUAGES
from reportgen.catalog import read_toml
from reportgen.content import ContentPaths, as_content
from reportgen.errors import CatalogError, ConfigError, RenderError

DOMAIN = "messages"


def po_dir(lang: str) -> str:
    """gettext folder name: zh-Hant -> zh_Hant."""
    return lang.replace("-", "_")


def load_translations(source: ContentPaths | Path, lang: str) -> NullTranslations:
    """The language's catalog (the workspace's copy wins), compiled from its .po."""
    if lang not in LANGUAGES:
        raise ConfigError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    relative = f"{po_dir(lang)}/LC_MESSAGES/{DOMAIN}.po"
    try:
        po = as_content(source, "locales").file("locales", relative)
    except CatalogError:
        if lang == "en":
            return NullTranslations()
        raise RenderError(f"locales/{relative}: message catalog missing for {lang}") from None
    return _compile(po)


@lru_cache(maxsize=16)
def _compile(po: Path) -> NullTranslations:
    """Compile a .po in memory (no build step to forget); cached per file."""
    try:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
    except Exception as exc:  # babel raises several parse errors
        raise RenderError(f"{po}: cannot read message catalog ({exc})") from None
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


def load_formats(source: ContentPaths | Path) -> dict[str, LocaleFormats]:
    path = as_content(source, "locales").file("locales", "formats.toml")
    raw = read_toml(path)
    try:
        return {lang: LocaleFormats(**raw[lang]) for lang in LANGUAGES}
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"{path}: each language needs exactly the keys of [en] ({exc})"
                           ) from None


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
            return "–"
        return self._n(x, digits)

    def pct(self, x: float | None, digits: int = 1) -> str:
        """A level in percent (3.1%)."""
        return "–" if x is None or not math.isfinite(x) else f"{self._n(x, digits)}%"

    def pp(self, x: float | None, digits: int = 1) -> str:
        """A difference of percentages, in percentage points."""
        if x is None or not math.isfinite(x):
            return "–"
        return self.t.gettext("%(n)s pp") % {"n": self._n(x, digits)}

    def bp(self, x: float | None, digits: int = 0) -> str:
        if x is None or not math.isfinite(x):
            return "–"
        return self.t.gettext("%(n)s bp") % {"n": self._n(x, digits)}

    def usd_bn(self, x: float | None, digits: int | None = None) -> str:
        """An amount given in USD billions, in the reader's scale words."""
        if x is None or not math.isfinite(x):
            return "–"
        if self.f.compact_money:
            digits = 2 if abs(x) >= 1000 else 0 if abs(x) >= 10 else 1
            n = format_compact_decimal(x * 1e9, locale=self.f.babel, fraction_digits=digits)
            return self.t.gettext("%(n)s USD") % {"n": n}
        if abs(x) >= 1000:
            return self.t.gettext("$%(n)s tn") % {"n": self._n(x / 1000, 2)}
        return self.t.gettext("$%(n)s bn") % {"n": self._n(x, 0 if abs(x) >= 10 else 1)}

    def usd(self, x: float | None, digits: int = 0) -> str:
        if x is None or not math.isfinite(x):
            return "–"
        return self.t.gettext("$%(n)s") % {"n": self._n(x, digits)}

    def thousands(self, x: float | None, digits: int | None = None) -> str:
        """A count given in thousands (payrolls): 119k / 11.9萬."""
        if x is None or not math.isfinite(x):
            return "–"
        if self.f.compact_money:
            return format_compact_decimal(x * 1000, locale=self.f.babel, fraction_digits=1)
        return self.t.gettext("%(n)sk") % {"n": self._n(x, 0)}

    def date(self, d: dt.date | None) -> str:
        return "–" if d is None else format_date(d, self.f.date, locale=self.f.babel)

    def month(self, d: dt.date | None) -> str:
        return "–" if d is None else format_date(d, self.f.month, locale=self.f.babel)

    def quarter(self, d: dt.date | None) -> str:
        if d is None:
            return "–"
        return self.f.quarter.format(q=(d.month - 1) // 3 + 1, y=d.year)

    def value(self, x: float | None, unit: str, **kw: Any) -> str:
        """Format by unit name, as signals carry it."""
        fn = {"percent": self.pct, "pp": self.pp, "bp": self.bp, "usd_bn": self.usd_bn,
              "usd": self.usd, "thousands": self.thousands}.get(unit)
        if fn is not None:
            return fn(x, **kw)
        return self.num(x, kw.get("digits", 2 if unit in ("ratio", "index", "score") else 1))
