"""A contract as SQL: every column read as text, cast once to its type, every broken rule named.

Readers hand over each column as text: VARCHAR for a scalar column, and for a nested column
(STRUCT or list) its contract type with every scalar leaf as VARCHAR, the "text shape". The
expressions here cast that text to the contract's types and, for each rule a row can break,
give a condition and a readable reason:

    missing required field created_at
    id: cannot read abc as BIGINT
    line_items[].quantity: cannot read 1.5 as INTEGER
    status: unknown value 'SHIPPED' (expected one of REQUESTED, OPEN, CLOSED, DECLINED, CANCELED)
    quantity: -2 is below the minimum 1

A number is only read as an integer when it is written as one: DuckDB's casts round `1.5` to 2,
at the top level and inside structs and lists alike, so integers are matched first.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb

from ingest.contracts import TIMESTAMP_UTC, Column

INTEGER_TYPES = frozenset(
    {
        "tinyint",
        "smallint",
        "integer",
        "bigint",
        "hugeint",
        "utinyint",
        "usmallint",
        "uinteger",
        "ubigint",
        "uhugeint",
    }
)
NUMERIC_TYPES = INTEGER_TYPES | {"decimal", "double", "float"}
WHOLE_NUMBER = r"\s*[+-]?[0-9]+\s*"


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def landed_type(column: Column) -> str:
    """The column's type in `raw.*`."""
    return "TIMESTAMP" if column.type == TIMESTAMP_UTC else column.type


@functools.cache
def _parsed_type(name: str) -> duckdb.typing.DuckDBPyType:
    return duckdb.sqltype(name)


def _sqltype(column: Column) -> duckdb.typing.DuckDBPyType:
    return _parsed_type(landed_type(column))


def label(t: duckdb.typing.DuckDBPyType) -> str:
    """A short type name for a reason: INTEGER, DECIMAL, TIMESTAMP, LIST, STRUCT."""
    if t.id in ("list", "array"):
        return "LIST"
    return str(t).split("(")[0]


def text_shape(t: duckdb.typing.DuckDBPyType) -> str:
    """`t` with every scalar leaf as VARCHAR: what a reader produces for a nested column."""
    if t.id == "struct":
        return "STRUCT(" + ", ".join(f"{q(n)} {text_shape(c)}" for n, c in t.children) + ")"
    if t.id in ("list", "array"):
        return text_shape(t.children[0][1]) + "[]"
    return "VARCHAR"


def read_type(column: Column) -> str:
    """The type a reader hands over for `column`: VARCHAR, or the text shape of a nested type."""
    return text_shape(_sqltype(column)) if column.is_nested else "VARCHAR"


def _whole_number_then(value: str, cast: str) -> str:
    return f"case when regexp_full_match({value}, '{WHOLE_NUMBER}') then {cast} end"


def typed(column: Column, raw: str) -> str:
    """`raw` (the column as read) cast to the contract type; NULL where it cannot be."""
    t = _sqltype(column)
    if column.type == TIMESTAMP_UTC:
        # `YYYY-MM-DD HH:MM:SS` has no room for an offset: it is UTC, and reads 5x faster as a
        # TIMESTAMP than through the session time zone; anything else (`Z`, `+02:00`) goes
        # through TIMESTAMPTZ. (A TIMESTAMP cast would drop an offset, not apply it.)
        plain = (
            f"length({raw}) = 19 and {raw}[11] in (' ', 'T') "
            f"and {raw}[14] = ':' and {raw}[17] = ':'"
        )
        return (
            f"case when {plain} then try_cast({raw} as TIMESTAMP) "
            f"else timezone('UTC', try_cast({raw} as TIMESTAMPTZ)) end"
        )
    if t.id in INTEGER_TYPES:
        return _whole_number_then(raw, f"try_cast({raw} as {t})")
    return f"try_cast({raw} as {t})"


def _leaves(
    expr: str, t: duckdb.typing.DuckDBPyType, path: str, depth: int = 1
) -> Iterator[tuple[str, str, duckdb.typing.DuckDBPyType]]:
    """(path, SQL list of every value at that leaf, leaf type) for each scalar leaf in `expr`."""
    if t.id == "struct":
        for name, child in t.children:
            yield from _leaves(
                f"struct_extract({expr}, {literal(name)})", child, f"{path}.{name}", depth
            )
    elif t.id in ("list", "array"):
        var = f"x{depth}"
        for leaf_path, values, leaf in _leaves(var, t.children[0][1], f"{path}[]", depth + 1):
            yield leaf_path, f"flatten(list_transform({expr}, lambda {var}: {values}))", leaf
    else:
        yield path, f"[{expr}]", t


def _readable(value: str, t: duckdb.typing.DuckDBPyType) -> str:
    """SQL: true when the text `value` reads as type `t` without rounding."""
    readable = f"try_cast({value} as {t}) is not null"
    if t.id in INTEGER_TYPES:
        return f"(regexp_full_match({value}, '{WHOLE_NUMBER}') and {readable})"
    return readable


@dataclass(frozen=True)
class Check:
    """A rule a row breaks when `condition` (SQL, never NULL) holds, explained by `reason`."""

    condition: str
    reason: str  # a SQL string expression

    @property
    def explained(self) -> str:
        return f"case when {self.condition} then {self.reason} end"


def _shown(value: str) -> str:
    """SQL: the first 60 characters of a text value, for a reason."""
    return f"left({value}::varchar, 60)"


def checks(column: Column, raw: str, cast: str, present: str | None = None) -> list[Check]:
    """The rules `column` can break, given its value as read (`raw`) and cast (`cast`).

    `present` is NULL where the field is missing (by default `raw`; for a nested column read
    from JSON text, the text, since a value of the wrong shape reads as NULL).
    """
    name, t = column.name, _sqltype(column)
    found: list[Check] = []
    if column.required:
        found.append(Check(f"{present or raw} is null", literal(f"missing required field {name}")))
    found.append(
        Check(
            f"({raw} is not null and {cast} is null)",
            f"{literal(f'{name}: cannot read ')} || {_shown(raw)} || {literal(f' as {label(t)}')}",
        )
    )
    if column.is_nested:
        for path, values, leaf in _leaves(raw, t, name):
            if leaf.id == "varchar":
                continue
            bad = f"list_filter({values}, lambda v: v is not null and not {_readable('v', leaf)})"
            found.append(
                Check(
                    f"coalesce(len({bad}) > 0, false)",
                    f"{literal(f'{path}: cannot read ')} || {_shown(f'({bad})[1]')}"
                    f" || {literal(f' as {label(leaf)}')}",
                )
            )
        return found
    if column.allowed:
        values = ", ".join(literal(v) for v in column.allowed)
        expected = literal(f"' (expected one of {', '.join(column.allowed)})")
        found.append(
            Check(
                f"coalesce({cast}::varchar not in ({values}), false)",
                f"{literal(f'{name}: unknown value ')} || '''' || {_shown(cast)} || {expected}",
            )
        )
    if column.minimum is not None and t.id in NUMERIC_TYPES:
        found.append(
            Check(
                f"coalesce({cast} < {int(column.minimum)}, false)",
                f"{literal(f'{name}: ')} || {cast}::varchar"
                f" || {literal(f' is below the minimum {column.minimum}')}",
            )
        )
    return found


def shape_checks(column: Column, json: str) -> list[Check]:
    """For a nested column given as JSON text: objects and lists where the contract has them.

    Casting JSON to a STRUCT or list quietly gives NULL for a value of the wrong shape (a string
    where a list belongs); DuckDB's `read_json` refuses the whole file instead. Row by row, the
    shape is checked on the JSON itself.
    """
    if not column.is_nested:
        return []
    conditions = []
    for path, expected in _shapes(_sqltype(column), "$"):
        kinds = f"json_type({json}, {literal(path)})"
        allowed = f"in ('{expected}', 'NULL')"
        if "[*]" in path:
            ok = f"list_bool_and(list_transform({kinds}, lambda k: coalesce(k, 'NULL') {allowed}))"
        else:
            ok = f"coalesce({kinds}, 'NULL') {allowed}"
        conditions.append(f"not coalesce({ok}, true)")
    t = _sqltype(column)
    return [
        Check(
            "(" + " or ".join(conditions) + ")",
            f"{literal(f'{column.name}: cannot read ')} || {_shown(json)}"
            f" || {literal(f' as {label(t)}')}",
        )
    ]


def _shapes(t: duckdb.typing.DuckDBPyType, path: str) -> Iterator[tuple[str, str]]:
    """(JSON path, the JSON type expected there) for every STRUCT and list inside `t`."""
    if t.id == "struct":
        yield path, "OBJECT"
        for name, child in t.children:
            key = name.replace("\\", "\\\\").replace('"', '\\"')
            yield from _shapes(child, f'{path}."{key}"')
    elif t.id in ("list", "array"):
        yield path, "ARRAY"
        yield from _shapes(t.children[0][1], f"{path}[*]")
