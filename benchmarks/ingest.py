"""Ingest throughput: the returnops loader against a plain DuckDB read of the same files.

Simulates once into a work directory, then for every entity of `ingest.sources.ENTITIES`, in
this process, times

- the baseline: `create table t as select * from read_json(<files>)` (or `read_csv`) of all the
  entity's files at once, into a fresh DuckDB file;
- returnops: `load_new_files` of the same files into a fresh warehouse file.

and prints rows/s for both and their ratio (baseline seconds / returnops seconds, i.e. returnops
rows/s / baseline rows/s; the target is >= 0.5). With `--repeat N` each side keeps its best
time. Exits non-zero if the loader's landed + rejected rows differ from the baseline's row count.

    python benchmarks/ingest.py [--scale 10] [--days 60] [--seed 7] [--workdir DIR] [--keep]
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
    entity: str
    files: int
    rows: int
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
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def baseline_sql(entity: Entity) -> str:
    """DuckDB's own reader on all the entity's files (bound as `$files`), types auto-detected."""
    if entity.format == "ndjson":
        return "create table t as select * from read_json($files, format = 'newline_delimited')"
    # the contract's own read_csv options (e.g. a tab delimiter), as the loader passes them
    options = "".join(f", {k} = {sql_string(v)}" for k, v in entity.csv_options.items())
    return f"create table t as select * from read_csv($files, header = true{options})"


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


def run_returnops(db: Path, entity: Entity, landing: Path) -> int:
    result = load_new_files(fresh(db), entity, landing)
    return result.landed + result.rejected


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    """The shortest wall time of `repeat` runs, and the row count (the same every run)."""
    best, rows = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = run()
        best = min(best, time.perf_counter() - started)
    return best, rows


def measure(
    entity: Entity, files: list[Path], landing: Path, workdir: Path, repeat: int
) -> Figures:
    baseline_db, returnops_db = workdir / "baseline.duckdb", workdir / "returnops.duckdb"
    baseline_s, rows = best_of(repeat, lambda: run_baseline(baseline_db, entity, files))
    returnops_s, loaded = best_of(repeat, lambda: run_returnops(returnops_db, entity, landing))
    if loaded != rows:
        sys.exit(
            f"FAIL {entity.table}: the loader landed + rejected {loaded} rows, "
            f"but DuckDB's own reader read {rows} from the same {len(files)} files"
        )
    return Figures(entity.table, len(files), rows, baseline_s, returnops_s)


def total(figures: list[Figures]) -> Figures:
    return Figures(
        "total",
        sum(f.files for f in figures),
        sum(f.rows for f in figures),
        sum(f.baseline_s for f in figures),
        sum(f.returnops_s for f in figures),
    )


def figures_table(figures: list[Figures], title: str) -> Table:
    table = Table(title=title)
    table.add_column("entity")
    for heading in ("files", "rows", "baseline s", "baseline rows/s", "returnops s",
                    "returnops rows/s", "ratio"):  # fmt: skip
        table.add_column(heading, justify="right")
    everything = total(figures)
    for f in [*figures, everything]:
        table.add_row(
            f.entity,
            f"{f.files:,}",
            f"{f.rows:,}",
            f"{f.baseline_s:.2f}",
            f"{f.baseline_rate:,.0f}",
            f"{f.returnops_s:.2f}",
            f"{f.returnops_rate:,.0f}",
            f"{f.ratio:.2f}",
            end_section=f is figures[-1],
        )
    return table


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs (nproc), Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, {platform.system()} {platform.machine()}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=max(Console().width, 120))
    temp = args.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="returnops-bench-")) if temp else args.workdir
    ours = workdir / "ingest"  # everything this script writes, emptied before it starts
    shutil.rmtree(ours, ignore_errors=True)
    try:
        console.print(f"machine: {machine()}")
        console.print(f"simulating {args.days} days at scale {args.scale:g} into {ours} ...")
        started = time.perf_counter()
        summary = simulate(ours / "home", args.days, args.scale, args.seed)
        console.print(
            f"simulated {summary.orders:,} orders, {summary.files} files "
            f"in {time.perf_counter() - started:.1f} s"
        )
        figures = []
        for entity in ENTITIES:
            files = pending_files(entity, summary.landing)
            if not files:
                console.print(f"skipping {entity.table}: no files at this scale")
                continue
            console.print(f"timing {entity.table} ({len(files)} files) ...")
            figures.append(measure(entity, files, summary.landing, ours, args.repeat))
        if not figures:
            sys.exit("FAIL: the simulation wrote no files to measure")
        title = (
            f"ingest, scale {args.scale:g}, {args.days} days, best of {args.repeat}; "
            f"ratio = returnops rows/s / baseline rows/s (target >= {TARGET_RATIO})"
        )
        console.print(figures_table(figures, title))
        ratio = total(figures).ratio
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
