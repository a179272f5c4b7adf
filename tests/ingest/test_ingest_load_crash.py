"""A crash mid-file leaves nothing of that file behind, and a re-run loads it completely."""

from __future__ import annotations

import pytest

import ingest.loader
from ingest.loader import load_new_files
from ingest.sources.shopify import ORDERS


def test_crash_before_commit_leaves_nothing_and_rerun_loads_the_file(
    tmp_path, samples, sql, monkeypatch
):
    wh = tmp_path / "wh.duckdb"
    real_log, calls = ingest.loader._log, []

    def log_then_crash_on_second_file(*args, **kwargs):
        calls.append(args[3])  # the file name
        if len(calls) == 2:
            raise RuntimeError("simulated crash after the raw insert, before commit")
        return real_log(*args, **kwargs)

    monkeypatch.setattr(ingest.loader, "_log", log_then_crash_on_second_file)
    with pytest.raises(RuntimeError, match="simulated crash"):
        load_new_files(wh, ORDERS, landing=samples)
    monkeypatch.undo()

    committed, crashed = calls
    assert sql(wh, "select distinct _file from raw.shopify__orders") == [(committed,)]
    assert sql(wh, "select file from ops.load_log") == [(committed,)]
    assert sql(wh, "select count(*) from ops.rejects") == [(0,)]

    rerun = load_new_files(wh, ORDERS, landing=samples)
    fresh = load_new_files(tmp_path / "fresh.duckdb", ORDERS, landing=samples)

    assert rerun.skipped_files == 1 and rerun.files == fresh.files - 1
    by_file = "select _file, count(*), count(distinct _row) from raw.shopify__orders group by 1"
    assert sorted(sql(wh, by_file)) == sorted(sql(tmp_path / "fresh.duckdb", by_file))
    crashed_log = "select rows_read, rows_landed from ops.load_log where file = ?"
    assert sql(wh, crashed_log, [crashed]) == sql(tmp_path / "fresh.duckdb", crashed_log, [crashed])
