"""``graph_nodes`` and ``graph_edges``: the knowledge graph over every session of a day and the portal's
reference data, written to MySQL/MariaDB (or the demo's SQLite file) with idempotent, scoped syncs."""

import functools
import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import polars as pl

from sdc_assets.graph.build import (
    Graph,
    day_graph,
    is_resolved,
    ner_texts,
    reference_graph,
    session_node_id,
)
from sdc_assets.graph.checks import graph_checks
from sdc_assets.graph.entities import RULER, Entity, KnownName, extract, known_names, known_names_fingerprint
from sdc_assets.graph.kb_references import Articles
from sdc_assets.graph.similarity import description_vectors, kb_vectors, resolved_by, similar_edges
from sdc_assets.index.chunk_table import CHUNK_SCHEMA, REFERENCE
from sdc_assets.index.collections import COLLECTION_OF_SOURCE
from sdc_assets.metadata import markdown_table
from sdc_assets.partitions import DAILY
from sdc_assets.sessions.model import Session
from sdc_assets.sessions.sources import SESSION_ASSETS
from sdc_assets.sessions.store import SessionStore
from sdc_assets.ticketportaal.installation import Installation
from sdc_assets.ticketportaal.queries import fetch_reference
from sdc_resources.atomic import write_atomic_with
from sdc_resources.entity_model import EntityModel
from sdc_resources.graph_store import GraphStore, Node
from sdc_resources.index_store import IndexStore
from sdc_resources.jsonl import read_jsonl
from sdc_resources.redact import redact
from sdc_resources.ticketportaal import Ticketportaal

REFERENCE_SCOPE = "reference"
ENTITY_SCHEMA = {"session_id": pl.String, "version": pl.String, "entities": pl.String}
GRAPH_POOL = "sdc_graph"


class GraphConfig(dg.Config):
    similarity_threshold: float = float(os.environ.get("SDC_SIMILARITY_THRESHOLD", "0.75"))
    """Cosine similarity of two tickets' problem descriptions above which they are SIMILAR_TO."""
    resolution_threshold: float = float(os.environ.get("SDC_RESOLUTION_THRESHOLD", "0.6"))
    """Cosine similarity of a resolution to a KB article above which the ticket is RESOLVED_BY it."""
    neighbours: int = 10
    """At most this many SIMILAR_TO (and RESOLVED_BY) edges per ticket: the most similar, ties by node id."""


def day_scope(day: str) -> str:
    return f"day:{day}"


def _entities_for_day(
    sessions: list[Session], cache: Path, nlp: Callable, model: str, names: dict[str, KnownName], batch_size: int
) -> tuple[dict[str, list[Entity]], int]:
    """Entities per session id, extracted only for sessions whose content, model or CMDB names changed."""
    fingerprint = known_names_fingerprint(names)
    versions = {
        s.meta.session_id: hashlib.sha256(f"{s.meta.content_hash}|{model}|{fingerprint}".encode()).hexdigest()[:24]
        for s in sessions
    }
    old = pl.read_parquet(cache) if cache.exists() else pl.DataFrame(schema=ENTITY_SCHEMA)
    kept = {r["session_id"]: r for r in old.iter_rows(named=True) if versions.get(r["session_id"]) == r["version"]}
    todo = [s for s in sessions if s.meta.session_id not in kept]
    fresh = extract(nlp(), [ner_texts(s) for s in todo], batch_size) if todo else []
    rows = list(kept.values()) + [
        {
            "session_id": s.meta.session_id,
            "version": versions[s.meta.session_id],
            "entities": json.dumps([e.__dict__ for e in found], ensure_ascii=False),
        }
        for s, found in zip(todo, fresh, strict=True)
    ]
    frame = pl.DataFrame(rows, schema=ENTITY_SCHEMA).sort("session_id")
    if todo or frame.height != old.height:
        write_atomic_with(cache, frame.write_parquet)
    return {r["session_id"]: [Entity(**e) for e in json.loads(r["entities"])] for r in rows}, len(todo)


def _is_ticket(session: Session) -> bool:
    return COLLECTION_OF_SOURCE[session.meta.source_system.value] == "tickets"


def _ticket_node_of(session: Session) -> str:
    return session_node_id(session.meta.source_system.value, session.meta.source_ref, session.meta.session_id)


def _reference(ticketportaal: Ticketportaal) -> tuple[Graph | None, list[dict], str]:
    """The reference graph, the CIs (for the entity ruler) and what became of the reference: without a portal,
    or one that cannot be read, the days' graphs are still built and the reference rows are left as they are."""
    raw = Path(ticketportaal.raw_dir)
    cis = read_jsonl(raw / "ticketportaal_cis.jsonl")
    if not ticketportaal.configured:
        return None, cis, ticketportaal.describe()
    try:
        tables = ticketportaal.run(
            lambda c: fetch_reference(c, Installation.read(c)), "ticketportaal users and categories"
        )
    except Exception as exc:
        return None, cis, f"not synced, the portal could not be read: {redact(str(exc).splitlines()[0])}"
    return reference_graph(tables["users"], tables["categories"], kb_articles(ticketportaal), cis), cis, "synced"


def kb_articles(ticketportaal: Ticketportaal) -> list[dict]:
    """The published KB articles as last synced."""
    return read_jsonl(Path(ticketportaal.raw_dir) / "ticketportaal_kb.jsonl")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "graph_nodes",
            group_name="graph",
            kinds={"spacy", "sql"},
            deps=[
                *SESSION_ASSETS,
                "analyzed_sessions",
                "ticketportaal_tickets_raw",
                "chroma_collections",
                "reference_collections",
            ],
            description="Nodes of the knowledge graph: tickets and sessions, users and techs, customers, CIs, "
            "KB articles, categories, departments and extracted entities (table graph_nodes).",
        ),
        dg.AssetSpec(
            "graph_edges",
            group_name="graph",
            kinds={"sql"},
            deps=["graph_nodes"],
            description="Edges of the knowledge graph with confidence and how each was derived: CREATED_BY, "
            "ASSIGNED_TO, BELONGS_TO, AFFECTS, MENTIONS, RESOLVED_BY, SIMILAR_TO (table graph_edges).",
        ),
    ],
    pool=GRAPH_POOL,
    **DAILY,
)
def knowledge_graph(
    context: dg.AssetExecutionContext,
    config: GraphConfig,
    session_store: SessionStore,
    index_store: IndexStore,
    ticketportaal: Ticketportaal,
    graph_store: GraphStore,
    entity_model: EntityModel,
):
    started = time.perf_counter()
    timings = {"entities": 0.0, "vector_matches": 0.0, "write": 0.0}
    days = context.partition_keys
    reference, cis, reference_state = _reference(ticketportaal)
    if reference is None and ticketportaal.configured:
        context.log.warning(f"graph: reference {reference_state}")
    names = known_names(cis)

    @functools.cache
    def nlp():
        """The pipeline with the ruler for the CMDB's names, loaded only when a session needs reading."""
        pipeline = entity_model.load()
        pipeline.add_pipe(RULER, before="ner").set_names(names, pipeline)
        return pipeline

    nodes, edges, shared = {}, {}, {}
    per_day, extracted, run_tickets = {}, 0, set()
    kb, articles = kb_vectors(index_store, REFERENCE), Articles.of(kb_articles(ticketportaal))
    for day in days:
        sessions = session_store.read_day(day)
        path = ticketportaal.tickets_dir / f"{day}.jsonl"
        portal = {f"ticket/{r['ticket_id']}": r for r in read_jsonl(path)}
        mark = time.perf_counter()
        cache = Path(graph_store.cache_dir) / f"{day}.parquet"
        entities, done = _entities_for_day(sessions, cache, nlp, entity_model.model, names, entity_model.batch_size)
        timings["entities"] += time.perf_counter() - mark
        extracted += done
        mark = time.perf_counter()
        frame = index_store.read(index_store.chunks_path(day), CHUNK_SCHEMA)
        done_tickets = {s.meta.session_id for s in sessions if is_resolved(s)}
        resolved = resolved_by(frame, done_tickets, kb, index_store, config.resolution_threshold, config.neighbours)
        run_tickets |= {_ticket_node_of(s) for s in sessions if _is_ticket(s)}
        timings["vector_matches"] += time.perf_counter() - mark
        graph = day_graph(sessions, portal, entities, names, resolved, articles)
        nodes |= {k: (day_scope(day), n) for k, n in graph.nodes.items()}
        edges |= {k: (day_scope(day), e) for k, e in graph.edges.items()}
        shared |= graph.shared
        per_day[day] = (len(sessions), graph, sum(len(v) for v in entities.values()))
        if sessions:
            context.log.info(f"{day}: {len(sessions)} sessions, {len(graph.edges)} edges, {done} read by NER")
    mark = time.perf_counter()
    graph_store.ensure_schema()
    pointing = graph_store.run(lambda c: graph_store.sources_of(c, "SIMILAR_TO", run_tickets), "graph read")
    similar, similar_scopes = similar_edges(
        run_tickets, description_vectors(index_store), pointing, config.similarity_threshold, config.neighbours
    )
    edges |= similar
    shared |= {e.target_id: Node(e.target_id, "ticket", {}) for _, e in similar.values()}  # until its day is built
    timings["vector_matches"] += time.perf_counter() - mark
    scopes = [day_scope(day) for day in days] + similar_scopes
    if reference is not None:
        scopes.append(REFERENCE_SCOPE)
        nodes |= {k: (REFERENCE_SCOPE, n) for k, n in reference.nodes.items()}
        edges |= {k: (REFERENCE_SCOPE, e) for k, e in reference.edges.items()}
    shared = {k: n for k, n in shared.items() if k not in nodes}

    def write(connection):
        added = graph_store.add_shared_nodes(connection, list(shared.values()))
        node_counts = graph_store.sync_nodes(connection, scopes, nodes, known=shared)
        edge_counts = graph_store.sync_edges(connection, scopes, edges)
        orphans = graph_store.remove_orphans(connection)
        return added, node_counts, edge_counts, orphans

    mark = time.perf_counter()
    added, node_counts, edge_counts, orphans = graph_store.run(write, "graph write")
    timings["write"] = time.perf_counter() - mark
    for day, (count, graph, entity_count) in per_day.items():
        context.add_asset_metadata(
            {"dagster/row_count": len(graph.nodes), "sessions": count, "entities": entity_count},
            asset_key="graph_nodes",
            partition_key=day,
        )
        context.add_asset_metadata(
            {"dagster/row_count": len(graph.edges), **graph.count_by_type()},
            asset_key="graph_edges",
            partition_key=day,
        )
    edge_types: dict[str, int] = {}
    for _, edge in edges.values():
        edge_types[edge.edge_type] = edge_types.get(edge.edge_type, 0) + 1
    preview = [
        {"source": e.source_id, "type": e.edge_type, "target": e.target_id, "confidence": round(e.confidence, 2)}
        for _, e in sorted(edges.values(), key=lambda item: item[1].key)[:15]
    ]
    seconds = round(time.perf_counter() - started, 3)
    common = {
        "store": graph_store.describe(),
        "scopes": len(scopes),
        "seconds": seconds,
        **{f"seconds_{k}": round(v, 3) for k, v in timings.items()},
    }
    context.log.info(
        f"graph: nodes {node_counts}, edges {edge_counts}, {added} shared nodes added, {orphans} orphans removed"
    )
    yield dg.MaterializeResult(
        asset_key="graph_nodes",
        metadata={
            **common,
            "nodes_in_scopes": len(nodes),
            "shared_nodes_added": added,
            "orphans_removed": orphans,
            "inserted": node_counts.inserted,
            "updated": node_counts.updated,
            "deleted": node_counts.deleted,
            "sessions_read_by_ner": extracted,
            "reference": reference_state,
            "kb_articles": sum(1 for _, n in nodes.values() if n.node_type == "kb_article"),
            "configuration_items": sum(1 for _, n in nodes.values() if n.node_type == "ci"),
            "entities": sum(count for _, _, count in per_day.values()),
            "model": entity_model.model,
        },
    )
    yield dg.MaterializeResult(
        asset_key="graph_edges",
        metadata={
            **common,
            "edges_in_scopes": len(edges),
            **{f"edges_{kind}": count for kind, count in sorted(edge_types.items())},
            "inserted": edge_counts.inserted,
            "updated": edge_counts.updated,
            "deleted": edge_counts.deleted,
            "rows_changed": node_counts.changed + edge_counts.changed + added + orphans,
            "preview": dg.MetadataValue.md(markdown_table(preview)),
        },
    )


graph_assets = [knowledge_graph, *graph_checks]
