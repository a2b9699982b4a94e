"""Finding documents: by meaning (the same embedding model the pipeline used) and by their words and
identifiers (the lexical index), the two rankings fused.

Every collection is searched: sessions, tickets, knowledge-base articles and configuration items. Each hit
is one document, shown by its best chunk; it says what kind of document it is and carries that document's
own identity (a session's id and file, an article's id and title, a CI's number and name).
"""

from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from sdc_assets.index.chunking import normalize
from sdc_assets.index.collections import COLLECTION_OF_SOURCE, COLLECTIONS
from sdc_resources.embedder import Embedder
from sdc_resources.lexical_index import LexicalIndex
from sdc_resources.settings import env_float, env_int
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


KIND_COLLECTIONS = {"ticket": "tickets", "session": "sessions", "kb": "knowledge_base", "ci": "configuration_items"}
KINDS = tuple(KIND_COLLECTIONS)
MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class Fusion:
    """How dense and lexical results are fused: reciprocal rank fusion, ``weight / (k + rank)`` per list.

    Meaning leads: the multilingual model finds a Dutch answer to an English question, which shared words
    cannot, so the lexical list only breaks ties between likenesses. When the query holds an identifier the
    index has (``KK-2025-0142``, ``0x80070005``, a serial), or is a lookup of a few words with a rare one
    (``laptop EliteBook``), the lexical list leads instead: an exact match says more than any likeness.
    Measured in benchmarks/search_eval.py."""

    k: int = field(default_factory=lambda: env_int("SDC_SEARCH_RRF_K", 60))
    dense_weight: float = field(default_factory=lambda: env_float("SDC_SEARCH_DENSE_WEIGHT", 1.0))
    lexical_weight: float = field(default_factory=lambda: env_float("SDC_SEARCH_LEXICAL_WEIGHT", 0.05))
    identifier_weight: float = field(default_factory=lambda: env_float("SDC_SEARCH_IDENTIFIER_WEIGHT", 3.0))
    """The lexical list's weight when the query holds an identifier the index has, or is a short lookup with a
    word only a few chunks hold (a product's or a place's name)."""
    pool: int = field(default_factory=lambda: env_int("SDC_SEARCH_POOL", 100))  # candidates per list


@dataclass
class Query:
    text: str
    k: int = 5
    source: str | None = None
    customer: str | None = None
    since: date | None = None
    kind: str | None = None
    mode: str = "hybrid"  # hybrid | dense | lexical


def collections_of(query: Query, existing: set[str]) -> tuple[list[str], str | None]:
    names, source_filter = scope(query.source)
    if query.kind:
        names = [n for n in names if n == KIND_COLLECTIONS[query.kind]]
    return [n for n in names if n in existing], source_filter


def search(
    query: Query, embedder: Embedder, vector_store: VectorStore, lexical: LexicalIndex, sessions_root: Path,
    fusion: Fusion | None = None,
) -> list[Hit]:  # fmt: skip
    """The ``query.k`` documents (tickets, sessions, KB articles, CIs) that answer ``query`` best: dense and
    lexical chunk rankings fused, then grouped per document, each shown by its best chunk."""
    fusion = fusion or Fusion()
    names, source_filter = collections_of(query, vector_store.existing_collections())
    if not names:
        return []
    where = where_clause(source_filter, query.customer, query.since)
    ranked: list[list[tuple[str, str]]] = []
    found: dict[str, tuple[str, str, dict]] = {}  # chunk id → collection, text, metadata
    if query.mode in ("hybrid", "dense"):
        ranked.append(_dense(query, names, where, embedder, vector_store, fusion.pool, found))
    owners: set[str] = set()
    holders: set[str] = set()
    lexical_weight = fusion.lexical_weight
    if query.mode in ("hybrid", "lexical"):
        filters = {"source": source_filter, "customer_id": query.customer}
        if query.since:
            filters["day_num"] = int(query.since.strftime("%Y%m%d"))
        result = lexical.search(query.text, names, filters, fusion.pool)
        ranked.append([(cid, name) for cid, name, _ in result.ranked])
        owners = {document_of(cid) for cid, _, _ in result.ranked[: result.owners]}
        holders = {document_of(cid) for cid in result.holders}
        lexical_weight = fusion.identifier_weight if result.exact else fusion.lexical_weight
    weights = [fusion.dense_weight, lexical_weight] if query.mode == "hybrid" else [1.0]
    _fetch_missing(vector_store, [pair for ranking in ranked for pair in ranking], found)
    return _per_document(fuse(ranked, weights, fusion.k), owners, holders, found, sessions_root, query.k)


def document_of(chunk_id: str) -> str:
    """The document a chunk belongs to: its id without ``:<chunk type>:<ordinal>``."""
    return chunk_id.rsplit(":", 2)[0]


def fuse(rankings: list[list[tuple[str, str]]], weights: list[float], k: int) -> dict[str, tuple[float, str]]:
    """Reciprocal rank fusion of documents: in each ranking a document takes the rank of its best chunk among
    documents, and scores ``weight / (k + rank)``; its shown chunk is the one the rankings favour most. A ticket
    whose description wins the dense list and whose header wins the lexical list counts as found by both."""
    documents: dict[str, float] = {}
    chunks: dict[str, float] = {}
    for weight, ranking in zip(weights, rankings, strict=True):
        ranked_documents: dict[str, int] = {}
        for rank, (chunk_id, _) in enumerate(ranking, start=1):
            chunks[chunk_id] = chunks.get(chunk_id, 0.0) + weight / (k + rank)
            ranked_documents.setdefault(document_of(chunk_id), len(ranked_documents) + 1)
        for document, rank in ranked_documents.items():
            documents[document] = documents.get(document, 0.0) + weight / (k + rank)
    shown: dict[str, str] = {}
    for chunk_id in sorted(chunks, key=lambda chunk: -chunks[chunk]):
        shown.setdefault(document_of(chunk_id), chunk_id)
    return {document: (score, shown[document]) for document, score in documents.items()}


class OtherModel(ValueError):
    """The index holds vectors of another embedding model than the one configured."""


def _dense(query, names, where, embedder, vector_store, pool, found) -> list[tuple[str, str]]:
    models = vector_store.models()
    if stale := sorted(n for n in names if models.get(n, embedder.model_id) != embedder.model_id):
        held = ", ".join(f"{n}: {models[n] or 'unrecorded'}" for n in stale)
        raise OtherModel(
            f"the index holds vectors of another model ({held}) than SDC_EMBED_MODEL ({embedder.model_id}): "
            "run sdc ingest to index every day again with it"
        )
    vector = embedder.encode([normalize(query.text)])
    hits = []
    for name in names:
        collection = vector_store.collection(name)
        if not (size := collection.count()):
            continue
        result = collection.query(
            query_embeddings=vector, n_results=min(pool, size), where=where,
            include=["documents", "metadatas", "distances"],
        )  # fmt: skip
        for chunk_id, text, meta, distance in zip(
            result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True
        ):
            found[chunk_id] = (name, text, meta)
            hits.append((float(distance), chunk_id, name))
    return [(cid, name) for _, cid, name in sorted(hits)]


def _fetch_missing(vector_store: VectorStore, pairs: list[tuple[str, str]], found: dict) -> None:
    """Text and metadata of the chunks only the lexical index returned, from Chroma."""
    missing: dict[str, list[str]] = {}
    for chunk_id, name in pairs:
        if chunk_id not in found:
            missing.setdefault(name, []).append(chunk_id)
    for name, ids in missing.items():
        result = vector_store.collection(name).get(ids=ids, include=["documents", "metadatas"])
        for chunk_id, text, meta in zip(result["ids"], result["documents"], result["metadatas"], strict=True):
            found[chunk_id] = (name, text, meta)


def _per_document(
    documents: dict[str, tuple[float, str]], owners: set[str], holders: set[str], found: dict, sessions_root: Path,
    k: int,
) -> list[Hit]:  # fmt: skip
    """The ``k`` best documents: those the query names by their own identifier first, then those that hold one
    of its identifiers, then the rest, each group by its fused score. The score shows the group: an owner's is
    above 2, a holder's above 1 (a fused score alone stays below 1), so the list is in the order of its scores."""

    def group(document: str) -> int:
        return 0 if document in owners else 1 if document in holders else 2

    order = sorted(documents, key=lambda d: (group(d), -documents[d][0]))
    hits: list[Hit] = []
    for document in order:
        fused, chunk_id = documents[document]
        score = fused + 2 - group(document)
        if chunk_id not in found:
            continue  # in the lexical index, gone from Chroma: the reconciliation check reports it
        name, text, meta = found[chunk_id]
        hits.append(make_hit(name, chunk_id, text, meta, round(score, 5), sessions_root))
        if len(hits) == k:
            break
    return hits
