"""Ingest throughput: the returnops loader against a plain DuckDB read of the same files.

Simulates once into a work directory (or takes an existing landing dir, `--landing`), then for
every entity of `ingest.sources.ENTITIES` that has files, in this process, times

- the baseline: `create table t as select * from read_json(<files>)` (or `read_csv`) of all the
  entity's files in one call, types auto-detected, `ignore_errors` (the simulator injects bad
  lines), into a fresh DuckDB file;
- returnops: `load_new_files` of the same files into a fresh warehouse file.

and prints rows/s for both and their ratio (baseline seconds / returnops seconds, i.e. returnops
rows/s / baseline rows/s; the target is >= 0.5), per entity, per source and in total. With
`--repeat N` each side keeps its best time. Exits non-zero if the rows the loader read (landed
+ rejected) differ from the records in the files, counted without DuckDB.

    python benchmarks/ingest.py [--scale 10] [--days 60] [--seed 7] [--workdir DIR] [--keep]
    python benchmarks/ingest.py --landing DIR      # measure files simulated before
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
from rich.console import Console
from rich.table import Table

# Run as a script, this file's folder heads sys.path and `benchmarks/ingest.py` would shadow the
# `ingest` package: drop that folder before importing it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from ingest.contracts import Entity  # noqa: E402
from ingest.loader import load_new_files, pending_files  # noqa: E402
from ingest.simulate import simulate  # noqa: E402
from ingest.sources import ENTITIES  # noqa: E402

TARGET_RATIO = 0.5


@dataclass(frozen=True)
class Figures:
    name: str  # an entity, a source or "total"
    files: int
    rows: int  # records in the files: what the loader read (landed + rejected)
    rejected: int
    baseline_s: float
    returnops_s: float

    @property
    def ratio(self) -> float:
        return self.baseline_s / self.returnops_s

    @property
    def baseline_rate(self) -> float:
        return self.rows / self.baseline_s

    @property
    def returnops_rate(self) -> float:
        return self.rows / self.returnops_s


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0, help="simulator scale (default 10)")
    parser.add_argument("--days", type=int, default=60, help="days to simulate (default 60)")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed (default 7)")
    parser.add_argument("--workdir", type=Path, help="writes into DIR/ingest (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep what was written")
    parser.add_argument("--repeat", type=int, default=1, help="runs per side, best kept")
    parser.add_argument("--landing", type=Path, help="measure this landing dir, no simulation")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def baseline_sql(entity: Entity) -> str:
    """DuckDB's own reader on all the entity's files (bound as `$files`), types auto-detected;
    it skips the lines it cannot read instead of failing."""
    if entity.format == "ndjson":
        return (
            "create table t as select * from read_json($files, format = 'newline_delimited',"
            " ignore_errors = true)"
        )
    # the contract's own read_csv options (e.g. a tab delimiter), as the loader passes them
    options = "".join(f", {k} = {sql_string(v)}" for k, v in entity.csv_options.items())
    return (
        f"create table t as select * from read_csv($files, header = true{options},"
        " ignore_errors = true)"
    )


def records_in(entity: Entity, files: list[Path]) -> int:
    """Records in the files, counted without DuckDB: lines that are not blank, less a header
    line per CSV file."""
    records = 0
    for path in files:
        lines = sum(1 for line in path.read_bytes().splitlines() if line.strip())
        records += lines - (1 if entity.format == "csv" and lines else 0)
    return records


def fresh(path: Path) -> Path:
    """`path` with no database file (or WAL) left from an earlier run."""
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    return path


def run_baseline(db: Path, entity: Entity, files: list[Path]) -> int:
    con = duckdb.connect(str(fresh(db)))
    try:
        con.execute(baseline_sql(entity), {"files": [str(f) for f in files]})
        return con.execute("select count(*) from t").fetchone()[0]
    finally:
        con.close()


T = TypeVar("T")


def run_returnops(db: Path, entity: Entity, landing: Path) -> tuple[int, int]:
    result = load_new_files(fresh(db), entity, landing)
    if result.read != result.landed + result.rejected:
        sys.exit(f"FAIL {entity.table}: read {result.read} != landed + rejected")
    return result.read, result.rejected


def timed(run: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    returned = run()
    return time.perf_counter() - started, returned


def measure(
    entity: Entity, files: list[Path], landing: Path, workdir: Path, repeat: int
) -> Figures:
    """Each side's best wall time of `repeat` runs, the two sides taking turns (so a busy spell
    of the machine slows both alike)."""
    baseline_db, returnops_db = workdir / "baseline.duckdb", workdir / "returnops.duckdb"
    baseline_s = returnops_s = float("inf")
    for _ in range(repeat):
        seconds, _ = timed(lambda: run_baseline(baseline_db, entity, files))
        baseline_s = min(baseline_s, seconds)
        seconds, (read, rejected) = timed(lambda: run_returnops(returnops_db, entity, landing))
        returnops_s = min(returnops_s, seconds)
    records = records_in(entity, files)
    if read != records:
        sys.exit(
            f"FAIL {entity.table}: the loader read {read} rows (landed + rejected), "
            f"but its {len(files)} files hold {records} records"
        )
    return Figures(entity.table, len(files), read, rejected, baseline_s, returnops_s)


def total(name: str, figures: list[Figures]) -> Figures:
    return Figures(
        name,
        sum(f.files for f in figures),
        sum(f.rows for f in figures),
        sum(f.rejected for f in figures),
        sum(f.baseline_s for f in figures),
        sum(f.returnops_s for f in figures),
    )


def by_source(figures: list[Figures]) -> list[Figures]:
    sources: dict[str, list[Figures]] = {}
    for f in figures:
        sources.setdefault(f.name.split("__")[0], []).append(f)
    return [total(source, group) for source, group in sources.items()]


def figures_table(figures: list[Figures], title: str) -> Table:
    table = Table(title=title)
    table.add_column("entity / source", no_wrap=True)
    for heading in (
        "files",
        "rows",
        "rejected",
        "baseline s",
        "baseline rows/s",
        "returnops s",
        "returnops rows/s",
        "ratio",
    ):
        table.add_column(heading, justify="right", no_wrap=True)
    sources = by_source(figures)
    sections = [figures, sources, [total("total", figures)]]
    for section in sections:
        for f in section:
            table.add_row(
                f.name,
                f"{f.files:,}",
                f"{f.rows:,}",
                f"{f.rejected:,}",
                f"{f.baseline_s:.2f}",
                f"{f.baseline_rate:,.0f}",
                f"{f.returnops_s:.2f}",
                f"{f.returnops_rate:,.0f}",
                f"{f.ratio:.2f}",
                end_section=f is section[-1],
            )
    return table


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, {platform.system()} {platform.machine()}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=max(Console().width, 150))
    temp = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="returnops-bench-")) if temp else args.workdir
    ours = workdir / "ingest"  # everything this script writes, emptied before it starts
    shutil.rmtree(ours, ignore_errors=True)
    try:
        console.print(f"machine: {machine()}")
        if args.landing:
            landing, what = args.landing, f"files in {args.landing}"
        else:
            console.print(f"simulating {args.days} days at scale {args.scale:g} into {ours} ...")
            started = time.perf_counter()
            summary = simulate(ours / "home", args.days, args.scale, args.seed)
            console.print(
                f"simulated {summary.orders:,} orders, {summary.files} files "
                f"in {time.perf_counter() - started:.1f} s"
            )
            landing, what = summary.landing, f"scale {args.scale:g}, {args.days} days"
        ours.mkdir(parents=True, exist_ok=True)
        figures = []
        for entity in ENTITIES:
            files = pending_files(entity, landing)
            if not files:
                console.print(f"skipping {entity.table}: no files")
                continue
            console.print(f"timing {entity.table} ({len(files)} files) ...")
            figures.append(measure(entity, files, landing, ours, args.repeat))
        if not figures:
            sys.exit("FAIL: no files to measure")
        title = (
            f"ingest, {what}, best of {args.repeat}; "
            f"ratio = returnops rows/s / baseline rows/s (target >= {TARGET_RATIO})"
        )
        console.print(figures_table(figures, title))
        ratio = total("total", figures).ratio
        verdict = "meets" if ratio >= TARGET_RATIO else "is BELOW"
        console.print(f"total ratio {ratio:.2f} {verdict} the target of {TARGET_RATIO}")
        return 0
    finally:
        if args.keep:
            console.print(f"kept {ours}")
        else:
            shutil.rmtree(workdir if temp else ours, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
