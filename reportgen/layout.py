"""Layout: where an issue's files go and what they are called, in one place.

    output/2026-11-23/                       one issue
        reportgen-2026-11-23-<lang>.html     the web edition
        reportgen-2026-11-23-<lang>.pdf      the PDF edition
        charts/                              the pictures the editions share
        signals.json                         every signal; the next issue reads it
        sent.json                            who has had the e-mail (written by send)
        chart-pack-<lang>/                   slides, written by `reportgen charts`

Pipeline, publish, the site and e-mail all ask this module, so renaming a file is a
one-line change.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

PREFIX = "reportgen"
SIGNALS_FILE = "signals.json"
LEDGER_FILE = "sent.json"
CHARTS_DIR = "charts"
PACK_PREFIX = "chart-pack-"
ISSUE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Issue:
    """The files of one dated issue under an output folder."""

    output_dir: Path
    date: dt.date

    @property
    def folder(self) -> Path:
        return self.output_dir / self.date.isoformat()

    def stem(self, lang: str) -> str:
        """reportgen-2026-11-23-zh-Hant: file names say the date and the language."""
        return f"{PREFIX}-{self.date.isoformat()}-{lang}"

    def html_name(self, lang: str) -> str:
        return f"{self.stem(lang)}.html"

    def pdf_name(self, lang: str) -> str:
        return f"{self.stem(lang)}.pdf"

    def print_name(self, lang: str) -> str:
        """The HTML the PDF is laid out from (staging only, never published)."""
        return f".{self.stem(lang)}.print.html"

    def html(self, lang: str) -> Path:
        return self.folder / self.html_name(lang)

    def pdf(self, lang: str) -> Path:
        return self.folder / self.pdf_name(lang)

    @property
    def signals(self) -> Path:
        return self.folder / SIGNALS_FILE

    @property
    def ledger(self) -> Path:
        return self.folder / LEDGER_FILE

    @property
    def charts(self) -> Path:
        return self.folder / CHARTS_DIR

    def pack(self, lang: str) -> Path:
        return self.folder / f"{PACK_PREFIX}{lang}"

    def languages(self) -> list[str]:
        """Languages whose web edition this issue holds, from the file names."""
        pattern = re.compile(rf"^{re.escape(PREFIX)}-{self.date.isoformat()}-(.+)\.html$")
        found = (pattern.match(p.name) for p in self.folder.glob("*.html"))
        return sorted(m.group(1) for m in found if m)


def issues(output_dir: Path) -> list[Issue]:
    """Every dated issue folder holding a signals.json, newest first."""
    if not output_dir.is_dir():
        return []
    found = [Issue(output_dir, dt.date.fromisoformat(p.name)) for p in output_dir.iterdir()
             if p.is_dir() and ISSUE_DIR.match(p.name) and (p / SIGNALS_FILE).is_file()]
    return sorted(found, key=lambda i: i.date, reverse=True)
