"""Analyst commentary: Markdown per issue, section and language, sanitised, with fallback."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading

import pytest

from reportgen.config import load_config, with_overrides
from reportgen.narrative import commentary
from reportgen.narrative.commentary import load_notes, render_markdown
from reportgen.pipeline import build, file_stem
from tests.conftest import SAMPLE_CONFIG

# where a missing note is borrowed from (locales/languages.toml)
FALLBACKS = {"en": ("zh-Hant", "zh-Hans"), "zh-Hant": ("zh-Hans", "en"),
             "zh-Hans": ("zh-Hant", "en")}

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
    (notes / "s1.en.md").symlink_to("/etc/passwd")  # must not reach any edition
    (notes / "s2.en.md").write_text("HUGE " * 60_000, encoding="utf-8")  # 293 KB
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
    for page in (en, zh):
        assert "root:" not in page and "HUGE" not in page


def refused(caplog):
    return [r.getMessage() for r in caplog.records if r.name == commentary.__name__]


def test_an_oversized_note_is_left_out_of_every_language_with_one_warning(tmp_path, caplog):
    commentary._left_out.cache_clear()
    folder = tmp_path / DAY.isoformat()
    folder.mkdir()
    (folder / "s4.en.md").write_text("x" * (256 * 1024 + 1), encoding="utf-8")
    (folder / "s4.zh-Hant.md").write_text("準備金**偏緊**。", encoding="utf-8")
    (folder / "s1.en.md").write_text("y" * (256 * 1024), encoding="utf-8")  # at the cap
    with caplog.at_level(logging.WARNING):
        got = {lang: load_notes(tmp_path, DAY, ["s1", "s4"], lang, FALLBACKS[lang])
               for lang in ("en", "zh-Hant", "zh-Hans")}
    assert got["en"]["s4"].lang == "zh-Hant"  # as if the English note were not there
    assert got["zh-Hans"]["s4"].lang == "zh-Hant"
    assert all(len(notes["s1"].html) > 256 * 1024 for notes in got.values())
    assert refused(caplog) == [f"{folder / 's4.en.md'}: analyst note is 257 KB, over the "
                               "256 KB limit (report.max_note_kb); left out"]
    small = load_notes(tmp_path, DAY, ["s1"], "en", max_bytes=1024)
    assert small == {}


def test_a_note_must_be_a_regular_file_inside_the_notes_folder(tmp_path, caplog):
    commentary._left_out.cache_clear()
    notes = tmp_path / "notes"
    folder = notes / DAY.isoformat()
    folder.mkdir(parents=True)
    (tmp_path / "secret.md").write_text("the secret", encoding="utf-8")
    (folder / "s1.en.md").symlink_to("/etc/passwd")
    (folder / "s2.en.md").symlink_to(tmp_path / "secret.md")
    (folder / "s3.en.md").symlink_to("missing.md")
    os.mkfifo(folder / "s5.en.md")  # reading it would wait for a writer for ever
    (folder / "s4.zh-Hant.md").write_text("**內部**連結可用。", encoding="utf-8")
    (folder / "s4.en.md").symlink_to("s4.zh-Hant.md")  # a link inside the folder is fine
    result: dict = {}
    with caplog.at_level(logging.WARNING):
        reader = threading.Thread(target=lambda: result.update(
            load_notes(notes, DAY, ["s1", "s2", "s3", "s4", "s5"], "en")), daemon=True)
        reader.start()
        reader.join(timeout=20)
    assert not reader.is_alive(), "reading a FIFO note hung"
    assert list(result) == ["s4"] and "<strong>內部</strong>" in result["s4"].html
    messages = refused(caplog)
    assert len(messages) == 4
    assert "s1.en.md: analyst note links to /etc/passwd, outside the notes folder" in messages[0]
    assert "secret.md, outside the notes folder" in messages[1]
    assert messages[2].endswith("s3.en.md: analyst note is a broken link; left out")
    assert messages[3].endswith("s5.en.md: analyst note is not a regular file; left out")
