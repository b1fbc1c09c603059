"""Analyst commentary: optional Markdown notes per issue date, section and language.

`notes/2026-11-23/s4.zh-Hant.md` is shown in the Traditional Chinese edition beside
section 4's generated text. Notes are rendered with Markdown and sanitised with nh3 (no
scripts, styles, images or event handlers survive; links keep only http, https and
mailto), because a note is user input that ends up in the HTML, the PDF and e-mails. A note
missing in the reader's language falls back to another language with a visible remark.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import markdown
import nh3

from reportgen.errors import RenderError

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "a",
                "code", "pre", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
                "hr", "sup", "sub"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class Note:
    html: str
    lang: str          # language the note is written in
    fallback: bool     # True when borrowed from another language


def render_markdown(text: str) -> str:
    """Markdown to HTML, then sanitised to a small, inert subset."""
    html = markdown.markdown(text, extensions=["extra", "sane_lists"])
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=URL_SCHEMES, clean_content_tags={"script", "style"})


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RenderError(f"{path}: analyst note is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise RenderError(f"{path}: cannot read analyst note ({exc.strerror})") from None


def load_notes(notes_dir: Path, issue_date: dt.date, section_ids: list[str], lang: str,
               fallbacks: tuple[str, ...] = ()) -> dict[str, Note]:
    """The notes for one language, by section id; a missing one is borrowed from the
    `fallbacks` languages in order (locales/languages.toml), marked as such."""
    folder = notes_dir / issue_date.isoformat()
    if not folder.is_dir():
        return {}
    notes = {}
    for sid in section_ids:
        for candidate in (lang, *fallbacks):
            path = folder / f"{sid}.{candidate}.md"
            if path.is_file():
                html = render_markdown(_read(path))
                if html.strip():
                    notes[sid] = Note(html, candidate, candidate != lang)
                break
    return notes
