"""Platform latency: landing to serving snapshot, and landing to channel, under the live simulator.

Simulates a history (`--scale`, `--days`) into a work directory, starts the channel sandbox on a
free loopback port (the write-back pushes to it), runs the pipeline once over the history, then
starts `returnops simulate --live --rate R` as its own process and, for `--seconds`, runs in a
loop, in this process through Dagster, what automation runs for each landing batch: the
`live_refresh` job (ingest → dbt build → checks → publish → write-back), and after each
ten-minute tick the event-date partitioned backlog's latest day (automation refreshes it on that
cadence, `orchestration.conditions.PARTITIONED_LATEST_DAY`; the next loop run publishes it).
Each publish records the files it serves for the first time in `ops.file_latency`
(`orchestration.publish`). When time is up the live simulator is stopped and one last run
publishes what landed meanwhile.

It prints, over the live files only, landing-to-serving p50/p95 (the file's mtime to the
publish of the first snapshot after its load) and landing-to-channel p50/p95 (for stock-moving
files: to the first write-back ack enqueued after the load). Targets: p95 <= 60 s for serving,
<= 90 s for the channel. Exits non-zero if a pipeline run failed or a live file was rejected.

    python benchmarks/latency.py [--scale 10] [--days 14] [--seed 7] [--rate 50] [--seconds 300]
        [--no-sandbox] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

# Run as a script, this file's folder heads sys.path: drop it so `ingest` is the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from ingest.paths import Paths, get_paths  # noqa: E402
from ingest.simulate import simulate  # noqa: E402
from ingest.warehouse import connect  # noqa: E402
from orchestration.defs.jobs import (  # noqa: E402
    BACKFILL_JOB_NAME,
    LIVE_REFRESH_JOB_NAME,
    PIPELINE_JOB_NAME,
)
from orchestration.demo import sandbox_command, wait_until_up  # noqa: E402
from orchestration.latency import (  # noqa: E402
    Distribution,
    channel_latencies,
    serving_latencies,
)
from orchestration.pipeline import run_pipeline  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET_SERVING_P95 = 60.0
TARGET_CHANNEL_P95 = 90.0
# automation refreshes the partitioned backlog's latest day every ten minutes
CADENCE_MINUTES = 10

console = Console()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0, help="history scale (default 10)")
    parser.add_argument("--days", type=int, default=14, help="history days (default 14)")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed (default 7)")
    parser.add_argument("--rate", type=float, default=50.0, help="live records/s (default 50)")
    parser.add_argument("--seconds", type=float, default=300.0, help="live time (default 300)")
    parser.add_argument("--no-sandbox", action="store_true", help="no channel sandbox (no acks)")
    parser.add_argument("--workdir", type=Path, help="writes into DIR/latency (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    return parser.parse_args(argv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(paths: Paths) -> subprocess.Popen:
    """The channel sandbox on a free loopback port; the write-back settings point at it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    os.environ["RETURNOPS_SHOPIFY_URL"] = f"{base}/shopify/{{channel}}"
    os.environ["RETURNOPS_AMAZON_URL"] = f"{base}/amazon/{{channel}}"
    process = subprocess.Popen(
        sandbox_command(paths, "127.0.0.1", port), cwd=REPO_ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    if not wait_until_up(f"{base}/_sandbox/health", process, timeout=60):
        process.kill()
        raise SystemExit(f"the channel sandbox did not come up at {base}")
    return process


def start_live(paths: Paths, args: argparse.Namespace) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "orchestration.cli", "simulate", "--live",
        "--rate", str(args.rate), "--scale", str(args.scale), "--seed", str(args.seed),
        "--home", str(paths.home),
    ]  # fmt: skip
    return subprocess.Popen(
        command, cwd=REPO_ROOT, start_new_session=True, stdout=subprocess.PIPE, text=True
    )


def stop(process: subprocess.Popen, timeout: float = 30) -> int:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


def run_once(paths: Paths, number: int, job: str = LIVE_REFRESH_JOB_NAME) -> tuple[bool, float]:
    """One run of `job`; (success, seconds)."""
    started = time.perf_counter()
    # dbt's per-node lines would bury the figures: they go to the work dir's pipeline.log
    with (paths.home / "pipeline.log").open("a") as log, contextlib.redirect_stdout(log):
        outcome = run_pipeline(paths, job)
    # the publish records the files it serves first (orchestration.publish)
    recorded = int(outcome.materialized.get("serving_snapshot", {}).get("files_newly_served", 0))
    seconds = time.perf_counter() - started
    verdict = "ok" if outcome.success else f"[red]failed[/] {'; '.join(outcome.failures)[:300]}"
    console.print(
        f"run {number} ({job}): {seconds:5.1f} s, {recorded} files newly served, {verdict}"
    )
    return outcome.success, seconds


def cadence_tick_passed(since: datetime, now: datetime, minutes: int = CADENCE_MINUTES) -> bool:
    """Whether a tick of `*/minutes * * * *` (UTC) lies in (since, now]."""
    step = minutes * 60
    return int(now.timestamp()) // step > int(since.timestamp()) // step


def live_rejects(paths: Paths, since: datetime) -> int:
    with connect(paths.warehouse, read_only=True) as con:
        (rejected,) = con.execute(
            "select coalesce(sum(rows_rejected), 0) + count(*) filter (where status <> 'loaded') "
            "from ops.load_log where file like '%.live-%' and started_at >= ?",
            [since],
        ).fetchone()
    return int(rejected)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base = (
        Path(tempfile.mkdtemp(prefix="returnops-latency-"))
        if args.workdir is None
        else args.workdir / "latency"
    )
    if args.workdir is not None:
        shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True, exist_ok=True)
    paths = get_paths(base)
    os.environ["DAGSTER_HOME"] = str(paths.dagster_home)
    console.print(
        f"{platform.python_implementation()} {platform.python_version()}, DuckDB "
        f"{duckdb.__version__}, {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"
    )
    sandbox = live = None
    successes: list[bool] = []
    runs: list[float] = []
    try:
        started = time.perf_counter()
        summary = simulate(paths.home, days=args.days, scale=args.scale, seed=args.seed)
        console.print(
            f"history: {summary.records:,} records in {summary.files:,} files "
            f"(scale {args.scale:g}, {args.days} days) in {time.perf_counter() - started:.1f} s"
        )
        if not args.no_sandbox:
            sandbox = start_sandbox(paths)
            console.print("channel sandbox up")
        ok, seconds = run_once(paths, 0, PIPELINE_JOB_NAME)  # the whole graph, backlog too
        console.print(f"first run over the history: {seconds:.1f} s")
        successes.append(ok)
        backlog_at = datetime.now(UTC)

        live_since = datetime.now(UTC).replace(tzinfo=None)
        live = start_live(paths, args)
        console.print(f"live: {live.stdout.readline().strip()} at {args.rate:g} records/s")
        deadline = time.monotonic() + args.seconds
        number = 0
        while time.monotonic() < deadline:
            number += 1
            if cadence_tick_passed(backlog_at, now := datetime.now(UTC)):
                backlog_at = now
                ok, seconds = run_once(paths, number, BACKFILL_JOB_NAME)  # its latest day
                successes.append(ok)
                runs.append(seconds)
                number += 1
            ok, seconds = run_once(paths, number)
            successes.append(ok)
            runs.append(seconds)
        code = stop(live)
        console.print(f"live simulator stopped (exit {code})")
        live = None
        ok, seconds = run_once(paths, number + 1)  # publish what landed meanwhile
        successes.append(ok)
        runs.append(seconds)

        with connect(paths.warehouse, read_only=True) as con:
            serving = Distribution.of(serving_latencies(con, since=live_since))
            channel = Distribution.of(channel_latencies(con, since=live_since))
        rejects = live_rejects(paths, live_since)
    finally:
        for process in (live, sandbox):
            if process is not None:
                stop(process)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    table = Table("latency of live files", "p50 s", "p95 s", "max s", "files", "p95 target s")
    for name, d, target in (
        ("landing → serving", serving, TARGET_SERVING_P95),
        ("landing → channel", channel, TARGET_CHANNEL_P95),
    ):
        figures = [f"{v:.1f}" if v is not None else "n/a" for v in (d.p50, d.p95, d.max)]
        table.add_row(name, *figures, str(d.count), f"{target:g}")
    console.print(table)
    mean = sum(runs) / len(runs) if runs else 0.0
    console.print(
        f"{len(runs)} pipeline runs during live mode, mean {mean:.1f} s; "
        f"live files rejected: {rejects}"
    )
    return 0 if all(successes) and rejects == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
