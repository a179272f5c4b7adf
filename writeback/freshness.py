"""Never push from stale data: the guard in front of every write-back pass.

A correction is not sent when any source feeding it is staler than its SLA, or when the latest
blocking checks failed. The guard says which source (or check) and holds the corrections: the
outbox is left exactly as it was, nothing is enqueued or sent, and the next pass with fresh
data recomputes them from the mart.

    verdict = check_freshness(warehouse, sources=("shopify", "wms", "channel_stock"))
    result = guarded_writeback(warehouse, landing, sources=..., failed_checks=[...])
    print(result)                       # readable: which source is stale and by how much

**Which sources feed the corrections.** The caller says: the Dagster asset passes every dbt
source upstream of `fct_stock_corrections` in the manifest's lineage (today `channel_stock`,
`pos`, `shopify`, `wms`); the default is `shopify`, `wms`, `channel_stock`. `approvals` never
counts: operators' decisions gate corrections one by one in the outbox.

**How old is a source.** Its newest *record time* in `raw.*`: the latest of the timestamps its
contract types as `TIMESTAMP_UTC` (Stripe's Unix `created` for payment refunds), over all its
tables. `channel_stock` counts only `pull` lines: a write-back ack is our own echo, not news
from the channel.

**"Now" (the freshness clock)**, first that applies:

1. an explicit `now` (tests, callers that know better);
2. `RETURNOPS_FRESHNESS_NOW`: an ISO 8601 time (naive means UTC), or `wall` for the wall clock:
   what a deployment reading live feeds sets;
3. otherwise the *data clock*: the newest record time across all sources, leaving out
   `channel_stock` and `approvals`, which this platform writes itself at wall-clock time (acks,
   sandbox pulls, operators' decisions) and which would drag the clock to today.

The data clock is the default because the embedded demo replays a simulated past window: against
the wall clock every source would be months old. Relative to the newest data, a source is stale
when it has fallen behind the others by more than its SLA, which is the failure that produces
wrong corrections (ATP from yesterday's WMS against today's channel stock). It cannot see every
feed stopping at once; a live deployment sets `RETURNOPS_FRESHNESS_NOW=wall` for that.

SLAs are the `source_freshness` rows of the `sla_targets` seed (`scope` = source,
`target_hours`), read from the warehouse's seed table (`main.sla_targets`, what dbt loaded) or,
before the first `dbt build`, from `dbt_project/seeds/sla_targets.csv`. A feeding source with
no SLA row is not judged; one with an SLA and no records at all is stale ("nothing loaded").
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ingest.contracts import TIMESTAMP_UTC
from ingest.sources import ENTITIES
from ingest.warehouse import connect

SLA_SEED = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "sla_targets.csv"
FRESHNESS_METRIC = "source_freshness"
FRESHNESS_NOW_ENV = "RETURNOPS_FRESHNESS_NOW"
CORRECTIONS_TABLE = "marts.fct_stock_corrections"

# What the numbers of `fct_stock_corrections` come from when lineage does not say: ATP from the
# WMS, what the channels show from Shopify inventory levels and channel-stock snapshots.
DEFAULT_FEEDING_SOURCES = ("shopify", "wms", "channel_stock")
# Written by this platform at wall-clock time: never the data clock. Approvals gate corrections
# one by one in the outbox; an operator who has not decided anything lately is not stale data.
SELF_WRITTEN_SOURCES = frozenset({"channel_stock", "approvals"})
NOT_FEEDING = frozenset({"approvals"})

# record-time expressions that are not a TIMESTAMP_UTC column of the contract
RECORD_TIME_OVERRIDES = {
    "finance__payment_refunds": ["make_timestamp(max(created) * 1000000)"],
    # An All Orders report row's `last-updated-date` is its status time (a same-day shipment),
    # which a report pulled during the day may carry ahead of the report itself (the live
    # simulator writes orders as they are placed): the order's placement is the news.
    "amazon__orders": ['max("purchase-date")'],
}
# rows of a table that count as news from the source
RECORD_FILTERS = {"channel_stock__snapshots": "lower(origin) = 'pull'"}


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    max_age_hours: float
    newest_at: datetime | None  # newest record time in raw.*; None when nothing was loaded
    now: datetime

    @property
    def age_hours(self) -> float | None:
        if self.newest_at is None:
            return None
        return (self.now - self.newest_at).total_seconds() / 3600

    @property
    def stale(self) -> bool:
        return self.newest_at is None or (self.age_hours or 0.0) > self.max_age_hours

    @property
    def reason(self) -> str:
        if self.newest_at is None:
            return f"{self.source}: nothing loaded (SLA {self.max_age_hours:g} h)"
        verdict = "STALE" if self.stale else "fresh"
        return (
            f"{self.source}: {verdict}, newest record {self.newest_at:%Y-%m-%d %H:%M:%S} is "
            f"{self.age_hours:.1f} h old (SLA {self.max_age_hours:g} h)"
        )


@dataclass(frozen=True)
class FreshnessReport:
    now: datetime
    clock: str  # how `now` was chosen, in words
    sources: tuple[SourceFreshness, ...] = ()
    unjudged: tuple[str, ...] = ()  # feeding sources without an SLA row

    @property
    def stale(self) -> list[SourceFreshness]:
        return [s for s in self.sources if s.stale]

    @property
    def ok(self) -> bool:
        return not self.stale

    @property
    def reason(self) -> str | None:
        """Why write-back must hold, naming each stale source; None when every source is fresh."""
        if self.ok:
            return None
        return "stale source data: " + "; ".join(s.reason for s in self.stale)

    def lines(self) -> list[str]:
        lines = [f"freshness at {self.now:%Y-%m-%d %H:%M:%S} UTC ({self.clock}):"]
        lines += [f"  {s.reason}" for s in self.sources]
        if self.unjudged:
            lines.append(f"  no freshness SLA for: {', '.join(self.unjudged)}")
        return lines


# ------------------------------------------------------------------------------------------ SLAs
def _freshness_rows(rows: Iterable[Mapping]) -> dict[str, float]:
    return {
        str(r["scope"]): float(r["target_hours"])
        for r in rows
        if str(r["metric"]) == FRESHNESS_METRIC and r.get("target_hours") not in (None, "")
    }


def freshness_slas(
    con: duckdb.DuckDBPyConnection | None = None, seed_csv: Path = SLA_SEED
) -> dict[str, float]:
    """Hours of silence tolerated per source: the seed table in the warehouse, else the CSV."""
    if con is not None and _table_exists(con, "main", "sla_targets"):
        frame = con.execute("select metric, scope, target_hours from main.sla_targets").df()
        return _freshness_rows(frame.to_dict("records"))
    with seed_csv.open(newline="", encoding="utf-8") as handle:
        return _freshness_rows(csv.DictReader(handle))


# ---------------------------------------------------------------------------------- record times
def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    query = (
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = ? and table_catalog = current_database()"
    )
    return con.execute(query, [schema, table]).fetchone()[0] > 0


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def newest_record_times(
    con: duckdb.DuckDBPyConnection, sources: Iterable[str]
) -> dict[str, datetime | None]:
    """The newest record time per source over its raw tables; None when it has no records."""
    newest: dict[str, datetime | None] = {}
    for source in sources:
        times = []
        for entity in (e for e in ENTITIES if e.source == source):
            if not _table_exists(con, "raw", entity.table):
                continue
            parts = RECORD_TIME_OVERRIDES.get(entity.table) or [
                f"max({_quoted(c.name)})" for c in entity.columns if c.type == TIMESTAMP_UTC
            ]
            if not parts:
                continue
            where = RECORD_FILTERS.get(entity.table, "true")
            expression = parts[0] if len(parts) == 1 else f"greatest({', '.join(parts)})"
            (value,) = con.execute(
                f"select {expression} from raw.{_quoted(entity.table)} where {where}"
            ).fetchone()
            if value is not None:
                times.append(pd.Timestamp(value).to_pydatetime().replace(tzinfo=None))
        newest[source] = max(times) if times else None
    return newest


# ----------------------------------------------------------------------------------------- clock
def _parse_now(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def freshness_clock(
    newest: Mapping[str, datetime | None],
    now: datetime | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[datetime, str]:
    """(now, how it was chosen): explicit, `RETURNOPS_FRESHNESS_NOW`, else the data clock."""
    environ = os.environ if environ is None else environ
    if isinstance(now, datetime):
        return (now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now), "given"
    text = (now if isinstance(now, str) else environ.get(FRESHNESS_NOW_ENV, "")).strip()
    label = "given" if isinstance(now, str) else f"{FRESHNESS_NOW_ENV}={text}"
    if text.lower() in ("wall", "now", "wall-clock"):
        return datetime.now(UTC).replace(tzinfo=None), f"wall clock ({label})"
    if text:
        return _parse_now(text), label
    clocked = [t for s, t in newest.items() if s not in SELF_WRITTEN_SOURCES and t is not None]
    if not clocked:  # only self-written sources have data: nothing to be stale against
        clocked = [t for t in newest.values() if t is not None]
    if not clocked:
        return datetime.now(UTC).replace(tzinfo=None), "wall clock (no data loaded)"
    return max(clocked), "data clock: the newest record of any source"


def check_freshness(
    warehouse: Path | str | duckdb.DuckDBPyConnection,
    sources: Iterable[str] | None = None,
    slas: Mapping[str, float] | None = None,
    now: datetime | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> FreshnessReport:
    """Which feeding sources are staler than their SLA, relative to the freshness clock."""
    if not isinstance(warehouse, duckdb.DuckDBPyConnection):
        path = Path(warehouse)
        if not path.exists():
            with duckdb.connect(":memory:") as con:
                return check_freshness(con, sources, slas, now, environ)
        with connect(path, read_only=True) as con:
            return check_freshness(con, sources, slas, now, environ)
    con = warehouse
    feeding = [s for s in dict.fromkeys(sources or DEFAULT_FEEDING_SOURCES) if s not in NOT_FEEDING]
    slas = freshness_slas(con) if slas is None else dict(slas)
    everything = dict.fromkeys([*feeding, *(e.source for e in ENTITIES)])
    newest = newest_record_times(con, everything)
    clock, how = freshness_clock(newest, now, environ)
    judged = tuple(SourceFreshness(s, slas[s], newest.get(s), clock) for s in feeding if s in slas)
    return FreshnessReport(clock, how, judged, tuple(s for s in feeding if s not in slas))


# ------------------------------------------------------------------------------ the guarded pass
@dataclass
class GuardedWriteback:
    """One write-back pass behind the guard: what the guard found and what the pass did."""

    freshness: FreshnessReport
    failed_checks: tuple[str, ...] = ()
    corrections: int = 0  # rows of fct_stock_corrections read
    mart_missing: bool = False
    dry_run: bool = False
    report: object | None = None  # WritebackReport; None when held and not a dry run

    @property
    def held_reason(self) -> str | None:
        reasons = []
        if self.failed_checks:
            reasons.append(f"the latest blocking checks failed: {', '.join(self.failed_checks)}")
        if self.freshness.reason:
            reasons.append(self.freshness.reason)
        return "; ".join(reasons) or None

    @property
    def held(self) -> int:
        """Corrections held back by the guard (all the mart's, when it holds)."""
        return self.corrections if self.held_reason else 0

    def guard_lines(self) -> list[str]:
        """The guard's verdict: held or not, and why; each feeding source's freshness."""
        lines = []
        if self.held_reason:
            verb = "would hold" if self.dry_run else "HELD"
            lines.append(
                f"write-back {verb}: nothing sent, {self.corrections} corrections held; "
                f"{self.held_reason}"
            )
        lines += self.freshness.lines()
        if self.mart_missing:
            lines.append(f"no {CORRECTIONS_TABLE} in the warehouse yet: no new corrections")
        return lines

    def lines(self) -> list[str]:
        return self.guard_lines() + (self.report.lines() if self.report is not None else [])

    def __str__(self) -> str:
        return "\n".join(self.lines())


def read_corrections(
    con: duckdb.DuckDBPyConnection, table: str = CORRECTIONS_TABLE
) -> pd.DataFrame | None:
    """The mart's corrections, or None when it has not been built."""
    schema, name = table.split(".")
    if not _table_exists(con, schema, name):
        return None
    frame = con.execute(f"select * from {table}").df()
    if "unit_value" in frame.columns:
        frame["unit_value"] = frame["unit_value"].astype("float64")
    return frame


def guarded_writeback(
    warehouse: Path | str,
    landing: Path | str | None = None,
    *,
    sources: Sequence[str] | None = None,
    failed_checks: Sequence[str] = (),
    dry_run: bool = False,
    settings=None,
    now: datetime | str | None = None,
    environ: Mapping[str, str] | None = None,
    run_id: str | None = None,
) -> GuardedWriteback:
    """Read the corrections and judge freshness in one short read-only connection; then push
    (`run_writeback`) unless the guard holds. A dry run plans either way and sends nothing."""
    from writeback.run import run_writeback  # the channel clients load only when needed

    warehouse = Path(warehouse)
    corrections = None
    if warehouse.exists():
        with connect(warehouse, read_only=True) as con:
            freshness = check_freshness(con, sources, now=now, environ=environ)
            corrections = read_corrections(con)
    else:
        freshness = check_freshness(warehouse, sources, now=now, environ=environ)
    result = GuardedWriteback(
        freshness=freshness,
        failed_checks=tuple(failed_checks),
        corrections=0 if corrections is None else len(corrections),
        mart_missing=corrections is None,
        dry_run=dry_run,
    )
    if result.held_reason and not dry_run:
        return result
    result.report = run_writeback(
        warehouse, corrections, settings, dry_run=dry_run, landing=landing, run_id=run_id
    )
    return result
