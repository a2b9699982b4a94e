"""Deriving the knowledge graph: pure functions from sessions, portal records and matches to nodes and edges.

Node ids follow the portal (``ticket_42``, ``user_7``, ``ci_9``, ``kb_12``, ``category_3``); other sources
get ``syncro_ticket_<id>``, ``session_<uuid>``, ``customer_<id>``. Confidence says how an edge is known:
1.0 for a relation the source states, lower when read from text or found by vector similarity.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from sdc_assets.graph.entities import Entity, KnownName
from sdc_assets.graph.kb_references import Articles, kb_references
from sdc_assets.sessions.model import SegmentKind, Session
from sdc_resources.graph_store import Edge, Node

STAFF_ROLES = {"agent", "admin"}
RESOLVED_STATUSES = {"resolved", "closed"}
# How sure an AFFECTS edge read from text is, by the CMDB field that matched.
TEXT_AFFECTS = {"ci_number": 0.9, "serial_number": 0.9, "asset_tag": 0.85, "name": 0.8, "product": 0.6}
MACHINE_AFFECTS = 0.8
_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str, limit: int = 80) -> str:
    """A lower-case ASCII id part (``Financiën`` → ``financien``); long texts end in a hash of the whole."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    value = _SLUG.sub("-", ascii_text.lower()).strip("-") or hashlib.sha256(text.encode()).hexdigest()[:12]
    if len(value) <= limit:
        return value
    return f"{value[: limit - 9]}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def session_node_id(source: str, ref: str, session_id: str) -> str:
    """``ticket_42`` for a portal ticket, ``syncro_ticket_5001`` for a Syncro one, ``session_<uuid>`` otherwise."""
    kind, _, native = ref.partition("/")
    if kind == "ticket" and source == "ticketportaal":
        return f"ticket_{native}"
    if kind == "ticket" and source == "syncro":
        return f"syncro_ticket_{native}"
    return f"session_{session_id}"


def entity_node(entity: Entity) -> Node:
    return Node(
        f"entity_{slug(entity.label)}_{slug(entity.text)}", "entity", {"label": entity.label, "text": entity.text}
    )


def person_node(user: dict) -> Node:
    kind = "tech" if user.get("role") in STAFF_ROLES else "user"
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p) or user.get("name")
    properties = {
        "name": name,
        "email": user.get("email"),
        "department": user.get("department"),
        "role": user.get("role"),
    }
    return Node(f"user_{user['user_id']}", kind, properties)


@dataclass
class Graph:
    """Nodes owned by the scope being built, shared nodes it points at, and its edges (strongest kept)."""

    nodes: dict[str, Node] = field(default_factory=dict)
    shared: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], Edge] = field(default_factory=dict)

    def edge(self, source: str, target: str, kind: str, confidence: float, **properties) -> None:
        new = Edge(source, target, kind, round(confidence, 4), properties)
        old = self.edges.get(new.key)
        if old is None or old.confidence < new.confidence:
            self.edges[new.key] = new

    def count_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for edge in self.edges.values():
            counts[edge.edge_type] = counts.get(edge.edge_type, 0) + 1
        return dict(sorted(counts.items()))


def reference_graph(users: list[dict], categories: list[dict], articles: list[dict], cis: list[dict]) -> Graph:
    """People, categories, KB articles, CIs and departments, with the relations the portal states."""
    graph = Graph()
    for user in users:
        node = person_node(user)
        graph.nodes[node.node_id] = node
    for category in categories:
        graph.nodes[f"category_{category['category_id']}"] = Node(
            f"category_{category['category_id']}",
            "category",
            {"name": category["name"], "sla_hours": category.get("sla_hours")},
        )
    for article in articles:
        kb = f"kb_{article['kb_id']}"
        graph.nodes[kb] = Node(kb, "kb_article", {"title": article["title"], "tags": article.get("tags") or ""})
        if article.get("author_id"):
            graph.edge(kb, f"user_{article['author_id']}", "CREATED_BY", 1.0, method="knowledge_base.author_id")
        if article.get("category_id"):
            graph.edge(kb, f"category_{article['category_id']}", "BELONGS_TO", 1.0, method="knowledge_base.category_id")
    for ci in cis:
        node_id = f"ci_{ci['ci_id']}"
        graph.nodes[node_id] = ci_node(ci)
        if ci.get("department"):
            department = f"department_{slug(ci['department'])}"
            graph.nodes[department] = Node(department, "department", {"name": ci["department"]})
            graph.edge(node_id, department, "BELONGS_TO", 1.0, method="configuration_items.department")
    return graph


def ci_node(ci: dict) -> Node:
    properties = ("ci_number", "name", "type", "brand", "model", "status", "serial_number")
    return Node(f"ci_{ci['ci_id']}", "ci", {k: ci.get(k) for k in properties})


def _portal_ticket(graph: Graph, node_id: str, record: dict) -> None:
    """The relations a portal ticket states: requester, agent, category and linked CIs."""
    requester = record.get("requester") or {"user_id": record["user_id"]}
    graph.shared.setdefault(f"user_{record['user_id']}", person_node(requester))
    graph.edge(node_id, f"user_{record['user_id']}", "CREATED_BY", 1.0, method="tickets.user_id")
    if record.get("assigned_agent_id"):
        agent = record.get("agent") or {"user_id": record["assigned_agent_id"], "role": "agent"}
        graph.shared.setdefault(f"user_{record['assigned_agent_id']}", person_node(agent))
        graph.edge(
            node_id, f"user_{record['assigned_agent_id']}", "ASSIGNED_TO", 1.0, method="tickets.assigned_agent_id"
        )
    if record.get("category_id"):
        category = f"category_{record['category_id']}"
        name = (record.get("category") or {}).get("name")
        graph.shared.setdefault(category, Node(category, "category", {"name": name}))
        graph.edge(node_id, category, "BELONGS_TO", 1.0, method="tickets.category_id")
    for ci in record.get("configuration_items") or []:
        # A related CI is a node even when the CMDB wrote it off: the ticket was about it (its status says so).
        graph.shared.setdefault(f"ci_{ci['ci_id']}", ci_node(ci))
        graph.edge(node_id, f"ci_{ci['ci_id']}", "AFFECTS", 1.0, method="ticket_ci_relations")


def _syncro_ticket(graph: Graph, node_id: str, session: Session) -> None:
    tech = session.context.attributes.get("assigned_tech") or {}
    if tech.get("id") is not None:
        tech_id = f"syncro_tech_{tech['id']}"
        graph.shared.setdefault(tech_id, Node(tech_id, "tech", {"name": tech.get("name"), "email": tech.get("email")}))
        graph.edge(node_id, tech_id, "ASSIGNED_TO", 1.0, method="syncro.user_id")
    if session.context.contact_id:
        contact = f"syncro_contact_{session.context.contact_id}"
        graph.shared.setdefault(contact, Node(contact, "user", {"name": session.context.contact_name}))
        graph.edge(node_id, contact, "CREATED_BY", 1.0, method="syncro.contact_id")


def session_node(session: Session, node_id: str) -> Node:
    attributes = session.context.attributes
    ticket = node_id.startswith(("ticket_", "syncro_ticket_"))
    properties = {
        "source": session.meta.source_system.value,
        "session_id": session.meta.session_id,
        "title": session.insights.title,
        "started_at": session.insights.started_at.isoformat() if session.insights.started_at else None,
    }
    for key in ("ticket_number", "number", "status", "priority", "category"):
        if attributes.get(key) is not None:
            properties[key] = attributes[key]
    return Node(node_id, "ticket" if ticket else "session", properties)


def session_graph(
    session: Session,
    record: dict | None,
    entities: list[Entity],
    names: dict[str, KnownName],
    resolved_by: list[tuple[str, float]],
    articles: Articles,
) -> Graph:
    """A session's node and edges: stated relations, MENTIONS of its entities, AFFECTS read from its text and
    machine names, RESOLVED_BY from the articles a done ticket's resolution and comments point at and from
    vector matches (already above the threshold). SIMILAR_TO edges are the tickets' own: see
    :mod:`sdc_assets.graph.similarity`."""
    meta = session.meta
    node_id = session_node_id(meta.source_system.value, meta.source_ref, meta.session_id)
    graph = Graph(nodes={node_id: session_node(session, node_id)})
    if record is not None:
        _portal_ticket(graph, node_id, record)
    elif meta.source_system.value == "syncro":
        _syncro_ticket(graph, node_id, session)
    if session.context.customer_id:
        customer = f"customer_{slug(session.context.customer_id)}"
        graph.shared.setdefault(customer, Node(customer, "customer", {"name": session.context.customer_name}))
        linked = session.context.link_method is not None
        graph.edge(
            node_id,
            customer,
            "BELONGS_TO",
            (session.context.link_confidence or 1.0) if linked else 1.0,
            method=session.context.link_method or "source.customer_id",
        )
    for entity in entities:
        node = entity_node(entity)
        graph.shared.setdefault(node.node_id, node)
        graph.edge(node_id, node.node_id, "MENTIONS", entity.confidence, method=entity.method, label=entity.label)
        if entity.name_key and (known := names.get(entity.name_key)):
            for ci_id in known.ci_ids:
                graph.edge(
                    node_id, f"ci_{ci_id}", "AFFECTS", TEXT_AFFECTS[known.field], method="text", matched=known.text
                )
    for machine in session.context.machine_names:
        if (known := names.get(" ".join(machine.lower().split()))) and known.field == "name":
            for ci_id in known.ci_ids:
                graph.edge(node_id, f"ci_{ci_id}", "AFFECTS", MACHINE_AFFECTS, method="machine_name", matched=machine)
    for kb, similarity in resolved_by:
        graph.edge(node_id, kb, "RESOLVED_BY", similarity, method="vector", similarity=round(similarity, 4))
    for reference in kb_references(session, articles) if is_done(session) else []:
        graph.edge(
            node_id,
            reference.kb_node,
            "RESOLVED_BY",
            reference.confidence,
            method="reference",
            segment=reference.segment,
            matched=reference.matched,
        )
    return graph


def is_done(session: Session) -> bool:
    """A ticket whose status says it is done."""
    return str(session.context.attributes.get("status") or "").lower() in RESOLVED_STATUSES


def is_resolved(session: Session) -> bool:
    """A done ticket that carries a resolution."""
    return is_done(session) and any(s.kind == SegmentKind.RESOLUTION for s in session.segments)


def ner_texts(session: Session, limit: int = 20_000) -> tuple[str, str]:
    """The problem statement (title, description, resolution) for the full pipeline, and the rest of the
    session's text for the IT ruler; each capped at ``limit`` characters."""
    primary_kinds = {SegmentKind.DESCRIPTION, SegmentKind.RESOLUTION}
    primary = [session.insights.title or ""] + [s.text for s in session.segments if s.kind in primary_kinds]
    rest = [s.text for s in session.segments if s.kind not in primary_kinds and s.kind != SegmentKind.CONNECTION]
    rest += session.context.machine_names
    return "\n".join(p for p in primary if p)[:limit], "\n".join(rest)[:limit]


def portal_ticket(session: Session) -> bool:
    return session.meta.source_system.value == "ticketportaal"


def day_graph(
    sessions: list[Session],
    portal: dict[str, dict],
    entities: dict[str, list[Entity]],
    names: dict[str, KnownName],
    resolved: dict[str, list[tuple[str, float]]],
    articles: Articles,
) -> Graph:
    """The graph of a day's sessions: each session's graph (``portal``: ticket records by source_ref), merged."""
    graph = Graph()
    for session in sessions:
        sid = session.meta.session_id
        record = portal.get(session.meta.source_ref) if portal_ticket(session) else None
        part = session_graph(session, record, entities.get(sid, []), names, resolved.get(sid, []), articles)
        graph.nodes |= part.nodes
        graph.shared |= part.shared
        graph.edges |= part.edges
    return graph
