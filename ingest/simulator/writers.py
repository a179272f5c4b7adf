"""Landing files, one writer per format: NDJSON payloads, CSV exports, Amazon's tab-separated
reports. A day's records are buffered per file and written when the day ends, so a file holds
exactly the records its source recorded that day, in the order they were recorded.

CSV values are written unquoted: the simulator only produces values without delimiters,
quotes or line breaks (tests parse every file with the csv module to keep it so).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.contracts import Entity


@dataclass
class FileBuffer:
    """One landing file being filled: its records as text lines, without line ends."""

    entity: Entity
    path: str  # relative to the landing dir, e.g. "shopify/orders_2026-01-05.ndjson"
    lines: list[str] = field(default_factory=list)
    # a re-delivered partial copy ends mid-record: its last line has no line end
    cut_last_line: bool = False

    @property
    def delimiter(self) -> str:
        return self.entity.csv_options.get("delim", ",")

    @property
    def header(self) -> str | None:
        if self.entity.format != "csv":
            return None
        return self.delimiter.join(c.name for c in self.entity.columns)

    def chunks(self, size: int = 20_000) -> Iterator[bytes]:
        """The file's bytes, a few thousand lines at a time (a day at scale 100 is big)."""
        lines = ([self.header] if self.header is not None else []) + self.lines
        for start in range(0, len(lines), size):
            part = lines[start : start + size]
            last = start + size >= len(lines)
            text = "\n".join(part) + ("" if last and self.cut_last_line else "\n")
            # lone surrogates are how an injected invalid-UTF-8 line carries its raw bytes
            yield text.encode("utf-8", "surrogateescape")


# one encoder for the run: json.dumps with options would build a new one per record
ndjson_line = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def delimited_line(values: list, delimiter: str = ",") -> str:
    """Values are str or int; None is written as an empty field."""
    if None in values:
        values = ["" if v is None else v for v in values]
    return delimiter.join(map(str, values))


class Landing:
    """The landing zone of one day: add records per file, then `flush` them to disk."""

    def __init__(self, root: Path):
        self.root = root
        self.buffers: dict[str, FileBuffer] = {}
        self.files_written = 0
        self.records_written = 0

    def _buffer(self, entity: Entity, filename: str) -> FileBuffer:
        path = f"{entity.source}/{filename}"
        buffer = self.buffers.get(path)
        if buffer is None:
            buffer = self.buffers[path] = FileBuffer(entity, path)
        return buffer

    def add(self, entity: Entity, filename: str, record: dict | list) -> str:
        """Append one record (a JSON payload, or a CSV row in contract column order).

        Returns the serialized line, so a duplicate delivery can repeat it byte for byte."""
        buffer = self._buffer(entity, filename)
        if entity.format == "ndjson":
            line = ndjson_line(record)  # type: ignore[arg-type]
        else:
            line = delimited_line(record, buffer.delimiter)  # type: ignore[arg-type]
        buffer.lines.append(line)
        return line

    def lines(self, entity: Entity, filename: str) -> list[str]:
        """The line list of a file of today, for a writer that formats its own lines."""
        return self._buffer(entity, filename).lines

    def add_line(self, entity: Entity, filename: str, line: str) -> None:
        """Append an already serialized record (a re-delivered webhook)."""
        self._buffer(entity, filename).lines.append(line)

    def take(self) -> list[FileBuffer]:
        """The day's buffers, in path order; the landing starts a new day empty."""
        buffers = [self.buffers[p] for p in sorted(self.buffers)]
        self.buffers = {}
        return buffers

    def write(self, buffers: list[FileBuffer]) -> None:
        for buffer in buffers:
            if not buffer.lines:
                continue
            target = self.root / buffer.path
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as handle:
                for chunk in buffer.chunks():
                    handle.write(chunk)
            self.files_written += 1
            self.records_written += len(buffer.lines)
