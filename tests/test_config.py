from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from reportgen.config import describe, load_config, with_overrides
from reportgen.errors import ConfigError
from reportgen.workspace import config_template, init_workspace


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "reportgen.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_are_documented():
    keys = {o.key for o in describe() if o.doc}
    assert {"report.languages", "report.formats", "report.page_size", "data.source"} <= keys


def test_file_overrides_defaults_and_paths_resolve_against_file(tmp_path):
    cfg = load_config(write(tmp_path, '[report]\nlanguages = ["en"]\noutput_dir = "out"\n'))
    assert cfg.report.languages == ["en"]
    assert cfg.output_dir == tmp_path / "out"


@pytest.mark.parametrize(("text", "fragment"), [
    ('[report]\nlanguages = ["fr"]\n', "report.languages: unknown language 'fr'"),
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
    with pytest.raises(ConfigError, match="--lang: unknown language 'de'"):
        with_overrides(load_config(None), languages=["de"])
    cfg = with_overrides(load_config(None), languages=["zh-Hant", "zh-Hant", "en"])
    assert cfg.report.languages == ["zh-Hant", "en"]


def test_effective_values_say_where_they_came_from(tmp_path, monkeypatch):
    path = write(tmp_path, '[report]\ntitle = "House Weekly"\n[data]\ntimeout = 7\n')
    monkeypatch.setenv("REPORTGEN_SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("FRED_API_KEY", "abcdefabcdefabcdefabcdefabcdefab")
    cfg = with_overrides(load_config(path), page_size="Letter")
    got = {o.key: o for o in describe(cfg)}
    assert (got["report.title"].value, got["report.title"].origin) == ("House Weekly", "file")
    assert (got["data.timeout"].value, got["data.timeout"].origin) == (7, "file")
    assert (got["email.smtp_host"].value, got["email.smtp_host"].origin) == (
        "mail.example.org", "env")
    assert (got["report.page_size"].value, got["report.page_size"].origin) == ("Letter", "flag")
    assert got["report.languages"].origin == "default"
    assert got["data.fred_api_key"].shown == "(set)"  # a secret is never printed


def test_bad_environment_value_is_one_line(monkeypatch):
    monkeypatch.setenv("REPORTGEN_SMTP_PORT", "twenty-five")
    with pytest.raises(ConfigError, match="REPORTGEN_SMTP_PORT: expected a whole number"):
        load_config(None)


def test_init_writes_a_commented_config_that_parses_to_the_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("REPORTGEN_CACHE_DIR", raising=False)  # the suite's shared cache
    result = init_workspace(tmp_path / "ws")
    assert {p.name for p in result.created} == {"reportgen.toml", "README.md", "data", "notes"}
    text = (tmp_path / "ws" / "reportgen.toml").read_text("utf-8")
    assert text == config_template()
    # Uncommenting every option line gives a valid file whose values are the defaults.
    live = "\n".join(line[2:] if re.match(r"# [a-z_]+ = ", line) else line
                      for line in text.splitlines())
    raw = tomllib.loads(live)
    cfg = load_config(write(tmp_path, live))
    assert {o.key: o.value for o in describe(cfg)} == {o.key: o.default for o in describe()}
    assert set(raw) == {"report", "data", "email", "schedule", "site", "paths"}


def test_init_never_overwrites(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "reportgen.toml").write_text("# mine\n", encoding="utf-8")
    result = init_workspace(ws)
    assert ws / "reportgen.toml" in result.skipped
    assert (ws / "reportgen.toml").read_text("utf-8") == "# mine\n"
    assert (ws / "notes").is_dir()


def test_site_url_is_checked_and_ends_with_a_slash(tmp_path, monkeypatch):
    cfg = load_config(write(tmp_path, '[site]\nurl = "https://example.org/weekly"\n'))
    assert cfg.site.url == "https://example.org/weekly/"
    for bad in ("example.org/weekly", "ftp://example.org/", "https://exa mple.org/"):
        path = write(tmp_path, f'[site]\nurl = "{bad}"\n')
        with pytest.raises(ConfigError, match=r"site.url: .* is not an absolute http\(s\) URL"):
            load_config(path)
    monkeypatch.setenv("REPORTGEN_SITE_URL", "https://mirror.example.org/w/")
    cfg = load_config(write(tmp_path, '[site]\nurl = "https://example.org/weekly/"\n'))
    assert cfg.site.url == "https://mirror.example.org/w/"
    assert {o.key: o.origin for o in describe(cfg)}["site.url"] == "env"


def test_the_old_email_web_url_still_sets_the_site_url(tmp_path):
    cfg = load_config(write(tmp_path, '[email]\nweb_url = "https://example.org/weekly"\n'))
    assert cfg.site.url == "https://example.org/weekly/"
    assert {o.key: o.origin for o in describe(cfg)}["site.url"] == "file"
    same = '[email]\nweb_url = "https://example.org/w/"\n[site]\nurl = "https://example.org/w/"\n'
    assert load_config(write(tmp_path, same)).site.url == "https://example.org/w/"
    path = write(tmp_path, '[email]\nweb_url = "https://old.example.org/"\n'
                           '[site]\nurl = "https://new.example.org/"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "email.web_url (https://old.example.org/) and site.url (https://new.example.org/) " \
           "differ; keep site.url only" in str(err.value) and "\n" not in str(err.value)


def test_publish_base_url_flag_is_checked_like_the_file():
    from reportgen.config import with_site_url

    cfg = with_site_url(load_config(None), "http://127.0.0.1:8000")
    assert cfg.site.url == "http://127.0.0.1:8000/"
    assert {o.key: o.origin for o in describe(cfg)}["site.url"] == "flag"
    with pytest.raises(ConfigError, match="--base-url: 'weekly/' is not an absolute"):
        with_site_url(load_config(None), "weekly/")
