"""The section seam: built-in, workspace and package sections register the same way, are
placed by order and `after`, fail early with one line when broken, and each renders alone
against the sample's analysis without a whole build."""

from __future__ import annotations

import logging
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from reportgen.catalog import load_catalog
from reportgen.content import ContentPaths, builtin, builtin_root
from reportgen.errors import CatalogError, RenderError
from reportgen.i18n import load_locales
from reportgen.render import report_untranslated
from reportgen.sections import ENTRY_POINT_GROUP, load_registry, select
from reportgen.signals import run_section
from tests.conftest import LANGUAGES, run_cli

BUILT_IN = ["cover", "contents", "glance", "changed", "s1", "s2", "s3", "s4", "s5", "s6",
            "s7", "s8", "conclusion", "record", "disclaimer", "appendix"]


def workspace(tmp_path: Path) -> ContentPaths:
    return ContentPaths({"sections": tmp_path / "sections"}, builtin_root())


def add_section(tmp_path: Path, sid: str, toml: str, template: str = "<p>{{ data }}</p>\n",
                **files: str) -> Path:
    folder = tmp_path / "sections" / sid
    folder.mkdir(parents=True)
    (folder / "section.toml").write_text(textwrap.dedent(toml), encoding="utf-8")
    if template is not None:
        (folder / "template.html.j2").write_text(template, encoding="utf-8")
    for name, text in files.items():
        path = folder / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def test_built_in_sections_come_in_reading_order_with_their_numbers():
    registry = load_registry(builtin())
    assert registry.ids() == BUILT_IN
    assert [s.number for s in registry if s.number] == list(range(1, 9))
    assert {s.origin for s in registry} == {"built-in"}
    # every signal's metadata is declared once, beside the section that computes it
    assert registry.signals["effr_pct"].rate and registry.signals["effr_pct"].flat_band == 0.05
    assert registry.cover_signals()[:2] == ["core_pce_yoy_pct", "effr_pct"]


def test_a_workspace_section_goes_right_after_the_one_it_names(tmp_path):
    add_section(tmp_path, "europe", 'title = "Europe watch"\nafter = "s4"\n')
    registry = load_registry(workspace(tmp_path))
    ids = registry.ids()
    assert ids[ids.index("s4") + 1] == "europe"
    numbers = {s.id: s.number for s in registry}
    assert (numbers["s4"], numbers["europe"], numbers["s5"], numbers["s8"]) == (4, 5, 6, 9)
    assert registry.get("europe").origin == "workspace"
    assert select(registry, ["5"]).ids() == ["europe"]  # the number the reader sees
    assert select(registry, ["s5"]).ids() == ["s5"]


def test_a_workspace_file_overrides_one_file_of_a_built_in_section(tmp_path):
    folder = tmp_path / "sections" / "s4"
    folder.mkdir(parents=True)
    (folder / "template.html.j2").write_text("<p>mine</p>", encoding="utf-8")
    s4 = load_registry(workspace(tmp_path)).get("s4")
    assert s4.file("template.html.j2") == folder / "template.html.j2"
    assert s4.file("charts.toml") == builtin_root() / "sections" / "s4" / "charts.toml"
    assert s4.origin == "built-in" and s4.compute is not None


@pytest.mark.parametrize(("files", "fragment"), [
    ({"toml": 'title = "X"\nafter = "s42"\n'}, "after = 's42': no such section"),
    ({"toml": 'title = "X"\n'}, "say where the section goes"),
    ({"toml": 'after = "s4"\n'}, "needs a title"),
    ({"toml": 'title = "X"\nafter = "s4"\ncolour = 1\n'}, "unknown key 'colour'"),
    ({"toml": 'title = "X"\nafter = "s4"\n', "template": None}, "template missing"),
    ({"toml": 'title = "X"\nafter = "s4"\nseries = ["NOPE"]\n'},
     "series 'NOPE' is not in the indicator catalog"),
    ({"toml": 'title = "X"\nafter = "s4"\ncompute = "reportgen.nowhere:compute"\n'},
     "cannot import reportgen.nowhere"),
    ({"toml": 'title = "X"\nafter = "s4"\n', "compute.py": "import nothing_here\n"},
     "compute.py:1: ModuleNotFoundError"),
    ({"toml": 'title = "X"\nafter = "s4"\n', "compute.py": "def compute(x:\n"},
     "compute.py:1: SyntaxError"),
    ({"toml": 'title = "X"\nafter = "s4"\n[signals.x_pct]\ntitle = "X"\nperiod = "week"\n'},
     "[signals.x_pct] period must be one of month, quarter, not 'week'"),
])
def test_a_broken_section_is_one_line_naming_its_file(tmp_path, files, fragment):
    toml = files.pop("toml")
    template = files.pop("template", "<p>x</p>")
    add_section(tmp_path, "bad", toml, template, **files)
    with pytest.raises(CatalogError) as err:
        paths = workspace(tmp_path)
        load_registry(paths, load_catalog(paths))
    message = str(err.value)
    assert fragment in message and "\n" not in message
    assert "sections/bad" in message


def test_after_in_a_circle_is_refused(tmp_path):
    add_section(tmp_path, "a", 'title = "A"\nafter = "b"\n')
    add_section(tmp_path, "b", 'title = "B"\nafter = "a"\n')
    with pytest.raises(CatalogError, match="circle"):
        load_registry(workspace(tmp_path))


@pytest.mark.slow
def test_cli_errors_before_any_data_work(tmp_path):
    """A template syntax error (exit 4, a template problem) and an exception inside compute
    (exit 2, input to fix): one line each, naming the file and line; nothing is written."""
    (tmp_path / "reportgen.toml").write_text(
        '[report]\nlanguages = ["en"]\nformats = ["html"]\noutput_dir = "out"\n'
        '[data]\nsource = "sample"\n', encoding="utf-8")
    add_section(tmp_path, "europe", 'title = "Europe watch"\nafter = "s4"\n',
                "<p>ok</p>\n{% for %}\n")
    r = run_cli("run", "--date", "2026-11-23", cwd=tmp_path)
    assert r.returncode == 4 and r.stderr.count("\n") == 1, r.stderr
    assert "sections/europe/template.html.j2:2: template syntax error" in r.stderr
    assert not (tmp_path / "out" / "2026-11-23").exists()
    (tmp_path / "sections" / "europe" / "template.html.j2").write_text("<p>{{ data.x }}</p>")
    (tmp_path / "sections" / "europe" / "compute.py").write_text(
        "def compute(snapshot):\n    return {'x': 1 / 0}\n", encoding="utf-8")
    r = run_cli("run", "--date", "2026-11-23", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "sections/europe/compute.py:2: compute failed: ZeroDivisionError" in r.stderr


@pytest.mark.slow
def test_a_package_adds_a_section_through_the_entry_point_group(tmp_path, monkeypatch):
    """A real distribution on sys.path (a .dist-info with entry_points.txt), found by
    importlib.metadata, as `pip install` would leave it."""
    site = tmp_path / "site"
    (site / "asiawatch").mkdir(parents=True)
    (site / "asiawatch" / "__init__.py").write_text(
        "from pathlib import Path\n\ndef folder():\n    return Path(__file__).parent / 'asia'\n")
    add_section(site / "asiawatch", "asia", 'title = "Asia watch"\nafter = "s6"\n')
    (site / "asiawatch" / "sections" / "asia").rename(site / "asiawatch" / "asia")
    info = site / "asiawatch-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: asiawatch\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nasia = asiawatch:folder\n")
    monkeypatch.syspath_prepend(str(site))
    registry = load_registry(builtin())
    ids = registry.ids()
    assert ids[ids.index("s6") + 1] == "asia"
    assert registry.get("asia").origin == "package asiawatch"
    monkeypatch.setenv("PYTHONPATH", str(site))
    (tmp_path / "reportgen.toml").write_text('[data]\nsource = "sample"\n', encoding="utf-8")
    r = run_cli("sections", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    asia = next(line for line in r.stdout.splitlines() if " asia " in line)
    assert "package asiawatch" in asia and asia.lstrip().startswith("7.")


def test_each_built_in_section_renders_alone_in_every_language(sample_issue):
    """No whole build: one section's template against the sample's analysis."""
    for lang in LANGUAGES:
        t = sample_issue.content.locales[lang].translations
        for section in sample_issue.content.registry:
            html = sample_issue.render([section.id], lang)
            if section.heading:
                assert f'id="{section.id}"' in html
                assert t.gettext(section.title) in html, (lang, section.id)


def test_a_workspace_sections_compute_feeds_its_template_and_translations(tmp_path, caplog):
    add_section(
        tmp_path, "europe", 'title = "Europe watch"\nafter = "s4"\nquestion = "Is it calm?"\n',
        '<p>{{ _("Euro area policy rate: %(rate)s.", rate=fmt.pct(data.rate)) }}</p>\n',
        **{"compute.py": """
            def compute(snapshot):
                return {"rate": 2.0}
            """,
           "locales__zh_Hant.po": """
            msgid ""
            msgstr ""
            "Content-Type: text/plain; charset=UTF-8\\n"

            msgid "Europe watch"
            msgstr "歐洲觀察"
            """})
    paths = ContentPaths({"sections": tmp_path / "sections"}, builtin_root())
    registry = load_registry(paths)
    europe = registry.get("europe")
    assert run_section(europe.compute, None, None).data == {"rate": 2.0}
    locales = load_locales(paths, ["en", "zh-Hant"], europe.catalogs())
    assert locales["zh-Hant"].gettext("Europe watch") == "歐洲觀察"
    assert locales["zh-Hant"].gettext("Macro stance") == "宏觀立場"  # the main catalog stays
    with caplog.at_level(logging.WARNING):
        report_untranslated(registry, locales)
    warnings = [r.getMessage() for r in caplog.records if "sections/europe" in r.getMessage()]
    assert len(warnings) == 1 and "zh-Hant" in warnings[0] and "Is it calm?" in warnings[0]


def test_a_template_error_in_a_section_names_the_file_and_line(tmp_path):
    add_section(tmp_path, "europe", 'title = "Europe watch"\nafter = "s4"\n',
                "<p>ok</p>\n<p>{% if %}</p>\n")
    from reportgen.render import environment, render_check

    paths = workspace(tmp_path)
    registry = load_registry(paths)
    env = environment(paths, load_locales(paths, ["en"])["en"].translations, " ", registry)
    with pytest.raises(RenderError, match=re.escape("europe/template.html.j2:2")):
        render_check(env, registry.get("europe").template)


@pytest.mark.slow
def test_sections_lists_every_section_with_its_origin(tmp_path):
    (tmp_path / "reportgen.toml").write_text('[data]\nsource = "sample"\n', encoding="utf-8")
    add_section(tmp_path, "europe", 'title = "Europe watch"\nafter = "s4"\n')
    r = run_cli("sections", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.splitlines()]
    ids = [row[1] for row in rows]
    assert ids == [*BUILT_IN[:8], "europe", *BUILT_IN[8:]]
    europe = next(line for line in r.stdout.splitlines() if " europe " in line)
    assert europe.lstrip().startswith("5.") and "workspace" in europe


@pytest.mark.slow
def test_a_workspace_section_sits_after_section_4_in_html_pdf_contents_and_bookmarks(
        tmp_path):
    """The contract end to end: a folder with section.toml and a template, nothing else,
    comes right after section 4 in every language's HTML, PDF contents page and outline."""
    from pypdf import PdfReader

    from tests.conftest import need
    from tests.test_pdf_layout import flat_outline, norm

    (tmp_path / "reportgen.toml").write_text(
        '[report]\noutput_dir = "out"\n[data]\nsource = "sample"\n', encoding="utf-8")
    add_section(tmp_path, "europe", 'title = "Europe watch"\nafter = "s4"\n',
                "<p>{{ _('Euro area watch list.') }}</p>\n")
    r = run_cli("run", "--date", "2026-11-23", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    issue = tmp_path / "out" / "2026-11-23"
    for lang in LANGUAGES:
        locale = load_locales(builtin(), [lang])[lang]
        s4, s5 = (locale.gettext(x) for x in (
            "Early fault lines in credit and private markets",
            "The K-shaped economy as a political variable"))
        html = (issue / f"reportgen-2026-11-23-{lang}.html").read_text("utf-8")
        order = [m.group(1) for m in re.finditer(r'<section class="section section-([\w-]+)"',
                                                  html)]
        assert order[order.index("s4") + 1] == "europe", order
        reader = PdfReader(issue / f"reportgen-2026-11-23-{lang}.pdf")
        numbered = [norm(t) for t, _ in flat_outline(reader) if re.match(r"\d+\.", t)]
        at = next(i for i, t in enumerate(numbered) if t.endswith(norm(s4)))
        assert numbered[at] == "4." + norm(s4), numbered
        assert numbered[at + 1] == norm("5. Europe watch"), numbered
        assert numbered[at + 2] == "6." + norm(s5), numbered
        toc = subprocess.run([need("pdftotext"), "-layout", "-f", "2", "-l", "2",
                              str(issue / f"reportgen-2026-11-23-{lang}.pdf"), "-"],
                             capture_output=True, text=True, check=True).stdout
        lines = [norm(x) for x in toc.splitlines() if x.strip()]
        i = next(k for k, x in enumerate(lines) if norm(s4) in x)
        assert "5.Europewatch" in lines[i + 1], lines
