"""Content: the built-in templates, charts, catalogs and locales, and a workspace's overrides.

The engine never reads content through a path relative to its own source. Built-in content
ships inside the wheel (`reportgen/content/<kind>/…`, mapped there from the repository's
top-level folders at build time) and is found with importlib.resources; a source checkout
(an editable install) has no such folder and reads the top-level folders themselves.

A workspace overrides any built-in file by putting a file at the same relative path
(`sections/s1/template.html.j2`, `catalogs/thresholds.toml`, …), the way MkDocs'
`custom_dir` works: lookups try the workspace folder first, then the built-in one.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from reportgen.errors import CatalogError

KINDS = ("templates", "sections", "charts", "catalogs", "locales")
PACKAGED = "content"  # reportgen/content/ inside an installed wheel


def builtin_root() -> Path:
    """Folder holding the built-in templates/, charts/, catalogs/ and locales/."""
    packaged = resources.files("reportgen").joinpath(PACKAGED)
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(str(resources.files("reportgen"))).parent  # a source checkout


def source_checkout() -> bool:
    """True when the built-in content is the repository's own folders (editable install)."""
    return not resources.files("reportgen").joinpath(PACKAGED).is_dir()


@dataclass(frozen=True)
class ContentPaths:
    """Where each kind of content is looked up: the workspace folder, then the built-in."""

    workspace: dict[str, Path]
    builtin: Path

    def dirs(self, kind: str) -> list[Path]:
        """Lookup order for `kind`; a workspace folder that does not exist is skipped, and a
        workspace that *is* the built-in folder (a source checkout) is listed once."""
        out: list[Path] = []
        for folder in (self.workspace.get(kind), self.builtin / kind):
            if folder is not None and folder.is_dir() and folder.resolve() not in {
                    p.resolve() for p in out}:
                out.append(folder)
        return out

    def file(self, kind: str, relative: str) -> Path:
        """The file that wins for `kind/relative`, or a one-line error naming both places."""
        for folder in self.dirs(kind):
            candidate = folder / relative
            if candidate.is_file():
                return candidate
        tried = [str(p / relative) for p in (self.workspace.get(kind), self.builtin / kind)
                 if p is not None]
        raise CatalogError(f"{kind}/{relative}: file not found (looked in "
                           + " and ".join(dict.fromkeys(tried)) + ")")

    def origin(self, kind: str, relative: str) -> str:
        """'workspace' or 'built-in': which copy of a file the build uses."""
        ws = self.workspace.get(kind)
        found = self.file(kind, relative)
        if ws is not None and found.resolve().is_relative_to(ws.resolve()) and not (
                found.resolve().is_relative_to((self.builtin / kind).resolve())):
            return "workspace"
        return "built-in"

    def overrides(self) -> list[str]:
        """Workspace files that replace a built-in file, as `kind/relative` paths."""
        out = []
        for kind in KINDS:
            ws = self.workspace.get(kind)
            base = self.builtin / kind
            if ws is None or not ws.is_dir() or ws.resolve() == base.resolve():
                continue
            for path in sorted(p for p in ws.rglob("*") if p.is_file()):
                rel = path.relative_to(ws).as_posix()
                if (base / rel).is_file():
                    out.append(f"{kind}/{rel}")
        return out


def builtin() -> ContentPaths:
    """The built-in content alone (no workspace)."""
    return ContentPaths({}, builtin_root())


def as_content(source: ContentPaths | Path, kind: str) -> ContentPaths:
    """Accept a plain folder where content is read: it acts as the workspace folder of
    `kind`, with the built-in files behind it."""
    if isinstance(source, ContentPaths):
        return source
    return ContentPaths({kind: Path(source)}, builtin_root())


def read_toml(path: Path) -> dict[str, Any]:
    """Read one content file (catalog, chart definitions, section list) or say what is wrong."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path}: not valid TOML ({exc})") from None
