"""Operators' decisions become approval event files the approvals source loads without rejects."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from dashboards import approvals
from ingest.loader import load_new_files
from ingest.sources.approvals import DECISIONS
from tests.dashboards.conftest import run_page


def load(landing: Path, warehouse: Path):
    result = load_new_files(warehouse, DECISIONS, landing)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select approval_id, decided_at, operator, role, decision, correction_ids, note"
            " from raw.approvals__decisions order by decided_at"
        ).fetchall()
    return result, rows


def test_file_holds_one_json_object_on_one_line_in_the_contracts_shape(tmp_path):
    decided = datetime(2026, 2, 8, 14, 30, 5, 123456, tzinfo=timezone(timedelta(hours=1)))
    approval = approvals.make_approval(
        operator="  Ana  ", role="supervisor", decision="approve",
        correction_ids=["cor_b", "cor_a", "cor_b", " "], note="checked the count",
        decided_at=decided, approval_id="ap-1",
    )  # fmt: skip

    path = approvals.write_approval(tmp_path / "landing", approval)

    assert path.parent == tmp_path / "landing" / "approvals"
    assert path.name.endswith("-ap-1.json") and path.match(DECISIONS.pattern)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and text.count("\n") == 1
    assert json.loads(text) == {
        "approval_id": "ap-1",
        "decided_at": "2026-02-08T13:30:05.123456Z",  # converted to UTC
        "operator": "Ana",
        "role": "supervisor",
        "decision": "approve",
        "correction_ids": ["cor_b", "cor_a"],
        "note": "checked the count",
    }
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_written_files_load_with_zero_rejects(tmp_path):
    landing = tmp_path / "landing"
    approvals.record_decision(
        landing, operator="ana", role="operator", decision="approve",
        correction_ids=["cor_1", "cor_2"], decided_at=datetime(2026, 2, 8, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    approvals.record_decision(
        landing, operator="ben", role="supervisor", decision="reject",
        correction_ids=["cor_3"], decided_at=datetime(2026, 2, 8, 10, 0, tzinfo=UTC),
    )  # fmt: skip

    result, rows = load(landing, tmp_path / "warehouse.duckdb")

    assert (result.files, result.landed, result.rejected, result.rejected_files) == (2, 2, 0, 0)
    assert [(r[2], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("ana", "operator", "approve", ["cor_1", "cor_2"], None),
        ("ben", "supervisor", "reject", ["cor_3"], None),
    ]
    assert rows[0][1] == datetime(2026, 2, 8, 9, 0)  # naive UTC in the warehouse


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"operator": " "}, "operator"),
        ({"role": ""}, "role"),
        ({"decision": "maybe"}, "decision"),
        ({"correction_ids": []}, "at least one correction"),
    ],
)
def test_invalid_decisions_are_refused(tmp_path, fields, message):
    good = {"operator": "ana", "role": "operator", "decision": "approve", "correction_ids": ["c"]}

    with pytest.raises(ValueError, match=message):
        approvals.record_decision(tmp_path, **(good | fields))
    assert not (tmp_path / "approvals").exists() or not list((tmp_path / "approvals").iterdir())


def test_operator_approves_on_the_page_and_the_file_loads(served, marts, returnops_home):
    needing = marts["fct_stock_corrections"].query("needs_approval")
    chosen = sorted(needing["correction_id"])[:2]
    at = run_page("writeback")

    at.multiselect(key="decision_corrections").set_value(chosen)
    at.text_input(key="decision_operator").set_value("ana")
    at.selectbox(key="decision_role").set_value("supervisor")
    at.text_area(key="decision_note").set_value("counted on the shelf")
    at.button(key="decision_approve").click().run()

    assert not at.exception and not at.error
    assert any("written to" in s.value for s in at.success)
    files = list((returnops_home / "landing" / "approvals").glob("*.json"))
    assert len(files) == 1
    event = json.loads(files[0].read_text())
    assert event["decision"] == "approve" and event["operator"] == "ana"
    assert event["role"] == "supervisor" and event["note"] == "counted on the shelf"
    assert sorted(event["correction_ids"]) == chosen
    result, rows = load(returnops_home / "landing", returnops_home / "warehouse.duckdb")
    assert (result.landed, result.rejected) == (1, 0)
    assert sorted(rows[0][5]) == chosen
    # the page lists the decision it wrote
    assert event["approval_id"] in set(at.dataframe[-1].value["approval_id"])


def test_operator_rejects_on_the_page(served, marts, returnops_home):
    needing = marts["fct_stock_corrections"].query("needs_approval")
    at = run_page("writeback")

    at.multiselect(key="decision_corrections").set_value([needing["correction_id"].iloc[0]])
    at.text_input(key="decision_operator").set_value("ben")
    at.button(key="decision_reject").click().run()

    (path,) = (returnops_home / "landing" / "approvals").glob("*.json")
    assert json.loads(path.read_text())["decision"] == "reject"


def test_a_decision_without_operator_is_not_written(served, marts, returnops_home):
    needing = marts["fct_stock_corrections"].query("needs_approval")
    at = run_page("writeback")

    at.multiselect(key="decision_corrections").set_value([needing["correction_id"].iloc[0]])
    at.button(key="decision_approve").click().run()

    assert any("operator is required" in e.value for e in at.error)
    assert not (returnops_home / "landing" / "approvals").exists()


def test_offered_corrections_are_those_needing_approval(served, marts):
    at = run_page("writeback")

    offered = at.multiselect(key="decision_corrections").options
    needing = marts["fct_stock_corrections"].query("needs_approval")
    assert sorted(offered) == sorted(needing["correction_id"])
