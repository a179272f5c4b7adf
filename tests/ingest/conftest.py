"""Ingest test fixtures: the committed sample landing dir and a read-only query helper."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def sql() -> Callable[..., list[tuple]]:
    """Run one query against a warehouse file on a short-lived read-only connection."""

    def run(warehouse: Path, query: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            return con.execute(query, params or []).fetchall()
        finally:
            con.close()

    return run
