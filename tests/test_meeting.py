"""The meeting edition: `reportgen run --section 4` writes that section alone (HTML, PDF,
chart pack) beside the issues, never into an issue's folder."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import need, run_cli
from tests.test_chart_pack import png_size

DATE = "2026-11-23"


@pytest.mark.slow
def test_section_4_alone_with_its_pdf_and_chart_pack(tmp_path):
    (tmp_path / "reportgen.toml").write_text(
        '[report]\noutput_dir = "out"\n[data]\nsource = "sample"\n', encoding="utf-8")
    r = run_cli("run", "--date", DATE, "--section", "4", "--lang", "en", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "out" / "meetings" / f"{DATE}-s4"
    assert f"Meeting edition {DATE} written to" in r.stdout
    assert not (tmp_path / "out" / DATE).exists()  # the folder is the alone
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    stem = f"reportgen-{DATE}-s4-en"
    assert f"{stem}.html" in names and f"{stem}.pdf" in names
    charts = [n for n in names if n.startswith("charts/")]
    pack = [n for n in names if n.startswith("chart-pack-en/")]
    assert charts and all(n.startswith("charts/s4_") and n.endswith(".svg") for n in charts)
    assert pack and all(n.startswith("chart-pack-en/s4_") and n.endswith(".png") for n in pack)
    assert len(names) == 2 + len(charts) + len(pack)
    w, h = png_size(folder / pack[0])
    assert abs(w / h - 16 / 9) < 0.01

    html = (folder / f"{stem}.html").read_text(encoding="utf-8")
    assert "Early fault lines in credit and private markets" in html
    assert "Tightening in the fog" not in html  # section 2 is not in it
    shown = [c for c in charts if ".en." in c or ".zh-" not in c]
    assert all(f'srcset="{c}"' in html if c.endswith(".narrow.svg") else f'src="{c}"' in html
               for c in shown)
    assert sum(c.endswith(".narrow.svg") for c in shown) == len(shown) / 2
    text = subprocess.run([need("pdftotext"), str(folder / f"{stem}.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Early fault lines in credit and private markets" in text
    assert "Tightening in the fog" not in text

    before = {n: (folder / n).read_bytes() for n in names}
    again = run_cli("run", "--date", DATE, "--section", "s4", "--lang", "en", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert {n: (folder / n).read_bytes() for n in names} == before

    bad = run_cli("run", "--date", DATE, "--section", "9", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    assert "--section 9: no such section" in bad.stderr

