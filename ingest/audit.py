"""Audit what landed: contract rules counted over a raw table, and what a load batch rejected.

Plain functions over an open DuckDB connection, so the Dagster asset and its checks stay thin
wrappers and tests can call them directly. Every rule is one aggregate of a single scan: a raw
table of millions of rows is audited in one pass without leaving DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from ingest.contracts import Entity

NUMERIC_PREFIXES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "DECIMAL",
    "DOUBLE",
    "FLOAT",
    "REAL",
    "NUMERIC",
)
LINEAGE_COLUMNS = ("_file", "_row", "_loaded_at", "_batch_id")
SAMPLE_SIZE = 5


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Rule:
    """One contract rule: an aggregate counting the rows that break it."""

    name: str
    description: str
    columns: tuple[str, ...]  # the table columns it reads
    violations: str  # SQL aggregate: rows breaking the rule
    sample: str | None = None  # SQL aggregate: a few offending values, for the report


def contract_rules(entity: Entity) -> list[Rule]:
    """The rules a landed row of `entity` must keep: required columns not null, enum columns in
    their allowed set, numeric columns at or above their minimum, one row per (_file, _row)."""
    rules: list[Rule] = []
    for c in entity.columns:
        col = _q(c.name)
        if c.required:
            rules.append(
                Rule(
                    f"{c.name}__not_null",
                    f"{c.name} is present",
                    (c.name,),
                    f"count(*) filter (where {col} is null)",
                )
            )
        if c.allowed and not c.is_nested:
            values = ", ".join(_literal(v) for v in c.allowed)
            breaks = f"{col} is not null and {col}::varchar not in ({values})"
            rules.append(
                Rule(
                    f"{c.name}__in_set",
                    f"{c.name} in ({', '.join(c.allowed)})",
                    (c.name,),
                    f"count(*) filter (where {breaks})",
                    f"list(distinct {col}::varchar) filter (where {breaks})",
                )
            )
        if c.minimum is not None and c.type.upper().startswith(NUMERIC_PREFIXES):
            breaks = f"{col} < {int(c.minimum)}"
            rules.append(
                Rule(
                    f"{c.name}__at_least_{c.minimum}",
                    f"{c.name} >= {c.minimum}",
                    (c.name,),
                    f"count(*) filter (where {breaks})",
                    f"list(distinct {col}::varchar) filter (where {breaks})",
                )
            )
    rules.append(
        Rule(
            "lineage__unique",
            "one row per (_file, _row)",
            ("_file", "_row"),
            "count(*) - count(distinct (_file, _row))",
        )
    )
    return rules


@dataclass
class ContractAudit:
    table: str
    exists: bool
    rows: int = 0
    # rule name -> rows breaking it (every rule of the contract, zero when kept)
    violations: dict[str, int] = field(default_factory=dict)
    # rule name -> a few offending values, for rules that have them and are broken
    samples: dict[str, list[str]] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)

    @property
    def broken(self) -> dict[str, int]:
        return {name: count for name, count in self.violations.items() if count}


def _table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str] | None:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows] or None


def audit_contract(con: duckdb.DuckDBPyConnection, entity: Entity) -> ContractAudit:
    """Count, in one scan of `raw.<table>`, the rows breaking each rule of the contract.

    A contract column (or lineage column) missing from the table is itself a break, reported as
    the rule `<column>__column_present`; rules on missing columns are not evaluated.
    """
    columns = _table_columns(con, "raw", entity.table)
    audit = ContractAudit(entity.table, exists=columns is not None)
    if columns is None:
        return audit
    expected = [c.name for c in entity.columns] + list(LINEAGE_COLUMNS)
    missing = [name for name in expected if name not in columns]
    for name in missing:
        audit.violations[f"{name}__column_present"] = 1
        audit.descriptions[f"{name}__column_present"] = f"raw.{entity.table} has column {name}"
    rules = [r for r in contract_rules(entity) if set(r.columns) <= set(columns)]
    selects = ["count(*)"]
    for rule in rules:
        selects.append(rule.violations)
        selects.append(f"array_slice({rule.sample}, 1, {SAMPLE_SIZE})" if rule.sample else "null")
    row = con.execute(f"select {', '.join(selects)} from raw.{_q(entity.table)}").fetchone()
    audit.rows = int(row[0])
    for n, rule in enumerate(rules):
        count, sample = int(row[1 + 2 * n] or 0), row[2 + 2 * n]
        audit.violations[rule.name] = count
        audit.descriptions[rule.name] = rule.description
        if count and sample:
            audit.samples[rule.name] = [str(v) for v in sample]
    return audit


@dataclass(frozen=True)
class BatchSummary:
    """What one load batch (one `load_new_files` call) did to one entity."""

    batch_id: str
    files: int
    rows_read: int
    rows_landed: int
    rows_rejected: int
    # files rejected whole: (file, reason)
    rejected_files: list[tuple[str, str]]
    # rejected rows by reason, most first; a row with several problems counts under each
    reasons: list[tuple[str, int]]

    @property
    def reject_share(self) -> float:
        """Rejected rows as a share of rows read (files rejected whole read no rows)."""
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return _table_columns(con, schema, table) is not None


# "quantity: cannot read 'abc' as INTEGER" -> "quantity: cannot read as INTEGER": the value is
# in ops.rejects.raw_text; grouping by it would give one reason per distinct bad value.
REASON_WITHOUT_VALUE = r"^(.*?): cannot read .* as ([A-Za-z_]+)$"


def batch_summary(
    con: duckdb.DuckDBPyConnection, entity: Entity, batch_id: str | None = None
) -> BatchSummary | None:
    """Sum up batch `batch_id` of `entity` from `ops.load_log` and `ops.rejects`; by default the
    latest batch that loaded or rejected a file of it. None when there is no such batch."""
    if not (_exists(con, "ops", "load_log") and _exists(con, "ops", "rejects")):
        return None
    if batch_id is None:
        latest = con.execute(
            "select batch_id from ops.load_log where entity = ? "
            "order by finished_at desc, started_at desc limit 1",
            [entity.table],
        ).fetchone()
        if latest is None:
            return None
        batch_id = latest[0]
    files, read, landed, rejected = con.execute(
        "select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_landed), 0),"
        " coalesce(sum(rows_rejected), 0) from ops.load_log where entity = ? and batch_id = ?",
        [entity.table, batch_id],
    ).fetchone()
    rejected_files = con.execute(
        "select file, coalesce(reason, 'rejected') from ops.load_log "
        "where entity = ? and batch_id = ? and status = 'rejected' order by file",
        [entity.table, batch_id],
    ).fetchall()
    reasons = con.execute(
        f"""
        with parts as (
            select unnest(string_split(reason, '; ')) as reason
            from ops.rejects
            where entity = ? and batch_id = ? and row_number is not null
        )
        select regexp_replace(reason, '{REASON_WITHOUT_VALUE}', '\\1: cannot read as \\2'),
               count(*) as rows
        from parts
        group by 1
        order by rows desc, 1
        """,
        [entity.table, batch_id],
    ).fetchall()
    return BatchSummary(
        batch_id,
        int(files),
        int(read),
        int(landed),
        int(rejected),
        [(f, r) for f, r in rejected_files],
        [(r, int(n)) for r, n in reasons],
    )


def batch_of_file(con: duckdb.DuckDBPyConnection, entity: Entity, file: str) -> str | None:
    """The batch that last loaded (or rejected) `file` of `entity`."""
    if not _exists(con, "ops", "load_log"):
        return None
    row = con.execute(
        "select batch_id from ops.load_log where entity = ? and file = ? "
        "order by finished_at desc limit 1",
        [entity.table, file],
    ).fetchone()
    return row[0] if row else None
