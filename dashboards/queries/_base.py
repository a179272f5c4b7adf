"""What every query module shares: the cache decorator, parameter binding and filter clauses.

SQL text here is made only of constants; every value a user chooses reaches DuckDB as a bound
`$name` parameter. A filter left at "all" binds NULL or an empty list, and the clauses below
treat that as "no restriction", so one statement serves every combination of filters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import duckdb
import pandas as pd
import streamlit as st

from dashboards.filters import Filters

CACHE_TTL_SECONDS = 300

F = TypeVar("F", bound=Callable[..., Any])


_recorder: list[list[str]] = []


@contextmanager
def recording() -> Iterator[list[str]]:
    """Collect the names of the cached queries called inside the block (in any thread)."""
    calls: list[str] = []
    _recorder.append(calls)
    try:
        yield calls
    finally:
        _recorder.remove(calls)


def cached(func: F) -> F:
    """`st.cache_data` keyed on all arguments; the first is always the snapshot version.

    The cache is made on the first call, not at import, so that a plain Python process that
    imports the queries (the export CLI, the benchmark) is not told that there is no Streamlit
    runtime; inside the app it is the same `st.cache_data`.
    """
    made: list[Callable[..., Any]] = []

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        for calls in _recorder:
            calls.append(f"{func.__module__}.{func.__qualname__}")
        if not made:
            made.append(st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)(func))
        return made[0](*args, **kwargs)

    def clear() -> None:
        if made:
            made[0].clear()

    call.clear = clear  # type: ignore[attr-defined]
    call.uncached = func  # type: ignore[attr-defined]
    return call  # type: ignore[return-value]


_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def bind(sql: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of `values` that `sql` names as `$param` (DuckDB rejects unused ones)."""
    names = set(_PARAM.findall(sql))
    missing = names - set(values)
    if missing:
        raise KeyError(f"no value for query parameters {sorted(missing)}")
    return {name: values[name] for name in names}


def fetch(
    con: duckdb.DuckDBPyConnection, sql: str, values: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    return con.execute(sql, bind(sql, values or {})).df()


def fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, values: Mapping[str, Any] | None = None
) -> tuple:
    # fetchall, not fetchone: a half-read result would block the connection's next query
    rows = con.execute(sql, bind(sql, values or {})).fetchall()
    return rows[0] if rows else ()


def values(filters: Filters, **extra: Any) -> dict[str, Any]:
    return {**filters.params(), **extra}


# ---- filter clauses: constant SQL over bound parameters -----------------------------------------


def in_list(column: str, param: str) -> str:
    """`column` is one of the chosen values, or nothing is chosen."""
    return f"(len(${param}::varchar[]) = 0 or list_contains(${param}::varchar[], {column}))"


def date_between(column: str) -> str:
    """`column` (a date or timestamp) falls in [$start, $end] by calendar day, open when null."""
    return (
        f"(($start::date is null or {column}::date >= $start::date)"
        f" and ($end::date is null or {column}::date <= $end::date))"
    )


def channel_in(column: str = "channel") -> str:
    return in_list(column, "channels")


def node_in(column: str = "node_id") -> str:
    return in_list(column, "nodes")


def category_in(column: str = "category") -> str:
    return in_list(column, "categories")


def sku_in_category(column: str = "sku") -> str:
    """The SKU's category is one of the chosen ones, or none is chosen.

    A semi-join rather than a join to `dim_products`: with no category chosen it costs nothing,
    which matters on the multi-million-row facts (sync events, positions).
    """
    return (
        f"(len($categories::varchar[]) = 0 or {column} in ("
        "select sku from dim_products where list_contains($categories::varchar[], category)))"
    )


# What an unfiltered view binds, written in as SQL constants: `with_constants(sql, NO_FILTER_SQL)`
# turns a page's statement into the definition of the rollup that answers its unfiltered view.
NO_FILTER_SQL = {
    "start": "null",
    "end": "null",
    "channels": "[]",
    "nodes": "[]",
    "categories": "[]",
}


def with_constants(sql: str, constants: Mapping[str, str]) -> str:
    """`sql` with each `$name` replaced by the constant SQL text given for it."""
    return _PARAM.sub(lambda match: constants[match.group(1)], sql)


def label(value: Any) -> str:
    """Human text for a bucket/enum value: `stage_sla_breach` -> `stage sla breach`."""
    return str(value).replace("_", " ")
