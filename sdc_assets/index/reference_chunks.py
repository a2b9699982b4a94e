"""Chunks of reference documents: knowledge-base articles and configuration items (not sessions).

An article gives a header chunk (title, category, tags) and its text cut to the model's
window; a CI gives one chunk with its specifications. Chunk ids are the graph's node ids
(``kb_12``, ``ci_9``) with the chunk type and ordinal.
"""

from collections.abc import Callable
from datetime import UTC, datetime

from sdc_assets.index.chunking import Chunk, split_to_fit
from sdc_assets.partitions import local_day

CI_SPECS = (
    ("ci_number", "CI"),
    ("name", "Name"),
    ("type", "Type"),
    ("category", "Category"),
    ("brand", "Brand"),
    ("model", "Model"),
    ("serial_number", "Serial number"),
    ("asset_tag", "Asset tag"),
    ("status", "Status"),
    ("department", "Department"),
    ("location", "Location"),
    ("purchase_date", "Purchased"),
    ("warranty_expiry", "Warranty until"),
    ("notes", "Notes"),
)


def _day(value: str | None, zone: str) -> str:
    if not value:
        return "1970-01-01"
    instant = datetime.fromisoformat(value)
    return local_day(instant if instant.tzinfo else instant.replace(tzinfo=UTC), zone)


def _pieces(node_id: str, chunk_type: str, prefix: str, body: str, metadata: dict, fit) -> list[Chunk]:
    return [
        Chunk(
            chunk_id=f"{node_id}:{chunk_type}:{n}",
            session_id=node_id,
            chunk_type=chunk_type,
            text=f"{prefix}\n{piece}" if prefix else piece,
            metadata={**metadata, "chunk_type": chunk_type},
        )
        for n, piece in enumerate(fit(body))
    ]


def kb_chunks(article: dict, max_tokens: int, count: Callable[[str], int], zone: str) -> list[Chunk]:
    """A header chunk and the article's text, cut at sentences to fit ``max_tokens``."""
    node_id = f"kb_{article['kb_id']}"
    metadata = {
        "source": "ticketportaal",
        "kind": "kb_article",
        "kb_id": article["kb_id"],
        "title": article["title"],
        "category": article.get("category") or "",
        "tags": article.get("tags") or "",
        "day": _day(article.get("created_at"), zone),
    }
    header = "\n".join(
        line
        for line in (
            f"Knowledge base article: {article['title']}",
            f"Category: {article['category']}" if article.get("category") else None,
            f"Tags: {article['tags']}" if article.get("tags") else None,
        )
        if line
    )
    prefix = f"{article['title']}:"
    room = max_tokens - count(prefix)
    chunks = _pieces(node_id, "header", "", header, metadata, lambda body: [body])
    if article.get("text"):
        chunks += _pieces(node_id, "body", prefix, article["text"], metadata, lambda b: split_to_fit(b, room, count))
    return chunks


def ci_chunks(item: dict, max_tokens: int, count: Callable[[str], int], zone: str) -> list[Chunk]:
    """One chunk with the CI's specifications and owner (more when its notes are long)."""
    owner = item.get("owner") or {}
    lines = [f"{label}: {item[key]}" for key, label in CI_SPECS if item.get(key) not in (None, "")]
    if owner.get("name"):
        lines.append(f"Owner: {owner['name']}")
    metadata = {
        "source": "ticketportaal",
        "kind": "configuration_item",
        "ci_id": item["ci_id"],
        "ci_number": item["ci_number"],
        "title": item["name"],
        "type": item.get("type") or "",
        "status": item.get("status") or "",
        "day": _day(item.get("created_at"), zone),
    }
    node_id = f"ci_{item['ci_id']}"
    return _pieces(node_id, "specs", "", "\n".join(lines), metadata, lambda b: split_to_fit(b, max_tokens, count))
