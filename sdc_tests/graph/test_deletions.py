"""What the portal deletes without touching `tickets.updated_at`, and clocks that run ahead: the update sensor
and the daily reconciliation still see it, and the sessions, the index and the graph follow."""

import json

import dagster as dg
import polars as pl
import pytest
import sqlalchemy as sa

from sdc_assets.partitions import TIMEZONE
from sdc_assets.ticketportaal.queries import database_now, ticket_created_days
from sdc_assets.ticketportaal.sensors import (
    TICKETS,
    ticketportaal_reconcile_schedule,
    ticketportaal_update_sensor,
)
from sdc_resources.ticketportaal_schema import ticket_ci_relations, ticket_comments
from sdc_tests.graph.flow import DAILY, graph_resources, read_graph, sync
from sdc_tests.lineage import keys, sensor_context
from sdc_tests.ticketportaal.world import recent_world


@pytest.fixture
def portal_rows():
    return recent_world()


def _days(portal) -> tuple[str, str]:
    days = sorted(portal.run(lambda c: ticket_created_days(c, TIMEZONE), "days"))
    return days[0], days[-1]


def _tick(instance, portal, cursor):
    context = sensor_context(instance=instance, cursor=cursor, resources={"ticketportaal": portal})
    return ticketportaal_update_sensor(context)


def _ticket_runs(result) -> list[dg.RunRequest]:
    return [r for r in result.run_requests if r.asset_selection == keys(TICKETS)]


@pytest.mark.slow
def test_a_deleted_comment_and_relation_leave_session_index_and_graph(index_resources, ticketportaal, mariadb_graph):
    resources = graph_resources(index_resources, ticketportaal, mariadb_graph)
    first, last = _days(ticketportaal)
    with dg.instance_for_test() as instance:
        sync(resources, instance, days=(first, last))
        now = ticketportaal.run(database_now, "now")
        quiet = _tick(instance, ticketportaal, json.dumps({"tickets": now.isoformat()}))
        assert not _ticket_runs(quiet)  # what is stored equals the portal

        with ticketportaal.connect() as connection:  # the portal deletes without touching tickets.updated_at
            connection.execute(sa.delete(ticket_comments).where(ticket_comments.c.comment_id == 1))
            connection.execute(sa.delete(ticket_ci_relations).where(ticket_ci_relations.c.relation_id == 1))
        (request,) = _ticket_runs(_tick(instance, ticketportaal, quiet.cursor))
        assert dg.materialize(DAILY, resources=resources, instance=instance, tags=request.tags).success

    day = request.tags["dagster/asset_partition_range_start"]
    (session,) = [
        s
        for s in index_resources["session_store"].read_partition("ticketportaal", day)
        if s.meta.source_ref == "ticket/1"
    ]
    assert "Ik kijk er vandaag naar." not in [seg.text for seg in session.segments]
    chunks = pl.read_parquet(index_resources["index_store"].chunks_path(day))
    assert not chunks.filter(pl.col("text").str.contains("Ik kijk er vandaag naar.")).height
    _, edges = read_graph(mariadb_graph)
    assert edges.get(("ticket_1", "AFFECTS", "ci_2"), 0) < 1  # the relation row is gone; only the text's 0.80 stays


def test_the_daily_reconciliation_finds_what_changed_at_any_age(index_resources, ticketportaal, mariadb_graph):
    resources = graph_resources(index_resources, ticketportaal, mariadb_graph)
    first, last = _days(ticketportaal)
    with dg.instance_for_test() as instance:
        sync(resources, instance, days=(first, last))
        context = dg.build_schedule_context(instance=instance, resources={"ticketportaal": ticketportaal})
        assert isinstance(ticketportaal_reconcile_schedule(context), dg.SkipReason)
        with ticketportaal.connect() as connection:
            connection.execute(sa.delete(ticket_comments).where(ticket_comments.c.comment_id == 8))  # ticket 5's
        (request,) = ticketportaal_reconcile_schedule(context)
    assert request.tags["dagster/asset_partition_range_start"] == last
