"""Load landed files into `raw.*`: one transaction per file, every row landed or rejected.

For each file: a checksum already in `ops.load_log` means skip; otherwise, in one transaction,
its good rows go to `raw.<source>__<entity>` with lineage columns, its bad rows to
`ops.rejects` with their row number, raw text and reason, and its counts to `ops.load_log`
(`rows_read = rows_landed + rows_rejected`). A file that cannot be read at all is rejected
whole, with a reason, and the next file is loaded. Any other error (I/O, memory, a kill) rolls
the file back: nothing of it stays, and the next run loads it completely.

The files are checksummed first, before the warehouse is opened. Then the pending files of
the entity are read together, a batch at a time, by one call of DuckDB's own reader into a
temporary table: every row cast and checked once, its reason kept when it breaks a rule. Each
file of the batch whose every line became one row is then written in its own transaction from
that table. A file the reader refuses, or with a line that gave no row (blank, broken CSV,
invalid UTF-8), is staged on its own, line by line (`ingest.readers`); the casts and rules are
in `ingest.checks`.
"""

from __future__ import annotations

import queue
import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb

from ingest import readers
from ingest.checks import landed_type, q
from ingest.contracts import Entity
from ingest.readers import FileScan, UnreadableFile, scan_file
from ingest.warehouse import connect, ensure_ops_schema

__all__ = ["FileOutcome", "LoadResult", "UnreadableFile", "load_new_files", "pending_files"]


@dataclass(frozen=True)
class FileOutcome:
    file: str
    status: str  # loaded | rejected | skipped
    read: int = 0
    landed: int = 0
    rejected: int = 0
    reason: str | None = None


@dataclass
class LoadResult:
    table: str
    outcomes: list[FileOutcome] = field(default_factory=list)

    def _of(self, status: str) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def files(self) -> int:
        return len(self._of("loaded")) + len(self._of("rejected"))

    @property
    def skipped_files(self) -> int:
        return len(self._of("skipped"))

    @property
    def rejected_files(self) -> int:
        return len(self._of("rejected"))

    @property
    def read(self) -> int:
        return sum(o.read for o in self.outcomes)

    @property
    def landed(self) -> int:
        return sum(o.landed for o in self.outcomes)

    @property
    def rejected(self) -> int:
        return sum(o.rejected for o in self.outcomes)


# Errors that mean "this file is not what its contract says": reject it whole. Any other
# error (I/O, memory, a lock) rolls back and leaves the file pending for the next run.
PARSE_ERRORS = (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.BinderException)

# Per-file commits go to the write-ahead log. DuckDB checkpoints it into the database file
# every 16 MB by default, rewriting the table's last row group each time: with many small files
# that costs more than the load itself. The loader checkpoints once, when it closes.
CHECKPOINT_THRESHOLD = "1GB"


def _ensure_raw_table(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    columns = ", ".join(f"{q(c.name)} {landed_type(c)}" for c in entity.columns)
    con.execute(
        f"create table if not exists raw.{q(entity.table)} ({columns}, _file varchar not null,"
        " _row bigint not null, _loaded_at timestamp not null, _batch_id varchar not null)"
    )


def _loaded_checksums(con: duckdb.DuckDBPyConnection, entity: Entity) -> set[str]:
    rows = con.execute("select checksum from ops.load_log where entity = ?", [entity.table])
    return {checksum for (checksum,) in rows.fetchall()}


def _log(con, entity: Entity, batch_id: str, name: str, checksum: str, outcome: FileOutcome,
         started_at: datetime) -> None:  # fmt: skip
    con.execute(
        "insert into ops.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [batch_id, entity.source, entity.table, name, checksum, outcome.status, outcome.read,
         outcome.landed, outcome.rejected, outcome.reason, started_at, _now()],
    )  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _lineage(name: str, started_at: datetime, batch_id: str) -> dict:
    return {"file_name": name, "loaded_at": started_at, "batch_id": batch_id}


def _insert_good(entity: Entity, rows: str, row: str = "_row") -> str:
    names = ", ".join(q(c.name) for c in entity.columns)
    return (
        f"insert into raw.{q(entity.table)} "
        f"select {names}, $file_name, {row}, $loaded_at, $batch_id from ({rows}) as good"
    )


@dataclass(frozen=True)
class Pending:
    """A file to load, scanned; `header` is a CSV file's header line, if it has one."""

    path: Path
    name: str
    scan: FileScan
    header: tuple[str, ...] | None = None

    @property
    def records(self) -> int:
        """Rows the file holds if every line is one (CSV: less the header line)."""
        return self.scan.lines - (1 if self.header is not None else 0)


@dataclass(frozen=True)
class Staged:
    """A file of the batch in `table` whose every line became one row: its rows are those with
    `rowid` in (`offset`, `offset + rows`], in the order of its lines; `rejected` of them have a
    reason."""

    table: str
    file_index: int
    offset: int
    rows: int
    rejected: int


# A batch reads the pending files of an entity in one call, up to this many bytes of them.
BATCH_BYTES = 32 << 20
# Files written at the same time, each in its own transaction on its own connection.
WRITERS = 2
FILE_NAMED = re.compile(r'in file "(.*?)"')


def _batchable(entity: Entity, item: Pending) -> bool:
    return (
        not item.scan.binary
        and item.scan.lines > 0
        and (entity.format == "ndjson" or item.header is not None)
    )


def _batches(entity: Entity, items: list[Pending]) -> Iterator[list[Pending]]:
    """Files that can be read together, in order: one header per batch, BATCH_BYTES at most."""
    groups: dict[tuple[str, ...] | None, list[Pending]] = {}
    for item in items:
        if _batchable(entity, item):
            groups.setdefault(item.header, []).append(item)
    for group in groups.values():
        batch, size = [], 0
        for item in group:
            if batch and size + item.scan.size > BATCH_BYTES:
                yield batch
                batch, size = [], 0
            batch.append(item)
            size += item.scan.size
        if batch:
            yield batch


def _stage_batch(con, entity: Entity, batch: list[Pending], table: str) -> dict[str, Staged]:
    """Read the batch into `table` in one call; the files whose every line became a row.
    A file the reader refuses is left out, and so is one with a line that gave no row (a blank
    or broken CSV line): those are staged on their own, line by line."""
    if entity.format == "ndjson":
        source = readers.ndjson_batch(entity)
    else:
        source = readers.csv_batch(entity, list(batch[0].header or ()))
    query = f"create or replace table {table} as {readers.batch_rows(entity, source)}"
    files = list(batch)
    while files:
        try:
            con.execute(query, {"files": [str(item.path) for item in files]})
            break
        except PARSE_ERRORS as error:
            named = FILE_NAMED.search(str(error))
            refused = [item for item in files if named and str(item.path) == named.group(1)]
            if not refused:
                return {}  # no file to blame: stage each on its own
            files.remove(refused[0])
    else:
        return {}
    stats = con.execute(
        f"select file_index, min(rowid) - 1, count(*), count(_reason) from {table} group by 1"
    ).fetchall()
    found = {int(index): (int(offset), int(rows), int(bad)) for index, offset, rows, bad in stats}
    staged = {}
    for index, item in enumerate(files):
        offset, rows, rejected = found.get(index, (0, 0, 0))
        if rows == item.records:
            staged[item.name] = Staged(table, index, offset, rows, rejected)
    return staged


def _land_batched(con, entity: Entity, path: Path, lineage: dict, staged: Staged) -> None:
    """Insert the file's rows from the batch table: the good ones to raw, the others to rejects
    with their line as it is in the file."""
    rows = f"select *, rowid - {staged.offset} as _row from {staged.table}"
    rows += f" where file_index = {staged.file_index}"
    con.execute(_insert_good(entity, f"{rows} and _reason is null"), lineage)
    if not staged.rejected:
        return
    bad = con.execute(f"{rows} and _reason is not null order by _row").fetchall()
    numbers, reasons = [row[-1] for row in bad], [row[-2] for row in bad]
    lines = path.read_bytes().split(b"\n")
    skip = 1 if entity.format == "csv" else 0  # the header line
    texts = [lines[n - 1 + skip].rstrip(b"\r").decode(errors="replace") for n in numbers]
    con.execute(
        "insert into ops.rejects select $batch_id, $source, $entity, $file_name,"
        " unnest($rows), unnest($texts), unnest($reasons), $loaded_at",
        {
            **lineage,
            "source": entity.source,
            "entity": entity.table,
            "rows": numbers,
            "texts": texts,
            "reasons": reasons,
        },
    )


def _stage_ndjson(con, entity: Entity, path: Path) -> None:
    data = path.read_bytes()
    text, bad_lines = readers.decode_lines(data)
    source = readers.ndjson_lines(entity)
    con.execute(
        f"create or replace temp table _incoming as {readers.checked_rows(entity, source)}",
        {"text": text, "bad_lines": bad_lines},
    )
    (parsed,) = con.execute(
        "select count(*) filter (where _reason is null or _reason not in $line_reasons)"
        " from _incoming",
        {"line_reasons": list(readers.LINE_REASONS)},
    ).fetchone()
    if not parsed:
        raise UnreadableFile("no line is a JSON object" if data.strip() else "empty file")


def _stage_csv(con, entity: Entity, path: Path, header: list[str]) -> None:
    for table in (readers.CSV_ERRORS, readers.CSV_SCANS):
        con.execute(f"drop table if exists temp.{table}")
    source = readers.csv_records(entity, header)
    con.execute(
        f"create or replace temp table _read as {readers.checked_rows(entity, source)}",
        {"file": str(path)},
    )
    con.execute(
        f"create or replace temp table _incoming as {readers.csv_numbered(entity)}",
        {"blank_lines": readers.blank_lines(path.read_bytes())},
    )
    for table in ("_read", readers.CSV_ERRORS, readers.CSV_SCANS):
        con.execute(f"drop table if exists temp.{table}")


def _land_staged(con, entity: Entity, path: Path, name: str, lineage: dict) -> FileOutcome:
    """Stage the file row by row, then write its good rows to raw and its bad rows to rejects."""
    if entity.format == "ndjson":
        _stage_ndjson(con, entity, path)
    else:
        _stage_csv(con, entity, path, readers.csv_header(entity, path))
    con.execute(_insert_good(entity, "select * from _incoming where _reason is null"), lineage)
    con.execute(
        "insert into ops.rejects select $batch_id, $source, $entity, $file_name, _row, _raw_text,"
        " _reason, $loaded_at from _incoming where _reason is not null order by _row",
        {**lineage, "source": entity.source, "entity": entity.table},
    )
    read, rejected = con.execute("select count(*), count(_reason) from _incoming").fetchone()
    con.execute("drop table _incoming")
    return FileOutcome(name, "loaded", read, read - rejected, rejected)


def _land(
    con,
    entity: Entity,
    path: Path,
    name: str,
    started_at: datetime,
    batch_id: str,
    scan: FileScan,
    staged: Staged | None = None,
) -> FileOutcome:
    """Write the file's rows in the open transaction: landed, or rejected with a reason."""
    if scan.binary:
        raise UnreadableFile("binary file: it holds NUL bytes")
    if scan.lines == 0:
        raise UnreadableFile("empty file")
    lineage = _lineage(name, started_at, batch_id)
    if staged is None:
        return _land_staged(con, entity, path, name, lineage)
    _land_batched(con, entity, path, lineage, staged)
    read, rejected = staged.rows, staged.rejected
    return FileOutcome(name, "loaded", read, read - rejected, rejected)


def _load_file(con, entity: Entity, item: Pending, batch_id: str, staged: Staged | None):
    """Load one file in its own transaction on `con`; its outcome."""
    path, name, scan = item.path, item.name, item.scan
    started_at = _now()
    con.execute("begin transaction")
    try:
        outcome = _land(con, entity, path, name, started_at, batch_id, scan, staged)
        _log(con, entity, batch_id, name, scan.checksum, outcome, started_at)
        con.execute("commit")
        return outcome
    except (UnreadableFile, *PARSE_ERRORS) as error:
        con.execute("rollback")
        detail = str(error).splitlines()[0][:300]
        reason = f"file cannot be read as {entity.format}: {detail}"
    except BaseException:
        # anything else (I/O, memory, interrupt): nothing of the file stays; it stays pending
        con.execute("rollback")
        raise
    outcome = FileOutcome(name, "rejected", reason=reason)
    con.execute("begin transaction")
    _log(con, entity, batch_id, name, scan.checksum, outcome, started_at)
    con.execute(
        "insert into ops.rejects values (?, ?, ?, ?, null, null, ?, ?)",
        [batch_id, entity.source, entity.table, name, reason, started_at],
    )
    con.execute("commit")
    return outcome


def pending_files(entity: Entity, landing: Path) -> list[Path]:
    return sorted((landing / entity.source).glob(entity.pattern))


def _header(entity: Entity, path: Path, scan: FileScan) -> tuple[str, ...] | None:
    if entity.format != "csv" or scan.binary or scan.lines == 0:
        return None
    try:
        header = readers.csv_header(entity, path)
        readers.csv_columns(entity, header)
    except UnreadableFile:
        return None  # rejected whole when its turn comes
    return tuple(header)


class _Writers:
    """Connections that write files, each in its own transaction, a few at a time: while one
    waits for its commit to reach the disk, another inserts."""

    def __init__(self, con: duckdb.DuckDBPyConnection, count: int) -> None:
        self.pool = ThreadPoolExecutor(count, thread_name_prefix="returnops-loader")
        self.idle: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        self.connections = [con.cursor() for _ in range(count)]
        for writer in self.connections:
            writer.execute("set TimeZone = 'UTC'")
            self.idle.put(writer)

    def _write(self, load: Callable[[duckdb.DuckDBPyConnection], FileOutcome]) -> FileOutcome:
        writer = self.idle.get()
        try:
            return load(writer)
        finally:
            self.idle.put(writer)

    def write_all(self, loads: dict[str, Callable]) -> dict[str, FileOutcome]:
        """Run every load; on an error, start no more of them, let the running ones finish and
        raise it."""
        futures = {name: self.pool.submit(self._write, load) for name, load in loads.items()}
        wait(futures.values(), return_when=FIRST_EXCEPTION)
        for future in futures.values():
            future.cancel()
        wait(futures.values())
        for future in futures.values():
            if not future.cancelled() and future.exception() is not None:
                raise future.exception()
        return {name: future.result() for name, future in futures.items()}

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)
        for writer in self.connections:
            writer.close()


def _loads(entity: Entity, items: list[Pending], batch_id: str, staged: dict[str, Staged]):
    """For each file, what loads it given a connection."""
    load = partial(_load_file, entity=entity, batch_id=batch_id)
    return {item.name: partial(load, item=item, staged=staged.get(item.name)) for item in items}


def load_new_files(warehouse: Path, entity: Entity, landing: Path) -> LoadResult:
    """Load every file of `entity` under `landing/<source>/` not loaded before (by checksum)."""
    result = LoadResult(entity.table)
    batch_id = uuid.uuid4().hex
    # checksums first, while no transaction (nor the warehouse) is held
    scanned = []
    for path in pending_files(entity, landing):
        scan = scan_file(path)
        name = path.relative_to(landing).as_posix()
        scanned.append(Pending(path, name, scan, _header(entity, path, scan)))
    with connect(warehouse) as con:
        con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        ensure_ops_schema(con)
        _ensure_raw_table(con, entity)
        seen = _loaded_checksums(con, entity)
        outcomes: dict[str, FileOutcome] = {}
        todo = []
        for item in scanned:
            if item.scan.checksum in seen:
                outcomes[item.name] = FileOutcome(item.name, "skipped")
            else:
                seen.add(item.scan.checksum)  # the same bytes twice in one run: load once
                todo.append(item)
        # the batch table lives in memory, seen by every writer: no disk, no WAL
        stage = f"returnops_stage_{batch_id}"
        con.execute(f"attach ':memory:' as {stage}")
        writers = _Writers(con, WRITERS)
        try:
            for batch in _batches(entity, todo):
                staged = _stage_batch(con, entity, batch, f"{stage}.main.batch")
                outcomes |= writers.write_all(_loads(entity, batch, batch_id, staged))
            # the files no batch could read: each on its own
            rest = [item for item in todo if item.name not in outcomes]
            outcomes |= writers.write_all(_loads(entity, rest, batch_id, {}))
        finally:
            writers.close()
            con.execute(f"detach {stage}")
    result.outcomes = [outcomes[item.name] for item in scanned]
    return result
