"""The HTML edition in a real browser (Debian's Chromium driven by Playwright), served on
127.0.0.1 as a static host would: no sideways scroll on a phone, every image loads, the
language switch and the section menu work. Screenshots go to test-artifacts/."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator

import pytest

from reportgen import PROJECT_ROOT
from reportgen.pipeline import file_stem
from tests.conftest import ISSUE_DATE, LANGUAGES, need

# its module-scoped fixtures are built once: on one worker under pytest-xdist
pytestmark = pytest.mark.xdist_group("test_html_browser")

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site(built) -> Iterator[str]:
    handler = functools.partial(Quiet, directory=str(built.folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=need("chromium"), args=CHROMIUM_ARGS)
        yield b
        b.close()


def url(site: str, lang: str) -> str:
    return f"{site}/{file_stem(ISSUE_DATE, lang)}.html"


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_layout_fits_and_images_load(browser, site, lang, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(url(site, lang), wait_until="load")
    sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"{lang} at {width}px scrolls sideways: {sizes}"
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src)")
    assert not broken and not failed, (broken, failed)
    assert page.evaluate("document.documentElement.lang") == lang
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"html-{lang}-{width}.png"), full_page=False)
    page.close()


def test_language_switch_and_section_menu(browser, site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url(site, "en"), wait_until="load")
    page.click('.lang-switch a[hreflang="zh-Hant"]')
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.lang") == "zh-Hant"
    page.click('.lang-switch a[hreflang="zh-Hans"]')
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"

    page.click('nav.menu a[href="#s4"]')
    page.wait_for_timeout(300)
    assert page.url.endswith("#s4")
    top, menu = page.evaluate(
        "[document.getElementById('s4').getBoundingClientRect().top,"
        " document.querySelector('nav.menu').getBoundingClientRect().bottom]")
    assert menu - 2 <= top < 300, f"heading at {top}px, sticky menu ends at {menu}px"
    page.close()


@pytest.mark.parametrize(("width", "scheme"), [(390, "light"), (390, "dark"), (1280, "light"),
                                               (1280, "dark")])
@pytest.mark.parametrize("lang", ["en", "zh-Hant"])
def test_the_edition_passes_axe_with_real_tables(browser, site, lang, width, scheme):
    """axe-core: no serious or critical finding on a phone and a desktop, light and dark
    (the state colours keep 4.5:1 on the dark paper). Tables stay tables (a table made
    display:block loses its semantics) and scroll inside a named region that takes focus."""
    from a11y import rules_run, violations

    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.goto(url(site, lang), wait_until="load")
    assert rules_run(page) > 20
    assert violations(page) == []
    tables = page.evaluate("""Array.from(document.querySelectorAll('table')).map(t => [
        getComputedStyle(t).display, t.parentElement.className,
        t.parentElement.getAttribute('tabindex'), t.parentElement.getAttribute('aria-label')])""")
    assert len(tables) >= 10
    assert all(d == "table" and c == "table-scroll" and tab == "0" and name
               for d, c, tab, name in tables), tables
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"html-{lang}-{width}-{scheme}.png"), full_page=False)
    page.close()
