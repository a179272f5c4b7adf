"""`returnops`: simulate a retailer, run the pipeline, serve the demo."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ingest.paths import Paths, get_paths

app = typer.Typer(
    help="Operational intelligence for ecommerce returns and inventory sync.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar="RETURNOPS_HOME",
        help="Data root (landing zone, warehouse, serving snapshot). Default ./data.",
        show_default=False,
    ),
]
DaysOption = Annotated[int, typer.Option(min=1, help="Days of operations to simulate.")]
ScaleOption = Annotated[float, typer.Option(min=0.001, help="1 ≈ 830 orders a day.")]
SeedOption = Annotated[int, typer.Option(help="Random seed; same seed, same files.")]


def simulate_into(
    paths: Paths,
    days: int,
    scale: float,
    seed: int,
    progress: bool = True,
    problems: bool = True,
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ingest.simulate import Scenario
    from ingest.simulate import simulate as run_simulation

    scenario = Scenario() if problems else Scenario().without_problems()
    started = time.perf_counter()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not progress,
        transient=False,
    ) as bar:
        task = bar.add_task(f"Simulating days (scale {scale}, seed {seed})", total=days)
        summary = run_simulation(
            paths.home,
            days=days,
            scale=scale,
            seed=seed,
            scenario=scenario,
            progress=lambda done, _total: bar.update(task, completed=done),
        )
    console.print(
        f"[green]Simulated[/] {summary.orders:,} orders and {summary.return_lines:,} return "
        f"lines: {summary.records:,} records in {summary.files:,} files under {summary.landing} "
        f"({time.perf_counter() - started:.1f} s); truth in {summary.truth} "
        f"({summary.problems:,} injected problems, {summary.injected_rejects} rows to reject)"
    )


def run_into(
    paths: Paths,
    job_name: str | None = None,
    days: tuple[str, str] | None = None,
    what: str = "the pipeline",
    steps: str = "ingest → dbt build → checks → publish",
) -> bool:
    from orchestration.pipeline import run_pipeline

    started = time.perf_counter()
    console.print(f"Running {what} on {paths.home} ({steps})")
    outcome = run_pipeline(paths, job_name, days)
    table = Table("asset", "result", title=f"Dagster run {outcome.run_id}")
    for key, metadata in sorted(outcome.materialized.items()):
        shown = {k: v for k, v in metadata.items() if k.startswith(("rows", "files"))}
        table.add_row(key, ", ".join(f"{k}={v}" for k, v in shown.items()) or "materialized")
    console.print(table)
    failed_checks = [name for name, passed in outcome.checks.items() if not passed]
    console.print(
        f"Checks: {len(outcome.checks) - len(failed_checks)}/{len(outcome.checks)} passed"
        + (f"; failed: {', '.join(failed_checks)}" if failed_checks else "")
    )
    for failure in outcome.failures:
        console.print(f"[red]failed[/] {failure}")
    verdict = "[green]succeeded[/]" if outcome.success else "[red]failed[/]"
    console.print(f"{what[0].upper()}{what[1:]} {verdict} in {time.perf_counter() - started:.1f} s")
    return outcome.success


@app.command()
def simulate(
    days: DaysOption = 60,
    scale: ScaleOption = 1.0,
    seed: SeedOption = 7,
    home: HomeOption = None,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar by day.")
    ] = True,
    problems: Annotated[
        bool,
        typer.Option(
            "--problems/--no-problems",
            help="Inject the operational problems and malformed rows the platform must reveal.",
        ),
    ] = True,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Keep landing new files until Ctrl-C, continuing the history in the landing "
            "zone (made with the same --scale, --seed, --problems); --days is not used.",
        ),
    ] = False,
    rate: Annotated[float, typer.Option(min=0.1, help="With --live: records a second.")] = 50.0,
) -> None:
    """Write source files in their real formats into the landing zone, and the ground truth."""
    if live:
        from ingest.live import LiveError, run_live

        try:
            state = run_live(
                get_paths(home).home, rate, scale, seed, problems,
                on_ready=console.print, on_tick=lambda t: console.print(t.line()),
            )  # fmt: skip
        except LiveError as error:
            console.print(f"[red]{error}[/]")
            raise typer.Exit(code=1) from None
        console.print(f"Stopped at {state.sim_time}: {state.records:,} live records so far")
        return
    simulate_into(get_paths(home), days, scale, seed, progress=progress, problems=problems)


@app.command()
def run(home: HomeOption = None) -> None:
    """One pass of the pipeline through Dagster: ingest → dbt build → checks → publish."""
    if not run_into(get_paths(home)):
        raise typer.Exit(code=1)


@app.command()
def backfill(
    start: Annotated[str, typer.Option(help="First event day to rebuild (YYYY-MM-DD).")],
    end: Annotated[
        str | None, typer.Option(help="Last event day to rebuild (default: --start).")
    ] = None,
    home: HomeOption = None,
    publish: Annotated[
        bool,
        typer.Option("--publish/--no-publish", help="Publish the serving snapshot after it."),
    ] = True,
) -> None:
    """Rebuild the event-date partitioned marts for a range of days, in one Dagster run;
    every other day and every other mart is left as it is."""
    from orchestration.defs.jobs import BACKFILL_JOB_NAME, PUBLISH_JOB_NAME
    from orchestration.partitions import parse_day

    try:
        first = parse_day(start)
        last = parse_day(end) if end else first
        if last < first:
            raise ValueError(f"--end {last} is before --start {first}")
    except ValueError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(code=2) from None
    paths = get_paths(home)
    days = (first.isoformat(), last.isoformat())
    ok = run_into(
        paths, BACKFILL_JOB_NAME, days, what=f"the backfill of {days[0]} .. {days[1]}",
        steps="event-date partitioned marts and their checks",
    )  # fmt: skip
    if ok and publish:
        ok = run_into(paths, PUBLISH_JOB_NAME, what="the publish", steps="serving snapshot")
    if not ok:
        raise typer.Exit(code=1)


@app.command()
def demo(
    days: DaysOption = 60,
    scale: ScaleOption = 1.0,
    seed: SeedOption = 7,
    home: HomeOption = None,
    host: Annotated[str, typer.Option(help="Address to serve on.")] = "127.0.0.1",
    dagster_port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
    streamlit_port: Annotated[int, typer.Option(help="Port of the dashboards.")] = 8501,
) -> None:
    """Simulate, start the channel sandbox, run the pipeline (its write-back pushes to the
    sandbox), then serve the Dagster UI and the dashboards until Ctrl-C."""
    from orchestration.demo import serve

    paths = get_paths(home)
    simulate_into(paths, days, scale, seed)
    # the sandbox first, so the first run's write-back finds the channels
    code = serve(paths, host, dagster_port, streamlit_port, console, run=lambda: run_into(paths))
    raise typer.Exit(code=code)


@app.command()
def alerts(
    home: HomeOption = None,
    test: Annotated[
        bool, typer.Option("--test", help="Post a test alert to the configured webhook.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="Alert log entries to show.")] = 20,
) -> None:
    """The alert log (what was posted, how often it recurred, what resolved); `--test` posts
    a test message to RETURNOPS_ALERT_WEBHOOK_URL."""
    from datetime import UTC, datetime

    from orchestration.alerts import WEBHOOK_URL_ENV, Alert, AlertSettings, fingerprint

    settings = AlertSettings.from_env(get_paths(home).home)
    if test:
        if not settings.webhook_url:
            console.print(f"[red]{WEBHOOK_URL_ENV} is not set: nowhere to post[/]")
            raise typer.Exit(code=1)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        delivery = settings.send(
            Alert(
                kind="test",
                severity="warning",
                title="returnops test alert: the webhook works",
                lines=(f"sent by `returnops alerts --test` at {now}",),
                fields={"home": str(settings.log_path.parent)},
                fingerprints=(fingerprint("test", now),),
            )
        )
        console.print(f"test alert: {delivery.status}")
    entries = settings.log.entries(limit)
    table = Table(
        "last seen", "kind", "title", "times", "resolved", title=f"alert log {settings.log_path}"
    )
    for entry in entries:
        table.add_row(
            entry["last_seen"],
            entry["kind"],
            entry["title"],
            str(entry["occurrences"]),
            entry["resolved_at"] or "",
        )
    console.print(table if entries else f"no alerts recorded in {settings.log_path}")
    if not settings.webhook_url:
        console.print(f"{WEBHOOK_URL_ENV} is not set: alerts are logged by Dagster, not posted")


def _register_subcommands() -> None:
    # planners' export and the write-back commands live in their own modules
    from orchestration import writeback_cli
    from orchestration.export_cli import export_app

    app.add_typer(export_app, name="export")
    writeback_cli.register(app)


_register_subcommands()


if __name__ == "__main__":
    app()
