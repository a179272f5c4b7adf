"""The inventory marts after `returnops simulate --days 60 --seed 7` + `returnops run` (the
`acceptance_home` fixture), against the simulator's truth.

Exact equality, no tolerance: inventory by SKU × node × state at the end of every day
(truth/inventory_daily.parquet), ATP per channel × SKU × day and what each channel publishes
(truth/channel_atp.parquet), the injected channel-stock lag (truth/problems.parquet) as the
only stock gaps, and the write-back corrections that close them, per Shopify location
(truth/channel_location_stock.parquet). The marts are read from the
serving snapshot (what the dashboards and the write-back see, published only after the blocking
checks passed); intermediate models from the warehouse, read-only.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.defs.quality.expectations import validate_frame
from orchestration.defs.quality.inventory_checks import (
    channel_atp_suite,
    inventory_positions_suite,
    validate_inventory_mart,
)
from writeback.corrections import correction_id_for
from writeback.settings import WritebackSettings

pytestmark = pytest.mark.e2e


def serving(home: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(home / "serving" / "marts.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def warehouse(home: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).df()


def truth(home: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(home / "truth" / f"{name}.parquet")


def outer_differences(
    served: pd.DataFrame, expected: pd.DataFrame, keys: list[str], value: str
) -> pd.DataFrame:
    """Rows whose `value` differs, or that exist on one side only (value NaN on the other)."""
    merged = served.merge(expected, on=keys, how="outer", suffixes=("_mart", "_truth"))
    left, right = merged[f"{value}_mart"], merged[f"{value}_truth"]
    return merged[left.ne(right) & ~(left.isna() & right.isna())]


def last_day(home: Path):
    return truth(home, "channel_atp")["day"].max()


def lagging_channels(home: Path) -> set[str]:
    problems = truth(home, "problems")
    return set(problems.loc[problems["problem_type"] == "channel_stock_lag", "channel"])


# ------------------------------------------------------------------ positions
def test_inventory_by_sku_node_state_equals_the_truth_at_the_end_of_every_day(acceptance_home):
    expected = truth(acceptance_home, "inventory_daily").rename(columns={"day": "date_day"})
    served = serving(
        acceptance_home,
        "select date_day, node_id, sku, state, units, is_latest from fct_inventory_positions",
    )
    for frame in (expected, served):
        frame["date_day"] = pd.to_datetime(frame["date_day"]).dt.date

    keys = ["date_day", "node_id", "sku", "state"]
    differences = outer_differences(served, expected, keys, "units")
    assert differences.empty, f"{len(differences)} positions differ:\n{differences.head(20)}"
    assert len(served) == len(expected)
    # every day from the opening count to the last day, for every node (stores included)
    assert sorted(served["date_day"].unique()) == sorted(expected["date_day"].unique())
    assert set(served["node_id"]) == set(expected["node_id"])
    newest = served["date_day"].max()
    assert served["is_latest"].eq(served["date_day"] == newest).all()


def test_dc_positions_reconcile_with_every_wms_snapshot(acceptance_home):
    differences = warehouse(
        acceptance_home, "select * from intermediate.int_inventory_snapshot_differences"
    )
    assert differences.empty, f"snapshot mismatches:\n{differences.head(20)}"
    # and the comparison covered every end-of-day count of both DCs
    counted = warehouse(
        acceptance_home,
        "select count(distinct (node_id, cast(snapshot_at as date))) as counts"
        " from staging.stg_wms__inventory_snapshots",
    )["counts"].iloc[0]
    days = truth(acceptance_home, "inventory_daily")["day"].nunique()
    assert counted == 2 * (days - 1) + 7  # DCs every day after the opening; all 7 nodes at it


# ------------------------------------------------------------------ ATP
def test_atp_per_channel_equals_the_truth_every_day(acceptance_home):
    expected = truth(acceptance_home, "channel_atp").rename(columns={"day": "date_day"})
    served = serving(acceptance_home, "select date_day, channel, sku, atp from fct_channel_atp")
    for frame in (expected, served):
        frame["date_day"] = pd.to_datetime(frame["date_day"]).dt.date

    # the mart also has the opening day (the truth starts at the first simulated day)
    opening = truth(acceptance_home, "inventory_daily")["day"].min()
    extra = served[~served["date_day"].isin(set(expected["date_day"]))]
    assert set(extra["date_day"]) == {pd.Timestamp(opening).date()}
    served = served[served["date_day"].isin(set(expected["date_day"]))]

    keys = ["date_day", "channel", "sku"]
    differences = outer_differences(served, expected[[*keys, "atp"]], keys, "atp")
    assert differences.empty, f"{len(differences)} ATP values differ:\n{differences.head(20)}"
    assert len(served) == len(expected)


# ------------------------------------------------------------------ published stock and gaps
def test_channel_stock_gaps_equal_the_truth_on_the_last_day(acceptance_home):
    day = last_day(acceptance_home)
    expected = truth(acceptance_home, "channel_atp")
    expected = expected[(expected["day"] == day) & expected["published"].notna()].copy()
    expected["gap"] = expected["published"] - expected["atp"]
    gaps = serving(acceptance_home, "select * from fct_channel_stock_gaps")

    merged = gaps.merge(expected, on=["channel", "sku"], how="outer", indicator=True)
    assert merged["_merge"].eq("both").all(), "a channel × SKU on one side only"
    assert merged["published_quantity"].eq(merged["published"]).all()
    assert merged["atp_x"].eq(merged["atp_y"]).all()
    assert merged["gap_units"].eq(merged["gap"]).all()
    assert merged["oversell_risk_units"].eq(merged["gap"].clip(lower=0)).all()
    assert merged["hidden_units"].eq((-merged["gap"]).clip(lower=0)).all()
    assert (pd.to_datetime(gaps["atp_date"]).dt.date == pd.Timestamp(day).date()).all()


def test_only_the_lagging_channel_has_stock_gaps(acceptance_home):
    lagging = lagging_channels(acceptance_home)
    assert lagging == {"zalando"}
    gaps = serving(acceptance_home, "select * from fct_channel_stock_gaps")
    assert set(gaps["channel"]) == {"web", "zalando", "amazon"}  # stores publish nothing
    with_gap = gaps[(gaps["oversell_risk_units"] > 0) | (gaps["hidden_units"] > 0)]
    assert not with_gap.empty, "the injected lag should leave gaps on the last day"
    assert set(with_gap["channel"]) == lagging
    # no gap wherever the truth has published = ATP
    expected = truth(acceptance_home, "channel_atp")
    equal = expected[(expected["day"] == last_day(acceptance_home))
                     & (expected["published"] == expected["atp"])]  # fmt: skip
    flagged = with_gap.merge(equal, on=["channel", "sku"])
    assert flagged.empty


def test_stock_corrections_close_exactly_the_gaps_with_the_writeback_ids(acceptance_home):
    day = last_day(acceptance_home)
    corrections = serving(acceptance_home, "select * from fct_stock_corrections")
    assert set(corrections["channel"]) == lagging_channels(acceptance_home)

    # per Shopify location (zalando sells through Shopify's marketplace connector, stocked per
    # DC location like the web shop): every location that shows other than the node's share
    # is corrected to it, and nothing else is
    located = truth(acceptance_home, "channel_location_stock")
    expected = located[(located["day"] == day) & (located["published"] != located["atp"])]
    keys = ["channel", "sku", "location_id"]
    merged = corrections.merge(expected, on=keys, how="outer", indicator=True)
    assert merged["_merge"].eq("both").all(), merged[merged["_merge"] != "both"].head(20)
    assert merged["published_quantity"].eq(merged["published"]).all()
    assert merged["target_quantity"].eq(merged["atp"]).all()
    assert merged["delta"].eq(merged["atp"] - merged["published"]).all()

    # summed over its locations, a channel's corrections close its gap
    gaps = serving(acceptance_home, "select * from fct_channel_stock_gaps where gap_units <> 0")
    closing = corrections.groupby(["channel", "sku"], as_index=False)["delta"].sum()
    closing = closing[closing["delta"] != 0]
    merged = closing.merge(gaps, on=["channel", "sku"], how="outer", indicator=True)
    assert merged["_merge"].eq("both").all()
    assert merged["delta"].eq(-merged["gap_units"]).all()

    settings = WritebackSettings()
    for row in corrections.itertuples():
        basis = row.basis_published_at
        basis = None if pd.isna(basis) else pd.Timestamp(basis).to_pydatetime()
        location = None if pd.isna(row.location_id) else row.location_id
        assert row.correction_id == correction_id_for(
            row.channel, row.sku, location, int(row.published_quantity),
            int(row.target_quantity), basis,
        )  # fmt: skip
        over = abs(row.delta) > settings.approval_units or (
            abs(row.delta) * float(row.unit_value) > settings.approval_value
        )
        assert bool(row.needs_approval) == over
    # addressable through inventorySetQuantities: a Shopify inventory item at a Shopify location
    assert corrections["inventory_item_id"].notna().all()
    assert corrections["location_id"].notna().all()
    assert set(corrections["location_id"]) <= set(located["location_id"])


# ------------------------------------------------------------------ sync latency
def test_sync_events_book_at_the_true_times(acceptance_home):
    lines = truth(acceptance_home, "return_lines")
    sync = serving(acceptance_home, "select * from fct_inventory_sync")
    events = warehouse(
        acceptance_home,
        "select event_id, return_line_id from intermediate.int_return_events"
        " where event_type = 'inventory_updated'",
    )

    # every event reaches each channel selling from its node: three at a DC, one at a store
    per_event = sync.groupby("event_id")["channel"].agg(frozenset)
    assert set(per_event) == {frozenset({"web", "zalando", "amazon"}), frozenset({"store"})}
    assert (sync["sor_latency_hours"] >= 0).all() and (
        sync["channel_latency_hours"].dropna() >= 0
    ).all()
    assert sync.loc[sync["channel"] == "store", "channel_shown_at"].isna().all()
    dc = sync[sync["channel"] != "store"]
    assert (dc["channel_shown_at"].dropna() >= dc["sor_updated_at"].dropna()).all()

    # adjustments out of quality_control: booked at the truth's inventory_updated_at; physically
    # at the inspection, or at the receipt for a unit restocked before its inspection
    updated = sync[(sync["event_type"] == "inventory_updated") & (sync["channel"] == "web")]
    updated = updated.merge(events, on="event_id").sort_values("sor_updated_at")
    updated = updated.drop_duplicates("return_line_id")
    booked = lines.dropna(subset=["inventory_updated_at"])
    merged = booked.merge(updated, on="return_line_id", how="left")
    assert merged["sor_updated_at"].eq(merged["inventory_updated_at"]).all()
    physical = merged["received_at"].where(merged["restocked_before_inspection"],
                                           merged["inspected_at"])  # fmt: skip
    assert merged["physical_at"].eq(physical).all()

    # store returns: at the till, booked when the store's batch synced (ST-VIE, ST-PAR at 22:xx)
    store = sync[sync["channel"] == "store"]
    pos_lines = lines[(lines["source"] == "pos") & lines["received_at"].notna()]
    assert len(store) == len(pos_lines)
    batch = store[store["node_id"].isin(["ST-VIE", "ST-PAR"])]
    assert not batch.empty and batch["sor_updated_at"].dt.hour.eq(22).all()
    assert (batch["sor_updated_at"].dt.date == batch["physical_at"].dt.date).all()


# ------------------------------------------------------------------ quality gate
def test_inventory_suites_pass_on_the_marts_and_catch_broken_stock(acceptance_home):
    for table in ("fct_inventory_positions", "fct_channel_atp", "fct_channel_stock_gaps",
                  "fct_stock_corrections"):  # fmt: skip
        validation = validate_inventory_mart(acceptance_home / "warehouse.duckdb", table)
        assert validation.success, f"{table}: {validation.failed}"

    positions = serving(acceptance_home, "select * from fct_inventory_positions limit 1000")
    broken = pd.concat([positions, positions.head(1)])  # a duplicate key
    broken.loc[broken.index[0], "units"] = -3  # negative stock
    failed = validate_frame(broken, "positions", inventory_positions_suite()).failed
    assert len(failed) == 2
    assert "expect_column_values_to_be_between(units)" in failed
    assert any(f.startswith("expect_compound_columns_to_be_unique") for f in failed)
    atp = serving(acceptance_home, "select * from fct_channel_atp limit 100")
    atp.loc[0, "atp"] = -1
    assert validate_frame(atp, "atp", channel_atp_suite()).failed == [
        "expect_column_values_to_be_between(atp)"
    ]


def test_inventory_marts_are_served_with_their_contracts(acceptance_home):
    tables = set(serving(acceptance_home, "select table_name from information_schema.tables")
                 ["table_name"])  # fmt: skip
    assert {
        "fct_inventory_positions", "fct_channel_atp", "fct_inventory_sync",
        "fct_channel_stock_gaps", "fct_stock_corrections", "rpt_stock_by_state_latest",
        "rpt_channel_gaps_by_channel",
    } <= tables  # fmt: skip
    by_state = serving(acceptance_home, "select * from rpt_stock_by_state_latest")
    latest = serving(
        acceptance_home,
        "select node_id, state, sum(units) as units from fct_inventory_positions"
        " where is_latest group by all",
    )
    merged = by_state.merge(latest, on=["node_id", "state"])
    assert len(merged) == len(by_state) == len(latest)
    assert merged["units_x"].eq(merged["units_y"]).all()
