"""What is new in the landing zone, found without opening the warehouse.

A watcher (the Dagster sensor) remembers what it has seen as a map of file name (relative to
the landing dir, as the loader names files in `ops.load_log`) to a `FileStamp`: size, mtime and
the file's sha256, the same checksum the loader keys on. A file is new when its name was not
seen before or its content changed. A tick stays cheap: a file is hashed again only when its
size or mtime moved, and the warehouse is never opened (any open connection would block a
writer in another process).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ingest.contracts import Entity

CURSOR_VERSION = 1


@dataclass(frozen=True)
class FileStamp:
    size: int
    mtime_ns: int
    checksum: str


@dataclass(frozen=True)
class LandingScan:
    """One look at the landing zone, compared with what was seen before."""

    # every settled file now in the landing zone: the `seen` map of the next look
    stamps: dict[str, FileStamp]
    # entity table -> names of its files that are new or changed since the previous look
    new: dict[str, list[str]] = field(default_factory=dict)
    # files modified too recently to trust: left for a later look
    unsettled: list[str] = field(default_factory=list)

    @property
    def new_files(self) -> list[str]:
        return sorted({name for names in self.new.values() for name in names})

    @property
    def run_key(self) -> str:
        """Derived from the new files' names and contents: the same news gives the same key."""
        digest = hashlib.sha256()
        for name in self.new_files:
            digest.update(f"{name}\0{self.stamps[name].checksum}\n".encode())
        return f"landing-{digest.hexdigest()[:32]}"


def file_checksum(path: Path) -> str:
    """sha256 of the file's bytes, as the loader records it in `ops.load_log.checksum`."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def entity_files(entity: Entity, landing: Path) -> list[Path]:
    """The files of `entity` in the landing zone: `landing/<source>/<pattern>`, as the loader
    finds them."""
    return sorted(p for p in (landing / entity.source).glob(entity.pattern) if p.is_file())


def scan_landing(
    landing: Path,
    entities: Iterable[Entity],
    seen: Mapping[str, FileStamp],
    settle_seconds: float = 0.0,
    now: float | None = None,
) -> LandingScan:
    """Stamp every file of `entities` and name the ones not in `seen` (or changed since).

    A file modified less than `settle_seconds` ago may still be being written: it is left out
    (neither new nor remembered) so a later look picks it up whole.
    """
    now = time.time() if now is None else now
    stamps: dict[str, FileStamp] = {}
    new: dict[str, list[str]] = {}
    unsettled: list[str] = []
    for entity in entities:
        for path in entity_files(entity, landing):
            name = path.relative_to(landing).as_posix()
            try:
                stat = path.stat()
            except FileNotFoundError:  # moved away between listing and stat
                continue
            if now - stat.st_mtime < settle_seconds:
                unsettled.append(name)
                continue
            stamp = stamps.get(name) or _stamp(path, stat.st_size, stat.st_mtime_ns, seen.get(name))
            if stamp is None:
                continue
            stamps[name] = stamp
            before = seen.get(name)
            if before is None or before.checksum != stamp.checksum:
                new.setdefault(entity.table, []).append(name)
    return LandingScan(stamps, new, sorted(unsettled))


def _stamp(path: Path, size: int, mtime_ns: int, before: FileStamp | None) -> FileStamp | None:
    if before is not None and (before.size, before.mtime_ns) == (size, mtime_ns):
        return before  # unchanged on disk: no need to read it again
    try:
        return FileStamp(size, mtime_ns, file_checksum(path))
    except FileNotFoundError:
        return None


def dumps_seen(stamps: Mapping[str, FileStamp]) -> str:
    """The `seen` map as a compact JSON cursor: {"v": 1, "files": {name: [size, mtime, sha]}}."""
    files = {name: [s.size, s.mtime_ns, s.checksum] for name, s in sorted(stamps.items())}
    return json.dumps({"v": CURSOR_VERSION, "files": files}, separators=(",", ":"))


def loads_seen(cursor: str | None) -> dict[str, FileStamp]:
    """Read a cursor written by `dumps_seen`; anything else (none, older format) is nothing seen,
    which costs one run that loads only what the warehouse has not got (by checksum)."""
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
        if state.get("v") != CURSOR_VERSION:
            return {}
        return {
            name: FileStamp(int(size), int(mtime_ns), str(checksum))
            for name, (size, mtime_ns, checksum) in state["files"].items()
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}
