"""The static site: every published issue at a stable URL, an archive, feeds and a sitemap.

    site/index.html, archive.html        home and archive in the first language
    site/<lang>/index.html, archive.html home and archive in each language
    site/2026/11/23/<lang>/index.html    the HTML edition, its PDF beside it
    site/2026/11/23/charts/              the pictures the editions share
    site/latest/<lang>/index.html        points at the newest issue
    site/feeds/<lang>.xml                Atom feed per language
    site/sitemap.xml                     only with site.url (a sitemap needs absolute URLs)
    site/site.css                        the site's stylesheet (templates/site/site.css)

The pages are Jinja templates (templates/site/, found like every template, so a workspace
can override them) in the message catalogs' words; what they say of each issue (stance,
takeaways) is its digest, from its signals.json. With `site.url` feeds and the sitemap
carry absolute URLs; without it the links are relative (feeds say so in a comment, and no
sitemap is written).

Built from the dated issue folders in output/ (each checked against its manifest first)
into a new versioned folder, output/.site-PID-xxxx. output/site is a symbolic link to the
version being served, switched by renaming a new link over it: one atomic step, so there
is never a moment without a site nor one with half of one. The earlier version is removed
after the switch. Page links are relative, so the folder (`cp -rL`) can be copied to any
static host.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from feedgen.feed import FeedGenerator

from reportgen import __version__
from reportgen.config import Config
from reportgen.errors import PublishError
from reportgen.i18n import language_table
from reportgen.layout import Issue as IssueFiles
from reportgen.narrative import N_
from reportgen.narrative.digest import TONES, Digest, digest
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
from reportgen.render import environment, render_html

SITE_DIR = "site"
ATOM = "{http://www.w3.org/2005/Atom}"
STYLESHEET = "site/site.css"
EDITION_DEPTH = "../../../../"  # from 2026/11/23/<lang>/ back to the site's root
NO_SITE_URL = ("site.url is not set: feed links are relative and no sitemap.xml was written "
               "(a sitemap needs absolute URLs); set [site] url in reportgen.toml, or pass "
               "--base-url")
SAMPLE_MARK = N_("sample data")  # after a feed entry's title
STANCE_LINE = N_("Macro stance: %(stance)s")  # a feed entry's summary starts with it
RELATIVE_NOTE = ("site.url is not set: the links in this feed are relative to it; set [site] "
                 "url in reportgen.toml for absolute links, which feed readers need")


@dataclass
class Issue:
    date: dt.date
    folder: Path
    languages: tuple[str, ...]
    sample: bool
    stance: str
    payload: dict[str, Any] = field(default_factory=dict, repr=False)

    def path(self, lang: str) -> str:
        """Stable URL path of one edition: 2026/11/23/en/."""
        return f"{self.date:%Y/%m/%d}/{lang}/"

    def pdf(self, lang: str) -> str:
        """The PDF's file name in the edition's folder, or '' when the issue has none."""
        files = IssueFiles(self.folder.parent, self.date)
        return files.pdf_name(lang) if files.pdf(lang).is_file() else ""


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
                                bool(payload.get("sample")), stance, payload))
    return issues


@dataclass(frozen=True)
class Language:
    code: str
    name: str


class Pages:
    """The site's words and pages in every language: one Jinja environment and one digest
    per issue and language, built once."""

    def __init__(self, config: Config, issues: list[Issue], languages: list[Language]):
        from reportgen.pipeline import load_content

        self.config = config
        self.url = config.site.url
        self.issues = issues
        self.languages = languages
        self.names = {lang.code: lang.name for lang in languages}
        self.content = load_content(config, [lang.code for lang in languages])
        self.envs = {code: environment(config.content, loc.translations, loc.separator)
                     for code, loc in self.content.locales.items()}
        self.digests: dict[tuple[dt.date, str], Digest] = {}
        for issue in issues:
            for lang in issue.languages:
                self.digests[issue.date, lang] = digest(issue.payload, self.content, lang,
                                                        config.report.title)

    def gettext(self, lang: str, message: str) -> str:
        return self.content.locales[lang].gettext(message)

    def title(self, lang: str) -> str:
        return self.gettext(lang, self.config.report.title)

    def render(self, lang: str, template: str, base: str, page: str, page_file: str,
               **ctx: Any) -> str:
        common = {"lang": lang, "base": base, "page": page, "page_file": page_file,
                  "title": self.title(lang), "language_name": self.names[lang],
                  "languages": self.languages, "publisher": self.config.report.publisher,
                  "version": __version__, "tones": TONES,
                  "canonical": f"{self.url}{lang}/{page_file}" if self.url and page_file
                  else ""}
        return render_html(self.envs[lang], template, {**common, **ctx})

    def entry(self, issue: Issue, lang: str) -> dict[str, Any]:
        """One issue as the home and archive pages list it."""
        others = [{"code": o, "name": self.names[o], "path": issue.path(o)}
                  for o in issue.languages if o != lang]
        shown = lang if lang in issue.languages else issue.languages[0]
        return {"path": issue.path(lang), "pdf": issue.pdf(lang), "sample": issue.sample,
                "available": lang in issue.languages, "others": others,
                "digest": self.digests[issue.date, shown]}

    def home(self, lang: str, base: str) -> str:
        mine = [i for i in self.issues if lang in i.languages]
        return self.render(lang, "site/home.html.j2", base, "home", "index.html",
                           latest=self.entry(mine[0], lang),
                           recent=[self.entry(i, lang) for i in mine[1:9]])

    def archive(self, lang: str, base: str) -> str:
        return self.render(lang, "site/archive.html.j2", base, "archive", "archive.html",
                           issues=[self.entry(i, lang) for i in self.issues])

    def latest(self, issue: Issue, lang: str) -> str:
        return self.render(lang, "site/latest.html.j2", "../../", "latest", "",
                           target=f"../../{issue.path(lang)}index.html",
                           headline=self.digests[issue.date, lang].headline)

    def edition(self, page: str, issue: Issue, lang: str) -> str:
        """An issue's HTML edition as the site serves it: links pointed at the site's
        layout, the feed announced, and a bar leading home (before <main>, so the page's
        own skip link, if any, stays first)."""
        stem = IssueFiles(issue.folder.parent, issue.date).stem("")
        page = re.sub(rf'href="{re.escape(stem)}([A-Za-z-]+)\.html"', r'href="../\1/"', page)
        page = page.replace('src="charts/', 'src="../charts/')
        canonical = f"{self.url}{issue.path(lang)}" if self.url else ""
        ctx = {"lang": lang, "base": EDITION_DEPTH, "title": self.title(lang),
               "language_name": self.names[lang], "canonical": canonical}
        head = render_html(self.envs[lang], "site/edition_head.html.j2", ctx)
        bar = render_html(self.envs[lang], "site/edition_bar.html.j2", ctx)
        page = page.replace("</head>", head + "</head>", 1)
        at = page.find("<main")
        if at < 0:
            return page.replace("<body>", "<body>\n" + bar, 1)
        return page[:at] + bar + page[at:]

    def feed(self, lang: str) -> bytes:
        """The language's Atom feed (RFC 4287): author, a summary per entry (stance and
        takeaways), titles like 'Macro Liquidity Weekly · 24 Aug 2026 · Cautiously
        bullish'; absolute links with site.url, links relative to the feed without."""
        url = self.url
        root = url or "../"
        mine = [i for i in self.issues if lang in i.languages]
        fg = FeedGenerator()
        fg.id(f"{url}feeds/{lang}.xml" if url else f"urn:reportgen:feed:{lang}")
        fg.title(f"{self.title(lang)} ({self.names[lang]})")
        fg.author({"name": self.config.report.publisher, **({"uri": url} if url else {})})
        fg.link(href=f"{url}feeds/{lang}.xml" if url else f"{lang}.xml", rel="self",
                type="application/atom+xml")
        fg.link(href=f"{root}{lang}/index.html", rel="alternate", type="text/html")
        fg.subtitle(self.gettext(lang, "Liquidity, credit and policy, measured every week"))
        fg.language(lang)
        fg.generator("reportgen", version=__version__)
        fg.updated(_moment(mine[0].date))
        links: dict[str, list[dict[str, str]]] = {}
        for issue in reversed(mine):
            d = self.digests[issue.date, lang]
            entry = fg.add_entry()
            eid = f"urn:reportgen:issue:{issue.date.isoformat()}:{lang}"
            entry.id(eid)
            sample = f" ({self.gettext(lang, SAMPLE_MARK)})" if issue.sample else ""
            entry.title(d.headline + sample)
            links[eid] = [{"href": f"{root}{issue.path(lang)}", "rel": "alternate",
                           "type": "text/html", "hreflang": lang}]
            if issue.pdf(lang):
                pdf = IssueFiles(issue.folder.parent, issue.date).pdf(lang)
                links[eid].append({"href": f"{root}{issue.path(lang)}{pdf.name}",
                                   "rel": "enclosure", "type": "application/pdf",
                                   "length": str(pdf.stat().st_size)})
            entry.link(links[eid][0])
            entry.summary(summary_text(d, self.gettext(lang, STANCE_LINE)))
            entry.published(_moment(issue.date))
            entry.updated(_moment(issue.date))
        return _finish_feed(fg.atom_str(pretty=True), links,
                            "" if url else RELATIVE_NOTE)

    def sitemap(self) -> str:
        """sitemap.xml (sitemaps.org): absolute URLs only, so only with site.url."""
        urls: list[tuple[str, dt.date | None]] = [(self.url, None)]
        newest = self.issues[0].date
        urls += [(f"{self.url}{lang.code}/{page}", newest) for lang in self.languages
                 for page in ("index.html", "archive.html")
                 if any(lang.code in i.languages for i in self.issues)]
        urls += [(f"{self.url}{i.path(lang)}", i.date) for i in self.issues
                 for lang in i.languages]
        body = "".join(f"<url><loc>{escape(u)}</loc>"
                       + (f"<lastmod>{d.isoformat()}</lastmod>" if d else "") + "</url>\n"
                       for u, d in urls)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"{body}</urlset>\n")


def _finish_feed(xml: bytes, links: dict[str, list[dict[str, str]]], note: str) -> bytes:
    """feedgen 1.0 writes an entry's links with their href alone (it drops rel, type and
    length), which turns a PDF enclosure into a second alternate link: the links are put
    back here as given. `note` goes in a comment before the feed element."""
    from lxml import etree

    root = etree.fromstring(xml)
    for entry in root.iter(f"{ATOM}entry"):
        for old in entry.findall(f"{ATOM}link"):
            entry.remove(old)
        for attrs in links.get(entry.findtext(f"{ATOM}id"), []):
            etree.SubElement(entry, f"{ATOM}link", attrs)
    if note:  # said where someone debugging a feed reader will look
        root.addprevious(etree.Comment(f" {note} "))
    etree.indent(root, space="  ")
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8",
                          pretty_print=True)


def summary_text(d: Digest, stance_line: str) -> str:
    """A feed entry's summary: the stance, then the takeaways, one a line."""
    lines = [stance_line % {"stance": d.stance or "–"}] + [f"• {b.text}" for b in d.takeaways]
    return "\n".join(lines)


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def build_site(config: Config, force: bool = False) -> Path:
    """Rebuild output/site from the published issues; refuse sample issues unless forced."""
    output_dir = config.output_dir
    table = language_table(config.content)
    issues = find_issues(output_dir, list(table))
    if not issues:
        raise PublishError(f"{output_dir}: no published issues to put on the site; "
                           "run `reportgen run` first")
    sample = [i for i in issues if i.sample]
    if sample and not force:
        raise PublishError(f"issue {sample[0].date.isoformat()} was built on sample data; "
                           "the site refuses it (pass --force to publish anyway)")
    for issue in issues:
        verify(issue.folder)
    present = {lang for i in issues for lang in i.languages}
    first = [c for c in config.report.languages if c in present][:1]
    order = first + [c for c in table if c in present and c not in first]
    pages = Pages(config, issues, [Language(c, table[c]["name"]) for c in order])
    stylesheet = config.content.file("templates", STYLESHEET)
    site = output_dir / SITE_DIR
    try:
        clean_leftovers(output_dir)
        staging = Path(tempfile.mkdtemp(prefix=f".site-{os.getpid()}-", dir=output_dir))
    except OSError as exc:
        raise unwritable(output_dir, exc) from None
    try:
        _write(pages, staging, stylesheet, order)
        return _swap(staging, site)
    except OSError as exc:
        remove(staging)
        raise PublishError(f"{site}: cannot write the site ({exc.strerror}); the site "
                           "already published is unchanged") from None
    except BaseException:
        remove(staging)
        raise


def _write(pages: Pages, staging: Path, stylesheet: Path, order: list[str]) -> None:
    def put(relative: str, text: str | bytes) -> None:
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    shutil.copyfile(stylesheet, staging / "site.css")
    for issue in pages.issues:
        day = f"{issue.date:%Y/%m/%d}"
        charts = issue.folder / "charts"
        if charts.is_dir():
            shutil.copytree(charts, staging / day / "charts",
                            ignore=shutil.ignore_patterns("*.email.png"))
        files = IssueFiles(issue.folder.parent, issue.date)
        for lang in issue.languages:
            page = files.html(lang).read_text(encoding="utf-8")
            put(f"{day}/{lang}/index.html", pages.edition(page, issue, lang))
            if issue.pdf(lang):
                shutil.copy2(files.pdf(lang), staging / day / lang / issue.pdf(lang))
    for lang in order:
        put(f"{lang}/index.html", pages.home(lang, "../"))
        put(f"{lang}/archive.html", pages.archive(lang, "../"))
        latest = next(i for i in pages.issues if lang in i.languages)
        put(f"latest/{lang}/index.html", pages.latest(latest, lang))
        put(f"feeds/{lang}.xml", pages.feed(lang))
    put("index.html", pages.home(order[0], ""))
    put("archive.html", pages.archive(order[0], ""))
    if pages.url:
        put("sitemap.xml", pages.sitemap())


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
