from pathlib import Path

import duckdb

from orchestration.defs.quality.checks import mart_expectations_check
from orchestration.defs.quality.expectations import (
    LIFECYCLE_SUITES,
    RECOVERY_SUITES,
    return_lines_suite,
    suite_name,
    validate_table,
)

COLUMNS = (
    "return_line_id varchar, channel varchar, quantity integer, initiated_at timestamp, "
    "cycle_time_hours double, refund_amount decimal(18,2)"
)


def write_return_lines(warehouse: Path, rows: list[tuple]) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.fct_return_lines ({COLUMNS})")
        con.executemany("insert into marts.fct_return_lines values (?, ?, ?, ?, ?, ?)", rows)


def test_clean_return_lines_pass(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    write_return_lines(
        warehouse,
        [
            ("r1", "web", 1, "2026-01-01 00:00:00", 30.0, 19.99),
            ("r2", "zalando", 2, "2026-01-02 00:00:00", None, None),
        ],
    )
    validation = validate_table(warehouse, "marts.fct_return_lines", return_lines_suite())
    assert validation.success and validation.rows == 2 and validation.failed == []


def test_negative_cycle_time_and_missing_initiation_fail(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    write_return_lines(
        warehouse,
        [
            ("r1", "web", 1, "2026-01-01 00:00:00", -2.0, 19.99),
            ("r2", "web", 1, None, 5.0, 10.00),
        ],
    )
    validation = validate_table(warehouse, "marts.fct_return_lines", return_lines_suite())
    assert not validation.success
    assert sorted(validation.failed) == [
        "expect_column_values_to_be_between(cycle_time_hours)",
        "expect_column_values_to_not_be_null(initiated_at)",
    ]


def test_a_checks_description_names_the_suites_it_runs():
    # the names come from the suite functions, so that loading the checks builds no suite
    for suites in (LIFECYCLE_SUITES | RECOVERY_SUITES).values():
        for suite in suites:
            assert suite_name(suite) == suite().name
    check = mart_expectations_check("fct_return_lines", LIFECYCLE_SUITES["fct_return_lines"], "x")
    (spec,) = check.check_specs
    assert spec.description == (
        "Great Expectations (x family): fct_return_lines, fct_return_lines_rules."
    )
