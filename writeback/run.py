"""One write-back pass: enqueue corrections, apply approvals, push to the channels, record.

    report = run_writeback(warehouse_path, corrections)            # a real pass
    report = run_writeback(warehouse_path, corrections, dry_run=True)
    print(report)                                                  # readable lines

A pass, in order: new corrections enter the outbox (`pending`; older unsent ones for the same
item are superseded); conflicts from earlier passes are recomputed; operators' decisions from
`raw.approvals__decisions` are applied; then every sendable correction is pushed, channel by
channel, in batches (Shopify: 250 per mutation; Amazon: 500 per read-then-patch round),
the channels at the same time.
Acked corrections are written as `writeback_ack` snapshot lines and what conflicts revealed as
`pull` lines into `<landing>/channel_stock/`, so the next ingest sees what the channels show.

A dry run does all of that up to the push on an in-memory copy of the outbox: it shows what
would be sent and what waits for approval, sends nothing and changes nothing.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
from rich.table import Table

from ingest.paths import get_paths
from ingest.warehouse import connect
from writeback import outbox
from writeback.channels import ShopifyClient, client_for
from writeback.channels.base import ItemOutcome, SendResult, idempotency_key_for, now_utc
from writeback.corrections import Correction, as_corrections
from writeback.settings import WritebackSettings
from writeback.snapshots import SnapshotLine, iso_utc, write_snapshot_file

log = logging.getLogger(__name__)

AMAZON_BATCH = 500


@dataclass
class ChannelReport:
    channel: str
    protocol: str
    sent: int = 0
    acked: int = 0
    conflict: int = 0
    failed: int = 0
    requests: int = 0
    deferred: int = 0  # a second correction for an item already in flight waits a pass
    unavailable: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class PlannedSend:
    correction_id: str
    channel: str
    sku: str
    location_id: str | None
    published_quantity: int
    target_quantity: int
    delta: int
    status: str  # "send" or "awaiting approval: <why>"


@dataclass
class WritebackReport:
    run_id: str
    dry_run: bool = False
    enqueued: int = 0
    reopened: int = 0
    recomputed: int = 0
    superseded: int = 0
    approvals_applied: int = 0
    approvals_rejected: list[tuple[str, str, str]] = field(default_factory=list)
    held_for_approval: int = 0
    channels: dict[str, ChannelReport] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)  # the whole outbox after the pass
    planned: list[PlannedSend] = field(default_factory=list)  # dry run: what would happen
    snapshot_files: list[Path] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def unavailable(self) -> dict[str, str]:
        """Channels that could not be reached (their corrections stay pending), with why."""
        return {c.channel: c.unavailable for c in self.channels.values() if c.unavailable}

    def _total(self, name: str) -> int:
        return sum(getattr(c, name) for c in self.channels.values())

    @property
    def sent(self) -> int:
        return self._total("sent")

    @property
    def acked(self) -> int:
        return self._total("acked")

    @property
    def conflicts(self) -> int:
        return self._total("conflict")

    @property
    def failed(self) -> int:
        return self._total("failed")

    def lines(self, planned: bool = True) -> list[str]:
        """The report in words; `planned=False` leaves out a dry run's line per correction."""
        head = "write-back DRY RUN (nothing sent)" if self.dry_run else "write-back"
        lines = [
            f"{head} {self.run_id}: {self.enqueued} new corrections, {self.recomputed} "
            f"recomputed from conflicts, {self.superseded} superseded, {self.reopened} reopened",
            f"approvals: {self.approvals_applied} applied, {len(self.approvals_rejected)} "
            f"rejected; {self.held_for_approval} corrections awaiting approval",
        ]
        for approval_id, correction_id, reason in self.approvals_rejected:
            lines.append(f"  approval {approval_id} for {correction_id} rejected: {reason}")
        if self.dry_run:
            sends = [p for p in self.planned if p.status == "send"]
            lines.append(f"would send {len(sends)} corrections" + (":" if planned else ""))
            for p in self.planned if planned else ():
                where = f" @ {p.location_id}" if p.location_id else ""
                lines.append(
                    f"  {p.channel:<8} {p.sku}{where}: {p.published_quantity} -> "
                    f"{p.target_quantity} ({p.delta:+d})  {p.status}  [{p.correction_id}]"
                )
        for c in self.channels.values():
            if c.unavailable:
                lines.append(
                    f"{c.channel}: UNREACHABLE ({c.unavailable}); its corrections stay pending"
                )
            else:
                lines.append(
                    f"{c.channel}: sent {c.sent}: {c.acked} acked, {c.conflict} conflict, "
                    f"{c.failed} failed in {c.requests} requests, {c.seconds:.2f}s"
                    + (f"; {c.deferred} deferred" if c.deferred else "")
                )
        if self.states:
            states = ", ".join(f"{k} {v}" for k, v in sorted(self.states.items()))
            lines.append(f"outbox {'before sending' if self.dry_run else 'now'}: {states}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def table(self) -> Table:
        """A rich table: the planned sends of a dry run, else the channels' outcomes."""
        if self.dry_run:
            table = Table(title=f"write-back dry run {self.run_id}: nothing sent")
            for name in ("channel", "sku", "location", "published", "target", "delta", "status"):
                table.add_column(
                    name, justify="right" if name in {"published", "target", "delta"} else "left"
                )
            for p in self.planned:
                table.add_row(
                    p.channel,
                    p.sku,
                    p.location_id or "",
                    str(p.published_quantity),
                    str(p.target_quantity),
                    f"{p.delta:+d}",
                    p.status,
                )
            return table
        table = Table(title=f"write-back {self.run_id}")
        for name in (
            "channel",
            "sent",
            "acked",
            "conflict",
            "failed",
            "requests",
            "seconds",
            "note",
        ):
            table.add_column(name, justify="left" if name in {"channel", "note"} else "right")
        for c in self.channels.values():
            table.add_row(
                c.channel,
                str(c.sent),
                str(c.acked),
                str(c.conflict),
                str(c.failed),
                str(c.requests),
                f"{c.seconds:.2f}",
                f"unreachable: {c.unavailable}" if c.unavailable else "",
            )
        return table


def new_run_id() -> str:
    return f"wb_{datetime.now(UTC):%Y%m%dT%H%M%S}_{uuid.uuid4().hex[:6]}"


def run_writeback(
    warehouse_path: Path | str,
    corrections: pd.DataFrame | Iterable[Correction | dict] | None = None,
    settings: WritebackSettings | None = None,
    dry_run: bool = False,
    *,
    landing: Path | str | None = None,
    run_id: str | None = None,
) -> WritebackReport:
    """One write-back pass over `corrections` (the mart's rows) and the outbox's leftovers."""
    started = time.perf_counter()
    settings = settings or WritebackSettings.from_env()
    items = as_corrections(corrections)
    report = WritebackReport(run_id=run_id or new_run_id(), dry_run=dry_run)
    if dry_run:
        with _scratch_copy(Path(warehouse_path)) as con:
            _prepare(con, items, settings, report)
            _plan(con, report)
            report.states = outbox.state_counts(con)
    else:
        landing = Path(landing) if landing else get_paths().landing
        with connect(Path(warehouse_path)) as con:
            outbox.ensure_outbox_schema(con)
            _prepare(con, items, settings, report)
            report.held_for_approval = len(outbox.held_for_approval(con))
            _push(con, settings, landing, report)
            report.states = outbox.state_counts(con)
    report.seconds = time.perf_counter() - started
    for line in report.lines(planned=False):
        log.info(line)
    return report


def _prepare(con, items: list[Correction], settings: WritebackSettings, report) -> None:
    now = now_utc()
    enqueued = outbox.enqueue(con, items, settings, report.run_id, now)
    recomputed = outbox.recompute_conflicts(con, settings, report.run_id, now)
    approvals = outbox.apply_approvals(con, report.run_id, now)
    report.enqueued = len(enqueued.new)
    report.reopened = len(enqueued.reopened)
    report.recomputed = len(recomputed.new)
    report.superseded = len(enqueued.superseded) + len(recomputed.superseded)
    report.approvals_applied = len(approvals.applied)
    report.approvals_rejected = approvals.rejected


@contextmanager
def _scratch_copy(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory database holding a copy of what a pass reads: the dry run's playground."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("set TimeZone = 'UTC'")
        outbox.ensure_outbox_schema(con)
        con.execute("create schema if not exists raw")
        if warehouse.exists():
            quoted = str(warehouse).replace("'", "''")
            con.execute(f"attach '{quoted}' as warehouse (read_only)")
            for name in SCRATCH_TABLES:
                _copy_table(con, name)
            con.execute("detach warehouse")
        yield con
    finally:
        con.close()


SCRATCH_TABLES = ("ops.writeback_outbox", "ops.writeback_approvals", "raw.approvals__decisions")


def _copy_table(con: duckdb.DuckDBPyConnection, name: str) -> None:
    schema, table = name.split(".")
    (present,) = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = 'warehouse' and table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    if not present:
        return
    if outbox.table_exists(con, schema, table):
        con.execute(f"insert into {name} select * from warehouse.{name}")
    else:
        con.execute(f"create table {name} as select * from warehouse.{name}")


def _plan(con, report: WritebackReport) -> None:
    rows = outbox.sendable(con) + outbox.held_for_approval(con)
    report.held_for_approval = sum(
        1 for r in rows if r.state == outbox.PENDING and r.requires_approval
    )
    for row in rows:
        item = row.item
        waiting = row.state == outbox.PENDING and row.requires_approval
        report.planned.append(
            PlannedSend(
                correction_id=item.correction_id,
                channel=item.channel,
                sku=item.sku,
                location_id=item.location_id,
                published_quantity=item.published_quantity,
                target_quantity=item.target_quantity,
                delta=row.delta,
                status=f"awaiting approval: {row.approval_reason}" if waiting else "send",
            )
        )


def _one_per_item(rows: list[outbox.OutboxRow]) -> tuple[list[outbox.OutboxRow], int]:
    """A correction still in flight from an earlier pass goes first; a newer one for the same
    item waits for the next pass (one mutation may not name an item twice)."""
    seen, kept, deferred = set(), [], 0
    for row in rows:
        key = (row.item.sku, row.item.location_id or "")
        if key in seen:
            deferred += 1
            continue
        seen.add(key)
        kept.append(row)
    return kept, deferred


def _fresh_key(rows: list[outbox.OutboxRow]) -> str:
    # Attempts are part of the key: a correction reopened after failing goes out under a new
    # key (Shopify refuses to reuse the key of a failed attempt), while one resumed after a
    # crash keeps the key it was sent with (stored when it became `sent`).
    return idempotency_key_for(f"{r.item.correction_id}#{r.attempts}" for r in rows)


def _batches(rows: list[outbox.OutboxRow], protocol: str, settings: WritebackSettings):
    """(idempotency key per correction, rows) per request batch."""
    resumed: dict[str, list[outbox.OutboxRow]] = {}
    fresh = []
    for row in rows:
        if row.state == outbox.SENT and row.idempotency_key:
            resumed.setdefault(row.idempotency_key, []).append(row)
        else:
            fresh.append(row)
    if protocol == "amazon":  # one patch per listing, each its own key
        rows = [r for group in resumed.values() for r in group] + fresh
        for start in range(0, len(rows), AMAZON_BATCH):
            batch = rows[start : start + AMAZON_BATCH]
            keys = {
                r.item.correction_id: r.idempotency_key
                if r.state == outbox.SENT and r.idempotency_key
                else _fresh_key([r])
                for r in batch
            }
            yield keys, batch
        return
    # Shopify: corrections sent before without an answer go out again exactly as they were
    for key, group in resumed.items():
        yield {r.item.correction_id: key for r in group}, group
    size = settings.shopify_batch_size
    for start in range(0, len(fresh), size):
        group = fresh[start : start + size]
        key = _fresh_key(group)
        yield {r.item.correction_id: key for r in group}, group


def _unsendable(row: outbox.OutboxRow) -> str | None:
    if row.protocol not in ("shopify", "amazon"):
        return f"channel {row.item.channel} has no write-back protocol"
    if row.protocol == "shopify" and not (row.item.inventory_item_id and row.item.location_id):
        return "missing the Shopify inventory item id or location id"
    return None


def _push(con, settings: WritebackSettings, landing: Path, report: WritebackReport) -> None:
    """Each channel on its own thread and database cursor: a slow or unreachable channel does
    not hold the others back, and one channel's outbox writes overlap another's requests."""
    by_channel: dict[str, list[outbox.OutboxRow]] = {}
    for row in outbox.sendable(con):
        by_channel.setdefault(row.item.channel, []).append(row)
    for channel, rows in by_channel.items():
        report.channels[channel] = ChannelReport(channel, rows[0].protocol)
    if not by_channel:
        return
    cursors = {channel: con.cursor() for channel in by_channel}
    try:
        with ThreadPoolExecutor(len(by_channel), thread_name_prefix="writeback") as pool:
            futures = [
                pool.submit(_push_channel, cursors[channel], rows, settings, landing, report)
                for channel, rows in by_channel.items()
            ]
            for future in futures:
                future.result()  # a channel's unexpected error is the run's error
    finally:
        for cursor in cursors.values():
            cursor.close()


def _push_channel(
    con, rows: list[outbox.OutboxRow], settings: WritebackSettings, landing: Path, report
) -> None:
    channel = rows[0].item.channel
    channel_report = report.channels[channel]
    started = time.perf_counter()
    rows, channel_report.deferred = _one_per_item(rows)
    refused = [
        ItemOutcome(r.item.correction_id, "failed", _unsendable(r)) for r in rows if _unsendable(r)
    ]
    if refused:
        outbox.record_results(con, report.run_id, refused, [], now_utc())
        channel_report.failed += len(refused)
    rows = [r for r in rows if not _unsendable(r)]
    lines: list[SnapshotLine] = []
    if not rows:
        channel_report.seconds = time.perf_counter() - started
        return
    with client_for(channel, settings) as client:
        for keys, batch in _batches(rows, channel_report.protocol, settings):
            result = _send(con, client, keys, batch, report.run_id)
            finished = now_utc()
            outbox.record_results(con, report.run_id, result.outcomes, result.exchanges, finished)
            delivered = {o.correction_id for o in result.outcomes}
            undelivered = [cid for cid in keys if cid not in delivered]
            if undelivered:
                reason = f"not delivered: {channel} unavailable ({result.unavailable})"
                outbox.return_undelivered(con, undelivered, reason, report.run_id, finished)
            channel_report.sent += len(delivered)
            channel_report.requests += len(result.exchanges)
            by_id = {r.item.correction_id: r.item for r in batch}
            for outcome in result.outcomes:
                count = getattr(channel_report, outcome.state)
                setattr(channel_report, outcome.state, count + 1)
                item = by_id[outcome.correction_id]
                line = _snapshot_line(item, outcome, report.run_id, finished)
                if line is not None:
                    lines.append(line)
            if result.unavailable:
                channel_report.unavailable = result.unavailable
                break
    channel_report.seconds = time.perf_counter() - started
    acks = [line for line in lines if line.origin == "writeback_ack"]
    observed = [line for line in lines if line.origin == "pull"]
    for stem, part in (
        (f"ack_{report.run_id}_{channel}", acks),
        (f"pull_{channel}_{report.run_id}_observed", observed),
    ):
        path = write_snapshot_file(landing, stem, part)
        if path is not None:
            report.snapshot_files.append(path)


def _send(con, client, keys: dict[str, str], batch, run_id: str) -> SendResult:
    """Write-ahead `sent`, then the request(s) of one batch."""
    outbox.mark_sent(con, keys, run_id, now_utc())
    items = [r.item for r in batch]
    if isinstance(client, ShopifyClient):
        return client.send_batch(items, next(iter(keys.values())))
    resumed = frozenset(r.item.correction_id for r in batch if r.state == outbox.SENT)
    return client.send_batch(items, keys, resumed)


def _snapshot_line(item, outcome: ItemOutcome, run_id: str, at: datetime) -> SnapshotLine | None:
    """An ack of what the channel now shows, or a conflict's observation of it."""
    if outcome.state == "acked":
        quantity, origin, snapshot, correction = (
            item.target_quantity,
            "writeback_ack",
            f"ack_{run_id}",
            item.correction_id,
        )
    elif outcome.state == "conflict" and outcome.observed_quantity is not None:
        quantity, origin, snapshot, correction = (
            outcome.observed_quantity,
            "pull",
            f"observed_{run_id}",
            None,
        )
    else:
        return None
    return SnapshotLine(
        snapshot_id=snapshot,
        channel=item.channel,
        sku=item.sku,
        location_id=item.location_id,
        quantity=quantity,
        captured_at=iso_utc(at),
        origin=origin,
        correction_id=correction,
    )
