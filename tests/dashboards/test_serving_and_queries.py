"""Locating the snapshot, versioning it, and caching queries per version."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from dashboards import queries
from dashboards.serving import serving_connection, serving_path, snapshot_version


def test_serving_path_follows_returnops_home_at_call_time(tmp_path, monkeypatch):
    monkeypatch.setenv("RETURNOPS_HOME", str(tmp_path / "a"))
    first = serving_path()
    monkeypatch.setenv("RETURNOPS_HOME", str(tmp_path / "b"))

    assert first == tmp_path / "a" / "serving" / "marts.duckdb"
    assert serving_path() == tmp_path / "b" / "serving" / "marts.duckdb"


def test_serving_path_defaults_to_data_under_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("RETURNOPS_HOME", raising=False)
    monkeypatch.chdir(tmp_path)

    path = serving_path()

    assert path.is_absolute()
    assert path == tmp_path.resolve() / "data" / "serving" / "marts.duckdb"


def test_snapshot_version_is_none_without_a_file(returnops_home):
    assert snapshot_version() is None


def test_snapshot_version_changes_when_a_snapshot_is_published(publish):
    publish([("web", 1.0)], version="run-1")
    first = snapshot_version()
    publish([("web", 1.0)], version="run-2")

    assert first is not None
    assert snapshot_version() not in (None, first)


def test_serving_connection_is_read_only_and_closed(publish):
    publish([("web", 1.0)])

    with serving_connection() as con:
        assert con.execute("select count(*) from fct_return_lines").fetchone() == (1,)
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            con.execute("create table scratch (x integer)")

    with pytest.raises(duckdb.ConnectionException):
        con.execute("select 1")


def test_queries_are_cached_per_snapshot_version(publish):
    publish([("web", 10.0), ("web", 30.0)], version="run-1")
    first_version = snapshot_version()
    first = queries.cycle_time_by_channel(first_version)

    publish([("web", 100.0), ("web", 300.0)], version="run-2")
    second_version = snapshot_version()

    # The old version is still answered from the cache, although the file now holds other rows...
    assert queries.cycle_time_by_channel(first_version).equals(first)
    assert first["median_cycle_time_hours"].tolist() == [20.0]
    # ...and the new version misses the cache and reads the new snapshot.
    second = queries.cycle_time_by_channel(second_version)
    assert second["median_cycle_time_hours"].tolist() == [200.0]
    assert queries.snapshot_info(second_version).version == "run-2"


def test_snapshot_info_reads_published_at(publish):
    publish([], published_at=datetime(2026, 2, 1, 12, 0), version="run-7")

    info = queries.snapshot_info(snapshot_version())

    assert info == queries.SnapshotInfo(published_at=datetime(2026, 2, 1, 12, 0), version="run-7")
