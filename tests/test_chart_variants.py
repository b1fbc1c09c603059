"""The HTML edition's chart variants, drawn from the sample: phone drawings whose text stays
at least 11 px on a 390 px screen, and the dark-mode colours every report SVG carries
(charts/palette.toml [dark]) that browsers apply and WeasyPrint, laying out the PDF, does
not. The browser side (what Chromium shows) is in tests/test_html_browser.py."""

from __future__ import annotations

import re
import subprocess
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from reportgen.charts import NARROW_WIDTH_IN, dark_colors, dark_css
from reportgen.charts.draw import draw
from reportgen.content import builtin
from reportgen.pipeline import plan_charts
from tests.conftest import need

SHOWN_AT_390 = 358  # px: a 390 px screen less the page's 1rem margins
# one chart of each kind, and a chart per language (the radar)
PICKED = ("s4_reserves", "s4_radar", "s4_loan_marks", "s3_companies", "s6_top10",
          "s7_episodes", "s1_policy")
COLOUR = re.compile(r"(fill|stroke): (#[0-9a-f]{6})")


def palette() -> dict:
    return tomllib.loads(builtin().file("charts", "palette.toml").read_text(encoding="utf-8"))


def luminance(hex_colour: str) -> float:
    """WCAG relative luminance."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture(scope="module")
def jobs(sample_issue, tmp_path_factory):
    """The sample's chart jobs, wide and narrow, for an issue with an HTML edition."""
    si = sample_issue
    return plan_charts(si.config, si.content, si.analysis, si.snapshot,
                       si.content.registry.charts(), tmp_path_factory.mktemp("charts"),
                       raster=False, email=False)


@pytest.fixture(scope="module")
def drawn(jobs) -> dict[str, Path]:
    """The picked charts drawn, in this process: file name -> path."""
    picked = [j for j in jobs if j.spec.id in PICKED and j.lang in (None, "zh-Hant")]
    assert {j.spec.id for j in picked} == set(PICKED)
    return {d.path.name: d.path for d in map(draw, picked)}


def test_dark_variants_keep_their_contrast_on_the_dark_paper():
    """Words 4.5:1 and lines 3:1 against the paper of the edition's dark mode, and every
    series colour of the house palette has a dark variant."""
    pal = palette()
    dark = pal["dark"]
    css = builtin().file("templates", "css/screen.css").read_text(encoding="utf-8")
    assert f"--paper: {dark['paper']}" in css.split("prefers-color-scheme: dark")[1]
    weak = {f"{light}->{d}": round(contrast(d, dark["paper"]), 2)
            for group, floor in (("text", 4.5), ("lines", 3.0))
            for light, d in dark[group].items() if contrast(d, dark["paper"]) < floor}
    assert not weak, f"dark variants under their contrast floor: {weak}"
    assert {c.lower() for c in pal["series"]} <= {c.lower() for c in dark["lines"]}


def test_every_colour_drawn_has_a_dark_variant(drawn):
    """Each picture carries the dark style, and no colour it draws is left as drawn (a
    white card, a black line or #444 ticks on the dark paper)."""
    known = dark_colors(palette())
    for name, path in drawn.items():
        svg = path.read_text(encoding="utf-8")
        assert "@media (prefers-color-scheme: dark)" in svg, name
        left = {c for _, c in COLOUR.findall(svg)} - set(known)
        assert not left, f"{name}: no dark variant for {sorted(left)}"


def test_phone_drawings_are_planned_beside_the_wide_ones(jobs, sample_issue):
    """Every wide picture has a phone twin, language-neutral ones drawn once for all
    languages; the wide jobs (what the PDF shows, and its cache key) are the same as
    without an HTML edition."""
    wide = [j for j in jobs if not j.narrow]
    narrow = {(j.spec.id, j.lang): j for j in jobs if j.narrow}
    assert len(narrow) == len(wide) >= 25
    assert {(j.spec.id, j.lang) for j in wide} == set(narrow)
    assert ("s4_reserves", None) in narrow and ("s4_radar", "zh-Hans") in narrow
    assert all(j.path.name.endswith(".narrow.svg") for j in narrow.values())
    assert all(narrow[j.spec.id, j.lang].key() != j.key() for j in wide)
    si = sample_issue
    pdf_only = replace(si.config, report=replace(si.config.report, formats=["pdf"]))
    alone = plan_charts(pdf_only, si.content, si.analysis, si.snapshot,
                        si.content.registry.charts(), wide[0].path.parent, raster=False,
                        email=False)
    assert [j.key() for j in alone] == [j.key() for j in wide]


def test_phone_drawings_have_text_of_11_px_on_a_390_px_screen(drawn):
    """A phone drawing is 3.6 in wide and none of its text is under 9 pt: shown 358 px
    wide, the smallest renders at 12 px (11 px is the floor). The wide drawing, shown the
    same width, would be under 6 px."""
    for name, path in drawn.items():
        svg = path.read_text(encoding="utf-8")
        width = float(re.search(r'viewBox="0 0 ([0-9.]+) ', svg).group(1))
        sizes = [float(s) for s in re.findall(r"font-size: ([0-9.]+)px", svg)]
        smallest = min(sizes) * SHOWN_AT_390 / width
        if name.endswith(".narrow.svg"):
            assert width == pytest.approx(NARROW_WIDTH_IN * 72)
            assert smallest >= 11, f"{name}: {smallest:.1f} px"
        else:
            assert smallest < 7, f"{name}: {smallest:.1f} px"


def test_the_pdf_ignores_the_dark_style(drawn, tmp_path):
    """WeasyPrint lays out a chart with its dark style exactly as without it: the PDF
    keeps the light drawing."""
    from weasyprint import HTML

    svg = drawn["s4_reserves.svg"].read_text(encoding="utf-8")
    style = f'\n  <style type="text/css">{dark_css(palette())}</style>'
    assert style in svg
    (tmp_path / "with.svg").write_text(svg, encoding="utf-8")
    (tmp_path / "without.svg").write_text(svg.replace(style, ""), encoding="utf-8")
    pages = {}
    for name in ("with", "without"):
        HTML(string=f'<img src="{name}.svg" style="width:100%">',
             base_url=str(tmp_path)).write_pdf(tmp_path / f"{name}.pdf")
        subprocess.run([need("pdftoppm"), "-r", "60", "-png", "-singlefile",
                        str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True)
        pages[name] = (tmp_path / f"{name}.png").read_bytes()
    assert pages["with"] == pages["without"]
