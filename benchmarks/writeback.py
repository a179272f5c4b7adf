"""Write-back throughput: corrections per second pushed through the outbox to the sandbox.

Starts the channel sandbox in this process on a free loopback port, seeds N listings spread over
the channels (web and zalando speak Shopify GraphQL, amazon the Listings Items API), then times
one `run_writeback` pass of N corrections into a fresh warehouse file, per scenario:

- **no faults**;
- **throttling**: a share of the channel requests throttled (`--throttle`, default 10 %):
  Shopify answers THROTTLED with its cost bucket drained, Amazon 429 with `Retry-After`.

The time covers the whole pass: enqueue into the outbox, every request and its retries, the
audit rows, every state change and the ack files. It prints corrections/s per scenario and the
ratio throttled/no faults; the target is >= 1,000 corrections/s without faults. Exits non-zero
if a correction was lost, not acked, or applied twice.

    python benchmarks/writeback.py [--n 5000] [--throttle 0.1] [--channels web,zalando,amazon]
        [--retry-after 0.2] [--repeat 1] [--sandbox-process] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

# Run as a script, this file's folder heads sys.path: drop it so `writeback` is the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from writeback import Correction, WritebackSettings, run_writeback  # noqa: E402
from writeback.sandbox import RunningSandbox, run_sandbox  # noqa: E402

TARGET_PER_SECOND = 1_000


@dataclass(frozen=True)
class Figures:
    scenario: str
    corrections: int
    seconds: float
    requests: int
    acked: int
    conflict: int
    failed: int
    faults_fired: int
    max_applications_per_key: int
    # per channel: (channel, protocol, corrections, requests, seconds); channels run at once
    channels: tuple[tuple[str, str, int, int, float], ...] = ()

    @property
    def rate(self) -> float:
        return self.corrections / self.seconds


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000, help="corrections per pass (5,000)")
    parser.add_argument("--throttle", type=float, default=0.1, help="throttled share (0.1)")
    parser.add_argument(
        "--retry-after", type=float, default=0.2, help="Amazon's Retry-After when throttled (0.2 s)"
    )
    parser.add_argument("--channels", default="web,zalando,amazon", help="comma-separated")
    parser.add_argument("--seed", type=int, default=7, help="fault dice seed (7)")
    parser.add_argument("--repeat", type=int, default=1, help="passes per scenario, best kept")
    parser.add_argument("--workdir", type=Path, help="warehouses go here (default: a temp dir)")
    parser.add_argument(
        "--sandbox-process",
        action="store_true",
        help="run the sandbox in its own process instead of a thread of this one",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


@contextmanager
def sandbox_process(landing: Path) -> Iterator[RunningSandbox]:
    """`python -m writeback.sandbox` on a free port, stopped on exit (by its own pid)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "writeback.sandbox",
        "--port",
        str(port),
        "--landing",
        str(landing),
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sandbox = RunningSandbox(url=f"http://127.0.0.1:{port}", state=None)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                sandbox.control("GET", "/_sandbox/health")
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the sandbox process did not start") from None
                time.sleep(0.1)
        yield sandbox
    finally:
        sandbox.close()
        process.terminate()
        process.wait(timeout=10)


def listings(n: int, channels: list[str]) -> tuple[list[dict], list[Correction]]:
    stock, corrections = [], []
    for i in range(n):
        channel = channels[i % len(channels)]
        ids = {}
        if channel != "amazon":
            ids = {"location_id": str(60 + i % 7), "inventory_item_id": str(10_000 + i)}
        stock.append({"channel": channel, "sku": f"SKU-{i:06d}", "quantity": 20, **ids})
        corrections.append(
            Correction.create(
                channel=channel,
                sku=f"SKU-{i:06d}",
                published_quantity=20,
                target_quantity=20 + (i % 9) - 4 or 21,
                unit_value=10.0,
                **ids,
            )
        )
    return stock, corrections


def one_pass(
    sandbox: RunningSandbox, workdir: Path, scenario: str, n: int, channels: list[str], faults: dict
) -> Figures:
    stock, corrections = listings(n, channels)
    sandbox.reset()
    sandbox.seed(stock)
    sandbox.set_faults(**faults)
    settings = WritebackSettings(
        shopify_url=f"{sandbox.url}/shopify/{{channel}}",
        amazon_url=f"{sandbox.url}/amazon/{{channel}}",
        approval_units=1_000,  # the benchmark measures pushing, not waiting for operators
        approval_value=1e12,
        max_attempts=10,
    )
    warehouse = workdir / f"{scenario.replace(' ', '_').replace('%', 'pct')}.duckdb"
    warehouse.unlink(missing_ok=True)
    started = time.perf_counter()
    report = run_writeback(warehouse, corrections, settings, landing=workdir / "landing")
    seconds = time.perf_counter() - started
    counts = sandbox.applications()
    fired = sum(f["fired"] for f in sandbox.control("GET", "/_sandbox/faults")["faults"].values())
    return Figures(
        scenario=scenario,
        corrections=n,
        seconds=seconds,
        requests=sum(c.requests for c in report.channels.values()),
        acked=report.acked,
        conflict=report.conflicts,
        failed=report.failed,
        faults_fired=fired,
        max_applications_per_key=max(counts["applications_by_key"].values(), default=0),
        channels=tuple(
            (c.channel, c.protocol, c.sent, c.requests, c.seconds) for c in report.channels.values()
        ),
    )


def render(results: list[Figures], console: Console, where: str) -> None:
    table = Table(title=f"write-back against the sandbox (one pass, {where}, loopback)")
    for name in (
        "scenario",
        "corrections",
        "requests",
        "faults fired",
        "seconds",
        "corrections/s",
        "acked",
        "conflict",
        "failed",
        "ratio",
    ):
        table.add_column(name, justify="left" if name == "scenario" else "right")
    base = results[0].rate
    for r in results:
        table.add_row(
            r.scenario,
            f"{r.corrections:,}",
            f"{r.requests:,}",
            f"{r.faults_fired:,}",
            f"{r.seconds:.2f}",
            f"{r.rate:,.0f}",
            f"{r.acked:,}",
            f"{r.conflict:,}",
            f"{r.failed:,}",
            f"{r.rate / base:.2f}",
        )
    console.print(table)
    per_channel = Table(title="per channel (the channels are pushed at the same time)")
    for name in (
        "scenario",
        "channel",
        "protocol",
        "corrections",
        "requests",
        "seconds",
        "corrections/s",
        "ratio",
    ):
        per_channel.add_column(
            name,
            justify="right" if name[0] in "crs" and name not in ("scenario", "channel") else "left",
        )
    base_rates = {c[0]: c[2] / c[4] for c in results[0].channels if c[4] > 0}
    for r in results:
        for channel, protocol, sent, requests, seconds in r.channels:
            rate = sent / seconds if seconds > 0 else 0.0
            ratio = rate / base_rates[channel] if base_rates.get(channel) else 0.0
            per_channel.add_row(
                r.scenario,
                channel,
                protocol,
                f"{sent:,}",
                f"{requests:,}",
                f"{seconds:.2f}",
                f"{rate:,.0f}",
                f"{ratio:.2f}",
            )
    console.print(per_channel)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=max(Console().width, 120))
    channels = [c.strip() for c in args.channels.split(",") if c.strip()]
    console.print(
        f"{args.n:,} corrections over {', '.join(channels)}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"
    )
    scenarios = {
        "no faults": {},
        f"{args.throttle:.0%} throttled": {
            "seed": args.seed,
            "throttle": {"rate": args.throttle, "seconds": args.retry_after},
        },
    }
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        start = sandbox_process if args.sandbox_process else lambda landing: run_sandbox()
        with start(workdir / "sandbox_landing") as sandbox:
            results = [
                min(
                    (
                        one_pass(sandbox, workdir, name, args.n, channels, faults)
                        for _ in range(args.repeat)
                    ),
                    key=lambda figures: figures.seconds,
                )
                for name, faults in scenarios.items()
            ]
    render(results, console, "own process" if args.sandbox_process else "in-process")
    problems = [
        f"{r.scenario}: {r.corrections - r.acked} of {r.corrections} not acked"
        for r in results
        if r.acked != r.corrections
    ] + [
        f"{r.scenario}: a key was applied {r.max_applications_per_key} times"
        for r in results
        if r.max_applications_per_key > 1
    ]
    rate = results[0].rate
    verdict = "meets" if rate >= TARGET_PER_SECOND else "BELOW"
    console.print(
        f"no faults: {rate:,.0f} corrections/s, {verdict} the {TARGET_PER_SECOND:,}/s target"
    )
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
