"""A corpus of bad files for any source contract, generated into a test's landing directory.

From the contract alone, `write_corpus` builds a good row (every column, nested ones included),
then one file per kind of bad input that applies to the entity, and returns what the loader
must make of each: landed row numbers, rejected rows (number, reason, raw text) or the reason
the whole file is refused. Most files are `good, bad, good`: row 2 is rejected, rows 1 and 3
land. Row numbers are lines for NDJSON and lines after the header for CSV.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.checks import INTEGER_TYPES, NUMERIC_TYPES, label, landed_type
from ingest.contracts import TIMESTAMP_UTC, Column, Entity

GOOD_TIMESTAMP = "2026-01-05T10:00:00Z"
BAD_BYTES = b"\xff\xfe"  # never valid UTF-8


@dataclass(frozen=True)
class Reject:
    row: int
    reason: str
    raw_text: str


@dataclass(frozen=True)
class Expected:
    """What loading one corpus file must give."""

    kind: str
    file: str  # as in ops.load_log: `<source>/<name>`
    landed_rows: tuple[int, ...] = ()
    rejects: tuple[Reject, ...] = ()
    file_reason: str | None = None  # set when the whole file is rejected

    @property
    def status(self) -> str:
        return "rejected" if self.file_reason else "loaded"

    @property
    def read(self) -> int:
        return len(self.landed_rows) + len(self.rejects)


def _type(column: Column) -> duckdb.typing.DuckDBPyType:
    return duckdb.sqltype(landed_type(column))


def _good(t: duckdb.typing.DuckDBPyType, column: Column | None = None) -> object:
    """A value of type `t` every rule of `column` accepts, as JSON would carry it."""
    if column is not None and column.type == TIMESTAMP_UTC:
        return GOOD_TIMESTAMP
    if column is not None and column.allowed:
        return column.allowed[0]
    if t.id == "struct":
        return {name: _good(child) for name, child in t.children}
    if t.id in ("list", "array"):
        return [_good(t.children[0][1])]
    if t.id in INTEGER_TYPES:
        return max(column.minimum if column and column.minimum is not None else 1, 1)
    if t.id in ("decimal", "double", "float"):
        return 9.5
    if t.id == "timestamp":
        return GOOD_TIMESTAMP
    if t.id == "boolean":
        return True
    return f"{column.name if column else 'v'}-1"


def _with_fraction(t: duckdb.typing.DuckDBPyType, path: str) -> tuple[object, str, str] | None:
    """A good nested value whose first integer leaf is 1.5: (value, leaf path, leaf type)."""
    if t.id == "struct":
        for name, child in t.children:
            found = _with_fraction(child, f"{path}.{name}")
            if found:
                value = {n: _good(c) for n, c in t.children}
                value[name] = found[0]
                return value, found[1], found[2]
    elif t.id in ("list", "array"):
        found = _with_fraction(t.children[0][1], f"{path}[]")
        if found:
            return [found[0]], found[1], found[2]
    elif t.id in INTEGER_TYPES:
        return 1.5, path, label(t)
    return None


class Corpus:
    """Rows and lines of one entity's files, in its own format."""

    def __init__(self, entity: Entity) -> None:
        self.entity = entity
        self.csv = entity.format == "csv"
        options = {"delim": ",", "quote": '"'} | entity.csv_options
        self.delim, self.quote = options["delim"], options["quote"]
        self.good = {c.name: _good(_type(c), c) for c in entity.columns}

    def first(self, keep: Callable[[Column], bool]) -> Column | None:
        return next((c for c in self.entity.columns if keep(c)), None)

    def line(self, row: dict[str, object]) -> bytes:
        if not self.csv:
            return json.dumps({k: v for k, v in row.items() if v is not _MISSING}).encode()
        fields = []
        for c in self.entity.columns:
            value = row[c.name]
            fields.append("" if value is None or value is _MISSING else str(value))
        return self.delim.join(fields).encode()

    def header(self) -> bytes:
        return self.delim.join(c.name for c in self.entity.columns).encode()

    def with_value(self, column: Column, value: object) -> bytes:
        return self.line(self.good | {column.name: value})


_MISSING = object()


@dataclass
class _File:
    kind: str
    lines: list[bytes]
    landed_rows: tuple[int, ...] = ()
    rejects: tuple[Reject, ...] = ()
    file_reason: str | None = None
    raw: bytes | None = None  # the whole file's bytes, when not lines
    trailing_newline: bool = True
    newline: bytes = b"\n"


def _text(line: bytes) -> str:
    return line.decode("utf-8")


def _one_bad(kind: str, corpus: Corpus, bad: bytes, reason: str, raw_text: str | None = None):
    good = corpus.line(corpus.good)
    raw = _text(bad) if raw_text is None else raw_text
    return _File(kind, [good, bad, good], (1, 3), (Reject(2, reason, raw),))


def _kinds(corpus: Corpus) -> Iterator[_File]:  # noqa: C901 (one branch per kind of bad input)
    entity, good = corpus.entity, corpus.line(corpus.good)
    fmt = entity.format
    yield _File("all_good", [good, good, good], (1, 2, 3))
    yield _File("crlf_line_ends", [good, good, good], (1, 2, 3), newline=b"\r\n")
    yield _File("blank_line", [good, b"", good], (1, 3))

    required = corpus.first(lambda c: c.required)
    if required:
        bad = corpus.with_value(required, None if corpus.csv else _MISSING)
        yield _one_bad("missing_required", corpus, bad, f"missing required field {required.name}")

    numeric = corpus.first(lambda c: not c.is_nested and _type(c).id in NUMERIC_TYPES)
    if numeric:
        bad = corpus.with_value(numeric, "abc")
        reason = f"{numeric.name}: cannot read abc as {label(_type(numeric))}"
        yield _one_bad("wrong_type", corpus, bad, reason)
    elif nested := corpus.first(lambda c: c.is_nested):
        bad = corpus.with_value(nested, "abc")
        yield _one_bad(
            "wrong_type", corpus, bad, f'{nested.name}: cannot read "abc" as {label(_type(nested))}'
        )

    integer = corpus.first(lambda c: not c.is_nested and _type(c).id in INTEGER_TYPES)
    if integer:
        bad = corpus.with_value(integer, 1.5)
        reason = f"{integer.name}: cannot read 1.5 as {label(_type(integer))}"
        yield _one_bad("fractional_integer", corpus, bad, reason)

    for column in entity.columns:
        found = _with_fraction(_type(column), column.name) if column.is_nested else None
        if found:
            value, path, leaf = found
            bad = corpus.with_value(column, value)
            reason = f"{path}: cannot read 1.5 as {leaf}"
            yield _one_bad("fractional_nested_integer", corpus, bad, reason)
            break

    bounded = corpus.first(lambda c: c.minimum is not None and not c.is_nested)
    if bounded:
        below = bounded.minimum - 3
        t = _type(bounded)
        shown = f"{below:.{t.children[1][1]}f}" if t.id == "decimal" else str(below)
        bad = corpus.with_value(bounded, below)
        reason = f"{bounded.name}: {shown} is below the minimum {bounded.minimum}"
        yield _one_bad("below_minimum", corpus, bad, reason)

    enum = corpus.first(lambda c: bool(c.allowed) and not c.is_nested)
    if enum:
        bad = corpus.with_value(enum, "NOT_A_VALUE")
        reason = (
            f"{enum.name}: unknown value 'NOT_A_VALUE' (expected one of {', '.join(enum.allowed)})"
        )
        yield _one_bad("unknown_value", corpus, bad, reason)

    stamp = corpus.first(lambda c: c.type == TIMESTAMP_UTC)
    if stamp:
        bad = corpus.with_value(stamp, "yesterday afternoon")
        reason = f"{stamp.name}: cannot read yesterday afternoon as TIMESTAMP"
        yield _one_bad("bad_timestamp", corpus, bad, reason)

    text = corpus.first(lambda c: c.type == "VARCHAR" and not c.allowed)
    bad = corpus.with_value(text, "MARK").replace(b"MARK", b"bad " + BAD_BYTES + b" bytes")
    # NDJSON lines are decoded in Python (U+FFFD per bad byte); DuckDB's CSV reader shows "?"
    shown = (
        bad.decode("utf-8", errors="replace")
        if not corpus.csv
        else _text(bad.replace(BAD_BYTES, b"??"))
    )
    yield _one_bad("invalid_utf8", corpus, bad, "line is not valid UTF-8", shown)

    if fmt == "ndjson":
        broken = good[:-1] + b",,}"
        yield _one_bad("invalid_json", corpus, broken, "line is not valid JSON")
        array = b"[" + good + b"]"
        yield _one_bad("not_an_object", corpus, array, "line is not a JSON object")
        cut = good[: len(good) // 2]
        yield _File(
            "truncated_last_line",
            [good, good, cut],
            (1, 2),
            (Reject(3, "line is not valid JSON", _text(cut)),),
            trailing_newline=False,
        )
        yield _File(
            "no_json_object",
            [b"<html>502 Bad Gateway</html>"],
            file_reason="no line is a JSON object",
        )
    else:
        n = len(entity.columns)
        extra = good + corpus.delim.encode() + b"extra"
        yield _one_bad(
            "too_many_fields",
            corpus,
            extra,
            f"line is not valid CSV: expected {n} fields, found {n + 1}",
        )
        short = corpus.delim.encode().join(good.split(corpus.delim.encode())[:-1])
        yield _one_bad(
            "too_few_fields",
            corpus,
            short,
            f"line is not valid CSV: expected {n} fields, found {n - 1}",
        )
        if corpus.quote:
            open_quote = corpus.quote.encode() + good
            yield _File(
                "unterminated_quote",
                [good, good, open_quote],
                (1, 2),
                (Reject(3, "line is not valid CSV: unterminated quote", _text(open_quote)),),
            )
        header = corpus.delim.join(c.name for c in entity.columns if c is not required)
        yield _File(
            "missing_required_column",
            [],
            raw=header.encode() + b"\n" + good + b"\n",
            file_reason=f"missing required columns: {' or '.join(required.names)}",
        )

    # several bad lines and a blank one in one file: every row keeps its own line number
    missing = corpus.with_value(required, None if corpus.csv else _MISSING)
    structural = good[:-1] + b",,}" if fmt == "ndjson" else extra
    structural_reason = (
        "line is not valid JSON"
        if fmt == "ndjson"
        else f"line is not valid CSV: expected {len(entity.columns)} fields, "
        f"found {len(entity.columns) + 1}"
    )
    yield _File(
        "many_bad_lines",
        [good, missing, b"", bad, good, structural, good],
        (1, 5, 7),
        (
            Reject(2, f"missing required field {required.name}", _text(missing)),
            Reject(4, "line is not valid UTF-8", shown),
            Reject(6, structural_reason, _text(structural)),
        ),
    )

    yield _File("empty_file", [], raw=b"", file_reason="empty file")
    junk = bytes(range(256)) * 4
    yield _File("binary_junk", [], raw=junk, file_reason="binary file: it holds NUL bytes")


def file_name(entity: Entity, kind: str) -> str:
    return entity.pattern.replace("*", f"corpus-{kind}", 1)


def write_corpus(entity: Entity, landing: Path) -> dict[str, Expected]:
    """Write every corpus file of `entity` under `landing/<source>/`; what each must give."""
    corpus = Corpus(entity)
    folder = landing / entity.source
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for spec in _kinds(corpus):
        if spec.raw is not None:
            data = spec.raw
        else:
            lines = ([corpus.header()] if corpus.csv else []) + spec.lines
            data = spec.newline.join(lines) + (spec.newline if spec.trailing_newline else b"")
        name = file_name(entity, spec.kind)
        (folder / name).write_bytes(data)
        reason = f"file cannot be read as {entity.format}: {spec.file_reason}"
        expected[spec.kind] = Expected(
            spec.kind,
            f"{entity.source}/{name}",
            spec.landed_rows,
            spec.rejects,
            reason if spec.file_reason else None,
        )
    return expected


def kinds(entity: Entity) -> list[str]:
    """The kinds of bad input that apply to `entity`, without writing anything."""
    return [spec.kind for spec in _kinds(Corpus(entity))]
