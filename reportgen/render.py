"""Render: fill the Jinja templates (shared by PDF and HTML) and lay out the PDF.

The PDF is laid out by WeasyPrint with a URL fetcher that admits only `data:` URLs and
files inside the build folder: a template, chart or note pointing anywhere else fails the
render with an error naming the URL, instead of pulling /etc/passwd or the network in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from babel.support import NullTranslations
from jinja2.ext import GETTEXT_FUNCTIONS, babel_extract
from markupsafe import Markup

from reportgen.content import ContentPaths, as_content
from reportgen.errors import RenderError
from reportgen.i18n import MISSING_MARK
from reportgen.parallel import fork_map

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


def environment(templates: ContentPaths | Path, translations: NullTranslations,
                separator: str = " ", sections: Iterable[Any] = (),
                autoescape: bool = True) -> jinja2.Environment:
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
            missing = [m for m in messages if locale.translations.gettext(m) == m]
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


def _fetcher_class() -> type:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class BuildFolderFetcher(URLFetcher):
        """Serve data: URLs and files under one folder; refuse everything else."""

        def __init__(self, root: Path) -> None:
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
            self.root = root.resolve()

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                if path.is_relative_to(self.root) and path.is_file():
                    return super().fetch(url, headers)
            raise FatalURLFetchingError(
                f"refused to load {url}: documents may only use files in {self.root}")

    return BuildFolderFetcher


@dataclass(frozen=True)
class PdfJob:
    html_path: Path
    pdf_path: Path
    root: Path


def write_pdf(job: PdfJob) -> Path:
    """Lay out one HTML file as a tagged PDF/UA-1 (fonts subset, metadata from the HTML)."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError, URLFetchingError

    fetcher = _fetcher_class()(job.root)
    tmp = job.pdf_path.with_suffix(".pdf.tmp")
    try:
        # Title, author, language and dates come from the HTML's <title>, <meta> and lang.
        weasyprint.HTML(filename=str(job.html_path), url_fetcher=fetcher,
                        media_type="print").write_pdf(tmp, pdf_variant="pdf/ua-1")
        tmp.replace(job.pdf_path)
    except (URLFetchingError, FatalURLFetchingError) as exc:
        raise RenderError(f"{job.html_path.name}: {exc}") from None
    except Exception as exc:
        raise RenderError(f"{job.html_path.name}: PDF layout failed ({exc})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return job.pdf_path


def write_pdfs(jobs: list[PdfJob], workers: int) -> list[Path]:
    """PDF layout is the slowest stage: use a fork pool with WeasyPrint already imported."""
    import weasyprint  # noqa: F401  (imported before the fork so workers start warm)

    return fork_map(write_pdf, jobs, workers)
