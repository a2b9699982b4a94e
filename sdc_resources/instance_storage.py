"""The Dagster instance's SQLite storage (``dagster.yaml``: ``storage: custom``), with the event log's
connections kept open.

Dagster's own ``SqliteEventLogStorage`` builds a new engine for every statement it runs: a new connection, an
empty SQL compile cache and a fully fsynced commit, about 10 ms per event. A run over 341 days writes some
10,000 events (a materialization per asset and day), so that alone was half of a cold ``sdc ingest``. Here
each database file (the index shard and the runs') keeps its engine, so connections and compiled statements
are reused, the tables known to exist are remembered, and commits are synced the way SQLite recommends for
WAL databases (``synchronous=NORMAL``: a power cut can lose the last events, never corrupt the file). The
files and their layout are Dagster's own: an instance can switch to ``storage: sqlite`` and back at any time.
"""

import os
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, SqliteStorageConfig, _event_logs_directory
from dagster._serdes import ConfigurableClassData

OPEN_SHARDS = 8  # runs' files open besides the index shard, the most recently used; older ones are closed


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log, one engine per database file (the index and ``OPEN_SHARDS`` runs')."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()
        self._pid = os.getpid()
        self._tables: set[str] = set()
        super().__init__(base_dir, inst_data)

    def has_table(self, table_name: str) -> bool:
        """Asked for every asset event; a table once there stays (Dagster opens a new engine per question)."""
        if table_name not in self._tables and super().has_table(table_name):
            self._tables.add(table_name)
        return table_name in self._tables

    def _engine(self, shard: str) -> sa.Engine:
        """The shard's engine, opened on first use; the least recently used run files beyond ``OPEN_SHARDS``
        closed."""
        if self._pid != os.getpid():  # a forked child leaves its parent's connections alone and opens its own
            for engine in self._engines.values():
                engine.dispose(close=False)
            self._engines.clear()
            self._pid = os.getpid()
        if shard not in self._engines:
            self._engines[shard] = self._open(shard)
            runs = [name for name in self._engines if name != INDEX_SHARD_NAME]  # least recently used first
            for name in runs[: max(0, len(runs) - OPEN_SHARDS)]:
                self._engines.pop(name).dispose()
        self._engines.move_to_end(shard)
        return self._engines[shard]

    def _open(self, shard: str) -> sa.Engine:
        engine = sa.create_engine(
            self.conn_string_for_shard(shard), pool_size=1, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        )
        sa.event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA synchronous=NORMAL"))
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        with self._db_lock, self._engine(shard).connect() as connection, connection.begin():
            yield connection

    def dispose(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()
        super().dispose()


class SqliteStorage(DagsterSqliteStorage):
    """``storage: sqlite``'s runs, schedules and event log in the same files, the event log pooled."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: SqliteStorageConfig) -> "SqliteStorage":
        return cls.from_local(inst_data=inst_data, **config_value)
