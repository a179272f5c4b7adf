"""Publish the serving snapshot: copy marts into a new file, then swap it in atomically.

DuckDB lets one process write a file and any open connection blocks a writer elsewhere
(DESIGN §9). So dashboards never read the warehouse: they read `serving/marts.duckdb`, which
is only ever replaced whole with `os.replace`, so a reader sees the old or the new snapshot.

Beside the marts, the snapshot carries the write-back's progress when the warehouse has it:
`writeback_outbox` (a copy of `ops.writeback_outbox`) and `writeback_audit` (`ops.writeback_audit`
with one row per correction a request carried; bodies cut to `AUDIT_BODY_CHARS`, the whole
exchange stays in the warehouse). After a write-back pass, `refresh_writeback_tables` republishes
the current snapshot with just those two tables renewed, so the dashboards see the pass at once.

The snapshot also carries the platform's own latency, `platform_file_latency` (one row per
loaded file: landing to serving and landing to channel, `orchestration.latency`), including the
files this very snapshot serves for the first time. Their publish time has to be in the file
before it is swapped in, so it is decided once the marts are copied (the swap follows within
milliseconds: only the small latency table is written in between), the new files are timed
with it in the staging file, and they are recorded in `ops.file_latency` only after the swap:
a publish that fails leaves neither a snapshot nor a record of one. The warehouse is attached
read-only for the copy; the record is one short write connection after it. The republish after
a write-back pass renews the table too, which brings the files' landing-to-channel seconds.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.warehouse import connect
from orchestration.latency import record_files, unrecorded_files, write_platform_table

# A Shopify request carries up to 250 corrections: unnested, its bodies would repeat 250 times.
AUDIT_BODY_CHARS = 2000

WRITEBACK_TABLES = {
    "writeback_outbox": ("ops", "writeback_outbox", "select * from warehouse.ops.writeback_outbox"),
    "writeback_audit": (
        "ops",
        "writeback_audit",
        f"""
        select a.run_id, a.channel, a.operation, a.attempt, a.idempotency_key,
               unnest(a.correction_ids) as correction_id,
               len(a.correction_ids) as corrections_in_request,
               a.method, a.url, a.status_code, a.error, a.started_at, a.elapsed_ms,
               left(a.request_body, {AUDIT_BODY_CHARS}) as request_body,
               left(a.response_body, {AUDIT_BODY_CHARS}) as response_body
        from warehouse.ops.writeback_audit a
        """,
    ),
}


@dataclass(frozen=True)
class Snapshot:
    path: Path
    version: str
    published_at: datetime
    row_counts: dict[str, int]
    latency_rows: int = 0  # rows of `platform_file_latency` (every recorded file)
    files_recorded: int = 0  # files this snapshot serves for the first time


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def publish_snapshot(
    warehouse: Path, serving: Path, tables: Sequence[str], landing: Path | None = None
) -> Snapshot:
    """Copy `marts.<table>` for each table into a fresh file and publish it onto `serving`.

    With `landing`, the files loaded before this publish began and not yet served are timed
    with this snapshot (their mtimes under `landing` are when they landed): in its
    `platform_file_latency`, and in `ops.file_latency` once it is swapped in. Without it the
    snapshot carries the files recorded so far and records none."""
    serving.parent.mkdir(parents=True, exist_ok=True)
    version = uuid.uuid4().hex
    started = _now()  # the marts hold no file loaded after this
    staging = serving.with_name(f".{serving.stem}.{version}.duckdb")
    row_counts: dict[str, int] = {}
    try:
        with connect(staging) as con:
            escaped = str(warehouse).replace("'", "''")
            con.execute(f"attach '{escaped}' as warehouse (read_only)")
            for table in tables:
                con.execute(f"create table main.{table} as select * from warehouse.marts.{table}")
                (row_counts[table],) = con.execute(f"select count(*) from main.{table}").fetchone()
            row_counts |= _copy_writeback_tables(con)
            published_at = _now()  # the content is complete: what is left takes milliseconds
            pending = (
                []
                if landing is None
                else unrecorded_files(con, landing, started, published_at, version, "warehouse")
            )
            latency_rows = write_platform_table(con, "warehouse", pending)
            con.execute("detach warehouse")
            con.execute(
                "create table main._snapshot as select ?::timestamp as published_at, "
                "?::varchar as version",
                [published_at, version],
            )
        os.replace(staging, serving)
    finally:
        staging.unlink(missing_ok=True)
    # after the swap: only a snapshot readers can see is recorded as published
    recorded = record_files(warehouse, pending)
    return Snapshot(serving, version, published_at, row_counts, latency_rows, recorded)


def _exists_in_warehouse(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    (present,) = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = 'warehouse' and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return present > 0


def _copy_writeback_tables(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The write-back tables the attached warehouse has, (re)created in `main`; absent: skipped."""
    counts = {}
    for name, (schema, table, query) in WRITEBACK_TABLES.items():
        if not _exists_in_warehouse(con, schema, table):
            continue
        con.execute(f"create or replace table main.{name} as {query}")
        (counts[name],) = con.execute(f"select count(*) from main.{name}").fetchone()
    return counts


def refresh_writeback_tables(warehouse: Path, serving: Path) -> Snapshot | None:
    """Republish the current snapshot with its write-back tables and its platform latency
    renewed (a pass's acks give files their landing-to-channel seconds); None when there is no
    snapshot yet (the next full publish carries them)."""
    if not serving.exists():
        return None
    version = uuid.uuid4().hex
    staging = serving.with_name(f".{serving.stem}.{version}.duckdb")
    try:
        shutil.copyfile(serving, staging)
        with connect(staging) as con:
            escaped = str(warehouse).replace("'", "''")
            con.execute(f"attach '{escaped}' as warehouse (read_only)")
            row_counts = _copy_writeback_tables(con)
            # the files this snapshot serves were recorded when it was published
            latency_rows = write_platform_table(con, "warehouse")
            con.execute("detach warehouse")
            (published_at,) = con.execute("select max(published_at) from main._snapshot").fetchone()
            con.execute("update main._snapshot set version = ?", [version])
            con.execute("checkpoint")
        os.replace(staging, serving)
    finally:
        staging.unlink(missing_ok=True)
    return Snapshot(serving, version, published_at, row_counts, latency_rows)
