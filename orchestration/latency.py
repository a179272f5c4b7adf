"""The platform's own latency, per landed file: landed → loaded → in the serving snapshot → on
the channel.

`ops.file_latency` holds one row per loaded file: when it landed (the file's mtime: live files
are renamed into place whole, so that is when the loader could first see them), when the
loader committed it (`ops.load_log.finished_at`), and when the first serving snapshot
published after its load went out. The publish (`orchestration.publish.publish_snapshot`) times
the files it serves for the first time (`unrecorded_files`) before its swap, so the snapshot it
swaps in already carries them, and records them (`record_files`) once the swap is done: only a
snapshot that went out is ever recorded. `record_published` does both at once for a snapshot
published without that (files already recorded are left alone, so calling it twice for one
snapshot records nothing new).

Landing to channel is derived when read (`channel_latencies`): for a file of an entity that
moves stock, the first write-back correction acked (`ops.writeback_outbox.finished_at`) among
those enqueued after the file was loaded, i.e. the first time a channel showed stock computed
with the file's events. All times are naive UTC, as the warehouse keeps them.

The serving snapshot carries both, per file, as `platform_file_latency` (`write_platform_table`),
for the inventory-sync page; the republish after a write-back pass renews it, which is when a
file's landing-to-channel seconds appear.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.warehouse import connect, ensure_ops_schema

FILE_LATENCY_DDL = """
create table if not exists ops.file_latency (
    file             varchar   not null primary key,  -- as in ops.load_log
    entity           varchar   not null,
    landed_at        timestamp,            -- the file's mtime; null when it is gone
    loaded_at        timestamp not null,   -- the loader committed it
    published_at     timestamp not null,   -- the first serving snapshot after its load
    snapshot_version varchar   not null
)
"""

# files whose events move stock at a node (receipts, inspections, adjustments, store returns,
# restocking refunds, FBA returns): what the write-back must carry to the channels
INVENTORY_ENTITIES = (
    "wms__receipts",
    "wms__inspections",
    "wms__adjustments",
    "wms__inventory_snapshots",
    "pos__store_returns",
    "shopify__refunds",
    "amazon__customer_returns",
)


def mtime_utc(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    except FileNotFoundError:
        return None


def _ops(catalog: str | None) -> str:
    """The `ops` schema, qualified by `catalog` when the warehouse is attached under that name."""
    return f"{catalog}.ops" if catalog else "ops"


# one ops.file_latency row: file, entity, landed_at, loaded_at, published_at, snapshot_version
FileRecord = tuple[str, str, datetime | None, datetime, datetime, str]


def unrecorded_files(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    loaded_before: datetime,
    published_at: datetime,
    version: str,
    catalog: str | None = None,
) -> list[FileRecord]:
    """The `ops.file_latency` rows of the files loaded by `loaded_before` and not yet recorded,
    as a snapshot published at `published_at` gives them (read only; nothing is written).

    `catalog` names the warehouse when it is attached to `con` (the publish's staging file);
    a warehouse without `ops.load_log` has nothing to record."""
    ops = _ops(catalog)
    if not _exists(con, "ops", "load_log", catalog):
        return []
    not_recorded = (
        f"and not exists (select 1 from {ops}.file_latency f where f.file = l.file)"
        if _exists(con, "ops", "file_latency", catalog)
        else ""
    )
    rows = con.execute(
        f"""
        select l.file, any_value(l.entity), min(l.finished_at)
        from {ops}.load_log l
        where l.status = 'loaded' and l.finished_at <= ? {not_recorded}
        group by l.file
        order by l.file
        """,
        [loaded_before],
    ).fetchall()
    return [
        (file, entity, mtime_utc(landing / file), loaded_at, published_at, version)
        for file, entity, loaded_at in rows
    ]


def record_files(warehouse: Path, records: Sequence[FileRecord]) -> int:
    """Write `records` into `ops.file_latency`, leaving files already there alone; returns how
    many were new. One short write connection."""
    if not records:
        return 0
    with connect(warehouse) as con:
        ensure_ops_schema(con)
        con.execute(FILE_LATENCY_DDL)
        con.execute("create temp table new_file_latency as select * from ops.file_latency limit 0")
        con.executemany("insert into new_file_latency values (?, ?, ?, ?, ?, ?)", records)
        (inserted,) = con.execute(
            """
            insert into ops.file_latency
            select * from new_file_latency n
            where not exists (select 1 from ops.file_latency f where f.file = n.file)
            """
        ).fetchone()
    return inserted


def record_published(
    warehouse: Path,
    landing: Path,
    published_at: datetime,
    version: str,
    loaded_before: datetime | None = None,
) -> int:
    """Give every loaded file not yet recorded this snapshot; returns how many were recorded.

    Files loaded after `loaded_before` (default `published_at`: a load that raced the publish)
    wait for the next one."""
    with connect(warehouse) as con:
        ensure_ops_schema(con)
        con.execute(FILE_LATENCY_DDL)
        records = unrecorded_files(
            con, landing, loaded_before or published_at, published_at, version
        )
        if records:
            con.executemany("insert into ops.file_latency values (?, ?, ?, ?, ?, ?)", records)
    return len(records)


def serving_latencies(con: duckdb.DuckDBPyConnection, since: datetime | None = None) -> list[float]:
    """Seconds from landing to the serving snapshot, per recorded file landed after `since`."""
    rows = con.execute(
        """
        select epoch(published_at) - epoch(landed_at) from ops.file_latency
        where landed_at is not null and (?::timestamp is null or landed_at >= ?::timestamp)
        """,
        [since, since],
    ).fetchall()
    return [seconds for (seconds,) in rows]


def channel_latencies(con: duckdb.DuckDBPyConnection, since: datetime | None = None) -> list[float]:
    """Seconds from landing to the first acked write-back enqueued after the file's load, per
    recorded stock-moving file landed after `since` (files no ack followed yet are left out)."""
    if not _exists(con, "ops", "writeback_outbox"):
        return []
    rows = con.execute(
        f"""
        select epoch(min(o.finished_at)) - epoch(any_value(f.landed_at))
        from ops.file_latency f
        join ops.writeback_outbox o
          on o.status = 'acked' and o.enqueued_at >= f.loaded_at and o.finished_at is not null
        where f.landed_at is not null
          and f.entity in ({", ".join("?" for _ in INVENTORY_ENTITIES)})
          and (?::timestamp is null or f.landed_at >= ?::timestamp)
        group by f.file
        """,
        [*INVENTORY_ENTITIES, since, since],
    ).fetchall()
    return [seconds for (seconds,) in rows]


def _exists(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, catalog: str | None = None
) -> bool:
    (n,) = con.execute(
        "select count(*) from information_schema.tables where table_catalog = "
        "coalesce(?, current_database()) and table_schema = ? and table_name = ?",
        [catalog, schema, table],
    ).fetchone()
    return n > 0


# ---- the serving snapshot's copy ---------------------------------------------------------------

PLATFORM_TABLE = "platform_file_latency"
_STOCK_MOVING = ", ".join(f"'{entity}'" for entity in INVENTORY_ENTITIES)  # constants, not input

# Landing to channel as `channel_latencies` defines it, for every file at once: the acks sorted
# by enqueue time, each carrying the earliest finish among it and every later-enqueued one, so
# an as-of join from the file's load time finds its first ack without a join of every file
# with every ack (both grow with every run).
PLATFORM_TABLE_SQL = f"""
create or replace table main.{PLATFORM_TABLE} as
with first_acks as (
    select distinct enqueued_at,
           min(finished_at) over (order by enqueued_at desc) as first_ack_at  -- peers included
    from latency_acks
)
select f.file,
       f.entity,
       f.landed_at,
       f.loaded_at,
       f.published_at,
       (epoch(f.published_at) - epoch(f.landed_at))::double as serving_seconds,
       case when f.entity in ({_STOCK_MOVING})
            then (epoch(a.first_ack_at) - epoch(f.landed_at))::double end as channel_seconds,
       f.entity in ({_STOCK_MOVING}) as is_stock_moving
from latency_files f
asof left join first_acks a on f.loaded_at <= a.enqueued_at
order by f.landed_at nulls last, f.file
"""


def write_platform_table(
    con: duckdb.DuckDBPyConnection, catalog: str, pending: Sequence[FileRecord] = ()
) -> int:
    """(Re)create `main.platform_file_latency` in the file `con` writes: one row per file of
    the warehouse attached as `catalog` (`ops.file_latency`) plus the `pending` records of the
    snapshot being published, with landing-to-serving and landing-to-channel seconds (null
    while no ack followed the file's load, and for files that do not move stock). A warehouse
    without those tables gives an empty table with the same columns. Returns its row count."""
    ops = _ops(catalog)
    con.execute(
        "create or replace temp table latency_files (file varchar, entity varchar, "
        "landed_at timestamp, loaded_at timestamp, published_at timestamp)"
    )
    if _exists(con, "ops", "file_latency", catalog):
        con.execute(
            "insert into latency_files select file, entity, landed_at, loaded_at, published_at "
            f"from {ops}.file_latency"
        )
    if pending:
        con.executemany(
            "insert into latency_files values (?, ?, ?, ?, ?)",
            [record[:5] for record in pending],
        )
    con.execute(
        "create or replace temp table latency_acks (enqueued_at timestamp, finished_at timestamp)"
    )
    if _exists(con, "ops", "writeback_outbox", catalog):
        con.execute(
            "insert into latency_acks select enqueued_at, finished_at "
            f"from {ops}.writeback_outbox where status = 'acked' and finished_at is not null"
        )
    con.execute(PLATFORM_TABLE_SQL)
    con.execute("drop table latency_files; drop table latency_acks")
    (rows,) = con.execute(f"select count(*) from main.{PLATFORM_TABLE}").fetchone()
    return rows


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q`-th percentile (0-100), interpolated between closest ranks (numpy's default);
    None for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"q must be within 0..100 (got {q})")
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Distribution:
    count: int
    p50: float | None
    p95: float | None
    max: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Distribution:
        return cls(
            len(values),
            percentile(values, 50),
            percentile(values, 95),
            max(values) if values else None,
        )

    def text(self) -> str:
        if not self.count:
            return "no files"
        return (
            f"p50 {self.p50:.1f} s, p95 {self.p95:.1f} s, max {self.max:.1f} s ({self.count} files)"
        )
