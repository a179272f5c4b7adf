"""Source contract checks: ERROR and blocking on a broken landed row, WARN on many rejects."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ingest.sources import ENTITIES
from ingest.sources.wms import INSPECTIONS, RECEIPTS
from orchestration.defs.ingest.assets import raw_asset_key, raw_assets
from orchestration.defs.quality.source_checks import (
    build_contract_checks,
    evaluate_contract,
    source_contract_checks,
)
from orchestration.defs.resources import Warehouse

INSPECTION_HEADER = (
    "inspection_id,dc_id,inspected_at,receipt_id,rma_number,sku,quantity,grade,disposition,"
    "inspector_id\n"
)
RECEIPT_HEADER = "receipt_id,dc_id,received_at,rma_number,sku,quantity,condition_note\n"


def inspection(n: int, quantity: str = "1", grade: str = "A", sku: str = "DRE-0001") -> str:
    return (
        f"INS-{n},DC-EAST,2026-01-08 10:00:00,RCV-{n},#55000{n:02d}-R1,{sku},{quantity},"
        f"{grade},restock,EMP-7\n"
    )


def receipt(n: int, quantity: str = "1") -> str:
    return f"RCV-{n},DC-EAST,2026-01-07 09:30:00,#55000{n:02d}-R1,DRE-0001,{quantity},\n"


def land(home: Path, name: str, text: str) -> None:
    path = home / "landing" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@dg.asset(deps=[raw_asset_key(INSPECTIONS)])
def inspection_report() -> None:
    """Stands in for the dbt models downstream of a raw table."""


def run(home: Path, entity) -> dg.ExecuteInProcessResult:
    """Materialize the entity's raw asset, its contract check and one asset downstream."""
    (asset,) = [a for a in raw_assets if a.key == raw_asset_key(entity)]
    return dg.materialize(
        [asset, build_contract_checks([entity]), inspection_report],
        resources={"warehouse": Warehouse(home=str(home))},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def evaluation(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (only,) = result.get_asset_check_evaluations()
    return only


def test_every_raw_table_has_a_blocking_contract_check():
    specs = [spec for check in source_contract_checks for spec in check.check_specs]
    assert {(s.asset_key, s.name) for s in specs} == {
        (raw_asset_key(e), f"{e.table}_contract") for e in ENTITIES
    }
    assert all(spec.blocking for spec in specs)


def test_a_good_file_passes_with_its_batch_as_metadata(tmp_path):
    land(
        tmp_path,
        "wms/inspections_DC-EAST_2026-01-08.csv",
        INSPECTION_HEADER + "".join(inspection(n) for n in range(1, 4)),
    )

    result = run(tmp_path, INSPECTIONS)

    assert result.success
    check = evaluation(result)
    assert check.check_name == "wms__inspections_contract" and check.passed
    metadata = {key: value.value for key, value in check.metadata.items()}
    assert metadata["rows"] == 3
    assert metadata["batch_rows_read"] == 3 and metadata["batch_rows_rejected"] == 0
    assert metadata["broken_rules"] == {}
    # 9 required columns, grade and disposition enums, quantity minimum, lineage key
    assert metadata["rules"] == 9 + 2 + 1 + 1
    (materialized,) = result.asset_materializations_for_node("raw__wms__inspections")
    assert materialized.metadata["newest_file"].value == "wms/inspections_DC-EAST_2026-01-08.csv"


def test_tampered_raw_rows_fail_with_error_and_block_downstream(tmp_path):
    land(
        tmp_path,
        "wms/inspections_DC-EAST_2026-01-08.csv",
        INSPECTION_HEADER + "".join(inspection(n) for n in range(1, 6)),
    )
    assert run(tmp_path, INSPECTIONS).success
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("update raw.wms__inspections set grade = 'Z' where _row in (1, 2)")
        con.execute("update raw.wms__inspections set quantity = 0 where _row = 3")
        con.execute("update raw.wms__inspections set sku = null where _row = 4")
        con.execute("update raw.wms__inspections set _row = 1 where _row = 5")

    result = run(tmp_path, INSPECTIONS)

    assert not result.success
    check = evaluation(result)
    assert not check.passed
    assert check.severity == dg.AssetCheckSeverity.ERROR and check.blocking
    assert "grade__in_set (2 rows)" in check.description
    assert check.metadata["broken_rules"].value == {
        "sku__not_null": 1,
        "grade__in_set": 2,
        "quantity__at_least_1": 1,
        "lineage__unique": 1,
    }
    assert "'Z'" not in check.metadata["broken_rules_detail"].value
    assert "| Z |" in check.metadata["broken_rules_detail"].value
    # the failed blocking check stops what depends on the raw table
    assert result.asset_materializations_for_node("inspection_report") == []


def test_many_rejected_rows_warn_with_counts_by_reason_but_do_not_block(tmp_path):
    rows = [inspection(n) for n in range(1, 7)] + [
        inspection(7, quantity="two"),
        inspection(8, quantity="1.5"),
        inspection(9, sku=""),
    ]
    land(tmp_path, "wms/inspections_DC-EAST_2026-01-08.csv", INSPECTION_HEADER + "".join(rows))

    result = run(tmp_path, INSPECTIONS)

    assert result.success
    check = evaluation(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "3 of 9 rows" in check.description
    metadata = {key: value.value for key, value in check.metadata.items()}
    assert metadata["rows"] == 6 and metadata["broken_rules"] == {}
    assert metadata["batch_rows_read"] == 9 and metadata["batch_rows_rejected"] == 3
    assert metadata["batch_reject_share"] == pytest.approx(3 / 9, abs=1e-4)
    by_reason = metadata["rejected_by_reason"]
    # one problem per bad row; the bad value itself stays out of the reason
    assert sum(by_reason.values()) == 3
    assert sum(n for reason, n in by_reason.items() if reason.startswith("quantity")) == 2
    assert sum(n for reason, n in by_reason.items() if "sku" in reason) == 1
    assert not any("two" in reason for reason in by_reason)
    # the raw asset reports the same batch, and downstream still runs
    (materialized,) = result.asset_materializations_for_node("raw__wms__inspections")
    assert materialized.metadata["rows_rejected"].value == 3
    assert materialized.metadata["rejected_by_reason"].value == by_reason
    assert len(result.asset_materializations_for_node("inspection_report")) == 1


def test_a_few_rejects_under_the_threshold_pass(tmp_path):
    rows = [receipt(n) for n in range(1, 40)] + [receipt(40, quantity="x")]
    land(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPT_HEADER + "".join(rows))

    check = evaluation(run(tmp_path, RECEIPTS))

    assert check.passed
    assert check.metadata["batch_rows_rejected"].value == 1
    assert check.metadata["batch_reject_share"].value == pytest.approx(1 / 40)


def test_a_file_rejected_whole_warns_and_names_the_file(tmp_path):
    land(tmp_path, "wms/receipts_DC-EAST_2026-01-07.csv", RECEIPT_HEADER + receipt(1))
    land(tmp_path, "wms/receipts_DC-WEST_2026-01-07.csv", "receipt_id,dc_id\nRCV-9,DC-WEST\n")

    result = run(tmp_path, RECEIPTS)

    assert result.success  # the asset logs the rejected file, it does not fail
    check = evaluation(result)
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "wms/receipts_DC-WEST_2026-01-07.csv" in check.description
    assert list(check.metadata["rejected_files"].value) == ["wms/receipts_DC-WEST_2026-01-07.csv"]
    (materialized,) = result.asset_materializations_for_node("raw__wms__receipts")
    assert materialized.metadata["files_loaded"].value == 2
    assert materialized.metadata["files_rejected"].value == 1
    assert list(materialized.metadata["rejected_files"].value) == [
        "wms/receipts_DC-WEST_2026-01-07.csv"
    ]


def test_a_table_missing_a_contract_column_is_an_error(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.wms__receipts (receipt_id varchar, dc_id varchar, received_at "
            "timestamp, rma_number varchar, sku varchar, quantity integer, _file varchar, "
            "_row bigint, _loaded_at timestamp, _batch_id varchar)"
        )

    result = evaluate_contract(warehouse, RECEIPTS)

    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert result.metadata["broken_rules"].value == {"condition_note__column_present": 1}


def test_nothing_loaded_yet_warns(tmp_path):
    result = evaluate_contract(tmp_path / "warehouse.duckdb", RECEIPTS)

    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert "does not exist yet" in result.description
    assert not (tmp_path / "warehouse.duckdb").exists()
