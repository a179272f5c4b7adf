"""Bad rows are rejected one by one with a reason; unreadable files are rejected whole."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ingest.loader import load_new_files
from ingest.sources.shopify import ORDERS, RETURNS
from ingest.sources.wms import RECEIPTS

ORDER = {
    "id": 5500001,
    "admin_graphql_api_id": "gid://shopify/Order/5500001",
    "name": "#5500001",
    "created_at": "2026-01-05T10:00:00Z",
    "source_name": "web",
    "currency": "EUR",
    "line_items": [{"id": 9000001, "sku": "DRE-0001", "quantity": 1, "price": "49.99"}],
}
RECEIPT_HEADER = "receipt_id,dc_id,received_at,rma_number,sku,quantity,condition_note\n"


def write_ndjson(path: Path, payloads: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(p) + "\n" for p in payloads))


def receipt(receipt_id: str, quantity: str) -> str:
    return f"{receipt_id},DC-EAST,2026-01-07 09:30:00,#5500001-R1,DRE-0001,{quantity},\n"


def test_bad_orders_are_rejected_by_line_with_the_field_named(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    no_created_at = {k: v for k, v in ORDER.items() if k != "created_at"}
    write_ndjson(
        landing / "shopify" / "orders_2026-01-05.ndjson",
        [
            ORDER,
            no_created_at,
            ORDER | {"id": 5500003, "created_at": "yesterday afternoon"},
            ORDER | {"id": "abc"},
            ORDER | {"id": 5500005, "created_at": "2026-01-05T12:00:00+02:00"},
        ],
    )

    result = load_new_files(wh, ORDERS, landing=landing)

    assert (result.read, result.landed, result.rejected) == (5, 2, 3)
    rejects = sql(wh, "select row_number, reason, file from ops.rejects order by row_number")
    assert [(row, file) for row, _, file in rejects] == [
        (2, "shopify/orders_2026-01-05.ndjson"),
        (3, "shopify/orders_2026-01-05.ndjson"),
        (4, "shopify/orders_2026-01-05.ndjson"),
    ]
    reasons = [reason for _, reason, _ in rejects]
    assert "missing required field created_at" in reasons[0]
    assert "created_at" in reasons[1] and "yesterday afternoon" in reasons[1]
    assert reasons[2].startswith("id:") and "abc" in reasons[2]
    landed = sql(wh, "select _row, id, created_at from raw.shopify__orders order by _row")
    assert landed == [
        (1, 5500001, datetime(2026, 1, 5, 10, 0)),
        (5, 5500005, datetime(2026, 1, 5, 10, 0)),  # +02:00 lands as UTC
    ]
    log = sql(wh, "select status, rows_read, rows_landed, rows_rejected from ops.load_log")
    assert log == [("loaded", 5, 2, 3)]


def test_rejected_row_keeps_its_raw_text(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_ndjson(landing / "shopify" / "orders_2026-01-05.ndjson", [ORDER | {"id": "abc"}])

    load_new_files(wh, ORDERS, landing=landing)

    [(raw_text,)] = sql(wh, "select raw_text from ops.rejects")
    assert json.loads(raw_text)["id"] == "abc"
    assert json.loads(raw_text)["name"] == ORDER["name"]


def test_receipt_with_non_integer_quantity_is_rejected(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    path = landing / "wms" / "receipts_DC-EAST_2026-01-07.csv"
    path.parent.mkdir(parents=True)
    path.write_text(RECEIPT_HEADER + receipt("R1", "1") + receipt("R2", "two") + receipt("R3", "2"))

    result = load_new_files(wh, RECEIPTS, landing=landing)

    assert (result.read, result.landed, result.rejected) == (3, 2, 1)
    # CSV row numbers count data rows: the header is not row 1.
    [(row, reason)] = sql(wh, "select row_number, reason from ops.rejects")
    assert row == 2
    assert reason.startswith("quantity:") and "two" in reason
    assert sql(wh, "select receipt_id, quantity from raw.wms__receipts order by _row") == [
        ("R1", 1),
        ("R3", 2),
    ]
    log = sql(wh, "select rows_read, rows_landed, rows_rejected from ops.load_log")
    assert log == [(3, 2, 1)]


def test_receipt_with_fractional_quantity_is_rejected_not_rounded(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    path = landing / "wms" / "receipts_DC-EAST_2026-01-07.csv"
    path.parent.mkdir(parents=True)
    path.write_text(RECEIPT_HEADER + receipt("R1", "1") + receipt("R2", "1.5"))

    result = load_new_files(wh, RECEIPTS, landing=landing)

    assert sql(wh, "select receipt_id, quantity from raw.wms__receipts") == [("R1", 1)]
    assert (result.landed, result.rejected) == (1, 1)


def test_order_with_fractional_id_is_rejected_not_rounded(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_ndjson(landing / "shopify" / "orders_2026-01-05.ndjson", [ORDER | {"id": 5500004.6}])

    result = load_new_files(wh, ORDERS, landing=landing)

    assert sql(wh, "select id from raw.shopify__orders") == []
    assert (result.landed, result.rejected) == (0, 1)


def test_ndjson_that_is_not_json_is_rejected_whole_and_others_still_load(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_ndjson(landing / "shopify" / "orders_2026-01-05.ndjson", [ORDER])
    (landing / "shopify" / "orders_2026-01-06.ndjson").write_text("<html>502 Bad Gateway\n")
    write_ndjson(landing / "shopify" / "orders_2026-01-07.ndjson", [ORDER | {"id": 5500002}])

    result = load_new_files(wh, ORDERS, landing=landing)

    assert (result.files, result.rejected_files, result.landed) == (3, 1, 2)
    assert sql(wh, "select distinct _file from raw.shopify__orders order by 1") == [
        ("shopify/orders_2026-01-05.ndjson",),
        ("shopify/orders_2026-01-07.ndjson",),
    ]
    [(status, read, landed, rejected, reason)] = sql(
        wh,
        "select status, rows_read, rows_landed, rows_rejected, reason from ops.load_log"
        " where file = 'shopify/orders_2026-01-06.ndjson'",
    )
    assert (status, read, landed, rejected) == ("rejected", 0, 0, 0)
    assert "cannot be read as ndjson" in reason
    assert sql(wh, "select file, row_number, reason from ops.rejects") == [
        ("shopify/orders_2026-01-06.ndjson", None, reason)
    ]


def test_csv_missing_required_columns_is_rejected_whole_and_others_still_load(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    (landing / "wms").mkdir(parents=True)
    (landing / "wms" / "receipts_DC-EAST_2026-01-07.csv").write_text(
        "receipt_id,dc_id,sku\nR1,DC-EAST,DRE-0001\n"
    )
    (landing / "wms" / "receipts_DC-WEST_2026-01-07.csv").write_text(
        RECEIPT_HEADER + receipt("R2", "1") + receipt("R3", "1")
    )

    result = load_new_files(wh, RECEIPTS, landing=landing)

    assert (result.files, result.rejected_files, result.landed, result.rejected) == (2, 1, 2, 0)
    assert sql(wh, "select distinct _file from raw.wms__receipts") == [
        ("wms/receipts_DC-WEST_2026-01-07.csv",)
    ]
    bad, good = sql(
        wh, "select file, status, rows_read, rows_landed, reason from ops.load_log order by 1"
    )
    assert bad[:4] == ("wms/receipts_DC-EAST_2026-01-07.csv", "rejected", 0, 0)
    assert "cannot be read as csv" in bad[4]
    assert good == ("wms/receipts_DC-WEST_2026-01-07.csv", "loaded", 2, 2, None)
    assert sql(wh, "select file, row_number, reason from ops.rejects") == [
        ("wms/receipts_DC-EAST_2026-01-07.csv", None, bad[4])
    ]


def test_a_line_that_is_not_json_is_rejected_alone_with_its_text(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    path = landing / "shopify" / "orders_2026-01-05.ndjson"
    path.parent.mkdir(parents=True)
    broken = '{"id": 5500002, "name": "#5500002",'
    path.write_text(f"{json.dumps(ORDER)}\n{broken}\n\n{json.dumps(ORDER | {'id': 5500003})}\n")

    result = load_new_files(wh, ORDERS, landing=landing)

    assert (result.read, result.landed, result.rejected, result.rejected_files) == (3, 2, 1, 0)
    assert sql(wh, "select row_number, reason, raw_text from ops.rejects") == [
        (2, "line is not valid JSON", broken)
    ]
    # line numbers are physical lines: the blank line 3 is skipped, not counted
    assert sql(wh, "select _row, id from raw.shopify__orders order by _row") == [
        (1, 5500001),
        (4, 5500003),
    ]
    assert sql(wh, "select rows_read, rows_landed, rows_rejected from ops.load_log") == [(3, 2, 1)]


def test_nested_integer_with_a_fraction_is_rejected_not_rounded(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    item = ORDER["line_items"][0]
    write_ndjson(
        landing / "shopify" / "orders_2026-01-05.ndjson",
        [ORDER, ORDER | {"id": 5500002, "line_items": [item, item | {"quantity": 1.5}]}],
    )

    result = load_new_files(wh, ORDERS, landing=landing)

    assert (result.landed, result.rejected) == (1, 1)
    assert sql(wh, "select row_number, reason from ops.rejects") == [
        (2, "line_items[].quantity: cannot read 1.5 as INTEGER")
    ]


def test_nested_value_of_the_wrong_shape_is_rejected(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_ndjson(
        landing / "shopify" / "orders_2026-01-05.ndjson",
        [
            ORDER | {"line_items": "one dress"},
            ORDER | {"line_items": [7]},
            ORDER | {"customer": ["not", "an", "object"]},
            ORDER,
        ],
    )

    result = load_new_files(wh, ORDERS, landing=landing)

    assert (result.landed, result.rejected) == (1, 3)
    assert sql(wh, "select row_number, reason from ops.rejects order by 1") == [
        (1, 'line_items: cannot read "one dress" as LIST'),
        (2, "line_items: cannot read [7] as LIST"),
        (3, 'customer: cannot read ["not","an","object"] as STRUCT'),
    ]


def test_enum_and_minimum_reasons_name_the_value_and_the_rule(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    path = landing / "wms" / "receipts_DC-EAST_2026-01-07.csv"
    path.parent.mkdir(parents=True)
    path.write_text(RECEIPT_HEADER + receipt("R1", "1") + receipt("R2", "-2"))
    write_ndjson(
        landing / "shopify" / "returns_2026-01-07.ndjson",
        [
            {
                "id": "gid://shopify/Return/1",
                "name": "#5500001-R1",
                "status": "SHIPPED",
                "createdAt": "2026-01-07T10:00:00Z",
                "updatedAt": "2026-01-07T10:00:00Z",
                "order": {"id": "gid://shopify/Order/5500001"},
                "returnLineItems": [],
            }
        ],
    )

    load_new_files(wh, RECEIPTS, landing=landing)
    load_new_files(wh, RETURNS, landing=landing)

    assert sql(wh, "select entity, row_number, reason from ops.rejects order by 1") == [
        (
            "shopify__returns",
            1,
            "status: unknown value 'SHIPPED' (expected one of REQUESTED, OPEN, CLOSED, DECLINED,"
            " CANCELED)",
        ),
        ("wms__receipts", 2, "quantity: -2 is below the minimum 1"),
    ]


def test_malformed_csv_lines_are_rejected_alone_with_their_text(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    path = landing / "wms" / "receipts_DC-EAST_2026-01-07.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(
        (RECEIPT_HEADER + receipt("R1", "1") + "R2,DC-EAST,2026-01-07 09:30:00,#1-R1\n").encode()
        + receipt("R3", "1").encode().replace(b"DRE", b"DR\xff")
        + (receipt("R4", "1") + '"R5,DC-EAST,2026-01-07 09:30:00,#1-R1,DRE-0001,1,\n').encode()
    )

    result = load_new_files(wh, RECEIPTS, landing=landing)

    assert (result.read, result.landed, result.rejected) == (5, 2, 3)
    assert sql(wh, "select row_number, reason, raw_text from ops.rejects order by 1") == [
        (
            2,
            "line is not valid CSV: expected 7 fields, found 4",
            "R2,DC-EAST,2026-01-07 09:30:00,#1-R1",
        ),
        (3, "line is not valid UTF-8", "R3,DC-EAST,2026-01-07 09:30:00,#5500001-R1,DR?-0001,1,"),
        (
            5,
            "line is not valid CSV: unterminated quote",
            '"R5,DC-EAST,2026-01-07 09:30:00,#1-R1,DRE-0001,1,',
        ),
    ]
    assert sql(wh, "select _row, receipt_id from raw.wms__receipts order by 1") == [
        (1, "R1"),
        (4, "R4"),
    ]


def test_good_rows_land_the_same_whether_or_not_their_file_has_a_bad_row(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    item = ORDER["line_items"][0]
    orders = [
        ORDER,
        ORDER | {"id": 5500002, "customer": {"id": 77, "tags": "vip"}, "currency": None},
        ORDER | {"id": 5500003, "line_items": [item, item | {"id": 9000009, "price": 1}]},
    ]
    write_ndjson(landing / "shopify" / "orders_2026-01-05.ndjson", orders)  # all good
    write_ndjson(landing / "shopify" / "orders_2026-01-06.ndjson", [*orders, {"id": "x"}])
    clean = (landing / "wms" / "receipts_DC-EAST_2026-01-07.csv", [receipt("R1", "1")])
    dirty = (landing / "wms" / "receipts_DC-WEST_2026-01-07.csv", [receipt("R1", "1"), "x\n"])
    for path, rows in (clean, dirty):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(RECEIPT_HEADER + "".join(rows))

    load_new_files(wh, ORDERS, landing=landing)
    load_new_files(wh, RECEIPTS, landing=landing)

    for table in ("shopify__orders", "wms__receipts"):
        by_file = sql(
            wh,
            f"select _file, list(columns(* exclude (_file, _loaded_at, _batch_id)) order by _row)"
            f" from raw.{table} group by _file order by _file",
        )
        (_, *first), (_, *second) = by_file
        assert first == second
    assert sql(wh, "select count(*) from ops.rejects") == [(2,)]
