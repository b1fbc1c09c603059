"""What the PDF looks like to a reader: page size, bookmarks, contents page, fonts, size."""

from __future__ import annotations

import re
import subprocess

import pytest
from pypdf import PdfReader

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
    # contents lines end in a dotted leader and the page number
    numbers = [int(m) for m in re.findall(r"\.\s*(\d+)\s*$", toc, flags=re.M)]
    assert numbers == pages, f"contents page says {numbers}, sections start on {pages}"


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
