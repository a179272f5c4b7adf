"""Every source the simulator writes: real file names, real formats, and a clean load."""

from __future__ import annotations

import csv
import json
import re
from fnmatch import fnmatch
from pathlib import Path

import pytest

from ingest.loader import load_new_files
from ingest.simulate import Scenario, simulate
from ingest.sources import ENTITIES
from ingest.sources.approvals import DECISIONS

SIMULATED = [e for e in ENTITIES if e is not DECISIONS]  # approvals come from the dashboard
DATE = r"\d{4}-\d{2}-\d{2}"
FILE_NAMES = {
    "shopify__orders": rf"orders_{DATE}\.ndjson",
    "shopify__returns": rf"returns_{DATE}\.ndjson",
    "shopify__refunds": rf"refunds_{DATE}\.ndjson",
    "shopify__inventory_levels": rf"inventory_levels_{DATE}\.ndjson",
    "amazon__customer_returns": rf"fba_customer_returns_{DATE}\.tsv",
    "amazon__orders": rf"all_orders_{DATE}\.tsv",
    "carrier__tracker_events": rf"tracker_events_{DATE}\.ndjson",
    "wms__receipts": rf"receipts_DC-(EAST|WEST)_{DATE}\.csv",
    "wms__inspections": rf"inspections_DC-(EAST|WEST)_{DATE}\.csv",
    "wms__adjustments": rf"adjustments_DC-(EAST|WEST)_{DATE}\.csv",
    "wms__inventory_snapshots": rf"inventory_(DC|ST)-[A-Z]+_{DATE}\.csv",
    "pos__store_returns": rf"store_returns_ST-[A-Z]{{3}}_{DATE}\.csv",
    "finance__payment_refunds": rf"payment_refunds_{DATE}\.ndjson",
    "finance__credit_memos": rf"credit_memos_{DATE}\.csv",
    "channel_stock__snapshots": rf"(zalando|amazon)_{DATE}\.ndjson",
}
JSON_TS = re.compile(rf"^{DATE}T\d{{2}}:\d{{2}}:\d{{2}}Z$")
CSV_TS = re.compile(rf"^{DATE} \d{{2}}:\d{{2}}:\d{{2}}$")
AMAZON_TS = re.compile(rf"^{DATE}T\d{{2}}:\d{{2}}:\d{{2}}\+00:00$")
MONEY = re.compile(r"^\d+\.\d{2}$")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("formats")
    simulate(home, days=14, scale=0.1, seed=21, scenario=Scenario().without_rejects())
    return home


@pytest.fixture(scope="module")
def loaded(home) -> dict:
    warehouse = home / "warehouse.duckdb"
    return {e.table: load_new_files(warehouse, e, home / "landing") for e in ENTITIES}


def files_of(home: Path, entity) -> list[Path]:
    return sorted((home / "landing" / entity.source).glob(entity.pattern))


def records(path: Path) -> int:
    with path.open(newline="") as handle:
        return sum(1 for _ in handle) - (1 if path.suffix in (".csv", ".tsv") else 0)


def test_every_file_belongs_to_exactly_one_entity(home):
    for path in (home / "landing").rglob("*.*"):
        source = path.parent.name
        owners = [e.table for e in ENTITIES if e.source == source and fnmatch(path.name, e.pattern)]
        assert len(owners) == 1, (path, owners)
        assert re.fullmatch(FILE_NAMES[owners[0]], path.name), path


@pytest.mark.parametrize("entity", SIMULATED, ids=lambda e: e.table)
def test_every_entity_lands_all_its_records_without_a_reject(home, loaded, entity):
    files = files_of(home, entity)
    result = loaded[entity.table]

    assert files, f"no {entity.table} files"
    assert result.files == len(files) and result.rejected_files == 0
    assert result.rejected == 0
    assert result.landed == sum(records(p) for p in files) > 0


@pytest.mark.parametrize(
    "entity", [e for e in SIMULATED if e.format == "csv"], ids=lambda e: e.table
)
def test_delimited_files_have_the_contract_header_and_whole_rows(home, entity):
    delimiter = entity.csv_options.get("delim", ",")
    header = [c.name for c in entity.columns]
    for path in files_of(home, entity):
        with path.open(newline="") as handle:
            rows = list(csv.reader(handle, delimiter=delimiter, quoting=csv.QUOTE_NONE))
        assert rows[0] == header, path
        assert all(len(row) == len(header) for row in rows[1:]), path


def _first_rows(home: Path, table: str, n: int = 20) -> list[dict]:
    entity = next(e for e in ENTITIES if e.table == table)
    path = files_of(home, entity)[-1]
    if entity.format == "ndjson":
        return [json.loads(line) for line in path.read_text().splitlines()[:n]]
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle, delimiter=entity.csv_options.get("delim", ","))
        return [row for _, row in zip(range(n), reader, strict=False)]


def test_timestamps_and_money_are_written_as_each_source_writes_them(home):
    for order in _first_rows(home, "shopify__orders"):
        assert JSON_TS.match(order["created_at"])
        assert all(MONEY.match(item["price"]) for item in order["line_items"])
    for event in _first_rows(home, "carrier__tracker_events"):
        assert JSON_TS.match(event["created_at"])
        assert all(JSON_TS.match(d["datetime"]) for d in event["result"]["tracking_details"])
    for row in _first_rows(home, "wms__receipts"):
        assert CSV_TS.match(row["received_at"])
    for row in _first_rows(home, "amazon__orders"):
        assert AMAZON_TS.match(row["purchase-date"]) and MONEY.match(row["item-price"])
    for row in _first_rows(home, "pos__store_returns"):
        assert CSV_TS.match(row["returned_at"]) and CSV_TS.match(row["synced_at"])
    for refund in _first_rows(home, "finance__payment_refunds"):
        assert isinstance(refund["created"], int) and isinstance(refund["amount"], int)
        assert refund["currency"] == "eur" and refund["id"].startswith("re_")
        assert refund["metadata"]["return_id"].startswith("gid://shopify/Return/")


def test_amazon_reports_are_tab_separated_without_quoting(home):
    for name in ("fba_customer_returns_*.tsv", "all_orders_*.tsv"):
        for path in (home / "landing" / "amazon").glob(name):
            text = path.read_text()
            assert '"' not in text and "\t" in text.splitlines()[0]
