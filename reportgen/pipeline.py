"""build(): the whole issue, top to bottom.

Two phases, as in a static-site generator: first gather and compute everything (data,
signals, what changed), then write (charts once, then every language and format from the
same computed context). Nothing is published until every file exists.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reportgen import LANGUAGE_NAMES, __version__, charts, publish, render, signals, sources
from reportgen.catalog import load_catalog, read_toml
from reportgen.config import Config
from reportgen.errors import CatalogError, ConfigError, RenderError
from reportgen.i18n import Formatter, load_formats, load_translations
from reportgen.narrative import Narrator, state_word
from reportgen.narrative.commentary import load_notes
from reportgen.narrative.views import (
    chart_sources,
    chart_views,
    language_extras,
)
from reportgen.signals.changes import Changes, compare
from reportgen.signals.scorecard import load_scorecards

log = logging.getLogger(__name__)

REPORT_TEMPLATE = "report.html.j2"
PREVIOUS_ISSUE_DAYS = 7

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    issue_date: dt.date
    data_as_of: dt.date | None
    folder: Path
    files: list[Path]
    seconds: float
    sample: bool
    timings: dict[str, float] = field(default_factory=dict)
    as_of: dt.date | None = None
    fallback: str | None = None
    stale: list[str] = field(default_factory=list)
    fetch: Any = None


def file_stem(issue_date: dt.date, lang: str) -> str:
    """File names say the date and the language: reportgen-2026-11-23-zh-Hant.pdf."""
    return f"reportgen-{issue_date.isoformat()}-{lang}"


def load_sections(templates_dir: Path) -> list[dict[str, Any]]:
    path = templates_dir / "sections.toml"
    sections = read_toml(path).get("section")
    if not sections:
        raise CatalogError(f"{path}: no [[section]] entries")
    for i, s in enumerate(sections):
        if not {"id", "title", "partial"} <= set(s):
            raise CatalogError(f"{path}: section #{i + 1} needs id, title and partial")
        s.setdefault("number", None)
        s.setdefault("question", None)
    return sections


@dataclass
class Content:
    """Everything outside the engine, read and checked before any data work starts."""

    catalog: Any
    specs: list[charts.ChartSpec]
    style: charts.Style
    sections: list[dict[str, Any]]
    cards: dict[str, Any]
    triggers: list[dict[str, Any]]
    thresholds: dict[str, Any]
    formats: dict[str, Any]
    translations: dict[str, Any]
    envs: dict[str, Any]
    css: dict[str, str]


def load_content(config: Config, languages: list[str]) -> Content:
    """Read catalogs, templates and message catalogs; fail fast on any of them."""
    sections = load_sections(config.templates_dir)
    translations = {lang: load_translations(config.locales_dir, lang) for lang in languages}
    envs = {lang: render.environment(config.templates_dir, translations[lang], lang)
            for lang in languages}
    for env in envs.values():  # compile every template now: a syntax error stops us early
        for name in [REPORT_TEMPLATE] + [f"partials/{s['partial']}" for s in sections]:
            render.render_check(env, name)
    css_dir = config.templates_dir / "css"
    try:
        base = (css_dir / "report.css").read_text(encoding="utf-8")
        css = {"pdf": base + (css_dir / "print.css").read_text(encoding="utf-8"),
               "html": base + (css_dir / "screen.css").read_text(encoding="utf-8")}
    except OSError as exc:
        raise RenderError(f"{css_dir}: cannot read stylesheet ({exc.strerror})") from None
    return Content(
        catalog=load_catalog(config.catalogs_dir),
        specs=charts.load_specs(config.charts_dir),
        style=charts.load_style(config.charts_dir),
        sections=sections,
        cards=load_scorecards(config.catalogs_dir / "scorecards.toml"),
        triggers=read_toml(config.catalogs_dir / "outlook.toml").get("trigger", []),
        thresholds=read_toml(config.catalogs_dir / "thresholds.toml"),
        formats=load_formats(config.locales_dir),
        translations=translations,
        envs=envs,
        css=css,
    )


def _fonts(formats: dict[str, Any]) -> dict[str, list[str]]:
    return {lang: [f.strip() for f in fm.font_family.split(",")] for lang, fm in
            formats.items()}


def _context(config: Config, content: Content, lang: str, medium: str,
             analysis: signals.Analysis, views: dict, narrator: Narrator, extra: dict,
             issue_date: dt.date, languages: list[str], created: dt.datetime) -> dict:
    fmt = narrator.fmt
    stem = file_stem(issue_date, lang)
    return {
        "lang": lang, "medium": medium, "version": __version__,
        "title": narrator.t.gettext(config.report.title), "publisher": config.report.publisher,
        "page_size": config.report.page_size,
        "css": content.css[medium], "font_family_css": ", ".join(
            f'"{f.strip()}"' for f in content.formats[lang].font_family.split(",")
        ) + ", sans-serif",
        "issue_date_text": fmt.date(issue_date), "data_as_of_text": fmt.date(analysis.data_as_of),
        "created_iso": created.isoformat(timespec="seconds"), "created_text": fmt.date(created),
        "language_names": " · ".join(LANGUAGE_NAMES[x] for x in languages),
        "language_names_by_code": LANGUAGE_NAMES,
        "other_languages": [{"code": x, "name": LANGUAGE_NAMES[x],
                             "href": f"{file_stem(issue_date, x)}.html"}
                            for x in languages if x != lang],
        "pdf_href": f"{stem}.pdf" if "pdf" in config.report.formats else None,
        "sample": analysis.sample, "analysis": analysis, "sections": content.sections,
        "charts": views, "n": narrator, "fmt": fmt, "t": narrator.t.gettext,
        "th": content.thresholds.get("levels", {}),
        "state_word": lambda s: state_word(narrator.t, s),
        **extra,
    }


def _events(content: Content) -> list[tuple[str, dt.date, dt.date | None]]:
    return [(e.kind, e.start, e.end) for e in content.catalog.events]


def _what_changed(config: Config, content: Content, store: Any, analysis: signals.Analysis,
                  issue_date: dt.date, as_of: dt.date) -> Changes:
    """Compare with the latest earlier issue's signals.json, or, for a first issue, with
    the signals recomputed from the data as they stood a week earlier."""
    notable = content.cards.get("changes", {}).get("notable", {})
    found = publish.previous_signals(config.output_dir, issue_date)
    if found is not None:
        previous_date, prev = found
        return compare(analysis.signals, prev, notable, "previous_issue",
                       previous_date.isoformat())
    previous_date = as_of - dt.timedelta(days=PREVIOUS_ISSUE_DAYS)
    before = signals.analyse(store.snapshot(previous_date, config.data.stale_after_days),
                             content.cards, content.triggers,
                             content.thresholds,
                             previous_date - dt.timedelta(days=PREVIOUS_ISSUE_DAYS))
    prev = {k: v.to_json() for k, v in before.signals.items()}
    return compare(analysis.signals, prev, notable, "recomputed", previous_date.isoformat())


def build(config: Config, issue_date: dt.date, progress: Progress = lambda _: None,
          as_of: dt.date | None = None, fetch: bool = True) -> BuildResult:
    """Write one issue: every configured language and format, published atomically.

    `as_of` (default: the issue date) is the date the data are read as known on; `fetch`
    brings the store up to date first (live data only).
    """
    rebuilt = as_of is not None
    as_of = as_of or issue_date
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = now - since
        log.debug("stage %s took %.2f s", name, timings[name])
        return now

    languages, formats = config.report.languages, config.report.formats
    progress("Reading catalogs and templates")
    content = load_content(config, languages)
    t = lap("content", t0)

    progress("Loading data")
    gathered = sources.gather(config, content.catalog, as_of, fetch=fetch, progress=progress)
    store = gathered.store
    try:
        snapshot = store.snapshot(as_of, config.data.stale_after_days)
        t = lap("sources", t)

        progress("Computing signals")
        previous_date = as_of - dt.timedelta(days=PREVIOUS_ISSUE_DAYS)
        analysis = signals.analyse(snapshot, content.cards, content.triggers,
                                   content.thresholds, previous_date)
        analysis.changes = _what_changed(config, content, store, analysis, issue_date, as_of)
    finally:
        store.close()
    previous_date = dt.date.fromisoformat(analysis.changes.previous_date)
    t = lap("signals", t)

    staging = publish.staging_dir(config.output_dir, issue_date)
    try:
        progress("Drawing charts")
        chart_dir = staging / "charts"
        chart_dir.mkdir()
        narrators = {
            lang: Narrator(lang, Formatter(lang, content.formats[lang],
                                           content.translations[lang]),
                           content.translations[lang], analysis)
            for lang in languages}
        inputs = _chart_inputs(content, analysis, snapshot)
        jobs = charts.plan(
            content.specs, content.style, inputs, chart_dir, languages,
            translate={lang: content.translations[lang].gettext for lang in languages},
            fonts=_fonts(content.formats),
            raster="pdf" in formats and config.report.pdf_charts == "png")
        drawn = charts.draw_all(jobs, config.report.workers)
        t = lap("charts", t)

        progress("Writing HTML")
        created = dt.datetime.now(dt.UTC)
        keep: set[str] = set()
        pdf_jobs = []
        for lang in languages:
            narrator = narrators[lang]
            views = chart_views(content.specs, content.style, analysis, drawn, narrator,
                                _events(content), snapshot.provenance)
            print_views = views if config.report.pdf_charts == "svg" else {
                k: {**v, "src": v["src"].removesuffix(".svg") + ".png"} if "src" in v else v
                for k, v in views.items()}
            extra = language_extras(analysis, narrator, content.catalog, snapshot,
                                    previous_date, rebuilt, gathered.fallback)
            extra["notes"] = load_notes(config.notes_dir, issue_date,
                                        [s["id"] for s in content.sections], lang,
                                        config.report.max_note_kb * 1024)
            stem = file_stem(issue_date, lang)
            for medium in ("html", "pdf"):
                if medium not in formats:
                    continue
                ctx = _context(config, content, lang, medium, analysis,
                               views if medium == "html" else print_views, narrator, extra,
                               issue_date, languages, created)
                html = render.render_html(content.envs[lang], REPORT_TEMPLATE, ctx)
                name = f"{stem}.html" if medium == "html" else f".{stem}.print.html"
                (staging / name).write_text(html, encoding="utf-8")
                if medium == "html":
                    keep.add(name)
                if medium == "pdf":
                    pdf_jobs.append(render.PdfJob(staging / name, staging / f"{stem}.pdf",
                                                  staging))
                    keep.add(f"{stem}.pdf")
        t = lap("html", t)

        if pdf_jobs:
            progress("Laying out PDFs")
            render.write_pdfs(pdf_jobs, config.report.workers)
            t = lap("pdf", t)

        payload = {"issue_date": issue_date.isoformat(),
                   "data_as_of": analysis.data_as_of.isoformat() if analysis.data_as_of
                   else None,
                   "sample": analysis.sample, "reportgen": __version__,
                   "as_of": as_of.isoformat(), "fallback": gathered.fallback,
                   "stale": {sid: _stale_entry(snapshot.provenance[sid])
                             for sid in snapshot.stale()},
                   "signals": {k: v.to_json() for k, v in analysis.signals.items()},
                   "changes": asdict(analysis.changes)}
        if "html" in formats:  # the web edition's pictures; PNGs served only the PDF
            keep |= {f"charts/{d.path.name}" for d in drawn}
        payload["manifest"] = publish.manifest(staging, keep)  # what send/publish check
        publish.write_json(staging / publish.SIGNALS_FILE, payload)
        keep.add(publish.SIGNALS_FILE)
        progress("Publishing")
        folder = publish.issue_dir(config.output_dir, issue_date)
        files = publish.publish(staging, folder, keep)
        lap("publish", t)
    except BaseException:
        publish.discard(staging)
        raise
    return BuildResult(issue_date, analysis.data_as_of, folder, files,
                       time.perf_counter() - t0, analysis.sample, timings, as_of,
                       gathered.fallback, snapshot.stale(), gathered.report)


def _stale_entry(prov: Any) -> dict[str, str | None]:
    """What signals.json (and so the e-mail and the site) says of a stale series."""
    return {"last_fetched": prov.fetched_at.isoformat(timespec="seconds")
            if prov.fetched_at else None,
            "last_observation": prov.last_date.isoformat() if prov.last_date else None,
            "error": prov.last_error or None}


def _chart_inputs(content: Content, analysis: signals.Analysis, snapshot: Any
                  ) -> charts.Inputs:
    tables: dict[str, Any] = {}
    for result in analysis.sections.values():
        tables.update(result.tables)
    return charts.Inputs(as_of=analysis.as_of, series=analysis.series, tables=tables,
                         events=_events(content),
                         recessions=charts.recession_spans(snapshot["USREC"]))


PACK_FORMATS = ("png", "svg")


def section_id(text: str) -> str:
    """'4' or 's4' -> 's4'; 'conclusion' stays."""
    text = text.strip().lower()
    return f"s{text}" if text.isdigit() else text


def build_chart_pack(config: Config, issue_date: dt.date, lang: str, fmt: str,
                     sections: list[str] | None = None, progress: Progress = lambda _: None
                     ) -> BuildResult:
    """The meeting chart pack: every chart (or one section's) alone, 16:9, words inside."""
    t0 = time.perf_counter()
    if fmt not in PACK_FORMATS:
        raise ConfigError(f"--format: unknown chart format {fmt!r}; use png or svg")
    progress("Reading catalogs and templates")
    content = load_content(config, [lang])
    specs = content.specs
    if sections:
        wanted = {section_id(s) for s in sections}
        known = {s.section for s in specs}
        unknown = sorted(wanted - known)
        if unknown:
            raise ConfigError(f"--section: no charts in section {unknown[0]!r}; sections with "
                              "charts: " + ", ".join(sorted(known)))
        specs = [s for s in specs if s.section in wanted]
    progress("Loading data and computing signals")
    gathered = sources.gather(config, content.catalog, issue_date, fetch=False)
    try:
        snapshot = gathered.store.snapshot(issue_date, config.data.stale_after_days)
    finally:
        gathered.store.close()
    analysis = signals.analyse(snapshot, content.cards, content.triggers, content.thresholds,
                               issue_date - dt.timedelta(days=PREVIOUS_ISSUE_DAYS))
    t = content.translations[lang]
    narrator = Narrator(lang, Formatter(lang, content.formats[lang], t), t, analysis)

    def words(spec: charts.ChartSpec) -> dict[str, str]:
        ends = [analysis.series[s["id"]].index[-1].date() for s in spec.series
                if len(analysis.series.get(s["id"], ()))]
        last = max(ends) if ends else analysis.data_as_of
        footer = t.gettext("Source: %(series)s. Last observation: %(date)s.") % {
            "series": chart_sources(spec, analysis, t), "date": narrator.fmt.date(last)}
        if analysis.sample:
            footer += "  " + t.gettext("SAMPLE DATA: not real observations")
        return {"title": t.gettext(spec.title), "subtitle": t.gettext(spec.subtitle),
                "footer": footer}

    staging = publish.staging_dir(config.output_dir, issue_date)
    try:
        progress("Drawing the chart pack")
        jobs = charts.plan_pack(specs, content.style, _chart_inputs(content, analysis, snapshot),
                                staging, lang, t.gettext, _fonts(content.formats)[lang], fmt,
                                words)
        charts.draw_all(jobs, config.report.workers)
        folder = publish.issue_dir(config.output_dir, issue_date) / f"chart-pack-{lang}"
        files = publish.publish(staging, folder)
    except BaseException:
        publish.discard(staging)
        raise
    return BuildResult(issue_date, analysis.data_as_of, folder, files,
                       time.perf_counter() - t0, analysis.sample)
