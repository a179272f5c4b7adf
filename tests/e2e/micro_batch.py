"""One pipeline history, then one new day as a micro-batch, then a full refresh of a copy.

Shared by the lifecycle and the inventory incremental tests (fixture `micro_batch` in
conftest.py), so the two runs and the full refresh happen once per test session.

The simulator writes N + 1 days once. The files of its first N days (every landing file carries
the day it was written in its name: what its source delivered that day, late duplicates and
back-dated reports included) land and the pipeline runs; the warehouse is copied (`first_run`)
and canary values are planted in rows of old days of the inventory tables; then the files of day
N + 1 land and the pipeline runs again, dbt building incrementally. The canary sums after that
run are kept, the canaries removed, and a copy of the warehouse is rebuilt with
`dbt run --full-refresh` (`fresh`) for the tests to compare with.

The scenario is the default one without malformed rows and truncated files: those are spread
over the run by a plan that depends on the number of days.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from ingest.simulate import Scenario, simulate
from tests.e2e.conftest import REPO_ROOT, RETURNOPS, returnops, returnops_env

DAYS, SCALE, SEED = 6, 0.3, 7
SCENARIO = Scenario().without_rejects()
FIRST_DAY = date(2026, 1, 5)  # the simulator's first day; the opening count is the day before
NEW_DAY = FIRST_DAY + timedelta(days=DAYS)
DBT = str(Path(RETURNOPS).parent / "dbt")
DAY_IN_NAME = re.compile(r"_(\d{4}-\d{2}-\d{2})(?:\.|$)")

# rows of old days that an incremental run must leave alone: (table, where, column)
CANARIES = (
    ("marts.fct_inventory_positions", "date_day = '2026-01-04' and node_id = 'ST-BER'", "units"),
    ("marts.fct_channel_atp", "date_day = '2026-01-05' and channel = 'store'", "atp"),
    ("intermediate.int_inventory_movements_aggregated", "date_day = '2026-01-05'", "movements"),
    ("intermediate.int_inventory_movements_unioned", "date_day = '2026-01-05'", "quantity"),
    ("marts.fct_inventory_sync", "cast(sor_updated_at as date) = '2026-01-05'", "quantity"),
)
CANARY = 100_000


@dataclass(frozen=True)
class MicroBatch:
    simulated: Path  # the (N + 1)-day simulation: landing and truth
    home: Path  # after the run on days ..N and the run on day N + 1
    first_run: Path  # the warehouse as the first run left it
    fresh: Path  # a copy of the final warehouse rebuilt by `dbt run --full-refresh`
    canaries_planted: list[int]  # canary sums before the second run
    canaries_after: list[int]  # and after it


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


def dbt_full_refresh(home: Path, work: Path) -> None:
    """`dbt run --full-refresh` of every model on `home`'s warehouse."""
    result = subprocess.run(
        [DBT, "run", "--full-refresh", "--profiles-dir", ".",
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=REPO_ROOT / "dbt_project", env=returnops_env(home), capture_output=True, text=True,
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-5000:]


def run_micro_batch(root: Path) -> MicroBatch:
    simulated, home, fresh = root / "simulated", root / "home", root / "fresh"
    simulate(simulated, DAYS + 1, SCALE, SEED, scenario=SCENARIO)
    files = landing_files(simulated / "landing")
    history = sorted(name for name, day in files.items() if day < NEW_DAY)
    new_files = sorted(name for name, day in files.items() if day == NEW_DAY)
    assert history and new_files and len(history) + len(new_files) == len(files)

    home.mkdir()
    land(simulated, home, history)
    returnops(home, "run")
    warehouse = home / "warehouse.duckdb"
    first_run = root / "first_run.duckdb"
    shutil.copy2(warehouse, first_run)

    planted = plant_canaries(warehouse, +1)
    land(simulated, home, new_files)
    returnops(home, "run")
    after = canary_sums(warehouse)
    plant_canaries(warehouse, -1)

    fresh.mkdir()
    shutil.copy2(warehouse, fresh / "warehouse.duckdb")
    dbt_full_refresh(fresh, root / "dbt")
    return MicroBatch(simulated, home, first_run, fresh, planted, after)
