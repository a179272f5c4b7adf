"""One new day is a micro-batch: inventory history is not rebuilt, and equals a full refresh.

On the shared micro-batch (tests/e2e/micro_batch.py: the pipeline on the first N days of an
(N + 1)-day simulation, then on day N + 1): canary values planted in rows of old days before the
second run survive it, so the incremental models did not rewrite history. With the canaries
removed, every inventory table equals what `dbt run --full-refresh` builds from the same raw
tables on a copy of the warehouse, and the positions equal the (N + 1)-day simulation's truth.

Why not the files of an N-day simulation: they equal the (N + 1)-day simulation's for every day
before N (checked here), but not always on day N itself. An N-day run drops the actions it
schedules past its end (a later sync, a cancellation, a PO receipt), which shifts its random
stream from then on, so its last day is another last day than the longer run's day N. Landing
the longer run's day N + 1 on top of it would mix two histories (ids reused with other content).
"""

from __future__ import annotations

import filecmp
from datetime import timedelta

import duckdb
import pandas as pd
import pytest

from ingest.simulate import simulate
from tests.e2e.micro_batch import DAYS, NEW_DAY, SCALE, SCENARIO, SEED, landing_files

pytestmark = pytest.mark.e2e

# every table the inventory models build, in the warehouse
INVENTORY_TABLES = (
    "intermediate.int_inventory_movements_unioned",
    "intermediate.int_inventory_movements_aggregated",
    "intermediate.int_inventory_publications_unioned",
    "intermediate.int_inventory_publications_latest",
    "intermediate.int_inventory_snapshot_differences",
    "marts.fct_inventory_positions",
    "marts.fct_channel_atp",
    "marts.fct_inventory_sync",
    "marts.fct_channel_stock_gaps",
    "marts.fct_stock_corrections",
    "marts.rpt_stock_by_state_latest",
    "marts.rpt_channel_gaps_by_channel",
)


def test_an_n_day_simulation_is_the_prefix_of_the_longer_one_before_its_last_day(
    micro_batch, tmp_path
):
    shorter = tmp_path / "shorter"
    simulate(shorter, DAYS, SCALE, SEED, scenario=SCENARIO)
    shorter_files = landing_files(shorter / "landing")
    later_files = landing_files(micro_batch.simulated / "landing")
    assert set(shorter_files) == {name for name, day in later_files.items() if day < NEW_DAY}
    before_last = sorted(n for n, day in shorter_files.items() if day < NEW_DAY - timedelta(1))
    _, mismatch, errors = filecmp.cmpfiles(
        shorter / "landing", micro_batch.simulated / "landing", before_last, shallow=False
    )
    assert mismatch == [] and errors == []


def test_one_new_day_leaves_inventory_history_alone(micro_batch):
    assert micro_batch.canaries_after == micro_batch.canaries_planted
    with duckdb.connect(str(micro_batch.home / "warehouse.duckdb"), read_only=True) as con:
        newest = con.execute("select max(date_day) from marts.fct_inventory_positions").fetchone()
        latest = con.execute(
            "select distinct date_day from marts.fct_channel_atp where is_latest"
        ).fetchall()
    assert newest[0] == NEW_DAY and latest == [(NEW_DAY,)]


@pytest.mark.parametrize("table", INVENTORY_TABLES)
def test_inventory_table_equals_a_full_refresh(micro_batch, table):
    with duckdb.connect(str(micro_batch.home / "warehouse.duckdb"), read_only=True) as con:
        con.execute(f"attach '{micro_batch.fresh / 'warehouse.duckdb'}' as fresh (read_only)")
        incremental, refreshed = f"warehouse.{table}", f"fresh.{table}"
        counts = con.execute(
            f"select (select count(*) from {incremental}), (select count(*) from {refreshed})"
        ).fetchone()
        only_incremental, only_refreshed = (
            con.execute(
                f"select count(*) from (select * from {left} except all select * from {right})"
            ).fetchone()[0]
            for left, right in ((incremental, refreshed), (refreshed, incremental))
        )
    assert counts[0] == counts[1] and only_incremental == only_refreshed == 0, (
        f"{table}: {counts[0]} incremental vs {counts[1]} full-refresh rows, "
        f"{only_incremental} / {only_refreshed} rows on one side only"
    )


def test_incremental_positions_equal_the_truth(micro_batch):
    with duckdb.connect(str(micro_batch.home / "warehouse.duckdb"), read_only=True) as con:
        positions = con.execute(
            "select date_day, node_id, sku, state, units from marts.fct_inventory_positions"
        ).df()
    truth = pd.read_parquet(micro_batch.simulated / "truth" / "inventory_daily.parquet")
    truth = truth.rename(columns={"day": "date_day"})
    for frame in (truth, positions):
        frame["date_day"] = pd.to_datetime(frame["date_day"]).dt.date
    merged = positions.merge(truth, on=["date_day", "node_id", "sku", "state"], how="outer")
    assert len(merged) > 0
    assert merged["units_x"].eq(merged["units_y"]).all()
