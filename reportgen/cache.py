"""Cache: what was drawn, laid out or computed once is never made again from the same inputs.

Every entry is found by a *key*: the SHA-256 of everything that went into it (a chart's
data slice, spec, house style and fonts; a PDF's HTML and the charts it shows; the
reportgen version and the code; see `reportgen.fingerprint`). A change to any input is a
new key, so nothing is ever invalidated by hand and a stale entry is simply never asked for.

    <root>/blobs/ab/<sha256>              file contents, named by their own hash (kept once)
    <root>/entries/<kind>/ab/<key>.json   what one key made: {name: blob hash} and facts
    <root>/tmp/                           files being written

A write puts the blobs in place first (written to tmp/, then renamed), then the entry (the
same way), so an entry exists only once everything it names is complete: a run that fails
or is killed halfway leaves at most unused blobs and tmp files, never an entry that points
at a half-written file. A read checks each blob against its hash; a damaged one makes the
entry a miss and is removed. The cache is bounded: past `max_bytes`, the least recently used
entries go first (a hit touches its entry), then the blobs no entry names.

Entries are pickled only for the analysis (`put_object`), which the cache's own process wrote
into the output folder; keep the output folder as private as the store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_DIR = ".cache"
FORMAT = "1"  # bump when the layout below changes: old entries are then never read
TMP_MAX_AGE_S = 3600.0  # tmp files older than this belong to a run that died


# ------------------------------------------------------------------------------ keys

class Hasher:
    """SHA-256 over Python values, written unambiguously (type, length, then content),
    so that two different inputs never feed the hash the same bytes."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()

    def add(self, *values: Any) -> Hasher:
        for value in values:
            self._add(value)
        return self

    def hexdigest(self) -> str:
        return self._h.hexdigest()

    def _raw(self, tag: bytes, data: bytes) -> None:
        self._h.update(tag + len(data).to_bytes(8, "little") + data)

    def _add(self, value: Any) -> None:
        if value is None or isinstance(value, bool):
            self._raw(b"c", repr(value).encode())
        elif isinstance(value, int | float):
            self._raw(b"n", repr(value).encode())
        elif isinstance(value, str):
            self._raw(b"s", value.encode("utf-8", "surrogatepass"))
        elif isinstance(value, bytes | bytearray | memoryview):
            self._raw(b"b", bytes(value))
        elif hasattr(value, "isoformat") and not hasattr(value, "dtype"):
            self._raw(b"d", value.isoformat().encode())  # date, datetime, pd.Timestamp
        elif isinstance(value, Path):
            self._raw(b"p", value.as_posix().encode())
        elif isinstance(value, Mapping):
            items = sorted(value.items(), key=lambda kv: repr(kv[0]))
            self._raw(b"m", str(len(items)).encode())
            for k, v in items:
                self._add(k)
                self._add(v)
        elif isinstance(value, list | tuple):
            self._raw(b"l", str(len(value)).encode())
            for v in value:
                self._add(v)
        elif isinstance(value, set | frozenset):
            self._add(sorted(value, key=repr))
        elif is_dataclass(value) and not isinstance(value, type):
            self._raw(b"o", type(value).__qualname__.encode())
            for f in fields(value):
                self._add(f.name)
                self._add(getattr(value, f.name))
        elif type(value).__module__.startswith(("pandas", "numpy")):
            self._pandas(value)
        else:
            raise TypeError(f"cannot hash a {type(value).__name__} into a cache key")

    def _pandas(self, value: Any) -> None:
        """numpy arrays by dtype, shape and bytes; pandas objects by index and columns."""
        kind = type(value).__name__
        if kind == "ndarray":
            if value.dtype == object:
                self._raw(b"a", b"object")
                self._add([v if isinstance(v, str | int | float | type(None)) else repr(v)
                           for v in value.ravel().tolist()])
            else:
                self._raw(b"a", f"{value.dtype.str}{value.shape}".encode())
                self._raw(b"v", value.tobytes())
        elif kind == "Series":
            self._raw(b"S", repr(value.name).encode())
            self._add(value.index)
            self._add(value.to_numpy())
        elif kind == "DataFrame":
            self._raw(b"F", str(list(map(str, value.columns))).encode())
            self._add(value.index)
            for col in value.columns:
                self._add(value[col].to_numpy())
        elif kind.endswith("Index"):
            self._raw(b"I", f"{kind}{value.name!r}".encode())
            self._add(value.to_numpy())
        elif hasattr(value, "item"):  # a numpy scalar
            self._add(value.item())
        else:
            raise TypeError(f"cannot hash a {kind} into a cache key")


def key(*parts: Any) -> str:
    """The cache key of some inputs."""
    return Hasher().add(*parts).hexdigest()


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------- storage

@dataclass
class Entry:
    """What one key made: named files (blobs) and small facts about them."""

    key: str
    files: dict[str, Path] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def copy(self, name: str, dest: Path) -> Path:
        """One of the entry's files, copied to `dest`."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.files[name], dest)
        return dest

    def restore(self, folder: Path) -> list[Path]:
        """Every file of the entry, copied into `folder` under its name."""
        return [self.copy(name, folder / name) for name in self.files]


class Cache:
    """A bounded, content-addressed store of build artefacts (see the module doc)."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root / FORMAT
        self.max_bytes = max_bytes
        self.hits: dict[str, int] = {}
        self.misses: dict[str, int] = {}

    # -- reading
    def _entry_path(self, kind: str, k: str) -> Path:
        return self.root / "entries" / kind / k[:2] / f"{k}.json"

    def _blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / digest[:2] / digest

    def get(self, kind: str, k: str) -> Entry | None:
        """The entry of `k`, with every blob checked against its hash; None if absent or
        damaged (a damaged entry is removed, so the artefact is made again)."""
        path = self._entry_path(kind, k)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            files = {name: self._blob_path(digest) for name, digest in record["files"].items()}
            for name, digest in record["files"].items():
                if file_hash(files[name]) != digest:
                    raise ValueError(f"blob of {name} does not match its hash")
        except FileNotFoundError:
            self.misses[kind] = self.misses.get(kind, 0) + 1
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("cache: dropping damaged entry %s/%s (%s)", kind, k[:12], exc)
            with contextlib.suppress(OSError):
                path.unlink()
            self.misses[kind] = self.misses.get(kind, 0) + 1
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # least recently used goes first
        self.hits[kind] = self.hits.get(kind, 0) + 1
        return Entry(k, files, record.get("meta", {}))

    def has(self, kind: str, k: str) -> bool:
        """An entry exists (unchecked: `get` checks it)."""
        return self._entry_path(kind, k).is_file()

    def get_object(self, kind: str, k: str) -> Any | None:
        entry = self.get(kind, k)
        if entry is None:
            return None
        try:
            return pickle.loads(entry.files["object.pickle"].read_bytes())
        except Exception as exc:  # an entry written by other library versions, say
            log.warning("cache: cannot read %s/%s (%s); recomputing", kind, k[:12], exc)
            return None

    # -- writing
    @contextlib.contextmanager
    def _tmp(self) -> Iterator[Path]:
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir)
        os.close(fd)
        tmp = Path(name)
        try:
            yield tmp
        finally:
            tmp.unlink(missing_ok=True)

    def _put_blob(self, src: Path | None = None, data: bytes | None = None) -> str:
        with self._tmp() as tmp:
            if src is not None:
                shutil.copyfile(src, tmp)
            else:
                tmp.write_bytes(data or b"")
            digest = file_hash(tmp)
            dest = self._blob_path(digest)
            if not dest.is_file() or file_hash(dest) != digest:  # absent or damaged
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, dest)
        return digest

    def put(self, kind: str, k: str, files: Mapping[str, Path] | None = None,
            meta: Mapping[str, Any] | None = None,
            data: Mapping[str, bytes] | None = None) -> None:
        """Store what `k` made: files (copied) and/or in-memory `data`, then the entry.
        A failure to write is logged and ignored: the cache only ever saves time."""
        try:
            record = {"files": {}, "meta": dict(meta or {}), "written": time.time()}
            for name, src in (files or {}).items():
                record["files"][name] = self._put_blob(src=src)
            for name, blob in (data or {}).items():
                record["files"][name] = self._put_blob(data=blob)
            path = self._entry_path(kind, k)
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._tmp() as tmp:
                tmp.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
                os.replace(tmp, path)
        except OSError as exc:
            log.warning("cache: could not store %s/%s (%s)", kind, k[:12], exc.strerror)

    def put_object(self, kind: str, k: str, value: Any) -> None:
        self.put(kind, k, data={"object.pickle": pickle.dumps(value, protocol=5)})

    # -- bounding
    def entries(self) -> list[Path]:
        return sorted((self.root / "entries").glob("*/*/*.json"))

    def size(self) -> int:
        return sum(p.stat().st_size for p in (self.root / "blobs").glob("*/*"))

    def trim(self) -> int:
        """Keep the cache under `max_bytes`: least recently used entries go first, then
        blobs no entry names and tmp files left by runs that died. Returns bytes freed."""
        freed = 0
        now = time.time()
        for tmp in (self.root / "tmp").glob("*"):
            with contextlib.suppress(OSError):
                if now - tmp.stat().st_mtime > TMP_MAX_AGE_S:
                    tmp.unlink()
        blobs = {p.name: p for p in (self.root / "blobs").glob("*/*")}
        sizes = {}
        for name, p in blobs.items():
            with contextlib.suppress(OSError):
                sizes[name] = p.stat().st_size
        total = sum(sizes.values())
        if total <= self.max_bytes:
            return 0
        records = []
        for path in self.entries():
            try:
                names = set(json.loads(path.read_text(encoding="utf-8"))["files"].values())
                records.append((path.stat().st_mtime, path, names))
            except (OSError, ValueError, KeyError):
                with contextlib.suppress(OSError):
                    path.unlink()
        records.sort()
        used: dict[str, int] = {}
        for _, _, names in records:
            for n in names:
                used[n] = used.get(n, 0) + 1
        # blobs nobody names go first, then whole entries, oldest first
        for name in [n for n in sizes if n not in used]:
            with contextlib.suppress(OSError):
                blobs[name].unlink()
                freed += sizes[name]
                total -= sizes[name]
        for _, path, names in records:
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
            for n in names:
                used[n] -= 1
                if used[n] == 0 and n in sizes:
                    with contextlib.suppress(OSError):
                        blobs[n].unlink()
                        freed += sizes[n]
                        total -= sizes[n]
        return freed

    def check(self) -> list[str]:
        """Every problem found: entries that name missing or damaged blobs (a test and
        `doctor` use this; reads already skip such entries)."""
        problems = []
        for path in self.entries():
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                for name, digest in record["files"].items():
                    blob = self._blob_path(digest)
                    if not blob.is_file() or file_hash(blob) != digest:
                        problems.append(f"{path.name}: {name} is missing or damaged")
            except (OSError, ValueError, KeyError) as exc:
                problems.append(f"{path.name}: unreadable ({exc})")
        return problems


class NoCache(Cache):
    """The cache switched off (`--no-cache`, `report.cache_mb = 0`): every read misses and
    nothing is written."""

    def __init__(self) -> None:
        super().__init__(Path(os.devnull), 0)

    def get(self, kind: str, k: str) -> Entry | None:
        self.misses[kind] = self.misses.get(kind, 0) + 1
        return None

    def has(self, kind: str, k: str) -> bool:
        return False

    def put(self, kind: str, k: str, files: Mapping[str, Path] | None = None,
            meta: Mapping[str, Any] | None = None,
            data: Mapping[str, bytes] | None = None) -> None:
        return None

    def trim(self) -> int:
        return 0
