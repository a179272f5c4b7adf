"""Where everything lives: one root, `RETURNOPS_HOME` (default `./data`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def truth(self) -> Path:
        return self.home / "truth"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def serving_dir(self) -> Path:
        return self.home / "serving"

    @property
    def serving(self) -> Path:
        return self.serving_dir / "marts.duckdb"

    @property
    def exports(self) -> Path:
        return self.home / "exports"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"


def returnops_home() -> Path:
    """The data root, absolute, read from the environment at call time."""
    return Path(os.environ.get("RETURNOPS_HOME", "data")).expanduser().resolve()


def get_paths(home: Path | str | None = None) -> Paths:
    return Paths(Path(home).expanduser().resolve() if home else returnops_home())
