"""The warehouse file and the bookkeeping tables every load writes to."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

OPS_DDL = """
create schema if not exists raw;
create schema if not exists ops;
create table if not exists ops.load_log (
    batch_id      varchar   not null,
    source        varchar   not null,
    entity        varchar   not null,
    file          varchar   not null,
    checksum      varchar   not null,
    status        varchar   not null,   -- loaded | rejected
    rows_read     bigint    not null,
    rows_landed   bigint    not null,
    rows_rejected bigint    not null,
    reason        varchar,
    started_at    timestamp not null,
    finished_at   timestamp not null
);
create table if not exists ops.rejects (
    batch_id    varchar   not null,
    source      varchar   not null,
    entity      varchar   not null,
    file        varchar   not null,
    row_number  bigint,
    raw_text    varchar,
    reason      varchar   not null,
    rejected_at timestamp not null
);
"""


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection in UTC; closed on exit so other processes can open the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def ensure_ops_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(OPS_DDL)
