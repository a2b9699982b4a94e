"""The ticketportaal's tables as the portal has them, as SQLAlchemy Core tables.

SDC only reads them; the schema is here so that queries are built from columns, and so
that the demo database, the tests and the benchmark create the portal's schema on
MariaDB or SQLite from one definition.
"""

from datetime import date, datetime

import sqlalchemy as sa

metadata = sa.MetaData()
NOW = sa.text("CURRENT_TIMESTAMP")


def _text(length: int | None = None) -> sa.types.TypeEngine:
    return sa.String(length) if length else sa.Text()


def _created() -> sa.Column:
    return sa.Column("created_at", sa.TIMESTAMP, nullable=False, server_default=NOW)


users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.Integer, primary_key=True),
    sa.Column("email", _text(255), nullable=False, unique=True),
    sa.Column("first_name", _text(100)),
    sa.Column("last_name", _text(100)),
    sa.Column("department", _text(100)),
    sa.Column("role", sa.Enum("user", "agent", "admin", name="user_role"), nullable=False, server_default="user"),
    sa.Column("location", _text(100)),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    _created(),
)

categories = sa.Table(
    "categories",
    metadata,
    sa.Column("category_id", sa.Integer, primary_key=True),
    sa.Column("name", _text(100), nullable=False),
    sa.Column("description", _text()),
    sa.Column("default_priority", sa.Enum("low", "medium", "high", "urgent", name="category_priority")),
    sa.Column("sla_hours", sa.Integer),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("ticket_id", sa.Integer, primary_key=True),
    sa.Column("ticket_number", _text(20), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    sa.Column("assigned_agent_id", sa.Integer, sa.ForeignKey("users.user_id")),
    sa.Column("category_id", sa.Integer, sa.ForeignKey("categories.category_id")),
    sa.Column("title", _text(255), nullable=False),
    sa.Column("description", _text()),
    sa.Column("priority", sa.Enum("low", "medium", "high", "urgent", name="ticket_priority"), server_default="medium"),
    sa.Column(
        "ticket_type",
        sa.Enum("incident", "service_request", "change_request", "feature_request", name="ticket_type"),
        server_default="incident",
    ),
    sa.Column(
        "status",
        sa.Enum("open", "in_progress", "pending", "resolved", "closed", name="ticket_status"),
        nullable=False,
        server_default="open",
    ),
    sa.Column("source", sa.Enum("web", "email", "phone", name="ticket_source"), server_default="web"),
    _created(),
    sa.Column("updated_at", sa.TIMESTAMP, nullable=False, server_default=NOW),
    sa.Column("resolved_at", sa.TIMESTAMP, nullable=True),
    sa.Column("resolution", _text()),
    sa.Column("satisfaction_rating", sa.Integer),
    sa.Index("idx_tickets_created", "created_at"),
    sa.Index("idx_tickets_updated", "updated_at"),
)

ticket_comments = sa.Table(
    "ticket_comments",
    metadata,
    sa.Column("comment_id", sa.Integer, primary_key=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.ticket_id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
    sa.Column("comment", _text(), nullable=False),
    sa.Column("is_internal", sa.Boolean, nullable=False, server_default=sa.false()),
    _created(),
    sa.Index("idx_comments_ticket", "ticket_id"),
)

category_fields = sa.Table(
    "category_fields",
    metadata,
    sa.Column("field_id", sa.Integer, primary_key=True),
    sa.Column("category_id", sa.Integer, sa.ForeignKey("categories.category_id"), nullable=False),
    sa.Column("field_name", _text(100), nullable=False),
    sa.Column("field_label", _text(255), nullable=False),
    sa.Column(
        "field_type",
        sa.Enum("text", "textarea", "select", "radio", "checkbox", "number", "email", "tel", name="field_type"),
        nullable=False,
    ),
    sa.Column("field_options", _text()),
    sa.Column("is_required", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("field_order", sa.Integer, nullable=False, server_default="0"),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
)

ticket_field_values = sa.Table(
    "ticket_field_values",
    metadata,
    sa.Column("value_id", sa.Integer, primary_key=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.ticket_id", ondelete="CASCADE"), nullable=False),
    sa.Column("field_id", sa.Integer, sa.ForeignKey("category_fields.field_id"), nullable=False),
    sa.Column("field_value", _text()),
    sa.UniqueConstraint("ticket_id", "field_id", name="uq_ticket_field"),
)

configuration_items = sa.Table(
    "configuration_items",
    metadata,
    sa.Column("ci_id", sa.Integer, primary_key=True),
    sa.Column("ci_number", _text(20), nullable=False, unique=True),
    sa.Column("type", sa.Enum("Hardware", "Software", "Licentie", "Overig", name="ci_type"), nullable=False),
    sa.Column("category", _text(100)),
    sa.Column("brand", _text(100)),
    sa.Column("model", _text(100)),
    sa.Column("name", _text(255), nullable=False),
    sa.Column("serial_number", _text(100)),
    sa.Column("asset_tag", _text(50)),
    sa.Column(
        "status",
        sa.Enum("In gebruik", "In voorraad", "Defect", "Afgeschreven", "Onderhoud", name="ci_status"),
        nullable=False,
        server_default="In gebruik",
    ),
    sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.user_id")),
    sa.Column("department", _text(100)),
    sa.Column("location", _text(100)),
    sa.Column("purchase_date", sa.Date),
    sa.Column("warranty_expiry", sa.Date),
    sa.Column("notes", _text()),
    _created(),
    sa.Column("updated_at", sa.TIMESTAMP, nullable=False, server_default=NOW),
)

ticket_ci_relations = sa.Table(
    "ticket_ci_relations",
    metadata,
    sa.Column("relation_id", sa.Integer, primary_key=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.ticket_id", ondelete="CASCADE"), nullable=False),
    sa.Column("ci_id", sa.Integer, sa.ForeignKey("configuration_items.ci_id"), nullable=False),
    sa.UniqueConstraint("ticket_id", "ci_id", name="uq_ticket_ci"),
)

knowledge_base = sa.Table(
    "knowledge_base",
    metadata,
    sa.Column("kb_id", sa.Integer, primary_key=True),
    sa.Column("category_id", sa.Integer, sa.ForeignKey("categories.category_id")),
    sa.Column("title", _text(255), nullable=False),
    sa.Column("content", _text(), nullable=False),
    sa.Column("tags", _text(500)),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("users.user_id")),
    sa.Column("views", sa.Integer, nullable=False, server_default="0"),
    sa.Column("is_published", sa.Boolean, nullable=False, server_default=sa.false()),
    _created(),
    sa.Column("updated_at", sa.TIMESTAMP, nullable=False, server_default=NOW),
)

for _table in metadata.tables.values():
    _table.dialect_kwargs.update(mysql_engine="InnoDB", mysql_charset="utf8mb4", mysql_collate="utf8mb4_unicode_ci")

# Insertion order that respects the foreign keys (deletion runs it backwards).
TABLE_ORDER = [
    users,
    categories,
    tickets,
    ticket_comments,
    category_fields,
    ticket_field_values,
    configuration_items,
    ticket_ci_relations,
    knowledge_base,
]


def create_schema(engine: sa.Engine) -> None:
    """The portal's tables on ``engine`` (MariaDB: InnoDB, utf8mb4), where they do not exist yet."""
    metadata.create_all(engine)


def load_rows(connection: sa.Connection, rows: dict[str, list[dict]]) -> None:
    """Insert fixture rows, table by table in foreign-key order; columns a row leaves out get their defaults."""
    for table in TABLE_ORDER:
        groups: dict[tuple, list[dict]] = {}
        for row in rows.get(table.name, []):
            groups.setdefault(tuple(sorted(row)), []).append(row)
        for group in groups.values():
            connection.execute(table.insert(), group)


def rows_from_json(data: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Fixture rows as JSON holds them (times as ``YYYY-MM-DD HH:MM:SS`` UTC, dates as ISO) typed for insertion."""
    typed = {}
    for table in TABLE_ORDER:
        parsers = {
            c.name: datetime.fromisoformat if isinstance(c.type, sa.TIMESTAMP) else date.fromisoformat
            for c in table.columns
            if isinstance(c.type, sa.TIMESTAMP | sa.Date)
        }
        typed[table.name] = [
            {k: parsers[k](v) if k in parsers and isinstance(v, str) else v for k, v in row.items()}
            for row in data.get(table.name, [])
        ]
    return typed
