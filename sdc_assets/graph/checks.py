"""The graph's checks, run with every graph materialization and on their own for any days: every portal ticket
of the days has its CREATED_BY edge and every ticket↔CI relation its AFFECTS edge, and no edge of the graph
points at a node that does not exist."""

import dagster as dg
import sqlalchemy as sa

from sdc_assets.graph.build import portal_ticket
from sdc_assets.partitions import daily_partitions
from sdc_assets.sessions.store import SessionStore
from sdc_resources.batches import batches
from sdc_resources.graph_store import GraphStore, graph_edges
from sdc_resources.jsonl import read_jsonl
from sdc_resources.ticketportaal import Ticketportaal

BATCH = 500


def portal_records(session_store: SessionStore, ticketportaal: Ticketportaal, days: list[str]) -> list[dict]:
    """The portal's records of the days' ticket sessions."""
    records = []
    for day in days:
        portal = {f"ticket/{r['ticket_id']}": r for r in read_jsonl(ticketportaal.tickets_dir / f"{day}.jsonl")}
        sessions = session_store.read_day(day)
        records += [portal[s.meta.source_ref] for s in sessions if portal_ticket(s) and s.meta.source_ref in portal]
    return records


def missing_ticket_edges(connection: sa.Connection, records: list[dict]) -> dict[str, list[str]]:
    """Portal tickets without their CREATED_BY edge, and ticket_ci_relations without AFFECTS 1.0."""
    ids = [f"ticket_{r['ticket_id']}" for r in records]
    present = set()
    for part in batches(ids, BATCH):
        present |= {
            (row.source_id, row.target_id, row.edge_type, float(row.confidence))
            for row in connection.execute(
                sa.select(
                    graph_edges.c.source_id, graph_edges.c.target_id, graph_edges.c.edge_type, graph_edges.c.confidence
                )
                .where(graph_edges.c.source_id.in_(part))
                .where(graph_edges.c.edge_type.in_(["CREATED_BY", "AFFECTS"]))
            )
        }
    created = {(s, t) for s, t, kind, _ in present if kind == "CREATED_BY"}
    affects = {(s, t) for s, t, kind, c in present if kind == "AFFECTS" and c == 1.0}
    return {
        "missing_created_by": [
            f"ticket_{r['ticket_id']}"
            for r in records
            if (f"ticket_{r['ticket_id']}", f"user_{r['user_id']}") not in created
        ],
        "missing_affects": [
            f"ticket_{r['ticket_id']}->ci_{ci['ci_id']}"
            for r in records
            for ci in r.get("configuration_items") or []
            if (f"ticket_{r['ticket_id']}", f"ci_{ci['ci_id']}") not in affects
        ],
    }


@dg.asset_check(
    asset="graph_edges",
    partitions_def=daily_partitions,
    description="Every portal ticket of the days has its CREATED_BY edge and every ticket_ci_relations row its "
    "AFFECTS edge (confidence 1.0).",
)
def ticket_edges_complete(
    context: dg.AssetCheckExecutionContext,
    session_store: SessionStore,
    ticketportaal: Ticketportaal,
    graph_store: GraphStore,
) -> dg.AssetCheckResult:
    records = portal_records(session_store, ticketportaal, context.partition_keys)
    graph_store.ensure_schema()
    missing = graph_store.run(lambda c: missing_ticket_edges(c, records), "graph check")
    for problem, found in missing.items():
        if found:
            context.log.error(f"graph: {problem}: {found[:10]}")
    return dg.AssetCheckResult(
        passed=not any(missing.values()),
        metadata={
            "portal_tickets": len(records),
            **{problem: dg.MetadataValue.json(found[:50]) for problem, found in missing.items()},
        },
    )


@dg.asset_check(
    asset="graph_edges",
    partitions_def=daily_partitions,
    description="No edge of the graph (SDC's or the portal's own, any day) points at a node that does not exist.",
)
def edges_have_both_nodes(context: dg.AssetCheckExecutionContext, graph_store: GraphStore) -> dg.AssetCheckResult:
    graph_store.ensure_schema()
    dangling = graph_store.run(graph_store.dangling_edges, "graph check")
    if dangling:
        context.log.error(f"graph: edges without a node: {dangling[:10]}")
    return dg.AssetCheckResult(passed=not dangling, metadata={"dangling_edges": dg.MetadataValue.json(dangling)})


graph_checks = [ticket_edges_complete, edges_have_both_nodes]
