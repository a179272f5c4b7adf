"""Every source contract against a corpus of bad files: exact counts, reasons and row numbers.

For each entity the corpus (tests/ingest/corpus.py) is written once and loaded once into its own
warehouse; each test checks one file of it. Then the same files are loaded again: every one is
skipped and nothing doubles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ingest.contracts import Entity
from ingest.loader import LoadResult, load_new_files
from ingest.sources import ENTITIES
from tests.ingest.corpus import Expected, kinds, write_corpus


@dataclass
class Loaded:
    """An entity's corpus after its first load, and what the warehouse then held, by file."""

    warehouse: Path
    landing: Path
    expected: dict[str, Expected]
    first: LoadResult
    log: dict[str, tuple]  # file -> (status, rows_read, rows_landed, rows_rejected, reason)
    landed_rows: dict[str, list[int]]  # file -> _row of its landed rows, in order
    rejects: dict[str, list[tuple]]  # file -> (row_number, reason, raw_text), in order


def _by_file(rows: list[tuple]) -> dict[str, list[tuple]]:
    grouped: dict[str, list[tuple]] = {}
    for file, *rest in rows:
        grouped.setdefault(file, []).append(tuple(rest))
    return grouped


@pytest.fixture(scope="module")
def corpus_load(tmp_path_factory):
    """The corpus of an entity, written, loaded and read back once per module."""
    loaded: dict[str, Loaded] = {}

    def load(entity: Entity) -> Loaded:
        if entity.table not in loaded:
            root = tmp_path_factory.mktemp(entity.table)
            wh, landing = root / "wh.duckdb", root / "landing"
            expected = write_corpus(entity, landing)
            first = load_new_files(wh, entity, landing)
            with duckdb.connect(str(wh), read_only=True) as con:
                log = con.execute(
                    "select file, status, rows_read, rows_landed, rows_rejected, reason"
                    " from ops.load_log"
                ).fetchall()
                landed = con.execute(
                    f"select _file, _row from raw.{entity.table} order by _file, _row"
                ).fetchall()
                rejects = con.execute(
                    "select file, row_number, reason, raw_text from ops.rejects"
                    " order by file, row_number"
                ).fetchall()
            loaded[entity.table] = Loaded(
                wh,
                landing,
                expected,
                first,
                {file: tuple(rest) for file, *rest in log},
                {file: [row for (row,) in rows] for file, rows in _by_file(landed).items()},
                _by_file(rejects),
            )
        return loaded[entity.table]

    return load


CASES = [
    pytest.param(entity, kind, id=f"{entity.table}-{kind}")
    for entity in ENTITIES
    for kind in kinds(entity)
]


@pytest.mark.parametrize(("entity", "kind"), CASES)
def test_corpus_file_lands_or_is_rejected_exactly(corpus_load, entity, kind):
    loaded = corpus_load(entity)
    expected = loaded.expected[kind]
    counts = (expected.read, len(expected.landed_rows), len(expected.rejects))

    [outcome] = [o for o in loaded.first.outcomes if o.file == expected.file]
    assert (outcome.status, outcome.read, outcome.landed, outcome.rejected) == (
        expected.status,
        *counts,
    )
    assert outcome.read == outcome.landed + outcome.rejected
    assert loaded.log[expected.file] == (expected.status, *counts, expected.file_reason)
    assert loaded.landed_rows.get(expected.file, []) == list(expected.landed_rows)
    if expected.file_reason:
        assert loaded.rejects[expected.file] == [(None, expected.file_reason, None)]
    else:
        assert loaded.rejects.get(expected.file, []) == [
            (r.row, r.reason, r.raw_text) for r in expected.rejects
        ]


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.table)
def test_corpus_reconciles_and_a_second_load_skips_every_file(corpus_load, sql, entity):
    loaded = corpus_load(entity)
    wh = loaded.warehouse
    totals = "select sum(rows_read), sum(rows_landed), sum(rows_rejected) from ops.load_log"
    landed = f"select count(*) from raw.{entity.table}"
    row_rejects = "select count(*) from ops.rejects where row_number is not null"
    first_totals = sql(wh, totals)

    assert first_totals == [(loaded.first.read, loaded.first.landed, loaded.first.rejected)]
    assert loaded.first.read == loaded.first.landed + loaded.first.rejected
    assert sql(wh, landed) == [(loaded.first.landed,)]
    assert sql(wh, row_rejects) == [(loaded.first.rejected,)]
    assert loaded.first.files == len(loaded.expected)

    second = load_new_files(wh, entity, loaded.landing)

    assert second.skipped_files == len(loaded.expected) and second.files == 0
    assert sql(wh, totals) == first_totals
    assert sql(wh, landed) == [(loaded.first.landed,)]
    assert sql(wh, row_rejects) == [(loaded.first.rejected,)]
    assert sql(wh, "select count(*) from ops.load_log") == [(len(loaded.expected),)]
