"""Reading the ticketportaal in bulk: a fixed number of queries per window, never one per ticket.

Every function takes an open connection and returns plain JSON-ready dicts; times are
UTC ISO strings (the connection's session time zone is UTC).
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from sdc_assets.partitions import local_day
from sdc_assets.ticketportaal.fingerprints import fingerprint, ticket_signature
from sdc_assets.ticketportaal.installation import Installation
from sdc_resources.ticketportaal_schema import (
    categories,
    category_fields,
    configuration_items,
    knowledge_base,
    ticket_ci_relations,
    ticket_comments,
    ticket_field_values,
    tickets,
    users,
)

WRITTEN_OFF = "Afgeschreven"
CI_FIELDS = ("ci_id", "ci_number", "name", "type", "category", "brand", "model", "serial_number", "asset_tag", "status")


def json_value(value):
    """A column value as JSON: times as UTC ISO strings, dates as ISO dates, booleans as booleans."""
    if isinstance(value, datetime):
        return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row(mapping) -> dict:
    return {key: json_value(value) for key, value in mapping.items()}


def _record(row: dict, table: sa.Table) -> dict:
    """SDC's columns of ``table`` from ``row``: a column this installation lacks reads as None."""
    return {column.name: row.get(column.name) for column in table.columns}


PERSON = ("user_id", "email", "first_name", "last_name", "department", "location", "role")


def _person(row: dict, prefix: str) -> dict | None:
    if row.get(f"{prefix}_user_id") is None:
        return None
    person = {key: row.get(f"{prefix}_{key}") for key in ("user_id", "email", "department", "location", "role")}
    names = (row.get(f"{prefix}_first_name"), row.get(f"{prefix}_last_name"))
    person["name"] = " ".join(p for p in names if p) or None
    return person


def _person_columns(alias, prefix: str, installation: Installation) -> list:
    return [
        column.label(f"{prefix}_{column.name}")
        for column in installation.select_columns(alias, users)
        if column.name in PERSON
    ]


def _heads(window, installation: Installation) -> sa.Select:
    """The tickets of ``window`` with their category name, requester and agent."""
    requester, agent = users.alias("requester"), users.alias("agent")
    return (
        sa.select(
            *installation.select_columns(tickets),
            categories.c.name.label("category_name"),
            *_person_columns(requester, "requester", installation),
            *_person_columns(agent, "agent", installation),
        )
        .select_from(
            tickets.outerjoin(categories, tickets.c.category_id == categories.c.category_id)
            .outerjoin(requester, tickets.c.user_id == requester.c.user_id)
            .outerjoin(agent, tickets.c.assigned_agent_id == agent.c.user_id)
        )
        .where(window)
        .order_by(tickets.c.ticket_id)
    )


def _comments(ids, installation: Installation) -> sa.Select:
    """The comments of tickets ``ids``, oldest first, with their author."""
    author = users.alias("author")
    return (
        sa.select(*installation.select_columns(ticket_comments), *_person_columns(author, "author", installation))
        .select_from(ticket_comments.outerjoin(author, ticket_comments.c.user_id == author.c.user_id))
        .where(ticket_comments.c.ticket_id.in_(ids))
        .order_by(ticket_comments.c.ticket_id, ticket_comments.c.created_at, ticket_comments.c.comment_id)
    )


def _fields(ids) -> sa.Select:
    """The dynamic field values of tickets ``ids`` in their form's order, with the field's definition."""
    return (
        sa.select(
            ticket_field_values.c.ticket_id,
            ticket_field_values.c.field_value,
            category_fields.c.field_id,
            category_fields.c.field_name,
            category_fields.c.field_label,
            sa.type_coerce(category_fields.c.field_type, sa.String()).label("field_type"),
        )
        .select_from(
            ticket_field_values.join(category_fields, ticket_field_values.c.field_id == category_fields.c.field_id)
        )
        .where(ticket_field_values.c.ticket_id.in_(ids))
        .order_by(ticket_field_values.c.ticket_id, category_fields.c.field_order, category_fields.c.field_id)
    )


def _cis(ids, installation: Installation) -> sa.Select:
    """The configuration items related to tickets ``ids``."""
    ci_columns = [c for c in installation.select_columns(configuration_items) if c.name in CI_FIELDS]
    return (
        sa.select(ticket_ci_relations.c.ticket_id, *ci_columns)
        .select_from(
            ticket_ci_relations.join(configuration_items, ticket_ci_relations.c.ci_id == configuration_items.c.ci_id)
        )
        .where(ticket_ci_relations.c.ticket_id.in_(ids))
        .order_by(ticket_ci_relations.c.ticket_id, configuration_items.c.ci_id)
    )


def _head_record(row: dict) -> dict:
    record = _record(row, tickets)
    category = {"category_id": row["category_id"], "name": row["category_name"]}
    record["category"] = category if row["category_id"] else None
    record["requester"] = _person(row, "requester")
    record["agent"] = _person(row, "agent")
    return record | {"comments": [], "fields": [], "configuration_items": []}


def _comment_record(row: dict) -> dict:
    return {
        "comment_id": row["comment_id"],
        "comment": row["comment"],
        "is_internal": bool(row["is_internal"]),
        "created_at": row["created_at"],
        "author": _person(row, "author"),
    }


def fetch_tickets(connection: sa.Connection, start: datetime, end: datetime, installation: Installation) -> list[dict]:
    """Every ticket created in ``[start, end)`` (UTC), with requester, agent, category, comments, dynamic
    fields and related CIs (each where this installation has them): four queries whatever the number of
    tickets."""
    window = sa.and_(tickets.c.created_at >= _naive_utc(start), tickets.c.created_at < _naive_utc(end))
    ids = sa.select(tickets.c.ticket_id).where(window).scalar_subquery()
    heads = map(_row, connection.execute(_heads(window, installation)).mappings())
    records = {row["ticket_id"]: _head_record(row) for row in heads}

    def rows(query: sa.Select):
        for row in map(_row, connection.execute(query).mappings()):
            if ticket := records.get(row.pop("ticket_id")):
                yield ticket, row

    for ticket, row in rows(_comments(ids, installation)):
        ticket["comments"].append(_comment_record(row))
    if installation.has(ticket_field_values, category_fields):
        for ticket, row in rows(_fields(ids)):
            ticket["fields"].append(row)
    if installation.has(ticket_ci_relations, configuration_items):
        for ticket, row in rows(_cis(ids, installation)):
            ticket["configuration_items"].append({name: row.get(name) for name in CI_FIELDS})
    return list(records.values())


def changed_tickets(connection: sa.Connection, since: datetime) -> list[dict]:
    """``ticket_id``, ``created_at`` and the latest change of tickets changed or commented after ``since``."""
    since = _naive_utc(since)
    commented = (
        sa.select(ticket_comments.c.ticket_id, sa.func.max(ticket_comments.c.created_at).label("changed_at"))
        .where(ticket_comments.c.created_at > since)
        .group_by(ticket_comments.c.ticket_id)
        .subquery()
    )
    query = (
        sa.select(tickets.c.ticket_id, tickets.c.created_at, tickets.c.updated_at, commented.c.changed_at)
        .select_from(tickets.outerjoin(commented, tickets.c.ticket_id == commented.c.ticket_id))
        .where(sa.or_(tickets.c.updated_at > since, commented.c.changed_at.is_not(None)))
    )
    return [
        {
            "ticket_id": row["ticket_id"],
            "created_at": json_value(row["created_at"]),
            "changed_at": json_value(max(t for t in (row["updated_at"], row["changed_at"]) if t is not None)),
        }
        for row in connection.execute(query).mappings()
    ]


def _fetch_live(
    connection: sa.Connection,
    installation: Installation,
    table: sa.Table,
    live: sa.ColumnElement,
    person: tuple[str, sa.Column],
    since: datetime | None,
    joins: tuple = (),
    extra: tuple = (),
) -> tuple[list[dict], set[int]]:
    """The ``live`` rows of ``table`` changed after ``since`` (all when None), each with the person its
    ``person`` column names; and the ids of every live row, so that rows gone from the source can be dropped.
    An installation without the table has none."""
    if not installation.has(table):
        return [], set()
    role, column = person
    alias = users.alias(role)
    source = table.outerjoin(alias, column == alias.c.user_id)
    for other, condition in joins:
        source = source.outerjoin(other, condition)
    key = next(iter(table.primary_key.columns))
    columns = installation.select_columns(table)
    query = (
        sa.select(*columns, *extra, *_person_columns(alias, role, installation))
        .select_from(source)
        .where(live)
        .order_by(key)
    )
    if since is not None:
        query = query.where(table.c.updated_at > _naive_utc(since))
    rows = []
    for row in map(_row, connection.execute(query).mappings()):
        record = _record(row, table) | {role: _person(row, role)}
        rows.append(record | {name: row[name] for name in (c.name for c in extra)})
    return rows, set(connection.execute(sa.select(key).where(live)).scalars())


def fetch_kb(connection: sa.Connection, since: datetime | None, installation: Installation) -> tuple[list, set[int]]:
    """Published articles changed after ``since``, with category and author; and every published id."""
    articles, live = _fetch_live(
        connection,
        installation,
        knowledge_base,
        knowledge_base.c.is_published == sa.true(),
        ("author", knowledge_base.c.author_id),
        since,
        joins=((categories, knowledge_base.c.category_id == categories.c.category_id),),
        extra=(categories.c.name.label("category"),),
    )
    return [a | {"is_published": bool(a["is_published"])} for a in articles], live


def fetch_cis(connection: sa.Connection, since: datetime | None, installation: Installation) -> tuple[list, set[int]]:
    """Configuration items not written off, changed after ``since``, with their owner; and every such id."""
    in_service = sa.type_coerce(configuration_items.c.status, sa.String()) != WRITTEN_OFF
    owner = ("owner", configuration_items.c.owner_id)
    return _fetch_live(connection, installation, configuration_items, in_service, owner, since)


def fetch_reference(connection: sa.Connection, installation: Installation) -> dict[str, list[dict]]:
    """Users and categories: small tables read whole, for the graph's person and category nodes."""
    return {
        table.name: [
            _record(_row(r), table)
            for r in connection.execute(sa.select(*installation.select_columns(table)).order_by(key)).mappings()
        ]
        for table, key in ((users, users.c.user_id), (categories, categories.c.category_id))
    }


def _naive_utc(moment: datetime) -> datetime:
    """A bound parameter for a TIMESTAMP column read in a UTC session."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def reference_signature(connection: sa.Connection, installation: Installation) -> str:
    """What changes when a KB article or CI is added, edited, unpublished, written off or deleted."""
    parts = []
    for table, live in (
        (knowledge_base, knowledge_base.c.is_published == sa.true()),
        (configuration_items, sa.type_coerce(configuration_items.c.status, sa.String()) != WRITTEN_OFF),
    ):
        if not installation.has(table):
            continue
        newest, count = connection.execute(
            sa.select(sa.func.max(table.c.updated_at), sa.func.count()).select_from(table).where(live)
        ).one()
        parts.append(f"{table.name}:{json_value(newest)}:{count}")
    return "|".join(parts)


def database_now(connection: sa.Connection) -> datetime:
    """The database's own clock (UTC: the session's time zone)."""
    return json_utc(connection.execute(sa.select(sa.func.current_timestamp())).scalar_one())


def json_utc(value) -> datetime:
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day_fingerprints(
    connection: sa.Connection, installation: Installation, since: datetime | None, zone: str
) -> dict[str, str]:
    """Per local creation day (from ``since`` on, every day when None), the fingerprint of its tickets: ids,
    ``updated_at``, and the ids of their comments, field values and CI relations (see ``fingerprints``)."""
    created = tickets.c.created_at >= _naive_utc(since) if since is not None else sa.true()
    ids = sa.select(tickets.c.ticket_id).where(created)
    children: dict[int, dict[str, list[int]]] = {}
    for name, table, key in (
        ("comments", ticket_comments, ticket_comments.c.comment_id),
        ("fields", ticket_field_values, ticket_field_values.c.field_id),
        ("cis", ticket_ci_relations, ticket_ci_relations.c.ci_id),
    ):
        if installation.has(table):
            for ticket_id, child in connection.execute(
                sa.select(table.c.ticket_id, key).where(table.c.ticket_id.in_(ids))
            ):
                children.setdefault(ticket_id, {}).setdefault(name, []).append(child)
    tz, by_day = ZoneInfo(zone), {}
    for ticket_id, created_at, updated_at in connection.execute(
        sa.select(tickets.c.ticket_id, tickets.c.created_at, tickets.c.updated_at).where(created)
    ):
        day = local_day(json_utc(created_at), tz)
        mine = children.get(ticket_id, {})
        signature = ticket_signature(
            ticket_id, json_value(updated_at), mine.get("comments", []), mine.get("fields", []), mine.get("cis", [])
        )
        by_day.setdefault(day, []).append(signature)
    return {day: fingerprint(signatures) for day, signatures in by_day.items()}


def ticket_created_days(connection: sa.Connection, zone: str) -> set[str]:
    """Every local day on which a ticket was created."""
    tz = ZoneInfo(zone)
    return {
        local_day(moment.replace(tzinfo=UTC), tz)
        for moment in connection.execute(sa.select(tickets.c.created_at)).scalars()
    }
