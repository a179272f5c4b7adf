from pathlib import Path

import duckdb

from orchestration.publish import publish_snapshot


def write_marts(warehouse: Path, cycle_times: list[float]) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.lines (line_id varchar, hours double)")
        con.executemany(
            "insert into marts.lines values (?, ?)",
            [(f"l{n}", hours) for n, hours in enumerate(cycle_times)],
        )


def test_publish_copies_marts_and_records_the_version(tmp_path):
    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving" / "marts.duckdb"
    write_marts(warehouse, [1.0, 2.5, 4.0])

    snapshot = publish_snapshot(warehouse, serving, ["lines"])

    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select sum(hours) from lines").fetchone()[0] == 7.5
        assert con.execute("select version from _snapshot").fetchone()[0] == snapshot.version
    assert snapshot.row_counts == {"lines": 3}
    assert [p.name for p in serving.parent.iterdir()] == ["marts.duckdb"]


def test_a_reader_keeps_its_snapshot_while_a_new_one_is_published(tmp_path):
    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving" / "marts.duckdb"
    write_marts(warehouse, [1.0])
    first = publish_snapshot(warehouse, serving, ["lines"])

    reader = duckdb.connect(str(serving), read_only=True)
    try:
        write_marts(warehouse, [1.0, 2.0, 3.0])
        second = publish_snapshot(warehouse, serving, ["lines"])
        # the open connection still sees the file it opened; a new one sees the new file
        assert reader.execute("select count(*) from lines").fetchone()[0] == 1
        assert reader.execute("select version from _snapshot").fetchone()[0] == first.version
    finally:
        reader.close()
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select count(*) from lines").fetchone()[0] == 3
        assert con.execute("select version from _snapshot").fetchone()[0] == second.version


def test_a_failed_publish_leaves_the_previous_snapshot(tmp_path):
    warehouse, serving = tmp_path / "wh.duckdb", tmp_path / "serving" / "marts.duckdb"
    write_marts(warehouse, [1.0, 2.0])
    publish_snapshot(warehouse, serving, ["lines"])

    try:
        publish_snapshot(warehouse, serving, ["lines", "no_such_mart"])
    except duckdb.Error:
        pass
    else:
        raise AssertionError("publishing a missing mart must fail")

    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select count(*) from lines").fetchone()[0] == 2
    assert [p.name for p in serving.parent.iterdir()] == ["marts.duckdb"]
