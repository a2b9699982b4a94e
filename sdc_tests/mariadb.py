"""Scratch databases on the real MariaDB of this machine (127.0.0.1:3306, root without a password)."""

import uuid

import sqlalchemy as sa

from sdc_resources.sql_database import SqlDatabase

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
