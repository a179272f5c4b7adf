"""A contract check on every raw table: the second line of defence behind the loader.

`raw/<source>__<entity>` gets `<source>__<entity>_contract`, built from the entity's contract in
`ingest.sources`: required columns not null, enum columns in their allowed set, numeric columns
at or above their minimum, one row per lineage key (`_file`, `_row`).

- A landed row that breaks the contract fails the check with ERROR severity, and the check is
  blocking: dbt does not build on a broken raw table. The loader should make this impossible.
- The checks are one step (`raw_contracts`, a subsettable multi-asset check): a run evaluates
  the ones of the tables it loads, through one read-only connection.
- What the latest load batch rejected (from `ops.load_log` / `ops.rejects`) is reported as
  metadata; more than `REJECT_SHARE_WARN` of the rows read rejected, or a file rejected whole,
  fails the check with WARN severity, which does not block.

How GX is used at scale: the rules are counted in DuckDB, one aggregate per rule in a single scan
of the table (`ingest.audit`), and GX validates the resulting one-row frame of violation counts
(each count must be 0). Pulling a raw table of millions of rows into pandas for GX to scan would
cost more memory and time than the load itself; the aggregate costs one columnar scan, and GX
still owns the verdict and its per-expectation report.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pandas as pd

from ingest.audit import BatchSummary, ContractAudit, audit_contract, batch_summary
from ingest.contracts import Entity
from ingest.sources import ENTITIES
from ingest.warehouse import connect
from orchestration.conditions import WITH_ITS_ASSET
from orchestration.defs.ingest.assets import raw_asset_key
from orchestration.defs.quality.expectations import validate_frame
from orchestration.defs.resources import Warehouse

if TYPE_CHECKING:
    import great_expectations as gx
    import great_expectations.expectations as gxe
else:  # imported on first use (orchestration.lazy_gx)
    from orchestration.lazy_gx import gx, gxe

# Above this share of rejected rows in the latest batch, something upstream changed: warn.
REJECT_SHARE_WARN = 0.05


def contract_suite(audit: ContractAudit) -> "gx.ExpectationSuite":
    """One expectation per rule over the frame of violation counts: every count is 0."""
    return gx.ExpectationSuite(
        name=f"raw.{audit.table}_contract",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column=rule, min_value=0, max_value=0, meta={"rule": audit.descriptions[rule]}
            )
            for rule in audit.violations
        ],
    )


def _broken_rules_table(audit: ContractAudit, failed: list[str]) -> str:
    lines = ["| rule | expectation | rows | sample |", "|---|---|---:|---|"]
    for rule in failed:
        sample = ", ".join(audit.samples.get(rule, [])).replace("|", "\\|") or "-"
        lines.append(
            f"| `{rule}` | {audit.descriptions[rule]} | {audit.violations[rule]} | {sample} |"
        )
    return "\n".join(lines)


def _rows(rule: str, count: int) -> str:
    return f"{rule} ({count} row{'' if count == 1 else 's'})"


def batch_metadata(batch: BatchSummary | None) -> dict[str, object]:
    """What the latest load batch read and rejected, as Dagster metadata."""
    if batch is None:
        return {"latest_batch": "none"}
    return {
        "latest_batch": batch.batch_id,
        "batch_files": batch.files,
        "batch_rows_read": batch.rows_read,
        "batch_rows_rejected": batch.rows_rejected,
        "batch_reject_share": dg.MetadataValue.float(round(batch.reject_share, 4)),
        "batch_files_rejected": len(batch.rejected_files),
        "rejected_by_reason": dg.MetadataValue.json(dict(batch.reasons)),
        "rejected_files": dg.MetadataValue.json(dict(batch.rejected_files)),
    }


def contract_verdict(
    entity: Entity,
    audit: ContractAudit,
    batch: BatchSummary | None,
    reject_share_warn: float = REJECT_SHARE_WARN,
) -> dg.AssetCheckResult:
    """The check's verdict on `raw.<entity>` from its audit and its latest load batch."""
    metadata: dict[str, object] = {
        "rows": audit.rows,
        **batch_metadata(batch),
        "reject_share_threshold": reject_share_warn,
    }
    check = contract_check_key(entity)
    key = {"asset_key": check.asset_key, "check_name": check.name}
    if not audit.exists:
        return dg.AssetCheckResult(
            **key,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"raw.{entity.table} does not exist yet: nothing has been loaded.",
            metadata=metadata,
        )

    validation = validate_frame(
        pd.DataFrame([audit.violations]), entity.table, contract_suite(audit)
    )
    metadata |= {
        "rules": validation.evaluated,
        "broken_rules": dg.MetadataValue.json(
            {rule: audit.violations[rule] for rule in validation.failed_columns}
        ),
    }
    if not validation.success:
        metadata["broken_rules_detail"] = dg.MetadataValue.md(
            _broken_rules_table(audit, validation.failed_columns)
        )
        broken = ", ".join(_rows(r, audit.violations[r]) for r in validation.failed_columns)
        return dg.AssetCheckResult(
            **key,
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=f"Landed rows of raw.{entity.table} break its contract: {broken}.",
            metadata=metadata,
        )

    warnings = []
    if batch is not None and batch.reject_share > reject_share_warn:
        warnings.append(
            f"latest batch rejected {batch.rows_rejected} of {batch.rows_read} rows read "
            f"({batch.reject_share:.1%} > {reject_share_warn:.0%})"
        )
    if batch is not None and batch.rejected_files:
        names = ", ".join(f for f, _ in batch.rejected_files)
        warnings.append(f"latest batch rejected whole files: {names}")
    if warnings:
        return dg.AssetCheckResult(
            **key,
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description="Warning: " + "; ".join(warnings) + ".",
            metadata=metadata,
        )
    return dg.AssetCheckResult(**key, passed=True, metadata=metadata)


def evaluate_contracts(
    warehouse: Path, entities: Sequence[Entity], reject_share_warn: float = REJECT_SHARE_WARN
) -> list[dg.AssetCheckResult]:
    """Audit each entity's raw table and latest load batch through one short read-only
    connection (closed before validating: it blocks any writer), then give each verdict."""
    found = [(ContractAudit(e.table, exists=False), None) for e in entities]
    if warehouse.exists():
        with connect(warehouse, read_only=True) as con:
            found = [(audit_contract(con, e), batch_summary(con, e)) for e in entities]
    return [
        contract_verdict(entity, audit, batch, reject_share_warn)
        for entity, (audit, batch) in zip(entities, found, strict=True)
    ]


def evaluate_contract(
    warehouse: Path, entity: Entity, reject_share_warn: float = REJECT_SHARE_WARN
) -> dg.AssetCheckResult:
    """Audit `raw.<entity>` and its latest load batch, and give the check's verdict."""
    (result,) = evaluate_contracts(warehouse, [entity], reject_share_warn)
    return result


def contract_check_key(entity: Entity) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(raw_asset_key(entity), f"{entity.table}_contract")


def contract_spec(entity: Entity) -> dg.AssetCheckSpec:
    check = contract_check_key(entity)
    return dg.AssetCheckSpec(
        name=check.name,
        asset=check.asset_key,
        blocking=True,
        automation_condition=WITH_ITS_ASSET,  # in the run that loads the table
        description=f"Great Expectations contract of `raw.{entity.table}`: required columns "
        "present, enums in their allowed set, numeric minimums, unique (_file, _row). Fails "
        "with ERROR (blocking) on a broken landed row; WARN when the latest batch rejected "
        f"more than {REJECT_SHARE_WARN:.0%} of its rows or a whole file.",
    )


def build_contract_checks(entities: Sequence[Entity]) -> dg.AssetChecksDefinition:
    """The contract checks of these entities' raw tables as one step that evaluates the ones a
    run selected (a step each cost ~0.1 s of Dagster and a warehouse connection apiece, on
    every micro-batch). Blocking: a contract broken with ERROR fails the step once every
    selected table has its verdict, and nothing downstream of the raw tables runs."""
    by_key = {contract_check_key(entity): entity for entity in entities}

    @dg.multi_asset_check(
        name="raw_contracts",
        specs=[contract_spec(entity) for entity in entities],
        can_subset=True,
        pool="duckdb",  # any open connection, even read-only, blocks a writer elsewhere
        description="The source contract checks of the raw tables the run selected.",
    )
    def raw_contracts(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse
    ) -> Iterator[dg.AssetCheckResult]:
        selected = context.selected_asset_check_keys
        wanted = [entity for key, entity in by_key.items() if key in selected]
        yield from evaluate_contracts(warehouse.paths.warehouse, wanted)

    return raw_contracts


source_contract_checks = [build_contract_checks(ENTITIES)]
