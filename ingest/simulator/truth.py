"""The ground truth, written as Parquet from the simulator's own state while it runs.

Nothing here reads a landing file: each row comes from the objects the simulator mutates
(return lines, the ledger, the inspection queues, the problem log). Large tables stream in
row groups, so memory does not grow with the scale. The columns are defined in README.md.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ingest.simulator.model import ReturnLine

TS = pa.timestamp("s")
MONEY = pa.decimal128(18, 2)

RETURN_LINES = pa.schema(
    [
        ("return_line_id", pa.string()),
        ("return_id", pa.string()),
        ("source", pa.string()),
        ("channel", pa.string()),
        ("order_id", pa.string()),
        ("sku", pa.string()),
        ("category", pa.string()),
        ("quantity", pa.int32()),
        ("reason_code", pa.string()),
        ("source_reason_code", pa.string()),
        ("region", pa.string()),
        ("customer_segment", pa.string()),
        ("within_window", pa.bool_()),
        ("node_id", pa.string()),
        ("initiated_at", TS),
        ("label_created_at", TS),
        ("in_transit_at", TS),
        ("delivered_at", TS),
        ("received_at", TS),
        ("inspected_at", TS),
        ("grade", pa.string()),
        ("disposition", pa.string()),
        ("target_state", pa.string()),
        ("inventory_updated_at", TS),
        ("restocked_before_inspection", pa.bool_()),
        ("resolution", pa.string()),
        ("resolved_at", TS),
        ("refund_amount", MONEY),
        ("expected_refund", MONEY),
        ("status", pa.string()),
    ]
)
INVENTORY_DAILY = pa.schema(
    [
        ("day", pa.date32()),
        ("node_id", pa.string()),
        ("sku", pa.string()),
        ("state", pa.string()),
        ("units", pa.int64()),
    ]
)
CHANNEL_ATP = pa.schema(
    [
        ("day", pa.date32()),
        ("channel", pa.string()),
        ("sku", pa.string()),
        ("atp", pa.int64()),
        ("published", pa.int64()),
    ]
)
CHANNEL_LOCATION_STOCK = pa.schema(
    [
        ("day", pa.date32()),
        ("channel", pa.string()),
        ("sku", pa.string()),
        ("node_id", pa.string()),
        ("location_id", pa.string()),
        ("atp", pa.int64()),
        ("published", pa.int64()),
    ]
)
INSPECTION_BACKLOG = pa.schema(
    [
        ("node_id", pa.string()),
        ("day", pa.date32()),
        ("units_awaiting", pa.int64()),
        ("oldest_received_at", TS),
    ]
)
PROBLEMS = pa.schema(
    [
        ("problem_type", pa.string()),
        ("source", pa.string()),
        ("channel", pa.string()),
        ("node_id", pa.string()),
        ("return_line_id", pa.string()),
        ("sku", pa.string()),
        ("key", pa.string()),
        ("file", pa.string()),
        ("occurred_at", TS),
        ("detail", pa.string()),
    ]
)
INJECTED_REJECTS = pa.schema(
    [
        ("file", pa.string()),
        ("row_number", pa.int64()),
        ("kind", pa.string()),
        ("entity", pa.string()),
        ("column", pa.string()),
    ]
)


def _decimal(amount_cents: int | None) -> Decimal | None:
    return None if amount_cents is None else Decimal(amount_cents).scaleb(-2)


class StreamTable:
    """One Parquet file written in row groups of `batch` rows."""

    def __init__(self, path: Path, schema: pa.Schema, batch: int = 50_000):
        self.path, self.schema, self.batch = path, schema, batch
        self.rows: list[tuple] = []
        self.count = 0
        self._writer: pq.ParquetWriter | None = None

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        columns = list(zip(*self.rows, strict=True)) if self.rows else [()] * len(self.schema)
        arrays = [
            pa.array(col, type=field.type) for col, field in zip(columns, self.schema, strict=True)
        ]
        self._writer.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.count += len(self.rows)
        self.rows = []

    def close(self) -> None:
        if self.rows or self._writer is None:
            self._flush()
        self._writer.close()


class Truth:
    """All truth tables of one run."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.return_lines = StreamTable(root / "return_lines.parquet", RETURN_LINES, 20_000)
        self.inventory_daily = StreamTable(root / "inventory_daily.parquet", INVENTORY_DAILY)
        self.channel_atp = StreamTable(root / "channel_atp.parquet", CHANNEL_ATP)
        self.channel_location_stock = StreamTable(
            root / "channel_location_stock.parquet", CHANNEL_LOCATION_STOCK
        )
        self.inspection_backlog = StreamTable(
            root / "inspection_backlog.parquet", INSPECTION_BACKLOG
        )
        self.problems = StreamTable(root / "problems.parquet", PROBLEMS, 20_000)
        self.injected_rejects = StreamTable(root / "injected_rejects.parquet", INJECTED_REJECTS)

    def return_line(self, line: ReturnLine) -> None:
        p = line.product
        self.return_lines.add(
            (
                line.return_line_id,
                line.return_id,
                line.source,
                line.channel,
                line.order_id,
                p.sku,
                p.category,
                line.quantity,
                line.reason_code,
                line.source_reason,
                line.region,
                line.segment,
                line.within_window,
                line.node_id,
                line.initiated_at,
                line.label_created_at,
                line.in_transit_at,
                line.delivered_at,
                line.received_at,
                line.inspected_at,
                line.grade,
                line.disposition,
                line.target_state,
                line.inventory_updated_at,
                line.restocked_before_inspection,
                line.resolution,
                line.resolved_at,
                _decimal(line.refund_cents),
                _decimal(line.expected_cents),
                line.status,
            )
        )

    def close(self) -> None:
        for table in (
            self.return_lines,
            self.inventory_daily,
            self.channel_atp,
            self.channel_location_stock,
            self.inspection_backlog,
            self.problems,
            self.injected_rejects,
        ):
            table.close()
