"""Publish: move a finished build into output/YYYY-MM-DD/ without ever leaving half a file.

Everything is first written to a staging folder beside the output. Only when every file of
the issue exists does each one replace its published namesake by an atomic rename, so a
failed or interrupted run leaves earlier outputs exactly as they were.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from reportgen.errors import PublishError
from reportgen.layout import ISSUE_DIR, SIGNALS_FILE


def issue_dir(output_dir: Path, issue_date: dt.date) -> Path:
    return output_dir / issue_date.isoformat()


def staging_dir(output_dir: Path, issue_date: dt.date) -> Path:
    """A private folder on the same filesystem, so the final renames are atomic."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".staging-{issue_date.isoformat()}-",
                                     dir=output_dir))
    except OSError as exc:
        raise PublishError(f"{output_dir}: cannot create the output folder ({exc.strerror})"
                           ) from None


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True),
                   encoding="utf-8")
    os.replace(tmp, path)


def publish(staging: Path, target: Path, keep: set[str] | None = None) -> list[Path]:
    """Rename the staged files named in `keep` (all when None) into `target`.

    One atomic rename per file; anything not kept (print-only HTML, raster charts that
    only the PDF used) is discarded with the staging folder.
    """
    moved = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for src in sorted(p for p in staging.rglob("*") if p.is_file()):
            rel = src.relative_to(staging)
            if keep is not None and rel.as_posix() not in keep:
                continue
            dst = target / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            moved.append(dst)
    except OSError as exc:
        raise PublishError(f"{target}: cannot publish the issue ({exc.strerror})") from None
    finally:
        discard(staging)
    return moved


def previous_signals(output_dir: Path, issue_date: dt.date) -> tuple[dt.date, dict] | None:
    """The latest earlier issue's saved signals, if any issue was published before."""
    if not output_dir.is_dir():
        return None
    earlier = sorted((p for p in output_dir.iterdir()
                      if p.is_dir() and ISSUE_DIR.match(p.name)
                      and p.name < issue_date.isoformat() and (p / SIGNALS_FILE).is_file()),
                     reverse=True)
    for folder in earlier:
        try:
            payload = json.loads((folder / SIGNALS_FILE).read_text(encoding="utf-8"))
            return dt.date.fromisoformat(folder.name), payload["signals"]
        except (OSError, ValueError, KeyError):
            continue  # an unreadable file is skipped, the next older issue is tried
    return None
