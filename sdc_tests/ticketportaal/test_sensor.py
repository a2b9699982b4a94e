"""The ticketportaal update sensor over ticks, against the real MariaDB."""

import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from sdc_assets.ticketportaal.queries import database_now
from sdc_assets.ticketportaal.sensors import REFERENCE_KEYS, TICKETS, plan_ticket_runs, ticketportaal_update_sensor
from sdc_resources.ticketportaal import Ticketportaal
from sdc_resources.ticketportaal_schema import knowledge_base, load_rows, tickets
from sdc_tests.lineage import keys, sensor_context


def tick(portal: Ticketportaal, cursor: str | None):
    with dg.instance_for_test() as instance:
        context = sensor_context(instance=instance, cursor=cursor, resources={"ticketportaal": portal})
        return ticketportaal_update_sensor(context)


def ranges(result) -> list[tuple[str, str]]:
    return [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in result.run_requests
        if r.asset_selection == keys(TICKETS)
    ]


def test_changed_tickets_rerun_their_creation_days_and_the_cursor_follows(ticketportaal):
    cursor = json.dumps({"tickets": "2025-03-11T12:00:00+00:00"})
    first = tick(ticketportaal, cursor)
    assert ranges(first) == [("2025-03-11", "2025-03-12")]  # tickets 4 and 5 changed after noon on the 11th
    assert [r.asset_selection for r in first.run_requests if r.asset_selection == REFERENCE_KEYS]  # first look
    state = json.loads(first.cursor)
    assert state["tickets"] == "2025-03-12T11:00:00+00:00"

    quiet = tick(ticketportaal, first.cursor)
    assert quiet.run_requests == []
    assert json.loads(quiet.cursor) == state
    assert "no ticket updated or commented since 2025-03-12" in quiet.skip_reason.skip_message

    with ticketportaal.connect() as connection:
        load_rows(connection, {"ticket_comments": [
            dict(comment_id=50, ticket_id=1, user_id=1, comment="Weer kapot", created_at=datetime(2025, 3, 14, 8))
        ]})  # fmt: skip
        connection.execute(sa.update(knowledge_base).where(knowledge_base.c.kb_id == 1).values(is_published=False))
    late = tick(ticketportaal, quiet.cursor)
    assert ranges(late) == [("2025-03-10", "2025-03-10")]  # a comment re-runs the ticket's creation day
    assert [r.asset_selection for r in late.run_requests][1:] == [REFERENCE_KEYS]  # an article was unpublished
    assert json.loads(late.cursor)["tickets"] == "2025-03-14T08:00:00+00:00"


def test_an_unreachable_database_keeps_the_cursor(data_dir):
    down = Ticketportaal(host="127.0.0.1", port=1, user="root", database="x", retries=0, connect_timeout=2)
    result = tick(down, json.dumps({"tickets": "2025-03-11T12:00:00+00:00"}))
    assert isinstance(result, dg.SkipReason)
    assert "cursor kept at 2025-03-11T12:00:00+00:00" in result.skip_message


def test_not_configured_skips_with_the_reason(data_dir):
    result = tick(Ticketportaal(), None)
    assert isinstance(result, dg.SkipReason)
    assert "TICKETPORTAAL_HOST" in result.skip_message


def _tick_in(instance, portal, cursor):
    context = sensor_context(instance=instance, cursor=cursor, resources={"ticketportaal": portal})
    return ticketportaal_update_sensor(context)


def _ticket_runs(result) -> list:
    return [r for r in result.run_requests if r.asset_selection == keys(TICKETS)]


def test_a_row_dated_in_the_future_does_not_blind_the_sensor(ticketportaal):
    with dg.instance_for_test() as instance:
        now = ticketportaal.run(database_now, "now")
        with ticketportaal.connect() as connection:  # a generator of the portal writes 8 hours ahead
            connection.execute(
                sa.update(tickets)
                .where(tickets.c.ticket_id == 2)
                .values(updated_at=(now + timedelta(hours=8)).replace(tzinfo=None))
            )
        first = _tick_in(instance, ticketportaal, json.dumps({"tickets": (now - timedelta(hours=1)).isoformat()}))
        cursor = json.loads(first.cursor)
        assert cursor["tickets"] <= ticketportaal.run(database_now, "now").isoformat()  # clamped to the clock
        assert "2" in cursor["future"]

        with ticketportaal.connect() as connection:  # a real change, a moment later by the database's clock
            connection.execute(
                sa.update(tickets)
                .where(tickets.c.ticket_id == 4)
                .values(updated_at=sa.func.current_timestamp() + sa.text("INTERVAL 1 SECOND"))
            )
        later = _tick_in(instance, ticketportaal, first.cursor)
        requested = {r.tags["dagster/asset_partition_range_start"] for r in _ticket_runs(later)}
        assert requested == {"2025-03-11"}  # ticket 4's day, and not ticket 2's again
        again = _tick_in(instance, ticketportaal, later.cursor)
        assert not _ticket_runs(again)


def test_a_row_run_while_ahead_of_the_clock_is_not_run_again_once_the_clock_passes_it():
    row = {"ticket_id": 4, "created_at": "2025-03-11T09:00:00+00:00", "changed_at": "2026-12-03T07:34:00+00:00"}
    ahead = datetime(2026, 12, 3, 7, 33, 59, tzinfo=UTC)
    first, cursor, future = plan_ticket_runs([row], ahead, {"2025-03-11"}, ahead)
    assert len(first) == 1
    assert future == {"4": row["changed_at"]}
    assert cursor == ahead
    passed = datetime(2026, 12, 3, 7, 34, 0, tzinfo=UTC)
    again, cursor, future = plan_ticket_runs([row], cursor, {"2025-03-11"}, passed, seen_future=future)
    assert again == []
    assert future == {}
    assert cursor == passed
