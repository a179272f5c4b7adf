"""Push approved corrections soon after an operator approves them, without a full pipeline run.

The dashboard drops each decision as a file in `landing/approvals/` (DESIGN §2). The sensor
looks only at those files, never at the warehouse (an open connection would block the pipeline
writing it): a new or changed file holding an `approve` decision launches `writeback_job`, which
lands the approvals in `raw.approvals__decisions` and runs `channel_writeback` (the outbox
applies the decisions, then pushes what they released).
"""

import json
from pathlib import Path

import dagster as dg

from ingest.landing import dumps_seen, loads_seen, scan_landing
from ingest.sources.approvals import DECISIONS
from orchestration.defs.ingest.assets import raw_asset_key
from orchestration.defs.resources import Warehouse
from orchestration.defs.writeback.assets import WRITEBACK_ASSET

WRITEBACK_JOB_NAME = "writeback_job"
SETTLE_SECONDS = 2.0

writeback_job = dg.define_asset_job(
    name=WRITEBACK_JOB_NAME,
    selection=dg.AssetSelection.assets(raw_asset_key(DECISIONS), WRITEBACK_ASSET),
    description="Land operators' approval files, then push what they approved (and anything "
    "else the outbox holds) with the freshness guard; marts are not rebuilt.",
)


def approved_ids(path: Path) -> list[str]:
    """Correction ids a decision file approves; a file that cannot be read approves nothing
    (the loader rejects it with a reason)."""
    ids: list[str] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ids
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and str(event.get("decision", "")).lower() == "approve":
            ids += [str(c) for c in event.get("correction_ids") or []]
    return ids


@dg.sensor(
    name="approved_corrections_sensor",
    job=writeback_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches `writeback_job` when new approval files in `landing/approvals/` "
    "approve corrections. Reads only those files (cursor: names and checksums); never opens "
    "the warehouse.",
)
def approved_corrections_sensor(
    context: dg.SensorEvaluationContext, warehouse: Warehouse
) -> dg.SensorResult:
    landing = warehouse.paths.landing
    scan = scan_landing(
        landing, [DECISIONS], loads_seen(context.cursor), settle_seconds=SETTLE_SECONDS
    )
    cursor = dumps_seen(scan.stamps)
    new_files = scan.new_files
    approved = {name: approved_ids(landing / name) for name in new_files}
    approved = {name: ids for name, ids in approved.items() if ids}
    if not approved:
        why = (
            f"No new approvals in {landing / DECISIONS.source}"
            + (f" ({len(new_files)} new files reject only)" if new_files else "")
            + "."
        )
        if scan.unsettled:
            why += f" {len(scan.unsettled)} still being written."
        return dg.SensorResult(skip_reason=dg.SkipReason(why), cursor=cursor)
    corrections = sorted({cid for ids in approved.values() for cid in ids})
    context.log.info(f"{len(corrections)} corrections approved in {len(approved)} new files")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=scan.run_key,
                tags={
                    "returnops/approval_files": str(len(approved)),
                    "returnops/approved_corrections": str(len(corrections)),
                },
            )
        ],
        cursor=cursor,
    )
