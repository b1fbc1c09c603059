"""Command line: `reportgen run` writes today's issue; errors are one line, exit non-zero."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
from pathlib import Path

from reportgen import FORMATS, __version__
from reportgen.config import ENV, describe, load_config, with_overrides
from reportgen.errors import ConfigError, ReportgenError


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: use YYYY-MM-DD, e.g. 2026-11-23") from None


def _list(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line, like every other reportgen error (`--help` has the rest)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"reportgen: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="reportgen", description=__doc__)
    p.add_argument("--version", action="version", version=f"reportgen {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    run = sub.add_parser("run", help="write the issue's PDF and HTML in every language")
    run.add_argument("--date", type=_date, default=None,
                     help="issue date YYYY-MM-DD (default: today)")
    run.add_argument("--lang", type=_list, default=None,
                     help="comma-separated languages (en, zh-Hant, zh-Hans, or any in "
                          "locales/languages.toml); "
                          "default from the config")
    run.add_argument("--format", type=_list, default=None, dest="formats",
                     help=f"comma-separated formats ({', '.join(FORMATS)})")
    run.add_argument("--config", type=Path, default=None,
                     help="config file (default: ./reportgen.toml if present)")
    run.add_argument("--output", default=None, help="output folder (default from config)")
    run.add_argument("--workers", type=int, default=None, help="processes for charts and PDFs")
    run.add_argument("--page-size", default=None, help="A4 or Letter")
    run.add_argument("--pdf-charts", default=None, help="charts in the PDF: svg or png")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress, no summary")
    run.add_argument("--no-wait", action="store_true",
                     help="exit at once if another run (e.g. the weekly job) is in progress "
                          "instead of waiting up to schedule.lock_timeout seconds")
    run.add_argument("--as-of", type=_date, default=None, dest="as_of",
                     help="rebuild with the data as known on this date (YYYY-MM-DD); the "
                          "issue date defaults to it; implies --offline except for FRED "
                          "vintages the store lacks")
    run.add_argument("--offline", action="store_true",
                     help="build from the store without fetching first")
    run.add_argument("--strict", action="store_true",
                     help="if any series fails to fetch, write nothing and exit 6 (by default "
                          "the issue is written without it, marked stale, and run exits 0)")
    run.add_argument("--section", action="append", default=None, dest="sections",
                     help="a meeting edition instead of the issue: only this section (1..8, "
                          "conclusion, or an id; repeatable), its HTML, PDF and chart pack, "
                          "in <output>/meetings/YYYY-MM-DD-<sections>/")
    run.add_argument("--no-cache", action="store_true",
                     help="make everything anew: neither read nor write the build cache")

    fetch = sub.add_parser("fetch", help="bring the data store up to date (no report)")
    fetch.add_argument("--series", type=_list, default=None,
                       help="only these comma-separated series ids")
    fetch.add_argument("--config", type=Path, default=None)
    fetch.add_argument("-q", "--quiet", action="store_true", help="print only problems")

    imp = sub.add_parser("import", help="load downloaded CSV files into the store: FRED's "
                                        "own downloads or date,value files named SERIES.csv")
    imp.add_argument("files", type=Path, nargs="+", metavar="FILE")
    imp.add_argument("--series", default=None, metavar="ID",
                     help="load the file under this catalog id, whatever its header or name "
                          "(e.g. a vendor's gold prices as GOLD)")
    imp.add_argument("--config", type=Path, default=None)

    ind = sub.add_parser("indicators", help="the indicator catalog with each series' last "
                                            "observation, last fetch and staleness")
    ind.add_argument("--config", type=Path, default=None)

    doc = sub.add_parser("doctor", help="check the API key, the sources, fonts and the store")
    doc.add_argument("--config", type=Path, default=None)

    pack = sub.add_parser("charts", help="write the charts alone, 16:9, one per file, "
                                         "for slides (the meeting chart pack)")
    pack.add_argument("--date", type=_date, default=None, help="as-of date (default: today)")
    pack.add_argument("--section", action="append", default=None,
                      help="only this section's charts: 1..8 or conclusion (repeatable)")
    pack.add_argument("--format", default="png", choices=("png", "svg"), dest="chart_format")
    pack.add_argument("--lang", default=None, help="language of the words in the pictures "
                                                   "(default: the config's first language)")
    pack.add_argument("--config", type=Path, default=None)
    pack.add_argument("--output", default=None, help="output folder (default from config)")
    pack.add_argument("-q", "--quiet", action="store_true")

    sch = sub.add_parser("schedule", help="run the weekly job at the configured time "
                                          "(build, then send/publish as configured)")
    sch.add_argument("--config", type=Path, default=None)
    sch.add_argument("--output", default=None, help="output folder (default from config)")

    snd = sub.add_parser("send", help="e-mail a published issue, one message per language")
    snd.add_argument("--date", type=_date, default=None, help="issue date (default: today)")
    snd.add_argument("--lang", type=_list, default=None,
                     help="languages to send (default: the config's)")
    snd.add_argument("--to", action="append", default=None,
                     help="send to this address instead of the configured lists (repeatable)")
    snd.add_argument("--force", action="store_true", help="send an issue built on sample data")
    snd.add_argument("--config", type=Path, default=None)
    snd.add_argument("--output", default=None, help="output folder (default from config)")

    pub = sub.add_parser("publish", help="build the static site in <output>/site from the "
                                         "published issues")
    pub.add_argument("--force", action="store_true",
                     help="publish issues built on sample data too")
    pub.add_argument("--base-url", default="", help="absolute URL the site will live at "
                                                   "(for feeds and the sitemap)")
    pub.add_argument("--config", type=Path, default=None)
    pub.add_argument("--output", default=None, help="output folder (default from config)")

    srv = sub.add_parser("serve", help="preview the static site on 127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument("--config", type=Path, default=None)
    srv.add_argument("--output", default=None)

    cfg = sub.add_parser("config", help="every config option: its effective value and "
                                        "where it came from (default, file, env, flag)")
    cfg.add_argument("--config", type=Path, default=None)

    secs = sub.add_parser("sections", help="every section in reading order, with where it "
                                           "comes from (built-in, workspace or package)")
    secs.add_argument("--config", type=Path, default=None)

    init = sub.add_parser("init", help="start a workspace: a commented reportgen.toml, data/, "
                                       "notes/ and a README on overriding the built-in content")
    init.add_argument("folder", type=Path, nargs="?", default=Path("."), metavar="DIR")
    return p


FAILURE_WORDS = {"retired": "no longer at the source", "implausible": "implausible value",
                 "truncated": "truncated answer", "malformed": "malformed answer",
                 "unreachable": "source unreachable", "failed": "failed"}


def _human(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def cmd_run(args: argparse.Namespace) -> int:
    from reportgen.replay import replay
    from reportgen.scheduler import run_lock

    config = with_overrides(load_config(args.config), languages=args.lang,
                            formats=args.formats, workers=args.workers,
                            page_size=args.page_size, output_dir=args.output,
                            pdf_charts=args.pdf_charts, cache_mb=0 if args.no_cache else None)
    issue_date = args.date or args.as_of or dt.date.today()
    fetch = not (args.offline or args.as_of)
    sections = tuple(args.sections) if args.sections else None
    with run_lock(config.output_dir, wait=not args.no_wait,
                  timeout=config.schedule.lock_timeout):
        # An unchanged build is published again from the cache before anything heavy is
        # even imported; otherwise the full build (which skips that check).
        result = replay(config, issue_date, args.as_of, args.strict, sections, fetch)
        if result is None:
            from reportgen import parallel
            from reportgen.replay import duties, warm_start

            if warm_start(config, issue_date, args.as_of, sections):
                parallel.start(duties(config))  # its imports overlap ours
            from rich.console import Console

            from reportgen.pipeline import build

            console = Console(stderr=True, quiet=args.quiet)
            with console.status("Starting", spinner="dots") as status:
                result = build(config, issue_date, progress=lambda msg: status.update(msg),
                               as_of=args.as_of, fetch=fetch, strict=args.strict,
                               sections=list(sections) if sections else None,
                               replay_first=False)
    return _summary(args, result, "Meeting edition" if sections else "Issue")


def _summary(args: argparse.Namespace, result: object, what: str) -> int:
    from rich.console import Console

    out = Console()
    if result.fallback:  # said even with --quiet: nobody should mistake this for real data
        out.print(f"[bold red]WARNING: {result.fallback}. It will not be e-mailed or "
                  "published unless forced (--force).[/]")
    if args.quiet:
        return 0
    if result.sample and not result.fallback:
        out.print("[bold red]SAMPLE DATA: this issue was built from the bundled synthetic "
                  "sample, not real observations.[/]")
    failed = result.fetch.failed if result.fetch is not None else {}
    if failed:
        kinds = result.fetch.kinds
        names = [f"{sid} ({FAILURE_WORDS.get(kinds.get(sid, ''), 'failed')})"
                 for sid in sorted(failed)]
        out.print(f"[yellow]WARNING: {len(failed)} series failed this run and are shown as last "
                  f"stored, named in the data appendix: {', '.join(names[:10])}"
                  f"{' ...' if len(names) > 10 else ''} (details above; --strict makes this "
                  "an error)[/]", highlight=False, soft_wrap=True)
    stale = [sid for sid in result.stale if sid not in failed]
    if stale:
        out.print(f"[yellow]{len(stale)} series could not be updated or have stopped "
                  f"updating, and are marked in the report: {', '.join(stale[:10])}"
                  f"{' ...' if len(stale) > 10 else ''}[/]")
    out.print(f"{what} {result.issue_date.isoformat()} written to {result.folder}")
    shown = [f for f in result.files if f.suffix in (".pdf", ".html", ".json")]
    for f in shown:
        out.print(f"  {f.name:<40} {_human(f.stat().st_size):>9}")
    for folder in sorted({f.parent for f in result.files if f.parent != result.folder}):
        group = [f for f in result.files if f.parent == folder]
        size = sum(f.stat().st_size for f in group)
        kinds = "/".join(sorted({f.suffix[1:].upper() for f in group}))
        label = f"{folder.name}/ ({len(group)} {kinds} files)"
        out.print(f"  {label:<40} {_human(size):>9}")
    as_of = result.data_as_of.isoformat() if result.data_as_of else "no data"
    replayed = "build" in result.cache.get("hits", {})
    out.print(f"Data as of {as_of}; took {result.seconds:.1f} s"
              + (" (unchanged: the earlier build, from the cache)" if replayed else ""))
    return 0


def cmd_charts(args: argparse.Namespace) -> int:
    from rich.console import Console

    from reportgen.pipeline import build_chart_pack

    config = with_overrides(load_config(args.config), output_dir=args.output,
                            languages=[args.lang] if args.lang else None)
    lang = config.report.languages[0]
    console = Console(stderr=True, quiet=args.quiet)
    with console.status("Starting", spinner="dots") as status:
        result = build_chart_pack(config, args.date or dt.date.today(), lang,
                                  args.chart_format, args.section,
                                  progress=lambda msg: status.update(msg))
    if not args.quiet:
        print(f"{len(result.files)} charts written to {result.folder} "
              f"in {result.seconds:.1f} s")
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from reportgen.scheduler import run_forever

    config = with_overrides(load_config(args.config), output_dir=args.output)
    config.output_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(config.output_dir / "reportgen-schedule.log",
                                  encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for chatty in ("weasyprint", "fontTools", "matplotlib"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    return run_forever(config)


def cmd_send(args: argparse.Namespace) -> int:
    from reportgen.deliver import send

    config = with_overrides(load_config(args.config), output_dir=args.output,
                            languages=args.lang)
    report = send(config, args.date or dt.date.today(), config.report.languages, args.to,
                  args.force)
    for lang, addresses in report.sent.items():
        print(f"sent {lang} to {len(addresses)} address(es)")
    for lang, addresses in report.skipped.items():
        if addresses:
            print(f"skipped {len(addresses)} {lang} address(es) that already had this issue")
    for address, reason in report.refused.items():
        print(f"reportgen: warning: {address}: {reason}; skipped", file=sys.stderr)
    return 1 if report.refused else 0


def cmd_publish(args: argparse.Namespace) -> int:
    from reportgen.site import build_site

    config = with_overrides(load_config(args.config), output_dir=args.output)
    site = build_site(config.output_dir, config.content, force=args.force,
                      base_url=args.base_url)
    print(f"site written to {site}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import functools
    import http.server

    from reportgen.site import SITE_DIR

    config = with_overrides(load_config(args.config), output_dir=args.output)
    site = config.output_dir / SITE_DIR
    if not (site / "index.html").is_file():
        raise ConfigError(f"{site}: no site to serve; run `reportgen publish` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
        print(f"serving {site} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
        server.serve_forever()
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from reportgen.sources.commands import fetch_command

    return fetch_command(load_config(args.config), args.series, args.quiet)


def cmd_import(args: argparse.Namespace) -> int:
    from reportgen.sources.commands import import_command

    return import_command(load_config(args.config), args.files, args.series)


def cmd_indicators(args: argparse.Namespace) -> int:
    from reportgen.sources.commands import indicators_command

    return indicators_command(load_config(args.config))


def cmd_doctor(args: argparse.Namespace) -> int:
    from reportgen.sources.commands import doctor_command

    return doctor_command(load_config(args.config))


def cmd_config(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    where = {"file": f"file {config.source_file}", "default": "default", "flag": "flag"}
    print(f"# configuration: {config.source_file or 'none found; defaults'}")
    for option in describe(config):
        origin = where.get(option.origin, option.origin)
        if option.origin == "env":
            origin = f"env {ENV[option.key]}"
        print(f"{option.key} = {option.shown!r}  ({origin})\n    {option.doc}")
    return 0


def cmd_sections(args: argparse.Namespace) -> int:
    from reportgen.catalog import load_catalog
    from reportgen.sections import load_registry

    config = load_config(args.config)
    paths = config.content
    registry = load_registry(paths, load_catalog(paths))
    for s in registry:
        number = f"{s.number}." if s.number else "-"
        steps = "+".join(x for x, f in (("compute", s.compute), ("views", s.views)) if f)
        print(f"{number:>4} {s.id:<12} {s.title[:48]:<48} {s.origin:<12} "
              f"{len(s.charts)} chart(s){', ' + steps if steps else ''}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from reportgen.workspace import init_workspace

    result = init_workspace(args.folder)
    for path in result.created:
        print(f"created {path}{'/' if path.is_dir() else ''}")
    for path in result.skipped:
        print(f"skipped {path}: already exists, left as it was")
    print(f"workspace ready: cd {result.folder} && reportgen run")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        commands = {"run": cmd_run, "charts": cmd_charts, "schedule": cmd_schedule,
                    "send": cmd_send,
                    "publish": cmd_publish,
                    "serve": cmd_serve, "config": cmd_config, "fetch": cmd_fetch,
                    "import": cmd_import, "indicators": cmd_indicators,
                    "doctor": cmd_doctor, "init": cmd_init, "sections": cmd_sections}
        return commands[args.command](args)
    except ReportgenError as exc:
        print(f"reportgen: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("reportgen: interrupted; nothing was published", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
