"""Analyst commentary: optional Markdown notes per issue date, section and language.

`notes/2026-11-23/s4.zh-Hant.md` is shown in the Traditional Chinese edition beside
section 4's generated text. Notes are rendered with Markdown and sanitised with nh3 (no
scripts, styles, images or event handlers survive; links keep only http, https and
mailto), because a note is user input that ends up in the HTML, the PDF and e-mails. A note
missing in the reader's language falls back to another language with a visible remark.

A note must be a regular file that is, links resolved, inside the notes folder (a link to
/etc/passwd, a FIFO or a device is left out), and no larger than report.max_note_kb. A
refused note is left out of every language with one warning, as if it were not there.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import markdown
import nh3

from reportgen.errors import RenderError

log = logging.getLogger(__name__)
MAX_NOTE_BYTES = 256 * 1024

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


@functools.lru_cache(maxsize=1024)
def _left_out(message: str) -> None:
    """Warn once per process: the same note is looked at once per language."""
    log.warning("%s; left out", message)


def _read(path: Path, root: Path, max_bytes: int) -> str | None:
    """The note's text, or None (with a warning) when it may not be used."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        _left_out(f"{path}: analyst note is a broken link")
        return None
    if not real.is_relative_to(root):
        _left_out(f"{path}: analyst note links to {real}, outside the notes folder {root}")
        return None
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise RenderError(f"{path}: cannot read analyst note ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            _left_out(f"{path}: analyst note is not a regular file")
            return None
        data = fh.read(max_bytes + 1) if info.st_size <= max_bytes else b""
    if info.st_size > max_bytes or len(data) > max_bytes:
        size_kb = -(-max(info.st_size, len(data)) // 1024)
        _left_out(f"{path}: analyst note is {size_kb} KB, over the {max_bytes // 1024} KB "
                  "limit (report.max_note_kb)")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise RenderError(f"{path}: analyst note is not UTF-8 text; save it as UTF-8") from None


def load_notes(notes_dir: Path, issue_date: dt.date, section_ids: list[str], lang: str,
               fallbacks: tuple[str, ...] = (), max_bytes: int = MAX_NOTE_BYTES
               ) -> dict[str, Note]:
    """The notes for one language, by section id; a missing one is borrowed from the
    `fallbacks` languages in order (locales/languages.toml), marked as such."""
    folder = notes_dir / issue_date.isoformat()
    if not folder.is_dir():
        return {}
    root = notes_dir.resolve()
    notes = {}
    for sid in section_ids:
        for candidate in (lang, *fallbacks):
            path = folder / f"{sid}.{candidate}.md"
            if not (path.exists() or path.is_symlink()):
                continue
            text = _read(path, root, max_bytes)
            if text is None:
                continue  # refused: as if absent, so it is borrowed by no language either
            html = render_markdown(text)
            if html.strip():
                notes[sid] = Note(html, candidate, candidate != lang)
            break
    return notes
