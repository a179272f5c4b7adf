"""The write-back outbox (DESIGN §8): every correction's state, and every request and answer.

States of a correction (column `status` of `ops.writeback_outbox`):

    pending ──(needs approval: an operator approves)──► approved ──► sent ──► acked
       │  └──────────(no approval needed)─────────────────────────►  │ ├──► conflict
       │                                                              │ └──► failed
       ├──► rejected     an operator declined it (pending or approved)
       └──► superseded   a newer correction for the same channel × SKU × location arrived first

- `sent` is written before the request goes out, with the batch's idempotency key: a run that
  dies mid-request leaves `sent`, and the next run resends with the same key (applied once).
- `sent` goes back to `pending`/`approved` when the channel was unavailable (nothing delivered).
- `conflict`: the channel no longer showed the correction's basis (compare-and-set stale). It is
  never forced: the next run recomputes it from what the channel showed (`observed_quantity`)
  into a new correction (`supersedes` = the conflict), unless a newer correction for that
  channel × SKU × location has arrived meanwhile.
- `failed` is final for the run. A correction the mart asks for again later is reopened (it
  may have failed for a reason that has passed: an outage, a throttle that outlasted retries).

`acked`, `conflict`, `failed`, `rejected` and `superseded` are final within a run: every
correction is in exactly one state, so the counts always add up to the corrections enqueued.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

from writeback.channels.base import Exchange, ItemOutcome, SendItem
from writeback.corrections import Correction
from writeback.settings import WritebackSettings

PENDING, APPROVED, SENT = "pending", "approved", "sent"
ACKED, CONFLICT, FAILED = "acked", "conflict", "failed"
REJECTED, SUPERSEDED = "rejected", "superseded"
STATES = (PENDING, APPROVED, SENT, ACKED, CONFLICT, FAILED, REJECTED, SUPERSEDED)
FINAL_STATES = frozenset({ACKED, CONFLICT, FAILED, REJECTED, SUPERSEDED})
TRANSITIONS = {
    PENDING: {APPROVED, SENT, REJECTED, SUPERSEDED},
    APPROVED: {SENT, REJECTED, SUPERSEDED},
    SENT: {ACKED, CONFLICT, FAILED, PENDING, APPROVED},
    FAILED: {PENDING, APPROVED},  # reopened when the mart asks for it again
    ACKED: set(),
    CONFLICT: set(),  # recomputed into a new correction, never resent
    REJECTED: set(),
    SUPERSEDED: set(),
}

OUTBOX_DDL = """
create schema if not exists ops;
create table if not exists ops.writeback_outbox (
    correction_id      varchar   not null,
    enqueue_seq        bigint    not null,  -- order of arrival; the newest per item wins
    channel            varchar   not null,
    protocol           varchar   not null,  -- shopify | amazon | none (cannot be sent)
    sku                varchar   not null,
    location_id        varchar,
    inventory_item_id  varchar,
    published_quantity integer   not null,  -- what the channel showed: the compare-and-set base
    target_quantity    integer   not null,
    delta              integer   not null,
    unit_value         decimal(18, 2),
    basis_published_at timestamp,
    requires_approval  boolean   not null,
    approval_reason    varchar,             -- which threshold it exceeds
    status             varchar   not null,  -- pending, approved, sent, acked, conflict, ...
    status_reason      varchar,             -- why it is in that status, in words
    idempotency_key    varchar,             -- of the batch it was last sent in
    attempts           integer   not null,  -- write requests that carried it, retries included
    approval_id        varchar,
    observed_quantity  integer,             -- what the channel showed on conflict
    supersedes         varchar,             -- the conflict this correction recomputes
    superseded_by      varchar,
    recomputed_as      varchar,             -- conflict: the correction that recomputed it
    recomputed_at      timestamp,
    enqueued_run_id    varchar   not null,
    last_run_id        varchar   not null,
    enqueued_at        timestamp not null,
    approved_at        timestamp,
    sent_at            timestamp,
    finished_at        timestamp,
    updated_at         timestamp not null
);
create table if not exists ops.writeback_audit (
    run_id          varchar   not null,
    channel         varchar   not null,
    operation       varchar   not null,  -- inventorySetQuantities, patchListingsItem, reads
    attempt         integer   not null,
    idempotency_key varchar,             -- set on writes
    correction_ids  varchar[] not null,
    method          varchar   not null,
    url             varchar   not null,
    request_body    varchar,
    status_code     integer,
    response_body   varchar,
    error           varchar,             -- timeout, dropped connection, ...
    started_at      timestamp not null,
    elapsed_ms      double    not null
);
create table if not exists ops.writeback_approvals (
    approval_id   varchar   not null,
    correction_id varchar   not null,
    decision      varchar   not null,  -- approve | reject
    operator      varchar,
    role          varchar,
    decided_at    timestamp,
    outcome       varchar   not null,  -- applied | rejected
    reason        varchar,             -- why a decision could not be applied
    run_id        varchar   not null,
    processed_at  timestamp not null
);
"""

INSERT_COLUMNS = (
    "correction_id, enqueue_seq, channel, protocol, sku, location_id, inventory_item_id, "
    "published_quantity, target_quantity, delta, unit_value, basis_published_at, "
    "requires_approval, approval_reason, status, status_reason, attempts, supersedes, "
    "enqueued_run_id, last_run_id, enqueued_at, updated_at"
)


def ensure_outbox_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(OUTBOX_DDL)


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    query = (
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = ? and table_catalog = current_database()"
    )
    return con.execute(query, [schema, table]).fetchone()[0] > 0


@dataclass
class EnqueueResult:
    new: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    known: int = 0  # already in the outbox, left as they are
    superseded: list[str] = field(default_factory=list)


def _frame(
    corrections: Sequence[Correction], settings: WritebackSettings, supersedes: dict[str, str]
) -> pd.DataFrame:
    rows = []
    for position, c in enumerate(corrections):
        reason = c.approval_reason(settings)
        rows.append(
            {
                "correction_id": c.correction_id,
                "position": position,
                "channel": c.channel,
                "protocol": settings.protocol_for(c.channel) or "none",
                "sku": c.sku,
                "location_id": c.location_id,
                "inventory_item_id": c.inventory_item_id,
                "published_quantity": c.published_quantity,
                "target_quantity": c.target_quantity,
                "delta": c.delta,
                "unit_value": c.unit_value,
                "basis_published_at": c.basis_published_at,
                "requires_approval": reason is not None,
                "approval_reason": reason,
                "supersedes": supersedes.get(c.correction_id),
            }
        )
    return pd.DataFrame(rows)


def _supersede_older(con, run_id: str, now: datetime) -> list[str]:
    """Unsent corrections with a newer correction for the same channel × SKU × location."""
    rows = con.execute(
        """
        with newest as (
            select channel, sku, coalesce(location_id, '') as location,
                   arg_max(correction_id, enqueue_seq) as correction_id, max(enqueue_seq) as seq
            from ops.writeback_outbox
            group by all
        )
        update ops.writeback_outbox o
        set status = 'superseded', superseded_by = n.correction_id, finished_at = ?,
            updated_at = ?, last_run_id = ?,
            status_reason = 'superseded by the newer correction ' || n.correction_id
        from newest n
        where o.channel = n.channel and o.sku = n.sku and coalesce(o.location_id, '') = n.location
          and o.enqueue_seq < n.seq and o.status in ('pending', 'approved')
        returning o.correction_id
        """,
        [now, now, run_id],
    ).fetchall()
    return [r[0] for r in rows]


def enqueue(
    con: duckdb.DuckDBPyConnection,
    corrections: Sequence[Correction],
    settings: WritebackSettings,
    run_id: str,
    now: datetime,
    supersedes: dict[str, str] | None = None,
) -> EnqueueResult:
    """Add new corrections as `pending`; reopen failed ones asked for again; supersede older."""
    result = EnqueueResult()
    if not corrections:
        return result
    incoming = _frame(corrections, settings, supersedes or {})
    con.register("incoming", incoming)
    try:
        con.execute("begin")
        (base_seq,) = con.execute(
            "select coalesce(max(enqueue_seq), 0) from ops.writeback_outbox"
        ).fetchone()
        known = con.execute(
            """
            select o.correction_id, o.status from ops.writeback_outbox o
            where o.correction_id in (select correction_id from incoming)
            """
        ).fetchall()
        result.known = sum(1 for _, state in known if state != FAILED)
        result.reopened = [cid for cid, state in known if state == FAILED]
        if result.reopened:
            # reopening is arriving again: it becomes the newest correction for its item
            con.execute(
                """
                update ops.writeback_outbox o
                set status = case when o.approval_id is null then 'pending' else 'approved' end,
                    status_reason = 'reopened: asked for again after failing (' || coalesce(
                        o.status_reason, 'no reason') || ')',
                    enqueue_seq = ? + i.position + 1, finished_at = null, updated_at = ?,
                    last_run_id = ?
                from incoming i
                where o.correction_id = i.correction_id and o.status = 'failed'
                """,
                [base_seq, now, run_id],
            )
        inserted = con.execute(
            f"""
            insert into ops.writeback_outbox ({INSERT_COLUMNS})
            select correction_id, ? + position + 1, channel, protocol, sku,
                   cast(location_id as varchar), cast(inventory_item_id as varchar),
                   published_quantity, target_quantity, delta, unit_value,
                   cast(basis_published_at as timestamp), requires_approval,
                   cast(approval_reason as varchar), 'pending',
                   case when requires_approval then 'awaiting approval: ' || approval_reason end,
                   0, cast(supersedes as varchar), ?, ?, ?, ?
            from incoming
            where correction_id not in (select correction_id from ops.writeback_outbox)
            qualify row_number() over (partition by correction_id order by position) = 1
            returning correction_id
            """,
            [base_seq, run_id, run_id, now, now],
        ).fetchall()
        result.new = [r[0] for r in inserted]
        result.superseded = _supersede_older(con, run_id, now)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("incoming")
    return result


def _row_to_correction(row: dict) -> Correction:
    return Correction(
        correction_id=row["correction_id"],
        channel=row["channel"],
        sku=row["sku"],
        location_id=row["location_id"],
        inventory_item_id=row["inventory_item_id"],
        published_quantity=row["published_quantity"],
        target_quantity=row["target_quantity"],
        unit_value=float(row["unit_value"] or 0),
        basis_published_at=row["basis_published_at"],
    )


def recompute_conflicts(
    con: duckdb.DuckDBPyConnection, settings: WritebackSettings, run_id: str, now: datetime
) -> EnqueueResult:
    """Turn each conflict nobody has replaced yet into a correction from what the channel showed."""
    rows = con.execute(
        """
        select o.* from ops.writeback_outbox o
        where o.status = 'conflict' and o.recomputed_at is null
          and not exists (
              select 1 from ops.writeback_outbox n
              where n.channel = o.channel and n.sku = o.sku
                and coalesce(n.location_id, '') = coalesce(o.location_id, '')
                and n.enqueue_seq > o.enqueue_seq)
        order by o.enqueue_seq
        """
    ).df()
    new, supersedes, notes = [], {}, []
    for row in rows.to_dict("records"):
        row = {k: (None if pd.isna(v) else v) for k, v in row.items()}
        observed = row["observed_quantity"]
        if observed is None:
            notes.append(
                (row["correction_id"], None, "not recomputed: what the channel shows is unknown")
            )
            continue
        if int(observed) == row["target_quantity"]:
            notes.append(
                (row["correction_id"], None, "nothing to recompute: the channel shows the target")
            )
            continue
        original = _row_to_correction(row)
        recomputed = original.recomputed(
            int(observed), pd.Timestamp(row["finished_at"]).to_pydatetime()
        )
        new.append(recomputed)
        supersedes[recomputed.correction_id] = row["correction_id"]
        notes.append((row["correction_id"], recomputed.correction_id, "recomputed"))
    result = enqueue(con, new, settings, run_id, now, supersedes) if new else EnqueueResult()
    if notes:
        frame = pd.DataFrame(notes, columns=["correction_id", "recomputed_as", "note"])
        con.register("notes", frame)
        con.execute(
            """
            update ops.writeback_outbox o
            set recomputed_as = cast(n.recomputed_as as varchar), recomputed_at = ?,
                updated_at = ?,
                status_reason = o.status_reason || '; ' || case
                    when n.recomputed_as is null then n.note
                    else 'recomputed as ' || n.recomputed_as end
            from notes n where o.correction_id = n.correction_id
            """,
            [now, now],
        )
        con.unregister("notes")
    return result


@dataclass
class ApprovalResult:
    applied: list[tuple[str, str]] = field(default_factory=list)  # (approval_id, correction_id)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # ... and the reason


def _decide(decision: str, current: dict) -> tuple[str | None, str | None]:
    """The new state for a decision on a correction in `current`, or the reason it cannot apply."""
    state = current["state"]
    if state in (SENT, ACKED, CONFLICT, FAILED):
        return None, f"already sent (now {state})"
    if state == SUPERSEDED:
        return None, f"superseded by {current['superseded_by']}"
    if state == REJECTED:
        return None, f"already rejected by approval {current['approval_id']}"
    if decision == "approve":
        if state == APPROVED:
            return None, f"already approved by approval {current['approval_id']}"
        return APPROVED, None
    return REJECTED, None


def apply_approvals(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime) -> ApprovalResult:
    """Apply the operators' decisions in `raw.approvals__decisions` not processed before.

    Each (approval, correction) pair is processed once and recorded in `ops.writeback_approvals`
    as `applied` or `rejected` with the reason: unknown correction, already sent, superseded,
    already decided.
    """
    result = ApprovalResult()
    if not table_exists(con, "raw", "approvals__decisions"):
        return result
    decisions = con.execute(
        """
        with pairs as (
            select approval_id, decided_at, operator, role, lower(decision) as decision,
                   unnest(correction_ids) as correction_id
            from raw.approvals__decisions
        )
        select p.approval_id, p.correction_id, any_value(p.decision), any_value(p.operator),
               any_value(p.role), min(p.decided_at) as decided_at
        from pairs p
        where not exists (
            select 1 from ops.writeback_approvals a
            where a.approval_id = p.approval_id and a.correction_id = p.correction_id)
        group by p.approval_id, p.correction_id
        order by decided_at, p.approval_id, p.correction_id
        """
    ).fetchall()
    if not decisions:
        return result
    ids = sorted({d[1] for d in decisions})
    current = {
        row[0]: {"state": row[1], "approval_id": row[2], "superseded_by": row[3]}
        for row in con.execute(
            """
            select correction_id, status, approval_id, superseded_by from ops.writeback_outbox
            where correction_id in (select unnest(?::varchar[]))
            """,
            [ids],
        ).fetchall()
    }
    records, changes = [], {}
    for approval_id, correction_id, decision, operator, role, decided_at in decisions:
        row = current.get(correction_id)
        if decision not in ("approve", "reject"):
            new_state, reason = None, f"unknown decision {decision!r}"
        elif row is None:
            new_state, reason = None, "unknown correction: not in the outbox"
        else:
            new_state, reason = _decide(decision, row)
        if new_state is None:
            result.rejected.append((approval_id, correction_id, reason))
            outcome = "rejected"
        else:
            row.update(state=new_state, approval_id=approval_id)
            verb = "approved" if new_state == APPROVED else "rejected"
            changes[correction_id] = (new_state, approval_id, f"{verb} by {operator} ({role})")
            result.applied.append((approval_id, correction_id))
            outcome = "applied"
        records.append(
            (
                approval_id,
                correction_id,
                decision,
                operator,
                role,
                decided_at,
                outcome,
                reason,
                run_id,
                now,
            )
        )
    frame = pd.DataFrame(
        records,
        columns=[
            "approval_id",
            "correction_id",
            "decision",
            "operator",
            "role",
            "decided_at",
            "outcome",
            "reason",
            "run_id",
            "processed_at",
        ],
    )
    con.register("approval_records", frame)
    con.execute("begin")
    try:
        con.execute(
            """
            insert into ops.writeback_approvals
            select approval_id, correction_id, decision, operator, role,
                   cast(decided_at as timestamp), outcome, cast(reason as varchar), run_id,
                   processed_at
            from approval_records
            """
        )
        if changes:
            change_frame = pd.DataFrame(
                [(cid, *values) for cid, values in changes.items()],
                columns=["correction_id", "state", "approval_id", "reason"],
            )
            con.register("approval_changes", change_frame)
            con.execute(
                """
                update ops.writeback_outbox o
                set status = c.state, approval_id = c.approval_id, status_reason = c.reason,
                    approved_at = case when c.state = 'approved' then ?::timestamp end,
                    finished_at = case when c.state = 'rejected' then ?::timestamp end,
                    updated_at = ?, last_run_id = ?
                from approval_changes c where o.correction_id = c.correction_id
                """,
                [now, now, now, run_id],
            )
            con.unregister("approval_changes")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("approval_records")
    return result


@dataclass(frozen=True)
class OutboxRow:
    item: SendItem
    state: str
    protocol: str
    idempotency_key: str | None
    delta: int
    requires_approval: bool
    approval_reason: str | None
    attempts: int


SENDABLE = "status in ('approved', 'sent') or (status = 'pending' and not requires_approval)"


def outbox_rows(con: duckdb.DuckDBPyConnection, where: str) -> list[OutboxRow]:
    """Outbox rows matching a condition, in the order they arrived."""
    records = con.execute(
        f"""
        select correction_id, channel, sku, location_id, inventory_item_id, published_quantity,
               target_quantity, status, protocol, idempotency_key, delta, requires_approval,
               approval_reason, attempts
        from ops.writeback_outbox where {where} order by enqueue_seq
        """
    ).fetchall()
    return [OutboxRow(SendItem(*r[:7]), *r[7:]) for r in records]


def sendable(con: duckdb.DuckDBPyConnection) -> list[OutboxRow]:
    """What a run sends: approved, not needing approval, or sent before without an answer."""
    return outbox_rows(con, SENDABLE)


def held_for_approval(con: duckdb.DuckDBPyConnection) -> list[OutboxRow]:
    return outbox_rows(con, "status = 'pending' and requires_approval")


def mark_sent(
    con: duckdb.DuckDBPyConnection, keys: dict[str, str], run_id: str, now: datetime
) -> None:
    """Write-ahead: these corrections are about to go out under these idempotency keys."""
    frame = pd.DataFrame(list(keys.items()), columns=["correction_id", "idempotency_key"])
    con.register("sending", frame)
    try:
        con.execute(
            """
            update ops.writeback_outbox o
            set status = 'sent', idempotency_key = s.idempotency_key, sent_at = ?, updated_at = ?,
                last_run_id = ?
            from sending s where o.correction_id = s.correction_id
            """,
            [now, now, run_id],
        )
    finally:
        con.unregister("sending")


def record_results(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    outcomes: Sequence[ItemOutcome],
    exchanges: Sequence[Exchange],
    now: datetime,
) -> None:
    """Outcomes and the exchanges that led to them, in one transaction."""
    attempts: dict[str, int] = {}
    for exchange in exchanges:
        if exchange.idempotency_key is not None:  # a write
            for cid in exchange.correction_ids:
                attempts[cid] = attempts.get(cid, 0) + 1
    frame = pd.DataFrame(
        {
            "correction_id": [o.correction_id for o in outcomes],
            "state": [o.state for o in outcomes],
            "reason": pd.array([o.reason for o in outcomes], dtype="string"),
            "observed": pd.array([o.observed_quantity for o in outcomes], dtype="Int64"),
            "attempts": [attempts.get(o.correction_id, 0) for o in outcomes],
        }
    )
    con.register("outcomes", frame)
    con.execute("begin")
    try:
        record_exchanges(con, run_id, exchanges)
        con.execute(
            """
            update ops.writeback_outbox o
            set status = x.state, status_reason = x.reason,
                observed_quantity = cast(x.observed as integer),
                attempts = o.attempts + x.attempts, finished_at = ?, updated_at = ?,
                last_run_id = ?
            from outcomes x where o.correction_id = x.correction_id
            """,
            [now, now, run_id],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("outcomes")


def record_exchanges(
    con: duckdb.DuckDBPyConnection, run_id: str, exchanges: Sequence[Exchange]
) -> None:
    if not exchanges:
        return
    frame = pd.DataFrame(
        {
            "run_id": run_id,
            "channel": [e.channel for e in exchanges],
            "operation": [e.operation for e in exchanges],
            "attempt": [e.attempt for e in exchanges],
            "idempotency_key": pd.array([e.idempotency_key for e in exchanges], dtype="string"),
            "correction_ids": [list(e.correction_ids) for e in exchanges],
            "method": [e.method for e in exchanges],
            "url": [e.url for e in exchanges],
            "request_body": pd.array([e.request_body for e in exchanges], dtype="string"),
            "status_code": pd.array([e.status_code for e in exchanges], dtype="Int64"),
            "response_body": pd.array([e.response_body for e in exchanges], dtype="string"),
            "error": pd.array([e.error for e in exchanges], dtype="string"),
            "started_at": [e.started_at for e in exchanges],
            "elapsed_ms": [e.elapsed_ms for e in exchanges],
        }
    )
    con.register("exchanges", frame)
    try:
        con.execute(
            """
            insert into ops.writeback_audit
            select run_id, channel, operation, attempt, idempotency_key,
                   cast(correction_ids as varchar[]), method, url, request_body,
                   cast(status_code as integer), response_body, error, started_at, elapsed_ms
            from exchanges
            """
        )
    finally:
        con.unregister("exchanges")


def return_undelivered(
    con: duckdb.DuckDBPyConnection,
    correction_ids: Iterable[str],
    reason: str,
    run_id: str,
    now: datetime,
) -> None:
    """`sent` back to where it came from: the channel was unavailable, nothing was delivered."""
    ids = list(correction_ids)
    if not ids:
        return
    con.execute(
        """
        update ops.writeback_outbox
        set status = case when approval_id is null then 'pending' else 'approved' end,
            status_reason = ?, updated_at = ?, last_run_id = ?
        where status = 'sent' and correction_id in (select unnest(?::varchar[]))
        """,
        [reason, now, run_id, ids],
    )


def state_counts(
    con: duckdb.DuckDBPyConnection, correction_ids: Iterable[str] | None = None
) -> dict[str, int]:
    """Corrections per state: the whole outbox, or just the given corrections."""
    if correction_ids is None:
        rows = con.execute("select status, count(*) from ops.writeback_outbox group by status")
    else:
        rows = con.execute(
            """
            select status, count(*) from ops.writeback_outbox
            where correction_id in (select unnest(?::varchar[])) group by status
            """,
            [list(correction_ids)],
        )
    return dict(rows.fetchall())
