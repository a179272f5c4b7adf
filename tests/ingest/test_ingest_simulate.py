"""The simulator: seeded, consistent with its own truth, strict about its arguments."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest.simulate import simulate

DAYS, SCALE, SEED = 14, 0.03, 11


def landing_files(home: Path) -> dict[str, bytes]:
    landing = home / "landing"
    return {p.relative_to(landing).as_posix(): p.read_bytes() for p in landing.rglob("*.*")}


@pytest.fixture(scope="module")
def sim_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("sim")
    simulate(home, days=DAYS, scale=SCALE, seed=SEED)
    return home


def test_same_seed_gives_identical_files_and_truth(tmp_path):
    first = simulate(tmp_path / "a", days=DAYS, scale=SCALE, seed=SEED)
    second = simulate(tmp_path / "b", days=DAYS, scale=SCALE, seed=SEED)

    files_a, files_b = landing_files(tmp_path / "a"), landing_files(tmp_path / "b")
    assert sorted(files_a) == sorted(files_b)
    assert len(files_a) == first.files == second.files
    assert all(files_a[name] == files_b[name] for name in files_a)
    truth_a = pq.read_table(first.truth / "return_lines.parquet")
    truth_b = pq.read_table(second.truth / "return_lines.parquet")
    assert truth_a.num_rows == first.return_lines > 0
    assert truth_a.equals(truth_b)


def test_different_seed_gives_different_files(tmp_path, sim_home):
    simulate(tmp_path, days=DAYS, scale=SCALE, seed=SEED + 1)
    assert landing_files(tmp_path) != landing_files(sim_home)
    first_day = "shopify/orders_2026-01-05.ndjson"
    assert landing_files(tmp_path)[first_day] != landing_files(sim_home)[first_day]


def test_truth_return_lines_are_the_return_lines_in_the_returns_files(sim_home):
    in_files = set()
    for path in (sim_home / "landing" / "shopify").glob("returns_*.ndjson"):
        for line in path.read_text().splitlines():
            in_files.update(item["id"] for item in json.loads(line)["returnLineItems"])
    truth = pq.read_table(sim_home / "truth" / "return_lines.parquet").to_pylist()

    assert len(truth) == len({row["return_line_id"] for row in truth})
    assert {row["return_line_id"] for row in truth} == in_files


def test_truth_lifecycle_timestamps_are_ordered(sim_home):
    truth = pq.read_table(sim_home / "truth" / "return_lines.parquet").to_pylist()
    refunded = [row for row in truth if row["refunded_at"] is not None]

    assert refunded, "the run should refund some lines"
    for row in refunded:
        assert row["received_at"] is not None, row["return_line_id"]
        assert row["initiated_at"] <= row["received_at"] <= row["refunded_at"], row


@pytest.mark.parametrize("days", [0, -3])
def test_simulate_rejects_fewer_than_one_day(tmp_path, days):
    with pytest.raises(ValueError, match="days"):
        simulate(tmp_path, days=days, scale=SCALE, seed=SEED)
    assert not (tmp_path / "landing").exists()
