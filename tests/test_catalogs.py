"""Message catalogs: complete, consistent placeholders, Simplified in sync with Traditional."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from reportgen import PROJECT_ROOT

PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)s|%%")


def catalog(lang: str):
    with (PROJECT_ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """Every msgid in the code, templates and data files, extracted as a translator would."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
                    "-F", "babel.cfg", "-o", str(pot), "."], cwd=PROJECT_ROOT, check=True)
    with pot.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("lang", ["zh_Hant", "zh_Hans"])
def test_every_extracted_message_is_translated(extracted, lang):
    cat = catalog(lang)
    translated = {m.id for m in cat if m.id and m.string and "fuzzy" not in m.flags
                  and all(m.string if isinstance(m.string, tuple) else (m.string,))}
    missing = sorted(extracted - translated)
    assert not missing, f"{lang}: {len(missing)} untranslated, e.g. {missing[:5]}"


@pytest.mark.parametrize("lang", ["zh_Hant", "zh_Hans"])
def test_placeholders_survive_translation(lang):
    for m in catalog(lang):
        if not m.id or not m.string:
            continue
        source = m.id[-1] if isinstance(m.id, tuple) else m.id  # plural: compare with "other"
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        for form in forms:
            assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(form)), (
                f"{lang}: placeholders differ in {m.id!r} -> {form!r}")


def test_simplified_catalog_is_generated_from_traditional():
    r = subprocess.run([sys.executable, "scripts/hans_from_hant.py", "--check"],
                       cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_catalog_check_compares_messages_not_generator_headers():
    """A newer Babel stamps another Generated-By header: not a difference. A changed
    translation is."""
    spec = importlib.util.spec_from_file_location("hans", PROJECT_ROOT / "scripts" /
                                                  "hans_from_hant.py")
    hans = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hans)
    committed = (PROJECT_ROOT / "locales/zh_Hans/LC_MESSAGES/messages.po").read_bytes()
    restamped = re.sub(rb"Generated-By: Babel [0-9.]+", b"Generated-By: Babel 9.9.9", committed)
    assert restamped != committed
    assert hans.messages(restamped) == hans.messages(committed)
    changed = committed.replace("美联储".encode(), "联准会".encode(), 1)
    assert hans.messages(changed) != hans.messages(committed)


def test_simplified_uses_mainland_terms():
    text = Path(PROJECT_ROOT / "locales/zh_Hans/LC_MESSAGES/messages.po").read_text("utf-8")
    strings = "".join("".join(m.string) if isinstance(m.string, tuple) else m.string
                      for m in catalog("zh_Hans") if m.id)
    for taiwan in ("聯準會", "联准会", "殖利率", "通膨", "軟體", "資料"):
        assert taiwan not in strings, f"Taiwan usage {taiwan!r} left in zh_Hans"
    assert "美联储" in text
