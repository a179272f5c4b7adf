"""`returnops export recovery`: each format written and read back, filters as on the page."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from orchestration.export_cli import export_app
from tests.dashboards.marts_fixture import build_marts, write_snapshot

COLUMNS = [
    "month_start", "disposition", "category", "channel", "units", "original_value",
    "recovered_value", "recovery_rate",
]  # fmt: skip
ORDER = ["month_start", "disposition", "category", "channel"]


@pytest.fixture(scope="module")
def recovery_marts() -> pd.DataFrame:
    return build_marts()["fct_recovery"]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    write_snapshot(home / "serving" / "marts.duckdb", build_marts())
    return home


def expected(recovery: pd.DataFrame, start=None, end=None, channels=(), categories=()):
    """The rows the export should hold, computed from the fixture with pandas."""
    rows = recovery.copy()
    months = pd.to_datetime(rows["month_start"])
    if start:
        rows = rows[months >= pd.Timestamp(start).to_period("M").start_time]
        months = pd.to_datetime(rows["month_start"])
    if end:
        rows = rows[months <= pd.Timestamp(end)]
    if channels:
        rows = rows[rows["channel"].isin(channels)]
    if categories:
        rows = rows[rows["category"].isin(categories)]
    return rows.sort_values(ORDER, ignore_index=True)[COLUMNS]


def read_back(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(path)
    if fmt == "parquet":
        return pd.read_parquet(path)
    return pd.read_excel(io.BytesIO(path.read_bytes()), sheet_name="recovery")


def comparable(df: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes whatever the format: dates as dates, money as cents, rates as floats."""
    out = df[COLUMNS].copy()
    out["month_start"] = pd.to_datetime(out["month_start"]).dt.date
    for money in ("original_value", "recovered_value"):
        out[money] = [int((Decimal(str(v)) * 100).to_integral_value()) for v in out[money]]
    out["units"] = out["units"].astype(int)
    out["recovery_rate"] = out["recovery_rate"].astype(float).round(9)
    return out.reset_index(drop=True)


def invoke(home: Path, *args: str):
    return CliRunner().invoke(export_app, ["recovery", *args], env={"RETURNOPS_HOME": str(home)})


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_each_format_reads_back_with_every_row(home, tmp_path, recovery_marts, fmt):
    out = tmp_path / "exports" / f"recovery.{fmt}"

    result = invoke(home, "--format", fmt, "--out", str(out))

    assert result.exit_code == 0, result.output
    want = expected(recovery_marts)
    assert len(want) > 10
    pd.testing.assert_frame_equal(comparable(read_back(out, fmt)), comparable(want))
    assert f"Wrote {len(want)} recovery rows" in result.output


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_filters_select_the_rows_the_page_would(home, tmp_path, recovery_marts, fmt):
    out = tmp_path / f"filtered.{fmt}"

    result = invoke(
        home, "--format", fmt, "--out", str(out), "--from", "2026-02-03", "--to", "2026-02-28",
        "--channel", "web", "--channel", "amazon", "--category", "shoes,jeans",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    want = expected(
        recovery_marts, date(2026, 2, 3), date(2026, 2, 28), ("web", "amazon"), ("shoes", "jeans")
    )
    assert 0 < len(want) < len(recovery_marts)
    assert set(want["month_start"]) == {date(2026, 2, 1)}  # February overlaps the range
    pd.testing.assert_frame_equal(comparable(read_back(out, fmt)), comparable(want))


def test_money_stays_exact_in_parquet(home, tmp_path, recovery_marts):
    out = tmp_path / "recovery.parquet"
    assert invoke(home, "--format", "parquet", "--out", str(out)).exit_code == 0

    back = pd.read_parquet(out)

    assert isinstance(back["original_value"].iloc[0], Decimal)
    assert sum(back["recovered_value"]) == Decimal(
        str(round(recovery_marts["recovered_value"].sum(), 2))
    )


def test_no_matching_rows_writes_an_empty_file_with_the_header(home, tmp_path):
    out = tmp_path / "none.csv"

    result = invoke(home, "--format", "csv", "--out", str(out), "--channel", "nowhere")

    assert result.exit_code == 0, result.output
    assert "no rows match" in result.output
    assert list(pd.read_csv(out).columns) == COLUMNS
    assert pd.read_csv(out).empty


def test_missing_snapshot_fails_with_a_clear_message(tmp_path):
    out = tmp_path / "x.csv"

    result = invoke(tmp_path / "empty-home", "--format", "csv", "--out", str(out))

    assert result.exit_code == 1
    assert "No serving snapshot" in result.output and "returnops run" in result.output
    assert not out.exists()


def test_from_after_to_is_refused(home, tmp_path):
    result = invoke(
        home, "--format", "csv", "--out", str(tmp_path / "x.csv"),
        "--from", "2026-03-01", "--to", "2026-02-01",
    )  # fmt: skip

    assert result.exit_code != 0
    assert "--from" in result.output


def test_unknown_format_is_refused(home, tmp_path):
    result = invoke(home, "--format", "json", "--out", str(tmp_path / "x.json"))

    assert result.exit_code != 0
    assert not (tmp_path / "x.json").exists()


def test_registers_as_the_export_group_of_returnops(home, tmp_path, recovery_marts):
    # the lead registers it as `app.add_typer(export_app, name="export")` in orchestration.cli
    app = typer.Typer()

    @app.command()
    def run() -> None:  # a second command, as in the real CLI
        """Run."""

    app.add_typer(export_app, name="export")
    out = tmp_path / "via-group.csv"

    result = CliRunner().invoke(
        app,
        ["export", "recovery", "--format", "csv", "--out", str(out), "--home", str(home)],
    )

    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == len(recovery_marts)
