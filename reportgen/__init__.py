"""reportgen: a weekly, data-driven US macro newsletter in three languages."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

# The source checkout's root, for the tests and scripts; the engine reads its content
# through reportgen.content, never through this path.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

FORMATS: tuple[str, ...] = ("pdf", "html")
