"""DataFrame -> CSV / Parquet / Excel bytes and back."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest

from dashboards import exports

FRAME = pd.DataFrame(
    {
        "month_start": [date(2026, 1, 1), date(2026, 2, 1)],
        "channel": ["web", "amazon"],
        "units": [3, 0],
        "recovered_value": [Decimal("12.30"), Decimal("0.00")],
        "rate": [0.5, None],
        "at": [datetime(2026, 1, 5, 6, 30), None],
    }
)


def read(data: bytes, fmt: str) -> pd.DataFrame:
    return {
        "csv": lambda b: pd.read_csv(io.BytesIO(b)),
        "parquet": lambda b: pd.read_parquet(io.BytesIO(b)),
        "xlsx": lambda b: pd.read_excel(io.BytesIO(b), sheet_name="recovery"),
    }[fmt](data)


@pytest.mark.parametrize("fmt", exports.FORMATS)
def test_round_trip_keeps_rows_columns_and_values(fmt):
    back = read(exports.to_bytes(FRAME, fmt, sheet_name="recovery"), fmt)

    assert list(back.columns) == list(FRAME.columns)
    assert len(back) == 2
    assert list(back["channel"]) == ["web", "amazon"]
    assert [float(v) for v in back["recovered_value"]] == [12.3, 0.0]
    assert pd.to_datetime(back["month_start"]).dt.date.tolist() == list(FRAME["month_start"])
    assert back["rate"].isna().tolist() == [False, True]


def test_csv_is_plain_utf8_with_iso_timestamps():
    text = exports.to_csv(FRAME).decode("utf-8")

    assert text.splitlines()[0] == "month_start,channel,units,recovered_value,rate,at"
    assert "2026-01-05 06:30:00" in text and "12.30" in text


def test_parquet_keeps_decimals():
    assert read(exports.to_parquet(FRAME), "parquet")["recovered_value"][0] == Decimal("12.30")


def test_an_empty_frame_still_has_its_header(tmp_path):
    empty = FRAME.iloc[0:0]
    for fmt in exports.FORMATS:
        assert list(read(exports.to_bytes(empty, fmt, "recovery"), fmt).columns) == list(
            FRAME.columns
        )


def test_write_replaces_the_file_whole(tmp_path):
    path = tmp_path / "out" / "recovery.csv"
    path.parent.mkdir()
    path.write_text("old")

    exports.write(FRAME, "csv", path)

    assert pd.read_csv(path)["units"].tolist() == [3, 0]
    assert [p.name for p in path.parent.iterdir()] == ["recovery.csv"]


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown export format"):
        exports.to_bytes(FRAME, "json")  # type: ignore[arg-type]
