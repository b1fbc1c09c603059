"""The meeting chart pack: one 16:9 picture per chart with its words inside."""

from __future__ import annotations

import struct

import pytest

from tests.conftest import run_cli


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.mark.slow
def test_section_pack_as_png_is_16_9(tmp_path):
    r = run_cli("charts", "--date", "2026-11-23", "--section", "4", "--lang", "en",
                "--output", str(tmp_path), "--quiet")
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "2026-11-23" / "chart-pack-en"
    names = sorted(p.name for p in folder.iterdir())
    assert names and all(n.startswith("s4_") and n.endswith(".png") for n in names)
    assert "s4_radar.png" in names
    for name in names:
        w, h = png_size(folder / name)
        assert abs(w / h - 16 / 9) < 0.01, (name, w, h)
        assert w >= 1900


@pytest.mark.slow
def test_svg_pack_carries_translated_words(tmp_path):
    r = run_cli("charts", "--date", "2026-11-23", "--section", "s1", "--format", "svg",
                "--lang", "zh-Hant", "--output", str(tmp_path), "--quiet")
    assert r.returncode == 0, r.stderr
    svg = (tmp_path / "2026-11-23" / "chart-pack-zh-Hant" / "s1_inflation.svg").read_text()
    assert "通膨年增率" in svg  # the title, kept as text
    assert "示範資料" in svg      # sample data is flagged inside the picture
    assert "Inflation, year on year" not in svg


@pytest.mark.slow
def test_unknown_section_is_a_clear_error(tmp_path):
    r = run_cli("charts", "--section", "9", "--output", str(tmp_path))
    assert r.returncode != 0
    assert r.stderr.strip().count("\n") == 0
    assert "--section 9: no such section" in r.stderr and "s8" in r.stderr
