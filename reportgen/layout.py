"""Layout: where an issue's files go and what they are called, in one place.

    output/2026-11-23/                       one issue
        reportgen-2026-11-23-<lang>.html     the web edition
        reportgen-2026-11-23-<lang>.pdf      the PDF edition
        charts/                              the pictures the editions share
        signals.json                         every signal; the next issue reads it
        sent.json                            who has had the e-mail (written by send)
        chart-pack-<lang>/                   slides, written by `reportgen charts`

    output/backtest/backtest.json            the backtest's weekly readings (`reportgen backtest`)

    output/meetings/2026-11-23-s4/           one meeting edition (`run --section 4`)
        reportgen-2026-11-23-s4-<lang>.html  the chosen sections alone, web edition
        reportgen-2026-11-23-s4-<lang>.pdf   and their PDF
        charts/                              the pictures those editions use
        chart-pack-<lang>/                   their charts as 16:9 slides, words inside

A meeting edition never goes into the dated issue folder: that holds the issue alone.

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
MEETINGS_DIR = "meetings"
BACKTEST_DIR = "backtest"  # output/backtest/: the weekly readings and what followed them
BACKTEST_TABLE = "backtest.json"
ISSUE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Editions:
    """The file names of an edition's languages, from its `name` (an issue's date, or a
    meeting's date and sections)."""

    name: str

    def stem(self, lang: str) -> str:
        """reportgen-2026-11-23-zh-Hant: file names say the date and the language."""
        return f"{PREFIX}-{self.name}-{lang}"

    def html_name(self, lang: str) -> str:
        return f"{self.stem(lang)}.html"

    def pdf_name(self, lang: str) -> str:
        return f"{self.stem(lang)}.pdf"

    def print_name(self, lang: str) -> str:
        """The HTML the PDF is laid out from (staging only, never published)."""
        return f".{self.stem(lang)}.print.html"

    def pack_name(self, lang: str) -> str:
        """The folder of the chart pack (16:9 slides) in one language."""
        return f"{PACK_PREFIX}{lang}"


@dataclass(frozen=True)
class Issue(Editions):
    """The files of one dated issue under an output folder."""

    output_dir: Path
    date: dt.date

    @property
    def name(self) -> str:
        return self.date.isoformat()

    @property
    def folder(self) -> Path:
        return self.output_dir / self.name

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
        return self.folder / self.pack_name(lang)

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


@dataclass(frozen=True)
class Meeting(Editions):
    """The files of a meeting edition: some sections alone, on demand, beside the issues
    (named like an issue's, with the section ids after the date)."""

    output_dir: Path
    date: dt.date
    sections: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.date.isoformat()}-{'-'.join(self.sections)}"

    @property
    def folder(self) -> Path:
        return self.output_dir / MEETINGS_DIR / self.name
