"""Reading landed files with DuckDB's own readers, and the SQL that checks every row read.

Every file is first scanned in Python, outside any transaction: its SHA-256, its size, its
physical lines and whether it holds NUL bytes (binary). Then it is read one of two ways:

- in a batch: `read_json` / `read_csv` over many files of the entity in one call (`file_index`
  tells them apart), every column as text (nested columns in their text shape, see
  `ingest.checks`), each row cast and checked once, into a table. A file whose every line
  became one row is written from there; its rejected rows get their line back from the file.
- line by line, for the other files (the reader refused the file, or a line gave no row):
  - CSV: `read_csv` with `store_rejects`, so a line with the wrong number of fields, a broken
    quote or invalid UTF-8 becomes one rejected row with DuckDB's own line number and text;
  - NDJSON: the file's lines (decoded in Python, bad UTF-8 replaced and remembered), each
    checked with `json_valid` and read with `json_transform`, shapes checked on the JSON.

Row numbers: NDJSON rows are physical lines (1-based); CSV rows count lines after the header,
as DuckDB counts them (a quoted value spanning lines is one line). Blank lines are skipped and
not counted as read.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ingest import checks
from ingest.checks import Check, literal, q
from ingest.contracts import Column, Entity


class UnreadableFile(Exception):
    """The file as a whole breaks its contract: it is rejected with this reason."""


@dataclass(frozen=True)
class FileScan:
    checksum: str  # SHA-256 of the bytes
    size: int  # bytes
    lines: int  # physical lines; a last line without a newline counts
    binary: bool  # holds NUL bytes: not a text file


def scan_file(path: Path) -> FileScan:
    digest, size, newlines, binary, last = hashlib.sha256(), 0, 0, False, b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            newlines += chunk.count(b"\n")
            binary = binary or b"\x00" in chunk
            last = chunk[-1:]
    lines = newlines + (1 if last not in (b"", b"\n") else 0)
    return FileScan(digest.hexdigest(), size, lines, binary)


# ---------------------------------------------------------------------------------------------
# the contract over a source query


@dataclass(frozen=True)
class Source:
    """A query giving each contract column as read (`__raw_<i>`), `_row` (the row's number; for
    CSV records, their count) or, for a batch, `file_index`, and what else the checks and the
    raw text need."""

    sql: str
    line_reason: str | None = None  # a column: why the whole line was refused (NDJSON)
    raw_text: str | None = None  # SQL over the source's columns: the row's text, for rejects
    json: bool = False  # nested columns also as JSON text (`__json_<i>`), shapes checked


def _raw(i: int) -> str:
    return q(f"__raw_{i}")


def _typed(i: int) -> str:
    return q(f"__typed_{i}")


def _checks(entity: Entity, source: Source) -> list[Check]:
    found = []
    for i, column in enumerate(entity.columns):
        json = q(f"__json_{i}") if source.json and column.is_nested else None
        found += checks.checks(column, _raw(i), _typed(i), present=json)
        if json:
            found += checks.shape_checks(column, json)
    return found


def _typed_source(entity: Entity, source: Source) -> str:
    casts = ", ".join(
        f"{checks.typed(c, _raw(i))} as {_typed(i)}" for i, c in enumerate(entity.columns)
    )
    return f"(select *, {casts} from ({source.sql}) as src) as typed"


def _landed_columns(entity: Entity) -> str:
    return ", ".join(f"{_typed(i)} as {q(c.name)}" for i, c in enumerate(entity.columns))


def _reason(entity: Entity, source: Source) -> str:
    explained = ", ".join(c.explained for c in _checks(entity, source))
    reason = f"nullif(concat_ws('; ', {explained}), '')"
    return f"coalesce({source.line_reason}, {reason})" if source.line_reason else reason


def batch_rows(entity: Entity, source: Source) -> str:
    """Every row of a batch read: `file_index`, the typed contract columns and `_reason` (NULL
    when the row is good). Stored in a table, in the order read, its `rowid` numbers the rows:
    a window such as `row_number() over ()` would number them too, on one thread only."""
    return (
        f"select file_index, {_landed_columns(entity)}, {_reason(entity, source)} as _reason "
        f"from {_typed_source(entity, source)}"
    )


def checked_rows(entity: Entity, source: Source) -> str:
    """Every row: `_row`, the typed columns, `_reason` (NULL when good) and `_raw_text`."""
    reason = _reason(entity, source)
    raw_text = source.raw_text or "null"
    casts = ", ".join(
        f"{checks.typed(c, _raw(i))} as {_typed(i)}" for i, c in enumerate(entity.columns)
    )
    # materialized steps: inlined, every reference to a column would repeat its expression
    return f"""
        with src as materialized ({source.sql}),
        typed as materialized (select *, {casts} from src)
        select _row, {", ".join(q(c.name) for c in entity.columns)}, _reason,
               case when _reason is not null then {raw_text} end as _raw_text
        from (
            select *, {_landed_columns(entity)}, {reason} as _reason from typed
        ) as checked
    """


# ---------------------------------------------------------------------------------------------
# NDJSON


def _ndjson_columns(entity: Entity) -> dict[str, str]:
    """Every name a contract column goes by -> the type the reader hands it over as."""
    return {name: checks.read_type(c) for c in entity.columns for name in c.names}


def _first_of(values: list[str]) -> str:
    """SQL: the first of `values` that is not NULL (a column and its aliases)."""
    return values[0] if len(values) == 1 else f"coalesce({', '.join(values)})"


def ndjson_batch(entity: Entity) -> Source:
    """`read_json` of the files bound as `$files`, in one call: one row per line, or an error
    naming the file."""
    spec = ", ".join(f"{literal(n)}: {literal(t)}" for n, t in _ndjson_columns(entity).items())
    renamed = ", ".join(
        f"{_first_of([f'src.{q(n)}' for n in c.names])} as {_raw(i)}"
        for i, c in enumerate(entity.columns)
    )
    return Source(
        f"select file_index, {renamed} "
        f"from read_json($files, format = 'newline_delimited', columns = {{{spec}}}) as src"
    )


_SURROGATES = re.compile("[\udc80-\udcff]")


def decode_lines(data: bytes) -> tuple[str, list[int]]:
    """The text of `data` with invalid UTF-8 replaced by U+FFFD, and the lines (1-based) where
    it was invalid."""
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="surrogateescape")
    bad, line, at = [], 1, 0
    for match in _SURROGATES.finditer(text):
        line += text.count("\n", at, match.start())
        at = match.start()
        if not bad or bad[-1] != line:
            bad.append(line)
    return _SURROGATES.sub("\ufffd", text), bad


def _json_structure(column: Column) -> str:
    """For `json_transform`: a scalar as VARCHAR, a nested column as JSON text."""
    return "JSON" if column.is_nested else "VARCHAR"


NOT_UTF8 = "line is not valid UTF-8"
NOT_JSON = "line is not valid JSON"
NOT_AN_OBJECT = "line is not a JSON object"
LINE_REASONS = (NOT_UTF8, NOT_JSON, NOT_AN_OBJECT)


def ndjson_lines(entity: Entity) -> Source:
    """Each line of `$text` (the file, decoded) checked on its own; `$bad_lines` are the lines
    that were not valid UTF-8."""
    structure = json.dumps({n: _json_structure(c) for c in entity.columns for n in c.names})
    columns = []
    for i, c in enumerate(entity.columns):
        value = _first_of([f"struct_extract(_j, {literal(n)})" for n in c.names])
        if c.is_nested:
            columns.append(f"{value} as {q(f'__json_{i}')}")
            columns.append(f"try_cast({value} as {checks.read_type(c)}) as {_raw(i)}")
        else:
            columns.append(f"{value} as {_raw(i)}")
    sql = f"""
        with lines as (
            select ordinality as _row, rtrim(line, chr(13)) as _line
            from unnest(string_split($text, chr(10))) with ordinality as t(line)
        ),
        judged as (
            select _row, _line,
                case
                    when list_contains($bad_lines::bigint[], _row) then {literal(NOT_UTF8)}
                    when not json_valid(_line) then {literal(NOT_JSON)}
                    when json_type(_line) <> 'OBJECT' then {literal(NOT_AN_OBJECT)}
                end as _line_reason
            from lines
            where not regexp_full_match(_line, '\\s*')
        ),
        parsed as (
            select *,
                case when _line_reason is null then json_transform(_line, {literal(structure)})
                end as _j
            from judged
        )
        select _row, _line, _line_reason, {", ".join(columns)} from parsed
    """
    return Source(sql, line_reason="_line_reason", raw_text="_line", json=True)


# ---------------------------------------------------------------------------------------------
# CSV


def csv_options(entity: Entity) -> dict[str, str]:
    return {"delim": ",", "quote": '"', "escape": '"'} | entity.csv_options


def csv_header(entity: Entity, path: Path) -> list[str]:
    """The file's header, read in Python: DuckDB's sniffer would cost more than the load."""
    options = csv_options(entity)
    quote = options["quote"]
    dialect = {"delimiter": options["delim"]}
    if quote:
        dialect |= {"quotechar": quote, "doublequote": options["escape"] == quote}
        if options["escape"] and options["escape"] != quote:
            dialect["escapechar"] = options["escape"]
    else:
        dialect |= {"quoting": csv.QUOTE_NONE}
    try:
        with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
            header = next(csv.reader(handle, **dialect), [])
    except csv.Error as error:
        raise UnreadableFile(f"no header line: {error}") from error
    if not header:
        raise UnreadableFile("empty file: no header line")
    return header


def csv_columns(entity: Entity, header: list[str]) -> list[int | None]:
    """For each contract column, its position in the header (the first of its names there)."""
    positions, missing = [], []
    for c in entity.columns:
        present = next((n for n in c.names if n in header), None)
        if present is None and c.required:
            missing.append(" or ".join(c.names))
        positions.append(header.index(present) if present is not None else None)
    if missing:
        raise UnreadableFile(f"missing required columns: {', '.join(missing)}")
    return positions


def _csv_sources(entity: Entity, header: list[str]) -> list[str]:
    """Each contract column as an expression over the file's own columns (`__col_<j>`)."""
    return [
        q(f"__col_{j}") if j is not None else "null::varchar" for j in csv_columns(entity, header)
    ]


def _read_csv(entity: Entity, header: list[str], extra: str = "", files: str = "$file") -> str:
    rendered = "".join(f", {k} = {literal(v)}" for k, v in csv_options(entity).items())
    columns = ", ".join(f"'__col_{j}': 'VARCHAR'" for j in range(len(header)))
    return (
        f"read_csv({files}, header = true, auto_detect = false{rendered}{extra}, "
        f"columns = {{{columns}}})"
    )


def _csv_line(entity: Entity, header: list[str]) -> str:
    """SQL: a row's fields written back as the file's line (quoted where they must be)."""
    options = csv_options(entity)
    delim, quote, escape = options["delim"], options["quote"], options["escape"]
    fields = []
    for j in range(len(header)):
        col = q(f"__col_{j}")
        if not quote:
            fields.append(f"coalesce({col}, '')")
            continue
        special = " or ".join(
            f"contains({col}, {s})" for s in (literal(delim), literal(quote), "chr(10)", "chr(13)")
        )
        quoted = f"{literal(quote)} || replace({col}, {literal(quote)}, {literal(escape + quote)})"
        fields.append(
            f"case when {col} is null then '' when {special} "
            f"then {quoted} || {literal(quote)} else {col} end"
        )
    return f"concat_ws({literal(delim)}, {', '.join(fields)})"


def csv_batch(entity: Entity, header: list[str]) -> Source:
    """`read_csv` of the files bound as `$files` (all with this header), in one call. A line it
    cannot read is skipped: its file then has fewer rows than lines, and is staged row by row."""
    renamed = ", ".join(f"{e} as {_raw(i)}" for i, e in enumerate(_csv_sources(entity, header)))
    reader = _read_csv(entity, header, ", ignore_errors = true", files="$files")
    return Source(f"select file_index, {renamed} from {reader}")


CSV_ERRORS, CSV_SCANS = "_returnops_csv_errors", "_returnops_csv_scans"


def csv_records(entity: Entity, header: list[str]) -> Source:
    """`read_csv` storing the lines it cannot read in `temp.<CSV_ERRORS>`; `_row` counts the
    records it could read."""
    renamed = ", ".join(f"{e} as {_raw(i)}" for i, e in enumerate(_csv_sources(entity, header)))
    extra = f", store_rejects = true, rejects_table = '{CSV_ERRORS}', rejects_scan = '{CSV_SCANS}'"
    return Source(
        f"select row_number() over () as _row, *, {renamed} "
        f"from {_read_csv(entity, header, extra)}",
        raw_text=_csv_line(entity, header),
    )


# DuckDB's CSV error types, as a reason for the line
CSV_ERROR_REASON = f"""
    case error_type
        when 'INVALID ENCODING' then {literal(NOT_UTF8)}
        when 'UNQUOTED VALUE' then 'line is not valid CSV: unterminated quote'
        when 'LINE SIZE OVER MAXIMUM' then 'line is not valid CSV: longer than the maximum line size'
        else 'line is not valid CSV: ' || coalesce(
            'expected ' || nullif(regexp_extract(error_message, 'Expected Number of Columns: ([0-9]+)', 1), '')
            || ' fields, found '
            || nullif(regexp_extract(error_message, 'Found: ([0-9]+)', 1), ''),
            error_message)
    end
"""  # noqa: E501


def csv_numbered(entity: Entity) -> str:
    """From `_read` (the records DuckDB read, counted by `_row`) and DuckDB's rejected lines:
    every row numbered by its line after the header, the rejected lines with their reason.

    Record k sits after k - 1 records and every rejected or blank line before it. A line
    skipped at line L (the header is line 1) comes after L - 2 - (lines skipped before it)
    records; the ASOF join finds, for each record, how many skipped lines come before it.
    """
    nulls = ", ".join(f"null as {q(c.name)}" for c in entity.columns)
    names = ", ".join(q(c.name) for c in entity.columns)
    return f"""
        with first_errors as (
            -- one error per missing column: the first tells how many fields the line has
            select line, error_type, arg_min({CSV_ERROR_REASON}, column_idx) as reason,
                   any_value(trim(csv_line, chr(13) || chr(10))) as raw_text
            from temp.{CSV_ERRORS}
            group by line, error_type
        ),
        errors as (
            select line, string_agg(reason, '; ' order by reason) as reason,
                   any_value(raw_text) as raw_text
            from first_errors
            group by line
        ),
        skipped as (
            select line as skipped_line from errors
            union
            select unnest($blank_lines::bigint[])
        ),
        counted as (
            select skipped_line - 2 - (row_number() over w - 1) as records_before,
                   row_number() over w as skipped_so_far
            from skipped
            window w as (order by skipped_line)
        ),
        steps as (
            select records_before, max(skipped_so_far) as skipped_so_far
            from counted group by records_before
        )
        select r._row + coalesce(s.skipped_so_far, 0) as _row, {names}, _reason, _raw_text
        from _read as r asof left join steps as s on r._row - 1 >= s.records_before
        union all
        select line - 1 as _row, {nulls}, reason as _reason, raw_text as _raw_text
        from errors
    """


_BLANK_LINE = re.compile(rb"^\r?$", re.MULTILINE)


def blank_lines(data: bytes) -> list[int]:
    """Physical line numbers (1-based) of the empty lines in `data`."""
    found, line, at = [], 1, 0
    for match in _BLANK_LINE.finditer(data):
        if match.start() == len(data):
            break
        line += data.count(b"\n", at, match.start())
        at = match.start()
        found.append(line)
    return found
