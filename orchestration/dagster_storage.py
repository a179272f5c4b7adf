"""Dagster's SQLite event log with its connections kept open: the instance config the project
ships (`orchestration/dagster.yaml`) names it as the event log storage.

Dagster's own `SqliteEventLogStorage` builds a new SQLAlchemy engine and opens a new SQLite
connection for every statement batch: about six per stored event (the run's file, then the
cross-run index for asset and check events). A micro-batch run stores ~1,500 events (a dbt
build reports every model and every test), so that was ~9,000 engines, 8-10 s of a ~50 s run.
This keeps one engine per database file instead, for the index and the few most recent runs'
files, and disposes the rest. Same files, same schema, same locking (each connection still
waits up to Dagster's busy timeout), so a `DAGSTER_HOME` written by either class reads with the
other; `benchmarks/latency.py` measures the effect on a whole run.

Two more costs of each stored event are cut here:
- Dagster asks the schema, per asset and check event, whether a table or a column exists
  (`has_table` through a new engine every time, `get_columns` through SQLAlchemy's inspector).
  A table or column that exists stays: a yes is remembered until `wipe`/`dispose`.
- The files are in WAL mode (Dagster sets it); connections here commit with
  `synchronous=NORMAL`, SQLite's advice for WAL: a commit no longer waits for the disk, and a
  crashed process still loses nothing committed (only a power loss can drop the last commits).
"""

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

# the index, the running run's file and a few recent ones (a daemon serves several runs)
OPEN_SHARDS = 8


def default_base_dir() -> str:
    """Where Dagster keeps run event logs by default: `$DAGSTER_HOME/history/runs/`."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise dg.DagsterInvariantViolationError(
            "PooledSqliteEventLogStorage: set `base_dir` in dagster.yaml, or DAGSTER_HOME"
        )
    return os.path.join(home, "history", "runs", "")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` reusing one engine (and its pooled connections) per shard."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        # (table, column or None) known to exist
        self._schema_seen: set[tuple[str, str | None]] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> "PooledSqliteEventLogStorage":
        return cls(base_dir=config_value.get("base_dir") or default_base_dir(), inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
                event.listen(engine, "connect", _commit_without_waiting_for_the_disk)
                self._engines[shard] = engine
                while len(self._engines) > OPEN_SHARDS:
                    _, oldest = self._engines.popitem(last=False)
                    oldest.dispose()
            else:
                self._engines.move_to_end(shard)
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        # not through `_connect`: Dagster asks this inside a connection it holds (its lock
        # is not reentrant), as its own `has_table` does with an engine of its own
        if (table_name, None) not in self._schema_seen:
            engine = self._engine(INDEX_SHARD_NAME)
            with engine.connect() as conn:
                if not engine.dialect.has_table(conn, table_name):
                    return False
            self._schema_seen.add((table_name, None))
        return True

    def _has_asset_key_col_on_connection(self, conn: Connection, column_name: str) -> bool:
        seen = ("asset_keys", column_name)
        if seen not in self._schema_seen:
            if not super()._has_asset_key_col_on_connection(conn, column_name):
                return False
            self._schema_seen.add(seen)
        return True

    def _dispose_engines(self) -> None:
        self._schema_seen.clear()
        with self._engines_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        # the run files are deleted: no connection may stay open on a deleted file
        self._dispose_engines()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


def _commit_without_waiting_for_the_disk(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
