"""Channel stock snapshot lines, written into `<landing>/channel_stock/` for ingest to load.

The lines follow `ingest.sources.channel_stock.SNAPSHOTS` exactly. Both write-back acks
(origin `writeback_ack`) and the sandbox's pulls (origin `pull`) use this one writer. A file
appears whole: it is written under a name the loader's `*.ndjson` pattern does not match, then
renamed, so a concurrent load never reads half a file.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ingest.sources.channel_stock import SNAPSHOTS

Origin = Literal["pull", "writeback_ack"]
FIELDS = tuple(c.name for c in SNAPSHOTS.columns)


@dataclass(frozen=True)
class SnapshotLine:
    snapshot_id: str
    channel: str
    sku: str
    location_id: str | None
    quantity: int
    captured_at: str  # ISO 8601 with offset, as the contract's TIMESTAMP_UTC expects
    origin: Origin
    correction_id: str | None = None


assert tuple(f for f in SnapshotLine.__dataclass_fields__) == FIELDS, "contract drifted"


def iso_utc(moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:  # naive timestamps in this project are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def unique_stem(prefix: str) -> str:
    """`<prefix>_<UTC time>_<random>`: sorts by time and never collides."""
    return f"{prefix}_{datetime.now(UTC):%Y%m%dT%H%M%S%f}_{uuid.uuid4().hex[:8]}"


def write_snapshot_file(landing: Path, stem: str, lines: Iterable[SnapshotLine]) -> Path | None:
    """Write the lines to `<landing>/channel_stock/<stem>.ndjson`; None when there are none."""
    text = "".join(json.dumps(asdict(line), separators=(",", ":")) + "\n" for line in lines)
    if not text:
        return None
    folder = landing / SNAPSHOTS.source
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{stem}.ndjson"
    partial = folder / f".{stem}.ndjson.partial"
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, final)
    return final
