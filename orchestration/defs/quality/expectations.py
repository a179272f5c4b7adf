"""Great Expectations suites for the marts, and one way to run a suite on a warehouse table.

A suite is a plain function; validation uses an ephemeral GX context on a pandas batch read
through a short read-only connection, so no GX project or state lives on disk.

Suites come in mart families (`LIFECYCLE_SUITES`, `RECOVERY_SUITES`: table -> suites), each
suite a check the dbt tests do not make: value ranges, cross-column rules, rules that hold
except where a flag says otherwise. `quality/checks.py` turns every table of a family into a
blocking Dagster asset check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from ingest.warehouse import connect
from orchestration.lazy_gx import gx_config, row_conditions

if TYPE_CHECKING:
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd
else:  # imported on first use: GX is most of the definitions' load time (orchestration.lazy_gx)
    from orchestration.lazy_gx import gx, gxe


def return_lines_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="fct_return_lines",
        expectations=[
            gxe.ExpectColumnValuesToBeUnique(column="return_line_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="initiated_at"),
            gxe.ExpectColumnValuesToNotBeNull(column="channel"),
            gxe.ExpectColumnValuesToBeBetween(column="cycle_time_hours", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=1),
            gxe.ExpectColumnValuesToBeBetween(column="refund_amount", min_value=0),
        ],
    )


def return_lines_rules_suite() -> gx.ExpectationSuite:
    """The lifecycle's physical and money rules on fct_return_lines."""
    return gx.ExpectationSuite(
        name="fct_return_lines_rules",
        expectations=[
            # every return line has its return_initiated event (initiated_at comes only from it)
            gxe.ExpectColumnValuesToNotBeNull(column="initiated_at"),
            gxe.ExpectColumnValuesToBeBetween(column="hours_to_receive", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="hours_to_inspect", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="cycle_time_hours", min_value=0),
            # no refund above what the customer paid ...
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="original_value",
                column_B="refund_amount",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            # ... nor above the policy, unless flagged (goodwill: a refund_over_policy exception)
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="expected_refund",
                column_B="refund_amount",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                row_condition=row_conditions.Column("is_refund_over_policy") == False,  # noqa: E712
            ),
            gxe.ExpectColumnValuesToNotBeNull(
                column="resolved_at", row_condition=row_conditions.Column("status") == "resolved"
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="status",
                value_set=[
                    "initiated",
                    "label_created",
                    "in_transit",
                    "delivered",
                    "received",
                    "inspected",
                    "resolved",
                    "declined",
                    "cancelled",
                ],
            ),  # fmt: skip
            gxe.ExpectColumnValuesToBeBetween(column="exception_count", min_value=0),
        ],
    )


def refunds_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="fct_refunds",
        expectations=[
            gxe.ExpectColumnValuesToBeUnique(column="return_line_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="as_of"),
            gxe.ExpectColumnValuesToBeBetween(column="refund_amount", min_value=0),
            # an open refund ages from a receipt that happened before "now"
            gxe.ExpectColumnValuesToBeBetween(
                column="days_from_receipt",
                min_value=0,
                row_condition=row_conditions.Column("is_open") == True,  # noqa: E712
            ),
            gxe.ExpectColumnValuesToNotBeNull(
                column="ageing_bucket",
                row_condition=row_conditions.Column("is_open") == True,  # noqa: E712
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="ageing_bucket", value_set=["0-2", "3-7", "8-14", "15-30", ">30"]
            ),
        ],
    )


def inspection_backlog_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="fct_inspection_backlog",
        expectations=[
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["node_id", "date_day"]),
            gxe.ExpectColumnValuesToBeBetween(column="units_awaiting", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="oldest_age_hours", min_value=0),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="units_awaiting", column_B="units_over_sla", or_equal=True
            ),
        ],
    )


def return_exceptions_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="fct_return_exceptions",
        expectations=[
            gxe.ExpectColumnValuesToBeUnique(column="exception_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="detected_at"),
            gxe.ExpectColumnValuesToBeBetween(column="age_hours", min_value=0),
            gxe.ExpectColumnValuesToNotBeNull(
                column="sla_metric",
                row_condition=row_conditions.Column("exception_type") == "stage_sla_breach",
            ),
        ],
    )


def recovery_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="fct_recovery",
        expectations=[
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=["month_start", "disposition", "category", "channel"]
            ),
            gxe.ExpectColumnValuesToBeBetween(column="units", min_value=1),
            gxe.ExpectColumnValuesToBeBetween(column="recovered_value", min_value=0),
            # nothing recovers more than it sold for
            gxe.ExpectColumnValuesToBeBetween(column="recovery_rate", min_value=0, max_value=1),
        ],
    )


def chargeback_opportunities_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="fct_chargeback_opportunities",
        expectations=[
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["vendor_id", "sku"]),
            gxe.ExpectColumnValuesToBeBetween(column="units", min_value=1),
            gxe.ExpectColumnValuesToBeBetween(column="claimable_amount", min_value=0),
        ],
    )


def suite_name(suite: Callable[[], gx.ExpectationSuite]) -> str:
    """The name of the suite a suite function builds, without building it (and importing GX):
    `fct_` and the function's name without `_suite` (tests/orchestration/test_expectations.py
    checks every suite of the families)."""
    return "fct_" + suite.__name__.removesuffix("_suite")


# mart families: table -> the suites its blocking check runs
LIFECYCLE_SUITES = {
    "fct_return_lines": (return_lines_suite, return_lines_rules_suite),
    "fct_refunds": (refunds_suite,),
    "fct_inspection_backlog": (inspection_backlog_suite,),
    "fct_return_exceptions": (return_exceptions_suite,),
}
RECOVERY_SUITES = {
    "fct_recovery": (recovery_suite,),
    "fct_chargeback_opportunities": (chargeback_opportunities_suite,),
}


@dataclass(frozen=True)
class Validation:
    success: bool
    rows: int
    failed: list[str]
    evaluated: int
    # the columns of the failed expectations, in suite order
    failed_columns: list[str] = field(default_factory=list)


def validate_table(warehouse: Path, table: str, suite: gx.ExpectationSuite) -> Validation:
    """Run `suite` on `table` of the warehouse (schema-qualified, e.g. marts.fct_return_lines)."""
    return validate_table_suites(warehouse, table, [suite])


def validate_table_suites(
    warehouse: Path,
    table: str,
    suites: list[gx.ExpectationSuite],
    columns: Sequence[str] | None = None,
) -> Validation:
    """Run every suite on one read of `table` (only `columns` when given); the result passes
    when all of them pass."""
    selected = ", ".join(columns) if columns else "*"
    with connect(warehouse, read_only=True) as con:
        frame = con.execute(f"select {selected} from {table}").df()
    results = [validate_frame(frame, table, suite) for suite in suites]
    return Validation(
        all(r.success for r in results),
        len(frame),
        [name for r in results for name in r.failed],
        sum(r.evaluated for r in results),
        [column for r in results for column in r.failed_columns],
    )


def check_result(validation: Validation) -> dg.AssetCheckResult:
    """The asset check's verdict and metadata for one validation."""
    return dg.AssetCheckResult(
        passed=validation.success,
        metadata={
            "rows": validation.rows,
            "expectations": validation.evaluated,
            "failed_expectations": ", ".join(validation.failed) or "none",
        },
    )


def validate_frame(frame: pd.DataFrame, name: str, suite: gx.ExpectationSuite) -> Validation:
    """Run `suite` on an in-memory frame, as a GX pandas batch of an ephemeral context."""
    context = gx.get_context(mode="ephemeral")
    # no progress bars: they would fill the run logs
    context.variables.progress_bars = gx_config.ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(name="warehouse")
        .add_dataframe_asset(name=name)
        .add_batch_definition_whole_dataframe("whole_table")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result = batch.validate(suite)
    failed = [r.expectation_config for r in result.results if not r.success]
    return Validation(
        bool(result.success),
        len(frame),
        [f"{config.type}({_target(config.kwargs)})" for config in failed],
        len(result.results),
        [config.kwargs.get("column") for config in failed],
    )


def _target(kwargs: dict) -> str | None:
    """The column(s) an expectation is about, for the failure list."""
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if kwargs.get("column_list"):
        return ",".join(kwargs["column_list"])
    return kwargs.get("column")
