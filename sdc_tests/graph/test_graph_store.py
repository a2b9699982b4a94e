"""The graph tables' scoped, idempotent sync: the same code on MariaDB and on SQLite."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from sdc_resources.graph_store import Edge, GraphStore, Node, graph_edges, graph_nodes
from sdc_tests.ticketportaal.test_queries import HOSTILE


@pytest.fixture(params=["mariadb", "sqlite"])
def store(request, data_dir):
    if request.param == "sqlite":
        return GraphStore(sqlite_path=str(data_dir / "graph.sqlite"), cache_dir=str(data_dir / "entities"))
    return request.getfixturevalue("mariadb_graph")


def _sync(store: GraphStore, scope: str, nodes: list[Node], edges: list[Edge], shared: list[Node] = ()):
    def work(connection):
        added = store.add_shared_nodes(connection, list(shared))
        n = store.sync_nodes(connection, [scope], {x.node_id: (scope, x) for x in nodes})
        e = store.sync_edges(connection, [scope], {x.key: (scope, x) for x in edges})
        return added, n, e, store.remove_orphans(connection)

    store.ensure_schema()
    return store.run(work, "test")


def _rows(store: GraphStore) -> list[tuple]:
    with store.connect() as connection:
        return [
            *connection.execute(sa.select(graph_nodes).order_by(graph_nodes.c.node_id)).all(),
            *connection.execute(sa.select(graph_edges).order_by(graph_edges.c.edge_id)).all(),
        ]


TICKET = Node("ticket_1", "ticket", {"title": "Printer"})
USER = Node("user_1", "user", {"name": "Kees"})
ENTITY = Node("entity_hostname_prn-fin-01", "entity", {"label": "HOSTNAME", "text": "PRN-FIN-01"})


def test_insert_then_nothing_then_update_then_delete(store):
    edges = [
        Edge("ticket_1", "user_1", "CREATED_BY", 1.0, {"method": "tickets.user_id"}),
        Edge("ticket_1", ENTITY.node_id, "MENTIONS", 0.954, {"method": "known"}),
    ]
    added, nodes, written, orphans = _sync(store, "day:2025-03-10", [TICKET, USER], edges, [ENTITY])
    assert (added, nodes.inserted, written.inserted, orphans) == (1, 2, 2, 0)
    before = _rows(store)

    added, nodes, written, orphans = _sync(store, "day:2025-03-10", [TICKET, USER], edges, [ENTITY])
    assert (added, nodes.changed, written.changed, orphans) == (0, 0, 0, 0)
    assert _rows(store) == before  # not a timestamp moved

    changed = [edges[0], Edge("ticket_1", ENTITY.node_id, "MENTIONS", 0.5, {"method": "ner"})]
    _, nodes, written, _ = _sync(store, "day:2025-03-10", [TICKET, USER], changed, [ENTITY])
    assert (written.inserted, written.updated, written.deleted) == (0, 1, 0)
    with store.connect() as connection:
        assert connection.execute(
            sa.select(graph_edges.c.confidence).where(graph_edges.c.edge_type == "MENTIONS")
        ).scalar_one() == Decimal("0.50")

    _, nodes, written, orphans = _sync(store, "day:2025-03-10", [TICKET], [], [])
    # The user, still pointed at when the nodes were synced, becomes shared and leaves with the entity as an
    # orphan once the edges are gone: nothing is deleted while an edge points at it.
    assert (nodes.deleted, written.deleted, orphans) == (0, 2, 2)
    with store.connect() as connection:
        assert list(connection.execute(sa.select(graph_nodes.c.node_id)).scalars()) == ["ticket_1"]


def test_other_scopes_are_left_alone(store):
    _sync(store, "day:2025-03-10", [TICKET], [Edge("ticket_1", "user_1", "CREATED_BY", 1.0, {})])
    other = Node("ticket_2", "ticket", {})
    _, nodes, edges, _ = _sync(store, "day:2025-03-11", [other], [Edge("ticket_2", "user_1", "CREATED_BY", 1.0, {})])
    assert (nodes.deleted, edges.deleted) == (0, 0)
    with store.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(graph_edges)).scalar_one() == 2


def test_hostile_text_in_ids_and_properties_round_trips(store):
    nodes = [
        Node(f"entity_x_{n}", "entity", {"text": text, "nested": {"list": [text]}}) for n, text in enumerate(HOSTILE)
    ]
    edges = [Edge("ticket_1", node.node_id, "MENTIONS", 0.5, {"matched": node.properties["text"]}) for node in nodes]
    _sync(store, "day:2025-03-10", [TICKET, *nodes], edges)
    with store.connect() as connection:
        stored = {r.node_id: r.properties for r in connection.execute(sa.select(graph_nodes))}
        matched = {r.target_id: r.properties["matched"] for r in connection.execute(sa.select(graph_edges))}
    for node in nodes:
        assert stored[node.node_id] == node.properties
        assert matched[node.node_id] == node.properties["text"]
    assert _sync(store, "day:2025-03-10", [TICKET, *nodes], edges)[2].changed == 0


PORTAL_DDL = [
    """CREATE TABLE graph_nodes (node_id VARCHAR(100) PRIMARY KEY, node_type VARCHAR(50) NOT NULL,
       properties JSON, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
       updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)""",
    """CREATE TABLE graph_edges (edge_id INT AUTO_INCREMENT PRIMARY KEY, source_id VARCHAR(100) NOT NULL,
       target_id VARCHAR(100) NOT NULL, edge_type VARCHAR(50) NOT NULL, confidence DECIMAL(3,2) DEFAULT 1.00,
       properties JSON, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
       updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, UNIQUE KEY uq (source_id, target_id, edge_type))""",
    """INSERT INTO graph_nodes (node_id, node_type, properties) VALUES ('ticket_7', 'ticket', '{"by": "portal"}')""",
    """INSERT INTO graph_edges (source_id, target_id, edge_type, confidence, properties)
       VALUES ('ticket_7', 'user_3', 'CREATED_BY', 1.00, '{"by": "portal"}')""",
]


def test_the_portals_own_tables_gain_sdcs_columns_and_keep_their_rows(mariadb_graph):
    with mariadb_graph.connect() as connection:
        for statement in PORTAL_DDL:
            connection.execute(sa.text(statement))
    _sync(mariadb_graph, "day:2025-03-10", [TICKET], [Edge("ticket_1", "user_1", "CREATED_BY", 1.0, {})])
    _sync(mariadb_graph, "day:2025-03-10", [], [])  # the day's evidence is gone: only SDC's rows leave
    with mariadb_graph.connect() as connection:
        nodes = connection.execute(sa.select(graph_nodes.c.node_id, graph_nodes.c.sdc_scope)).all()
        edges = connection.execute(sa.select(graph_edges.c.source_id, graph_edges.c.properties)).all()
    assert nodes == [("ticket_7", None)]
    assert [(source, props) for source, props in edges] == [("ticket_7", {"by": "portal"})]
