"""The HTML edition in a real browser (Debian's Chromium driven by Playwright), served on
127.0.0.1 as a static host would: no sideways scroll on a phone, every image loads, the
language switch and the section menu work. Screenshots go to test-artifacts/."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

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


@dataclass
class Loaded:
    """An edition loaded once at one width, shared by the checks that only read it;
    `failed` holds the requests that failed while it loaded."""

    page: Any
    failed: list[str]


@pytest.fixture(scope="module")
def edition(browser, site) -> Iterator[Callable[..., Loaded]]:
    """The edition in `lang` at `width` and colour `scheme`: each (lang, width) is loaded
    once (a load costs Chromium 1.2-1.7 s of CPU) and shared by the tests that read it
    without clicking; the scheme is switched as the reader's system switches it
    (emulated media: the page's and the charts' own dark styles both follow), and the
    page is back at its top. Tests that click or navigate open their own page."""
    loaded: dict[tuple[str, int], Loaded] = {}

    def get(lang: str, width: int, scheme: str = "light") -> Loaded:
        if (lang, width) not in loaded:
            page = browser.new_page(viewport={"width": width, "height": 900})
            failed: list[str] = []
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
            page.goto(url(site, lang), wait_until="load")
            loaded[lang, width] = Loaded(page, failed)
        got = loaded[lang, width]
        got.page.emulate_media(color_scheme=scheme)
        got.page.evaluate("window.scrollTo(0, 0)")
        return got

    yield get
    for got in loaded.values():
        got.page.close()


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_layout_fits_and_images_load(edition, lang, width):
    got = edition(lang, width)
    page, failed = got.page, got.failed
    sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[0] <= sizes[1], f"{lang} at {width}px scrolls sideways: {sizes}"
    broken = page.evaluate(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src)")
    assert not broken and not failed, (broken, failed)
    assert page.evaluate("document.documentElement.lang") == lang
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"html-{lang}-{width}.png"), full_page=False)


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
    top, left, menu = page.evaluate(
        "[document.getElementById('s4').getBoundingClientRect().top,"
        " document.getElementById('s4').getBoundingClientRect().left,"
        " document.querySelector('nav.menu').getBoundingClientRect().right]")
    assert 0 <= top < 300 and menu <= left, f"heading at {top}px, {left}px; menu ends at {menu}px"
    page.close()


MENU = """(() => {
    const nav = document.querySelector('nav.menu'), r = nav.getBoundingClientRect();
    const all = Array.from(nav.querySelectorAll('a'));
    const links = all.map(a => a.getBoundingClientRect());
    const text = document.querySelector('main section.section').getBoundingClientRect();
    return {shown: all.filter(a => a.checkVisibility()).length, count: links.length,
            inside: links.every(l => l.left >= r.left - 1 && l.right <= r.right + 1
                                     && l.right <= innerWidth),
            cut: nav.scrollWidth > nav.clientWidth + 1, right: r.right, bottom: r.bottom,
            textLeft: text.left};
})()"""


@pytest.mark.parametrize("width", [1024, 1280])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_section_menu_fits_beside_the_text(edition, lang, width):
    """On a laptop every section title is in the menu, whole, and the menu sits beside the
    text instead of over it (it was one sticky line cut at "2. Tightening in the fo")."""
    page = edition(lang, width).page
    m = page.evaluate(MENU)
    assert m["count"] >= 10 and m["shown"] == m["count"], m
    assert m["inside"] and not m["cut"] and m["right"] <= m["textLeft"], m
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"html-menu-{lang}-{width}.png"))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_section_menu_is_a_button_on_a_phone(browser, site, lang):
    """On a phone the menu is one line, a button that opens the list; choosing a section
    goes there and folds the list away, the heading just below the sticky button."""
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(url(site, lang), wait_until="load")
    closed = page.evaluate(MENU)
    assert closed["shown"] == 0 and closed["bottom"] - page.evaluate(
        "document.querySelector('nav.menu').getBoundingClientRect().top") < 50, closed
    page.click("nav.menu summary")
    opened = page.evaluate(MENU)
    assert opened["shown"] == opened["count"] >= 10 and opened["inside"], opened
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"html-menu-{lang}-390-open.png"))
    page.click('nav.menu a[href="#s4"]')
    page.wait_for_timeout(300)
    after = page.evaluate(MENU)
    top = page.evaluate("document.getElementById('s4').getBoundingClientRect().top")
    assert after["shown"] == 0 and after["bottom"] - 2 <= top < 200, (after, top)
    page.close()


# The text of every chart, as drawn: its font sizes in the SVG's own units.
CHART_TEXT = """async () => {
    const out = [];
    for (const img of document.querySelectorAll('figure.chart img')) {
        img.scrollIntoView();
        await img.decode();
        const svg = await (await fetch(img.currentSrc)).text();
        const box = svg.match(/viewBox="([^"]+)"/)[1].split(/\\s+/).map(Number);
        const sizes = Array.from(svg.matchAll(/font-size: ([0-9.]+)px/g), m => Number(m[1]));
        out.push({src: img.currentSrc.split('/').pop(), shown: img.getBoundingClientRect().width,
                  drawn: box[2], smallest: Math.min(...sizes), texts: sizes.length});
    }
    return out;
}"""


@pytest.mark.parametrize("lang", LANGUAGES)
def test_chart_text_is_readable_on_a_phone(edition, lang):
    """At 390 px every chart is its phone drawing and its smallest text renders at 11 px
    or more (font size in the SVG x rendered width / SVG width); on a laptop the wide
    drawing, the one the PDF shows, is shown instead."""
    page = edition(lang, 390).page
    charts = page.evaluate(CHART_TEXT)
    assert len(charts) >= 20
    small = [(c["src"], round(c["smallest"] * c["shown"] / c["drawn"], 1)) for c in charts
             if c["smallest"] * c["shown"] / c["drawn"] < 11]
    assert not small, f"chart text under 11 px at 390 px: {small}"
    assert all(c["src"].endswith(".narrow.svg") and c["texts"] > 0 for c in charts), charts
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#fig-s4_reserves").screenshot(path=str(ARTIFACTS / f"chart-{lang}-390.png"))
    wide = edition(lang, 1280).page.evaluate(CHART_TEXT)
    assert len(wide) == len(charts) and not any(c["src"].endswith(".narrow.svg") for c in wide)


@pytest.mark.parametrize("width", [390, 1280])
def test_charts_are_dark_in_dark_mode(edition, width):
    """With the dark scheme the charts sit on the dark paper (their own style maps the
    house colours to dark variants), not in white cards; in light mode they stay white."""
    from PIL import Image

    backgrounds = {}
    for scheme in ("light", "dark"):
        page = edition("en", width, scheme).page
        shot = ARTIFACTS / f"chart-en-{width}-{scheme}.png"
        ARTIFACTS.mkdir(exist_ok=True)
        for chart in ("s4_reserves", "s3_companies"):
            page.locator(f"#fig-{chart} img").screenshot(path=str(shot))
            with Image.open(shot) as im:
                grey = im.convert("L")
                # the most common shade is the background (a corner may hold an axis)
                backgrounds[scheme, chart] = max(grey.getcolors(1 << 16))[1]
        page.locator("#fig-s4_reserves").screenshot(path=str(shot))
    for chart in ("s4_reserves", "s3_companies"):
        assert backgrounds["light", chart] > 240, backgrounds
        assert backgrounds["dark", chart] < 40, backgrounds


@pytest.mark.parametrize(("width", "scheme"), [(390, "light"), (390, "dark"), (1280, "light"),
                                               (1280, "dark")])
@pytest.mark.parametrize("lang", ["en", "zh-Hant"])
def test_the_edition_passes_axe_with_real_tables(edition, lang, width, scheme):
    """axe-core: no serious or critical finding on a phone and a desktop, light and dark
    (the state colours keep 4.5:1 on the dark paper). Tables stay tables (a table made
    display:block loses its semantics) and scroll inside a named region that takes focus."""
    from a11y import audit

    page = edition(lang, width, scheme).page
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (
        scheme == "dark")
    found = audit(page)
    assert found.rules_applied > 20
    assert found.violations == []
    tables = page.evaluate("""Array.from(document.querySelectorAll('table')).map(t => [
        getComputedStyle(t).display, t.parentElement.className,
        t.parentElement.getAttribute('tabindex'), t.parentElement.getAttribute('aria-label')])""")
    assert len(tables) >= 10
    assert all(d == "table" and c == "table-scroll" and tab == "0" and name
               for d, c, tab, name in tables), tables
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"html-{lang}-{width}-{scheme}.png"), full_page=False)
