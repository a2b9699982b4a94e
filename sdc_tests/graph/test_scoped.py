"""The run's graph from its parts: every node and edge in the scope that owns it, shared nodes only where no
scope of the run owns them."""

from sdc_assets.graph.build import Graph
from sdc_assets.graph.scoped import REFERENCE_SCOPE, DayGraph, build_graph, day_metadata, edge_preview
from sdc_resources.graph_store import Edge, Node


def _day(day: str, ticket: str, user: str) -> DayGraph:
    graph = Graph(nodes={ticket: Node(ticket, "ticket", {})}, shared={user: Node(user, "user", {"name": "Femke"})})
    graph.edge(ticket, user, "CREATED_BY", 1.0)
    return DayGraph(day, sessions=1, entities=0, graph=graph, read_by_ner=1)


def test_nodes_and_edges_carry_their_scope_and_a_node_owned_is_never_shared():
    days = [_day("2025-03-10", "ticket_1", "user_7"), _day("2025-03-11", "ticket_2", "user_7")]
    similar_edge = Edge("ticket_1", "ticket_9", "SIMILAR_TO", 0.8, {})
    similar = {similar_edge.key: ("similar:ticket_1", similar_edge)}
    reference = Graph(nodes={"user_7": Node("user_7", "user", {"name": "Femke de Vries"})})

    graph = build_graph(days, similar, ["similar:ticket_1"], reference)

    assert graph.scopes == ["day:2025-03-10", "day:2025-03-11", "similar:ticket_1", REFERENCE_SCOPE]
    assert graph.nodes["ticket_1"][0] == "day:2025-03-10"
    assert graph.nodes["ticket_2"][0] == "day:2025-03-11"
    assert graph.nodes["user_7"][0] == REFERENCE_SCOPE
    assert set(graph.shared) == {"ticket_9"}  # the similar ticket of a day not built; user_7 is the reference's
    assert graph.edges[("ticket_1", "ticket_9", "SIMILAR_TO")][0] == "similar:ticket_1"
    assert graph.edge_types() == {"CREATED_BY": 2, "SIMILAR_TO": 1}
    assert [e["target"] for e in edge_preview(graph)] == ["ticket_9", "user_7", "user_7"]  # by key


def test_without_the_reference_its_nodes_stay_shared_and_its_scope_is_not_synced():
    graph = build_graph([_day("2025-03-10", "ticket_1", "user_7")], {}, [], None)

    assert graph.scopes == ["day:2025-03-10"]
    assert set(graph.shared) == {"user_7"}
    nodes, edges = day_metadata(graph.days[0])
    assert nodes == {"dagster/row_count": 1, "sessions": 1, "entities": 0}
    assert edges == {"dagster/row_count": 1, "CREATED_BY": 1}
