"""Simulate the fashion retailer: `simulate(home, days, scale, seed)`.

Writes every source's files in their real formats into `home/landing/<source>/`, and the
ground truth (Parquet) into `home/truth/`, from the simulator's own state as it generates it
(never by reading its output back). Same seed and arguments: byte-identical files.
The work lives in the `ingest.simulator` package; its README documents scenario and truth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.simulator.engine import Engine
from ingest.simulator.params import Scenario

__all__ = ["Scenario", "SimulationSummary", "simulate"]


@dataclass(frozen=True)
class SimulationSummary:
    days: int
    orders: int
    return_lines: int
    files: int
    records: int
    problems: int
    injected_rejects: int
    landing: Path
    truth: Path


def simulate(
    home: Path,
    days: int = 60,
    scale: float = 1.0,
    seed: int = 7,
    scenario: Scenario | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SimulationSummary:
    """Generate `days` of operations into `home/landing` and the truth into `home/truth`.

    `scale` 1 is about 830 orders a day; `progress(done_days, days)` is called after each day.
    """
    if days < 1 or scale <= 0:
        raise ValueError(f"days must be >= 1 and scale > 0 (got days={days}, scale={scale})")
    home = Path(home)
    engine = Engine(home / "landing", home / "truth", days, scale, seed, scenario or Scenario())
    engine.run(progress)
    return SimulationSummary(
        days=days,
        orders=engine.sales.orders,
        return_lines=engine.returns.lines_written,
        files=engine.landing.files_written,
        records=engine.landing.records_written,
        problems=engine.problems.count,
        injected_rejects=engine.injector.rejects,
        landing=home / "landing",
        truth=home / "truth",
    )
