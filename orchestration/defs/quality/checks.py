"""Blocking GX checks on the marts: a failure stops the serving publish downstream.

One check per mart of each family (`LIFECYCLE_SUITES`, `RECOVERY_SUITES` in expectations.py),
named `<table>_expectations`; it runs the table's suites on one read of the table.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.conditions import WITH_ITS_ASSET
from orchestration.defs.quality.expectations import (
    LIFECYCLE_SUITES,
    RECOVERY_SUITES,
    check_result,
    suite_name,
    validate_table_suites,
)
from orchestration.defs.resources import Warehouse

if TYPE_CHECKING:
    import great_expectations as gx


def mart_expectations_check(
    table: str, suites: tuple[Callable[[], "gx.ExpectationSuite"], ...], family: str
) -> dg.AssetChecksDefinition:
    names = ", ".join(suite_name(suite) for suite in suites)  # the suites are built when run

    @dg.asset_check(
        asset=dg.AssetKey(table),
        name=f"{table}_expectations",
        blocking=True,
        pool="duckdb",  # a read-only connection still blocks a writer in another process
        automation_condition=WITH_ITS_ASSET,  # runs with (after) its mart
        description=f"Great Expectations ({family} family): {names}.",
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        return check_result(
            validate_table_suites(
                warehouse.paths.warehouse, f"marts.{table}", [suite() for suite in suites]
            )
        )

    return _check


lifecycle_checks = [
    mart_expectations_check(table, suites, "lifecycle")
    for table, suites in LIFECYCLE_SUITES.items()
]
recovery_checks = [
    mart_expectations_check(table, suites, "recovery") for table, suites in RECOVERY_SUITES.items()
]
