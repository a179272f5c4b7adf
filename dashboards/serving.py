"""Where the serving snapshot lives and how the dashboard reads it.

The pipeline publishes `serving/marts.duckdb` with `os.replace` while the dashboard runs
(DESIGN §9). So nothing here holds a connection: every read opens the file read-only and closes it
again, and cached results are keyed by the file's version rather than by time alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

DEFAULT_HOME = "./data"
SERVING_FILE = Path("serving") / "marts.duckdb"


def serving_path() -> Path:
    """Absolute path of the serving snapshot, read from RETURNOPS_HOME at call time."""
    home = Path(os.environ.get("RETURNOPS_HOME", DEFAULT_HOME)).expanduser()
    return (home / SERVING_FILE).resolve()


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


@contextmanager
def serving_connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection to the snapshot, always closed on exit.

    Read-only so that the dashboard never takes DuckDB's writer lock, and short-lived so that a
    replaced file is released promptly and the next query sees the new snapshot.
    """
    con = duckdb.connect(str(serving_path()), read_only=True)
    try:
        yield con
    finally:
        con.close()
