"""Babel extractor for the English strings in the TOML content files.

Chart titles, legend labels, section titles, trigger labels, indicator and event titles
live in data files, not code; this lets `pybabel extract` find them so translators see
every string the reader will.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any, BinaryIO

TRANSLATABLE_KEYS = frozenset({"title", "subtitle", "label", "question", "short", "units_label"})


def _walk(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TRANSLATABLE_KEYS and isinstance(value, str):
                yield value
            else:
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def extract_toml(fileobj: BinaryIO, keywords: Any, comment_tags: Any, options: Any
                 ) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Yield (lineno, funcname, message, comments) for Babel, one per translatable string."""
    text = fileobj.read().decode("utf-8")
    lines = text.splitlines()
    for message in dict.fromkeys(_walk(tomllib.loads(text))):
        needle = f'"{message}"'
        lineno = next((i + 1 for i, line in enumerate(lines) if needle in line), 0)
        yield lineno, None, message, []
