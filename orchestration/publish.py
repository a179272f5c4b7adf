"""Publish the serving snapshot: copy marts into a new file, then swap it in atomically.

DuckDB lets one process write a file and any open connection blocks a writer elsewhere
(DESIGN §9). So dashboards never read the warehouse: they read `serving/marts.duckdb`, which
is only ever replaced whole with `os.replace`, so a reader sees the old or the new snapshot.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.warehouse import connect


@dataclass(frozen=True)
class Snapshot:
    path: Path
    version: str
    published_at: datetime
    row_counts: dict[str, int]


def publish_snapshot(warehouse: Path, serving: Path, tables: Sequence[str]) -> Snapshot:
    """Copy `marts.<table>` for each table into a fresh file and publish it onto `serving`."""
    serving.parent.mkdir(parents=True, exist_ok=True)
    version = uuid.uuid4().hex
    published_at = datetime.now(UTC).replace(tzinfo=None)
    staging = serving.with_name(f".{serving.stem}.{version}.duckdb")
    row_counts: dict[str, int] = {}
    try:
        with connect(staging) as con:
            escaped = str(warehouse).replace("'", "''")
            con.execute(f"attach '{escaped}' as warehouse (read_only)")
            for table in tables:
                con.execute(f"create table main.{table} as select * from warehouse.marts.{table}")
                (row_counts[table],) = con.execute(f"select count(*) from main.{table}").fetchone()
            con.execute("detach warehouse")
            con.execute(
                "create table main._snapshot as select ?::timestamp as published_at, "
                "?::varchar as version",
                [published_at, version],
            )
        os.replace(staging, serving)
    finally:
        staging.unlink(missing_ok=True)
    return Snapshot(serving, version, published_at, row_counts)
