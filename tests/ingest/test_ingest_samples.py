"""The committed samples: every source entity has some, and they all load cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loader import load_new_files, pending_files
from ingest.sources import ENTITIES

by_entity = pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.table)


def lines_in(path: Path) -> int:
    records = sum(1 for line in path.read_text().splitlines() if line.strip())
    return records - 1 if path.suffix in (".csv", ".tsv") else records


@by_entity
def test_every_entity_has_samples_that_land_without_a_reject(tmp_path, samples, sql, entity):
    files = pending_files(entity, samples)
    warehouse = tmp_path / "wh.duckdb"

    result = load_new_files(warehouse, entity, landing=samples)

    assert files, f"no sample files for {entity.table} ({entity.source}/{entity.pattern})"
    assert result.files == len(files) and result.rejected_files == 0
    assert result.rejected == 0 and result.landed == sum(lines_in(p) for p in files) > 0
    assert sql(warehouse, "select count(*) from ops.rejects") == [(0,)]


def test_every_sample_file_belongs_to_an_entity(samples):
    claimed = {p for entity in ENTITIES for p in pending_files(entity, samples)}
    present = {p for p in samples.rglob("*.*") if p.name != "README.md"}
    assert present == claimed
