"""Charts: plan the chart definitions (sections' charts.toml) into drawing jobs.

Words live in the HTML caption and legend, not in the image, so a chart is drawn once and
shared by every language. Only charts that need words inside the picture (the radar's
spoke names) are drawn once per language.

The HTML edition also shows each chart in a *narrow* drawing on phones: about as wide as
it is shown there (3.6 in for 358 px at a 390 px screen), with larger type and fewer ticks
(charts/narrow.mplstyle), so its text stays at least 11 px; the PDF shows the wide one.
Every report SVG carries its own dark-mode colours (charts/palette.toml [dark]) as a
`prefers-color-scheme` style that browsers apply and WeasyPrint ignores.

Three parts: this module holds the specs, kinds, house style and the job records (light
enough for any process to import); `reportgen.charts.plan` turns the analysis into jobs in
the build's own process (pandas: cut, thin, tabulate); `reportgen.charts.draw` draws them
with matplotlib in warm worker processes. Jobs carry plain numpy arrays, and each has a
cache key made of exactly what its picture depends on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen import cache, fingerprint
from reportgen.content import ContentPaths, as_content, read_toml
from reportgen.errors import CatalogError

if TYPE_CHECKING:
    import numpy as np

WIDTH_IN, HEIGHT_IN = 6.9, 2.75
NARROW_WIDTH_IN, NARROW_HEIGHT_IN = 3.6, 2.6  # shown about 358 px wide on a 390 px phone
SVG_DPI = 100  # figure.dpi of the house style: one SVG "pixel" is 1/100 inch
PACK_SIZE_IN, PACK_DPI = (13.333, 7.5), 150  # 16:9, 2000 x 1125 px as PNG
RASTER_DPI = 200
NO_DATA = "_no_data"  # key of the translated "no data" among a job's labels


@dataclass(frozen=True)
class ChartSpec:
    id: str
    section: str
    kind: str
    title: str
    subtitle: str
    units: str
    series: tuple[dict[str, Any], ...]
    since: str = "-8y"
    right_units: str | None = None
    hlines: tuple[dict[str, Any], ...] = ()
    shade: tuple[str, ...] = ()
    recessions: bool = False
    optional: bool = False
    rebase: bool = False
    smooth: str | None = None
    table: str | None = None
    spokes: tuple[dict[str, Any], ...] = ()
    sources: str | None = None  # a table chart: the signal whose inputs its source line names

    @property
    def localized(self) -> bool:
        """True when the picture itself carries words (drawn once per language)."""
        return KINDS[self.kind].localized

    @property
    def drawing(self) -> tuple[Any, ...]:
        """What the picture depends on (its title and subtitle are HTML, not pixels)."""
        return (self.kind, self.units, self.series, self.since, self.right_units,
                self.hlines, self.shade, self.recessions, self.rebase, self.smooth,
                self.table, self.spokes)


@dataclass(frozen=True)
class ChartKind:
    """One kind of chart: its size (and its narrow drawing's), whether its picture carries
    words (then it is drawn once per language instead of once for all), and the CSS class
    of its picture. How it is drawn is `reportgen.charts.draw.DRAWERS[name]`."""

    name: str
    size: tuple[float, float] = (WIDTH_IN, HEIGHT_IN)
    narrow_size: tuple[float, float] = (NARROW_WIDTH_IN, NARROW_HEIGHT_IN)
    localized: bool = False
    img_class: str = ""


KINDS: dict[str, ChartKind] = {k.name: k for k in (
    ChartKind("line"),
    ChartKind("bar_table"),
    ChartKind("grouped_bar_table"),
    ChartKind("dumbbell_table"),
    ChartKind("radar_table", size=(WIDTH_IN, 3.6), narrow_size=(NARROW_WIDTH_IN, 3.5),
              localized=True, img_class="radar"),
    ChartKind("stance_history"),
    # rows of cells coloured by value (the outlook's phases): short, three rows tall
    ChartKind("heat_strip", size=(WIDTH_IN, 1.45)),
)}


@dataclass(frozen=True)
class Style:
    """House style: the matplotlib style file, the narrow drawings' style on top of it,
    and the palette."""

    mplstyle: Path
    palette: dict[str, Any]
    narrow: Path | None = None

    def color(self, i: int) -> str:
        colors = self.palette["series"]
        return colors[i % len(colors)]

    @cached_property
    def fingerprint(self) -> str:
        """What the pictures depend on: the style file's bytes and the palette."""
        return cache.key(self.mplstyle.read_bytes(), self.palette)

    @cached_property
    def narrow_fingerprint(self) -> str | None:
        """What narrow pictures depend on besides `fingerprint` (the wide ones do not)."""
        return cache.key(self.narrow.read_bytes()) if self.narrow else None

    def styles(self, narrow: bool) -> list[str]:
        """The style files a drawing applies, in order."""
        extra = [str(self.narrow)] if narrow and self.narrow else []
        return [str(self.mplstyle), *extra]


@dataclass
class ChartJob:
    """Everything one drawing needs, picklable and free of pandas, so it can run in a
    worker that has only matplotlib loaded."""

    spec: ChartSpec
    style: Style
    path: Path
    start: dt.datetime | None
    lang: str | None = None
    # For the meeting chart pack: words drawn into the picture (title, subtitle, footer,
    # series labels) and the file format. None for report charts, whose words are HTML.
    pack: dict[str, Any] | None = None
    # Also save a 200-dpi PNG beside the SVG (for a PDF laid out with raster charts).
    raster: bool = False
    # The HTML edition's phone drawing: the kind's narrow size, Style.narrow on top.
    narrow: bool = False
    # series id -> (dates as datetime64[ns], values as float64), cut and thinned
    series: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    table: Any = None
    spans: list[tuple[str, dt.date, dt.date | None]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    font_family: list[str] = field(default_factory=list)
    last_date: dt.date | None = None
    # an event line's short language-neutral label, by its date (ISO): drawn above it
    event_codes: dict[str, str] = field(default_factory=dict)

    @property
    def format(self) -> str:
        return self.pack["format"] if self.pack else "svg"

    @property
    def outputs(self) -> list[Path]:
        """The files drawing writes."""
        return [self.path] + ([self.path.with_suffix(".png")] if self.raster else [])

    @property
    def size(self) -> tuple[float, float]:
        kind = KINDS[self.spec.kind]
        return PACK_SIZE_IN if self.pack else kind.narrow_size if self.narrow else kind.size

    def key(self) -> str:
        """The cache key: the code, the fonts, the house style and everything drawn."""
        narrow = ("narrow", self.style.narrow_fingerprint) if self.narrow else ()
        return cache.key("chart", fingerprint.code(), fingerprint.version(),
                         fingerprint.fonts(), self.style.fingerprint, self.spec.drawing,
                         self.start, self.lang, self.pack, self.raster, self.series,
                         self.table, self.spans, self.labels, self.font_family,
                         self.event_codes, *narrow)

    def shown(self) -> frozenset[str]:
        """The kinds of shading and event lines that fall inside the window drawn (the
        legend keys only those: no recession key on a chart that starts after the last)."""
        first = self.start.date() if self.start is not None else None
        if first is None and isinstance(self.table, dict) and len(self.table.get("dates", ())):
            first = _date(self.table["dates"][0])
        last = self.last_date
        return frozenset(kind for kind, a, b in self.spans
                         if (first is None or (b or a) >= first)
                         and (last is None or a <= last))


@dataclass(frozen=True)
class DrawnChart:
    id: str
    lang: str | None
    path: Path
    last_date: dt.date | None
    narrow: Path | None = None  # the HTML edition's phone drawing, when there is one
    shown: frozenset[str] = frozenset()  # the shading and event kinds in its window


def _date(value: Any) -> dt.date:
    """A numpy datetime64 as a date."""
    return dt.date.fromisoformat(str(value)[:10])


def dark_colors(palette: dict[str, Any]) -> dict[str, str]:
    """Each colour drawn (lower-case #rrggbb, as matplotlib writes it) -> its dark variant."""
    dark = palette.get("dark", {})
    return {k.lower(): v.lower() for group in ("areas", "lines", "text")
            for k, v in dark.get(group, {}).items()}


def dark_css(palette: dict[str, Any]) -> str:
    """The SVG's own dark-mode style: matplotlib writes colours into `style` attributes,
    so each is matched there and replaced (!important wins over an inline style). Inside
    `@media`, which WeasyPrint's SVG renderer skips: the PDF keeps the light picture."""
    rules = "".join(f'[style*="{prop}: {light}"]{{{prop}:{dark}!important}}'
                    for light, dark in dark_colors(palette).items()
                    for prop in ("fill", "stroke"))
    return f"@media (prefers-color-scheme: dark){{{rules}}}" if rules else ""


def parse_specs(raw: dict[str, Any], path: Path, section: str) -> list[ChartSpec]:
    """The [[chart]] tables of one section's charts.toml, checked."""
    specs, seen = [], set()
    for i, c in enumerate(raw.get("chart", [])):
        where = f"{path}: chart #{i + 1} ({c.get('id', '?')})"
        for key in ("id", "kind", "title", "subtitle", "units", "series"):
            if key not in c:
                raise CatalogError(f"{where}: missing key {key!r}")
        if c["kind"] not in KINDS:
            raise CatalogError(f"{where}: kind {c['kind']!r}; use one of {', '.join(KINDS)}")
        if c["id"] in seen:
            raise CatalogError(f"{where}: duplicate chart id")
        seen.add(c["id"])
        try:
            specs.append(ChartSpec(**{"section": section, **{
                k: tuple(v) if isinstance(v, list) else v for k, v in c.items()}}))
        except TypeError as exc:
            raise CatalogError(f"{where}: {exc}") from None
    return specs


def load_style(source: ContentPaths | Path) -> Style:
    content = as_content(source, "charts")
    return Style(mplstyle=content.file("charts", "house.mplstyle"),
                 palette=read_toml(content.file("charts", "palette.toml")),
                 narrow=content.file("charts", "narrow.mplstyle"))


