"""Where the serving snapshot lives and how the dashboard reads it.

The pipeline publishes `serving/marts.duckdb` with `os.replace` while the dashboard runs
(DESIGN §9). So nothing here holds a connection past a page run: reads open the file read-only
and close it again (one connection per query, or one per page run inside `page_connection`), and
cached results are keyed by the file's version rather than by time alone.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

DEFAULT_HOME = "./data"
SERVING_FILE = Path("serving") / "marts.duckdb"

# DuckDB keeps one database instance per path and process, and hands it to every new connection
# to that path while any connection to it is open. A connection opened after a publish, while
# another session's connection to the old file is still open, would read the *old* snapshot
# under the *new* version key. Serialising connections within the process means no connection
# is ever open when another one is made, so each one opens the file currently at the path.
# Reads are short and their results are cached, so the queue is rarely more than one deep.
_CONNECTION_LOCK = threading.RLock()


def returnops_home() -> Path:
    """The data root, from RETURNOPS_HOME at call time (default ./data)."""
    return Path(os.environ.get("RETURNOPS_HOME", DEFAULT_HOME)).expanduser().resolve()


def serving_path() -> Path:
    """Absolute path of the serving snapshot, read from RETURNOPS_HOME at call time."""
    return returnops_home() / SERVING_FILE


def landing_path() -> Path:
    """The landing zone, where the dashboard drops operators' approval files (DESIGN §2)."""
    return returnops_home() / "landing"


def snapshot_version() -> str | None:
    """A cache key that changes whenever a new snapshot is published; None when there is none.

    The inode is part of the key because `os.replace` always brings a new inode, even when a
    coarse filesystem clock gives the new file the same mtime and it happens to have the same size.
    """
    try:
        stat = serving_path().stat()
    except FileNotFoundError:
        return None
    return f"{stat.st_mtime_ns}-{stat.st_size}-{stat.st_ino}"


_page = threading.local()


@contextmanager
def page_connection() -> Iterator[None]:
    """Within the block (one page run), the snapshot's queries share one read-only connection.

    Opened at the first query that misses the cache and closed when the block ends, so it lives
    for one page run (well under a second cold, not at all when every query is cached). One
    connection per page instead of one per query saves the open (tens of ms each under load) and
    lets a page's later queries reuse the blocks its earlier ones read.
    """
    if getattr(_page, "active", False):  # nested: the outer block owns the connection
        yield
        return
    _page.active, _page.con = True, None
    try:
        yield
    finally:
        con, _page.active, _page.con = _page.con, False, None
        if con is not None:
            try:
                con.close()
            finally:
                _CONNECTION_LOCK.release()


@contextmanager
def serving_connection(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection to the snapshot, always closed on exit.

    Read-only so that the dashboard never takes DuckDB's writer lock, and short-lived so that a
    replaced file is released promptly and the next query sees the new snapshot. `path` defaults
    to the snapshot under RETURNOPS_HOME (the export CLI passes its own). Inside
    `page_connection()` the page's one connection is lent instead, and closed with the block.
    """
    if path is None and getattr(_page, "active", False):
        if _page.con is None:
            _CONNECTION_LOCK.acquire()
            try:
                _page.con = duckdb.connect(str(serving_path()), read_only=True)
            except BaseException:
                _CONNECTION_LOCK.release()
                raise
        yield _page.con
        return
    with _CONNECTION_LOCK:
        con = duckdb.connect(str(path or serving_path()), read_only=True)
        try:
            yield con
        finally:
            con.close()
