"""SIMILAR_TO and RESOLVED_BY, computed exactly from the stored vectors, so the graph does not depend on how
the work was split into runs, nor on the order an approximate nearest-neighbour search returns ties in.

Every ticket's problem description (its ``description`` chunks) is compared with every other ticket's in the
whole index as it stands: cosine of the cached unit vectors, the best pair of chunks counting. A ticket's
SIMILAR_TO edges are the tickets at or above the threshold, the most similar first and ties by node id, at
most ``limit``; they form the ticket's own scope (``similar:<node id>``). A run recomputes the tickets it
holds, the tickets they are (or were) similar to, and nothing else: a cold run split into several, followed
by an unchanged one, changes no row, and an edit changes only the pairs the edited ticket enters or leaves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from sdc_assets.graph.build import session_node_id
from sdc_resources.graph_store import Edge
from sdc_resources.index_store import IndexStore

SCOPE_PREFIX = "similar:"
BLOCK = 512  # query vectors compared at once: 512 × the targets' count of scores in memory


def similar_scope(node_id: str) -> str:
    return f"{SCOPE_PREFIX}{node_id}"


@dataclass
class Vectors:
    """Chunk vectors (rows of ``matrix``, unit length) and the node each belongs to."""

    nodes: list[str]
    matrix: np.ndarray

    def of(self, wanted: set[str]) -> tuple[list[str], np.ndarray]:
        rows = [i for i, node in enumerate(self.nodes) if node in wanted]
        return [self.nodes[i] for i in rows], self.matrix[rows]


def _vectors(frame: pl.DataFrame, index_store: IndexStore, node_of) -> Vectors:
    """The vectors of ``frame``'s chunks (embed_key → cached vector), labelled with their node."""
    cached = index_store.vectors(set(frame["embed_key"]))
    nodes, rows = [], []
    for row in frame.iter_rows(named=True):
        if (vector := cached.get(row["embed_key"])) is not None:
            nodes.append(node_of(row))
            rows.append(vector)
    matrix = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 1), dtype=np.float32)
    return Vectors(nodes, matrix)


def _ticket_node(row: dict) -> str:
    metadata = json.loads(row["metadata"])
    return session_node_id(metadata["source"], metadata["ref"], row["session_id"])


def description_vectors(index_store: IndexStore) -> Vectors:
    """Every ticket's description chunks in the whole index (every day's chunk table)."""
    paths = index_store.chunk_tables()
    columns = ["session_id", "collection", "chunk_type", "embed_key", "metadata"]
    if not paths:
        return Vectors([], np.zeros((0, 1), dtype=np.float32))
    frame = (
        pl.scan_parquet(paths)
        .select(columns)
        .filter((pl.col("collection") == "tickets") & (pl.col("chunk_type") == "description"))
        .collect()
    )
    return _vectors(frame, index_store, _ticket_node)


def kb_vectors(index_store: IndexStore, reference: str) -> Vectors:
    """Every knowledge-base chunk (header and text) of the reference chunk table, labelled ``kb_<id>``."""
    path = index_store.chunks_path(reference)
    if not path.exists():
        return Vectors([], np.zeros((0, 1), dtype=np.float32))
    frame = pl.read_parquet(path).filter(pl.col("collection") == "knowledge_base")
    return _vectors(frame, index_store, lambda row: row["chunk_id"].split(":", 1)[0])


def best_matches(
    queries: Vectors, targets: Vectors, threshold: float, limit: int, exclude_self: bool = True
) -> dict[str, list[tuple[str, float]]]:
    """Per query node, the target nodes whose best chunk pair reaches ``threshold``: most similar first, ties
    by node id, at most ``limit``. Similarities are rounded to 4 decimals, so float noise never reorders.
    The queries go ``BLOCK`` at a time, so memory stays flat however many tickets the index holds."""
    if not queries.nodes or not targets.nodes or queries.matrix.shape[1] != targets.matrix.shape[1]:
        return {}  # nothing to compare, or two models' vectors (a switch not yet indexed everywhere)
    names = sorted(set(targets.nodes))  # a node's index is its rank by id: ties go to the lower
    index = {name: n for n, name in enumerate(names)}
    target_node = np.array([index[node] for node in targets.nodes])
    best: dict[str, dict[str, float]] = {}
    for start in range(0, len(queries.nodes), BLOCK):
        block = np.clip(queries.matrix[start : start + BLOCK] @ targets.matrix.T, -1.0, 1.0).round(4)
        for offset, row in enumerate(block):
            source = queries.nodes[start + offset]
            found = _best_of_row(row, target_node, threshold, limit, index.get(source) if exclude_self else None)
            for node, score in found:
                mine = best.setdefault(source, {})
                mine[names[node]] = max(mine.get(names[node], -1.0), score)
    return {node: sorted(found.items(), key=lambda item: (-item[1], item[0]))[:limit] for node, found in best.items()}


def _best_of_row(
    row: np.ndarray, target_node: np.ndarray, threshold: float, limit: int, own: int | None
) -> list[tuple[int, float]]:
    """The ``limit`` best target nodes of one query's scores: (node index, its best chunk's score)."""
    candidates = np.nonzero(row >= threshold)[0]
    if own is not None:
        candidates = candidates[target_node[candidates] != own]
    if not candidates.size:
        return []
    nodes, scores = target_node[candidates], row[candidates]
    order = np.lexsort((-scores, nodes))  # by node, its best chunk first
    nodes, scores = nodes[order], scores[order]
    first = np.unique(nodes, return_index=True)[1]
    nodes, scores = nodes[first], scores[first]
    top = np.lexsort((nodes, -scores))[:limit]  # most similar first, ties by node id
    return [(int(nodes[i]), float(scores[i])) for i in top]


def affected_tickets(run_nodes: set[str], matches: dict[str, list], pointing_at_run: Iterable[str]) -> set[str]:
    """The tickets whose SIMILAR_TO edges this run recomputes: its own, those they are similar to now, and
    those that were similar to them before."""
    return set(run_nodes) | {target for found in matches.values() for target, _ in found} | set(pointing_at_run)


def resolved_by(
    frame: pl.DataFrame, sessions: set[str], kb: Vectors, index_store: IndexStore, threshold: float, limit: int
) -> dict[str, list[tuple[str, float]]]:
    """Per resolved ticket session of ``frame`` (a day's chunk table), the KB articles its resolution matches."""
    rows = frame.filter(
        (pl.col("collection") == "tickets")
        & (pl.col("chunk_type") == "resolution")
        & pl.col("session_id").is_in(list(sessions))
    )
    return best_matches(_vectors(rows, index_store, lambda row: row["session_id"]), kb, threshold, limit, False)


def similar_edges(
    run_nodes: set[str], descriptions: Vectors, pointing_at_run: set[str], threshold: float, limit: int
) -> tuple[dict[tuple, tuple[str, Edge]], list[str]]:
    """The SIMILAR_TO edges of every ticket the run affects, each in its source's scope; and those scopes."""
    first = best_matches(Vectors(*descriptions.of(run_nodes)), descriptions, threshold, limit)
    affected = affected_tickets(run_nodes, first, pointing_at_run)
    found = best_matches(Vectors(*descriptions.of(affected)), descriptions, threshold, limit)
    edges = {
        (source, target, "SIMILAR_TO"): (
            similar_scope(source),
            Edge(source, target, "SIMILAR_TO", similarity, {"method": "vector", "similarity": similarity}),
        )
        for source, targets in found.items()
        for target, similarity in targets
    }
    return edges, sorted(similar_scope(node) for node in affected)
