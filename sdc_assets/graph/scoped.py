"""The graph a run writes: each day's graph, the SIMILAR_TO edges and the portal's reference data, every node
and edge in the scope that owns it (``day:<day>``, ``similar:<node>``, ``reference``), and what the UI shows
of it. Pure: data in, data out."""

from collections import Counter
from dataclasses import dataclass

from sdc_assets.graph.build import Graph
from sdc_resources.graph_store import Edge, GraphSync, Node

REFERENCE_SCOPE = "reference"
PREVIEW_EDGES = 15


def day_scope(day: str) -> str:
    return f"day:{day}"


@dataclass
class DayGraph:
    """A day's graph, with how many sessions it was built from, how many entities they mention and how many
    sessions were read by NER for it (the others' entities were cached)."""

    day: str
    sessions: int
    entities: int
    graph: Graph
    read_by_ner: int = 0


@dataclass
class ScopedGraph:
    """Nodes and edges by key, each with its scope; shared nodes (owned by no scope of the run); the scopes."""

    nodes: dict[str, tuple[str, Node]]
    edges: dict[tuple[str, str, str], tuple[str, Edge]]
    shared: dict[str, Node]
    scopes: list[str]
    days: list[DayGraph]

    def edge_types(self) -> dict[str, int]:
        return dict(sorted(Counter(edge.edge_type for _, edge in self.edges.values()).items()))

    def node_count(self, node_type: str) -> int:
        return sum(1 for _, node in self.nodes.values() if node.node_type == node_type)


def build_graph(
    days: list[DayGraph],
    similar: dict[tuple[str, str, str], tuple[str, Edge]],
    similar_scopes: list[str],
    reference: Graph | None,
) -> ScopedGraph:
    """The run's graph: the days' graphs, the SIMILAR_TO edges in their tickets' scopes and, when the portal
    was read, the reference graph. A ticket a SIMILAR_TO edge points at is a shared node until its day is
    built; a node some scope owns is never also shared."""
    nodes, edges, shared = {}, {}, {}
    for day in days:
        nodes |= {k: (day_scope(day.day), n) for k, n in day.graph.nodes.items()}
        edges |= {k: (day_scope(day.day), e) for k, e in day.graph.edges.items()}
        shared |= day.graph.shared
    edges |= similar
    shared |= {e.target_id: Node(e.target_id, "ticket", {}) for _, e in similar.values()}
    scopes = [day_scope(day.day) for day in days] + similar_scopes
    if reference is not None:
        scopes.append(REFERENCE_SCOPE)
        nodes |= {k: (REFERENCE_SCOPE, n) for k, n in reference.nodes.items()}
        edges |= {k: (REFERENCE_SCOPE, e) for k, e in reference.edges.items()}
    shared = {k: n for k, n in shared.items() if k not in nodes}
    return ScopedGraph(nodes, edges, shared, scopes, days)


def day_metadata(day: DayGraph) -> tuple[dict, dict]:
    """A day partition's metadata of ``graph_nodes`` and of ``graph_edges``."""
    nodes = {"dagster/row_count": len(day.graph.nodes), "sessions": day.sessions, "entities": day.entities}
    return nodes, {"dagster/row_count": len(day.graph.edges), **day.graph.count_by_type()}


def edge_preview(graph: ScopedGraph) -> list[dict]:
    """The first edges by key, for the UI."""
    edges = sorted((edge for _, edge in graph.edges.values()), key=lambda e: e.key)[:PREVIEW_EDGES]
    return [
        {"source": e.source_id, "type": e.edge_type, "target": e.target_id, "confidence": round(e.confidence, 2)}
        for e in edges
    ]


def run_metadata(graph: ScopedGraph, sync: GraphSync, common: dict) -> tuple[dict, dict]:
    """The run's metadata of ``graph_nodes`` and of ``graph_edges`` (``common`` goes on both)."""
    nodes = {
        **common,
        "nodes_in_scopes": len(graph.nodes),
        "shared_nodes_added": sync.shared_added,
        "orphans_removed": sync.orphans_removed,
        "inserted": sync.nodes.inserted,
        "updated": sync.nodes.updated,
        "deleted": sync.nodes.deleted,
        "kb_articles": graph.node_count("kb_article"),
        "configuration_items": graph.node_count("ci"),
        "entities": sum(day.entities for day in graph.days),
        "sessions_read_by_ner": sum(day.read_by_ner for day in graph.days),
    }
    edges = {
        **common,
        "edges_in_scopes": len(graph.edges),
        **{f"edges_{kind}": count for kind, count in graph.edge_types().items()},
        "inserted": sync.edges.inserted,
        "updated": sync.edges.updated,
        "deleted": sync.edges.deleted,
        "rows_changed": sync.changed,
    }
    return nodes, edges
