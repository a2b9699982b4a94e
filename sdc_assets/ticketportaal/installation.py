"""The portal's schema as this installation has it: which tables and columns exist, read once per run.

Installations differ by the migrations they ran: the repository's ``schema.sql`` has no
``users.location``, no ``configuration_items.asset_tag``, no ``tickets.ticket_type``, and without the
category-fields migration no dynamic fields at all; production has all of them and ENUM values no list
in SDC knows (``category_fields.field_type = 'date'``). Queries select the columns SDC knows that exist,
read ENUM columns as text, and skip tables that are not there; what was missing is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from sdc_resources.ticketportaal_schema import TABLE_ORDER, categories, ticket_comments, tickets, users

REQUIRED = (users, categories, tickets, ticket_comments)


class PortalSchemaError(Exception):
    """The database lacks a table no ticketportaal is without: probably not the portal's database."""


@dataclass(frozen=True)
class Installation:
    """The tables SDC reads, with the columns this database has of each."""

    columns: dict[str, frozenset[str]]

    @classmethod
    def read(cls, connection: sa.Connection) -> Installation:
        inspector = sa.inspect(connection)
        present = set(inspector.get_table_names())
        columns = {
            table.name: frozenset(column["name"] for column in inspector.get_columns(table.name))
            for table in TABLE_ORDER
            if table.name in present
        }
        if missing := [t.name for t in REQUIRED if t.name not in columns]:
            raise PortalSchemaError(
                f"the database has no table {', '.join(missing)}: is TICKETPORTAAL_DATABASE the portal's database?"
            )
        return cls(columns)

    def has(self, *tables: sa.Table) -> bool:
        return all(table.name in self.columns for table in tables)

    def has_column(self, table: sa.Table, name: str) -> bool:
        return name in self.columns.get(table.name, ())

    def select_columns(self, table: sa.FromClause, definition: sa.Table | None = None) -> list[sa.ColumnElement]:
        """The columns of ``table`` (or an alias of it) that exist here; ENUMs read as plain text, so a value
        no list knows (``'date'``) is read like any other."""
        definition = definition if definition is not None else table
        return [
            _as_text(table.c[column.name]) for column in definition.columns if self.has_column(definition, column.name)
        ]

    def names(self, table: sa.Table) -> list[str]:
        """The names of SDC's columns of ``table``, present here or not (absent ones read as None)."""
        return [column.name for column in table.columns]

    def missing(self) -> dict[str, list[str]]:
        """Per table SDC knows, the columns this installation lacks (``[]`` and no table: a missing table)."""
        gaps = {}
        for table in TABLE_ORDER:
            if table.name not in self.columns:
                gaps[table.name] = ["(table)"]
            elif absent := [c.name for c in table.columns if c.name not in self.columns[table.name]]:
                gaps[table.name] = absent
        return gaps


def _as_text(column: sa.ColumnElement) -> sa.ColumnElement:
    if isinstance(column.type, sa.Enum):
        return sa.type_coerce(column, sa.String()).label(column.name)
    return column
