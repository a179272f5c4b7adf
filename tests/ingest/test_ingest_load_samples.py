"""Loading the committed samples: every record lands once, and only once."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from ingest.contracts import Entity
from ingest.loader import load_new_files, pending_files
from ingest.sources import ENTITIES
from ingest.sources.shopify import REFUNDS, RETURNS
from ingest.sources.wms import RECEIPTS


def records_in(entity: Entity, path: Path) -> int:
    """Counted without the loader: NDJSON lines, or CSV (and tab-separated) data rows."""
    if entity.format == "csv":
        delimiter = entity.csv_options.get("delim", ",")
        quoting = csv.QUOTE_NONE if entity.csv_options.get("quote") == "" else csv.QUOTE_MINIMAL
        with path.open(newline="") as handle:
            return sum(1 for _ in csv.DictReader(handle, delimiter=delimiter, quoting=quoting))
    return sum(1 for line in path.read_text().splitlines() if line.strip())


def sample_files(samples: Path, entity: Entity) -> dict[str, Path]:
    """The entity's sample files, found the way the loader finds them: by its pattern."""
    return {p.relative_to(samples).as_posix(): p for p in pending_files(entity, samples)}


by_table = pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.table)


@by_table
def test_samples_land_every_record(tmp_path, samples, sql, entity):
    wh = tmp_path / "wh.duckdb"
    files = sample_files(samples, entity)
    expected = {name: records_in(entity, path) for name, path in files.items()}

    result = load_new_files(wh, entity, landing=samples)

    assert len(files) >= 1 and sum(expected.values()) >= 1
    assert result.files == len(files) and result.rejected_files == 0
    assert result.landed == sum(expected.values()) and result.rejected == 0
    landed = sql(wh, f"select _file, count(*) from raw.{entity.table} group by _file")
    assert dict(landed) == expected


@by_table
def test_second_load_skips_every_file(tmp_path, samples, sql, entity):
    wh = tmp_path / "wh.duckdb"
    first = load_new_files(wh, entity, landing=samples)
    second = load_new_files(wh, entity, landing=samples)

    assert first.files >= 1
    assert second.landed == 0 and second.files == 0
    assert second.skipped_files == first.files
    assert sql(wh, f"select count(*) from raw.{entity.table}") == [(first.landed,)]
    assert sql(wh, "select count(*) from ops.load_log") == [(first.files,)]


@by_table
def test_load_log_has_one_row_per_file_with_counts_and_sha256(tmp_path, samples, sql, entity):
    wh = tmp_path / "wh.duckdb"
    files = sample_files(samples, entity)

    load_new_files(wh, entity, landing=samples)

    log = sql(
        wh,
        "select file, source, entity, status, rows_read, rows_landed, rows_rejected, checksum"
        " from ops.load_log order by file",
    )
    assert [row[0] for row in log] == sorted(files)
    for file, source, table, status, read, landed, rejected, checksum in log:
        assert (source, table, status) == (entity.source, entity.table, "loaded")
        assert read == landed + rejected == records_in(entity, files[file])
        assert checksum == hashlib.sha256(files[file].read_bytes()).hexdigest()
    assert sql(wh, "select count(*) from ops.rejects") == [(0,)]


def test_samples_hold_returns_with_their_receipt_and_refund(tmp_path, samples, sql):
    wh = tmp_path / "wh.duckdb"
    for entity in (RETURNS, RECEIPTS, REFUNDS):
        load_new_files(wh, entity, landing=samples)

    complete = sql(
        wh,
        """
        select count(distinct r.id)
        from raw.shopify__returns as r
        join raw.wms__receipts as w on w.rma_number = r.name
        join raw.shopify__refunds as f on f.return.admin_graphql_api_id = r.id
        """,
    )
    assert complete[0][0] >= 3
