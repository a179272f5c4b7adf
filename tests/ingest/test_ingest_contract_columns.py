"""Contracts that follow real files: tab-separated reports, renamed columns, transient errors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingest import loader
from ingest.contracts import TIMESTAMP_UTC, Column, Entity
from ingest.loader import load_new_files

# an Amazon-style tab-separated report whose order column has two names in the wild
REPORT = Entity(
    source="marketplace",
    name="returns_report",
    pattern="returns_*.tsv",
    format="csv",
    csv_options={"delim": "\t"},
    columns=(
        Column("return-date", TIMESTAMP_UTC, required=True),
        Column("order-id", "VARCHAR", required=True, aliases=("amazon-order-id",)),
        Column("sku", "VARCHAR", required=True),
        Column("quantity", "INTEGER", required=True),
        Column("customer-comments", "VARCHAR"),
    ),
)


def write_report(landing: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    path = landing / "marketplace" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join("\t".join(line) for line in [header, *rows]) + "\n")
    return path


def test_tab_separated_report_with_either_order_column_name_lands(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_report(landing, "returns_1.tsv", ["return-date", "order-id", "sku", "quantity"],
                 [["2026-01-05T10:00:00+00:00", "111-1", "A", "1"]])  # fmt: skip
    write_report(landing, "returns_2.tsv", ["return-date", "amazon-order-id", "sku", "quantity"],
                 [["2026-01-06T10:00:00+00:00", "222-2", "B", "2"]])  # fmt: skip

    result = load_new_files(wh, REPORT, landing)

    assert (result.landed, result.rejected, result.rejected_files) == (2, 0, 0)
    assert sql(
        wh, 'select "order-id", quantity from raw.marketplace__returns_report order by 1'
    ) == [
        ("111-1", 1),
        ("222-2", 2),
    ]


def test_missing_columns_are_all_named_in_the_reason(tmp_path, sql):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_report(landing, "returns_1.tsv", ["return-date", "sku"], [["2026-01-05", "A"]])

    result = load_new_files(wh, REPORT, landing)

    assert (result.landed, result.rejected_files) == (0, 1)
    (reason,) = sql(wh, "select reason from ops.load_log where status = 'rejected'")[0]
    assert "order-id or amazon-order-id" in reason and "quantity" in reason


def test_a_transient_error_rolls_back_and_leaves_the_file_pending(tmp_path, sql, monkeypatch):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    write_report(landing, "returns_1.tsv", ["return-date", "order-id", "sku", "quantity"],
                 [["2026-01-05T10:00:00+00:00", "111-1", "A", "1"]])  # fmt: skip
    real_land = loader._land

    def land_then_fail(con, *args):
        real_land(con, *args)
        raise duckdb.IOException("disk went away")

    monkeypatch.setattr(loader, "_land", land_then_fail)
    with pytest.raises(duckdb.IOException):
        load_new_files(wh, REPORT, landing)
    assert sql(wh, "select count(*) from ops.load_log") == [(0,)]
    assert sql(wh, "select count(*) from raw.marketplace__returns_report") == [(0,)]

    monkeypatch.setattr(loader, "_land", real_land)
    assert load_new_files(wh, REPORT, landing).landed == 1
