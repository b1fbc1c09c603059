"""What the PDF looks like to a reader: page size, bookmarks, contents page, fonts, size."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from reportgen import PROJECT_ROOT
from reportgen.pipeline import file_stem
from tests.conftest import ISSUE_DATE, LANGUAGES, need
from tests.test_end_to_end import headings

A4 = (595.28, 841.89)


def pdf(built, lang):
    return built.folder / f"{file_stem(ISSUE_DATE, lang)}.pdf"


def flat_outline(reader: PdfReader, items=None) -> list[tuple[str, int]]:
    out = []
    for item in reader.outline if items is None else items:
        if isinstance(item, list):
            out += flat_outline(reader, item)
        else:
            out.append((item.title, reader.get_destination_page_number(item) + 1))
    return out


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_page_size_count_and_size_budget(built, lang):
    path = pdf(built, lang)
    reader = PdfReader(path)
    assert 15 <= len(reader.pages) <= 40
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=0.5)
    assert path.stat().st_size < 3 * 1024 * 1024
    meta = reader.metadata
    assert meta.title and meta.author and meta.creation_date
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == lang
    assert catalog["/MarkInfo"]["/Marked"]  # tagged, for screen readers


@pytest.mark.parametrize("lang", LANGUAGES)
def test_bookmarks_follow_the_sections_and_match_the_contents_page(built, lang):
    reader = PdfReader(pdf(built, lang))
    outline = flat_outline(reader)
    wanted = [norm(h) for h in headings(lang)]
    found = [(norm(t), page) for t, page in outline if any(norm(t).endswith(w) for w in wanted)]
    titles = [t for t, _ in found]
    assert len(found) == len(wanted), f"bookmarks: {outline}"
    assert all(t.endswith(w) for t, w in zip(titles, wanted, strict=True)), titles
    pages = [p for _, p in found]
    assert pages == sorted(pages)

    toc = subprocess.run([need("pdftotext"), "-layout", "-f", "2", "-l", "2",
                          str(pdf(built, lang)), "-"], capture_output=True, text=True,
                         check=True).stdout
    assert numbers_in_contents(toc) == pages, \
        f"contents page says {numbers_in_contents(toc)}, sections start on {pages}"


def numbers_in_contents(text: str) -> list[int]:
    """The page numbers of a two-column contents page (pdftotext -layout), in reading
    order: each entry ends in a dotted leader and its number; the left column first."""
    found = [(m.end(), row, int(m.group(1))) for row, line in enumerate(text.splitlines())
             for m in re.finditer(r"(?:\. ){3,}\.?\s*(\d+)(?!\S)", line)]
    if not found:
        return []
    middle = (min(f[0] for f in found) + max(f[0] for f in found)) / 2
    return [n for _, _, n in sorted(found, key=lambda f: (f[0] > middle, f[1]))]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_fonts_are_embedded_and_subset(built, lang):
    fonts = subprocess.run([need("pdffonts"), str(pdf(built, lang))], capture_output=True,
                           text=True, check=True).stdout.splitlines()[2:]
    assert fonts
    for row in fonts:
        name, cols = row.split()[0], row.split()
        assert re.match(r"^[A-Z]{6}\+", name), f"not subset: {row}"
        assert cols[-5] == "yes", f"not embedded: {row}"


def _pages_of(el, reader: PdfReader) -> set[int]:
    """Pages a tagged structure element and its descendants have content on."""
    el = el.get_object()
    pages = set()
    if hasattr(el, "get"):
        if el.get("/Pg") is not None:
            pages.add(reader.get_page_number(el["/Pg"].get_object()) + 1)
        kids = el.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            pages |= _pages_of(kid, reader)
    return pages


def _elements(el, kinds: set[str]):
    el = el.get_object()
    if not hasattr(el, "get"):
        return
    if el.get("/S") in kinds:
        yield el
    kids = el.get("/K")
    for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
        yield from _elements(kid, kinds)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_chart_straddles_a_page(built, lang):
    """The tagged PDF says which pages each chart's parts (caption, picture, legend,
    source line) have content on: all on one page."""
    reader = PdfReader(pdf(built, lang))
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    figures = list(_elements(root, {"/Figure"}))
    assert len(figures) >= 15
    for fig in figures:
        assert fig.get("/Alt"), "a chart without alt text"
        whole = fig["/P"].get_object()  # <figure>: caption, picture, legend, source
        pages = _pages_of(whole, reader)
        assert len(pages) == 1, f"chart on pages {sorted(pages)}: {fig['/Alt'][:60]}"


MM_PER_INCH = 25.4
INK = 235  # grey level (0-255) darker than this is ink, not paper


def page_margins_mm() -> tuple[float, float, float, float]:
    """The @page margins of the PDF (top, right, bottom, left), as print.css sets them."""
    css = (PROJECT_ROOT / "templates" / "css" / "print.css").read_text()
    found = re.search(r"@page\s*{[^}]*?margin:\s*([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm\s+"
                      r"([\d.]+)mm", css)
    assert found, "print.css: no @page margin in mm"
    return tuple(float(g) for g in found.groups())


def used_fractions(path: Path, out: Path, dpi: int = 60) -> list[float]:
    """Each page's used share of its text area: from the top margin down to the last ink
    inside the margins (the running header and footer are outside), over the text area's
    height. The pages are rendered as PNGs with pdftoppm."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([need("pdftoppm"), "-r", str(dpi), "-gray", "-png", str(path),
                    str(out / "page")], check=True)
    top, right, bottom, left = (round(m / MM_PER_INCH * dpi) for m in page_margins_mm())
    fractions = []
    for png in sorted(out.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[1])):
        gray = np.asarray(Image.open(png).convert("L"))
        area = gray[top:gray.shape[0] - bottom, left:gray.shape[1] - right]
        rows = np.flatnonzero((area < INK).any(axis=1))
        fractions.append((rows[-1] + 1) / area.shape[0] if len(rows) else 0.0)
    return fractions


def section_start_pages(path: Path, lang: str) -> set[int]:
    """The pages on which the cover or a section heading stands (from the bookmarks)."""
    wanted = {norm(h) for h in headings(lang)}
    return {1} | {page for title, page in flat_outline(PdfReader(path))
                  if any(norm(title).endswith(w) for w in wanted)}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_page_is_less_than_a_third_used(built, lang, tmp_path):
    """A page less than a third used is allowed only where a section that began on an
    earlier page ends (the page holds no section heading and the next page starts one,
    or it is the last page). A short section shares a page instead of taking one."""
    path = pdf(built, lang)
    fractions = used_fractions(path, tmp_path)
    starts = section_start_pages(path, lang)
    last = len(fractions)
    empty = [f"page {page}: {share:.0%} used" for page, share in enumerate(fractions, 1)
             if share < 1 / 3 and (page in starts or (page + 1 not in starts and page != last))]
    assert not empty, f"{lang}: pages under a third used, not where a section ends: {empty}"


def test_the_cover_keeps_the_week_ahead_under_the_key_numbers(sample_issue, tmp_path):
    """The key numbers and the loops side by side take the height of the taller column:
    laid out as a flex row, WeasyPrint made that row much taller than its columns (a
    replay of 7 Aug 2024, with seven key numbers, left 50 mm blank and pushed the week
    ahead onto a page of its own). Read from the PDF's text positions (pdftotext -bbox)."""
    from reportgen.pdf import import_weasyprint

    lang = "zh-Hant"
    cover = sample_issue.render(["cover"], lang, "pdf")
    rows = "".join(  # the seven key numbers of that replay, as its cover showed them
        f'<div><dt>{t}</dt><dd class="val">{v}</dd><dd class="chg chg-{d}">{c}</dd></div>'
        for t, v, d, c in [("核心PCE年增率", "2.8%", "flat", "→ 持平"),
                           ("有效聯邦基金利率", "5.33%", "flat", "→ 持平"),
                           ("2年期殖利率減EFFR", "-134個基點", "down", "↓ −36個基點"),
                           ("失業率", "4.2%", "up", "↑ +0.1個百分點"),
                           ("高收益債利差", "367個基點", "up", "↑ +47個基點"),
                           ("準備金餘額", "3.29兆美元", "flat", "→ 持平"),
                           ("數據迷霧指數", "0", "flat", "→ 持平")])
    cover = re.sub(r'(<dl class="cover-numbers">).*?(</dl>)', rf"\g<1>{rows}\g<2>", cover,
                   count=1, flags=re.S)
    css = sample_issue.content.css["pdf"]
    html = f'<html lang="{lang}"><head><style>{css}</style></head><body>{cover}</body></html>'
    path = tmp_path / "cover.pdf"
    import_weasyprint().HTML(string=html, media_type="print").write_pdf(path)
    bbox = subprocess.run([need("pdftotext"), "-bbox", "-f", "1", "-l", "1", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    words = [(float(m.group(1)), float(m.group(2)), m.group(3)) for m in re.finditer(
        r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
        bbox)]
    week = sample_issue.content.locales[lang].gettext("Week ahead")
    heading = min(top for top, _, w in words if w == week)
    above = max(bottom for _, bottom, _ in words if bottom < heading)  # the last number
    assert heading - above < 40, f"{heading - above:.0f} pt blank above the week ahead"
