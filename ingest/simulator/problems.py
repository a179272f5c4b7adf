"""Injected problems: the log of what was injected, and the file-level injections.

Behavioural problems (restock before inspection, the inspection backlog, end-of-day POS
batches, duplicate/late webhooks, back-dated Amazon rows, the lagging channel, goodwill
refunds) happen in the scenario itself and are logged here as they happen. File-level
problems are applied to a day's buffers just before they are written:

- malformed rows: an EXTRA corrupted copy of a real row, inserted right after it, so
  rejecting it loses no real event (MALFORMED_PLAN: entity, kind, column);
- truncated files: an extra re-delivered partial copy of a real file, `<name>.redelivery.<ext>`
  (still matching the entity's pattern): its complete rows repeat the original's, its last
  record is cut mid-way (TRUNCATED_PLAN: one entity per source).

Each injected reject is recorded with the file (relative to the landing dir) and its row
number as the loader counts it: NDJSON line number, CSV data-row number (header not counted).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from ingest.contracts import Entity
from ingest.simulator.truth import Truth
from ingest.simulator.writers import FileBuffer
from ingest.sources import amazon, carrier, channel_stock, finance, pos, shopify, wms

MISSING = "missing_required_field"
WRONG_TYPE = "wrong_type"
NEGATIVE = "negative_quantity"
UNKNOWN_ENUM = "unknown_enum_value"
BAD_TIMESTAMP = "unparseable_timestamp"
INVALID_JSON = "invalid_json"
INVALID_UTF8 = "invalid_utf8"
TRUNCATED = "truncated_record"


@dataclass(frozen=True)
class Malformed:
    entity: Entity
    kind: str
    column: str | None = None


# Lines that break a whole NDJSON parse (invalid JSON, invalid UTF-8) go to entities the
# first dbt models do not read yet, so a loader without per-line rejects loses nothing real.
MALFORMED_PLAN = (
    Malformed(shopify.ORDERS, WRONG_TYPE, "id"),
    Malformed(shopify.RETURNS, UNKNOWN_ENUM, "status"),
    Malformed(shopify.REFUNDS, BAD_TIMESTAMP, "created_at"),
    Malformed(shopify.INVENTORY_LEVELS, INVALID_UTF8),
    Malformed(amazon.CUSTOMER_RETURNS, NEGATIVE, "quantity"),
    Malformed(amazon.CUSTOMER_RETURNS, BAD_TIMESTAMP, "return-date"),
    Malformed(amazon.ORDERS, UNKNOWN_ENUM, "order-status"),
    Malformed(amazon.ORDERS, MISSING, "sku"),
    Malformed(carrier.TRACKER_EVENTS, INVALID_JSON),
    Malformed(carrier.TRACKER_EVENTS, UNKNOWN_ENUM, "description"),
    Malformed(carrier.TRACKER_EVENTS, MISSING, "id"),
    Malformed(carrier.TRACKER_EVENTS, INVALID_UTF8),
    Malformed(wms.RECEIPTS, NEGATIVE, "quantity"),
    Malformed(wms.INSPECTIONS, UNKNOWN_ENUM, "grade"),
    Malformed(wms.ADJUSTMENTS, MISSING, "reason_code"),
    Malformed(wms.INVENTORY_SNAPSHOTS, WRONG_TYPE, "quantity"),
    Malformed(pos.STORE_RETURNS, UNKNOWN_ENUM, "reason_code"),
    Malformed(pos.STORE_RETURNS, BAD_TIMESTAMP, "synced_at"),
    Malformed(pos.STORE_RETURNS, NEGATIVE, "quantity"),
    Malformed(finance.PAYMENT_REFUNDS, WRONG_TYPE, "amount"),
    Malformed(finance.CREDIT_MEMOS, UNKNOWN_ENUM, "memo_type"),
    Malformed(finance.CREDIT_MEMOS, NEGATIVE, "quantity"),
    Malformed(channel_stock.SNAPSHOTS, NEGATIVE, "quantity"),
    Malformed(channel_stock.SNAPSHOTS, INVALID_JSON),
    Malformed(channel_stock.SNAPSHOTS, UNKNOWN_ENUM, "origin"),
)
TRUNCATED_PLAN = (
    shopify.ORDERS,
    amazon.CUSTOMER_RETURNS,
    carrier.TRACKER_EVENTS,
    wms.RECEIPTS,
    pos.STORE_RETURNS,
    finance.PAYMENT_REFUNDS,
    channel_stock.SNAPSHOTS,
)
UNKNOWN_VALUES = {
    "status": "RETURNED",
    "order-status": "Lost",
    "description": "tracker.deleted",
    "grade": "E",
    "reason_code": "09",
    "memo_type": "voucher",
    "origin": "push",
}


class ProblemLog:
    def __init__(self, truth: Truth):
        self.truth = truth
        self.count = 0

    def add(
        self,
        problem_type: str,
        source: str,
        *,
        channel=None,
        node_id=None,
        return_line_id=None,
        sku=None,
        key=None,
        file=None,
        occurred_at=None,
        detail: str = "",
    ) -> None:
        self.truth.problems.add(
            (
                problem_type,
                source,
                channel,
                node_id,
                return_line_id,
                sku,
                key,
                file,
                occurred_at,
                detail,
            )
        )
        self.count += 1


def corrupt(buffer: FileBuffer, line: str, spec: Malformed) -> str:
    """A corrupted copy of `line` that breaks the contract in the way `spec.kind` says."""
    kind, column = spec.kind, spec.column
    if buffer.entity.format == "ndjson":
        if kind == INVALID_JSON:
            return line.replace('":', '"=', 1)  # one key without its colon
        if kind == INVALID_UTF8:
            return line.replace('":"', '":"\udcff\udcfe', 1)  # raw bytes 0xFF 0xFE
        record = json.loads(line)
        if kind == MISSING:
            del record[column]
        elif kind == WRONG_TYPE:
            record[column] = "n/a"
        elif kind == BAD_TIMESTAMP:
            record[column] = "31/02/2026 25:61"
        elif kind == UNKNOWN_ENUM:
            record[column] = UNKNOWN_VALUES[column]
        elif kind == NEGATIVE:
            record[column] = -abs(int(record[column]) or 1)
        return json.dumps(record, separators=(",", ":"))
    names = [c.name for c in buffer.entity.columns]
    fields = line.split(buffer.delimiter)
    at = names.index(column) if column else 0
    if kind == MISSING:
        fields[at] = ""
    elif kind == WRONG_TYPE:
        fields[at] = "n/a"
    elif kind == BAD_TIMESTAMP:
        fields[at] = "31/02/2026 25:61"
    elif kind == UNKNOWN_ENUM:
        fields[at] = UNKNOWN_VALUES[column]
    elif kind == NEGATIVE:
        fields[at] = "-" + fields[at].lstrip("-")
    elif kind == INVALID_UTF8:
        fields[at] = fields[at] + "\udcff"
    return buffer.delimiter.join(fields)


def truncate(buffer: FileBuffer, keep: int) -> FileBuffer:
    """A partial copy: `keep` complete records, then the next one cut mid-record."""
    cut = buffer.lines[keep]
    if buffer.entity.format == "ndjson":
        partial = cut[: len(cut) // 2]
    else:  # end inside the second field: the row has too few columns
        first = cut.index(buffer.delimiter)
        partial = cut[: first + 3]
    stem, _, suffix = buffer.path.rpartition(".")
    copy = FileBuffer(buffer.entity, f"{stem}.redelivery.{suffix}")
    copy.lines = buffer.lines[:keep] + [partial]
    copy.cut_last_line = True
    return copy


class FileInjector:
    """Applies the malformed-row and truncated-file plans to each day's buffers."""

    def __init__(
        self, log: ProblemLog, rng: random.Random, days: int, malformed: bool, truncated: bool
    ):
        self.log, self.rng = log, rng
        span = max(days - 2, 1)
        # spread over the run, away from the first day (no returns yet) and the opening
        self.malformed = (
            [(1 + (7 * k) % span, spec) for k, spec in enumerate(MALFORMED_PLAN)]
            if malformed
            else []
        )
        self.truncated = (
            [(1 + (5 * k + 3) % span, entity) for k, entity in enumerate(TRUNCATED_PLAN)]
            if truncated
            else []
        )
        self.rejects = 0

    def _reject(
        self, file: str, row: int, kind: str, entity: Entity, column: str | None, day_ts: int
    ) -> None:
        self.log.truth.injected_rejects.add((file, row, kind, entity.table, column))
        self.log.add(
            "malformed_row" if kind != TRUNCATED else "truncated_file",
            entity.source,
            file=file,
            key=f"row {row}",
            occurred_at=day_ts,
            detail=f"{entity.table}: {kind}" + (f" in {column}" if column else ""),
        )
        self.rejects += 1

    def apply(self, day: int, day_ts: int, buffers: list[FileBuffer]) -> list[FileBuffer]:
        touched: set[str] = set()
        still = []
        for due, spec in self.malformed:
            candidates = [
                b
                for b in buffers
                if due <= day and b.entity is spec.entity and b.lines and b.path not in touched
            ]
            target = max(candidates, key=lambda b: len(b.lines), default=None)
            if target is None:
                still.append((due, spec))
                continue
            at = self.rng.randrange(len(target.lines))
            target.lines.insert(at + 1, corrupt(target, target.lines[at], spec))
            touched.add(target.path)
            self._reject(target.path, at + 2, spec.kind, spec.entity, spec.column, day_ts)
        self.malformed = still

        extra, pending = [], []
        for due, entity in self.truncated:
            candidates = [
                b
                for b in buffers
                if due <= day
                and b.entity is entity
                and len(b.lines) >= 2
                and b.path not in touched  # its copy would repeat an injected row
            ]
            original = max(candidates, key=lambda b: len(b.lines), default=None)
            if original is None:
                pending.append((due, entity))
                continue
            copy = truncate(original, len(original.lines) // 2)
            extra.append(copy)
            self._reject(copy.path, len(copy.lines), TRUNCATED, entity, None, day_ts)
        self.truncated = pending
        return buffers + extra
