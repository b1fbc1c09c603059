"""A full run on the bundled sample, checked the way a reader would: the PDF's text,
its fonts, the HTML's structure and images."""

from __future__ import annotations

import functools
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reportgen import PROJECT_ROOT
from reportgen.content import builtin
from reportgen.i18n import load_translations
from reportgen.pipeline import file_stem
from reportgen.sections import load_registry
from tests.conftest import ISSUE_DATE, LANGUAGES, SAMPLE_CONFIG, need

SECTIONS = [s for s in load_registry(builtin()) if s.toc]


# The tests that read a PDF's text run on one worker and share one pdftotext -layout per
# PDF: for the Chinese editions it costs seconds.
READS_PDF_TEXT = pytest.mark.xdist_group("pdf_text")


@functools.cache
def pdf_text(path: Path) -> str:
    out = subprocess.run([need("pdftotext"), "-layout", str(path), "-"], capture_output=True,
                         text=True, check=True)
    return re.sub(r"[ \t]+", " ", out.stdout)


def headings(lang: str) -> list[str]:
    t = load_translations(PROJECT_ROOT / "locales", lang)
    return [t.gettext(s.title) for s in SECTIONS]


class Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.srcs: list[str] = []
        self.links: list[str] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.srcs.append(a.get("src", ""))
            assert a.get("alt"), f"image {a.get('src')} has no alt text"
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "html":
            self.html_lang = a.get("lang")


def test_every_language_and_format_is_written(built):
    names = {p.name for p in built.folder.iterdir()}
    for lang in LANGUAGES:
        assert f"{file_stem(ISSUE_DATE, lang)}.pdf" in names
        assert f"{file_stem(ISSUE_DATE, lang)}.html" in names
    assert "signals.json" in names
    assert not [n for n in names if n.startswith(".")], "staging or print files leaked"


@READS_PDF_TEXT
@pytest.mark.parametrize("lang", LANGUAGES)
def test_pdf_text_has_every_heading_in_its_language(built, lang):
    text = pdf_text(built.folder / f"{file_stem(ISSUE_DATE, lang)}.pdf")
    compact = re.sub(r"\s+", "", text)
    for heading in headings(lang):
        assert re.sub(r"\s+", "", heading) in compact, f"{lang}: heading {heading!r} missing"
    if lang != "en":
        for english in headings("en"):
            flat = re.sub(r"\s+", "", english)
            assert flat not in compact, f"{lang}: untranslated heading {english!r}"


@READS_PDF_TEXT
@pytest.mark.parametrize("lang", LANGUAGES)
def test_cover_and_every_page_say_sample(built, lang):
    path = built.folder / f"{file_stem(ISSUE_DATE, lang)}.pdf"
    t = load_translations(PROJECT_ROOT / "locales", lang)
    pages = pdf_text(path).split("\f")
    banner = re.sub(r"\s+", "", t.gettext("SAMPLE DATA: not real observations"))
    cover = re.sub(r"\s+", "", pages[0])
    assert re.sub(r"\s+", "", t.gettext("SAMPLE DATA. This issue was built from the synthetic "
                  "sample bundled with reportgen, not from real observations. Do not use it "
                  "for decisions."))[:20] in cover
    for i, page in enumerate(pages[1:], start=2):
        if page.strip():
            assert banner in re.sub(r"\s+", "", page), f"{lang}: page {i} lacks the sample flag"


@pytest.mark.parametrize("lang", ["zh-Hant", "zh-Hans"])
def test_chinese_pdf_embeds_the_right_cjk_font(built, lang):
    path = built.folder / f"{file_stem(ISSUE_DATE, lang)}.pdf"
    fonts = subprocess.run([need("pdffonts"), str(path)], capture_output=True, text=True,
                           check=True).stdout
    face = "notosanscjktc" if lang == "zh-Hant" else "notosanscjksc"
    flat = fonts.replace(" ", "").replace("-", "").lower()
    assert face in flat, fonts
    assert "notosanscjkjp" not in flat, "Japanese glyph forms used"
    rows = [r for r in fonts.splitlines()[2:] if r.strip()]
    assert all(" yes " in r for r in rows), f"a font is not embedded:\n{fonts}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_html_parses_and_every_image_exists(built, lang):
    path = built.folder / f"{file_stem(ISSUE_DATE, lang)}.html"
    parser = Images()
    parser.feed(path.read_text(encoding="utf-8"))
    assert parser.html_lang == lang
    assert len(parser.srcs) >= 10
    for src in parser.srcs:
        assert (built.folder / src).is_file(), f"{lang}: missing image {src}"
    for href in parser.links:
        if href.endswith((".html", ".pdf")) and "://" not in href:
            assert (built.folder / href).is_file(), f"{lang}: broken link {href}"


def test_language_neutral_charts_are_drawn_once(built):
    charts = sorted(p.name for p in (built.folder / "charts").iterdir())
    localized = [c for c in charts if re.search(r"\.(zh-Hant|zh-Hans|en)\.svg$", c)]
    assert localized, "the radar carries words and is drawn per language"
    assert len(charts) - len(localized) >= 15


def test_signals_json_has_stable_ids_with_dates_and_inputs(built):
    payload = json.loads((built.folder / "signals.json").read_text(encoding="utf-8"))
    assert payload["sample"] is True
    sigs = payload["signals"]
    for sid in ("sofr_minus_iorb_bp", "repo_share_at_or_above_iorb", "core_pce_yoy_pct",
                "data_fog_index", "macro_stance"):
        assert sid in sigs
        assert sigs[sid]["inputs"] and sigs[sid]["date"]
    assert all(re.fullmatch(r"[a-z0-9_]+", k) for k in sigs)


@READS_PDF_TEXT
def test_numbers_in_text_are_locale_formatted(built):
    en = pdf_text(built.folder / f"{file_stem(ISSUE_DATE, 'en')}.pdf")
    hant = pdf_text(built.folder / f"{file_stem(ISSUE_DATE, 'zh-Hant')}.pdf")
    hans = pdf_text(built.folder / f"{file_stem(ISSUE_DATE, 'zh-Hans')}.pdf")
    assert "23 Nov 2026" in en and re.search(r"\$\d+\.\d\d tn", en)
    assert "2026年11月23日" in hant and re.search(r"\d兆美元", hant.replace(" ", ""))
    assert re.search(r"\d万亿美元", hans.replace(" ", ""))
    assert "個基點" in hant.replace(" ", "") and "个基点" in hans.replace(" ", "")


def test_a_number_and_its_unit_stay_on_one_line(built):
    """The formatter joins "38 bp", "$3.02 tn" with a no-break space. pdftotext gives it
    back as a plain space (checked), so the PDF is checked by its lines: none ends with a
    number whose unit opens the next line."""
    html = (built.folder / f"{file_stem(ISSUE_DATE, 'en')}.html").read_text("utf-8")
    assert re.search(r"\d\u00a0bp\b", html) and re.search(r"\$\d+\.\d\d\u00a0tn\b", html)
    numbers = re.search(r'<dl class="cover-numbers">(.*?)</dl>', html, re.S).group(1)
    values = re.findall(r'<dd class="val">(.*?)</dd>', numbers)
    assert any(v.endswith(("bp", "tn")) for v in values)
    assert not [v for v in values if re.search(r"\d (bp|pp|tn|bn)\b", v)]
    for lang in LANGUAGES:
        out = subprocess.run([need("pdftotext"), str(
            built.folder / f"{file_stem(ISSUE_DATE, lang)}.pdf"), "-"], capture_output=True,
            text=True, check=True).stdout
        assert not re.search(r"[\d.,]+\s*\n\s*(bp|pp|tn|bn|個基點|个基点|個百分點|个百分点)\b",
                             out), lang


def test_next_issue_compares_with_the_saved_signals_of_this_one(built):
    """A week later, "what changed" reads the previous issue's signals.json."""
    from reportgen.config import load_config, with_overrides
    from reportgen.pipeline import build

    config = with_overrides(load_config(SAMPLE_CONFIG),
                            output_dir=str(built.folder.parent), languages=["en"],
                            formats=["html"])
    later = build(config, ISSUE_DATE.replace(day=30))
    html = (later.folder / f"{file_stem(later.issue_date, 'en')}.html").read_text("utf-8")
    assert "Compared with the issue of 23 Nov 2026" in html
    assert not (later.folder / f"{file_stem(later.issue_date, 'en')}.pdf").exists()


def test_chart_captions_never_date_past_the_data(built):
    import datetime as dt

    html = (built.folder / f"{file_stem(ISSUE_DATE, 'en')}.html").read_text("utf-8")
    dates = [dt.datetime.strptime(d, "%d %b %Y").date()
             for d in re.findall(r"Last observation: (\d{1,2} \w{3} \d{4})", html)]
    assert len(dates) >= 15
    assert max(dates) <= ISSUE_DATE, "a chart's last point lies after the issue date"


@pytest.mark.slow
def test_a_missing_user_table_leaves_its_chart_out_cleanly(tmp_path):
    """Before the constituents file's date there is no table: section 6 goes on without it."""
    from reportgen.config import load_config, with_overrides
    from reportgen.pipeline import build

    config = with_overrides(load_config(SAMPLE_CONFIG),
                            output_dir=str(tmp_path), languages=["en"], formats=["html"])
    result = build(config, ISSUE_DATE.replace(month=8, day=24))
    html = (result.folder / f"{file_stem(result.issue_date, 'en')}.html").read_text("utf-8")
    assert "fig-s6_top10" not in html and "fig-s6_indices" in html
