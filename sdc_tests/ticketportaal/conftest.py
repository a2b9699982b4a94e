"""A scratch database with the portal's schema on the real MariaDB of this machine, loaded with the world."""

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from sdc_resources.sql_database import SqlDatabase
from sdc_resources.ticketportaal import Ticketportaal
from sdc_resources.ticketportaal_schema import create_schema, load_rows
from sdc_tests.ticketportaal.world import world

MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root"}


def scratch_database(prefix: str):
    """Create an empty utf8mb4 database; returns its name and a function that drops it."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = SqlDatabase(**MARIADB, database="test")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))

    def drop():
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))

    return name, drop


@pytest.fixture
def portal_rows() -> dict[str, list[dict]]:
    return world()


@pytest.fixture
def ticketportaal(data_dir: Path, portal_rows) -> Ticketportaal:
    name, drop = scratch_database("sdc_portal")
    portal = Ticketportaal(
        **MARIADB,
        database=name,
        raw_dir=str(data_dir / "raw" / "ticketportaal"),
        quarantine_dir=str(data_dir / "quarantine" / "ticketportaal"),
        backoff_seconds=0,
    )
    create_schema(portal.engine())
    with portal.connect() as connection:
        load_rows(connection, portal_rows)
    yield portal
    portal.engine().dispose()
    drop()
