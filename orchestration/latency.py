"""The platform's own latency, per landed file: landed → loaded → in the serving snapshot → on
the channel.

`ops.file_latency` holds one row per loaded file: when it landed (the file's mtime: live files
are renamed into place whole, so that is when the loader could first see them), when the
loader committed it (`ops.load_log.finished_at`), and when the first serving snapshot
published after its load went out. `record_published` fills it after each publish: files
already recorded are left alone, so calling it twice for one snapshot records nothing new.

Landing to channel is derived when read (`channel_latencies`): for a file of an entity that
moves stock, the first write-back correction acked (`ops.writeback_outbox.finished_at`) among
those enqueued after the file was loaded, i.e. the first time a channel showed stock computed
with the file's events. All times are naive UTC, as the warehouse keeps them.
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


def record_published(warehouse: Path, landing: Path, published_at: datetime, version: str) -> int:
    """Give every loaded file not yet recorded this snapshot; returns how many were recorded.

    Files loaded after `published_at` (a load that raced the publish) wait for the next one."""
    with connect(warehouse) as con:
        ensure_ops_schema(con)
        con.execute(FILE_LATENCY_DDL)
        rows = con.execute(
            """
            select l.file, any_value(l.entity), min(l.finished_at)
            from ops.load_log l
            where l.status = 'loaded' and l.finished_at <= ?
              and not exists (select 1 from ops.file_latency f where f.file = l.file)
            group by l.file
            """,
            [published_at],
        ).fetchall()
        if rows:
            con.executemany(
                "insert into ops.file_latency values (?, ?, ?, ?, ?, ?)",
                [
                    (file, entity, mtime_utc(landing / file), loaded_at, published_at, version)
                    for file, entity, loaded_at in rows
                ],
            )
    return len(rows)


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


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    (n,) = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return n > 0


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
