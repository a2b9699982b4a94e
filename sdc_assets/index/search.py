"""Finding chunks by meaning, with the same model configuration the pipeline embedded them with.

Every collection is searched: sessions, tickets, knowledge-base articles and configuration items. Each hit
says what kind of document it came from and carries that document's own identity (a session's id and
file, an article's id and title, a CI's number and name).
"""

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from sdc_assets.index.chunking import normalize
from sdc_assets.index.collections import COLLECTION_OF_SOURCE, COLLECTIONS
from sdc_resources.embedder import Embedder
from sdc_resources.vector_store import VectorStore

# --source: a source (its collections, filtered by source), a collection by name, or a short name for one.
SCOPE_ALIASES = {"kb": "knowledge_base", "ci": "configuration_items"}
REFERENCE_COLLECTIONS = ("knowledge_base", "configuration_items")
SCOPES = sorted({*COLLECTION_OF_SOURCE, *COLLECTIONS, *SCOPE_ALIASES})


@dataclass(frozen=True)
class Hit:
    """One matching chunk and the document it belongs to."""

    score: float
    kind: str
    """``session``, ``ticket``, ``kb`` or ``ci``."""
    source: str
    source_ref: str
    """The document's reference in its source, as in a session's meta: ``ticket/361``; ``kb/3``, ``ci/5``."""
    session_id: str | None
    title: str
    day: str
    customer_id: str
    customer: str
    chunk_id: str
    chunk_type: str
    text: str
    path: str | None
    """The session file; None for KB articles and CIs, which are not sessions."""
    identity: str
    """How a person names the document: ``KB article 3``, ``CI CI-0042``, ``ticket <session id>``."""

    def as_dict(self) -> dict:
        return asdict(self)


def scope(name: str | None) -> tuple[list[str], str | None]:
    """The collections ``--source name`` searches and the source they are filtered to."""
    if name is None:
        return list(COLLECTIONS), None
    name = SCOPE_ALIASES.get(name, name)
    if name in COLLECTIONS:
        return [name], None
    if name not in COLLECTION_OF_SOURCE:
        raise ValueError(f"unknown source or collection {name!r}; one of: {', '.join(SCOPES)}")
    extra = list(REFERENCE_COLLECTIONS) if name == "ticketportaal" else []  # the portal's KB and CMDB
    return [COLLECTION_OF_SOURCE[name], *extra], name


def where_clause(source: str | None, customer: str | None, since: date | None) -> dict | None:
    """Chroma's ``where`` for the filters given (``day_num`` holds the day as YYYYMMDD)."""
    clauses = [
        *([{"source": source}] if source else []),
        *([{"customer_id": customer}] if customer else []),
        *([{"day_num": {"$gte": int(since.strftime("%Y%m%d"))}}] if since else []),
    ]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def make_hit(collection: str, chunk_id: str, text: str, meta: dict, score: float, sessions_root: Path) -> Hit:
    """A hit from a stored chunk, named after what its document is."""
    common = {
        "score": score,
        "source": meta.get("source", ""),
        "title": meta.get("title") or "",
        "day": meta.get("day", ""),
        "customer_id": meta.get("customer_id") or "",
        "customer": meta.get("customer_name") or meta.get("customer_id") or "",
        "chunk_id": chunk_id,
        "chunk_type": meta.get("chunk_type", ""),
        "text": text,
    }
    if meta.get("kind") == "kb_article":
        article = meta["kb_id"]
        return Hit(
            kind="kb",
            source_ref=f"kb/{article}",
            session_id=None,
            path=None,
            identity=f"KB article {article}",
            **common,
        )
    if meta.get("kind") == "configuration_item":
        return Hit(
            kind="ci",
            source_ref=f"ci/{meta['ci_id']}",
            session_id=None,
            path=None,
            identity=f"CI {meta.get('ci_number') or meta['ci_id']}",
            **common,
        )
    session_id = meta.get("session_id") or chunk_id.split(":", 1)[0]
    path = sessions_root / common["source"] / common["day"] / f"{session_id}.json"
    kind = "ticket" if collection == "tickets" else "session"
    return Hit(
        kind=kind,
        source_ref=meta.get("ref") or "",
        session_id=session_id,
        path=str(path),
        identity=f"{kind} {session_id}",
        **common,
    )


def search(
    query: str,
    embedder: Embedder,
    vector_store: VectorStore,
    sessions_root: Path,
    k: int = 5,
    source: str | None = None,
    customer: str | None = None,
    since: date | None = None,
) -> list[Hit]:
    """The ``k`` chunks closest to ``query`` across the collections ``source`` names (all by default)."""
    names, source_filter = scope(source)
    existing = vector_store.existing_collections()
    names = [n for n in names if n in existing]
    if not names:
        return []
    vector = embedder.encode([normalize(query)])
    where = where_clause(source_filter, customer, since)
    hits: list[Hit] = []
    for name in names:
        collection = vector_store.collection(name)
        if not (size := collection.count()):
            continue
        found = collection.query(
            query_embeddings=vector,
            n_results=min(k, size),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        for chunk_id, text, meta, distance in zip(
            found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
        ):
            hits.append(make_hit(name, chunk_id, text, meta, round(1.0 - float(distance), 4), sessions_root))
    return sorted(hits, key=lambda h: -h.score)[:k]
