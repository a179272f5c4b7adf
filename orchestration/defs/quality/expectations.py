"""Great Expectations suites for the marts, and one way to run a suite on a warehouse table.

A suite is a plain function; validation uses an ephemeral GX context on a pandas batch read
through a short read-only connection, so no GX project or state lives on disk.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

# GX phones home by default; this machine has no business doing so.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402
import pandas as pd  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402

from ingest.warehouse import connect  # noqa: E402


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
    with connect(warehouse, read_only=True) as con:
        frame = con.execute(f"select * from {table}").df()
    return validate_frame(frame, table, suite)


def validate_frame(frame: pd.DataFrame, name: str, suite: gx.ExpectationSuite) -> Validation:
    """Run `suite` on an in-memory frame, as a GX pandas batch of an ephemeral context."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # keep run logs readable
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
        [f"{config.type}({config.kwargs.get('column')})" for config in failed],
        len(result.results),
        [config.kwargs.get("column") for config in failed],
    )
