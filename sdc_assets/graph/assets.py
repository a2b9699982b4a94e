"""``graph_nodes`` and ``graph_edges``: the knowledge graph over every session of a day and the portal's
reference data, written to MySQL/MariaDB (or the demo's SQLite file) with idempotent, scoped syncs."""

import time
from pathlib import Path

import dagster as dg

from sdc_assets.graph.checks import graph_checks
from sdc_assets.graph.entities import known_names
from sdc_assets.graph.reading import DayReader, read_reference
from sdc_assets.graph.scoped import build_graph, day_metadata, edge_preview, run_metadata
from sdc_assets.graph.similarity import description_vectors, similar_edges
from sdc_assets.metadata import preview_table
from sdc_assets.partitions import DAILY
from sdc_assets.sessions.sources import SESSION_ASSETS
from sdc_assets.sessions.store import SessionStore
from sdc_resources.day_marks import UNCHANGED, StageDays, files_state, settings_key
from sdc_resources.entity_model import EntityModel
from sdc_resources.graph_store import GraphStore
from sdc_resources.index_store import IndexStore
from sdc_resources.settings import env_float
from sdc_resources.ticketportaal import Ticketportaal

GRAPH_POOL = "sdc_graph"


class GraphConfig(dg.Config):
    similarity_threshold: float = env_float("SDC_SIMILARITY_THRESHOLD", 0.6)
    """Cosine similarity of two tickets' problem descriptions above which they are SIMILAR_TO. For the default
    model: on the graded search set, pairs of one issue reach 0.6 in 35 %, look-alikes of another issue in
    11 %, random pairs never (0.75 kept 6 % of one issue's pairs). Another model wants its own threshold."""
    resolution_threshold: float = env_float("SDC_RESOLUTION_THRESHOLD", 0.6)
    """Cosine similarity of a resolution to a KB article above which the ticket is RESOLVED_BY it."""
    neighbours: int = 10
    """At most this many SIMILAR_TO (and RESOLVED_BY) edges per ticket: the most similar, ties by node id."""


def graph_day_state(
    day: str, session_store: SessionStore, index_store: IndexStore, ticketportaal: Ticketportaal
) -> str:
    """What a day's graph is built from: its sessions, its chunk table (vectors) and its portal tickets."""
    files = [index_store.chunks_path(day), ticketportaal.tickets_dir / f"{day}.jsonl"]
    return settings_key(session_store.day_state(day), files_state(files))


def graph_settings(
    config: GraphConfig, entity_model: EntityModel, graph_store: GraphStore, ticketportaal: Ticketportaal
) -> str:
    """What a day's graph depends on besides its own files: the settings, the store, the KB articles and CIs."""
    raw = Path(ticketportaal.raw_dir)
    reference_files = files_state([raw / "ticketportaal_kb.jsonl", raw / "ticketportaal_cis.jsonl"])
    return settings_key(config.model_dump_json(), entity_model.model, graph_store.describe(), reference_files)


def _changed_days(context: dg.AssetExecutionContext, reader: DayReader, marks: StageDays, states: dict) -> list:
    """The graphs of the run's days whose files changed since the graph was built from them."""
    days = []
    for day in context.partition_keys:
        if marks.unchanged(day, states[day]):
            for key in ("graph_nodes", "graph_edges"):
                context.add_asset_metadata(UNCHANGED, asset_key=key, partition_key=day)
            continue
        days.append(built := reader.day(day))
        if built.sessions:
            context.log.info(
                f"{day}: {built.sessions} sessions, {len(built.graph.edges)} edges, {built.read_by_ner} read by NER"
            )
    return days


def _similar_edges(tickets: set[str], config: GraphConfig, index_store: IndexStore, graph_store: GraphStore):
    """The SIMILAR_TO edges of the run's tickets and of those they are, or were, similar to; and their scopes."""
    pointing = graph_store.run(lambda c: graph_store.sources_of(c, "SIMILAR_TO", tickets), "graph read")
    descriptions = description_vectors(index_store)
    return similar_edges(tickets, descriptions, pointing, config.similarity_threshold, config.neighbours)


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
    reference, cis, reference_state = read_reference(ticketportaal)
    if reference is None and ticketportaal.configured:
        context.log.warning(f"graph: reference {reference_state}")
    reader = DayReader(
        session_store,
        index_store,
        ticketportaal,
        entity_model,
        Path(graph_store.cache_dir),
        known_names(cis),
        config.resolution_threshold,
        config.neighbours,
    )
    settings = graph_settings(config, entity_model, graph_store, ticketportaal)
    marks = StageDays(session_store.marks(), "knowledge_graph", settings, context.partition_keys)
    states = {day: graph_day_state(day, session_store, index_store, ticketportaal) for day in context.partition_keys}
    days = _changed_days(context, reader, marks, states)
    graph_store.ensure_schema()
    with reader.timings.timed("vector_matches"):
        similar, similar_scopes = _similar_edges(reader.tickets, config, index_store, graph_store)
    graph = build_graph(days, similar, similar_scopes, reference)
    with reader.timings.timed("write"):
        sync = graph_store.run(
            lambda c: graph_store.sync_graph(c, graph.scopes, graph.nodes, graph.edges, graph.shared), "graph write"
        )
    for day in days:
        nodes, edges = day_metadata(day)
        context.add_asset_metadata(nodes, asset_key="graph_nodes", partition_key=day.day)
        context.add_asset_metadata(edges, asset_key="graph_edges", partition_key=day.day)
        marks.done(day.day, states[day.day], states[day.day])
    marks.save()
    context.log.info(
        f"graph: nodes {sync.nodes}, edges {sync.edges}, {sync.shared_added} shared nodes added, "
        f"{sync.orphans_removed} orphans removed"
    )
    common = {
        "days_unchanged": len(context.partition_keys) - len(days),
        "store": graph_store.describe(),
        "scopes": len(graph.scopes),
        "seconds": round(time.perf_counter() - started, 3),
        **{f"seconds_{phase}": round(reader.timings[phase], 3) for phase in ("entities", "vector_matches", "write")},
    }
    nodes, edges = run_metadata(graph, sync, common)
    nodes |= {"reference": reference_state, "model": entity_model.model}
    yield dg.MaterializeResult(asset_key="graph_nodes", metadata=nodes)
    yield dg.MaterializeResult(
        asset_key="graph_edges", metadata={**edges, "preview": preview_table(edge_preview(graph))}
    )


graph_assets = [knowledge_graph, *graph_checks]
