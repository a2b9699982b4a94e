"""The knowledge graph built from the portal on the real MariaDB, through the index, into MariaDB tables."""

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from sdc_assets.partitions import partition_range_tags
from sdc_resources.graph_store import graph_edges
from sdc_resources.ticketportaal_schema import (
    configuration_items,
    knowledge_base,
    ticket_ci_relations,
    ticket_comments,
    tickets,
)
from sdc_tests.graph.flow import DAILY, graph_resources, read_graph, run_metadata, snapshot, sync

ONE = Decimal("1.00")


def test_the_portal_becomes_nodes_and_edges_with_confidences(index_resources, ticketportaal, mariadb_graph):
    resources = graph_resources(index_resources, ticketportaal, mariadb_graph)
    with dg.instance_for_test() as instance:
        result = sync(resources, instance)
    nodes, edges = read_graph(mariadb_graph)

    assert {n for n, p in nodes.items() if p["type"] == "ticket"} == {f"ticket_{i}" for i in range(1, 6)}
    assert {n: p["type"] for n, p in nodes.items() if n.startswith("user_")} == {
        "user_1": "user", "user_2": "tech", "user_3": "tech", "user_4": "user"
    }  # fmt: skip
    assert {n for n in nodes if n.startswith("ci_")} == {"ci_1", "ci_2", "ci_3", "ci_5"}  # CI 4 is written off
    assert {n for n in nodes if n.startswith("kb_")} == {"kb_1", "kb_2"}  # KB 3 is not published
    assert {n for n in nodes if n.startswith("category_")} == {f"category_{i}" for i in range(1, 5)}
    assert nodes["department_financien"] == {"type": "department", "name": "Financiën"}
    assert nodes["ticket_1"]["ticket_number"] == "KK-2025-0001"
    assert nodes["ticket_1"]["status"] == "closed"

    # Stated relations: 1.0, every ticket its CREATED_BY, every ticket_ci_relations row its AFFECTS.
    assert {(s, t) for s, kind, t in edges if kind == "CREATED_BY" and s.startswith("ticket_")} == {
        ("ticket_1", "user_1"), ("ticket_2", "user_4"), ("ticket_3", "user_1"), ("ticket_4", "user_1"),
        ("ticket_5", "user_4"),
    }  # fmt: skip
    assert edges[("ticket_1", "ASSIGNED_TO", "user_2")] == ONE
    assert edges[("ticket_2", "BELONGS_TO", "category_4")] == ONE
    for pair in (("ticket_1", "ci_2"), ("ticket_4", "ci_1"), ("ticket_4", "ci_3")):
        assert edges[(pair[0], "AFFECTS", pair[1])] == ONE
    assert edges[("kb_1", "CREATED_BY", "user_2")] == ONE
    assert edges[("kb_1", "BELONGS_TO", "category_1")] == ONE
    assert edges[("ci_1", "BELONGS_TO", "department_financien")] == ONE

    # Read from text: lower confidence.
    assert edges[("ticket_3", "AFFECTS", "ci_2")] == Decimal("0.80")  # names PRN-FIN-01, no relation row
    assert edges[("ticket_1", "MENTIONS", "entity_hostname_prn-fin-01")] == Decimal("0.95")
    assert edges[("ticket_2", "MENTIONS", "entity_email_anouk-devries-kruitkramer-nl")] == Decimal("0.90")
    assert edges[("ticket_4", "MENTIONS", "entity_ip-address_10-0-12-45")] == Decimal("0.90")
    assert edges[("ticket_3", "MENTIONS", "entity_ticket-number_kk-2025-0001")] == Decimal("0.90")
    assert edges[("ticket_4", "MENTIONS", "entity_product_microsoft-365-apps-for-business")] == Decimal("0.95")
    assert all(c < ONE for (_, kind, _), c in edges.items() if kind == "MENTIONS")

    # Vector-derived: the two printer tickets are similar both ways, and nothing else crosses 0.6.
    similar = {(s, t): c for (s, kind, t), c in edges.items() if kind == "SIMILAR_TO"}
    assert set(similar) == {("ticket_1", "ticket_3"), ("ticket_3", "ticket_1")}
    assert all(Decimal("0.6") <= c <= ONE for c in similar.values())
    resolved = {(s, t) for s, kind, t in edges if kind == "RESOLVED_BY"}
    assert resolved == {("ticket_1", "kb_1"), ("ticket_3", "kb_1"), ("ticket_4", "kb_2")}  # not the open ticket 2

    summary = run_metadata(result, "graph_edges")
    assert summary["edges_CREATED_BY"] == 7
    assert summary["edges_SIMILAR_TO"] == 2
    (complete,) = [c for c in result.get_asset_check_evaluations() if c.check_name == "ticket_edges_complete"]
    assert complete.passed
    assert complete.metadata["portal_tickets"].value == 5
    assert run_metadata(result, "graph_nodes")["sessions_read_by_ner"] == 5


def test_a_second_sync_changes_no_row_and_vanished_evidence_removes_its_edges(
    index_resources, ticketportaal, mariadb_graph
):
    resources = graph_resources(index_resources, ticketportaal, mariadb_graph)
    with dg.instance_for_test() as instance:
        sync(resources, instance)
        before = snapshot(mariadb_graph)
        chroma = {c.name: c.count() for c in index_resources["vector_store"].client().list_collections()}
        index = Path(index_resources["index_store"].root)
        files = {p: p.stat().st_mtime_ns for p in index.rglob("*.parquet")}

        again = sync(resources, instance)
        assert {p: p.stat().st_mtime_ns for p in index.rglob("*.parquet")} == files  # reference.parquet too
        assert run_metadata(again, "graph_edges")["rows_changed"] == 0
        assert run_metadata(again, "graph_nodes")["sessions_read_by_ner"] == 0
        assert snapshot(mariadb_graph) == before
        assert {c.name: c.count() for c in index_resources["vector_store"].client().list_collections()} == chroma

        with ticketportaal.connect() as connection:
            connection.execute(sa.delete(ticket_ci_relations).where(ticket_ci_relations.c.relation_id == 3))
            connection.execute(
                sa.update(tickets).where(tickets.c.ticket_id == 2).values(description="Ik kan niet meer inloggen.")
            )
        changed = dg.materialize(
            DAILY,
            resources=resources,
            instance=instance,
            tags=partition_range_tags("2025-03-10", "2025-03-11"),
        )
        assert changed.success
    nodes, edges = read_graph(mariadb_graph)
    # The relation row is gone; the CI's product name in the description still says so, with less certainty.
    assert edges[("ticket_4", "AFFECTS", "ci_3")] == Decimal("0.60")
    assert edges[("ticket_4", "AFFECTS", "ci_1")] == ONE
    assert ("ticket_2", "MENTIONS", "entity_email_anouk-devries-kruitkramer-nl") not in edges
    assert "entity_email_anouk-devries-kruitkramer-nl" not in nodes  # no edge left: the entity goes too
    assert "user_4" in nodes
    assert ("ticket_5", "CREATED_BY", "user_4") in edges  # other days untouched
    summary = run_metadata(changed, "graph_edges")
    assert summary["updated"] == 1
    assert summary["deleted"] >= 1


def test_a_written_off_ci_stays_a_node_while_tickets_point_at_it(index_resources, ticketportaal, mariadb_graph):
    resources = graph_resources(index_resources, ticketportaal, mariadb_graph)
    with ticketportaal.connect() as connection:
        connection.execute(sa.insert(ticket_ci_relations).values(relation_id=9, ticket_id=2, ci_id=4))  # written off
    with dg.instance_for_test() as instance:
        sync(resources, instance)
        nodes, edges = read_graph(mariadb_graph)
        assert nodes["ci_4"]["status"] == "Afgeschreven"
        assert edges[("ticket_2", "AFFECTS", "ci_4")] == ONE

        with ticketportaal.connect() as connection:  # the printer of ticket 1 is written off later
            connection.execute(
                sa.update(configuration_items)
                .where(configuration_items.c.ci_id == 2)
                .values(status="Afgeschreven", updated_at=datetime(2025, 6, 1, 9, 0))
            )
        result = sync(resources, instance)
    nodes, edges = read_graph(mariadb_graph)  # asserts that no edge lost a node
    assert nodes["ci_2"]["status"] == "Afgeschreven"
    assert edges[("ticket_1", "AFFECTS", "ci_2")] == ONE
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks["ticket_edges_complete"]
    assert checks["edges_have_both_nodes"]


def test_a_dutch_resolution_that_names_an_english_article_is_resolved_by_it(
    index_resources, ticketportaal, mariadb_graph
):
    resources = graph_resources(index_resources, ticketportaal, mariadb_graph)
    with ticketportaal.connect() as connection:
        connection.execute(
            sa.insert(knowledge_base).values(
                kb_id=4, category_id=4, title="Reset a user's MFA registration in Entra ID", author_id=3,
                content="<p>Open the Entra admin center, Users, Authentication methods, Require re-register MFA.</p>",
                is_published=True, created_at=datetime(2024, 9, 1), updated_at=datetime(2024, 9, 1),
            )
        )  # fmt: skip
        connection.execute(
            sa.insert(tickets).values(
                ticket_id=6, ticket_number="KK-2025-0006", user_id=4, assigned_agent_id=3, category_id=4,
                title="Authenticator app kwijt na nieuwe telefoon", priority="medium", ticket_type="incident",
                description="Nieuwe telefoon, de Authenticator app vraagt om een code die ik niet heb.",
                status="closed", source="phone", created_at=datetime(2025, 3, 12, 8),
                updated_at=datetime(2025, 3, 12, 9), resolved_at=datetime(2025, 3, 12, 9),
                resolution="MFA-registratie gereset volgens KB-4; ook Windows update KB5034441 geïnstalleerd.",
            )
        )  # fmt: skip
        connection.execute(  # an open ticket pointing at the article is not resolved by it (yet)
            sa.insert(ticket_comments).values(
                comment_id=9, ticket_id=5, user_id=3, comment="Probeer eerst kb_article.php?id=4", is_internal=False,
                created_at=datetime(2025, 3, 12, 11, 30),
            )
        )  # fmt: skip
    with dg.instance_for_test() as instance:
        sync(resources, instance)
    nodes, edges = read_graph(mariadb_graph)
    assert nodes["kb_4"]["type"] == "kb_article"
    assert edges[("ticket_6", "RESOLVED_BY", "kb_4")] == ONE
    assert {(s, t) for s, kind, t in edges if kind == "RESOLVED_BY" and s in ("ticket_5", "ticket_6")} == {
        ("ticket_6", "kb_4")
    }


def test_the_graph_checks_fail_when_the_graph_is_broken(index_resources, ticketportaal, mariadb_graph):
    resources = graph_resources(index_resources, ticketportaal, mariadb_graph)
    with dg.instance_for_test() as instance:
        sync(resources, instance)
        with mariadb_graph.connect() as connection:  # a row of the portal's own (no SDC scope), to a missing node
            connection.execute(
                sa.insert(graph_edges).values(
                    source_id="ticket_1",
                    target_id="solution_77",
                    edge_type="RESOLVED_BY",
                    confidence=1,
                    created_at=datetime(2025, 1, 1),
                    updated_at=datetime(2025, 1, 1),
                )
            )
            connection.execute(
                sa.delete(graph_edges).where(
                    graph_edges.c.source_id == "ticket_5", graph_edges.c.edge_type == "CREATED_BY"
                )
            )
        job = dg.Definitions(assets=DAILY, resources=resources).resolve_implicit_global_asset_job_def()
        checks_alone = job.get_subset(
            asset_selection=set(),
            asset_check_selection={
                dg.AssetCheckKey(dg.AssetKey("graph_edges"), name)
                for name in ("ticket_edges_complete", "edges_have_both_nodes")
            },
        )
        result = checks_alone.execute_in_process(instance=instance, partition_key="2025-03-12", raise_on_error=False)
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert not checks["ticket_edges_complete"].passed
    assert checks["ticket_edges_complete"].metadata["missing_created_by"].value == ["ticket_5"]
    assert not checks["edges_have_both_nodes"].passed
    assert "ticket_1 -RESOLVED_BY-> solution_77" in checks["edges_have_both_nodes"].metadata["dangling_edges"].value
    assert checks["edges_have_both_nodes"].severity == dg.AssetCheckSeverity.ERROR


def test_the_graph_does_not_depend_on_how_the_work_was_split(index_resources, ticketportaal, mariadb_graph):
    resources = graph_resources(index_resources, ticketportaal, mariadb_graph)
    with dg.instance_for_test() as instance:
        for day in ("2025-03-10", "2025-03-11", "2025-03-12"):  # a cold ingest in several ranges, oldest first
            sync(resources, instance, days=(day, day))
        split = read_graph(mariadb_graph)
        before = snapshot(mariadb_graph)
        again = sync(resources, instance, days=("2025-03-10", "2025-03-12"))  # unchanged, in one run
        assert run_metadata(again, "graph_edges")["rows_changed"] == 0
        assert snapshot(mariadb_graph) == before
        similar = {(s, t) for s, kind, t in split[1] if kind == "SIMILAR_TO"}
        assert similar == {("ticket_1", "ticket_3"), ("ticket_3", "ticket_1")}  # both ways, across the split

        with ticketportaal.connect() as connection:  # ticket 3 turns out to be about something else
            connection.execute(
                sa.update(tickets)
                .where(tickets.c.ticket_id == 3)
                .values(
                    title="Geen wifi in de vergaderruimte",
                    description="De vergaderruimte heeft geen wifi.",
                    updated_at=datetime(2025, 3, 11, 12),
                )
            )
        edited = sync(resources, instance, days=("2025-03-11", "2025-03-11"))
    _, edges = read_graph(mariadb_graph)
    assert not {(s, t) for s, kind, t in edges if kind == "SIMILAR_TO"}  # the pair left, in both directions
    changed = {k for k in set(split[1]) ^ set(edges)}
    assert changed
    assert all("ticket_3" in (s, t) for s, _, t in changed)  # only the edited ticket's edges moved
    assert run_metadata(edited, "graph_edges").get("edges_SIMILAR_TO", 0) == 0
