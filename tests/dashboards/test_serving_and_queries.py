"""Locating the snapshot, versioning it, and caching queries per version."""

from __future__ import annotations

import threading
from datetime import datetime

import duckdb
import pytest

from dashboards import queries
from dashboards.contract import missing_columns
from dashboards.filters import Filters
from dashboards.queries._base import recording
from dashboards.serving import serving_connection, serving_path, snapshot_version
from tests.dashboards.conftest import PAGES, run_page


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


def test_a_connection_made_after_a_publish_reads_the_new_file(publish):
    """DuckDB hands a new connection the database instance of any still-open connection to the
    same path. Were connections not serialised, a session opening one just after a publish,
    while another session still reads the old file, would get the old snapshot under the new
    version's cache key."""
    publish([("web", 1.0)], version="run-1")
    opened, release, seen = threading.Event(), threading.Event(), []

    def old_reader() -> None:
        with serving_connection() as con:
            con.execute("select 1").fetchall()
            opened.set()
            release.wait(10)

    def new_reader() -> None:
        with serving_connection() as con:
            seen.append(con.execute("select version from _snapshot").fetchone()[0])

    first = threading.Thread(target=old_reader)
    first.start()
    assert opened.wait(10)
    publish([("web", 2.0)], version="run-2")
    second = threading.Thread(target=new_reader)
    second.start()
    second.join(0.5)
    assert second.is_alive(), "the second connection should wait for the first to close"
    release.set()
    first.join(10)
    second.join(10)

    assert seen == ["run-2"]


def test_serving_connection_takes_an_explicit_path(tmp_path, publish):
    path = publish([("web", 3.0)], version="run-3")

    with serving_connection(path) as con:
        assert con.execute("select version from _snapshot").fetchone() == ("run-3",)


@pytest.mark.parametrize("page", list(PAGES))
def test_each_modules_load_runs_exactly_what_its_page_runs(served, page):
    """`load` is what the benchmark times: it must stay the page's own set of queries."""
    at = run_page(page)
    with recording() as page_calls:
        at.run()  # a rerun of the same page: every query it makes is called again (cached)
    assert not at.exception

    version = snapshot_version()
    with recording() as load_calls:
        queries.common.filter_options(version)  # the router's sidebar
        queries.snapshot_info(version)  # every page's header
        getattr(queries, page).load(version, Filters())

    assert set(page_calls) == set(load_calls)


def test_contract_columns_are_all_in_the_fixture_and_missing_ones_are_named(served):
    with serving_connection() as con:
        assert missing_columns(con) == {}

    with duckdb.connect() as con:
        con.execute("create table fct_return_lines (return_line_id varchar, refunded_at timestamp)")
        missing = missing_columns(con)

    assert "resolved_at" in missing["fct_return_lines"]
    assert "return_line_id" not in missing["fct_return_lines"]
    assert missing["fct_refunds"][0] == "return_line_id"


def test_a_page_run_shares_one_connection_and_a_cached_rerun_opens_none(served, monkeypatch):
    import dashboards.serving as serving

    opened = []
    connect = serving.duckdb.connect

    def counting_connect(*args, **kwargs):
        opened.append(args[0])
        return connect(*args, **kwargs)

    monkeypatch.setattr(serving.duckdb, "connect", counting_connect)
    at = run_page("lifecycle")  # two runs: the default page (overview), then the lifecycle
    assert len(opened) == 2

    at.run()

    assert not at.exception
    assert len(opened) == 2
    with duckdb.connect(str(serving_path())) as con:  # and none is left open
        assert con.execute("select count(*) from _snapshot").fetchone() == (1,)
