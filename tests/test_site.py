"""The static site: stable URLs, archive, feeds, sample refusal, and a reader's path through
it in Chromium, served from 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import re
import shutil
import threading
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from reportgen import PROJECT_ROOT
from reportgen.config import load_config, with_overrides
from reportgen.errors import PublishError
from reportgen.pipeline import build
from reportgen.site import build_site
from tests.conftest import ISSUE_DATE, LANGUAGES, SAMPLE_CONFIG, need, run_cli
from tests.test_html_browser import CHROMIUM_ARGS, Quiet

# its module-scoped fixtures are built once: on one worker under pytest-xdist
pytestmark = pytest.mark.xdist_group("test_site")

OLD = dt.date(2026, 11, 16)
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


URL = "https://example.org/weekly/"


def site_config(out, url: str = ""):
    cfg = with_overrides(load_config(SAMPLE_CONFIG), output_dir=str(out))
    return replace(cfg, site=replace(cfg.site, url=url))


@pytest.fixture(scope="module")
def site(built, tmp_path_factory):
    """Two issues in three languages: this week's full build and an HTML-only older one."""
    out = tmp_path_factory.mktemp("siteout")
    shutil.copytree(built.folder, out / ISSUE_DATE.isoformat())
    config = with_overrides(load_config(SAMPLE_CONFIG), output_dir=str(out),
                            formats=["html"])
    build(config, OLD)
    with pytest.raises(PublishError, match=r"sample data.*--force"):
        build_site(site_config(out, URL))
    return build_site(site_config(out, URL), force=True)


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_stable_urls_feeds_and_sitemap(site):
    for day in (ISSUE_DATE, OLD):
        for lang in LANGUAGES:
            assert (site / f"{day:%Y/%m/%d}" / lang / "index.html").is_file()
    assert (site / f"{ISSUE_DATE:%Y/%m/%d}/en/reportgen-{ISSUE_DATE}-en.pdf").is_file()
    assert not list(site.rglob("*.email.png"))  # the e-mail's picture is not the site's
    for lang in LANGUAGES:
        feed = ET.parse(site / "feeds" / f"{lang}.xml").getroot()
        assert feed.tag == f"{ATOM}feed"
        assert len(feed.findall(f"{ATOM}entry")) == 2
        assert (site / lang / "index.html").is_file() and (site / lang / "archive.html").is_file()
    urls = [u.findtext(f"{SITEMAP}loc") for u in ET.parse(site / "sitemap.xml").getroot()]
    assert len(urls) == 1 + 2 * len(LANGUAGES) + 2 * len(LANGUAGES)
    assert all(u.startswith(URL) for u in urls), urls  # never a relative <loc>
    assert f"{URL}{ISSUE_DATE:%Y/%m/%d}/zh-Hant/" in urls
    latest = (site / "latest" / "en" / "index.html").read_text("utf-8")
    assert f"{ISSUE_DATE:%Y/%m/%d}/en/" in latest


def test_feeds_are_valid_atom_with_authors_summaries_and_absolute_links(site):
    """RFC 4287's required elements, checked on the parsed feed (lxml)."""
    from lxml import etree

    def one(parent, tag):
        found = parent.findall(f"{ATOM}{tag}")
        assert len(found) == 1, f"{tag}: {len(found)} in {parent.tag}"
        return found[0]

    def moment(text):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)",
                            text), text
        return dt.datetime.fromisoformat(text)

    titles = {}
    for lang in LANGUAGES:
        feed = etree.parse(str(site / "feeds" / f"{lang}.xml")).getroot()
        assert feed.tag == f"{ATOM}feed" and feed.get(XML_LANG) == lang
        assert one(feed, "id").text == f"{URL}feeds/{lang}.xml"
        assert one(feed, "title").text
        moment(one(feed, "updated").text)
        author = one(feed, "author")  # feed-level: every entry has an author (4.1.1)
        assert one(author, "name").text == "reportgen"
        links = {(x.get("rel"), x.get("type")): x.get("href")
                 for x in feed.findall(f"{ATOM}link")}
        assert links[("self", "application/atom+xml")] == f"{URL}feeds/{lang}.xml"
        assert links[("alternate", "text/html")] == f"{URL}{lang}/index.html"
        entries = feed.findall(f"{ATOM}entry")
        for entry in entries:
            assert one(entry, "id").text.startswith("urn:reportgen:issue:")
            moment(one(entry, "updated").text)
            alternate = [x for x in entry.findall(f"{ATOM}link")
                         if x.get("rel") == "alternate"]
            assert len(alternate) == 1 and alternate[0].get("href").startswith(URL)
            summary = one(entry, "summary").text
            assert summary.count("\n• ") >= 1, summary  # the stance, then the takeaways
        assert len({one(e, "id").text for e in entries}) == len(entries)
        newest = entries[0]  # newest first
        assert one(newest, "id").text == f"urn:reportgen:issue:{ISSUE_DATE}:{lang}"
        titles[lang] = one(newest, "title").text
        enclosure = [x for x in newest.findall(f"{ATOM}link") if x.get("rel") == "enclosure"]
        assert enclosure and enclosure[0].get("type") == "application/pdf" and int(
            enclosure[0].get("length")) > 10_000
        assert not [x for x in entries[1].findall(f"{ATOM}link")  # HTML only: no PDF
                    if x.get("rel") == "enclosure"]
        assert one(newest, "summary").text.startswith(
            {"en": "Macro stance: ", "zh-Hant": "宏觀立場：", "zh-Hans": "宏观立场："}[lang])
    assert titles["en"] == "Macro Liquidity Weekly · 23 Nov 2026 · Neutral (sample data)"
    assert titles["zh-Hant"] == "總經流動性週報 · 2026年11月23日 · 中性（示範資料）" or \
        titles["zh-Hant"].startswith("總經流動性週報 · 2026年11月23日 · 中性")


def test_pages_say_the_title_and_announce_their_feeds(site):
    home = (site / "index.html").read_text("utf-8")
    assert "<title>Macro Liquidity Weekly</title>" in home and "reportgen</title>" not in home
    assert ('<link rel="alternate" type="application/atom+xml" href="feeds/en.xml" '
            'title="Macro Liquidity Weekly: Atom feed (English)">') in home
    assert 'href="2026/11/23/en/index.html"' in home  # the latest issue, at its stable URL
    zh = (site / "zh-Hant" / "index.html").read_text("utf-8")
    assert '<html lang="zh-Hant">' in zh and "<title>總經流動性週報</title>" in zh
    for word in ("首頁", "過往各期", "最新一期", "跳至主要內容", "本週重點"):
        assert word in zh, word
    assert 'href="../feeds/zh-Hant.xml"' in zh
    archive = (site / "zh-Hans" / "archive.html").read_text("utf-8")
    assert "<caption" in archive and '<th scope="col">' in archive and \
        '<th scope="row">' in archive
    edition = (site / f"{ISSUE_DATE:%Y/%m/%d}" / "en" / "index.html").read_text("utf-8")
    assert ('<link rel="alternate" type="application/atom+xml" '
            'href="../../../../feeds/en.xml"') in edition
    assert f'<link rel="canonical" href="{URL}2026/11/23/en/">' in edition
    assert edition.index('class="site-bar"') < edition.index("<main")


def test_a_reader_walks_the_site(site, server):
    sync_api = pytest.importorskip("playwright.sync_api")
    bad: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=need("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("response", lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400
                else None)
        page.on("requestfailed", lambda r: bad.append(f"failed {r.url}"))
        page.goto(f"{server}/index.html", wait_until="load")
        page.click(f'a[href="{ISSUE_DATE:%Y/%m/%d}/en/index.html"] >> nth=0')  # latest issue
        page.wait_for_url(f"**/{ISSUE_DATE:%Y/%m/%d}/en/index.html")
        assert page.evaluate("document.documentElement.lang") == "en"
        page.click('.lang-switch a[hreflang="zh-Hant"]')  # language switch
        page.wait_for_load_state("load")
        assert f"{ISSUE_DATE:%Y/%m/%d}/zh-Hant/" in page.url
        assert page.evaluate("document.documentElement.lang") == "zh-Hant"
        page.click("nav.site-bar a >> nth=1")  # archive, in the reader's language
        page.wait_for_url("**/zh-Hant/archive.html")
        assert page.evaluate("document.documentElement.lang") == "zh-Hant"
        page.click(f'a[href="../{OLD:%Y/%m/%d}/zh-Hant/index.html"] >> nth=0')  # an old issue
        page.wait_for_load_state("load")
        broken = page.evaluate("Array.from(document.images).filter(i => !i.complete || "
                               "i.naturalWidth === 0).length")
        assert broken == 0
        page.go_back()
        page.click('.lang-list a[hreflang="en"]')  # the archive in English
        page.wait_for_url("**/en/archive.html")
        pdf = page.request.get(f"{server}/{ISSUE_DATE:%Y/%m/%d}/en/reportgen-{ISSUE_DATE}-en.pdf")
        assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
        browser.close()
    assert not bad, bad


def test_every_link_and_image_on_the_site_answers(site, server):
    """Crawl from the home page: every relative href and src must answer 200."""
    import re
    import urllib.parse
    import urllib.request

    seen, todo, bad = set(), [f"{server}/index.html"], []
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                body = resp.read()
                ctype = resp.headers.get_content_type()
        except Exception as exc:
            bad.append(f"{url}: {exc}")
            continue
        if ctype != "text/html":
            continue
        for ref in re.findall(rb'(?:href|src)="([^"#]+)"', body):
            ref = ref.decode()
            if "://" in ref or ref.startswith("mailto:"):
                continue
            target = urllib.parse.urljoin(url, ref)
            if target.endswith("/"):
                target += "index.html"
            todo.append(target)
    assert not bad, bad[:5]
    assert len(seen) > 40  # pages, charts, PDFs, feeds


# ---------------------------------------------------------------- the switch, and faults

@pytest.fixture
def out(built, tmp_path):
    """An output folder holding one complete issue (copied from the session's build)."""
    folder = tmp_path / "out"
    shutil.copytree(built.folder, folder / ISSUE_DATE.isoformat())
    return folder


def versions(out):
    return sorted(p.name for p in out.iterdir() if p.name.startswith(".site"))


def publish_site(out):
    return build_site(site_config(out), force=True)


def test_the_site_is_a_link_switched_in_one_rename_never_absent(out, monkeypatch):
    import os

    site = publish_site(out)
    assert site.is_symlink() and versions(out) == [os.readlink(site)]
    first = os.readlink(site)
    real, seen = os.replace, []

    def watched(src, dst):
        seen.append((site / "index.html").is_file())
        real(src, dst)
        seen.append((site / "index.html").is_file())

    monkeypatch.setattr(os, "replace", watched)
    assert publish_site(out) == site
    assert seen and all(seen)
    assert os.readlink(site) != first and versions(out) == [os.readlink(site)]
    assert (site / f"{ISSUE_DATE:%Y/%m/%d}/en/index.html").is_file()


@pytest.mark.parametrize("atomic", [True, False])
def test_a_site_left_as_a_real_folder_becomes_the_link(out, monkeypatch, atomic):
    import os

    from reportgen import site as site_module

    (out / "site").mkdir()
    (out / "site" / "index.html").write_text("an older reportgen's site")
    if not atomic:
        monkeypatch.setattr(site_module, "exchange", lambda a, b: False)
    site = publish_site(out)
    assert site.is_symlink() and "older" not in (site / "index.html").read_text()
    assert versions(out) == [os.readlink(site)]


def test_a_failed_switch_leaves_the_served_site_alone(out, monkeypatch):
    import errno
    import os

    site = publish_site(out)
    served, page = os.readlink(site), (site / "index.html").read_bytes()

    def replace(src, dst):
        raise OSError(errno.EROFS, "Read-only file system", str(dst))

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PublishError, match=r"site: cannot write the site \(Read-only"):
        publish_site(out)
    assert os.readlink(site) == served and (site / "index.html").read_bytes() == page
    assert versions(out) == [served]


def test_publish_refuses_an_issue_that_does_not_match_its_manifest(out):
    site = publish_site(out)
    page = (site / "index.html").read_bytes()
    pdf = out / ISSUE_DATE.isoformat() / f"reportgen-{ISSUE_DATE}-en.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"% edited")
    with pytest.raises(PublishError, match=rf"{ISSUE_DATE}: reportgen-{ISSUE_DATE}-en.pdf is "
                                           r"not the file this build wrote.*rebuild it"):
        publish_site(out)
    assert (site / "index.html").read_bytes() == page


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_follows_the_link_across_a_switch(out):
    import subprocess
    import sys
    import time
    import urllib.request

    publish_site(out)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "reportgen", "serve", "--port", str(port),
                             "--output", str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert "serving" in proc.stdout.readline()
        url = f"http://127.0.0.1:{port}/{ISSUE_DATE:%Y/%m/%d}/en/index.html"
        for _ in range(3):
            with urllib.request.urlopen(url, timeout=10) as resp:
                assert resp.status == 200 and b"<html" in resp.read()
            publish_site(out)  # a new version; the one served before is removed
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_on_a_port_in_use_or_invalid_is_one_line(out):
    import socket

    publish_site(out)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = run_cli("serve", "--port", str(port), "--output", str(out))
    assert r.returncode == 1
    assert r.stderr.strip() == (f"reportgen: error: 127.0.0.1:{port} is already in use; stop "
                                "what listens there or pick another --port")
    for bad in ("70000", "-1"):
        r = run_cli("serve", "--port", bad, "--output", str(out))
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
        assert f"--port {bad}: not a port" in r.stderr


# ---------------------------------------------------------------- without site.url, overrides

def test_without_a_site_url_links_are_relative_and_no_sitemap_is_written(out):
    r = run_cli("publish", "--force", "--output", str(out))  # tests/reportgen.toml: no url
    assert r.returncode == 0, r.stderr
    assert "reportgen: warning: site.url is not set: feed links are relative and no " \
           "sitemap.xml was written" in r.stderr
    site = out / "site"
    assert not (site / "sitemap.xml").exists()
    text = (site / "feeds" / "en.xml").read_text("utf-8")
    assert "<!-- site.url is not set: the links in this feed are relative to it" in text
    feed = ET.fromstring(text.encode())
    hrefs = [x.get("href") for x in feed.iter(f"{ATOM}link")]
    assert f"../{ISSUE_DATE:%Y/%m/%d}/en/" in hrefs and "en.xml" in hrefs
    assert not any("://" in h for h in hrefs)
    # publish --base-url gives the absolute links and the sitemap
    r = run_cli("publish", "--force", "--output", str(out), "--base-url", "https://x.example/w")
    assert r.returncode == 0 and "warning" not in r.stderr
    assert "<loc>https://x.example/w/2026/11/23/en/</loc>" in (
        site / "sitemap.xml").read_text("utf-8")


def test_a_workspace_overrides_the_site_templates(out, tmp_path):

    ws = tmp_path / "templates"
    (ws / "site").mkdir(parents=True)
    (ws / "site" / "site.css").write_text("body { color: #123456; }\n", encoding="utf-8")
    (ws / "site" / "home.html.j2").write_text(
        '{% extends "site/base.html.j2" %}{% block main %}<h1>{{ _("Home") }}: '
        "{{ latest.digest.headline }}</h1>{% endblock %}", encoding="utf-8")
    cfg = site_config(out)
    cfg = replace(cfg, paths=replace(cfg.paths, templates=str(ws)))
    assert cfg.content.file("templates", "site/archive.html.j2").is_relative_to(PROJECT_ROOT)
    site = build_site(cfg, force=True)
    assert (site / "site.css").read_text() == "body { color: #123456; }\n"
    assert "<h1>首頁: 總經流動性週報 · 2026年11月23日 · 中性</h1>" in (
        site / "zh-Hant" / "index.html").read_text("utf-8")
    assert "<caption" in (site / "archive.html").read_text("utf-8")  # built-in, not overridden


# ---------------------------------------------------------------- accessibility

@pytest.mark.parametrize("width", [390, 1280])
def test_site_pages_pass_axe_and_fit(site, server, width):
    """axe-core (serious and critical) on the home and archive pages in every language and
    on the site bar of an edition, at a phone's and a desktop's width, light and dark (each
    page loaded once, the scheme switched as the reader's system switches it).
    Screenshots go to test-artifacts/."""
    from a11y import audit, violations

    from tests.test_html_browser import ARTIFACTS

    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=need("chromium"), args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": width, "height": 900})
        page = ctx.new_page()
        page.set_content('<html lang="en"><body><p style="color:#bbb;background:#fff">faint'
                         '</p><img src="x.png"></body></html>')  # axe does see problems
        assert {v.split()[1].rstrip(":") for v in violations(page)} >= {"color-contrast",
                                                                         "image-alt"}
        targets = [(f"{lang}/{name}", None) for lang in LANGUAGES
                   for name in ("index.html", "archive.html")]
        targets.append((f"{ISSUE_DATE:%Y/%m/%d}/zh-Hant/index.html", ".site-bar"))
        for path, context in targets:
            page.goto(f"{server}/{path}", wait_until="load")
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            if scroll > inner:
                problems.append(f"{path}: scrolls sideways ({scroll} > {inner})")
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                found = audit(page, context)
                assert found.rules_applied > (10 if context is None else 3), path
                problems += [f"{path} ({scheme}): {v}" for v in found.violations]
                if context is None:
                    name = path.replace("/", "-").removesuffix(".html")
                    page.screenshot(path=str(ARTIFACTS / f"site-{name}-{width}-{scheme}.png"),
                                    full_page=True)
        # keyboard: the first Tab reaches the skip link, and it leads to the content
        page.goto(f"{server}/en/index.html", wait_until="load")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        browser.close()
    assert not problems, "\n".join(problems)
