"""The injected problems: present in the files, recorded in the truth, switchable off."""

from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from ingest.loader import load_new_files
from ingest.simulate import Scenario, simulate
from ingest.simulator.problems import MALFORMED_PLAN, TRUNCATED_PLAN
from ingest.sources import ENTITIES

DAYS, SCALE, SEED = 20, 0.15, 5


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("problems")
    simulate(home, days=DAYS, scale=SCALE, seed=SEED)
    return home


def truth(home: Path, name: str) -> list[dict]:
    return pq.read_table(home / "truth" / f"{name}.parquet").to_pylist()


def problems_of(home: Path, kind: str) -> list[dict]:
    return [p for p in truth(home, "problems") if p["problem_type"] == kind]


def test_the_loader_rejects_exactly_the_injected_rows(home):
    warehouse = home / "warehouse.duckdb"
    results = [load_new_files(warehouse, e, home / "landing") for e in ENTITIES]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rejected = con.execute("select file, row_number from ops.rejects").fetchall()
    injected = [(r["file"], r["row_number"]) for r in truth(home, "injected_rejects")]

    assert sum(r.rejected_files for r in results) == 0
    assert Counter(rejected) == Counter(injected)
    assert len(injected) == len(MALFORMED_PLAN) + len(TRUNCATED_PLAN)


def test_every_reject_kind_and_source_is_injected(home):
    rejects = truth(home, "injected_rejects")
    kinds = {r["kind"] for r in rejects}
    assert kinds == {
        "missing_required_field",
        "wrong_type",
        "negative_quantity",
        "unknown_enum_value",
        "unparseable_timestamp",
        "invalid_json",
        "invalid_utf8",
        "truncated_record",
    }
    sources = Counter(r["file"].split("/")[0] for r in rejects if r["kind"] == "truncated_record")
    assert sources == Counter({e.source: 1 for e in TRUNCATED_PLAN})


def test_a_malformed_row_is_an_extra_copy_of_a_real_row(home):
    """Rejecting it loses nothing: the row before it is the intact original."""
    for reject in truth(home, "injected_rejects"):
        if reject["kind"] in ("truncated_record", "invalid_utf8", "invalid_json"):
            continue
        path = home / "landing" / reject["file"]
        if path.suffix == ".ndjson":
            lines = path.read_text().splitlines()
            bad, before = (
                json.loads(lines[reject["row_number"] - 1]),
                json.loads(lines[reject["row_number"] - 2]),
            )
            same = [k for k in before if k != reject["column"] and before[k] == bad.get(k)]
            assert len(same) >= len(before) - 1, reject
        else:
            delimiter = "\t" if path.suffix == ".tsv" else ","
            with path.open(newline="") as handle:
                rows = list(csv.DictReader(handle, delimiter=delimiter))
            bad, before = rows[reject["row_number"] - 1], rows[reject["row_number"] - 2]
            differ = [k for k in before if before[k] != bad[k]]
            assert differ == [reject["column"]], reject


def test_a_truncated_file_repeats_real_rows_and_ends_mid_record(home):
    for reject in truth(home, "injected_rejects"):
        if reject["kind"] != "truncated_record":
            continue
        copy = home / "landing" / reject["file"]
        original = copy.with_name(copy.name.replace(".redelivery", ""))
        copied, whole = copy.read_bytes(), original.read_bytes()
        assert not copied.endswith(b"\n") and whole.startswith(copied)
        header = 1 if copy.suffix in (".csv", ".tsv") else 0
        assert copied.count(b"\n") == header + reject["row_number"] - 1


def test_dc_east_restocks_some_categories_before_inspection(home):
    lines = [r for r in truth(home, "return_lines") if r["restocked_before_inspection"]]
    assert lines
    assert {r["node_id"] for r in lines} == {"DC-EAST"}
    assert {r["category"] for r in lines} <= {"tops", "jeans"}
    inspected = [r for r in lines if r["inspected_at"] is not None]
    assert inspected and all(r["inventory_updated_at"] < r["inspected_at"] for r in inspected)
    assert len(problems_of(home, "restock_before_inspection")) == len(lines) + 1


def test_dc_west_builds_an_inspection_backlog(home):
    last = max(r["day"] for r in truth(home, "inspection_backlog"))
    backlog = {r["node_id"]: r for r in truth(home, "inspection_backlog") if r["day"] == last}
    west, east = backlog["DC-WEST"], backlog["DC-EAST"]

    assert west["units_awaiting"] > 2 * east["units_awaiting"]
    assert (east["oldest_received_at"] - west["oldest_received_at"]).total_seconds() > 86_400
    assert [p["node_id"] for p in problems_of(home, "inspection_backlog")] == ["DC-WEST"]


def test_two_stores_sync_only_at_the_end_of_the_day(home):
    lag_by_store: dict[str, list[float]] = {}
    for path in (home / "landing" / "pos").glob("store_returns_*[0-9].csv"):
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                try:
                    held = datetime.fromisoformat(row["synced_at"]) - datetime.fromisoformat(
                        row["returned_at"]
                    )
                except ValueError:
                    continue  # an injected unparseable timestamp
                lag_by_store.setdefault(row["store_id"], []).append(held.total_seconds() / 3600)
    slow = {store for store, lags in lag_by_store.items() if min(lags) >= 1}
    assert slow == {"ST-VIE", "ST-PAR"}
    assert all(max(lags) <= 0.25 for s, lags in lag_by_store.items() if s not in slow)
    held = {p["node_id"] for p in problems_of(home, "pos_end_of_day_batch")}
    assert held == {"ST-VIE", "ST-PAR"}


def test_duplicate_webhooks_repeat_the_payload_some_in_a_later_file(home):
    duplicates = problems_of(home, "duplicate_webhook") + problems_of(
        home, "late_duplicate_webhook"
    )
    assert problems_of(home, "late_duplicate_webhook") and problems_of(home, "duplicate_webhook")
    for problem in duplicates:
        deliveries = [
            (path.name, line)
            for path in (home / "landing" / problem["source"]).glob("*[0-9].ndjson")
            for line in path.read_text(errors="replace").splitlines()
            if f'"{problem["key"]}"' in line
        ]
        copies = Counter(line for _, line in deliveries)
        repeated = [line for line, n in copies.items() if n >= 2]
        assert repeated, problem
        files = {name for name, line in deliveries if line in repeated}
        assert problem["file"].split("/")[1] in files
        if problem["problem_type"] == "late_duplicate_webhook":
            assert len(files) >= 2, problem


def test_amazon_rows_are_reported_days_after_their_return_date(home):
    rows = problems_of(home, "backdated_report_row")
    assert rows
    for problem in rows:
        report_day = problem["file"].split("_")[-1].removesuffix(".tsv")
        assert report_day > problem["occurred_at"].date().isoformat()
    amazon_lines = [r for r in truth(home, "return_lines") if r["source"] == "amazon"]
    assert len(rows) == len(amazon_lines)


def test_one_channel_publishes_stale_stock(home):
    rows = truth(home, "channel_atp")
    stale = Counter(r["channel"] for r in rows if r["published"] not in (None, r["atp"]))
    assert set(stale) == {"zalando"}
    assert [p["channel"] for p in problems_of(home, "channel_stock_lag")] == ["zalando"]


def test_without_problems_nothing_is_injected(tmp_path):
    home = tmp_path
    simulate(home, days=DAYS, scale=SCALE, seed=SEED, scenario=Scenario().without_problems())

    assert truth(home, "problems") == [] and truth(home, "injected_rejects") == []
    assert not list((home / "landing").rglob("*.redelivery.*"))
    lines = truth(home, "return_lines")
    assert not any(r["restocked_before_inspection"] for r in lines)
    assert all(
        r["refund_amount"] is None or r["refund_amount"] == r["expected_refund"]
        for r in lines
        if r["resolution"] != "exchange"
    )
    atp = truth(home, "channel_atp")
    assert all(r["published"] in (None, r["atp"]) for r in atp)


def test_one_problem_can_be_switched_off_alone(tmp_path):
    scenario = replace(Scenario(), duplicate_webhook_rate=0.0, malformed_rows=False)
    simulate(tmp_path, days=DAYS, scale=SCALE, seed=SEED, scenario=scenario)
    kinds = Counter(p["problem_type"] for p in truth(tmp_path, "problems"))

    assert "duplicate_webhook" not in kinds and "late_duplicate_webhook" not in kinds
    assert "malformed_row" not in kinds
    assert kinds["truncated_file"] == len(TRUNCATED_PLAN) and kinds["backdated_report_row"] > 0
