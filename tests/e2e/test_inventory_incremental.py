"""One new day is a micro-batch: inventory history is not rebuilt, and equals a full refresh.

The simulator runs N + 1 days once. The pipeline runs on the files of its first N days (every
landing file carries the day it was written in its name); then the files of day N + 1 land and
the pipeline runs again. Canary values planted in rows of old days survive that run: the
incremental models did not rewrite history. With the canaries removed, every inventory table
equals what `dbt build --full-refresh` builds from the same raw tables on a copy of the
warehouse, and the positions equal the (N + 1)-day simulation's truth.

Why not the files of an N-day simulation: they equal the (N + 1)-day simulation's for every day
before N (checked here), but not always on day N itself. An N-day run drops the actions it
schedules past its end (a later sync, a cancellation, a PO receipt), which shifts its random
stream from then on, so its last day is another last day than the longer run's day N. Landing
the longer run's day N + 1 on top of it would mix two histories (ids reused with other content).

The scenario is the default one without malformed rows and truncated files: those are spread
over the run by a plan that depends on the number of days.
"""

from __future__ import annotations

import filecmp
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ingest.simulate import Scenario, simulate
from tests.e2e.conftest import REPO_ROOT, RETURNOPS, returnops, returnops_env

pytestmark = pytest.mark.e2e

DAYS, SCALE, SEED = 6, 0.3, 7
FIRST_DAY = date(2026, 1, 5)  # the simulator's first day; the opening count is the day before
NEW_DAY = FIRST_DAY + timedelta(days=DAYS)
DBT = str(Path(RETURNOPS).parent / "dbt")
DAY_IN_NAME = re.compile(r"_(\d{4}-\d{2}-\d{2})(?:\.|$)")

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

# rows of old days that an incremental run must leave alone: (table, where, column)
CANARIES = (
    ("marts.fct_inventory_positions", "date_day = '2026-01-04' and node_id = 'ST-BER'", "units"),
    ("marts.fct_channel_atp", "date_day = '2026-01-05' and channel = 'store'", "atp"),
    ("intermediate.int_inventory_movements_aggregated", "date_day = '2026-01-05'", "movements"),
    ("intermediate.int_inventory_movements_unioned", "date_day = '2026-01-05'", "quantity"),
    ("marts.fct_inventory_sync", "cast(sor_updated_at as date) = '2026-01-05'", "quantity"),
)
CANARY = 100_000


def landing_files(landing: Path) -> dict[str, date]:
    """Landing file (relative name) -> the day in its name."""
    return {
        str(p.relative_to(landing)): date.fromisoformat(DAY_IN_NAME.search(p.name).group(1))
        for p in landing.rglob("*")
        if p.is_file()
    }


def land(source: Path, home: Path, names: list[str]) -> None:
    for name in names:
        (home / "landing" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / "landing" / name, home / "landing" / name)


def plant_canaries(warehouse: Path, sign: int) -> list[int]:
    """Add (sign=1) or remove (sign=-1) CANARY on all rows of each canary; their values after."""
    with duckdb.connect(str(warehouse)) as con:
        for table, where, column in CANARIES:
            con.execute(f"update {table} set {column} = {column} + {sign * CANARY} where {where}")
        con.execute("checkpoint")
    return canary_sums(warehouse)


def canary_sums(warehouse: Path) -> list[int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            con.execute(f"select sum({column}) from {table} where {where}").fetchone()[0]
            for table, where, column in CANARIES
        ]


def dbt_full_refresh(home: Path, work: Path) -> subprocess.CompletedProcess:
    """`dbt build --full-refresh` of every inventory model (and what depends on them)."""
    env = returnops_env(home)
    return subprocess.run(
        [DBT, "build", "--full-refresh", "--profiles-dir", ".",
         "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
         "--select", "int_inventory_movements_unioned+", "int_inventory_publications_unioned+"],
        cwd=REPO_ROOT / "dbt_project", env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def test_one_new_day_is_incremental_and_equals_a_full_refresh(tmp_path):
    home, later, shorter = tmp_path / "home", tmp_path / "later", tmp_path / "shorter"
    scenario = Scenario().without_rejects()
    simulate(later, DAYS + 1, SCALE, SEED, scenario=scenario)
    files = landing_files(later / "landing")
    history = sorted(name for name, day in files.items() if day < NEW_DAY)
    new_files = sorted(name for name, day in files.items() if day == NEW_DAY)
    assert history and new_files and len(history) + len(new_files) == len(files)

    # an N-day simulation writes the same files for every day before its last one
    simulate(shorter, DAYS, SCALE, SEED, scenario=scenario)
    shorter_files = landing_files(shorter / "landing")
    assert set(shorter_files) == set(history)
    before_last = sorted(n for n, day in shorter_files.items() if day < NEW_DAY - timedelta(1))
    _, mismatch, errors = filecmp.cmpfiles(
        shorter / "landing", later / "landing", before_last, shallow=False
    )
    assert mismatch == [] and errors == []

    home.mkdir()
    land(later, home, history)
    returnops(home, "run")

    warehouse = home / "warehouse.duckdb"
    planted = plant_canaries(warehouse, +1)
    land(later, home, new_files)
    returnops(home, "run")

    # history untouched: the planted values are still there; the new day is in
    assert canary_sums(warehouse) == planted
    with duckdb.connect(str(warehouse), read_only=True) as con:
        newest = con.execute("select max(date_day) from marts.fct_inventory_positions").fetchone()
        latest = con.execute(
            "select distinct date_day from marts.fct_channel_atp where is_latest"
        ).fetchall()
    assert newest[0] == NEW_DAY and latest == [(NEW_DAY,)]
    plant_canaries(warehouse, -1)

    # a full refresh of a copy of the same warehouse builds exactly the same tables
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    shutil.copy2(warehouse, fresh / "warehouse.duckdb")
    result = dbt_full_refresh(fresh, tmp_path / "dbt")
    assert result.returncode == 0, result.stdout[-5000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"attach '{fresh / 'warehouse.duckdb'}' as fresh (read_only)")
        for table in INVENTORY_TABLES:
            incremental = f"warehouse.{table}"
            refreshed = f"fresh.{table}"
            counts = con.execute(
                f"select (select count(*) from {incremental}), (select count(*) from {refreshed})"
            ).fetchone()
            only_incremental = con.execute(
                f"select count(*) from (select * from {incremental}"
                f" except all select * from {refreshed})"
            ).fetchone()[0]
            only_refreshed = con.execute(
                f"select count(*) from (select * from {refreshed}"
                f" except all select * from {incremental})"
            ).fetchone()[0]
            assert counts[0] == counts[1] and only_incremental == only_refreshed == 0, (
                f"{table}: {counts[0]} incremental vs {counts[1]} full-refresh rows, "
                f"{only_incremental} / {only_refreshed} rows on one side only"
            )
        positions = con.execute(
            "select date_day, node_id, sku, state, units from marts.fct_inventory_positions"
        ).df()

    # and the incrementally built positions are the truth of the (N+1)-day simulation
    truth = pd.read_parquet(later / "truth" / "inventory_daily.parquet")
    truth = truth.rename(columns={"day": "date_day"})
    for frame in (truth, positions):
        frame["date_day"] = pd.to_datetime(frame["date_day"]).dt.date
    merged = positions.merge(truth, on=["date_day", "node_id", "sku", "state"], how="outer")
    assert merged["units_x"].eq(merged["units_y"]).all()
