"""The landing-zone sensor: one run per tick for the entities with new files, never twice."""

import json
import os
import time
from pathlib import Path

import dagster as dg

from ingest.landing import loads_seen
from orchestration.defs.ingest.assets import raw_assets
from orchestration.defs.ingest.sensors import landing_zone_sensor
from orchestration.defs.jobs import ingest_job
from orchestration.defs.quality.source_checks import source_contract_checks
from orchestration.defs.resources import Warehouse

RECEIPTS_CSV = (
    "receipt_id,dc_id,received_at,rma_number,sku,quantity,condition_note\n"
    "RCV-1,DC-EAST,2026-01-07 09:30:00,#5500001-R1,DRE-0001,1,\n"
)
RETURN = {
    "id": "gid://shopify/Return/1",
    "name": "#5500001-R1",
    "status": "OPEN",
    "createdAt": "2026-01-05T10:00:00Z",
    "updatedAt": "2026-01-05T10:00:00Z",
    "order": {"id": "gid://shopify/Order/5500001"},
    "returnLineItems": [{"id": "gid://shopify/ReturnLineItem/1", "quantity": 1}],
}


def drop(home: Path, name: str, text: str, age_seconds: float = 60) -> Path:
    """Write a landing file whose last write is `age_seconds` ago (settled by default)."""
    path = home / "landing" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    stamp = time.time() - age_seconds
    os.utime(path, (stamp, stamp))
    return path


def tick(home: Path, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        cursor=cursor, resources={"warehouse": Warehouse(home=str(home))}
    )
    return landing_zone_sensor(context)


def selected(result: dg.SensorResult) -> set[str]:
    (request,) = result.run_requests
    return {key.to_user_string() for key in request.asset_selection}


def test_first_tick_requests_one_run_for_exactly_the_entities_with_files(tmp_path):
    drop(tmp_path, "shopify/returns_2026-01-05.ndjson", json.dumps(RETURN) + "\n")
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    drop(tmp_path, "wms/receipts_DC-WEST_2026-01-07.csv", RECEIPTS_CSV.replace("EAST", "WEST"))
    drop(tmp_path, "shopify/README.txt", "not a landing file of any entity")

    result = tick(tmp_path, cursor=None)

    assert len(result.run_requests) == 1
    assert selected(result) == {"raw/shopify__returns", "raw/wms__receipts"}
    assert result.run_requests[0].tags["returnops/new_files"] == "3"
    assert result.run_requests[0].run_key.startswith("landing-")
    # the sensor never opens (or creates) the warehouse
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_cursor_round_trips_and_a_quiet_tick_skips_with_a_reason(tmp_path):
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    first = tick(tmp_path, cursor=None)

    second = tick(tmp_path, cursor=first.cursor)

    assert second.run_requests == []
    assert "No new files" in second.skip_reason.skip_message
    assert "1 seen before" in second.skip_reason.skip_message
    assert second.cursor == first.cursor
    assert list(loads_seen(second.cursor)) == ["wms/receipts_DC-EAST_2026-01-07.csv"]


def test_a_new_file_triggers_again_for_its_entity_only(tmp_path):
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    first = tick(tmp_path, cursor=None)

    drop(tmp_path, "shopify/returns_2026-01-06.ndjson", json.dumps(RETURN) + "\n")
    third = tick(tmp_path, cursor=first.cursor)

    assert selected(third) == {"raw/shopify__returns"}
    assert third.run_requests[0].tags["returnops/new_files"] == "1"
    assert third.run_requests[0].run_key != first.run_requests[0].run_key
    assert len(loads_seen(third.cursor)) == 2


def test_a_re_tick_from_the_same_cursor_gives_the_same_run_key(tmp_path):
    # if a tick's cursor update is lost, the repeated request carries the same run_key,
    # which Dagster launches at most once
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    first = tick(tmp_path, cursor=None)
    again = tick(tmp_path, cursor=None)
    assert again.run_requests[0].run_key == first.run_requests[0].run_key


def test_touched_file_with_same_content_skips_and_changed_content_triggers(tmp_path):
    path = drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    first = tick(tmp_path, cursor=None)

    drop(tmp_path, path.relative_to(tmp_path / "landing").as_posix(), RECEIPTS_CSV, 30)
    touched = tick(tmp_path, cursor=first.cursor)
    assert touched.run_requests == []
    assert touched.cursor != first.cursor  # the new mtime is remembered: no rehash next tick

    second_row = "RCV-2,DC-EAST,2026-01-07 10:00:00,#5500002-R1,DRE-0002,1,\n"
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV + second_row, 10)
    changed = tick(tmp_path, cursor=touched.cursor)
    assert selected(changed) == {"raw/wms__receipts"}


def test_a_file_still_being_written_waits_for_a_later_tick(tmp_path):
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV, age_seconds=0)

    early = tick(tmp_path, cursor=None)
    assert early.run_requests == []
    assert "still being written" in early.skip_reason.skip_message
    assert loads_seen(early.cursor) == {}

    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV, age_seconds=60)
    assert selected(tick(tmp_path, cursor=early.cursor)) == {"raw/wms__receipts"}


def test_no_landing_zone_and_an_unreadable_cursor_are_handled(tmp_path):
    empty = tick(tmp_path, cursor="not json")
    assert empty.run_requests == []
    assert "No landing zone" in empty.skip_reason.skip_message

    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    assert selected(tick(tmp_path, cursor='{"v": 0}')) == {"raw/wms__receipts"}


def test_the_requested_run_lands_the_new_files_and_checks_them(tmp_path):
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    (request,) = tick(tmp_path, cursor=None).run_requests
    defs = dg.Definitions(
        assets=raw_assets,
        asset_checks=source_contract_checks,
        jobs=[ingest_job],
        resources={"warehouse": Warehouse(home=str(tmp_path))},
    )

    result = (
        defs.resolve_job_def(ingest_job.name)
        .get_subset(asset_selection=set(request.asset_selection))
        .execute_in_process(instance=dg.DagsterInstance.ephemeral(), tags=request.tags)
    )

    assert result.success
    (materialization,) = result.asset_materializations_for_node("raw__wms__receipts")
    assert materialization.metadata["rows_landed"].value == 1
    # only the selected entity ran, with its contract check
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [
        dg.AssetKey(["raw", "wms__receipts"])
    ]
    assert [(e.check_name, e.passed) for e in result.get_asset_check_evaluations()] == [
        ("wms__receipts_contract", True)
    ]
