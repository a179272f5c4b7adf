"""dbt build time: a full build at --scale 10 and 100, and one new day incrementally on top.

For each scale, simulates `--days + 1` days once (default 60 + 1, seed 7) into a work
directory, then, into a fresh RETURNOPS_HOME:

1. lands the files of the first `--days` days (every landing file carries the day it was written
   in its name), loads them (`ingest.loader.load_new_files`, every entity) and runs a full
   `dbt build` on the empty warehouse: every model, seed, unit and data test;
2. lands the files of the last day, loads them and runs `dbt build` again: the incremental run
   of one new day on top of the history (incremental models process only the new day).

It prints the seconds of each step and, from dbt's run_results.json, the seconds of the
inventory models (the incremental ones of issue 4) in both builds, with row counts. dbt runs as
a subprocess (`.venv/bin/dbt`, the project's profile: DuckDB, 2 threads), with its own target and
log paths under the work directory. Exits non-zero if a dbt build failed.

    python benchmarks/build.py                         # --scales 10,100 (scale 100: ~1 h)
    python benchmarks/build.py --scales 10 --workdir /tmp/bench --keep
    python benchmarks/build.py --scales 100 --workdir /tmp/bench --keep --reuse   # same files
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

# Run as a script, this file's folder heads sys.path and `benchmarks/ingest.py` would shadow the
# `ingest` package: drop that folder before importing it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from ingest.loader import load_new_files  # noqa: E402
from ingest.simulate import simulate  # noqa: E402
from ingest.sources import ENTITIES  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO / "dbt_project"
DBT = str(Path(sys.executable).parent / "dbt")
DAY_IN_NAME = re.compile(r"_(\d{4}-\d{2}-\d{2})(?:\.|$)")
# the models of issue 4 whose time is reported one by one
INVENTORY_MODELS = (
    "int_inventory_movements_unioned",
    "int_inventory_movements_aggregated",
    "int_inventory_publications_unioned",
    "int_inventory_publications_latest",
    "int_inventory_snapshot_differences",
    "fct_inventory_positions",
    "fct_channel_atp",
    "fct_inventory_sync",
    "fct_channel_stock_gaps",
    "fct_stock_corrections",
)
ROW_COUNTS = (
    "intermediate.int_inventory_movements_unioned",
    "marts.fct_inventory_positions",
    "marts.fct_channel_atp",
    "marts.fct_inventory_sync",
)

console = Console()


@dataclass
class Build:
    seconds: float
    success: bool
    statuses: dict[str, int]
    models: dict[str, float]  # inventory model -> execution seconds
    failures: list[str] = field(default_factory=list)


@dataclass
class Step:
    scale: float
    name: str
    seconds: float
    detail: str = ""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="10,100", help="comma-separated (default 10,100)")
    parser.add_argument("--days", type=int, default=60, help="history days (default 60; +1 new)")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed (default 7)")
    parser.add_argument("--workdir", type=Path, help="writes into DIR/build (default: temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep simulated files and warehouses")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse DIR/build/scale_<X>/sim from an earlier --keep run of the same days and seed",
    )
    return parser.parse_args(argv)


def file_day(name: str) -> str:
    match = DAY_IN_NAME.search(name)
    if not match:
        raise ValueError(f"no day in the landing file name {name!r}")
    return match.group(1)


def land(sim: Path, home: Path, *, through: str | None = None, on: str | None = None) -> int:
    """Hard-link the simulated files of days <= `through` (or of day `on`) into home/landing."""
    count = 0
    for path in sorted((sim / "landing").rglob("*")):
        if not path.is_file():
            continue
        day = file_day(path.name)
        if (through is not None and day > through) or (on is not None and day != on):
            continue
        target = home / "landing" / path.relative_to(sim / "landing")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
        count += 1
    return count


def ingest(home: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    files = rows = 0
    for entity in ENTITIES:
        result = load_new_files(home / "warehouse.duckdb", entity, home / "landing")
        files += result.files
        rows += result.landed
    return time.perf_counter() - started, files, rows


def dbt_build(home: Path, work: Path) -> Build:
    target = work / "target"
    env = {**os.environ, "RETURNOPS_HOME": str(home)}
    command = [DBT, "--no-use-colors", "build", "--profiles-dir", str(DBT_PROJECT),
               "--project-dir", str(DBT_PROJECT), "--target-path", str(target),
               "--log-path", str(work / "logs")]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    results = json.loads((target / "run_results.json").read_text())["results"]
    statuses: dict[str, int] = {}
    models, failures = {}, []
    for result in results:
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        name = result["unique_id"].split(".")[-1]
        if result["unique_id"].startswith("model.") and name in INVENTORY_MODELS:
            models[name] = result["execution_time"]
        if result["status"] in ("error", "fail"):
            failures.append(f"{result['unique_id']}: {(result.get('message') or '')[:200]}")
    return Build(seconds, process.returncode == 0, statuses, models, failures)


def row_counts(home: Path) -> dict[str, int]:
    counts = {}
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        for table in ROW_COUNTS:
            try:
                counts[table] = con.execute(f"select count(*) from {table}").fetchone()[0]
            except duckdb.Error:
                counts[table] = -1
    return counts


def progress_printer(scale: float, every: int = 5):
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if done % every == 0 or done == total:
            elapsed = time.perf_counter() - started
            console.print(f"  scale {scale:g}: simulated {done}/{total} days ({elapsed:,.0f} s)")

    return progress


def run_scale(
    scale: float, days: int, seed: int, root: Path, reuse: bool = False
) -> tuple[list[Step], dict]:
    steps: list[Step] = []
    sim, home, work = root / "sim", root / "home", root / "dbt"
    reuse = reuse and (sim / "landing").is_dir()
    for folder in (home, work) if reuse else (sim, home, work):
        shutil.rmtree(folder, ignore_errors=True)
    home.mkdir(parents=True)

    if reuse:
        console.print(f"[bold]scale {scale:g}[/]: reusing the simulated files in {sim}")
    else:
        console.print(f"[bold]scale {scale:g}[/]: simulating {days} + 1 days (seed {seed})")
        started = time.perf_counter()
        summary = simulate(sim, days + 1, scale, seed, progress=progress_printer(scale))
        steps.append(Step(scale, "simulate", time.perf_counter() - started,
                          f"{summary.orders:,} orders, {summary.records:,} records, "
                          f"{summary.files} files"))  # fmt: skip

    days_in_sim = sorted({file_day(p.name) for p in (sim / "landing").rglob("*") if p.is_file()})
    last_history, new_day = days_in_sim[-2], days_in_sim[-1]
    landed = land(sim, home, through=last_history)
    console.print(f"  landed {landed} files through {last_history}; loading")
    seconds, files, rows = ingest(home)
    steps.append(Step(scale, f"ingest {days} days", seconds, f"{files} files, {rows:,} rows"))

    console.print("  full dbt build")
    full = dbt_build(home, work / "full")
    steps.append(Step(scale, "dbt build (full)", full.seconds, _statuses(full)))
    counts_full = row_counts(home)

    landed = land(sim, home, on=new_day)
    console.print(f"  landed {landed} files of {new_day}; loading")
    seconds, files, rows = ingest(home)
    steps.append(Step(scale, "ingest 1 new day", seconds, f"{files} files, {rows:,} rows"))

    console.print("  incremental dbt build")
    incremental = dbt_build(home, work / "incremental")
    steps.append(Step(scale, "dbt build (incremental)", incremental.seconds,
                      _statuses(incremental)))  # fmt: skip
    counts_incremental = row_counts(home)
    for build in (full, incremental):
        for failure in build.failures:
            console.print(f"  [red]{failure}[/]")
    return steps, {
        "full": full,
        "incremental": incremental,
        "rows_full": counts_full,
        "rows_incremental": counts_incremental,
    }


def _statuses(build: Build) -> str:
    return ", ".join(f"{n} {s}" for s, n in sorted(build.statuses.items()))


def steps_table(steps: list[Step]) -> Table:
    table = Table(title="dbt build time")
    for name, justify in (("scale", "right"), ("step", "left"), ("seconds", "right"),
                          ("detail", "left")):  # fmt: skip
        table.add_column(name, justify=justify)
    for step in steps:
        table.add_row(f"{step.scale:g}", step.name, f"{step.seconds:,.1f}", step.detail)
    return table


def models_table(results: dict[float, dict]) -> Table:
    table = Table(title="inventory models: execution seconds (dbt run_results.json)")
    table.add_column("model")
    for scale in results:
        table.add_column(f"full @{scale:g}", justify="right")
        table.add_column(f"incr. @{scale:g}", justify="right")
    for model in INVENTORY_MODELS:
        row = [model]
        for outcome in results.values():
            for build in (outcome["full"], outcome["incremental"]):
                seconds = build.models.get(model)
                row.append("-" if seconds is None else f"{seconds:.2f}")
        table.add_row(*row)
    for name in ROW_COUNTS:
        row = [f"rows {name.split('.')[-1]}"]
        for outcome in results.values():
            row += [f"{outcome['rows_full'][name]:,}", f"{outcome['rows_incremental'][name]:,}"]
        table.add_row(*row)
    return table


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    base = Path(tempfile.mkdtemp(prefix="returnops-build-")) if args.workdir is None else (
        args.workdir / "build"
    )  # fmt: skip
    base.mkdir(parents=True, exist_ok=True)
    console.print(
        f"{platform.python_implementation()} {platform.python_version()}, DuckDB "
        f"{duckdb.__version__}, {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"
    )
    steps: list[Step] = []
    results: dict[float, dict] = {}
    started = time.perf_counter()
    try:
        for scale in scales:
            scale_steps, results[scale] = run_scale(
                scale, args.days, args.seed, base / f"scale_{scale:g}", args.reuse
            )
            steps += scale_steps
            console.print(steps_table(steps))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    console.print(steps_table(steps))
    console.print(models_table(results))
    console.print(f"whole script {time.perf_counter() - started:,.0f} s")
    failed = [s for s, r in results.items() for b in (r["full"], r["incremental"]) if not b.success]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
