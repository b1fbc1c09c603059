"""The static site: every published issue at a stable URL, an archive, feeds and a sitemap.

    site/index.html                      latest issue in each language
    site/archive.html                    every issue by date and language
    site/2026/11/23/<lang>/index.html    the HTML edition, its PDF beside it
    site/2026/11/23/charts/              the pictures the editions share
    site/latest/<lang>/index.html        points at the newest issue
    site/feeds/<lang>.xml                Atom feed per language
    site/sitemap.xml

Built from the dated issue folders in output/ (each checked against its manifest first)
into a new versioned folder, output/.site-PID-xxxx. output/site is a symbolic link to the
version being served, switched by renaming a new link over it: one atomic step, so there
is never a moment without a site nor one with half of one. The earlier version is removed
after the switch. Every link is relative, so the folder (`cp -rL`) can be copied to any
static host.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from feedgen.feed import FeedGenerator

from reportgen.content import ContentPaths
from reportgen.errors import PublishError
from reportgen.i18n import language_table, load_translations
from reportgen.layout import Issue as IssueFiles
from reportgen.narrative import N_
from reportgen.publish import (
    ISSUE_DIR,
    LEFTOVER,
    SIGNALS_FILE,
    clean_leftovers,
    exchange,
    remove,
    stops_held,
    unwritable,
    verify,
)

SITE_DIR = "site"
# The site's own words (home, archive, navigation), in the message catalogs like the rest.
SITE_WORDS = (N_("Home"), N_("Archive"), N_("Latest issue"), N_("Issue"))


@dataclass(frozen=True)
class Issue:
    date: dt.date
    folder: Path
    languages: tuple[str, ...]
    sample: bool
    stance: str

    def path(self, lang: str) -> str:
        """Stable URL path of one edition: 2026/11/23/en/."""
        return f"{self.date:%Y/%m/%d}/{lang}/"


def find_issues(output_dir: Path, languages: list[str]) -> list[Issue]:
    """Published issues, newest first, with the languages whose HTML edition exists."""
    issues = []
    for folder in sorted(output_dir.iterdir() if output_dir.is_dir() else [], reverse=True):
        signals_file = folder / SIGNALS_FILE
        if not (folder.is_dir() and ISSUE_DIR.match(folder.name) and signals_file.is_file()):
            continue
        try:
            payload = json.loads(signals_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PublishError(f"{signals_file}: unreadable ({exc}); rebuild that issue") from None
        files = IssueFiles(output_dir, dt.date.fromisoformat(folder.name))
        langs = tuple(lang for lang in languages if files.html(lang).is_file())
        if langs:
            stance = payload.get("signals", {}).get("macro_stance", {}).get("state", "")
            issues.append(Issue(dt.date.fromisoformat(folder.name), folder, langs,
                                bool(payload.get("sample")), stance))
    return issues


def _site_links(page: str, issue: Issue, lang: str, home: str, archive: str) -> str:
    """Point an edition's links at the site's layout and add a way home."""
    stem = IssueFiles(issue.folder.parent, issue.date).stem("")
    page = re.sub(rf'href="{re.escape(stem)}([A-Za-z-]+)\.html"', r'href="../\1/"', page)
    page = page.replace('src="charts/', 'src="../charts/')
    depth = "../../../../"
    nav = (f'<nav class="site-nav" style="font-size:0.85rem;padding:0.5rem 0">'
           f'<a href="{depth}index.html">{html.escape(home)}</a> · '
           f'<a href="{depth}archive.html">{html.escape(archive)}</a></nav>')
    return page.replace("<body>", "<body>\n" + nav, 1)


def _page(title: str, body: str, lang: str = "en") -> str:
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>"
            "body{font-family:Inter,'Noto Sans CJK TC',sans-serif;max-width:46rem;"
            "margin:0 auto;padding:1rem;line-height:1.5}table{border-collapse:collapse}"
            "td,th{padding:0.3rem 0.8rem 0.3rem 0;text-align:left}"
            ".flag{color:#b3261e;font-weight:700}</style></head>"
            f"<body>{body}</body></html>\n")


def _write_issue(issue: Issue, root: Path, translations: dict[str, Any]) -> None:
    day = root / f"{issue.date:%Y/%m/%d}"
    charts = issue.folder / "charts"
    if charts.is_dir():
        shutil.copytree(charts, day / "charts")
    for lang in issue.languages:
        t = translations[lang]
        target = day / lang
        target.mkdir(parents=True)
        files = IssueFiles(issue.folder.parent, issue.date)
        page = files.html(lang).read_text(encoding="utf-8")
        (target / "index.html").write_text(
            _site_links(page, issue, lang, t.gettext("Home"), t.gettext("Archive")),
            encoding="utf-8")
        pdf = files.pdf(lang)
        if pdf.is_file():
            shutil.copy2(pdf, target / pdf.name)


def _home(issues: list[Issue], tri: Callable[[str], str], names: dict[str, str]) -> str:
    """The home page serves all three languages, so its few words are in all three."""
    latest = issues[0]
    rows = "".join(
        f'<li lang="{lang}"><a href="latest/{lang}/index.html">{names[lang]}</a>'
        f" · {latest.date.isoformat()}</li>" for lang in latest.languages)
    flag = (f'<p class="flag">{html.escape(tri("SAMPLE DATA: not real observations"))}</p>'
            if latest.sample else "")
    body = (f"<h1>reportgen</h1>{flag}<h2>{html.escape(tri('Latest issue'))}: "
            f"{latest.date.isoformat()}</h2>"
            f'<ul>{rows}</ul><p><a href="archive.html">{html.escape(tri("Archive"))}</a> · '
            + " · ".join(f'<a href="feeds/{lang}.xml">Atom ({names[lang]})</a>'
                         for lang in names) + "</p>")
    return _page("reportgen", body)


def _archive(issues: list[Issue], tri: Callable[[str], str], names: dict[str, str]) -> str:
    head = "".join(f"<th>{names[lang]}</th>" for lang in names)
    home = html.escape(tri("Home"))
    rows = []
    for issue in issues:
        cells = []
        for lang in names:
            if lang in issue.languages:
                name = IssueFiles(issue.folder.parent, issue.date).pdf_name(lang)
                pdf = f"{issue.path(lang)}{name}"
                has_pdf = (issue.folder / Path(pdf).name).is_file()
                cells.append(f'<td><a href="{issue.path(lang)}index.html">HTML</a>'
                             + (f' · <a href="{pdf}">PDF</a>' if has_pdf else "") + "</td>")
            else:
                cells.append("<td>–</td>")
        flag = (f' <span class="flag">{html.escape(tri("sample"))}</span>' if issue.sample
                else "")
        rows.append(f"<tr><td>{issue.date.isoformat()}{flag}</td>{''.join(cells)}</tr>")
    body = (f'<h1>{html.escape(tri("Archive"))}</h1><p><a href="index.html">{home}</a></p>'
            f"<table><tr><th>{html.escape(tri('Issue'))}</th>{head}</tr>"
            f"{''.join(rows)}</table>")
    return _page("reportgen archive", body)


def _latest(issue: Issue, lang: str) -> str:
    href = f"../../{issue.path(lang)}index.html"
    return _page(f"reportgen {issue.date.isoformat()}",
                 f'<meta http-equiv="refresh" content="0; url={href}">'
                 f'<p><a href="{href}">{issue.date.isoformat()}</a></p>', lang)


def _feed(issues: list[Issue], lang: str, base_url: str, name: str) -> bytes:
    fg = FeedGenerator()
    fg.id(f"urn:reportgen:feed:{lang}")
    fg.title(f"reportgen ({name})")
    fg.link(href=f"{base_url}feeds/{lang}.xml", rel="self")
    fg.language(lang)
    fg.updated(dt.datetime.combine(issues[0].date, dt.time(), tzinfo=dt.UTC))
    for issue in reversed([i for i in issues if lang in i.languages]):
        entry = fg.add_entry()
        entry.id(f"urn:reportgen:issue:{issue.date.isoformat()}:{lang}")
        entry.title(f"reportgen {issue.date.isoformat()}"
                    + (" (sample data)" if issue.sample else ""))
        entry.link(href=f"{base_url}{issue.path(lang)}")
        entry.updated(dt.datetime.combine(issue.date, dt.time(), tzinfo=dt.UTC))
    return fg.atom_str(pretty=True)


def _sitemap(issues: list[Issue], base_url: str) -> str:
    urls = [f"{base_url}index.html", f"{base_url}archive.html"]
    urls += [f"{base_url}{i.path(lang)}" for i in issues for lang in i.languages]
    body = "".join(f"<url><loc>{html.escape(u)}</loc></url>" for u in urls)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>\n')


def build_site(output_dir: Path, locales: ContentPaths | Path, force: bool = False,
               base_url: str = "") -> Path:
    """Rebuild output/site from the published issues; refuse sample issues unless forced."""
    names = {code: raw["name"] for code, raw in language_table(locales).items()}
    languages = list(names)
    translations = {lang: load_translations(locales, lang) for lang in languages}

    def tri(msg: str) -> str:
        return " · ".join(dict.fromkeys(t.gettext(msg) for t in translations.values()))

    issues = find_issues(output_dir, languages)
    if not issues:
        raise PublishError(f"{output_dir}: no published issues to put on the site; "
                           "run `reportgen run` first")
    sample = [i for i in issues if i.sample]
    if sample and not force:
        raise PublishError(f"issue {sample[0].date.isoformat()} was built on sample data; "
                           "the site refuses it (pass --force to publish anyway)")
    for issue in issues:
        verify(issue.folder)
    site = output_dir / SITE_DIR
    try:
        clean_leftovers(output_dir)
        staging = Path(tempfile.mkdtemp(prefix=f".site-{os.getpid()}-", dir=output_dir))
    except OSError as exc:
        raise unwritable(output_dir, exc) from None
    try:
        for issue in issues:
            _write_issue(issue, staging, translations)
        (staging / "index.html").write_text(_home(issues, tri, names), encoding="utf-8")
        (staging / "archive.html").write_text(_archive(issues, tri, names), encoding="utf-8")
        (staging / "feeds").mkdir()
        for lang in names:
            latest = next((i for i in issues if lang in i.languages), None)
            if latest is None:
                continue
            (staging / "latest" / lang).mkdir(parents=True)
            (staging / "latest" / lang / "index.html").write_text(_latest(latest, lang),
                                                                  encoding="utf-8")
            feed = _feed(issues, lang, base_url, names[lang])
            (staging / "feeds" / f"{lang}.xml").write_bytes(feed)
        (staging / "sitemap.xml").write_text(_sitemap(issues, base_url), encoding="utf-8")
        return _swap(staging, site)
    except OSError as exc:
        remove(staging)
        raise PublishError(f"{site}: cannot write the site ({exc.strerror}); the site "
                           "already published is unchanged") from None
    except BaseException:
        remove(staging)
        raise


def _served(site: Path) -> str:
    """Name of the version folder `site` links to ('' when it is not such a link)."""
    try:
        target = os.readlink(site)
    except OSError:
        return ""
    return target if LEFTOVER.match(target) and "/" not in target else ""


def _swap(version: Path, site: Path) -> Path:
    """Point `site` at `version` by renaming a new link over it, then drop the old version.

    A site left by an earlier reportgen as a real folder is exchanged for the link in one
    step too where the system can; otherwise by two renames, this once.
    """
    os.chmod(version, site.parent.stat().st_mode & 0o777)  # mkdtemp made it private
    link = version.with_name(f"{version.name}-link")
    os.symlink(version.name, link)  # relative: the output folder can move
    earlier = site.parent / _served(site) if _served(site) else None
    try:
        with stops_held(site):
            if site.is_dir() and not site.is_symlink():
                earlier = _replace_folder(link, site, version.with_name(f"{version.name}-old"))
            else:
                os.replace(link, site)
    except BaseException:
        remove(link)
        raise
    if earlier is not None:
        remove(earlier)
    return site


def _replace_folder(link: Path, site: Path, aside: Path) -> Path:
    """Put `link` where the real folder `site` is; return where the folder went."""
    if exchange(link, site):
        return link
    os.replace(site, aside)
    try:
        os.replace(link, site)
    except OSError:
        os.replace(aside, site)
        raise
    return aside
