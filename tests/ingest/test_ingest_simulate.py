"""The simulator: seeded, proportional to its scale, consistent with its own truth, strict about
its arguments."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest.simulate import Scenario, simulate

DAYS, SCALE, SEED = 14, 0.05, 11


def landing_files(home: Path) -> dict[str, bytes]:
    landing = home / "landing"
    return {p.relative_to(landing).as_posix(): p.read_bytes() for p in landing.rglob("*.*")}


def truth_files(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (home / "truth").glob("*.parquet")}


@pytest.fixture(scope="module")
def sim_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("sim")
    simulate(home, days=DAYS, scale=SCALE, seed=SEED)
    return home


def test_same_seed_gives_identical_files_and_truth(tmp_path, sim_home):
    again = simulate(tmp_path, days=DAYS, scale=SCALE, seed=SEED)

    first, second = landing_files(sim_home), landing_files(tmp_path)
    assert sorted(first) == sorted(second)
    assert len(first) == again.files
    assert all(first[name] == second[name] for name in first)
    assert truth_files(sim_home) == truth_files(tmp_path)
    assert len(truth_files(tmp_path)) == 7


def test_different_seed_gives_different_files(tmp_path, sim_home):
    simulate(tmp_path, days=DAYS, scale=SCALE, seed=SEED + 1)
    first_day = "shopify/orders_2026-01-05.ndjson"
    assert landing_files(tmp_path)[first_day] != landing_files(sim_home)[first_day]
    assert truth_files(tmp_path) != truth_files(sim_home)


def test_orders_are_proportional_to_the_scale(tmp_path):
    clean = Scenario().without_problems()
    small = simulate(tmp_path / "a", days=6, scale=0.2, seed=SEED, scenario=clean)
    large = simulate(tmp_path / "b", days=6, scale=0.6, seed=SEED, scenario=clean)

    assert small.orders == pytest.approx(6 * 830 * 0.2, rel=0.1)
    assert large.orders / small.orders == pytest.approx(3, rel=0.1)
    # returns start days after their orders, so a short run has few: a looser bound
    assert large.return_lines / small.return_lines == pytest.approx(3, rel=0.25)


def test_summary_counts_what_is_on_disk(sim_home, tmp_path):
    summary = simulate(tmp_path, days=DAYS, scale=SCALE, seed=SEED)
    truth = pq.read_table(summary.truth / "return_lines.parquet")
    rejects = pq.read_table(summary.truth / "injected_rejects.parquet")
    problems = pq.read_table(summary.truth / "problems.parquet")

    assert summary.files == len(landing_files(tmp_path))
    assert summary.return_lines == truth.num_rows > 0
    assert summary.injected_rejects == rejects.num_rows > 0
    assert summary.problems == problems.num_rows > 0


def _initiating_line_ids(landing: Path) -> set[str]:
    """Every return line id the initiating records name (re-delivered partial copies aside)."""
    ids = set()
    for path in (landing / "shopify").glob("returns_*.ndjson"):
        for line in path.read_text().splitlines():
            ids.update(item["id"] for item in json.loads(line)["returnLineItems"])
    for path in (landing / "amazon").glob("fba_customer_returns_*.tsv"):
        if ".redelivery." not in path.name:
            with path.open(newline="") as handle:
                ids.update(
                    r["license-plate-number"] for r in csv.DictReader(handle, delimiter="\t")
                )
    for path in (landing / "pos").glob("store_returns_*.csv"):
        if ".redelivery." not in path.name:
            with path.open(newline="") as handle:
                ids.update(
                    f"{r['transaction_id']}-{r['line_number']}" for r in csv.DictReader(handle)
                )
    return ids


def test_truth_return_lines_are_the_return_lines_in_the_files(sim_home):
    truth = pq.read_table(sim_home / "truth" / "return_lines.parquet").to_pylist()
    ids = [row["return_line_id"] for row in truth]

    assert len(ids) == len(set(ids))
    assert set(ids) == _initiating_line_ids(sim_home / "landing")
    assert {row["source"] for row in truth} == {"shopify", "amazon", "pos"}


def test_truth_lifecycle_timestamps_are_ordered(sim_home):
    truth = pq.read_table(sim_home / "truth" / "return_lines.parquet").to_pylist()
    stages = ["initiated_at", "label_created_at", "in_transit_at", "delivered_at", "received_at",
              "inspected_at"]  # fmt: skip
    resolved = [row for row in truth if row["resolved_at"] is not None]

    assert resolved, "the run should resolve some lines"
    for row in truth:
        present = [row[s] for s in stages if row[s] is not None]
        assert present == sorted(present), row
        if row["resolved_at"] is not None:
            assert row["received_at"] is not None, row
            assert row["initiated_at"] <= row["received_at"] <= row["resolved_at"], row
        if row["inventory_updated_at"] is not None and not row["restocked_before_inspection"]:
            assert row["inspected_at"] <= row["inventory_updated_at"], row


@pytest.mark.parametrize("days", [0, -3])
def test_simulate_rejects_fewer_than_one_day(tmp_path, days):
    with pytest.raises(ValueError, match="days"):
        simulate(tmp_path, days=days, scale=SCALE, seed=SEED)
    assert not (tmp_path / "landing").exists()


def test_simulate_rejects_a_scale_of_zero(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        simulate(tmp_path, days=3, scale=0, seed=SEED)
