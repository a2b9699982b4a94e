"""The knowledge graph's tables, compatible with the ticketportaal's AI module, and their idempotent sync.

``graph_nodes(node_id, node_type, properties JSON, ...)`` and ``graph_edges(source_id, target_id,
edge_type, confidence DECIMAL(3,2), properties JSON, ..., UNIQUE(source_id, target_id, edge_type))``
as the portal has them, plus two columns of SDC's own: ``sdc_scope``, the evidence a row was derived
from (a day of sessions, or the reference tables), and ``sdc_hash``, a digest of what the row says.
Syncing a scope inserts what is new, updates what changed, deletes what its evidence no longer
supports and leaves every other row untouched. Nodes that many scopes point at (entities, customers)
are shared: inserted once, removed when no edge is left.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.dialects import mysql, sqlite

from sdc_resources.batches import batches
from sdc_resources.data_dir import default_data_path
from sdc_resources.sql_database import SqlDatabase, database_from_env

ENV_PREFIX = "SDC_GRAPH_DB"
SHARED = "shared"
BATCH = 500

metadata = sa.MetaData()
MYSQL = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}
graph_nodes = sa.Table(
    "graph_nodes",
    metadata,
    sa.Column("node_id", sa.String(191), primary_key=True),
    sa.Column("node_type", sa.String(50), nullable=False),
    sa.Column("properties", sa.JSON),
    sa.Column("created_at", sa.TIMESTAMP, nullable=False),
    sa.Column("updated_at", sa.TIMESTAMP, nullable=False),
    sa.Column("sdc_scope", sa.String(64), index=True),
    sa.Column("sdc_hash", sa.String(16)),
    **MYSQL,
)
graph_edges = sa.Table(
    "graph_edges",
    metadata,
    sa.Column("edge_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.String(191), nullable=False),
    sa.Column("target_id", sa.String(191), nullable=False, index=True),
    sa.Column("edge_type", sa.String(50), nullable=False),
    sa.Column("confidence", sa.Numeric(3, 2), nullable=False),
    sa.Column("properties", sa.JSON),
    sa.Column("created_at", sa.TIMESTAMP, nullable=False),
    sa.Column("updated_at", sa.TIMESTAMP, nullable=False),
    sa.Column("sdc_scope", sa.String(64), index=True),
    sa.Column("sdc_hash", sa.String(16)),
    sa.UniqueConstraint("source_id", "target_id", "edge_type", name="uq_graph_edge"),
    **MYSQL,
)


@dataclass(frozen=True)
class Node:
    node_id: str
    node_type: str
    properties: dict


@dataclass(frozen=True)
class Edge:
    source_id: str
    target_id: str
    edge_type: str
    confidence: float
    properties: dict

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source_id, self.target_id, self.edge_type)


@dataclass
class SyncCounts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.deleted


@dataclass
class GraphSync:
    """What writing a run's graph changed."""

    nodes: SyncCounts
    edges: SyncCounts
    shared_added: int
    orphans_removed: int

    @property
    def changed(self) -> int:
        return self.nodes.changed + self.edges.changed + self.shared_added + self.orphans_removed


def confidence(value: float) -> Decimal:
    """A confidence as DECIMAL(3,2) holds it."""
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _hash(columns: dict) -> str:
    """What a row says besides its key and times, in 16 hex digits: compared instead of the row itself."""
    canonical = json.dumps(columns, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class GraphStore(SqlDatabase):
    """Where the graph is written: MySQL/MariaDB (``SDC_GRAPH_DB_HOST`` ...) or, by default, a SQLite file."""

    sqlite_path: str | None = Field(default_factory=lambda: str(default_data_path("graph", "graph.sqlite")))
    cache_dir: str = Field(
        default_factory=lambda: str(default_data_path("graph", "entities")),
        description="Entities extracted per session, reused while a session and the CMDB names do not change.",
    )

    def ensure_schema(self) -> None:
        """Create the tables where missing; add SDC's two columns to the portal's own tables where they lack them
        (the portal's rows keep ``sdc_scope`` NULL, so no sync ever touches them)."""
        engine = self.engine()
        metadata.create_all(engine)
        inspector = sa.inspect(engine)
        for table in (graph_nodes, graph_edges):
            present = {column["name"] for column in inspector.get_columns(table.name)}
            with engine.begin() as connection:
                for name, kind in (("sdc_scope", "VARCHAR(64)"), ("sdc_hash", "VARCHAR(16)")):
                    if name not in present:
                        connection.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind} NULL"))
                if "sdc_scope" not in present:
                    index = f"ix_{table.name}_sdc_scope"
                    connection.execute(sa.text(f"CREATE INDEX {index} ON {table.name} (sdc_scope)"))

    def _upsert(self, table: sa.Table, keys: list[str], columns: list[str]):
        if self.dialect == "mysql":
            statement = mysql.insert(table)
            return statement.on_duplicate_key_update({c: statement.inserted[c] for c in columns})
        statement = sqlite.insert(table)
        return statement.on_conflict_do_update(index_elements=keys, set_={c: statement.excluded[c] for c in columns})

    def _insert_missing(self, table: sa.Table, keys: list[str]):
        if self.dialect == "mysql":
            return mysql.insert(table).prefix_with("IGNORE")
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)

    def sync_nodes(
        self,
        connection: sa.Connection,
        scopes: list[str],
        nodes: dict[str, tuple[str, Node]],
        known: dict[str, Node] | None = None,
    ) -> SyncCounts:
        """Make the nodes of ``scopes`` equal ``nodes`` (node_id → (scope, node)). A node its scope no longer
        holds but some edge still points at (a CI written off, that old tickets affected) is never deleted:
        it becomes a shared node, with its properties from ``known`` where given, until no edge is left."""
        desired = {
            (node_id,): (scope, {"node_id": node_id, "node_type": node.node_type, "properties": node.properties})
            for node_id, (scope, node) in nodes.items()
        }
        return self._sync_scoped(connection, graph_nodes, ["node_id"], scopes, desired, keep=self._keep(known or {}))

    def _keep(self, known: dict[str, Node]):
        """For nodes about to be deleted: re-scope those edges still point at to shared; the ids re-scoped."""

        def keep(connection: sa.Connection, ids: list[str]) -> set[str]:
            linked = set()
            for part in batches(ids, BATCH):
                for column in (graph_edges.c.source_id, graph_edges.c.target_id):
                    linked |= set(connection.execute(sa.select(column).where(column.in_(part)).distinct()).scalars())
            for node_id in linked:
                values = {"sdc_scope": SHARED, "updated_at": _now()}
                if node_id in known:
                    values["properties"] = known[node_id].properties
                connection.execute(sa.update(graph_nodes).where(graph_nodes.c.node_id == node_id).values(values))
            return linked

        return keep

    def sources_of(self, connection: sa.Connection, edge_type: str, targets: set[str]) -> set[str]:
        """The nodes with an edge of ``edge_type`` to any of ``targets``."""
        found: set[str] = set()
        ids = sorted(targets)
        for part in batches(ids, BATCH):
            query = sa.select(graph_edges.c.source_id).where(
                graph_edges.c.edge_type == edge_type, graph_edges.c.target_id.in_(part)
            )
            found |= set(connection.execute(query).scalars())
        return found

    def dangling_edges(self, connection: sa.Connection, limit: int = 50) -> list[str]:
        """Edges (any scope, the portal's own too) whose source or target node does not exist."""
        source, target = graph_nodes.alias("source"), graph_nodes.alias("target")
        query = (
            sa.select(graph_edges.c.source_id, graph_edges.c.edge_type, graph_edges.c.target_id)
            .select_from(
                graph_edges.outerjoin(source, graph_edges.c.source_id == source.c.node_id).outerjoin(
                    target, graph_edges.c.target_id == target.c.node_id
                )
            )
            .where(sa.or_(source.c.node_id.is_(None), target.c.node_id.is_(None)))
            .limit(limit)
        )
        return [f"{s} -{kind}-> {t}" for s, kind, t in connection.execute(query)]

    def add_shared_nodes(self, connection: sa.Connection, nodes: list[Node]) -> int:
        """Insert shared nodes that do not exist yet (any scope); existing ones are left as they are."""
        present = set()
        ids = [n.node_id for n in nodes]
        for part in batches(ids, BATCH):
            present |= set(
                connection.execute(sa.select(graph_nodes.c.node_id).where(graph_nodes.c.node_id.in_(part))).scalars()
            )
        now = _now()
        rows = [
            {
                "node_id": n.node_id,
                "node_type": n.node_type,
                "properties": n.properties,
                "sdc_scope": SHARED,
                "created_at": now,
                "updated_at": now,
            }
            for n in nodes
            if n.node_id not in present
        ]
        self._write(connection, self._insert_missing(graph_nodes, ["node_id"]), rows)
        return len(rows)

    def sync_edges(
        self, connection: sa.Connection, scopes: list[str], edges: dict[tuple, tuple[str, Edge]]
    ) -> SyncCounts:
        """Make the edges of ``scopes`` equal ``edges`` ((source, target, type) → (scope, edge))."""
        desired = {
            key: (
                scope,
                {
                    "source_id": edge.source_id,
                    "target_id": edge.target_id,
                    "edge_type": edge.edge_type,
                    "confidence": confidence(edge.confidence),
                    "properties": edge.properties,
                },
            )
            for key, (scope, edge) in edges.items()
        }
        return self._sync_scoped(connection, graph_edges, ["source_id", "target_id", "edge_type"], scopes, desired)

    def _sync_scoped(
        self,
        connection: sa.Connection,
        table: sa.Table,
        keys: list[str],
        scopes: list[str],
        desired: dict,
        keep=None,
    ) -> SyncCounts:
        """Upsert the rows of ``desired`` (key → (scope, columns)) whose scope or digest differ from the stored
        row's, and delete the rows of ``scopes`` that ``desired`` no longer has (but those ``keep`` keeps)."""
        primary = next(iter(table.primary_key.columns))
        existing = {
            tuple(row[:-3]): tuple(row[-3:])
            for row in connection.execute(
                sa.select(*(table.c[k] for k in keys), primary, table.c.sdc_scope, table.c.sdc_hash).where(
                    table.c.sdc_scope.in_(scopes)
                )
            )
        }
        counts, now, rows = SyncCounts(), _now(), []
        for key, (scope, columns) in desired.items():
            digest = _hash(columns)
            old = existing.get(key)
            if old is not None and old[1:] == (scope, digest):
                continue
            counts.updated += old is not None
            counts.inserted += old is None
            rows.append({**columns, "sdc_scope": scope, "sdc_hash": digest, "created_at": now, "updated_at": now})
        if rows:
            updated = [c for c in rows[0] if c not in (*keys, "created_at")]
            self._write(connection, self._upsert(table, keys, updated), rows)
        gone = [old[0] for key, old in existing.items() if key not in desired]
        if keep is not None and gone:
            kept = keep(connection, gone)
            gone = [g for g in gone if g not in kept]
        for part in batches(gone, BATCH):
            connection.execute(sa.delete(table).where(primary.in_(part)))
        counts.deleted = len(gone)
        return counts

    def sync_graph(
        self,
        connection: sa.Connection,
        scopes: list[str],
        nodes: dict[str, tuple[str, Node]],
        edges: dict[tuple, tuple[str, Edge]],
        shared: dict[str, Node],
    ) -> GraphSync:
        """Make ``scopes`` hold exactly ``nodes`` and ``edges``: shared nodes they point at added first, shared
        nodes left without an edge removed last."""
        added = self.add_shared_nodes(connection, list(shared.values()))
        node_counts = self.sync_nodes(connection, scopes, nodes, known=shared)
        edge_counts = self.sync_edges(connection, scopes, edges)
        return GraphSync(node_counts, edge_counts, added, self.remove_orphans(connection))

    def remove_orphans(self, connection: sa.Connection) -> int:
        """Delete shared nodes no edge points at or from any more."""
        linked = sa.union(sa.select(graph_edges.c.source_id), sa.select(graph_edges.c.target_id)).subquery()
        orphaned = sa.select(graph_nodes.c.node_id).where(
            graph_nodes.c.sdc_scope == SHARED, graph_nodes.c.node_id.not_in(sa.select(linked.c[0]))
        )
        ids = list(connection.execute(orphaned).scalars())
        for part in batches(ids, BATCH):
            connection.execute(sa.delete(graph_nodes).where(graph_nodes.c.node_id.in_(part)))
        return len(ids)

    @staticmethod
    def _write(connection: sa.Connection, statement, rows: list[dict]) -> None:
        for part in batches(rows, BATCH):
            connection.execute(statement, list(part))


def graph_store_from_env() -> GraphStore:
    return GraphStore(**database_from_env(ENV_PREFIX, sqlite_default=str(default_data_path("graph", "graph.sqlite"))))
