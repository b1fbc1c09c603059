"""build(): the whole issue, top to bottom, in named stages.

    content  -> catalogs, sections, languages, templates: read and checked before any data
    gather   -> the store brought up to date, and read as known on the as-of date
    analyse  -> every section's compute step, the scorecards, what changed
    draw     -> the charts, once for all languages (per language where words are inside)
    write    -> every language and format from the same analysis
    publish  -> the staging folder renamed into output/YYYY-MM-DD/

As in a static-site generator, everything is gathered and computed before anything is
written, and nothing is published until every file exists. Each stage can be called on
its own (the chart pack and the tests do).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from reportgen import __version__, backtest, charts, publish, render, signals, sources
from reportgen.catalog import Catalog, load_catalog, read_toml
from reportgen.config import Config
from reportgen.errors import ConfigError, RenderError
from reportgen.i18n import Locale, load_locales
from reportgen.layout import Issue
from reportgen.narrative import Narrator, state_word
from reportgen.narrative.commentary import load_notes
from reportgen.narrative.digest import EMAIL_CHART
from reportgen.narrative.views import IssueInfo, ViewContext, chart_sources, chart_views
from reportgen.sections import Registry, Section, load_registry, select
from reportgen.signals.changes import Changes, compare
from reportgen.signals.scorecard import load_scorecards
from reportgen.store import Snapshot

log = logging.getLogger(__name__)

REPORT_TEMPLATE = "report.html.j2"
PREVIOUS_ISSUE_DAYS = 7
ANALYSIS_CATALOGS = ("thresholds", "outlook", "policy", "episodes")  # catalogs/<name>.toml

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
    return Issue(Path(), issue_date).stem(lang)


# ---------------------------------------------------------------------------- content

@dataclass
class Content:
    """Everything outside the engine, read and checked before any data work starts."""

    catalog: Catalog
    registry: Registry
    style: charts.Style
    catalogs: dict[str, Any]       # thresholds, outlook triggers, scorecards
    locales: dict[str, Locale]
    css: dict[str, str]

    @property
    def loop_titles(self) -> dict[str, str]:
        return {lid: card.get("title", lid)
                for lid, card in self.catalogs["scorecards"]["loops"].items()}

    def narrator(self, lang: str, analysis: signals.Analysis) -> Narrator:
        return Narrator(self.locales[lang], analysis, self.registry.signals, self.loop_titles,
                        {sid: ind.frequency for sid, ind in self.catalog.indicators.items()})


def load_content(config: Config, languages: list[str]) -> Content:
    """Read catalogs, sections, templates and languages; fail fast on any of them."""
    paths = config.content
    catalog = load_catalog(paths)
    registry = load_registry(paths, catalog)
    extra = [po for section in registry for po in section.catalogs()]
    locales = load_locales(paths, languages, extra)
    for locale in locales.values():
        locale.env = render.environment(paths, locale.translations, locale.separator,
                                        registry.sections)
        for name in [REPORT_TEMPLATE] + [s.template for s in registry]:
            render.render_check(locale.env, name)  # a syntax error stops us here
    render.report_untranslated(registry, locales)

    def stylesheet(name: str) -> str:
        path = paths.file("templates", f"css/{name}")
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RenderError(f"{path}: cannot read stylesheet ({exc.strerror})") from None

    base = stylesheet("report.css")
    catalogs: dict[str, Any] = {name: read_toml(paths.file("catalogs", f"{name}.toml"))
                                for name in ANALYSIS_CATALOGS}
    catalogs["scorecards"] = load_scorecards(paths.file("catalogs", "scorecards.toml"))
    return Content(
        catalog=catalog, registry=registry, style=charts.load_style(paths),
        catalogs=catalogs, locales=locales,
        css={"pdf": base + stylesheet("print.css"), "html": base + stylesheet("screen.css")})


# ----------------------------------------------------------------------------- analyse

def analyse(content: Content, snapshot: Snapshot, previous_as_of: dt.date
            ) -> signals.Analysis:
    """Every section's compute step in reading order, then the scorecards."""
    steps = [(s.id, s.compute) for s in content.registry.computed()]
    return signals.analyse(snapshot, steps, content.catalogs,
                           content.registry.flat_bands(), previous_as_of)


def what_changed(config: Config, content: Content, store: Any, analysis: signals.Analysis,
                 issue_date: dt.date, as_of: dt.date) -> Changes:
    """Compare with the latest earlier issue's signals.json, or, for a first issue, with
    the signals recomputed from the data as they stood a week earlier."""
    notable = content.catalogs["scorecards"].get("changes", {}).get("notable", {})
    meta = content.registry.signals
    current = {k: v for k, v in analysis.signals.items() if k not in meta or meta[k].flips}
    found = publish.previous_signals(config.output_dir, issue_date)
    if found is not None:
        previous_date, prev = found
        return compare(current, prev, notable, "previous_issue", previous_date.isoformat())
    previous_date = as_of - dt.timedelta(days=PREVIOUS_ISSUE_DAYS)
    before = analyse(content, store.snapshot(previous_date, config.data.stale_after_days),
                     previous_date - dt.timedelta(days=PREVIOUS_ISSUE_DAYS))
    prev = {k: v.to_json() for k, v in before.signals.items()}
    return compare(current, prev, notable, "recomputed", previous_date.isoformat())


# -------------------------------------------------------------------------------- draw

def chart_inputs(content: Content, analysis: signals.Analysis, snapshot: Snapshot
                 ) -> charts.Inputs:
    tables: dict[str, Any] = {}
    for result in analysis.sections.values():
        tables.update(result.tables)
    return charts.Inputs(as_of=analysis.as_of, series=analysis.series, tables=tables,
                         events=events(content),
                         recessions=charts.recession_spans(snapshot["USREC"]))


def events(content: Content) -> list[tuple[str, dt.date, dt.date | None]]:
    return [(e.kind, e.start, e.end) for e in content.catalog.events]


def draw(config: Config, content: Content, analysis: signals.Analysis, snapshot: Snapshot,
         chart_dir: Path, raster: bool) -> list[charts.DrawnChart]:
    """The report's charts: language-neutral ones once, worded ones per language."""
    chart_dir.mkdir(exist_ok=True)
    locales = content.locales
    jobs = charts.plan(
        content.registry.charts(), content.style, chart_inputs(content, analysis, snapshot),
        chart_dir, list(locales), translate={c: loc.gettext for c, loc in locales.items()},
        fonts={c: loc.fonts for c, loc in locales.items()}, raster=raster)
    lead = lead_chart(config, content)
    if lead:  # the e-mail shows this one inline: a PNG (what mail clients show) in its style
        style = email_style(config, content, chart_dir.parent / ".email.mplstyle")
        jobs += [replace(job, path=job.path.with_name(f"{job.path.stem}{EMAIL_CHART}.svg"),
                         raster=True, style=style) for job in jobs if job.spec.id == lead]
    drawn = charts.draw_all(jobs, config.report.workers)
    return [d for d in drawn if not d.path.stem.endswith(EMAIL_CHART)]


def email_style(config: Config, content: Content, path: Path) -> charts.Style:
    """The house style with charts/email.mplstyle on top (type large enough to read on a
    phone once the picture is shrunk to the width of a mail client)."""
    def entries(source: Path) -> dict[str, str]:
        pairs = (re.sub(r"""#(?=(?:[^"']|"[^"]*"|'[^']*')*$).*""", "", line).partition(":")
                 for line in source.read_text(encoding="utf-8").splitlines())
        return {key.strip(): value.strip() for key, sep, value in pairs if sep}

    merged = entries(content.style.mplstyle) | entries(
        config.content.file("charts", "email.mplstyle"))  # one line per key: no warnings
    path.write_text("".join(f"{k}: {v}\n" for k, v in merged.items()), encoding="utf-8")
    return charts.Style(path, content.style.palette)


def lead_chart(config: Config, content: Content) -> str:
    """email.lead_chart, checked against the sections' charts ('' when none is wanted)."""
    lead = config.email.lead_chart
    known = [spec.id for spec in content.registry.charts()]
    if lead and lead not in known:
        raise ConfigError(f"email.lead_chart: no chart {lead!r} in any section's charts.toml; "
                          f"use one of {', '.join(known)} (or \"\" for none)")
    return lead


def lead_pngs(chart_dir: Path) -> set[str]:
    """The e-mail's lead chart as PNG (one per language when its words are inside)."""
    return {f"charts/{p.name}" for p in chart_dir.glob(f"*{EMAIL_CHART}.png")}


# ------------------------------------------------------------------------------- write

def section_views(content: Content, analysis: signals.Analysis, narrator: Narrator,
                  snapshot: Snapshot, issue: IssueInfo, sections: list[Section]
                  ) -> dict[str, dict[str, Any]]:
    """Each section's own view in one language (empty for sections without one)."""
    out = {}
    cover = tuple(content.registry.cover_signals())
    for section in sections:
        if section.views is None:
            out[section.id] = {}
            continue
        ctx = ViewContext(section, analysis.sections.get(section.id), analysis, narrator,
                          content.catalog, snapshot, issue, cover)
        out[section.id] = section.views(ctx)
    return out


@dataclass
class Edition:
    """One language's words for the chosen sections, shared by its HTML and its PDF."""

    locale: Locale
    narrator: Narrator
    sections: list[Section]
    charts: dict[str, dict[str, Any]]
    views: dict[str, dict[str, Any]]
    notes: dict[str, Any]


def prepare_edition(config: Config, content: Content, lang: str, analysis: signals.Analysis,
                    snapshot: Snapshot, drawn: list[charts.DrawnChart], issue: Issue,
                    info: IssueInfo, sections: list[Section] | None = None) -> Edition:
    """The views of one language: chart captions, each section's view, the notes."""
    sections = content.registry.sections if sections is None else sections
    narrator = content.narrator(lang, analysis)
    chart_view = chart_views([c for s in sections for c in s.charts], content.style, analysis,
                             drawn, narrator, events(content), snapshot.provenance)
    views = section_views(content, analysis, narrator, snapshot, info, sections)
    notes = load_notes(config.notes_dir, issue.date, [s.id for s in sections], lang,
                       content.locales[lang].fallbacks, config.report.max_note_kb * 1024)
    return Edition(content.locales[lang], narrator, sections, chart_view, views, notes)


def _context(config: Config, content: Content, edition: Edition, medium: str,
             analysis: signals.Analysis, chart_view: dict, issue: Issue,
             created: dt.datetime) -> dict:
    locale, narrator = edition.locale, edition.narrator
    fmt, lang = narrator.fmt, locale.code
    names = {code: loc.name for code, loc in content.locales.items()}
    return {
        "lang": lang, "medium": medium, "version": __version__,
        "title": locale.gettext(config.report.title), "publisher": config.report.publisher,
        "page_size": config.report.page_size,
        "css": content.css[medium], "font_family_css": locale.font_family_css,
        "issue_date_text": fmt.date(issue.date), "data_as_of_text": fmt.date(analysis.data_as_of),
        "created_iso": created.isoformat(timespec="seconds"), "created_text": fmt.date(created),
        "language_names": " · ".join(names.values()),
        "language_names_by_code": names,
        "other_languages": [{"code": x, "name": name, "href": issue.html_name(x)}
                            for x, name in names.items() if x != lang],
        "pdf_href": issue.pdf_name(lang) if "pdf" in config.report.formats else None,
        "sample": analysis.sample, "analysis": analysis, "sections": edition.sections,
        "results": analysis.sections, "views": edition.views, "notes": edition.notes,
        "charts": chart_view, "n": narrator, "fmt": fmt, "t": locale.gettext,
        "state_word": lambda s: state_word(locale.translations, s),
    }


def render_edition(config: Config, content: Content, edition: Edition, medium: str,
                   analysis: signals.Analysis, issue: Issue, created: dt.datetime) -> str:
    """One language's document for the web (`html`) or for PDF layout (`pdf`)."""
    chart_view = edition.charts
    if medium == "pdf" and config.report.pdf_charts == "png":
        chart_view = {k: {**v, "src": v["src"].removesuffix(".svg") + ".png"}
                      if "src" in v else v for k, v in chart_view.items()}
    ctx = _context(config, content, edition, medium, analysis, chart_view, issue, created)
    return render.render_html(edition.locale.env, REPORT_TEMPLATE, ctx)


def render_sections(config: Config, content: Content, analysis: signals.Analysis,
                    snapshot: Snapshot, lang: str, section_ids: list[str],
                    medium: str = "html", drawn: list[charts.DrawnChart] = (),
                    info: IssueInfo | None = None) -> str:
    """Some sections alone, as one document: for a meeting, or to check one section's
    words against a fixture analysis without building a whole issue."""
    picked = select(content.registry, section_ids).sections
    issue = Issue(config.output_dir, analysis.as_of)
    info = info or IssueInfo(previous_date=analysis.as_of - dt.timedelta(
        days=PREVIOUS_ISSUE_DAYS))
    edition = prepare_edition(config, content, lang, analysis, snapshot, list(drawn), issue,
                              info, picked)
    return render_edition(config, content, edition, medium, analysis, issue,
                          dt.datetime.now(dt.UTC))


def write_editions(config: Config, content: Content, analysis: signals.Analysis,
                   snapshot: Snapshot, drawn: list[charts.DrawnChart], staging: Path,
                   issue: Issue, info: IssueInfo) -> tuple[set[str], list[render.PdfJob]]:
    """The HTML of every language (and the print HTML the PDFs are laid out from)."""
    created = dt.datetime.now(dt.UTC)
    keep: set[str] = set()
    pdf_jobs = []
    for lang in content.locales:
        edition = prepare_edition(config, content, lang, analysis, snapshot, drawn, issue,
                                  info)
        for medium in ("html", "pdf"):
            if medium not in config.report.formats:
                continue
            html = render_edition(config, content, edition, medium, analysis, issue, created)
            name = issue.html_name(lang) if medium == "html" else issue.print_name(lang)
            (staging / name).write_text(html, encoding="utf-8")
            if medium == "html":
                keep.add(name)
            else:
                pdf_jobs.append(render.PdfJob(staging / name, staging / issue.pdf_name(lang),
                                              staging))
                keep.add(issue.pdf_name(lang))
    return keep, pdf_jobs


def signals_payload(analysis: signals.Analysis, snapshot: Snapshot, issue: Issue,
                    as_of: dt.date, gathered: sources.Gathered) -> dict[str, Any]:
    """signals.json: what the next issue, the e-mail and the site read."""
    report = gathered.report
    return {"issue_date": issue.date.isoformat(),
            "data_as_of": analysis.data_as_of.isoformat() if analysis.data_as_of else None,
            "sample": analysis.sample, "reportgen": __version__,
            "as_of": as_of.isoformat(), "fallback": gathered.fallback,
            "stale": {sid: _stale_entry(snapshot.provenance[sid]) for sid in snapshot.stale()},
            "failed": sorted(report.failed) if report is not None else [],
            "signals": {k: v.to_json() for k, v in analysis.signals.items()},
            "changes": asdict(analysis.changes)}


# ---------------------------------------------------------------------------- history

HISTORY_REFRESH_WEEKS = 12  # weeks an issue adds to the backtest itself; more: the command


def backtest_folder(config: Config) -> Path:
    return config.output_dir / backtest.BACKTEST_DIR


def _replayer(config: Config, content: Content, store: Any, preload: bool = True
              ) -> backtest.Replayer:
    """The analysis as known on a date. Preloaded (for many dates, and before workers
    fork: they inherit the arrays and never touch the parent's SQLite connection), or read
    from SQLite as a build does (for the week or two an issue adds)."""
    def analyse_on(snap: Snapshot, day: dt.date) -> signals.Analysis:
        return analyse(content, snap, day - dt.timedelta(days=PREVIOUS_ISSUE_DAYS))

    if preload:
        store.preload()
    return backtest.Replayer(analyse_on, config.data.stale_after_days, store)


def with_history(config: Config, content: Content, store: Any, snapshot: Snapshot,
                 progress: Progress = lambda _: None) -> Snapshot:
    """The snapshot with the backtest's readings up to its date (table `backtest`), after
    adding the few weeks the stored table lacks. With no table yet, nothing is replayed
    here: `reportgen backtest` makes the first one (a minute), and the issue says so."""
    folder = backtest_folder(config)
    table = backtest.load(folder, backtest.content_key(content))
    if not table.rows:
        if (folder / backtest.TABLE_JSON).exists():
            log.warning("the backtest in %s was made by another version of the analysis "
                        "(content or reportgen changed); run `reportgen backtest` to redo it",
                        folder)
        return snapshot
    dates = backtest.wednesdays(backtest.FIRST_DATE, snapshot.as_of)
    missing = [d for d in dates if d.isoformat() not in table.dates()]
    if 0 < len(missing) <= HISTORY_REFRESH_WEEKS:
        progress(f"Adding {len(missing)} week(s) to the backtest")
        table = backtest.replay(_replayer(config, content, store, len(missing) > 2), missing,
                                table, folder)
    elif missing:
        log.warning("the backtest lacks %d weeks up to %s; run `reportgen backtest` to add "
                    "them (this issue shows the record up to %s)", len(missing),
                    snapshot.as_of, max(table.dates()))
    return dataclasses.replace(snapshot, tables={**snapshot.tables, "backtest": table.frame()})


def run_backtest(config: Config, start: dt.date | None, end: dt.date | None, step: int,
                 out: Path | None, progress: backtest.Progress = lambda *_: None
                 ) -> tuple[Path, backtest.Table, dict[str, Any]]:
    """`reportgen backtest`: every reading from `start` to `end` (resuming a stored table),
    then what followed them, written to `out` (default output/backtest/)."""
    content = load_content(config, config.report.languages[:1])
    folder = out or backtest_folder(config)
    gathered = sources.gather(config, content.catalog, end or dt.date.today(), fetch=False)
    store = gathered.store
    try:
        last = store.snapshot(end or dt.date.today(), config.data.stale_after_days)
        end = end or last.data_as_of() or dt.date.today()
        start = start or backtest.FIRST_DATE
        backtest.check_dates(start, end)
        table = backtest.load(folder, backtest.content_key(content))
        table = backtest.replay(_replayer(config, content, store),
                                backtest.wednesdays(start, end, step), table, folder,
                                progress, save_every=80, workers=config.report.workers)
        frame = table.frame()
        frame = frame[(frame["date"] >= pd.Timestamp(start)) & (frame["date"] <= pd.Timestamp(
            end))].reset_index(drop=True)
        after = backtest.outcomes(frame, dict(last.series), end)
        summary = backtest.summarise(frame, after)
        backtest.save(folder, table, summary)
        return folder, table, summary
    finally:
        store.close()


# ------------------------------------------------------------------------------- build

def build(config: Config, issue_date: dt.date, progress: Progress = lambda _: None,
          as_of: dt.date | None = None, fetch: bool = True, strict: bool = False
          ) -> BuildResult:
    """Write one issue: every configured language and format, published atomically.

    `as_of` (default: the issue date) is the date the data are read as known on; `fetch`
    brings the store up to date first (live data only); `strict` stops the build, before
    anything is written, when any series failed to fetch.
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

    formats = config.report.formats
    progress("Reading catalogs, sections and templates")
    content = load_content(config, config.report.languages)
    t = lap("content", t0)

    progress("Loading data")
    gathered = sources.gather(config, content.catalog, as_of, fetch=fetch, progress=progress,
                              strict=strict)
    store = gathered.store
    try:
        snapshot = store.snapshot(as_of, config.data.stale_after_days)
        t = lap("sources", t)
        progress("Computing signals")
        snapshot = with_history(config, content, store, snapshot, progress)
        analysis = analyse(content, snapshot, as_of - dt.timedelta(days=PREVIOUS_ISSUE_DAYS))
        analysis.changes = what_changed(config, content, store, analysis, issue_date, as_of)
    finally:
        store.close()
    info = IssueInfo(previous_date=dt.date.fromisoformat(analysis.changes.previous_date),
                     rebuilt=rebuilt, fallback=gathered.fallback)
    t = lap("signals", t)

    issue = Issue(config.output_dir, issue_date)
    staging = publish.staging_dir(config.output_dir, issue_date)
    try:
        progress("Drawing charts")
        drawn = draw(config, content, analysis, snapshot, staging / "charts",
                     raster="pdf" in formats and config.report.pdf_charts == "png")
        t = lap("charts", t)

        progress("Writing HTML")
        keep, pdf_jobs = write_editions(config, content, analysis, snapshot, drawn, staging,
                                        issue, info)
        t = lap("html", t)
        if pdf_jobs:
            progress("Laying out PDFs")
            render.write_pdfs(pdf_jobs, config.report.workers)
            t = lap("pdf", t)

        payload = signals_payload(analysis, snapshot, issue, as_of, gathered)
        if "html" in formats:  # the web edition's pictures; PNGs served only the PDF
            keep |= {f"charts/{d.path.name}" for d in drawn}
        keep |= lead_pngs(staging / "charts")  # but the e-mail's lead chart
        payload["manifest"] = publish.manifest(staging, keep)  # what send/publish check
        publish.write_json(staging / publish.SIGNALS_FILE, payload)
        keep.add(publish.SIGNALS_FILE)
        progress("Publishing")
        files = publish.publish(staging, issue.folder, keep)
        lap("publish", t)
    except BaseException:
        publish.discard(staging)
        raise
    return BuildResult(issue_date, analysis.data_as_of, issue.folder, files,
                       time.perf_counter() - t0, analysis.sample, timings, as_of,
                       gathered.fallback, snapshot.stale(), gathered.report)


def _stale_entry(prov: Any) -> dict[str, Any]:
    """What signals.json (and so the e-mail and the site) says of a stale series: when it
    was fetched and last observed, and whether its last value is over two releases old."""
    return {"last_fetched": prov.fetched_at.isoformat(timespec="seconds")
            if prov.fetched_at else None,
            "last_observation": prov.last_date.isoformat() if prov.last_date else None,
            "error": prov.last_error or None, "failure": prov.failure or None,
            "old": bool(getattr(prov, "old", False))}


# -------------------------------------------------------------------------- chart pack

PACK_FORMATS = ("png", "svg")


def build_chart_pack(config: Config, issue_date: dt.date, lang: str, fmt: str,
                     sections: list[str] | None = None, progress: Progress = lambda _: None
                     ) -> BuildResult:
    """The meeting chart pack: every chart (or one section's) alone, 16:9, words inside."""
    t0 = time.perf_counter()
    if fmt not in PACK_FORMATS:
        raise ConfigError(f"--format: unknown chart format {fmt!r}; use png or svg")
    progress("Reading catalogs, sections and templates")
    content = load_content(config, [lang])
    specs = content.registry.charts()
    if sections:
        picked = select(content.registry, sections)
        specs = picked.charts()
        if not specs:
            with_charts = sorted({s.section for s in content.registry.charts()})
            raise ConfigError(f"--section: no charts in section {picked.ids()[0]!r}; sections "
                              "with charts: " + ", ".join(with_charts))
    progress("Loading data and computing signals")
    gathered = sources.gather(config, content.catalog, issue_date, fetch=False)
    try:
        snapshot = gathered.store.snapshot(issue_date, config.data.stale_after_days)
    finally:
        gathered.store.close()
    analysis = analyse(content, snapshot, issue_date - dt.timedelta(days=PREVIOUS_ISSUE_DAYS))
    locale = content.locales[lang]
    narrator = content.narrator(lang, analysis)

    def words(spec: charts.ChartSpec) -> dict[str, str]:
        ends = [analysis.series[s["id"]].index[-1].date() for s in spec.series
                if len(analysis.series.get(s["id"], ()))]
        last = max(ends) if ends else analysis.data_as_of
        footer = locale.gettext("Source: %(series)s. Last observation: %(date)s.") % {
            "series": chart_sources(spec, analysis, locale.translations),
            "date": narrator.fmt.date(last)}
        if analysis.sample:
            footer += "  " + locale.gettext("SAMPLE DATA: not real observations")
        return {"title": locale.gettext(spec.title), "subtitle": locale.gettext(spec.subtitle),
                "footer": footer}

    issue = Issue(config.output_dir, issue_date)
    staging = publish.staging_dir(config.output_dir, issue_date)
    try:
        progress("Drawing the chart pack")
        jobs = charts.plan_pack(specs, content.style, chart_inputs(content, analysis, snapshot),
                                staging, lang, locale.gettext, locale.fonts, fmt, words)
        charts.draw_all(jobs, config.report.workers)
        files = publish.publish(staging, issue.pack(lang))
    except BaseException:
        publish.discard(staging)
        raise
    return BuildResult(issue_date, analysis.data_as_of, issue.pack(lang), files,
                       time.perf_counter() - t0, analysis.sample)
