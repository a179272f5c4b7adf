"""Load landed files into `raw.*`: one transaction per file, every row landed or rejected.

For each file: a checksum already in `ops.load_log` means skip; otherwise the file is read with
DuckDB's own reader, every column cast by its contract, and, in one transaction, good rows go
to `raw.<source>__<entity>` with lineage columns, bad rows to `ops.rejects` with a reason, and
the counts to `ops.load_log`. A crash mid-file rolls the whole file back.
"""

from __future__ import annotations

import csv
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.contracts import TIMESTAMP_UTC, Column, Entity
from ingest.warehouse import connect, ensure_ops_schema


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


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _landed_type(column: Column) -> str:
    return "TIMESTAMP" if column.type == TIMESTAMP_UTC else column.type


INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}


def _typed(column: Column) -> str:
    raw = f"src.{_q(column.name)}"
    if column.type == TIMESTAMP_UTC:
        return f"timezone('UTC', try_cast({raw} as TIMESTAMPTZ))"
    if column.type.upper() in INTEGER_TYPES:
        # try_cast rounds '1.5' to 2: a whole number must be written as one to be one
        return (
            f"case when regexp_full_match(trim({raw}), '[+-]?[0-9]+') "
            f"then try_cast({raw} as {column.type}) end"
        )
    return f"try_cast({raw} as {column.type})"


class UnreadableFile(Exception):
    """The file as a whole breaks its contract: it is rejected with this reason."""


# Errors that mean "this file is not what its contract says": reject it whole. Any other
# error (I/O, memory, a lock) rolls back and leaves the file pending for the next run.
PARSE_ERRORS = (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.BinderException)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _csv_header(entity: Entity, path: Path) -> list[str]:
    """The file's header, read in Python: DuckDB's sniffer would cost more than the load."""
    delimiter = entity.csv_options.get("delim", ",")
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), [])
    if not header:
        raise UnreadableFile("empty file: no header line")
    return header


def _source_columns(entity: Entity, header: list[str] | None) -> list[str]:
    """Each contract column as an expression over the file's own column names."""
    if header is None:  # NDJSON: every name is read, the first present wins
        return [
            "coalesce(" + ", ".join(f"src.{_q(n)}" for n in c.names) + ")"
            if c.aliases
            else f"src.{_q(c.name)}"
            for c in entity.columns
        ]
    expressions, missing = [], []
    for c in entity.columns:
        present = next((n for n in c.names if n in header), None)
        if present is None and c.required:
            missing.append(" or ".join(c.names))
        expressions.append(f"src.{_q(present)}" if present else "cast(null as varchar)")
    if missing:
        raise UnreadableFile(f"missing required columns: {', '.join(missing)}")
    return expressions


def _reader(entity: Entity, header: list[str] | None) -> str:
    """The DuckDB table function that reads one file of this entity, every column as text/JSON."""
    if header is None:
        spec = ", ".join(
            f"{_literal(n)}: '{'JSON' if c.is_nested else 'VARCHAR'}'"
            for c in entity.columns
            for n in c.names
        )
        return f"read_json($file, format = 'newline_delimited', columns = {{{spec}}})"
    options = {"delim": ",", "quote": '"', "escape": '"'} | entity.csv_options
    rendered = "".join(f", {k} = {_literal(v)}" for k, v in options.items())
    columns = ", ".join(f"{_literal(name)}: 'VARCHAR'" for name in header)
    return f"read_csv($file, header = true, auto_detect = false{rendered}, columns = {{{columns}}})"


def _staging_query(entity: Entity, header: list[str] | None) -> str:
    """Read, cast once, explain every failed cast; raw text is rendered for bad rows only."""
    typed_names = [_q(f"__typed_{n}") for n in range(len(entity.columns))]
    reasons = []
    for c, typed in zip(entity.columns, typed_names, strict=True):
        raw = _q(c.name)
        if c.required:
            reasons.append(f"case when {raw} is null then 'missing required field {c.name}' end")
        reasons.append(
            f"case when {raw} is not null and {typed} is null "
            f"then '{c.name}: cannot read ' || left({raw}::varchar, 60) || ' as "
            f"{_landed_type(c).split('(')[0]}' end"
        )
    renamed = ", ".join(
        f"{expr} as {_q(c.name)}"
        for c, expr in zip(entity.columns, _source_columns(entity, header), strict=True)
    )
    casts = ", ".join(
        f"{_typed(c)} as {typed}" for c, typed in zip(entity.columns, typed_names, strict=True)
    )
    landed = ", ".join(
        f"{typed} as {_q(c.name)}" for c, typed in zip(entity.columns, typed_names, strict=True)
    )
    raw_struct = ", ".join(f"{_q(c.name)} := {_q(c.name)}" for c in entity.columns)
    return f"""
        with src as (
            select row_number() over () as _row, {renamed}
            from {_reader(entity, header)} as src
        ),
        typed as (
            select src.*, {casts} from src
        ),
        explained as (
            select *, nullif(concat_ws('; ', {", ".join(reasons)}), '') as _reason from typed
        )
        select
            _row,
            {landed},
            _reason,
            case when _reason is not null
                then to_json(struct_pack({raw_struct}))::varchar end as _raw_text
        from explained
    """


def _ensure_raw_table(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    columns = ", ".join(f"{_q(c.name)} {_landed_type(c)}" for c in entity.columns)
    con.execute(
        f"create table if not exists raw.{entity.table} ({columns}, _file varchar not null,"
        " _row bigint not null, _loaded_at timestamp not null, _batch_id varchar not null)"
    )


def _already_loaded(con: duckdb.DuckDBPyConnection, entity: Entity, checksum: str) -> bool:
    row = con.execute(
        "select count(*) from ops.load_log where entity = ? and checksum = ?",
        [entity.table, checksum],
    ).fetchone()
    return bool(row and row[0])


def _log(con, entity: Entity, batch_id: str, name: str, checksum: str, outcome: FileOutcome,
         started_at: datetime) -> None:  # fmt: skip
    con.execute(
        "insert into ops.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [batch_id, entity.source, entity.table, name, checksum, outcome.status, outcome.read,
         outcome.landed, outcome.rejected, outcome.reason, started_at, _now()],
    )  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _land(con, entity: Entity, path: Path, name: str, started_at: datetime, batch_id: str):
    """Stage the file, then write its good rows to raw and its bad rows to ops.rejects."""
    header = _csv_header(entity, path) if entity.format == "csv" else None
    query = _staging_query(entity, header)
    con.execute(f"create or replace temp table _incoming as {query}", {"file": str(path)})
    names = ", ".join(_q(c.name) for c in entity.columns)
    con.execute(
        f"insert into raw.{entity.table} select {names}, ?, _row, ?, ? "
        "from _incoming where _reason is null order by _row",
        [name, started_at, batch_id],
    )
    con.execute(
        "insert into ops.rejects select ?, ?, ?, ?, _row, _raw_text, _reason, ? "
        "from _incoming where _reason is not null order by _row",
        [batch_id, entity.source, entity.table, name, started_at],
    )
    read, rejected = con.execute("select count(*), count(_reason) from _incoming").fetchone()
    con.execute("drop table _incoming")
    return FileOutcome(name, "loaded", read, read - rejected, rejected)


def _load_file(con, entity: Entity, path: Path, name: str, checksum: str, batch_id: str):
    started_at = _now()
    con.execute("begin transaction")
    try:
        outcome = _land(con, entity, path, name, started_at, batch_id)
        _log(con, entity, batch_id, name, checksum, outcome, started_at)
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
    _log(con, entity, batch_id, name, checksum, outcome, started_at)
    con.execute(
        "insert into ops.rejects values (?, ?, ?, ?, null, null, ?, ?)",
        [batch_id, entity.source, entity.table, name, reason, started_at],
    )
    con.execute("commit")
    return outcome


def pending_files(entity: Entity, landing: Path) -> list[Path]:
    return sorted((landing / entity.source).glob(entity.pattern))


def load_new_files(warehouse: Path, entity: Entity, landing: Path) -> LoadResult:
    """Load every file of `entity` under `landing/<source>/` not loaded before (by checksum)."""
    result = LoadResult(entity.table)
    batch_id = uuid.uuid4().hex
    with connect(warehouse) as con:
        ensure_ops_schema(con)
        _ensure_raw_table(con, entity)
        for path in pending_files(entity, landing):
            name = path.relative_to(landing).as_posix()
            checksum = file_checksum(path)
            if _already_loaded(con, entity, checksum):
                result.outcomes.append(FileOutcome(name, "skipped"))
                continue
            result.outcomes.append(_load_file(con, entity, path, name, checksum, batch_id))
    return result
