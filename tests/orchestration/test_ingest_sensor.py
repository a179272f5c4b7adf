"""The landing-zone sensor: reports the landing assets of the entities with new files updated,
never twice; the raw tables follow by automation."""

import json
import os
import time
from pathlib import Path

import dagster as dg

from ingest.landing import loads_seen
from ingest.sources import ENTITIES
from orchestration.conditions import RAW
from orchestration.defs.ingest.assets import landing_specs, raw_assets
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


def loaded_instance() -> dg.DagsterInstance:
    """An instance in which every raw table has been materialized before (the steady state)."""
    instance = dg.DagsterInstance.ephemeral()
    for asset in raw_assets:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset.key))
    return instance


def tick(
    home: Path, cursor: str | None, instance: dg.DagsterInstance | None = None
) -> dg.SensorResult:
    context = dg.build_sensor_context(
        cursor=cursor,
        resources={"warehouse": Warehouse(home=str(home))},
        instance=instance or loaded_instance(),
    )
    return landing_zone_sensor(context)


def reported(result: dg.SensorResult) -> set[str]:
    """The raw tables the reported landings will bring in (landing/<table> -> raw/<table>)."""
    return {f"raw/{event.asset_key.path[-1]}" for event in result.asset_events}


def files(result: dg.SensorResult) -> dict[str, list[str]]:
    return {e.asset_key.path[-1]: e.metadata["files"].value for e in result.asset_events}


def test_first_tick_reports_exactly_the_entities_with_files(tmp_path):
    drop(tmp_path, "shopify/returns_2026-01-05.ndjson", json.dumps(RETURN) + "\n")
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    drop(tmp_path, "wms/receipts_DC-WEST_2026-01-07.csv", RECEIPTS_CSV.replace("EAST", "WEST"))
    drop(tmp_path, "shopify/README.txt", "not a landing file of any entity")

    result = tick(tmp_path, cursor=None)

    assert result.run_requests == []  # the sensor launches nothing itself
    assert all(isinstance(e, dg.AssetMaterialization) for e in result.asset_events)
    assert {e.asset_key.path[0] for e in result.asset_events} == {"landing"}
    assert reported(result) == {"raw/shopify__returns", "raw/wms__receipts"}
    assert files(result)["wms__receipts"] == [
        "wms/receipts_DC-EAST_2026-01-07.csv",
        "wms/receipts_DC-WEST_2026-01-07.csv",
    ]
    (batch,) = {e.metadata["batch"].value for e in result.asset_events}
    assert batch.startswith("landing-")
    # the sensor never opens (or creates) the warehouse
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_tables_never_loaded_are_left_to_automation(tmp_path):
    # a fresh warehouse: automation loads every missing raw table whole, with the models
    # downstream, in one run; reporting the history's files too would load it twice
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    drop(tmp_path, "shopify/returns_2026-01-05.ndjson", json.dumps(RETURN) + "\n")
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(
        dg.AssetMaterialization(dg.AssetKey(["raw", "wms__receipts"]))
    )

    first = tick(tmp_path, cursor=None, instance=instance)
    nothing = tick(tmp_path, cursor=None, instance=dg.DagsterInstance.ephemeral())

    assert reported(first) == {"raw/wms__receipts"}
    assert nothing.asset_events == []
    assert "never loaded (shopify__returns, wms__receipts)" in nothing.skip_reason.skip_message
    assert loads_seen(nothing.cursor)  # the files are seen all the same
    assert [c.get_label() for c in RAW.children] == ["eager", "never_loaded"]


def test_raw_tables_are_automated_on_the_landing_updates():
    assert all(asset.key.path[0] == "raw" for asset in raw_assets)
    for asset in raw_assets:
        spec = next(iter(asset.specs))
        assert spec.automation_condition is RAW
        assert [dep.asset_key.path[0] for dep in spec.deps] == ["landing"]
    assert {spec.key.path[-1] for spec in landing_specs} == {e.table for e in ENTITIES}


def test_cursor_round_trips_and_a_quiet_tick_skips_with_a_reason(tmp_path):
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    first = tick(tmp_path, cursor=None)

    second = tick(tmp_path, cursor=first.cursor)

    assert second.asset_events == []
    assert "No new files" in second.skip_reason.skip_message
    assert "1 seen before" in second.skip_reason.skip_message
    assert second.cursor == first.cursor
    assert list(loads_seen(second.cursor)) == ["wms/receipts_DC-EAST_2026-01-07.csv"]


def test_a_new_file_is_reported_for_its_entity_only(tmp_path):
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    first = tick(tmp_path, cursor=None)

    drop(tmp_path, "shopify/returns_2026-01-06.ndjson", json.dumps(RETURN) + "\n")
    third = tick(tmp_path, cursor=first.cursor)

    assert reported(third) == {"raw/shopify__returns"}
    assert files(third) == {"shopify__returns": ["shopify/returns_2026-01-06.ndjson"]}
    assert third.asset_events[0].metadata["batch"] != first.asset_events[0].metadata["batch"]
    assert len(loads_seen(third.cursor)) == 2


def test_a_re_tick_from_the_same_cursor_gives_the_same_batch(tmp_path):
    # if a tick's cursor update is lost, the repeated report names the same batch (and a
    # second load of the same files lands nothing: the loader skips known checksums)
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    first = tick(tmp_path, cursor=None)
    again = tick(tmp_path, cursor=None)
    assert again.asset_events[0].metadata == first.asset_events[0].metadata


def test_touched_file_with_same_content_skips_and_changed_content_triggers(tmp_path):
    path = drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    first = tick(tmp_path, cursor=None)

    drop(tmp_path, path.relative_to(tmp_path / "landing").as_posix(), RECEIPTS_CSV, 30)
    touched = tick(tmp_path, cursor=first.cursor)
    assert touched.asset_events == []
    assert touched.cursor != first.cursor  # the new mtime is remembered: no rehash next tick

    second_row = "RCV-2,DC-EAST,2026-01-07 10:00:00,#5500002-R1,DRE-0002,1,\n"
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV + second_row, 10)
    changed = tick(tmp_path, cursor=touched.cursor)
    assert reported(changed) == {"raw/wms__receipts"}


def test_a_file_still_being_written_waits_for_a_later_tick(tmp_path):
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV, age_seconds=0)

    early = tick(tmp_path, cursor=None)
    assert early.asset_events == []
    assert "still being written" in early.skip_reason.skip_message
    assert loads_seen(early.cursor) == {}

    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV, age_seconds=60)
    assert reported(tick(tmp_path, cursor=early.cursor)) == {"raw/wms__receipts"}


def test_no_landing_zone_and_an_unreadable_cursor_are_handled(tmp_path):
    empty = tick(tmp_path, cursor="not json")
    assert empty.asset_events == []
    assert "No landing zone" in empty.skip_reason.skip_message

    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    assert reported(tick(tmp_path, cursor='{"v": 0}')) == {"raw/wms__receipts"}


def test_the_reported_entities_land_their_new_files_and_are_checked(tmp_path):
    drop(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPTS_CSV)
    keys = {
        dg.AssetKey(["raw", e.asset_key.path[-1]]) for e in tick(tmp_path, cursor=None).asset_events
    }
    defs = dg.Definitions(
        assets=[*landing_specs, *raw_assets],
        asset_checks=source_contract_checks,
        jobs=[ingest_job],
        resources={"warehouse": Warehouse(home=str(tmp_path))},
    )

    result = (
        defs.resolve_job_def(ingest_job.name)
        .get_subset(asset_selection=keys)
        .execute_in_process(instance=dg.DagsterInstance.ephemeral())
    )

    assert result.success
    (materialization,) = result.asset_materializations_for_node("raw__wms__receipts")
    assert materialization.metadata["rows_landed"].value == 1
    assert materialization.metadata["dagster/row_count"].value == 1
    # only the reported entity ran, with its contract check
    assert [m.asset_key for m in result.get_asset_materialization_events()] == [
        dg.AssetKey(["raw", "wms__receipts"])
    ]
    assert [(e.check_name, e.passed) for e in result.get_asset_check_evaluations()] == [
        ("wms__receipts_contract", True)
    ]
