"""Analyst commentary: Markdown per issue, section and language, sanitised, with fallback."""

from __future__ import annotations

import datetime as dt

import pytest

from reportgen.config import load_config, with_overrides
from reportgen.narrative.commentary import load_notes, render_markdown
from reportgen.pipeline import build, file_stem
from tests.conftest import SAMPLE_CONFIG

DAY = dt.date(2026, 11, 23)


def test_markdown_is_sanitised():
    html = render_markdown(
        "**Reserves** look [thin](https://example.org) "
        "<script>alert(1)</script><img src=x onerror=alert(2)>"
        "[bad](javascript:alert(3)) <span onclick='x()'>ok</span>")
    assert "<strong>Reserves</strong>" in html
    assert 'href="https://example.org"' in html
    for bad in ("<script", "alert(1)", "<img", "onerror", "javascript:", "onclick"):
        assert bad not in html


def test_missing_translation_falls_back_with_a_mark(tmp_path):
    folder = tmp_path / DAY.isoformat()
    folder.mkdir()
    (folder / "s4.en.md").write_text("Repo is *tight*.", encoding="utf-8")
    (folder / "s1.zh-Hant.md").write_text("通膨**仍高**。", encoding="utf-8")
    hans = load_notes(tmp_path, DAY, ["s1", "s4"], "zh-Hans", ("zh-Hant", "en"))
    assert hans["s1"].lang == "zh-Hant" and hans["s1"].fallback
    assert hans["s4"].lang == "en" and hans["s4"].fallback
    en = load_notes(tmp_path, DAY, ["s1", "s4"], "en")
    assert not en["s4"].fallback and "<em>tight</em>" in en["s4"].html


@pytest.mark.slow
def test_notes_appear_in_a_marked_box_of_the_edition(tmp_path):
    notes = tmp_path / "notes" / DAY.isoformat()
    notes.mkdir(parents=True)
    (notes / "s4.en.md").write_text("Reserves are **closer to scarce** than June suggests.\n"
                                    "<script>alert(1)</script>", encoding="utf-8")
    config = load_config(SAMPLE_CONFIG)
    config = with_overrides(config, output_dir=str(tmp_path / "out"),
                            languages=["en", "zh-Hant"], formats=["html"])
    from dataclasses import replace
    config = replace(config, paths=replace(config.paths, notes=str(tmp_path / "notes")))
    result = build(config, DAY)
    en = (result.folder / f"{file_stem(DAY, 'en')}.html").read_text("utf-8")
    assert '<aside class="commentary" lang="en">' in en
    assert "<strong>closer to scarce</strong>" in en and "alert(1)" not in en
    zh = (result.folder / f"{file_stem(DAY, 'zh-Hant')}.html").read_text("utf-8")
    assert "分析師評論" in zh and "尚無此語言版本，以English顯示" in zh
