"""Render: fill the Jinja templates (shared by PDF and HTML); `reportgen.pdf` lays out
the PDF from the result."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from html import escape, unescape
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from babel.support import NullTranslations
from jinja2.ext import GETTEXT_FUNCTIONS, babel_extract
from markupsafe import Markup

from reportgen.content import ContentPaths, as_content
from reportgen.errors import RenderError
from reportgen.i18n import MISSING_MARK, units_together
from reportgen.pdf import PdfJob, write_pdf, write_pdfs  # noqa: F401 (the PDF half, kept here)

log = logging.getLogger(__name__)


class SectionLoader(jinja2.BaseLoader):
    """`sections/<id>/<file>`: a section's own files, its override folder first."""

    def __init__(self, sections: Iterable[Any]) -> None:
        self.sections = {s.id: s for s in sections}

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        section_id, _, name = template.partition("/")
        section = self.sections.get(section_id)
        path = section.file(name) if section is not None else None
        if path is None:
            raise jinja2.TemplateNotFound(f"sections/{template}")
        mtime = path.stat().st_mtime
        return path.read_text(encoding="utf-8"), str(path), lambda: (
            path.stat().st_mtime == mtime)

    def list_templates(self) -> list[str]:
        return [f"{sid}/{p.name}" for sid, s in self.sections.items() for f in s.folders
                for p in f.glob("*.j2")]


class SharedBytecode(jinja2.BytecodeCache):
    """Compiled templates shared by environments with the same settings (one per
    language), so each template is compiled once per build, not once per language; kept in
    the build cache too (`store`), so an unchanged template is not compiled again. Jinja
    checks each entry against the template's source before using it."""

    def __init__(self, store: Any = None) -> None:
        self.memory: dict[str, bytes] = {}
        self.store = store

    def _key(self, bucket: jinja2.bccache.Bucket) -> str:
        from reportgen import cache

        return cache.key("jinja", jinja2.__version__, bucket.key)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.memory.get(bucket.key)
        if data is None and self.store is not None:
            entry = self.store.get("jinja", self._key(bucket))
            if entry is not None:
                data = entry.files["code"].read_bytes()
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = bucket.bytecode_to_string()
        self.memory[bucket.key] = data
        if self.store is not None:
            self.store.put("jinja", self._key(bucket), data={"code": data})


def environment(templates: ContentPaths | Path, translations: NullTranslations,
                separator: str = " ", sections: Iterable[Any] = (),
                autoescape: bool = True, bytecode: SharedBytecode | None = None
                ) -> jinja2.Environment:
    """A strict Jinja environment with gettext installed for one language (HTML-escaping
    unless it renders plain text, such as an e-mail's text part). Workspace templates
    shadow built-in ones of the same name; `sections/<id>/…` names a section's files.
    `separator` joins a paragraph's sentences (a space in English, none in Chinese)."""
    dirs = as_content(templates, "templates").dirs("templates")
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader([str(d) for d in dirs]),
            jinja2.PrefixLoader({"sections": SectionLoader(sections)})]),
        extensions=["jinja2.ext.i18n"],
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        lstrip_blocks=True,
        bytecode_cache=bytecode,
    )
    env.install_gettext_translations(translations, newstyle=True)
    env.filters["para"] = paragraph_filter(separator)
    env.filters["sentences"] = paragraph_filter(separator, wrap=False)
    return env


def section_messages(section: Any) -> list[str]:
    """The English strings of a section: its title and question, its charts' words, and
    every gettext call in its template."""
    found = [section.title, *([section.question] if section.question else [])]
    for spec in section.charts:
        found += [spec.title, spec.subtitle, *(s["label"] for s in spec.series),
                  *(s["label"] for s in spec.spokes)]
    path = section.file("template.html.j2")
    if path is not None:
        with path.open("rb") as fh:
            for _, _, message, _ in babel_extract(fh, GETTEXT_FUNCTIONS, [], {}):
                found += [m for m in (message if isinstance(message, tuple) else (message,))
                          if m]
    return list(dict.fromkeys(found))


def report_untranslated(registry: Any, locales: dict[str, Any]) -> None:
    """Say once, per section and language, which of its strings show in English."""
    for section in registry:
        if section.origin == "built-in":
            continue  # the built-ins are checked by the test suite instead
        messages = section_messages(section)
        for code, locale in locales.items():
            if code == "en":
                continue
            missing = [m for m in messages  # untranslated: the English, units held
                       if locale.translations.gettext(m) == units_together(m)]
            if missing:
                log.warning("sections/%s: %d string(s) have no %s translation and are shown "
                            "in English, e.g. %r", section.id, len(missing), code, missing[0])


def paragraph_filter(separator: str, wrap: bool = True) -> Any:
    """Join the sentences of a {% filter para %} block (one per line) into one <p> (or,
    with `wrap` off, the `sentences` filter, into running text inside another element).

    English sentences need a space between them; Chinese ones must not have one. A
    sentence stating a value the data lack (a series never fetched) is left out.
    """

    def para(text: str) -> Markup:
        sentences = [line.strip() for line in str(text).splitlines()
                     if line.strip() and MISSING_MARK not in line]
        if not sentences:
            return Markup("")
        joined = separator.join(sentences)
        return Markup(f"<p>{joined}</p>" if wrap else joined)

    return para


def render_check(env: jinja2.Environment, template: str) -> None:
    """Compile a template without rendering it, so syntax errors surface before data work."""
    _guard(lambda: env.get_template(template), template, env)


def _guard(fn: Any, template: str, env: jinja2.Environment) -> Any:
    try:
        return fn()
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name}:{exc.lineno}"
        raise RenderError(f"{where}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"template not found: {exc.name} (in {env.loader.searchpath})"
                          ) from None
    except jinja2.UndefinedError as exc:
        raise RenderError(f"template {template}: {exc.message}") from None


def render_html(env: jinja2.Environment, template: str, context: dict[str, Any]) -> str:
    """Render one document; template problems become one-line errors with file and line."""
    html = _guard(lambda: env.get_template(template).render(**context), template, env)
    return html.replace(MISSING_MARK, "")


_TABLE_OR_HEADING = re.compile(r"<h[2-4]\b[^>]*>(.*?)</h[2-4]>|<table\b.*?</table>", re.S)
_CAPTION = re.compile(r"<caption\b[^>]*>(.*?)</caption>", re.S)
_TAG = re.compile(r"<[^>]+>")


def scrollable_tables(html: str) -> str:
    """Each table of a web page inside a region that scrolls sideways on a narrow screen.

    The table keeps its table semantics (a table made `display: block` to scroll loses
    them for screen readers); the region takes keyboard focus, so it can be scrolled
    without a mouse, and is named after the table's caption or the heading above it."""
    out, pos, heading = [], 0, ""
    for m in _TABLE_OR_HEADING.finditer(html):
        if m.group(1) is not None:
            heading = m.group(1)
            continue
        caption = _CAPTION.search(m.group(0))
        name = " ".join(_TAG.sub(" ", caption.group(1) if caption else heading).split())
        out += [html[pos:m.start()],
                f'<div class="table-scroll" role="region" tabindex="0" '
                f'aria-label="{escape(unescape(name), quote=True)}">', m.group(0), "</div>"]
        pos = m.end()
    out.append(html[pos:])
    return "".join(out)

