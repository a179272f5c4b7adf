"""`returnops export`: the planners' exports from the command line (DESIGN §10).

`returnops export recovery --format csv|parquet|xlsx --out PATH [--from --to --channel
--category]` writes the same rows, with the same filters, as the Recovery page's download
buttons: both read the published serving snapshot read-only through
`dashboards.queries.recovery.fetch_recovery` and write with `dashboards.exports`.

Registered in `orchestration.cli` with `app.add_typer(export_app, name="export")`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console

from dashboards import exports
from dashboards.filters import Filters
from dashboards.queries.recovery import fetch_recovery
from dashboards.serving import serving_connection
from ingest.paths import get_paths

export_app = typer.Typer(
    help="Export what the dashboards show, with the same filters, as CSV, Parquet or Excel.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True, soft_wrap=True)


class Format(StrEnum):
    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


def _values(options: list[str] | None) -> tuple[str, ...]:
    """Repeated options and comma-separated lists both work: `--channel web,amazon`."""
    seen: dict[str, None] = {}
    for option in options or []:
        for value in option.split(","):
            if value.strip():
                seen[value.strip()] = None
    return tuple(seen)


@export_app.callback()
def _export() -> None:
    """Export what the dashboards show, with the same filters, as CSV, Parquet or Excel."""


@export_app.command("recovery")
def recovery(
    format: Annotated[
        Format, typer.Option("--format", "-f", case_sensitive=False, help="File format.")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", dir_okay=False, help="File to write (replaced whole).")
    ],
    from_: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First day (months overlapping it)."),
    ] = None,
    to: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day.")
    ] = None,
    channel: Annotated[
        list[str] | None, typer.Option("--channel", help="Channel id; repeat for several.")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="Product category; repeat for several.")
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar="RETURNOPS_HOME",
            help="Data root holding serving/marts.duckdb. Default ./data.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Recovery value and rate by month, disposition, category and channel (`fct_recovery`)."""
    start, end = (d.date() if d else None for d in (from_, to))
    if start and end and start > end:
        raise typer.BadParameter("--from is after --to", param_hint="--from")
    serving = get_paths(home).serving
    if not serving.exists():
        console.print(
            f"[red]No serving snapshot at {serving}.[/] Run `returnops run` to publish one."
        )
        raise typer.Exit(code=1)
    filters = Filters(start=start, end=end, channels=_values(channel), categories=_values(category))
    try:
        with serving_connection(serving) as con:
            rows = fetch_recovery(con, filters)
    except duckdb.Error as exc:
        console.print(f"[red]Cannot read recovery from {serving}:[/] {str(exc).splitlines()[0]}")
        raise typer.Exit(code=1) from exc
    written = exports.write(rows, format.value, out, sheet_name="recovery")
    console.print(
        f"Wrote {len(rows):,} recovery rows ({format.value}) to {written}"
        + ("" if len(rows) else " [yellow](no rows match the filters)[/]")
    )
