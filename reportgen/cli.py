"""Command line: `reportgen run` writes today's issue; errors are one line, exit non-zero."""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import shtab

from reportgen import FORMATS, __version__
from reportgen.config import (
    ENV,
    Config,
    describe,
    load_config,
    with_overrides,
    with_site_url,
)
from reportgen.errors import (
    EXIT_DEFERRED,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    ConfigError,
    ReportgenError,
    Terminated,
)

EARLIEST_ISSUE = dt.date(1990, 1, 1)
AHEAD_DAYS = 7


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: use YYYY-MM-DD, e.g. 2026-11-23") from None


def checked_date(value: dt.date, flag: str) -> dt.date:
    """Issue dates run from 1990 (before it the catalog has too little) to a week ahead."""
    latest = dt.date.today() + dt.timedelta(days=AHEAD_DAYS)
    if not EARLIEST_ISSUE <= value <= latest:
        raise ConfigError(f"{flag} {value}: out of range; issue dates run from "
                          f"{EARLIEST_ISSUE} to a week from today ({latest})")
    return value


def issue_and_as_of(args: argparse.Namespace) -> tuple[dt.date, dt.date | None]:
    """`run`'s issue date and `--as-of`, which may not look past the issue date."""
    if args.as_of is not None:
        checked_date(args.as_of, "--as-of")
    issue_date = checked_date(args.date or args.as_of or dt.date.today(), "--date")
    if args.as_of is not None and args.as_of > issue_date:
        raise ConfigError(f"--as-of {args.as_of} is later than the issue date {issue_date}: "
                          "an issue cannot use data from after its date")
    return issue_date, args.as_of


def output_config(config: Config) -> Config:
    """Refuse an output folder that is an existing file, before anything is done."""
    out = config.output_dir
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: is an existing file, not a folder; pass a folder to "
                          "--output (or report.output_dir)")
    return config


def _list(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line, like every other reportgen error (`--help` has the rest)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"reportgen: error: {message} (see {self.prog} --help)\n")


# Commands whose results --json prints as one JSON document on stdout.
JSON_COMMANDS = ("run", "fetch", "indicators", "doctor", "send")
SHELLS = ("bash", "zsh")


def _global_options(p: argparse.ArgumentParser, sub: bool) -> None:
    """Options every command takes, before or after its name. On the subcommands they
    default to SUPPRESS, so `reportgen --config x run` is not undone by run's default."""
    def d(value: Any) -> Any:
        return argparse.SUPPRESS if sub else value

    p.add_argument("--config", type=Path, default=d(None), metavar="FILE",
                   help="config file (default: ./reportgen.toml if present)"
                   ).complete = shtab.FILE  # type: ignore[attr-defined]
    p.add_argument("-v", "--verbose", action="count", default=d(0),
                   help="say more (-vv: debug detail) on stderr")
    p.add_argument("-q", "--quiet", action="store_true", default=d(False),
                   help="no progress and no summary; only warnings and errors (for cron)")
    p.add_argument("--json", action="store_true", default=d(False),
                   help="results as one JSON document on stdout (" + ", ".join(JSON_COMMANDS)
                        + ")")


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="reportgen", description=__doc__)
    p.add_argument("--version", action="version", version=f"reportgen {__version__}")
    _global_options(p, sub=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, sub=True)
    sub = p.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    def command(name: str, **kw: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], **kw)

    def output(q: argparse.ArgumentParser) -> None:
        q.add_argument("--output", default=None, metavar="DIR",
                       help="output folder (default from config)").complete = shtab.DIRECTORY

    run = command("run", help="write the issue's PDF and HTML in every language")
    run.add_argument("--date", type=_date, default=None,
                     help="issue date YYYY-MM-DD (default: today)")
    run.add_argument("--lang", type=_list, default=None,
                     help="comma-separated languages (en, zh-Hant, zh-Hans, or any in "
                          "locales/languages.toml); "
                          "default from the config")
    run.add_argument("--format", type=_list, default=None, dest="formats",
                     help=f"comma-separated formats ({', '.join(FORMATS)})")
    output(run)
    run.add_argument("--workers", type=int, default=None, help="processes for charts and PDFs")
    run.add_argument("--page-size", default=None, help="A4 or Letter")
    run.add_argument("--pdf-charts", default=None, help="charts in the PDF: svg or png")
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

    fetch = command("fetch", help="bring the data store up to date (no report)")
    fetch.add_argument("--series", type=_list, default=None,
                       help="only these comma-separated series ids")

    imp = command("import", help="load downloaded CSV files into the store: FRED's "
                                 "own downloads or date,value files named SERIES.csv")
    imp.add_argument("files", type=Path, nargs="+", metavar="FILE").complete = shtab.FILE
    imp.add_argument("--series", default=None, metavar="ID",
                     help="load the file under this catalog id, whatever its header or name "
                          "(e.g. a vendor's gold prices as GOLD)")

    command("indicators", help="the indicator catalog with each series' last observation, "
                               "last fetch and staleness")
    command("doctor", help="check the API key, the sources, fonts and the store")

    pack = command("charts", help="write the charts alone, 16:9, one per file, "
                                  "for slides (the meeting chart pack)")
    pack.add_argument("--date", type=_date, default=None, help="as-of date (default: today)")
    pack.add_argument("--section", action="append", default=None,
                      help="only this section's charts: 1..8 or conclusion (repeatable)")
    pack.add_argument("--format", default="png", choices=("png", "svg"), dest="chart_format")
    pack.add_argument("--lang", default=None, help="language of the words in the pictures "
                                                   "(default: the config's first language)")
    output(pack)

    sch = command("schedule", help="run the weekly job at the configured time "
                                   "(build, then send/publish as configured)")
    output(sch)

    snd = command("send", help="e-mail a published issue, one message per language")
    snd.add_argument("--date", type=_date, default=None,
                     help="issue date (default: the latest published issue)")
    snd.add_argument("--lang", type=_list, default=None,
                     help="languages to send (default: the config's; with --to, each "
                          "address's own)")
    snd.add_argument("--to", action="append", default=None, metavar="ADDRESS",
                     help="send to this address instead of the configured lists (repeatable); "
                          "combines with --lang")
    snd.add_argument("--force", action="store_true", help="send an issue built on sample data")
    output(snd)

    pub = command("publish", help="build the static site in <output>/site from the "
                                  "published issues")
    pub.add_argument("--force", action="store_true",
                     help="publish issues built on sample data too")
    pub.add_argument("--base-url", default=None, metavar="URL",
                     help="absolute URL the site will live at, for feeds and the sitemap "
                          "(default: site.url from the config)")
    output(pub)

    srv = command("serve", help="preview the static site on 127.0.0.1")
    srv.add_argument("--port", type=int, default=8000)
    output(srv)

    command("config", help="every config option: its effective value and "
                           "where it came from (default, file, env, flag)")
    command("sections", help="every section in reading order, with where it "
                             "comes from (built-in, workspace or package)")

    bt = command("backtest", help="replay the framework every week over history and "
                                  "say what followed its readings (resumable)")
    bt.add_argument("--from", type=_date, default=None, dest="start",
                    help="first reading date (default: 2018-07-04)")
    bt.add_argument("--to", type=_date, default=None, dest="end",
                    help="last reading date (default: the latest data)")
    bt.add_argument("--step", type=int, default=7, help="days between readings (default 7: "
                                                       "every Wednesday)")
    bt.add_argument("--out", type=Path, default=None, metavar="DIR",
                    help="folder for backtest.csv/json and summary.json "
                         "(default: <output>/backtest)").complete = shtab.DIRECTORY

    init = command("init", help="start a workspace: a commented reportgen.toml, data/, "
                                "notes/ and a README on overriding the built-in content")
    init.add_argument("folder", type=Path, nargs="?", default=Path("."),
                      metavar="DIR").complete = shtab.DIRECTORY

    comp = command("completion", help="print a shell completion script: "
                                      "eval \"$(reportgen completion bash)\"")
    comp.add_argument("shell", choices=SHELLS)
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

    config = output_config(with_overrides(
        load_config(args.config), languages=args.lang, formats=args.formats,
        workers=args.workers, page_size=args.page_size, output_dir=args.output,
        pdf_charts=args.pdf_charts, cache_mb=0 if args.no_cache else None))
    issue_date, as_of = issue_and_as_of(args)
    fetch = not (args.offline or as_of)
    sections = tuple(args.sections) if args.sections else None
    with run_lock(config.output_dir, wait=not args.no_wait,
                  timeout=config.schedule.lock_timeout):
        # An unchanged build is published again from the cache before anything heavy is
        # even imported; otherwise the full build (which skips that check).
        result = replay(config, issue_date, as_of, args.strict, sections, fetch)
        if result is None:
            from reportgen import parallel
            from reportgen.replay import duties, warm_start

            if warm_start(config, issue_date, as_of, sections):
                parallel.start(duties(config))  # its imports overlap ours
            from rich.console import Console

            from reportgen.pipeline import build

            console = Console(stderr=True, quiet=args.quiet or args.json)
            with console.status("Starting", spinner="dots") as status:
                result = build(config, issue_date, progress=_progress(status),
                               as_of=as_of, fetch=fetch, strict=args.strict,
                               sections=list(sections) if sections else None,
                               replay_first=False)
    return _summary(args, result, "Meeting edition" if sections else "Issue")


def _summary(args: argparse.Namespace, result: Any, what: str) -> int:
    from rich.console import Console

    failed = result.fetch.failed if result.fetch is not None else {}
    kinds = result.fetch.kinds if result.fetch is not None else {}
    if args.json:
        if result.fallback:
            _warn(f"{result.fallback}; the issue will not be e-mailed or published unless "
                  "forced (--force)")
        print_json({
            "issue_date": result.issue_date.isoformat(), "folder": str(result.folder),
            "data_as_of": result.data_as_of.isoformat() if result.data_as_of else None,
            "as_of": result.as_of.isoformat() if result.as_of else None,
            "sample": result.sample, "fallback": result.fallback,
            "failed": {sid: kinds.get(sid, "failed") for sid in sorted(failed)},
            "stale": sorted(result.stale), "seconds": round(result.seconds, 3),
            "from_cache": "build" in result.cache.get("hits", {}),
            "files": [{"path": f.relative_to(result.folder).as_posix(),
                       "bytes": f.stat().st_size} for f in result.files]})
        return 0
    out = Console()
    if result.fallback:  # said even with --quiet: nobody should mistake this for real data
        out.print(f"[bold red]WARNING: {result.fallback}. It will not be e-mailed or "
                  "published unless forced (--force).[/]")
    if args.quiet:
        return 0
    if result.sample and not result.fallback:
        out.print("[bold red]SAMPLE DATA: this issue was built from the bundled synthetic "
                  "sample, not real observations.[/]")
    if failed and not result.fallback:  # with the sample fallback, the warning above says it
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
        types = "/".join(sorted({f.suffix[1:].upper() for f in group}))
        label = f"{folder.name}/ ({len(group)} {types} files)"
        out.print(f"  {label:<40} {_human(size):>9}")
    as_of = result.data_as_of.isoformat() if result.data_as_of else "no data"
    replayed = "build" in result.cache.get("hits", {})
    out.print(f"Data as of {as_of}; took {result.seconds:.1f} s"
              + (" (unchanged: the earlier build, from the cache)" if replayed else ""))
    return 0


def print_json(payload: Any) -> None:
    from reportgen.sources.commands import print_json as emit

    emit(payload)


def _warn(message: str) -> None:
    print(f"reportgen: warning: {message}", file=sys.stderr)


def cmd_charts(args: argparse.Namespace) -> int:
    from rich.console import Console

    from reportgen.pipeline import build_chart_pack
    from reportgen.scheduler import run_lock

    config = output_config(with_overrides(load_config(args.config), output_dir=args.output,
                                          languages=[args.lang] if args.lang else None))
    lang = config.report.languages[0]
    day = checked_date(args.date or dt.date.today(), "--date")
    console = Console(stderr=True, quiet=args.quiet)
    with (run_lock(config.output_dir, wait=True, timeout=config.schedule.lock_timeout),
          console.status("Starting", spinner="dots") as status):
        result = build_chart_pack(config, day, lang,
                                  args.chart_format, args.section,
                                  progress=_progress(status))
    if not args.quiet:
        print(f"{len(result.files)} charts written to {result.folder} "
              f"in {result.seconds:.1f} s")
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from reportgen.publish import unwritable
    from reportgen.scheduler import run_forever

    config = output_config(with_overrides(load_config(args.config), output_dir=args.output))
    try:
        config.output_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(config.output_dir / "reportgen-schedule.log",
                                      encoding="utf-8")
    except OSError as exc:
        raise unwritable(config.output_dir, exc) from None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for chatty in ("weasyprint", "fontTools", "matplotlib"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    return run_forever(config)


def cmd_send(args: argparse.Namespace) -> int:
    from reportgen.deliver import send

    config = output_config(with_overrides(load_config(args.config), output_dir=args.output,
                                          languages=args.lang))
    day = checked_date(args.date, "--date") if args.date else None
    report = send(config, day, args.lang and config.report.languages, args.to, args.force)
    for message in report.warnings:
        _warn(message)
    if args.json:
        print_json(report.to_json())
    elif not args.quiet:
        print(f"issue {report.issue_date}")
        for lang, addresses in report.sent.items():
            print(f"sent {lang} to {len(addresses)} address(es)")
        for lang, addresses in report.skipped.items():
            if addresses:
                print(f"skipped {len(addresses)} {lang} address(es) that already had this "
                      "issue")
    for address, reason in report.refused.items():
        _warn(f"{address}: {reason}; refused, not sent")
    for i, (address, reason) in enumerate(report.pending.items()):
        if i == MAX_LISTED:
            _warn(f"... and {len(report.pending) - i} more deferred")
            break
        _warn(f"{address}: {reason}; deferred by the server, pending (run `reportgen send` "
              "again later)")
    if report.refused:
        return 1
    return EXIT_DEFERRED if report.pending else 0


def cmd_publish(args: argparse.Namespace) -> int:
    from reportgen.scheduler import run_lock
    from reportgen.site import NO_SITE_URL, build_site

    config = output_config(with_overrides(load_config(args.config), output_dir=args.output))
    if args.base_url is not None:
        config = with_site_url(config, args.base_url)
    with run_lock(config.output_dir, wait=True, timeout=config.schedule.lock_timeout):
        site = build_site(config, force=args.force)
    if not config.site.url:
        _warn(NO_SITE_URL)
    if not args.quiet:
        print(f"site written to {site}")
    return 0


def cmd_completion(args: argparse.Namespace) -> int:
    print(shtab.complete(parser(), shell=args.shell))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import functools
    import http.server

    from reportgen.site import SITE_DIR

    config = output_config(with_overrides(load_config(args.config), output_dir=args.output))
    site = config.output_dir / SITE_DIR
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}: not a port; use 1 to 65535 (0: any free one)")
    if not (site / "index.html").is_file():
        raise ConfigError(f"{site}: no site to serve; run `reportgen publish` first")
    # The path, not its target: each request follows output/site to the version served now.
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ReportgenError(f"127.0.0.1:{args.port} is already in use; stop what "
                                 "listens there or pick another --port") from None
        raise ReportgenError(f"127.0.0.1:{args.port}: cannot listen ({exc.strerror}); "
                             "pick another --port") from None
    with server:
        print(f"serving {site} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)")
        server.serve_forever()
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from reportgen.sources.commands import fetch_command

    return fetch_command(load_config(args.config), args.series, args.quiet, args.json)


def cmd_import(args: argparse.Namespace) -> int:
    from reportgen.sources.commands import import_command

    return import_command(load_config(args.config), args.files, args.series)


def cmd_indicators(args: argparse.Namespace) -> int:
    from reportgen.sources.commands import indicators_command

    return indicators_command(load_config(args.config), args.json)


def cmd_doctor(args: argparse.Namespace) -> int:
    from reportgen.sources.commands import doctor_command

    return doctor_command(load_config(args.config), args.json)


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


def cmd_backtest(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from reportgen.pipeline import run_backtest

    if args.step < 1:
        raise ConfigError(f"--step {args.step}: give a whole number of days, 1 or more")
    config = load_config(args.config)
    console = Console(stderr=True, quiet=args.quiet)
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("Replaying", total=None)

        def progress(done: int, total: int, day: dt.date) -> None:
            bar.update(task, completed=done, total=total, description=f"Replaying {day}")

        folder, _, summary = run_backtest(config, args.start, args.end, args.step,
                                          args.out, progress)
    if not args.quiet:
        hits = summary["hit_rates"]
        print(f"{summary['readings']} readings from {summary['first']} to {summary['last']} "
              f"written to {folder}")
        bearish, base = hits["bearish"], hits["all_weeks"]
        if bearish["readings"] and base["readings"]:
            print(f"bearish readings followed by a bad 13 weeks: {bearish['rate_pct']:.0f}% of "
                  f"{bearish['readings']} (all weeks: {base['rate_pct']:.0f}% of "
                  f"{base['readings']}; {hits['episodes']} distinct episodes)")
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


MAX_LISTED = 20
# Commands that build and publish: SIGTERM unwinds them like Ctrl-C (staging removed).
PUBLISHING = ("run", "charts", "publish")


_STOPS: list[int] = []


def _stop(signum: int, _frame: Any) -> None:
    """SIGTERM unwinds like Ctrl-C. The stop is also remembered: an exception raised while
    the interpreter runs an at-fork hook (the pool forking its workers) is dropped."""
    _STOPS.append(signum)
    _checkpoint()


def _checkpoint() -> None:
    """Raise a stop that was asked for; called on entering every stage of a build too."""
    if _STOPS:
        if _STOPS[0] == signal.SIGTERM:
            raise Terminated("SIGTERM")
        raise KeyboardInterrupt


def _progress(status: Any) -> Any:
    def update(message: str) -> None:
        _checkpoint()
        status.update(message)
    return update


def _interrupted(exc: KeyboardInterrupt, command: str) -> int:
    """One line saying what a stop left behind; the documented exit code."""
    how = "stopped by SIGTERM" if isinstance(exc, Terminated) else "interrupted"
    where = getattr(exc, "published", None)
    if where:
        how += f"; the output was switched to the new build just before ({where})"
    elif command in PUBLISHING:
        how += "; nothing was published"
    print(f"reportgen: {how}", file=sys.stderr)
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.quiet and args.verbose:
        p.error("-q/--quiet and -v/--verbose contradict each other; pick one")
    if args.json and args.command not in JSON_COMMANDS:
        p.error(f"--json: `reportgen {args.command}` has no JSON output; it works with "
                + ", ".join(JSON_COMMANDS))
    level = (logging.ERROR if args.quiet else logging.DEBUG if args.verbose > 1
             else logging.INFO if args.verbose else logging.WARNING)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for chatty in ("weasyprint", "fontTools", "matplotlib", "PIL"):
        if args.verbose < 3:  # their INFO/DEBUG is about their own inner workings
            logging.getLogger(chatty).setLevel(max(level, logging.WARNING))
    if args.command in PUBLISHING:
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    try:
        commands = {"run": cmd_run, "charts": cmd_charts, "schedule": cmd_schedule,
                    "send": cmd_send,
                    "publish": cmd_publish,
                    "serve": cmd_serve, "config": cmd_config, "fetch": cmd_fetch,
                    "import": cmd_import, "indicators": cmd_indicators,
                    "doctor": cmd_doctor, "init": cmd_init, "sections": cmd_sections,
                    "backtest": cmd_backtest, "completion": cmd_completion}
        return commands[args.command](args)
    except ReportgenError as exc:
        print(f"reportgen: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        return _interrupted(exc, args.command)
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a file or folder the checks above did not foresee
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"reportgen: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
