"""Each download button yields a file that reads back (CSV, Parquet, XLSX) with the rows on
screen, filters applied."""

from __future__ import annotations

import io
from decimal import Decimal

import pandas as pd
import pytest

from dashboards.filters import Filters
from tests.dashboards import expected
from tests.dashboards.conftest import run_page

MONEY = ("original_value", "recovered_value", "claimable_amount")


def read_back(data: bytes, file_name: str) -> pd.DataFrame:
    if file_name.endswith(".csv"):
        return pd.read_csv(io.BytesIO(data))
    if file_name.endswith(".parquet"):
        return pd.read_parquet(io.BytesIO(data))
    if file_name.endswith(".xlsx"):
        return pd.read_excel(io.BytesIO(data))
    raise AssertionError(f"unexpected download {file_name}")


def files_on(at, downloads) -> dict[str, tuple[str, pd.DataFrame]]:
    """Every download button on the page: key -> (file name, its rows read back)."""
    files = {}
    for button in at.download_button:
        assert not button.proto.disabled, button.key
        made = downloads[button.proto.deferred_file_id]
        files[button.key] = (made.file_name, read_back(made.data(), made.file_name))
    return files


def cents(values) -> list[int]:
    return [int((Decimal(str(v)) * 100).to_integral_value()) for v in values]


@pytest.mark.parametrize(
    "params",
    [{}, {"channel": "web", "category": ["shoes", "jeans"], "from": "2026-02-02"}],
    ids=["all", "filtered"],
)
def test_recovery_downloads_hold_the_filtered_rows_in_every_format(
    served, marts, downloads, params
):
    at = run_page("recovery", params)
    f = expected.filters_from_params(params)
    wanted = expected.recovery_rows(marts, f).reset_index(drop=True)
    claims = expected.chargebacks(marts, f)

    files = files_on(at, downloads)

    for fmt in ("csv", "parquet", "xlsx"):
        name, rows = files[f"download_recovery_{fmt}"]
        assert name == f"recovery.{fmt}"
        assert len(rows) == len(wanted) > 0
        assert list(rows.columns) == [
            "month_start", "disposition", "category", "channel", "units", "original_value",
            "recovered_value", "recovery_rate",
        ]  # fmt: skip
        assert list(pd.to_datetime(rows["month_start"]).dt.date) == list(wanted["month_start"])
        assert list(rows["channel"]) == list(wanted["channel"])
        assert cents(rows["recovered_value"]) == cents(wanted["recovered_value"])
        assert list(rows["units"]) == list(wanted["units"])
        name, rows = files[f"download_chargebacks_{fmt}"]
        assert name == f"chargeback_opportunities.{fmt}"
        assert sorted(rows["sku"]) == sorted(claims["sku"])
        assert cents(sorted(rows["claimable_amount"])) == cents(sorted(claims["claimable_amount"]))


def test_parquet_keeps_money_exact(served, downloads):
    at = run_page("recovery")
    button = at.get_by_key("download_recovery_parquet")

    rows = pd.read_parquet(io.BytesIO(downloads[button.proto.deferred_file_id].data()))

    assert isinstance(rows["recovered_value"].iloc[0], Decimal)


def test_lifecycle_lines_download(served, marts, downloads):
    at = run_page("lifecycle", {"channel": "zalando"})

    files = files_on(at, downloads)

    wanted = expected.lines(marts, Filters(channels=("zalando",)))
    for fmt in ("csv", "parquet", "xlsx"):
        name, rows = files[f"download_lifecycle_lines_{fmt}"]
        assert name == f"return_lines.{fmt}"
        assert sorted(rows["return_line_id"]) == sorted(wanted["return_line_id"])


def test_drill_down_narrows_the_lines_and_their_download(served, marts, downloads):
    at = run_page("lifecycle")
    at.selectbox(key="lifecycle_reason").set_value("DEFECTIVE").run()

    _, rows = files_on(at, downloads)["download_lifecycle_lines_csv"]

    lines = marts["fct_return_lines"]
    assert sorted(rows["return_line_id"]) == sorted(
        lines.loc[lines["reason_code"] == "DEFECTIVE", "return_line_id"]
    )


def _changed(marts):
    return expected.gaps(marts, Filters()).query("oversell_risk_units > 0 or hidden_units > 0")


TABLE_DOWNLOADS = {
    "download_inspection_oldest_csv": (
        "inspection",
        lambda m: expected.waiting_lines(m, Filters()),
    ),
    "download_refunds_slowest_csv": ("refunds", lambda m: expected.refunds(m, Filters()).head(25)),
    "download_inventory_gaps_csv": ("inventory", _changed),
    "download_exceptions_csv": ("exceptions", lambda m: expected.open_exceptions(m, Filters())),
    "download_exceptions_xlsx": ("exceptions", lambda m: expected.open_exceptions(m, Filters())),
    "download_corrections_csv": ("writeback", lambda m: expected.corrections(m, Filters())),
}


@pytest.mark.parametrize("key", list(TABLE_DOWNLOADS))
def test_table_downloads_read_back_with_the_rows_on_screen(served, marts, downloads, key):
    page, rows_of = TABLE_DOWNLOADS[key]
    at = run_page(page)

    name, rows = files_on(at, downloads)[key]

    assert len(rows) == len(rows_of(marts)) > 0
    assert name.split(".")[-1] == key.rsplit("_", 1)[-1]


def test_an_empty_table_disables_its_downloads(publish_marts, downloads):
    publish_marts(tables={})
    at = run_page("recovery")

    assert at.download_button and all(button.proto.disabled for button in at.download_button)
