"""Blocking GX checks on the marts: a failure stops the serving publish downstream."""

import dagster as dg

from orchestration.defs.quality.expectations import return_lines_suite, validate_table
from orchestration.defs.resources import Warehouse


@dg.asset_check(
    asset=dg.AssetKey("fct_return_lines"),
    blocking=True,
    description="Great Expectations suite: unique lines, initiated stage present, "
    "non-negative cycle times and refunds, positive quantities.",
)
def fct_return_lines_expectations(warehouse: Warehouse) -> dg.AssetCheckResult:
    validation = validate_table(
        warehouse.paths.warehouse, "marts.fct_return_lines", return_lines_suite()
    )
    return dg.AssetCheckResult(
        passed=validation.success,
        metadata={
            "rows": validation.rows,
            "expectations": validation.evaluated,
            "failed_expectations": ", ".join(validation.failed) or "none",
        },
    )
