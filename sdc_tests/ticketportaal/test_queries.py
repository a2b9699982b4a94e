"""Reading the portal from the real MariaDB: shapes, time zones, bulk queries, injection, lost connections."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sdc_assets.ticketportaal.installation import Installation
from sdc_assets.ticketportaal.queries import changed_tickets, fetch_cis, fetch_kb, fetch_tickets
from sdc_resources.sql_database import SqlDatabase, statement_counter
from sdc_resources.ticketportaal_schema import (
    TABLE_ORDER,
    configuration_items,
    knowledge_base,
    load_rows,
    ticket_comments,
    ticket_field_values,
    tickets,
    users,
)
from sdc_tests.mariadb import MARIADB
from sdc_tests.ticketportaal.world import window

ALL = (datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))


def test_a_ticket_comes_with_requester_agent_category_comments_fields_and_cis(ticketportaal):
    records = {
        r["ticket_id"]: r for r in ticketportaal.run(lambda c: fetch_tickets(c, *ALL, Installation.read(c)), "test")
    }
    printer = records[1]
    assert printer["ticket_number"] == "KK-2025-0001"
    assert printer["status"] == "closed"
    assert printer["created_at"] == "2025-03-10T08:15:00+00:00"
    assert printer["requester"] == {
        "user_id": 1,
        "email": "kees.jansen@kruitkramer.nl",
        "department": "Financiën",
        "location": "Kantoor Utrecht",
        "role": "user",
        "name": "Kees Jansen",
    }
    assert printer["agent"]["name"] == "Priya Sharma"
    assert printer["agent"]["role"] == "agent"
    assert printer["category"] == {"category_id": 1, "name": "Hardware"}
    assert [(c["comment_id"], c["is_internal"], c["author"]["name"]) for c in printer["comments"]] == [
        (1, False, "Priya Sharma"),
        (2, True, "Priya Sharma"),
        (3, False, "Kees Jansen"),
    ]
    assert [(f["field_label"], f["field_name"], f["field_value"]) for f in printer["fields"]] == [
        ("Merk", "hardware_brand", "HP"),
        ("Model", "hardware_model", "LaserJet Pro M404dn"),
        ("Locatie", "location", "Kantoor Utrecht, 2.12"),
    ]
    assert [ci["ci_number"] for ci in printer["configuration_items"]] == ["CI-2025-0002"]
    assert records[2]["agent"] is None
    assert records[2]["resolved_at"] is None
    assert [ci["ci_number"] for ci in records[4]["configuration_items"]] == ["CI-2025-0001", "CI-2025-0003"]


def test_a_day_is_the_amsterdam_day_whatever_the_servers_time_zone(ticketportaal):
    with ticketportaal.connect() as connection:
        assert connection.execute(sa.text("SELECT @@session.time_zone")).scalar_one() == "+00:00"
    tenth = ticketportaal.run(lambda c: fetch_tickets(c, *window(["2025-03-10"]), Installation.read(c)), "test")
    eleventh = ticketportaal.run(lambda c: fetch_tickets(c, *window(["2025-03-11"]), Installation.read(c)), "test")
    assert [r["ticket_id"] for r in tenth] == [1, 2]  # 22:30 UTC is 23:30 in Amsterdam
    assert [r["ticket_id"] for r in eleventh] == [3, 4]  # 23:30 UTC on the 10th is the 11th


def _more_tickets(count: int, first_id: int) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {"tickets": [], "ticket_comments": [], "ticket_field_values": []}
    rows["ticket_ci_relations"] = []
    for n in range(first_id, first_id + count):
        rows["tickets"].append(
            dict(ticket_id=n, ticket_number=f"KK-2025-{n:04d}", user_id=1, assigned_agent_id=2, category_id=1,
                 title=f"Ticket {n}", description="Laptop start niet op.", status="closed",
                 created_at=datetime(2025, 4, 2, 9) + timedelta(minutes=n), updated_at=datetime(2025, 4, 2, 18))
        )  # fmt: skip
        rows["ticket_comments"] += [
            dict(
                comment_id=n * 10 + k, ticket_id=n, user_id=2, comment=f"Stap {k}", created_at=datetime(2025, 4, 2, 12)
            )
            for k in range(3)
        ]
        rows["ticket_field_values"].append(dict(value_id=n, ticket_id=n, field_id=1, field_value="Dell"))
        rows["ticket_ci_relations"].append(dict(relation_id=n, ticket_id=n, ci_id=1))
    return rows


@pytest.mark.parametrize("count", [1, 60])
def test_a_window_costs_four_queries_however_many_tickets_it_holds(ticketportaal, count):
    with ticketportaal.connect() as connection:
        load_rows(connection, _more_tickets(count, 100))
    installation = ticketportaal.run(Installation.read, "schema")
    with statement_counter(ticketportaal.engine()) as statements:
        records = ticketportaal.run(lambda c: fetch_tickets(c, *window(["2025-04-02"]), installation), "test")
    assert len(records) == count
    assert all(
        len(r["comments"]) == 3 and len(r["fields"]) == 1 and len(r["configuration_items"]) == 1 for r in records
    )
    assert len(statements) == 4


def test_kb_and_cis_leave_out_unpublished_and_written_off_rows(ticketportaal):
    articles, live = ticketportaal.run(lambda c: fetch_kb(c, None, Installation.read(c)), "test")
    assert [a["kb_id"] for a in articles] == [1, 2]
    assert live == {1, 2}
    assert articles[0]["author"]["name"] == "Priya Sharma"
    assert articles[0]["category"] == "Hardware"
    items, live_cis = ticketportaal.run(lambda c: fetch_cis(c, None, Installation.read(c)), "test")
    assert [i["ci_id"] for i in items] == [1, 2, 3, 5]
    assert live_cis == {1, 2, 3, 5}
    assert items[0]["purchase_date"] == "2023-05-01"
    assert items[0]["owner"]["name"] == "Kees Jansen"
    since = datetime(2025, 1, 10, 10, tzinfo=UTC)
    assert ticketportaal.run(lambda c: fetch_cis(c, since, Installation.read(c)), "test")[0] == []


def test_changed_tickets_include_those_with_new_comments(ticketportaal):
    since = datetime(2025, 3, 11, 12, tzinfo=UTC)
    assert {r["ticket_id"] for r in ticketportaal.run(lambda c: changed_tickets(c, since), "test")} == {4, 5}
    with ticketportaal.connect() as connection:
        load_rows(connection, {"ticket_comments": [
            dict(comment_id=99, ticket_id=1, user_id=1, comment="Weer kapot", created_at=datetime(2025, 3, 13, 8))
        ]})  # fmt: skip
    changed = {r["ticket_id"]: r for r in ticketportaal.run(lambda c: changed_tickets(c, since), "test")}
    assert set(changed) == {1, 4, 5}
    assert changed[1]["changed_at"] == "2025-03-13T08:00:00+00:00"
    assert changed[1]["created_at"] == "2025-03-10T08:15:00+00:00"


HOSTILE = [
    "'; DROP TABLE tickets; --",
    'Robert"); DELETE FROM users WHERE 1=1; --',
    "\\'; SELECT SLEEP(5); -- \\",
    "%s %(name)s :name ? $1 {0}",
    "emoji 🖨️💥 and Ünïcødé ß 中文",
    "line\nbreak\ttab\r\nend",
    "NUL\x00byte",
]


# Every text column SDC reads, with the row to write into and how to find the value in what SDC fetched.
TEXT_COLUMNS = [
    (tickets, "title", 1, lambda r: r["tickets"][1]["title"]),
    (tickets, "description", 2, lambda r: r["tickets"][2]["description"]),
    (tickets, "resolution", 3, lambda r: r["tickets"][3]["resolution"]),
    (ticket_comments, "comment", 2, lambda r: r["tickets"][1]["comments"][1]["comment"]),
    (ticket_field_values, "field_value", 1, lambda r: r["tickets"][1]["fields"][0]["field_value"]),
    (users, "last_name", 1, lambda r: r["tickets"][1]["requester"]["name"].removeprefix("Kees ")),
    (knowledge_base, "content", 1, lambda r: r["kb"][1]["content"]),
    (knowledge_base, "tags", 2, lambda r: r["kb"][2]["tags"]),
    (configuration_items, "notes", 1, lambda r: r["cis"][1]["notes"]),
    (configuration_items, "serial_number", 2, lambda r: r["cis"][2]["serial_number"]),
]


def _counts(connection) -> dict[str, int]:
    return {t.name: connection.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in TABLE_ORDER}


def test_hostile_text_in_every_column_round_trips_byte_for_byte_and_every_table_survives(ticketportaal):
    written = {}
    with ticketportaal.connect() as connection:
        before = _counts(connection)
        for n, (table, column, key, _) in enumerate(TEXT_COLUMNS):
            text = HOSTILE[n % len(HOSTILE)]
            text = text[:100] if isinstance(table.c[column].type, sa.String) and table.c[column].type.length else text
            primary = next(iter(table.primary_key.columns))
            connection.execute(sa.update(table).where(primary == key).values({column: text}))
            written[(table.name, column)] = text

    installation = ticketportaal.run(Installation.read, "schema")

    def everything(connection):
        return {
            "tickets": {r["ticket_id"]: r for r in fetch_tickets(connection, *ALL, installation)},
            "kb": {a["kb_id"]: a for a in fetch_kb(connection, None, installation)[0]},
            "cis": {i["ci_id"]: i for i in fetch_cis(connection, None, installation)[0]},
        }

    fetched = ticketportaal.run(everything, "test")
    for table, column, _, find in TEXT_COLUMNS:
        assert find(fetched) == written[(table.name, column)], (table.name, column)
    with ticketportaal.connect() as connection:
        assert _counts(connection) == before


def test_a_lost_connection_is_retried_on_a_fresh_one(ticketportaal):
    admin = SqlDatabase(**MARIADB, database="test")
    attempts = []

    def work(connection):
        attempts.append(connection.execute(sa.text("SELECT CONNECTION_ID()")).scalar_one())
        if len(attempts) == 1:
            with admin.connect() as other:
                other.execute(sa.text(f"KILL {attempts[0]}"))
        return connection.execute(sa.select(sa.func.count()).select_from(tickets)).scalar_one()

    assert ticketportaal.run(work, "test") == 5
    assert len(attempts) == 2
    assert attempts[0] != attempts[1]


def test_an_error_that_is_not_a_lost_connection_is_not_retried(ticketportaal):
    calls = []

    def work(connection):
        calls.append(1)
        return connection.execute(sa.text("SELECT * FROM no_such_table")).all()

    with pytest.raises(sa.exc.ProgrammingError):
        ticketportaal.run(work, "test")
    assert calls == [1]
