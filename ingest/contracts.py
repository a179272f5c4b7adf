"""Source contracts: what a landed file must contain, column by column.

A contract is data, not code: the loader turns it into one DuckDB query that reads the file,
casts every column and sorts each row into landed or rejected (with a reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# A column typed TIMESTAMP_UTC accepts ISO 8601 with any offset and lands as a naive UTC
# timestamp, so results never depend on the session time zone of whoever runs the load.
TIMESTAMP_UTC = "TIMESTAMP_UTC"

FileFormat = Literal["ndjson", "csv"]


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    description: str = ""
    # other names the same field goes by in real files (e.g. Amazon's `amazon-order-id`)
    aliases: tuple[str, ...] = ()
    # the only values a scalar column may take (an enum); empty means any value
    allowed: tuple[str, ...] = ()
    # the smallest value a numeric column may take, e.g. 0 for quantities and amounts
    minimum: int | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def is_nested(self) -> bool:
        return self.type.endswith("[]") or self.type.upper().startswith("STRUCT")


@dataclass(frozen=True)
class Entity:
    """One kind of file from one source, landing in `raw.<source>__<name>`."""

    source: str
    name: str
    pattern: str
    format: FileFormat
    columns: tuple[Column, ...]
    description: str = ""
    # extra read_csv options, e.g. {"delim": "\t"} for tab-separated reports
    csv_options: dict[str, str] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return f"{self.source}__{self.name}"

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)
