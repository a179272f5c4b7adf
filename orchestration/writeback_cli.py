"""`returnops writeback [--dry-run]` and `returnops sandbox` (DESIGN §10).

- `writeback`: one write-back pass through Dagster (`writeback_job`: land new approval files,
  then `channel_writeback` with the freshness guard), recorded in the local instance like
  `returnops run`. `--dry-run` runs no job and changes nothing: it shows the guard's verdict and,
  per correction, what would be sent and what waits for approval.
- `sandbox`: the channel sandbox on the address write-back points at, seeded from the landing
  zone's latest published stock, until Ctrl-C.

Registered in `orchestration.cli` with `register(app)`.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ingest.paths import Paths, get_paths

console = Console(soft_wrap=True)

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="RETURNOPS_HOME",
        help="Data root (landing zone, warehouse, serving snapshot). Default ./data.",
        show_default=False,
    ),
]


def latest_failed_checks(paths: Paths) -> list[str]:
    """Blocking checks upstream of write-back whose latest evaluation failed (local instance)."""
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.defs.writeback.assets import blocking_check_keys, failed_blocking_checks
    from orchestration.pipeline import use_home

    use_home(paths)
    keys = blocking_check_keys(defs().resolve_asset_graph())
    with dg.DagsterInstance.get() as instance:
        return failed_blocking_checks(instance, keys)


def summary_lines(metadata: dict | None) -> list[str]:
    """A write-back materialization's metadata in a few lines, for `returnops run` / `writeback`."""
    if not metadata:
        return ["write-back did not run (an upstream step failed or was skipped)"]
    if metadata.get("held_reason", "none") != "none":
        return [f"write-back HELD, nothing sent: {metadata['held_reason']}"]
    line = (
        f"write-back: {metadata.get('acked', 0)} acked, {metadata.get('conflict', 0)} conflict, "
        f"{metadata.get('failed', 0)} failed, {metadata.get('pending', 0)} pending, "
        f"{metadata.get('awaiting_approval', 0)} awaiting approval"
    )
    lines = [line]
    if metadata.get("unreachable_channels", "none") != "none":
        lines.append(
            f"unreachable, corrections left pending: {metadata['unreachable_channels']} "
            "(start the channel sandbox with `returnops sandbox`)"
        )
    return lines


def print_plan(result, limit: int) -> None:
    """A dry run for a person: the guard's verdict, a table of the first `limit` corrections
    (what would be sent, what waits for approval and why), then the totals."""
    report = result.report
    for line in result.guard_lines():
        console.print(line, markup=False, highlight=False)
    console.print(replace(report, planned=report.planned[:limit]).table())
    if len(report.planned) > limit:
        console.print(f"… and {len(report.planned) - limit:,} more (--limit shows more)")
    for line in report.lines(planned=False):
        console.print(line, markup=False, highlight=False)


def writeback(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent; send and change nothing.")
    ] = False,
    limit: Annotated[int, typer.Option(min=0, help="Corrections listed in a dry run.")] = 50,
    home: HomeOption = None,
) -> None:
    """Push pending stock corrections to the channels (approve → send → ack)."""
    paths = get_paths(home)
    if not paths.warehouse.exists():
        console.print(f"[red]No warehouse at {paths.warehouse}.[/] Run `returnops run` first.")
        raise typer.Exit(code=1)
    if dry_run:
        from orchestration.defs.writeback.assets import feeding_sources
        from writeback.freshness import guarded_writeback

        failed = latest_failed_checks(paths)
        result = guarded_writeback(
            paths.warehouse, paths.landing, sources=feeding_sources(), failed_checks=failed,
            dry_run=True,
        )  # fmt: skip
        print_plan(result, limit)
        return

    from orchestration.defs.writeback.assets import WRITEBACK_ASSET
    from orchestration.defs.writeback.sensors import WRITEBACK_JOB_NAME
    from orchestration.pipeline import run_pipeline

    outcome = run_pipeline(paths, WRITEBACK_JOB_NAME)
    metadata = outcome.materialized.get(WRITEBACK_ASSET)
    if metadata and metadata.get("report"):
        console.print(metadata["report"].strip("`\n"), markup=False, highlight=False)
    for line in summary_lines(metadata):
        console.print(line, markup=False, highlight=False)
    for failure in outcome.failures:
        console.print(f"[red]failed[/] {failure}")
    if not outcome.success:
        raise typer.Exit(code=1)


def sandbox(
    host: Annotated[
        str | None,
        typer.Option(help="Address to serve on. Default: where write-back points (127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port. Default: the port of RETURNOPS_SHOPIFY_URL (8787).", min=0),
    ] = None,
    seed_from_landing: Annotated[
        bool,
        typer.Option(
            "--seed-from-landing/--no-seed",
            help="Start with the latest stock each channel published in the landing zone.",
        ),
    ] = True,
    publish_every: Annotated[
        float | None,
        typer.Option(help="Seconds between `pull` snapshots into landing/channel_stock/."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Serve the channel sandbox (Shopify GraphQL and Amazon Listings APIs) until Ctrl-C."""
    from orchestration.demo import sandbox_address
    from writeback.sandbox import serve
    from writeback.sandbox.seed import landing_stock

    paths = get_paths(home)
    default_host, default_port = sandbox_address()
    host, port = host or default_host, default_port if port is None else port
    items = landing_stock(paths.landing) if seed_from_landing else []
    if seed_from_landing:
        channels = sorted({i["channel"] for i in items})
        console.print(
            f"Seeded {len(items):,} stock levels ({', '.join(channels) or 'none'}) from "
            f"{paths.landing}"
        )
    console.print(f"Channel sandbox on http://{host}:{port} (stock: /_sandbox/stock); Ctrl-C stops")
    # uvicorn shuts down gracefully on Ctrl-C, then re-raises it: that is the normal way out
    with contextlib.suppress(KeyboardInterrupt):
        serve(host, port, paths.landing, publish_interval_s=publish_every, initial_stock=items)
    console.print("Channel sandbox stopped.")


def register(app: typer.Typer) -> None:
    """Add `writeback` and `sandbox` to the `returnops` app."""
    app.command("writeback")(writeback)
    app.command("sandbox")(sandbox)


if __name__ == "__main__":  # `python -m orchestration.writeback_cli sandbox`: what the demo runs
    standalone = typer.Typer(add_completion=False, no_args_is_help=True)
    register(standalone)
    standalone()
