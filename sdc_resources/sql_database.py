"""A relational database through SQLAlchemy Core: MySQL/MariaDB over pymysql, or a local SQLite file.

One code path serves both: the ticketportaal (read-only) and the graph store are written
against Core tables and ``text()`` with bound parameters, never strings built from values.
MySQL connections speak ``utf8mb4`` and set the session time zone to UTC, so TIMESTAMP
columns read back as the UTC instants they hold; SQLite files store UTC text the same way.
A unit of work that loses its connection is retried on a fresh one, with back-off.
"""

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import dagster as dg
import sqlalchemy as sa
from pydantic import Field

from sdc_resources.settings import env, env_int, env_var

log = logging.getLogger(__name__)
T = TypeVar("T")

# MySQL client errors that mean the connection or the server went away, or a transient lock conflict.
RETRYABLE_MYSQL = {1205, 1213, 2003, 2006, 2013, 2055}


@functools.cache
def _engine(url: sa.URL, connect_timeout: int) -> sa.Engine:
    if url.get_backend_name() == "sqlite":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 60})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        return engine
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_recycle=3600,
        connect_args={
            "charset": "utf8mb4",
            "init_command": "SET time_zone = '+00:00'",
            "connect_timeout": connect_timeout,
        },
    )


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` is a lost connection or a transient conflict that a fresh attempt may get past."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa.exc.OperationalError):
        code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
        return code in RETRYABLE_MYSQL or "database is locked" in str(exc.orig)
    return False


class SqlDatabase(dg.ConfigurableResource):
    """Connection settings: a MySQL/MariaDB server (``host`` set) or a SQLite file (``sqlite_path``)."""

    host: str | None = Field(default=None, description="MySQL/MariaDB host; unset means the SQLite file.")
    port: int = 3306
    user: str | None = None
    password: str | None = Field(default=None, description="Pass dg.EnvVar(...): never shown in the UI.")
    database: str | None = None
    sqlite_path: str | None = Field(default=None, description="A local SQLite file, used when host is unset.")
    connect_timeout: int = Field(default=10, gt=0)
    retries: int = Field(default=4, ge=0, description="Fresh attempts after a lost connection.")
    backoff_seconds: float = Field(default=0.5, ge=0, description="First wait; doubled per attempt.")

    @property
    def configured(self) -> bool:
        return bool(self.host and self.database) or bool(self.sqlite_path)

    @property
    def dialect(self) -> str:
        return "mysql" if self.host else "sqlite"

    def url(self) -> sa.URL:
        if self.host:
            return sa.URL.create(
                "mysql+pymysql",
                username=self.user,
                password=self.password,
                host=self.host,
                port=self.port,
                database=self.database,
            )
        if not self.sqlite_path:
            raise RuntimeError("no database configured")
        return sa.URL.create("sqlite", database=str(Path(self.sqlite_path).absolute()))

    def describe(self) -> str:
        """Where the database is, for logs and metadata: never the password."""
        if self.host:
            return f"mysql://{self.user or ''}@{self.host}:{self.port}/{self.database}"
        return f"sqlite:///{Path(self.sqlite_path).absolute()}" if self.sqlite_path else "not configured"

    def engine(self) -> sa.Engine:
        return _engine(self.url(), self.connect_timeout)

    @contextmanager
    def connect(self) -> Iterator[sa.Connection]:
        """A connection in a transaction: committed when the block ends, rolled back when it raises."""
        with self.engine().begin() as connection:
            yield connection

    def run(self, work: Callable[[sa.Connection], T], what: str) -> T:
        """``work`` in one transaction, retried on a fresh connection while the connection keeps failing."""
        for attempt in range(self.retries + 1):
            try:
                with self.connect() as connection:
                    return work(connection)
            except sa.exc.DBAPIError as exc:
                if not is_retryable(exc) or attempt == self.retries:
                    raise
                wait = self.backoff_seconds * 2**attempt
                log.warning(f"{what}: {type(exc.orig).__name__} on {self.describe()}; retry {attempt + 1} in {wait}s")
                time.sleep(wait)
        raise AssertionError("unreachable")


@contextmanager
def statement_counter(engine: sa.Engine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` sends while the block runs (pings of the pool excluded)."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def database_from_env(prefix: str, sqlite_default: str | None = None, **fields) -> dict:
    """Settings for a :class:`SqlDatabase` from ``<prefix>_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD``,
    ``_DATABASE`` and ``<prefix>_SQLITE``; the password only as a ``dg.EnvVar``, and only when set."""
    settings: dict = {"sqlite_path": env(f"{prefix}_SQLITE", sqlite_default), **fields}
    if host := env(f"{prefix}_HOST"):
        settings |= {
            "host": host,
            "port": env_int(f"{prefix}_PORT", 3306),
            "user": env(f"{prefix}_USER"),
            "database": env(f"{prefix}_DATABASE"),
        }
        if password := env_var(f"{prefix}_PASSWORD"):
            settings["password"] = password
    return settings
