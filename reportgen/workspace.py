"""`reportgen init`: start a workspace, the folder a user runs reportgen in.

A workspace holds the user's config, data store, notes and outputs, and any content files
that override the built-in ones. It never needs a copy of the built-in content: only the
files that differ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.config import CONFIG_NAME, ENV, describe
from reportgen.errors import ConfigError

README = """\
# A reportgen workspace

    reportgen run            # today's issue in output/YYYY-MM-DD/ (PDF and HTML, 3 languages)
    reportgen doctor         # sources, fonts, store, and where the content comes from
    reportgen config         # every option: its value here and where that value came from

- `reportgen.toml`: the configuration. Every option is listed, commented out at its default;
  uncomment and change what you need. Environment variables override the file and
  command-line flags override both (`reportgen config` shows which won).
- `data/`: the store (`reportgen.sqlite`) and your own CSV files (gold, index constituents,
  loan marks... see the README of reportgen).
- `notes/`: analyst commentary, `notes/YYYY-MM-DD/<section>.<lang>.md`.
- `output/`: the issues, written by `reportgen run`.

## Overriding the built-in content

The templates, chart definitions, catalogs and message catalogs ship inside reportgen. To
change one, put a file at the same relative path here; it replaces the built-in file of that
name and every other file stays built-in:

    sections/s1/template.html.j2           section 1's text
    templates/css/report.css               the house style of the PDF and web editions
    sections/s4/charts.toml                section 4's chart definitions
    catalogs/thresholds.toml               the levels the verdicts use
    locales/zh_Hant/LC_MESSAGES/messages.po  a language's wording

`reportgen doctor` lists the files this workspace overrides. Copy the built-in file first
(its path is printed by `reportgen doctor`) and edit the copy.
"""

FOLDERS = ("data", "notes")


@dataclass
class InitResult:
    folder: Path
    created: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def _toml(value: Any) -> str:
    """A TOML literal for an option's default (strings, numbers, booleans, lists, tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def config_template() -> str:
    """The commented reportgen.toml: every option at its default, with its documentation."""
    lines = ["# reportgen configuration. Every option is shown at its default, commented out:",
             "# uncomment a line to change it. Paths are relative to this file.",
             "# Environment variables win over this file, and flags win over both.", ""]
    section = None
    for option in describe():
        name, key = option.key.split(".")
        if name != section:
            lines += ([""] if section else []) + [f"[{name}]"]
            section = name
        var = ENV.get(option.key)
        doc = option.doc + (f" Env: {var}." if var and var not in option.doc else "")
        lines.append(f"# {doc}")
        lines.append(f"# {key} = {_toml(option.default)}")
    return "\n".join(lines) + "\n"


def init_workspace(folder: Path) -> InitResult:
    """Create the workspace's files and folders; never overwrite an existing file."""
    result = InitResult(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in FOLDERS:
            path = folder / name
            if path.exists():
                result.skipped.append(path)
            else:
                path.mkdir()
                result.created.append(path)
        for name, text in ((CONFIG_NAME, config_template()), ("README.md", README)):
            path = folder / name
            if path.exists():
                result.skipped.append(path)
                continue
            path.write_text(text, encoding="utf-8")
            result.created.append(path)
    except OSError as exc:
        raise ConfigError(f"{exc.filename or folder}: cannot create the workspace "
                          f"({exc.strerror})") from None
    return result
