"""reportgen: a weekly, data-driven US macro newsletter in three languages."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

# Content (templates, charts, catalogs, locales) lives beside the package, outside the engine.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

LANGUAGES: tuple[str, ...] = ("en", "zh-Hant", "zh-Hans")
FORMATS: tuple[str, ...] = ("pdf", "html")
# Each language named in itself, for language switches and lists of editions.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "zh-Hant": "繁體中文", "zh-Hans": "简体中文"}
