"""DataFrames to export files (CSV, Parquet, Excel): pure functions, bytes in memory.

The dashboard's download buttons and `returnops export` use the same functions, so a file from
either reads back the same.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Literal

import pandas as pd

ExportFormat = Literal["csv", "parquet", "xlsx"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "parquet", "xlsx")

MIME_TYPES: dict[str, str] = {
    "csv": "text/csv",
    "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LABELS: dict[str, str] = {"csv": "CSV", "parquet": "Parquet", "xlsx": "Excel"}


def to_csv(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a header row and no index; dates and timestamps in ISO 8601."""
    return df.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S").encode("utf-8")


def to_parquet(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False, engine="pyarrow")
    return buffer.getvalue()


def to_xlsx(df: pd.DataFrame, sheet_name: str = "data") -> bytes:
    """One worksheet (name cut to Excel's 31 characters), header row, no index."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name=sheet_name[:31] or "data", index=False)
    return buffer.getvalue()


def to_bytes(df: pd.DataFrame, fmt: ExportFormat, sheet_name: str = "data") -> bytes:
    if fmt == "csv":
        return to_csv(df)
    if fmt == "parquet":
        return to_parquet(df)
    if fmt == "xlsx":
        return to_xlsx(df, sheet_name)
    raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")


def file_name(stem: str, fmt: ExportFormat) -> str:
    return f"{stem}.{fmt}"


def write(df: pd.DataFrame, fmt: ExportFormat, path: Path, sheet_name: str = "data") -> Path:
    """Write the export to `path` atomically: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = to_bytes(df, fmt, sheet_name)
    fd, staged = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(staged, path)
    finally:
        Path(staged).unlink(missing_ok=True)
    return path
