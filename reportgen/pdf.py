"""PDF: lay out an edition's print HTML with WeasyPrint (in the PDF workers).

WeasyPrint runs with a URL fetcher that admits only `data:` URLs and files inside the
build folder: a template, chart or note pointing anywhere else fails the render with an
error naming the URL, instead of pulling /etc/passwd or the network in. This module
imports nothing heavy until a PDF is asked for, and the standard library only besides.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from reportgen.errors import RenderError

WAIT_S = 300.0  # longest a PDF waits for one of its charts (the pool is stopped on failure)


def import_weasyprint() -> Any:
    """WeasyPrint, imported without its library search running the C compiler.

    WeasyPrint tries several names for each native library; cffi hands every name that
    is not a file to ctypes' find_library, which on Linux runs ldconfig and gcc for each
    (about 200 processes, a third of a second). The names that are files load directly,
    so the search is skipped; if that is not enough here, the import is retried with it.
    """
    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    real = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with contextlib.redirect_stdout(None):  # its "could not import" notice
            import weasyprint
    except OSError:
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        ctypes.util.find_library = real
        import weasyprint
    finally:
        ctypes.util.find_library = real
    return weasyprint


def _fetcher_class() -> type:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class BuildFolderFetcher(URLFetcher):
        """Serve data: URLs and files under one folder; refuse everything else.

        Files named in `waits` (charts still being drawn by the other worker) are waited
        for, up to `timeout` seconds: they appear whole, renamed into place when drawn."""

        def __init__(self, root: Path, waits: Iterable[str] = (),
                     timeout: float = WAIT_S) -> None:
            super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
            self.root = root.resolve()
            self.waits = {(self.root / w).resolve() for w in waits}
            self.timeout = timeout

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme == "file":
                path = Path(unquote(parts.path)).resolve()
                if path.is_relative_to(self.root) and self._ready(path):
                    return super().fetch(url, headers)
            raise FatalURLFetchingError(
                f"refused to load {url}: documents may only use files in {self.root}")

        def _ready(self, path: Path) -> bool:
            deadline = time.monotonic() + (self.timeout if path in self.waits else 0.0)
            while not path.is_file():
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.01)
            return True

    return BuildFolderFetcher


@dataclass(frozen=True)
class PdfJob:
    html_path: Path
    pdf_path: Path
    root: Path
    waits: tuple[str, ...] = ()  # files (relative to root) another worker is still making


_FONTS: Any = None  # one fontconfig set-up per process (see warm_up)


def _fonts() -> Any:
    global _FONTS
    if _FONTS is None:
        from weasyprint.text.fonts import FontConfiguration

        _FONTS = FontConfiguration()
    return _FONTS


def warm_up() -> None:
    """Import WeasyPrint and load fontconfig and the fonts of each script (Latin and both
    Chinese forms) once, in the process the PDF workers are forked from. Layout only:
    writing a PDF would read whole font files to subset them, for nothing."""
    weasyprint = import_weasyprint()
    for lang, family in (("en", "Inter"), ("zh-Hant", "Noto Sans CJK TC"),
                         ("zh-Hans", "Noto Sans CJK SC")):
        weasyprint.HTML(string=f'<html lang="{lang}"><p style="font-family: \'{family}\'">'
                        "Aa 09 <b>通膨 通胀</b></p></html>").render(font_config=_fonts())


def write_pdf(job: PdfJob) -> Path:
    """Lay out one HTML file as a tagged PDF/UA-1 (fonts subset, metadata from the HTML).
    The same HTML and charts always give the same bytes (dates come from the HTML)."""
    weasyprint = import_weasyprint()
    from weasyprint.urls import FatalURLFetchingError, URLFetchingError

    fetcher = _fetcher_class()(job.root, job.waits)
    tmp = job.pdf_path.with_suffix(".pdf.tmp")
    try:
        # Title, author, language and dates come from the HTML's <title>, <meta> and lang.
        weasyprint.HTML(filename=str(job.html_path), url_fetcher=fetcher,
                        media_type="print").write_pdf(tmp, pdf_variant="pdf/ua-1",
                                                      font_config=_fonts())
        tmp.replace(job.pdf_path)
    except (URLFetchingError, FatalURLFetchingError) as exc:
        raise RenderError(f"{job.html_path.name}: {exc}") from None
    except Exception as exc:
        raise RenderError(f"{job.html_path.name}: PDF layout failed ({exc})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return job.pdf_path


def write_pdfs(jobs: list[PdfJob], workers: int) -> list[Path]:
    """Lay out several PDFs on warm workers (see reportgen.parallel)."""
    from reportgen import parallel

    parallel.start(["pdf"])
    return parallel.warm_map(parallel.call, [("reportgen.pdf:write_pdf", j) for j in jobs],
                             workers)
