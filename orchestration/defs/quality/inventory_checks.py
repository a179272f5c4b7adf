"""Blocking GX checks on the inventory marts: a failure stops the serving publish downstream.

Each suite is a plain function (tests call them on a frame); each check reads only the columns
its suite needs through a short read-only connection and validates them with the thin wrapper of
`orchestration.defs.quality.expectations`. The inventory marts grow with catalogue × nodes ×
days, not with order volume, so the frames stay small at any `--scale`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from ingest.sources.wms import INVENTORY_STATES  # the states of DESIGN §4
from orchestration.conditions import WITH_ITS_ASSET
from orchestration.defs.quality.expectations import (
    Validation,
    check_result,
    validate_table_suites,
)
from orchestration.defs.resources import Warehouse

if TYPE_CHECKING:
    import great_expectations as gx
    import great_expectations.expectations as gxe
else:  # imported on first use (orchestration.lazy_gx)
    from orchestration.lazy_gx import gx, gxe


def inventory_positions_suite() -> gx.ExpectationSuite:
    """One row per SKU × node × state × day, never a zero or negative balance."""
    return gx.ExpectationSuite(
        name="fct_inventory_positions",
        expectations=[
            gxe.ExpectCompoundColumnsToBeUnique(
                column_list=["date_day", "sku", "node_id", "state"]
            ),
            *[
                gxe.ExpectColumnValuesToNotBeNull(column=column)
                for column in ("date_day", "sku", "node_id", "state", "units", "is_latest")
            ],
            # zero positions have no row, so a non-negative balance is at least 1
            gxe.ExpectColumnValuesToBeBetween(column="units", min_value=1),
            gxe.ExpectColumnValuesToBeInSet(column="state", value_set=list(INVENTORY_STATES)),
        ],
    )


def channel_atp_suite() -> gx.ExpectationSuite:
    """One row per channel × SKU × day, ATP never negative."""
    return gx.ExpectationSuite(
        name="fct_channel_atp",
        expectations=[
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["date_day", "channel", "sku"]),
            *[
                gxe.ExpectColumnValuesToNotBeNull(column=column)
                for column in ("date_day", "channel", "sku", "atp", "is_latest")
            ],
            gxe.ExpectColumnValuesToBeBetween(column="atp", min_value=0),
        ],
    )


def channel_stock_gaps_suite() -> gx.ExpectationSuite:
    """One row per channel × SKU; the two gap measures never negative."""
    return gx.ExpectationSuite(
        name="fct_channel_stock_gaps",
        expectations=[
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["channel", "sku"]),
            gxe.ExpectColumnValuesToNotBeNull(column="published_quantity"),
            gxe.ExpectColumnValuesToBeBetween(column="atp", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="oversell_risk_units", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="hidden_units", min_value=0),
        ],
    )


def stock_corrections_suite() -> gx.ExpectationSuite:
    """What the write-back would push: unique ids, a non-negative target, a real change."""
    return gx.ExpectationSuite(
        name="fct_stock_corrections",
        expectations=[
            gxe.ExpectColumnValuesToBeUnique(column="correction_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="correction_id"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["channel", "sku", "location_id"]),
            gxe.ExpectColumnValuesToBeBetween(column="target_quantity", min_value=0),
            gxe.ExpectColumnValuesToNotBeInSet(column="delta", value_set=[0]),
            gxe.ExpectColumnValuesToNotBeNull(column="needs_approval"),
        ],
    )


# table -> (suite, the columns it reads)
SUITES = {
    "fct_inventory_positions": (
        inventory_positions_suite,
        ["date_day", "sku", "node_id", "state", "units", "is_latest"],
    ),
    "fct_channel_atp": (channel_atp_suite, ["date_day", "channel", "sku", "atp", "is_latest"]),
    "fct_channel_stock_gaps": (
        channel_stock_gaps_suite,
        ["channel", "sku", "published_quantity", "atp", "oversell_risk_units", "hidden_units"],
    ),
    "fct_stock_corrections": (
        stock_corrections_suite,
        ["correction_id", "channel", "sku", "location_id", "target_quantity", "delta",
         "needs_approval"],
    ),
}  # fmt: skip


def validate_inventory_mart(warehouse: Path, table: str) -> Validation:
    """Run the suite of `table` (a key of SUITES) on `marts.<table>`, reading only its columns."""
    suite, columns = SUITES[table]
    return validate_table_suites(warehouse, f"marts.{table}", [suite()], columns)


def build_inventory_check(table: str, description: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(table),
        name=f"{table}_expectations",
        blocking=True,
        pool="duckdb",  # a read-only connection still blocks a writer in another process
        automation_condition=WITH_ITS_ASSET,  # runs with (after) its mart
        description=description,
    )
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        return check_result(validate_inventory_mart(warehouse.paths.warehouse, table))

    return _check


inventory_checks = [
    build_inventory_check(
        "fct_inventory_positions",
        "Great Expectations suite: one row per date_day × sku × node_id × state, keys not "
        "null, units >= 1 (no negative stock; zero positions have no row), states of DESIGN §4.",
    ),
    build_inventory_check(
        "fct_channel_atp",
        "Great Expectations suite: one row per date_day × channel × sku, keys not null, ATP >= 0.",
    ),
    build_inventory_check(
        "fct_channel_stock_gaps",
        "Great Expectations suite: one row per channel × sku, published quantity present, "
        "ATP, oversell-risk and hidden units >= 0.",
    ),
    build_inventory_check(
        "fct_stock_corrections",
        "Great Expectations suite: unique correction ids and channel × sku × location, "
        "target quantity >= 0, no zero delta: nothing wrong reaches the write-back.",
    ),
]
