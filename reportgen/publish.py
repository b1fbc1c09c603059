"""Publish: put a finished build in place as output/YYYY-MM-DD/, never half of one, never two.

Everything is first written to a staging folder beside the output. When every file of the
issue exists, the staging folder trades places with the published folder in one atomic
rename (Linux renameat2 with RENAME_EXCHANGE), so a reader sees the earlier build or the
new one, never a mix: files the earlier build wrote and this one did not (its PDF, when the
re-run was `--format html`) leave with the earlier folder. Only the delivery ledger and
chart packs, which are not part of a build, are carried over. Where the exchange is not
available, two renames do the same with a moment without the folder, and a failed second
rename puts the earlier build back.

signals.json carries a manifest, the sha256 of every other file of the build, which `send`
and `publish` check before they use an issue.

Staging folders are named after their process (.staging-DATE-PID-xxxx); those whose
process is gone (killed, or the machine went down) are removed when the next build starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import fnmatch
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from reportgen import stops
from reportgen.errors import PublishError
from reportgen.layout import ISSUE_DIR, LEDGER_FILE, PACK_PREFIX, SIGNALS_FILE
from reportgen.locking import process_alive

log = logging.getLogger(__name__)

# Kept across rebuilds of an issue: deliver's ledger of who has had it (so a rebuild
# never mails anyone twice) and the chart packs `reportgen charts` writes.
CARRIED_OVER = (LEDGER_FILE, f"{PACK_PREFIX}*")
# Scratch folders of builds and site builds; the number after the prefix is the owner's pid.
LEFTOVER = re.compile(r"^\.(?:staging-\d{4}-\d{2}-\d{2}|site(?:-old)?)-(?:(\d+)(?:-|$))?")
PREVIOUS_ISSUE_MAX_DAYS = 28  # "what changed" compares with an issue of the last 4 weeks
LEGACY_AGE = 24 * 3600  # scratch folders of older versions name no pid: removed after a day


def issue_dir(output_dir: Path, issue_date: dt.date) -> Path:
    return output_dir / issue_date.isoformat()


def unwritable(output_dir: Path, exc: OSError) -> PublishError:
    """The one-line error for an output folder that cannot be written."""
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return PublishError(f"{output_dir}: an existing file is in the way of the output "
                            "folder; remove it or pass another --output")
    return PublishError(f"{output_dir}: cannot write to the output folder ({exc.strerror}); "
                        "check its permissions or pass another --output")


def staging_dir(output_dir: Path, issue_date: dt.date) -> Path:
    """A private folder on the same filesystem, so the final rename is atomic."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        clean_leftovers(output_dir)
        return Path(tempfile.mkdtemp(
            prefix=f".staging-{issue_date.isoformat()}-{os.getpid()}-", dir=output_dir))
    except OSError as exc:
        raise unwritable(output_dir, exc) from None


def clean_leftovers(output_dir: Path) -> list[Path]:
    """Remove staging and site-build folders whose process is gone.

    Folders of a live process (a concurrent build, or a chart pack being drawn) are left
    alone, whatever their age, and so is any folder a link in output/ points to (the site
    version being served).
    """
    entries = list(output_dir.iterdir())
    served = {os.readlink(e) for e in entries if e.is_symlink() and not LEFTOVER.match(e.name)}
    removed = []
    for entry in entries:
        found = LEFTOVER.match(entry.name)
        if not found or entry.name in served:
            continue
        try:
            modified = entry.lstat().st_mtime
        except FileNotFoundError:
            continue
        if found.group(1) is None:
            gone = time.time() - modified > LEGACY_AGE
        else:
            gone = not process_alive(int(found.group(1)), modified)
        if gone:
            remove(entry)
            removed.append(entry)
            log.info("removed %s, left by a build that did not finish", entry)
    return removed


def remove(path: Path) -> None:
    """Delete a folder, file or link, whatever is there; never raise."""
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(OSError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True),
                   encoding="utf-8")
    os.replace(tmp, path)


def sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def manifest(folder: Path, names: Iterable[str]) -> dict[str, str]:
    """The sha256 of each named file of a build, for signals.json."""
    return {name: sha256(folder / name) for name in sorted(names)}


def _carried(name: str) -> bool:
    top = name.split("/", 1)[0]
    return any(fnmatch.fnmatch(top, p) or fnmatch.fnmatch(top, p + ".tmp")
               for p in CARRIED_OVER)


def verify(folder: Path, read: Collection[str] = ()) -> tuple[dict[str, Any], dict[str, bytes]]:
    """An issue's signals.json, once every file of the folder matches its manifest.

    The files named in `read` come back as the very bytes that were checked, so what is
    e-mailed is what was verified. Raises FileNotFoundError when there is no signals.json
    (no issue), PublishError when a file is missing, changed, or left from another build.
    """
    rebuild = f"rebuild it with `reportgen run --date {folder.name}`"
    signals_path = folder / SIGNALS_FILE
    try:
        payload = json.loads(signals_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise PublishError(f"{signals_path}: unreadable ({exc}); {rebuild}") from None
    listed = payload.get("manifest") if isinstance(payload, dict) else None
    if not isinstance(listed, dict) or not listed:
        raise PublishError(f"{folder}: signals.json lists no files (no manifest: built by an "
                           f"older reportgen or edited by hand); {rebuild}")
    contents: dict[str, bytes] = {}
    for name, digest in listed.items():
        path = folder / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise PublishError(f"{signals_path}: the manifest names {name!r}, outside the "
                               f"issue; {rebuild}")
        try:
            if name in read:
                contents[name] = path.read_bytes()
                found = hashlib.sha256(contents[name]).hexdigest()
            else:
                found = sha256(path)
        except FileNotFoundError:
            raise PublishError(f"{folder}: {name} is missing; {rebuild}") from None
        except OSError as exc:
            raise PublishError(f"{path}: unreadable ({exc.strerror}); {rebuild}") from None
        if found != digest:
            raise PublishError(f"{folder}: {name} is not the file this build wrote (its "
                               f"sha256 differs from the manifest); {rebuild}")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*")
               if not p.is_dir() or p.is_symlink()}
    extra = sorted(n for n in present - set(listed) - {SIGNALS_FILE} if not _carried(n))
    if extra:
        raise PublishError(f"{folder}: {extra[0]} is not part of this build (left from "
                           f"another one); {rebuild}")
    return payload, contents


def publish(staging: Path, target: Path, keep: set[str] | None = None) -> list[Path]:
    """Make the staged files named in `keep` (all when None) the whole of `target`.

    Anything not kept (print-only HTML, raster charts that only the PDF used) is dropped
    first; the ledger and chart packs of the earlier build are carried over; then one
    atomic exchange publishes the rest. A stop signal arriving during the exchange takes
    effect right after it (the exception then says where the issue was published).
    """
    earlier = None
    try:
        kept = _prune(staging, keep)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(staging, target.parent.stat().st_mode & 0o777)  # mkdtemp made it private
        with stops_held(target):
            _carry_over(target, staging)
            earlier = _commit(staging, target)
    except OSError as exc:
        raise PublishError(f"{target}: cannot publish the issue ({exc.strerror}); the "
                           "earlier build, if any, is unchanged") from None
    finally:
        discard(staging)
        if earlier is not None:
            discard(earlier)
    return [target / rel for rel in kept]


def _prune(staging: Path, keep: set[str] | None) -> list[str]:
    """Delete what is not to be published; return what is, relative to `staging`."""
    kept = []
    for path in sorted(staging.rglob("*"), reverse=True):  # children before their folder
        rel = path.relative_to(staging).as_posix()
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
        elif keep is None or rel in keep:
            kept.append(rel)
        else:
            path.unlink()
    return sorted(kept)


def _carry_over(target: Path, staging: Path) -> None:
    """Hard-link (or copy) the earlier build's ledger and chart packs into the new one."""
    if not target.is_dir():
        return
    for entry in target.iterdir():
        if not _carried(entry.name) or entry.name.endswith(".tmp"):
            continue
        dst = staging / entry.name
        if dst.exists():
            continue
        if entry.is_dir():
            shutil.copytree(entry, dst, symlinks=True, copy_function=_link)
        else:
            _link(entry, dst)


def _link(src: Any, dst: Any) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _commit(staging: Path, target: Path) -> Path | None:
    """Put `staging` at `target`; return where the earlier build now is (to be removed)."""
    if not target.exists() and not target.is_symlink():
        os.replace(staging, target)
        return None
    if exchange(staging, target):
        return staging
    aside = staging.with_name(staging.name + "-earlier")
    os.replace(target, aside)
    try:
        os.replace(staging, target)
    except OSError:
        try:
            os.replace(aside, target)  # put the earlier build back
        except OSError:
            raise PublishError(f"{target}: cannot publish the issue, nor put the earlier "
                               f"build back; it is in {aside}") from None
        raise
    return aside


def _load_renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None  # glibc older than 2.28
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                   ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _load_renameat2()
AT_FDCWD, RENAME_EXCHANGE = -100, 2


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths in one atomic step; False where the system or the
    filesystem cannot (then the caller falls back to renames)."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def stops_held(published: Path) -> Iterator[None]:
    """Hold SIGINT and SIGTERM while output is switched; a stop held past a successful
    switch is raised with `published` set on it, for the CLI to say what was published."""
    switched = False
    try:
        with stops.held():
            yield
            switched = True
    except KeyboardInterrupt as exc:
        if switched:
            exc.published = published  # type: ignore[attr-defined]
        raise


def previous_signals(output_dir: Path, issue_date: dt.date) -> tuple[dt.date, dict] | None:
    """The latest earlier issue's saved signals, if one was published in the
    PREVIOUS_ISSUE_MAX_DAYS before: an older one is not "the last issue" of a weekly (a
    replay after a gap would compare a year's moves as if they were the week's), and the
    caller compares with the data of a week before instead."""
    if not output_dir.is_dir():
        return None
    oldest = (issue_date - dt.timedelta(days=PREVIOUS_ISSUE_MAX_DAYS)).isoformat()
    try:
        earlier = sorted((p for p in output_dir.iterdir()
                          if p.is_dir() and ISSUE_DIR.match(p.name)
                          and oldest <= p.name < issue_date.isoformat()
                          and (p / SIGNALS_FILE).is_file()),
                         reverse=True)
    except OSError as exc:
        raise unwritable(output_dir, exc) from None
    for folder in earlier:
        try:
            payload = json.loads((folder / SIGNALS_FILE).read_text(encoding="utf-8"))
            return dt.date.fromisoformat(folder.name), payload["signals"]
        except (OSError, ValueError, KeyError):
            continue  # an unreadable file is skipped, the next older issue is tried
    return None
