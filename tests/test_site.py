"""The static site: stable URLs, archive, feeds, sample refusal, and a reader's path through
it in Chromium, served from 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import shutil
import threading
import xml.etree.ElementTree as ET

import pytest

from reportgen import PROJECT_ROOT
from reportgen.config import load_config, with_overrides
from reportgen.errors import PublishError
from reportgen.pipeline import build
from reportgen.site import build_site
from tests.conftest import ISSUE_DATE, LANGUAGES, SAMPLE_CONFIG, need, run_cli
from tests.test_html_browser import CHROMIUM_ARGS, Quiet

OLD = dt.date(2026, 11, 16)
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(built, tmp_path_factory):
    """Two issues in three languages: this week's full build and an HTML-only older one."""
    out = tmp_path_factory.mktemp("siteout")
    shutil.copytree(built.folder, out / ISSUE_DATE.isoformat())
    config = with_overrides(load_config(SAMPLE_CONFIG), output_dir=str(out),
                            formats=["html"])
    build(config, OLD)
    with pytest.raises(PublishError, match=r"sample data.*--force"):
        build_site(out, PROJECT_ROOT / "locales")
    return build_site(out, PROJECT_ROOT / "locales", force=True)


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
    for lang in LANGUAGES:
        feed = ET.parse(site / "feeds" / f"{lang}.xml").getroot()
        assert feed.tag == f"{ATOM}feed"
        assert len(feed.findall(f"{ATOM}entry")) == 2
    urls = ET.parse(site / "sitemap.xml").getroot()
    assert len(list(urls)) == 2 + 2 * len(LANGUAGES)
    latest = (site / "latest" / "en" / "index.html").read_text("utf-8")
    assert f"{ISSUE_DATE:%Y/%m/%d}/en/" in latest


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
        page.click('a[href="latest/en/index.html"]')  # home -> latest issue
        page.wait_for_url(f"**/{ISSUE_DATE:%Y/%m/%d}/en/index.html")
        assert page.evaluate("document.documentElement.lang") == "en"
        page.click('.lang-switch a[hreflang="zh-Hant"]')  # language switch
        page.wait_for_load_state("load")
        assert f"{ISSUE_DATE:%Y/%m/%d}/zh-Hant/" in page.url
        assert page.evaluate("document.documentElement.lang") == "zh-Hant"
        page.click("nav.site-nav a >> nth=1")  # archive
        page.wait_for_url("**/archive.html")
        page.click(f'a[href="{OLD:%Y/%m/%d}/en/index.html"]')  # an old issue
        page.wait_for_load_state("load")
        broken = page.evaluate("Array.from(document.images).filter(i => !i.complete || "
                               "i.naturalWidth === 0).length")
        assert broken == 0
        page.go_back()
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
    return build_site(out, PROJECT_ROOT / "locales", force=True)


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
