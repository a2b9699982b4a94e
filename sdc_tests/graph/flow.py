"""Materializing the ticketportaal through the index into the graph, and reading the graph back."""

from decimal import Decimal
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from dagster._core.storage.defs_state.base import set_defs_state_storage

from sdc_assets.enrichment.assets import enrichment_assets
from sdc_assets.graph.assets import graph_assets
from sdc_assets.index.assets import daily_index_assets, reference_collections
from sdc_assets.partitions import partition_range_tags
from sdc_assets.ticketportaal.assets import (
    ticketportaal_cis,
    ticketportaal_kb,
    ticketportaal_sessions,
    ticketportaal_tickets_raw,
)
from sdc_resources.entity_model import EntityModel
from sdc_resources.graph_store import graph_edges, graph_nodes
from sdc_resources.llm import LLM
from sdc_resources.syncro import Syncro

DAYS = ("2025-03-10", "2025-03-12")
REFERENCE = [ticketportaal_kb, ticketportaal_cis, reference_collections]
DAILY = [ticketportaal_tickets_raw, *ticketportaal_sessions, *enrichment_assets, *daily_index_assets, *graph_assets]


def graph_resources(index_resources: dict, ticketportaal, graph_store) -> dict:
    return {
        **index_resources,
        "ticketportaal": ticketportaal,
        "graph_store": graph_store,
        "entity_model": EntityModel(),
        "llm": LLM(provider="none"),
        "syncro": Syncro(cache_dir=str(Path(ticketportaal.raw_dir).parent / "cache")),  # no customers: no links
    }


def sync(resources: dict, instance, days=DAYS) -> dg.ExecuteInProcessResult:
    """The reference assets, then the daily ones over ``days``: what a full ticketportaal sync runs. The
    instance's own defs-state storage is made current first: Dagster keeps the newest instance's in a context
    variable, and one that an earlier step left to the garbage collector fails the definitions' load; so before
    each of the two materializations, the first of which may leave another one current."""
    with set_defs_state_storage(instance.defs_state_storage):
        assert dg.materialize(REFERENCE, resources=resources, instance=instance).success
    with set_defs_state_storage(instance.defs_state_storage):
        result = dg.materialize(DAILY, resources=resources, instance=instance, tags=partition_range_tags(*days))
    assert result.success
    return result


def run_metadata(result, asset: str) -> dict:
    """The metadata of the run's (first) materialization of ``asset``: run-level entries are on every one."""
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in materialization.metadata.items()}
    raise AssertionError(f"no materialization of {asset}")


def read_graph(store) -> tuple[dict[str, dict], dict[tuple[str, str, str], Decimal]]:
    """The graph's nodes and edges, after asserting that every edge has both its nodes."""
    with store.connect() as connection:
        assert store.dangling_edges(connection) == []
        nodes = {
            r.node_id: {"type": r.node_type, **(r.properties or {})} for r in connection.execute(sa.select(graph_nodes))
        }
        edges = {
            (r.source_id, r.edge_type, r.target_id): Decimal(r.confidence)
            for r in connection.execute(sa.select(graph_edges))
        }
    return nodes, edges


def snapshot(store) -> list[tuple]:
    """Every row of both tables, timestamps included: equal snapshots mean no row was written."""
    with store.connect() as connection:
        return [
            *connection.execute(sa.select(graph_nodes).order_by(graph_nodes.c.node_id)).all(),
            *connection.execute(sa.select(graph_edges).order_by(graph_edges.c.edge_id)).all(),
        ]
