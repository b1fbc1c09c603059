"""The README tells the truth: its exit codes are the code's, and its example section,
written out as a workspace, builds."""

from __future__ import annotations

import re

import pytest

from reportgen import PROJECT_ROOT, errors
from tests.conftest import run_cli

README = (PROJECT_ROOT / "README.md").read_text("utf-8")


def test_the_readme_lists_every_exit_code():
    section = README.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    listed = {int(m) for m in re.findall(r"^\| (\d+) \|", section, re.M)}
    codes = {cls.exit_code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.ReportgenError)}
    codes |= {0, errors.EXIT_DEFERRED, errors.EXIT_INTERRUPTED, errors.EXIT_TERMINATED}
    assert listed == codes
    assert "`send` with no recipients" in section  # exit 2: a cron line that mails no one
    assert README.count("| code | meaning |") == 1  # one table, kept true


def example_files() -> dict[str, str]:
    """The code blocks whose first line names a file of the example section."""
    found = {}
    for block in re.findall(r"```\w*\n(.*?)```", README, re.S):
        first, _, body = block.partition("\n")
        name = re.fullmatch(r"(?:#|\{#) (sections/twoyear/[\w.]+)(?: #\})?", first.strip())
        if name:  # a Jinja comment stays (it is one); a TOML or Python one goes
            found[name.group(1)] = block if first.startswith("{#") else body
    return found


@pytest.mark.slow
def test_the_example_section_builds(tmp_path):
    files = example_files()
    assert set(files) == {f"sections/twoyear/{n}" for n in (
        "section.toml", "compute.py", "charts.toml", "template.html.j2")}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "reportgen.toml").write_text(
        '[report]\noutput_dir = "out"\nlanguages = ["en"]\nformats = ["html"]\n'
        '[data]\nsource = "sample"\n', encoding="utf-8")
    r = run_cli("run", "--date", "2026-11-23", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    issue = tmp_path / "out" / "2026-11-23"
    html = (issue / "reportgen-2026-11-23-en.html").read_text("utf-8")
    assert re.search(r"The two-year yield is \d\.\d\d% \(19 Nov 2026\), (up|down) \d+\u00a0bp over "
                     r"three months\.", html)
    assert (issue / "charts" / "twoyear_line.svg").is_file()
    order = re.findall(r'<section class="section section-([\w-]+)"', html)
    assert order[order.index("s4") + 1] == "twoyear"
