from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.config import describe, load_config, with_overrides
from reportgen.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "reportgen.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_are_documented():
    keys = {k for k, _, doc in describe() if doc}
    assert {"report.languages", "report.formats", "report.page_size", "data.source"} <= keys


def test_file_overrides_defaults_and_paths_resolve_against_file(tmp_path):
    cfg = load_config(write(tmp_path, '[report]\nlanguages = ["en"]\noutput_dir = "out"\n'))
    assert cfg.report.languages == ["en"]
    assert cfg.output_dir == tmp_path / "out"


@pytest.mark.parametrize(("text", "fragment"), [
    ('[report]\nlanguages = ["fr"]\n', "report.languages: unknown value 'fr'"),
    ('[report]\npage_size = "A3"\n', "report.page_size: unknown value 'A3'"),
    ('[report]\nworkers = 0\n', "report.workers: must be at least 1"),
    ('[report]\nworkers = "two"\n', "report.workers: expected a whole number"),
    ('[report]\ncolour = "red"\n', "unknown key report.colour"),
    ('[reprot]\ntitle = "x"\n', "unknown section [reprot]"),
    ('[report\ntitle = "x"\n', "not valid TOML"),
    ('[report]\nformats = []\n', "report.formats: must not be empty"),
    ('[email]\nsender = "a@example.org\\r\\nBcc: all@example.org"\n',
     "email.sender: must be one line"),
    ('[email]\nlist_unsubscribe = "mailto:x@example.org\\nX-Evil: 1"\n',
     "email.list_unsubscribe: must be one line"),
    ('[email]\nbatch_size = 0\n', "email.batch_size: must be at least 1"),
    ('[report]\nmax_note_kb = 0\n', "report.max_note_kb: must be at least 1"),
])
def test_bad_config_names_key_and_problem(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert fragment in message
    assert str(path) in message
    assert "\n" not in message


def test_flags_are_validated_like_file_values():
    with pytest.raises(ConfigError, match="--lang: unknown value 'de'"):
        with_overrides(load_config(None), languages=["de"])
    cfg = with_overrides(load_config(None), languages=["zh-Hant", "zh-Hant", "en"])
    assert cfg.report.languages == ["zh-Hant", "en"]
