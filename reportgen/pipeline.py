"""build(): the whole issue, top to bottom, in named stages.

    replay   -> an unchanged build is published again from the cache (reportgen.replay)
    content  -> catalogs, sections, languages, templates: read and checked before any data
    gather   -> the store brought up to date, and read as known on the as-of date
    analyse  -> every section's compute step, the scorecards, what changed
    draw     -> the charts, once for all languages (per language where words are inside)
    write    -> every language and format from the same analysis
    publish  -> the staging folder renamed into output/YYYY-MM-DD/

As in a static-site generator, everything is gathered and computed before anything is
written, and nothing is published until every file exists. Each stage can be called on
its own (the chart pack and the tests do).

Work is done once: the analysis, each chart and each PDF are kept in the build cache
(reportgen.cache) under the hash of their inputs, so a rebuild after one series changed
redraws only the charts that show it and lays out only the editions whose words or
pictures changed. Charts and PDFs run on warm workers (reportgen.parallel) started as the
build begins; the HTML is written as soon as the analysis exists (a chart's caption needs
its data, not its picture) and every PDF is queued right behind the charts, so both
workers stay busy to the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from reportgen import (
    __version__,
    backtest,
    cache,
    fingerprint,
    parallel,
    publish,
    render,
    signals,
    sources,
)
from reportgen.catalog import Catalog, load_catalog, read_toml
from reportgen.charts import ChartJob, ChartSpec, DrawnChart, Style, load_style
from reportgen.charts import plan as charts
from reportgen.config import Config
from reportgen.errors import ConfigError, RenderError
from reportgen.i18n import Locale, load_locales
from reportgen.layout import BACKTEST_DIR, Issue, Meeting
from reportgen.narrative import Narrator, digest, state_word
from reportgen.narrative.commentary import load_notes
from reportgen.narrative.digest import EMAIL_CHART
from reportgen.narrative.views import IssueInfo, ViewContext, chart_sources, chart_views
from reportgen.replay import (
    BuildResult,
    analysis_key,
    cache_for,
    data_state,
    duties,
    record,
    replay,
    replayable,
    state_base,
    state_key,
    warm_start,
)
from reportgen.sections import Registry, Section, load_registry, select
from reportgen.signals.changes import Changes, compare
from reportgen.signals.scorecard import load_scorecards
from reportgen.store import Snapshot

log = logging.getLogger(__name__)

__all__ = ["BuildResult", "build", "build_chart_pack", "load_content", "render_sections"]

REPORT_TEMPLATE = "report.html.j2"
PREVIOUS_ISSUE_DAYS = 7
ANALYSIS_CATALOGS = ("thresholds", "outlook", "policy", "episodes")  # catalogs/<name>.toml
# Stand-ins for the creation time while an edition is rendered: the words are hashed
# without it, so an edition whose words did not change keeps the time it was first made.
CREATED_ISO, CREATED_TEXT = "RGCREATEDISO0f3a9c", "RGCREATEDTEXT0f3a9c"

Progress = Callable[[str], None]


def file_stem(issue_date: dt.date, lang: str) -> str:
    """File names say the date and the language: reportgen-2026-11-23-zh-Hant.pdf."""
    return Issue(Path(), issue_date).stem(lang)


# ---------------------------------------------------------------------------- content

@dataclass
class Content:
    """Everything outside the engine, read and checked before any data work starts."""

    catalog: Catalog
    registry: Registry
    style: Style
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


def load_content(config: Config, languages: list[str],
                 bytecode: render.SharedBytecode | None = None) -> Content:
    """Read catalogs, sections, templates and languages; fail fast on any of them.
    The languages' template environments share compiled templates (`bytecode`)."""
    paths = config.content
    catalog = load_catalog(paths)
    registry = load_registry(paths, catalog)
    extra = [po for section in registry for po in section.catalogs()]
    locales = load_locales(paths, languages, extra)
    bytecode = bytecode or render.SharedBytecode()
    for locale in locales.values():
        locale.env = render.environment(paths, locale.translations, locale.separator,
                                        registry.sections, bytecode=bytecode)
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
        catalog=catalog, registry=registry, style=load_style(paths),
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
                 issue_date: dt.date, as_of: dt.date,
                 recomputed: Callable[[], dict[str, Any]] | None = None) -> Changes:
    """Compare with the latest earlier issue's signals.json, or, for a first issue, with
    the signals recomputed from the data as they stood a week earlier (`recomputed`, when
    given, hands those over: see `previous_signals`)."""
    notable = content.catalogs["scorecards"].get("changes", {}).get("notable", {})
    meta = content.registry.signals
    current = {k: v for k, v in analysis.signals.items() if k not in meta or meta[k].flips}
    found = publish.previous_signals(config.output_dir, issue_date)
    if found is not None:
        previous_date, prev = found
        return compare(current, prev, notable, "previous_issue", previous_date.isoformat())
    previous_date = as_of - dt.timedelta(days=PREVIOUS_ISSUE_DAYS)
    prev = (recomputed or (lambda: previous_signals(config, content, store, as_of)))()
    return compare(current, prev, notable, "recomputed", previous_date.isoformat())


def previous_signals(config: Config, content: Content, store: Any, as_of: dt.date
                     ) -> dict[str, Any]:
    """The signals as they stood a week before `as_of`, from the data known then."""
    previous_date = as_of - dt.timedelta(days=PREVIOUS_ISSUE_DAYS)
    before = analyse(content, store.snapshot(previous_date, config.data.stale_after_days),
                     previous_date - dt.timedelta(days=PREVIOUS_ISSUE_DAYS))
    return {k: v.to_json() for k, v in before.signals.items()}


@dataclass
class Analysed:
    """The data as read for this build and what was computed from it. Fresh, it lacks
    "what changed" until `finish` (the build draws charts meanwhile: they do not need it)."""

    snapshot: Snapshot
    analysis: signals.Analysis
    gathered: sources.Gathered
    data_state: str  # the data's fingerprint after gathering (reportgen.replay)
    _finish: Callable[[], None] | None = None

    def finish(self) -> signals.Analysis:
        if self._finish is not None:
            step, self._finish = self._finish, None
            step()
        return self.analysis

    def abandon(self) -> None:
        """The build failed before `finish`: let go of the store."""
        if self._finish is not None and self.gathered.store is not None:
            self.gathered.store.close()


FALLBACK_STATE = "sample (no source answered)"


def gather_and_analyse(config: Config, content: Content, issue_date: dt.date,
                       as_of: dt.date, fetch: bool, strict: bool, store: cache.Cache,
                       progress: Progress = lambda _: None) -> Analysed:
    """Gather the data, then analyse it, unless the cache holds the analysis of exactly
    this data, content and code (then the sample is not even generated)."""
    live = config.data.source != "sample"
    gathered = None
    if live:
        gathered = sources.gather(config, content.catalog, as_of, fetch=fetch,
                                  progress=progress, strict=strict)
    # A live run that fell back to the sample analyses the sample, whatever the failed
    # fetches logged in the store: the same sample, the same analysis, from the cache.
    data = (FALLBACK_STATE if gathered is not None and gathered.fallback is not None
            else data_state(config))
    k = analysis_key(config, issue_date, as_of, data)
    found = store.get_object("analysis", k)
    if found is not None:
        if gathered is not None:
            gathered.store.close()
        snapshot, analysis, fallback = found
        return Analysed(snapshot, analysis,
                        sources.Gathered(None, getattr(gathered, "report", None), fallback),
                        data)
    progress("Computing signals")
    if gathered is None:  # the bundled sample, generated only when it is read
        gathered = sources.gather(config, content.catalog, as_of, fetch=fetch,
                                  progress=progress, strict=strict)
    recomputed = None
    if publish.previous_signals(config.output_dir, issue_date) is None:
        # a first issue compares with the data of a week before: computed meanwhile, in a
        # copy of this process (reading the store through a connection of its own)
        in_memory = gathered.fallback is not None or not live

        def before() -> dict[str, Any]:
            data = gathered.store if in_memory else sources.open_store(config, content.catalog)
            return previous_signals(config, content, data, as_of)

        recomputed = parallel.forked(before)
    try:
        snapshot = gathered.store.snapshot(as_of, config.data.stale_after_days)
        snapshot = with_history(config, content, gathered.store, snapshot, progress)
        analysis = analyse(content, snapshot, as_of - dt.timedelta(days=PREVIOUS_ISSUE_DAYS))
    except BaseException:
        gathered.store.close()
        if recomputed is not None:
            with contextlib.suppress(Exception):
                recomputed()
        raise

    def finish() -> None:
        try:
            analysis.changes = what_changed(config, content, gathered.store, analysis,
                                            issue_date, as_of, recomputed)
        finally:
            gathered.store.close()
        store.put_object("analysis", k, (snapshot, analysis, gathered.fallback))

    return Analysed(snapshot, analysis, gathered, data, finish)


# -------------------------------------------------------------------------------- draw

def chart_inputs(content: Content, analysis: signals.Analysis, snapshot: Snapshot
                 ) -> charts.Inputs:
    tables: dict[str, Any] = {}
    for result in analysis.sections.values():
        tables.update(result.tables)
    return charts.Inputs(as_of=analysis.as_of, series=analysis.series, tables=tables,
                         events=events(content),
                         recessions=charts.recession_spans(snapshot["USREC"]),
                         event_codes={e.start: e.code for e in content.catalog.events
                                      if e.end is None and e.code})


def events(content: Content) -> list[tuple[str, dt.date, dt.date | None]]:
    return [(e.kind, e.start, e.end) for e in content.catalog.events]


def plan_charts(config: Config, content: Content, analysis: signals.Analysis,
                snapshot: Snapshot, specs: list[ChartSpec], chart_dir: Path,
                raster: bool, email: bool = True) -> list[ChartJob]:
    """The report's charts: language-neutral ones once, worded ones per language, each
    also as a phone drawing when there is an HTML edition; and, for an issue, the e-mail's
    lead chart again, as a PNG in its own style."""
    locales = content.locales
    jobs = charts.plan(
        specs, content.style, chart_inputs(content, analysis, snapshot),
        chart_dir, list(locales), translate={c: loc.gettext for c, loc in locales.items()},
        fonts={c: loc.fonts for c, loc in locales.items()}, raster=raster,
        narrow="html" in config.report.formats)
    wide = [j for j in jobs if not j.narrow]
    return jobs + (email_jobs(config, content, wide, chart_dir) if email else [])


def email_jobs(config: Config, content: Content, jobs: list[ChartJob], chart_dir: Path
               ) -> list[ChartJob]:
    """The e-mail shows its lead chart inline: a PNG (what mail clients show) in its style."""
    lead = lead_chart(config, content)
    if not lead or not any(job.spec.id == lead for job in jobs):
        return []
    chart_dir.mkdir(parents=True, exist_ok=True)
    style = email_style(config, content, chart_dir.parent / ".email.mplstyle")
    return [replace(job, path=job.path.with_name(f"{job.path.stem}{EMAIL_CHART}.svg"),
                    raster=True, style=style) for job in jobs if job.spec.id == lead]


def for_email(job: ChartJob) -> bool:
    """The e-mail's copy of its lead chart (not shown by the editions)."""
    return job.path.stem.endswith(EMAIL_CHART)


def report_charts(jobs: list[ChartJob]) -> list[ChartJob]:
    """The jobs whose pictures the editions show (not the e-mail's copy)."""
    return [j for j in jobs if not for_email(j)]


def email_style(config: Config, content: Content, path: Path) -> Style:
    """The house style with charts/email.mplstyle on top (type large enough to read on a
    phone once the picture is shrunk to the width of a mail client)."""
    def entries(source: Path) -> dict[str, str]:
        pairs = (re.sub(r"""#(?=(?:[^"']|"[^"]*"|'[^']*')*$).*""", "", line).partition(":")
                 for line in source.read_text(encoding="utf-8").splitlines())
        return {key.strip(): value.strip() for key, sep, value in pairs if sep}

    merged = entries(content.style.mplstyle) | entries(
        config.content.file("charts", "email.mplstyle"))  # one line per key: no warnings
    path.write_text("".join(f"{k}: {v}\n" for k, v in merged.items()), encoding="utf-8")
    return Style(path, content.style.palette)


def lead_chart(config: Config, content: Content) -> str:
    """email.lead_chart, checked against the sections' charts ('' when none is wanted)."""
    lead = config.email.lead_chart
    known = [spec.id for spec in content.registry.charts()]
    if lead and lead not in known:
        raise ConfigError(f"email.lead_chart: no chart {lead!r} in any section's charts.toml; "
                          f"use one of {', '.join(known)} (or \"\" for none)")
    return lead


def pack_jobs(content: Content, analysis: signals.Analysis, snapshot: Snapshot,
              specs: list[ChartSpec], lang: str, fmt: str, out_dir: Path) -> list[ChartJob]:
    """The meeting chart pack in one language: slides with their words inside."""
    locale = content.locales[lang]
    narrator = content.narrator(lang, analysis)

    def words(spec: ChartSpec) -> dict[str, str]:
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

    return charts.plan_pack(specs, content.style, chart_inputs(content, analysis, snapshot),
                            out_dir, lang, locale.gettext, locale.fonts, fmt, words)


class Work:
    """The build's charts and PDFs: each taken from the cache when its key is there,
    otherwise queued on the workers and kept in the cache once made."""

    DRAW = "reportgen.charts.draw:draw"
    LAY_OUT = "reportgen.pdf:write_pdf"

    def __init__(self, store: cache.Cache, pool: parallel.Workers) -> None:
        self.store, self.pool = store, pool
        self.queued: list[tuple[str, str, dict[str, Path], parallel.Task]] = []
        self.made = {"charts": 0, "pdfs": 0}

    def chart(self, job: ChartJob) -> str:
        """Queue one chart unless cached; returns its key (a PDF showing it depends on it)."""
        k = job.key()
        outputs = {p.suffix: p for p in job.outputs}
        entry = self.store.get("chart", k)
        if entry is not None and set(entry.files) == set(outputs):
            for suffix, path in outputs.items():
                entry.copy(suffix, path)
            return k
        self.queued.append(("chart", k, outputs, self.pool.submit(parallel.call,
                                                                   (self.DRAW, job))))
        self.made["charts"] += 1
        return k

    def pending(self) -> set[Path]:
        return {p for kind, _, outs, _ in self.queued if kind == "chart" for p in outs.values()}

    def pdf(self, job: render.PdfJob, k: str) -> None:
        entry = self.store.get("pdf", k)
        if entry is not None and "pdf" in entry.files:
            entry.copy("pdf", job.pdf_path)
            return
        waits = tuple(p.relative_to(job.root).as_posix() for p in self.pending()
                      if p.is_relative_to(job.root))
        job = render.PdfJob(job.html_path, job.pdf_path, job.root, waits)
        self.queued.append(("pdf", k, {"pdf": job.pdf_path},
                            self.pool.submit(parallel.call, (self.LAY_OUT, job))))
        self.made["pdfs"] += 1

    def finish(self) -> None:
        """Wait for everything queued, in order, keeping each result in the cache."""
        for kind, k, outputs, task in self.queued:
            task.get()
            self.store.put(kind, k, files=outputs)
        self.queued.clear()


# ------------------------------------------------------------------------------- write

def section_views(content: Content, analysis: signals.Analysis, narrator: Narrator,
                  snapshot: Snapshot, issue: IssueInfo, sections: list[Section]
                  ) -> dict[str, dict[str, Any]]:
    """Each section's own view in one language (empty for sections without one)."""
    out = {}
    cover = tuple(content.registry.cover_signals())
    takeaways = tuple(digest.bullet(t, narrator, content) for t in digest.takeaways_of(
        digest_inputs(analysis, snapshot, issue.failed), content))
    for section in sections:
        if section.views is None:
            out[section.id] = {}
            continue
        ctx = ViewContext(section, analysis.sections.get(section.id), analysis, narrator,
                          content.catalog, snapshot, issue, cover, takeaways)
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
                    snapshot: Snapshot, drawn: list[DrawnChart], issue: Issue | Meeting,
                    info: IssueInfo, sections: list[Section] | None = None) -> Edition:
    """The views of one language: chart captions, each section's view, the notes."""
    sections = content.registry.sections if sections is None else sections
    narrator = content.narrator(lang, analysis)
    chart_view = chart_views([c for s in sections for c in s.charts], content.style, analysis,
                             drawn, narrator, events(content), snapshot.provenance,
                             snapshot.as_of if info.rebuilt else None)
    views = section_views(content, analysis, narrator, snapshot, info, sections)
    notes = load_notes(config.notes_dir, issue.date, [s.id for s in sections], lang,
                       content.locales[lang].fallbacks, config.report.max_note_kb * 1024)
    return Edition(content.locales[lang], narrator, sections, chart_view, views, notes)


def _context(config: Config, content: Content, edition: Edition, medium: str,
             analysis: signals.Analysis, chart_view: dict, issue: Issue | Meeting,
             created: dt.datetime | None) -> dict:
    locale, narrator = edition.locale, edition.narrator
    fmt, lang = narrator.fmt, locale.code
    names = {code: loc.name for code, loc in content.locales.items()}
    return {
        "lang": lang, "medium": medium, "version": __version__,
        "title": locale.gettext(config.report.title), "publisher": config.report.publisher,
        "page_size": config.report.page_size,
        "css": content.css[medium], "font_family_css": locale.font_family_css,
        "issue_date_text": fmt.date(issue.date), "data_as_of_text": fmt.date(analysis.data_as_of),
        "created_iso": created.isoformat(timespec="seconds") if created else CREATED_ISO,
        "created_text": fmt.date(created) if created else CREATED_TEXT,
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
                   analysis: signals.Analysis, issue: Issue | Meeting,
                   created: dt.datetime | None) -> str:
    """One language's document for the web (`html`) or for PDF layout (`pdf`); with
    `created` None the creation time is left as a stand-in (see `stamp`)."""
    chart_view = edition.charts
    if medium == "pdf" and config.report.pdf_charts == "png":
        chart_view = {k: {**v, "src": v["src"].removesuffix(".svg") + ".png"}
                      if "src" in v else v for k, v in chart_view.items()}
    ctx = _context(config, content, edition, medium, analysis, chart_view, issue, created)
    html = render.render_html(edition.locale.env, REPORT_TEMPLATE, ctx)
    return render.scrollable_tables(html) if medium == "html" else html


def stamp(documents: dict[str, str], edition: Edition, created: dt.datetime
          ) -> dict[str, str]:
    """Put the creation time into documents rendered without it."""
    iso, text = created.isoformat(timespec="seconds"), edition.narrator.fmt.date(created)
    return {k: v.replace(CREATED_ISO, iso).replace(CREATED_TEXT, text)
            for k, v in documents.items()}


def render_sections(config: Config, content: Content, analysis: signals.Analysis,
                    snapshot: Snapshot, lang: str, section_ids: list[str],
                    medium: str = "html", drawn: list[DrawnChart] = (),
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
                   snapshot: Snapshot, drawn: list[DrawnChart], staging: Path,
                   issue: Issue | Meeting, info: IssueInfo, store: cache.Cache | None = None,
                   sections: list[Section] | None = None
                   ) -> tuple[set[str], dict[str, render.PdfJob]]:
    """The HTML of every language (and the print HTML the PDFs are laid out from).

    An edition keeps the creation time of the first build that wrote exactly these words
    (kept in the cache), so an unchanged rebuild writes the same bytes."""
    store = store or cache.NoCache()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    keep: set[str] = set()
    pdf_jobs: dict[str, render.PdfJob] = {}
    media = [m for m in ("html", "pdf") if m in config.report.formats]
    for lang in content.locales:
        edition = prepare_edition(config, content, lang, analysis, snapshot, drawn, issue,
                                  info, sections)
        docs = {m: render_edition(config, content, edition, m, analysis, issue, None)
                for m in media}
        k = cache.key("created", lang, docs)
        entry = store.get("created", k)
        created = (dt.datetime.fromisoformat(entry.meta["created"]) if entry is not None
                   else now)
        if entry is None:
            store.put("created", k, meta={"created": created.isoformat()})
        for medium, html in stamp(docs, edition, created).items():
            name = issue.html_name(lang) if medium == "html" else issue.print_name(lang)
            (staging / name).write_text(html, encoding="utf-8")
            if medium == "html":
                keep.add(name)
            else:
                pdf_jobs[lang] = render.PdfJob(staging / name, staging / issue.pdf_name(lang),
                                               staging)
                keep.add(issue.pdf_name(lang))
    return keep, pdf_jobs


def signals_payload(analysis: signals.Analysis, snapshot: Snapshot, issue: Issue,
                    as_of: dt.date, gathered: sources.Gathered) -> dict[str, Any]:
    """signals.json: what the next issue, the e-mail and the site read."""
    return {"issue_date": issue.date.isoformat(),
            "data_as_of": analysis.data_as_of.isoformat() if analysis.data_as_of else None,
            "sample": analysis.sample, "reportgen": __version__,
            "as_of": as_of.isoformat(), "fallback": gathered.fallback,
            **digest_inputs(analysis, snapshot, failed_of(gathered))}


def failed_of(gathered: sources.Gathered) -> tuple[str, ...]:
    report = gathered.report
    return tuple(sorted(report.failed)) if report is not None else ()


def digest_inputs(analysis: signals.Analysis, snapshot: Snapshot, failed: tuple[str, ...]
                  ) -> dict[str, Any]:
    """The part of signals.json the takeaways are chosen from: the report's cover reads
    it here, the e-mail and the site from the published file, so all three agree."""
    return {"stale": {sid: _stale_entry(snapshot.provenance[sid])
                      for sid in snapshot.stale()},
            "failed": list(failed),
            "signals": {k: v.to_json() for k, v in analysis.signals.items()},
            "changes": asdict(analysis.changes) if analysis.changes is not None else {}}


# ---------------------------------------------------------------------------- history

HISTORY_REFRESH_WEEKS = 12  # weeks an issue adds to the backtest itself; more: the command


def backtest_folder(config: Config) -> Path:
    return config.output_dir / BACKTEST_DIR


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
          as_of: dt.date | None = None, fetch: bool = True, strict: bool = False,
          sections: list[str] | None = None, replay_first: bool = True) -> BuildResult:
    """Write one issue: every configured language and format, published atomically.

    `as_of` (default: the issue date) is the date the data are read as known on; `fetch`
    brings the store up to date first (live data only); `strict` stops the build, before
    anything is written, when any series failed to fetch. `sections` (numbers or ids)
    makes a meeting edition instead: those sections alone, their HTML, PDF and chart pack,
    in output/meetings/ (reportgen.layout.Meeting). An unchanged build is replayed from the
    cache (reportgen.replay) unless `replay_first` is off (the caller tried already).
    """
    asked = tuple(sections) if sections else None
    replayed = replay(config, issue_date, as_of, strict, asked, fetch) if replay_first else None
    if replayed is not None:
        return replayed
    rebuilt = as_of is not None
    as_of = as_of or issue_date
    t0 = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = now - since
        log.debug("stage %s took %.2f s", name, timings[name])
        return now

    store = cache_for(config)
    if warm_start(config, issue_date, as_of if rebuilt else None, asked):
        parallel.start(duties(config))  # the workers' imports overlap ours
    base = state_base(config, issue_date, None if not rebuilt else as_of, strict, asked)
    progress("Reading catalogs, sections and templates")
    content = load_content(config, config.report.languages, render.SharedBytecode(store))
    picked = select(content.registry, list(asked)) if asked else content.registry
    where: Issue | Meeting = (Meeting(config.output_dir, issue_date, tuple(picked.ids()))
                              if asked else Issue(config.output_dir, issue_date))
    t = lap("content", t0)

    progress("Loading data")
    done = gather_and_analyse(config, content, issue_date, as_of, fetch, strict, store,
                              progress)
    snapshot, analysis, gathered = done.snapshot, done.analysis, done.gathered
    t = lap("signals", t)

    staging = publish.staging_dir(config.output_dir, issue_date)
    try:
        made = make(config, content, done, picked, where, staging, store, rebuilt, asked,
                    progress, lap)
        keep = made.keep
        if not asked:
            payload = signals_payload(analysis, snapshot, where, as_of, gathered)
            payload["manifest"] = publish.manifest(staging, keep)  # what send/publish check
            publish.write_json(staging / publish.SIGNALS_FILE, payload)
            keep.add(publish.SIGNALS_FILE)
        progress("Publishing")
        t = time.perf_counter()
        files = publish.publish(staging, where.folder, keep)
        lap("publish", t)
    except BaseException:
        done.abandon()
        publish.discard(staging)
        raise
    result = BuildResult(issue_date, analysis.data_as_of, where.folder, files,
                         time.perf_counter() - t0, analysis.sample, timings, as_of,
                         gathered.fallback, snapshot.stale(), gathered.report,
                         {"hits": dict(store.hits), "misses": dict(store.misses)}, made.count)
    if replayable(config, fetch, as_of if rebuilt else None):
        record(config, state_key(base, done.data_state), where.folder,
               {f.relative_to(where.folder).as_posix(): f for f in files}, result)
    store.trim()
    return result


@dataclass
class Made:
    """What `make` staged: the files to publish, and how many charts and PDFs it made."""

    keep: set[str]
    count: dict[str, int]


def make(config: Config, content: Content, done: Analysed, picked: Registry,
         where: Issue | Meeting, staging: Path, store: cache.Cache, rebuilt: bool,
         asked: tuple[str, ...] | None, progress: Progress,
         lap: Callable[[str, float], float]) -> Made:
    """Stage every file of the build: the charts the editions show queued on the workers
    first, then "what changed" and the HTML while they draw, then every PDF, then what no
    PDF waits for (a meeting's chart pack, the phone drawings)."""
    formats = config.report.formats
    analysis, snapshot = done.analysis, done.snapshot
    t = time.perf_counter()
    progress("Drawing charts")
    raster = "pdf" in formats and config.report.pdf_charts == "png"
    specs = picked.charts()
    jobs = plan_charts(config, content, analysis, snapshot, specs, staging / "charts", raster,
                       email=not asked)
    pictures = report_charts(jobs)
    with parallel.Workers(config.report.workers, duties(config)) as pool:
        work = Work(store, pool)
        # the PDFs show the wide drawings; the rest is queued behind the PDFs (below)
        keys = {(j.spec.id, j.lang): work.chart(j) for j in jobs if not j.narrow}
        packs: list[ChartJob] = []
        for lang in (content.locales if asked else ()):
            packs += pack_jobs(content, analysis, snapshot, specs, lang, "png",
                               staging / where.pack_name(lang))
        t = lap("charts", t)

        progress("Comparing with the last issue")
        done.finish()  # while the workers draw
        info = IssueInfo(previous_date=dt.date.fromisoformat(analysis.changes.previous_date),
                         rebuilt=rebuilt, fallback=done.gathered.fallback,
                         failed=failed_of(done.gathered), issue_date=where.date)
        t = lap("changes", t)

        progress("Writing HTML")
        keep, pdf_jobs = write_editions(config, content, analysis, snapshot,
                                        charts.drawn(pictures), staging, where, info, store,
                                        picked.sections)
        t = lap("html", t)
        if pdf_jobs:
            progress("Laying out PDFs")
        # the longest first (by their HTML), so the one left alone at the end is short
        for lang, job in sorted(pdf_jobs.items(), key=lambda lj: -lj[1].html_path.stat().st_size):
            shown = sorted(k for (_, jl), k in keys.items() if jl in (None, lang))
            work.pdf(job, cache.key("pdf", fingerprint.code(), fingerprint.version(),
                                    fingerprint.fonts(), job.html_path.read_bytes(), shown))
        for job in [*packs, *(j for j in jobs if j.narrow)]:  # no PDF waits for these:
            work.chart(job)  # queued behind the PDFs, they fill the worker beside the last
        work.finish()
        lap("pdf", t)
    if "html" in formats:  # the web edition's pictures; PNGs served only the PDF
        keep |= {f"charts/{j.path.name}" for j in pictures}
    keep |= {f"charts/{p.name}" for j in jobs if for_email(j)  # but the e-mail's lead chart
             for p in j.outputs if p.suffix == ".png"}
    keep |= {p.relative_to(staging).as_posix() for j in packs for p in j.outputs}
    return Made(keep, work.made)


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
    store = cache_for(config)
    if config.report.workers > 1:
        parallel.start(["charts"])
    progress("Reading catalogs, sections and templates")
    content = load_content(config, [lang], render.SharedBytecode(store))
    specs = content.registry.charts()
    if sections:
        picked = select(content.registry, sections)
        specs = picked.charts()
        if not specs:
            with_charts = sorted({s.section for s in content.registry.charts()})
            raise ConfigError(f"--section: no charts in section {picked.ids()[0]!r}; sections "
                              "with charts: " + ", ".join(with_charts))
    progress("Loading data and computing signals")
    done = gather_and_analyse(config, content, issue_date, issue_date, False, False, store)
    done.finish()
    issue = Issue(config.output_dir, issue_date)
    staging = publish.staging_dir(config.output_dir, issue_date)
    try:
        progress("Drawing the chart pack")
        jobs = pack_jobs(content, done.analysis, done.snapshot, specs, lang, fmt, staging)
        with parallel.Workers(config.report.workers, ["charts"]) as pool:
            work = Work(store, pool)
            for job in jobs:
                work.chart(job)
            work.finish()
        files = publish.publish(staging, issue.pack(lang))
    except BaseException:
        publish.discard(staging)
        raise
    store.trim()
    return BuildResult(issue_date, done.analysis.data_as_of, issue.pack(lang), files,
                       time.perf_counter() - t0, done.analysis.sample)
