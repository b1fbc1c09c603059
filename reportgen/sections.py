"""Sections: the report's units, each behind one seam, built-in or added.

A section is a folder holding its content and naming its code:

    sections/<id>/section.toml     title, question, place (order / after), its signals'
                                   metadata (title, digits, flat band, cover), the catalog
                                   series it reads, and its compute and views steps
    sections/<id>/template.html.j2 its words; it sees `section`, `result`, `view` and `data`
    sections/<id>/charts.toml      optional chart definitions (same format as any chart)
    sections/<id>/compute.py       optional: `compute(snapshot)` returning a dict (`data`)
    sections/<id>/locales/<lang>.po  optional message catalogs for the section's strings

The built-in sections ship in the package's content and register exactly like a workspace
section (`sections/<id>/` in the workspace) or a package's (entry-point group
`reportgen.sections`, each entry a callable returning the section's folder). Built-in
sections name their steps in the pipeline's stage modules (`reportgen.signals.*` for
compute, `reportgen.narrative.*` for views), so the analysis stays importable and tested.
A workspace file at the same relative path as a built-in section's file overrides it.

Everything is checked when the registry loads, before any data work: a broken section
fails with one line naming its file.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from reportgen.catalog import read_toml
from reportgen.charts import ChartSpec, parse_specs
from reportgen.content import ContentPaths
from reportgen.errors import CatalogError
from reportgen.signals.base import SignalMeta

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "reportgen.sections"
SECTION_FILE = "section.toml"
TEMPLATE_FILE = "template.html.j2"
CHARTS_FILE = "charts.toml"
COMPUTE_FILE = "compute.py"
KEYS = frozenset({"title", "question", "order", "after", "numbered", "toc", "series",
                  "compute", "views", "signals", "heading"})
SIGNAL_KEYS = frozenset({"title", "digits", "rate", "flat_band", "cover", "flips", "period"})
PERIODS = ("month", "quarter")


@dataclass(frozen=True)
class Section:
    """One unit of the report. `compute` makes its language-free result from the data;
    `views` makes what its template needs in one language."""

    id: str
    title: str
    question: str | None
    order: float
    after: str | None
    numbered: bool
    toc: bool
    heading: bool
    folders: tuple[Path, ...]      # where its files are looked up, first wins
    charts: tuple[ChartSpec, ...]
    signals: Mapping[str, SignalMeta]
    series: tuple[str, ...]        # catalog series it reads (checked against the catalog)
    compute: Callable[..., Any] | None
    views: Callable[..., dict[str, Any]] | None
    origin: str                    # built-in | workspace | package <name>
    number: int | None = None      # set once the sections are placed in order

    @property
    def template(self) -> str:
        """The Jinja name of its template (the section loader resolves it)."""
        return f"sections/{self.id}/{TEMPLATE_FILE}"

    def file(self, name: str) -> Path | None:
        for folder in self.folders:
            if (folder / name).is_file():
                return folder / name
        return None

    def catalogs(self) -> list[Path]:
        """Its own message catalogs (sections/<id>/locales/<lang>.po), any folder."""
        found: dict[str, Path] = {}
        for folder in reversed(self.folders):  # earlier folders win
            for po in sorted((folder / "locales").glob("*.po")):
                found[po.stem] = po
        return list(found.values())


@dataclass
class Registry:
    """Every section in reading order, and the signal metadata they declare."""

    sections: list[Section]
    signals: dict[str, SignalMeta] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for section in self.sections:
            for sid, meta in section.signals.items():
                if sid in self.signals:
                    raise CatalogError(f"sections/{section.id}/{SECTION_FILE}: signal "
                                       f"{sid!r} is already declared by another section")
                self.signals[sid] = meta

    def __iter__(self):
        return iter(self.sections)

    def get(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def ids(self) -> list[str]:
        return [s.id for s in self.sections]

    def computed(self) -> list[Section]:
        return [s for s in self.sections if s.compute is not None]

    def charts(self) -> list[ChartSpec]:
        return [spec for s in self.sections for spec in s.charts]

    def cover_signals(self) -> list[str]:
        ranked = [(m.cover, sid) for sid, m in self.signals.items() if m.cover is not None]
        return [sid for _, sid in sorted(ranked)]

    def flat_bands(self) -> dict[str, float]:
        return {sid: m.flat_band for sid, m in self.signals.items() if m.flat_band is not None}


# ------------------------------------------------------------------------------ loading

def _reference(where: str, text: str) -> Callable[..., Any]:
    """'package.module:function' -> the function."""
    module_name, _, attr = text.partition(":")
    if not module_name or not attr:
        raise CatalogError(f"{where}: {text!r} should read 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CatalogError(f"{where}: cannot import {module_name} ({exc})") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise CatalogError(f"{where}: {module_name} has no function {attr!r}")
    return fn


def _load_file_module(section_id: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"reportgen_section_{section_id}", path)
    if spec is None or spec.loader is None:
        raise CatalogError(f"{path}: cannot load this file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's code: any error is theirs to fix, said on one line
        line = _error_line(exc, path)
        raise CatalogError(f"{path}{line}: {type(exc).__name__}: {exc}") from None
    return module


def _error_line(exc: BaseException, path: Path) -> str:
    """':12' when the traceback passes through the user's file (or its syntax error)."""
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f":{exc.lineno}"
    tb = exc.__traceback__
    line = ""
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == path:
            line = f":{tb.tb_lineno}"
        tb = tb.tb_next
    return line


def _file_compute(section_id: str, path: Path) -> Callable[..., Any]:
    """A workspace section's compute.py: `compute(snapshot)` returns a dict for its
    template, wrapped to the built-in signature (errors name the file and line)."""
    fn = getattr(_load_file_module(section_id, path), "compute", None)
    if not callable(fn):
        raise CatalogError(f"{path}: define a function compute(snapshot) returning a dict")
    takes_context = len(inspect.signature(fn).parameters) >= 2

    def compute(snapshot: Any, context: Any) -> Any:
        try:
            return fn(snapshot, context) if takes_context else fn(snapshot)
        except Exception as exc:
            raise CatalogError(f"{path}{_error_line(exc, path)}: compute failed: "
                               f"{type(exc).__name__}: {exc}") from None

    compute.__qualname__ = f"{section_id}.compute"
    return compute


def _signals(where: str, raw: Any) -> dict[str, SignalMeta]:
    if not isinstance(raw, dict):
        raise CatalogError(f"{where}: [signals] must be a table of [signals.<id>] tables")
    out = {}
    for sid, spec in raw.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("title"), str):
            raise CatalogError(f"{where}: [signals.{sid}] needs a title")
        unknown = sorted(set(spec) - SIGNAL_KEYS)
        if unknown:
            raise CatalogError(f"{where}: [signals.{sid}] unknown key {unknown[0]!r}; known: "
                               + ", ".join(sorted(SIGNAL_KEYS)))
        if spec.get("period", PERIODS[0]) not in PERIODS:
            raise CatalogError(f"{where}: [signals.{sid}] period must be one of "
                               f"{', '.join(PERIODS)}, not {spec['period']!r}")
        out[sid] = SignalMeta(sid, spec["title"], spec.get("digits"), bool(spec.get("rate")),
                              spec.get("flat_band"), spec.get("cover"),
                              bool(spec.get("flips", True)), spec.get("period"))
    return out


def load_section(section_id: str, folders: list[Path], origin: str) -> Section:
    """Read one section folder (with its override folders first) and check it."""
    folders = [f for f in folders if f.is_dir()]
    toml_path = next((f / SECTION_FILE for f in folders if (f / SECTION_FILE).is_file()), None)
    if toml_path is None:
        raise CatalogError(f"sections/{section_id}: no {SECTION_FILE}")
    raw = read_toml(toml_path)
    where = str(toml_path)
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise CatalogError(f"{where}: unknown key {unknown[0]!r}; known keys: "
                           + ", ".join(sorted(KEYS)))
    if not isinstance(raw.get("title"), str) or not raw["title"]:
        raise CatalogError(f"{where}: needs a title")
    if "order" not in raw and "after" not in raw:
        raise CatalogError(f"{where}: say where the section goes: after = \"<section id>\" "
                           "(or order = <number>)")
    if not any((f / TEMPLATE_FILE).is_file() for f in folders):
        raise CatalogError(f"sections/{section_id}/{TEMPLATE_FILE}: template missing "
                           f"(looked in {', '.join(str(f) for f in folders)})")
    charts_path = next((f / CHARTS_FILE for f in folders if (f / CHARTS_FILE).is_file()),
                       None)
    charts = tuple(parse_specs(read_toml(charts_path), charts_path, section_id)
                   ) if charts_path else ()
    compute = None
    if "compute" in raw:
        compute = _reference(f"{where}: compute", raw["compute"])
    else:
        code = next((f / COMPUTE_FILE for f in folders if (f / COMPUTE_FILE).is_file()), None)
        if code is not None:
            compute = _file_compute(section_id, code)
    views = _reference(f"{where}: views", raw["views"]) if "views" in raw else None
    return Section(
        id=section_id, title=raw["title"], question=raw.get("question"),
        order=float(raw.get("order", 0)), after=raw.get("after"),
        numbered=bool(raw.get("numbered", True)), toc=bool(raw.get("toc", True)),
        heading=bool(raw.get("heading", True)), folders=tuple(folders), charts=charts,
        signals=_signals(where, raw.get("signals", {})), series=tuple(raw.get("series", ())),
        compute=compute, views=views, origin=origin)


def _folders(root: Path | None) -> dict[str, Path]:
    if root is None or not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir())
            if p.is_dir() and not p.name.startswith((".", "_"))}


def _package_sections() -> dict[str, tuple[Path, str]]:
    """Sections that installed packages add through the `reportgen.sections` group."""
    found = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            folder = Path(ep.load()())
        except Exception as exc:
            raise CatalogError(f"entry point {ep.name} ({ep.value}) in group "
                               f"{ENTRY_POINT_GROUP}: {type(exc).__name__}: {exc}") from None
        found[ep.name] = (folder, f"package {ep.dist.name if ep.dist else ep.value}")
    return found


def place(sections: Iterable[Section]) -> list[Section]:
    """Reading order: by `order`, then each section with `after` right behind the one it
    names (in the order they were found); numbered sections get 1, 2, 3…"""
    sections = list(sections)
    by_id = {s.id: s for s in sections}
    for s in sections:
        if s.after is not None and s.after not in by_id:
            raise CatalogError(f"sections/{s.id}/{SECTION_FILE}: after = {s.after!r}: no "
                               "such section; known: " + ", ".join(sorted(by_id)))
    ordered = sorted((s for s in sections if s.after is None), key=lambda s: s.order)
    followers: dict[str, list[Section]] = {}
    for s in sections:
        if s.after is not None:
            followers.setdefault(s.after, []).append(s)
    out: list[Section] = []

    def visit(s: Section, trail: tuple[str, ...]) -> None:
        if s.id in trail:
            raise CatalogError(f"sections/{s.id}/{SECTION_FILE}: `after` goes round in a "
                               "circle: " + " -> ".join((*trail, s.id)))
        out.append(s)
        for f in followers.get(s.id, []):
            visit(f, (*trail, s.id))

    for s in ordered:
        visit(s, ())
    missing = [s.id for s in sections if s not in out]
    if missing:
        raise CatalogError(f"sections/{missing[0]}/{SECTION_FILE}: `after` goes round in a "
                           "circle")
    number = 0
    placed = []
    for s in out:
        if s.numbered:
            number += 1
        placed.append(replace(s, number=number if s.numbered else None))
    return placed


def load_registry(content: ContentPaths, catalog: Any | None = None,
                  packages: bool = True) -> Registry:
    """Built-in, package and workspace sections, checked and placed in reading order.

    A workspace folder named like a built-in section overrides that section's files one
    by one; any other workspace folder is a new section.
    """
    builtin = _folders(content.builtin / "sections")
    workspace = _folders(content.workspace.get("sections"))
    package = _package_sections() if packages else {}
    sections = []
    for sid, folder in builtin.items():
        override = workspace.get(sid)
        folders = [folder] if override is None or override.resolve() == folder.resolve() \
            else [override, folder]
        sections.append(load_section(sid, folders, "built-in"))
    for sid, (folder, origin) in package.items():
        if sid in builtin:
            raise CatalogError(f"{origin}: section id {sid!r} is taken by a built-in section")
        override = workspace.get(sid)
        sections.append(load_section(sid, [override, folder] if override else [folder],
                                     origin))
    for sid, folder in workspace.items():
        if sid not in builtin and sid not in package:
            sections.append(load_section(sid, [folder], "workspace"))
    registry = Registry(place(sections))
    if catalog is not None:
        check_series(registry, catalog)
    return registry


def check_series(registry: Registry, catalog: Any) -> None:
    """Every series a section says it reads must be in the indicator catalog."""
    known = set(catalog.indicators) | set(catalog.tables)
    for section in registry:
        for sid in section.series:
            if sid not in known:
                path = section.file(SECTION_FILE)
                raise CatalogError(f"{path}: series {sid!r} is not in the indicator catalog; "
                                   "add it to catalogs/indicators.toml or fix the id")


def select(registry: Registry, wanted: list[str]) -> Registry:
    """The sections asked for on the command line, by the number the reader sees ('4')
    or by id ('s4', 'europe'), in reading order."""
    by_number = {str(s.number): s.id for s in registry if s.number is not None}
    ids = registry.ids()
    picked = set()
    for text in wanted:
        key = text.strip()
        sid = by_number.get(key, key.lower())
        if sid not in ids:
            raise CatalogError(f"--section {text}: no such section; use a number shown in "
                               "the report or an id: " + ", ".join(ids))
        picked.add(sid)
    return Registry([s for s in registry if s.id in picked])
