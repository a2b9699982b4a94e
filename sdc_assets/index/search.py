"""Finding chunks by meaning, with the same model configuration the pipeline embedded them with."""

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from sdc_assets.index.chunking import normalize
from sdc_assets.index.collections import COLLECTION_OF_SOURCE, COLLECTIONS
from sdc_resources.embedder import Embedder
from sdc_resources.vector_store import VectorStore


@dataclass(frozen=True)
class Hit:
    score: float
    chunk_id: str
    session_id: str
    day: str
    source: str
    chunk_type: str
    customer: str
    text: str
    path: str

    def as_dict(self) -> dict:
        return asdict(self)


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
    """The ``k`` chunks closest to ``query`` across the collections that can hold matches, best first."""
    names = [COLLECTION_OF_SOURCE[source]] if source else list(COLLECTIONS)
    existing = vector_store.existing_collections()
    vector = embedder.encode([normalize(query)])
    where = where_clause(source, customer, since)
    hits: list[Hit] = []
    for name in (n for n in names if n in existing):
        collection = vector_store.collection(name)
        if not collection.count():
            continue
        found = collection.query(
            query_embeddings=vector,
            n_results=min(k, collection.count()),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        for chunk_id, text, meta, distance in zip(
            found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
        ):
            hits.append(
                Hit(
                    score=round(1.0 - float(distance), 4),
                    chunk_id=chunk_id,
                    session_id=meta["session_id"],
                    day=meta["day"],
                    source=meta["source"],
                    chunk_type=meta["chunk_type"],
                    customer=meta.get("customer_name") or meta.get("customer_id") or "",
                    text=text,
                    path=str(sessions_root / meta["source"] / meta["day"] / f"{meta['session_id']}.json"),
                )
            )
    return sorted(hits, key=lambda h: -h.score)[:k]
