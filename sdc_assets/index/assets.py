"""``chunks`` and ``embeddings``: the daily assets that prepare sessions for the vector store."""

import hashlib
import json
import time
from pathlib import Path

import dagster as dg
import polars as pl

from sdc_assets.index.checks import chroma_matches_record
from sdc_assets.index.chroma_sync import day_groups, sync_days
from sdc_assets.index.chunk_table import CHUNK_SCHEMA, REFERENCE
from sdc_assets.index.chunking import Chunk, chunk_session, embed_key, normalize
from sdc_assets.index.collections import COLLECTION_OF_SOURCE, DAILY_COLLECTIONS
from sdc_assets.index.reference_chunks import ci_chunks, kb_chunks
from sdc_assets.index.vector_sync import (
    drifted_days,
    held_by_day,
)
from sdc_assets.metadata import preview_table
from sdc_assets.partitions import DAILY, TIMEZONE
from sdc_assets.sessions.model import Session
from sdc_assets.sessions.sources import SESSION_ASSETS
from sdc_assets.sessions.store import SessionStore
from sdc_resources.batches import batches
from sdc_resources.day_marks import UNCHANGED, StageDays, files_state, settings_key
from sdc_resources.embedder import Embedder, EmbeddingError
from sdc_resources.index_store import IndexStore
from sdc_resources.jsonl import read_jsonl
from sdc_resources.ticketportaal import Ticketportaal
from sdc_resources.vector_store import VectorStore

CHUNKER_VERSION = 5
# The index steps of concurrent runs write the same day files: the pool (limit 1 in dagster.yaml) serializes them.
INDEX_POOL = "sdc_index"
ENCODE_WINDOW = 4096


def index_day_state(day: str, index_store: IndexStore) -> str:
    """What the Chroma sync of a day compares: its chunk table and the record of what Chroma holds."""
    return files_state([index_store.chunks_path(day), index_store.indexed_path(day)])


def chunk_settings(embedder: Embedder) -> str:
    return settings_key(CHUNKER_VERSION, embedder.model_id, embedder.max_chunk_tokens)


def chroma_settings(embedder: Embedder, vector_store: VectorStore) -> str:
    return settings_key(embedder.model_id, vector_store.host or vector_store.path)


def session_version(session: Session, embedder: Embedder) -> str:
    """Everything a session's chunks depend on: when it is unchanged, the session is not chunked again."""
    parts = [
        CHUNKER_VERSION,
        session.meta.content_hash,
        session.context.customer_id,
        session.context.contact_id,
        session.insights.title,
        embedder.model_id,
        embedder.max_chunk_tokens,
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def chunk_frame(pieces: list[Chunk], source: str, collection: str, embedder: Embedder, version: str) -> pl.DataFrame:
    """Chunks as rows of the chunk table, each with the key of its embedding."""
    rows = [
        {
            "chunk_id": c.chunk_id,
            "session_id": c.session_id,
            "source": source,
            "collection": collection,
            "chunk_type": c.chunk_type,
            "text": c.text,
            "embed_text": c.embed_text or c.text,
            "embed_key": embed_key(embedder.model_id, c.embed_text or c.text),
            "metadata": json.dumps(c.metadata, sort_keys=True, ensure_ascii=False),
            "session_version": version,
        }
        for c in pieces
    ]
    return pl.DataFrame(rows, schema=CHUNK_SCHEMA)


def chunk_day(sessions: list[Session], previous: pl.DataFrame, embedder: Embedder) -> tuple[pl.DataFrame, int]:
    """The day's chunk table, reusing the rows of unchanged sessions; also how many sessions were chunked."""
    kept = {sid: rows for (sid,), rows in previous.group_by(["session_id"])} if previous.height else {}
    tables, chunked = [], 0
    for session in sessions:
        version = session_version(session, embedder)
        old = kept.get(session.meta.session_id)
        if old is not None and old["session_version"][0] == version:
            tables.append(old)
            continue
        chunked += 1
        source = session.meta.source_system.value
        pieces = chunk_session(session, embedder.max_chunk_tokens, embedder.count_tokens)
        tables.append(chunk_frame(pieces, source, COLLECTION_OF_SOURCE[source], embedder, version))
    frame = pl.concat(tables) if tables else pl.DataFrame(schema=CHUNK_SCHEMA)
    return frame.sort("chunk_id"), chunked


@dg.asset(
    group_name="index",
    deps=[*SESSION_ASSETS, "analyzed_sessions"],
    kinds={"polars", "parquet"},
    pool=INDEX_POOL,
    **DAILY,
)
def chunks(
    context: dg.AssetExecutionContext, session_store: SessionStore, index_store: IndexStore, embedder: Embedder
) -> dg.MaterializeResult:
    """Every session of the day cut into self-contained chunks (header, description, turns, resolution,
    fields, related CIs), under data/index/chunks/<day>.parquet. Sessions whose content, link and title
    did not change keep their chunks without being chunked again."""
    started = time.perf_counter()
    marks, unchanged = StageDays(session_store.marks(), "chunks", chunk_settings(embedder), context.partition_keys), 0
    for day in context.partition_keys:
        if marks.unchanged(day, state := session_store.day_state(day)):
            unchanged += 1
            context.add_asset_metadata({**UNCHANGED, "sessions_chunked": 0}, partition_key=day)
            continue
        path = index_store.chunks_path(day)
        sessions = session_store.read_day(day)
        previous = index_store.read(path, CHUNK_SCHEMA)
        frame, chunked = chunk_day(sessions, previous, embedder)
        if chunked or frame.height != previous.height:  # an unchanged day keeps its file (and its mtime)
            index_store.write(path, frame)
        preview = frame.head(10).select("chunk_type", "source", pl.col("text").str.slice(0, 80))
        context.add_asset_metadata(
            {
                "dagster/row_count": frame.height,
                "sessions": len(sessions),
                "sessions_chunked": chunked,
                "preview": preview_table(preview.to_dicts()),
            },
            partition_key=day,
        )
        if chunked:
            context.log.info(f"{day}: {chunked} of {len(sessions)} sessions chunked, {frame.height} chunks")
        marks.done(day, state, state)
    marks.save()
    return dg.MaterializeResult(
        metadata={"days_unchanged": unchanged, "seconds": round(time.perf_counter() - started, 3)}
    )


def embed_missing(frames: list[pl.DataFrame], index_store: IndexStore, embedder: Embedder, log) -> set[str]:
    """Embed every chunk text of ``frames`` that has no vector in the cache yet; the embed keys embedded.

    A text that cannot be embedded fails the step with the ids of the chunks that carry it."""
    texts: dict[str, str] = {}
    for frame in frames:
        texts.update(zip(frame["embed_key"], frame["embed_text"], strict=True))
    cached = index_store.cached_keys(texts)
    pending = [key for key in texts if key not in cached]
    log.info(f"{len(texts)} distinct chunk texts, {len(pending)} to embed with {embedder.model_id}")
    done = 0
    for window in batches(pending, ENCODE_WINDOW):
        try:
            vectors = embedder.encode([normalize(texts[key]) for key in window], progress=True)
        except EmbeddingError as exc:
            failed = {window[i] for i in exc.positions}
            ids = [cid for f in frames for cid, k in zip(f["chunk_id"], f["embed_key"], strict=True) if k in failed]
            raise dg.Failure(f"embedding failed ({exc}); chunks: {ids[:20]}", metadata={"chunk_ids": ids}) from exc
        index_store.put_vectors(embedder.model_id, dict(zip(window, vectors, strict=True)))
        done += len(window)
        log.info(f"embedded {done}/{len(pending)}")
    return set(pending)


@dg.asset(group_name="index", deps=[chunks], kinds={"sentence_transformers", "sqlite"}, pool=INDEX_POOL, **DAILY)
def embeddings(context: dg.AssetExecutionContext, index_store: IndexStore, embedder: Embedder) -> dg.MaterializeResult:
    """A vector for every chunk of the day, in the embedding cache (data/index/embeddings.sqlite), keyed by
    the model and the normalized text: a text embedded once is never embedded again, in any partition."""
    started = time.perf_counter()
    marks = StageDays(index_store.marks(), "embeddings", settings_key(embedder.model_id), context.partition_keys)
    states = {day: files_state([index_store.chunks_path(day)]) for day in context.partition_keys}
    todo = [day for day, state in states.items() if not marks.unchanged(day, state)]
    for day in sorted(set(context.partition_keys) - set(todo)):
        context.add_asset_metadata({**UNCHANGED, "embedded": 0}, partition_key=day)
    frames = {day: index_store.read(index_store.chunks_path(day), CHUNK_SCHEMA) for day in todo}
    new = embed_missing(list(frames.values()), index_store, embedder, context.log)
    for day, frame in frames.items():
        keys = set(frame["embed_key"])
        context.add_asset_metadata(
            {"dagster/row_count": frame.height, "embedded": len(keys & new), "reused": len(keys - new)},
            partition_key=day,
        )
        marks.done(day, states[day], states[day])
    marks.save()
    seconds = time.perf_counter() - started
    return dg.MaterializeResult(
        metadata={
            "days_unchanged": len(context.partition_keys) - len(todo),
            "model": embedder.model_id,
            "backend": embedder.backend,
            "embedded_in_run": len(new),
            "seconds": round(seconds, 3),
            "chunks_per_second": round(len(new) / seconds, 1) if new else 0.0,
        }
    )


VECTOR_WRITES = ("add", "upsert", "update_metadata", "delete")


@dg.asset(
    group_name="index",
    deps=[embeddings],
    kinds={"chromadb"},
    pool=INDEX_POOL,
    **DAILY,
)
def chroma_collections(
    context: dg.AssetExecutionContext, index_store: IndexStore, vector_store: VectorStore, embedder: Embedder
) -> dg.MaterializeResult:
    """The day's chunks and vectors in ChromaDB, one cosine collection per kind (sessions, tickets, ...).
    New chunks are added, changed texts upserted, changed metadata updated alone, vanished chunks deleted;
    unchanged chunks are not written. The store is written first, then the record under data/index/indexed/."""
    started = time.perf_counter()
    totals = dict.fromkeys(("add", "upsert", "update_metadata", "delete", "lexical_written", "collections_emptied"), 0)
    settings = chroma_settings(embedder, vector_store)
    marks = StageDays(index_store.marks(), "chroma_collections", settings, context.partition_keys)
    held = held_by_day(vector_store, DAILY_COLLECTIONS)
    drifted = drifted_days(held, [p for p in index_store.index_records() if p.stem != REFERENCE])
    states = {day: index_day_state(day, index_store) for day in context.partition_keys}
    todo = [day for day in context.partition_keys if day in drifted or not marks.unchanged(day, states[day])]
    for day in sorted(set(context.partition_keys) - set(todo)):
        record = index_store.indexed_path(day)
        rows = pl.scan_parquet(record).select(pl.len()).collect().item() if record.exists() else 0
        context.add_asset_metadata(
            {**UNCHANGED, "dagster/row_count": rows, **dict.fromkeys(VECTOR_WRITES, 0)}, partition_key=day
        )
    for group in day_groups(todo, index_store):
        frames = {day: index_store.read(index_store.chunks_path(day), CHUNK_SCHEMA) for day in group}
        for day, counts in sync_days(frames, index_store, vector_store, embedder.model_id, held).items():
            context.add_asset_metadata({"dagster/row_count": frames[day].height, **counts}, partition_key=day)
            for name, count in counts.items():
                totals[name] += count
            if any(counts.values()):
                context.log.info(f"{day}: {counts}")
            marks.done(day, states[day], index_day_state(day, index_store))
    marks.save()
    vector_store.release()  # the graph after it needs the memory, not the indexes
    return dg.MaterializeResult(
        metadata={
            **{f"{k}_in_run": v for k, v in totals.items()},
            "days_unchanged": len(context.partition_keys) - len(todo),
            "seconds": round(time.perf_counter() - started, 3),
            "store": vector_store.host or vector_store.path,
        }
    )


@dg.asset(
    group_name="index",
    deps=[dg.AssetKey("ticketportaal_kb"), dg.AssetKey("ticketportaal_cis")],
    kinds={"sentence_transformers", "chromadb"},
    pool=INDEX_POOL,
)
def reference_collections(
    context: dg.AssetExecutionContext,
    ticketportaal: Ticketportaal,
    index_store: IndexStore,
    embedder: Embedder,
    vector_store: VectorStore,
) -> dg.MaterializeResult:
    """Knowledge-base articles (header and text) in the ``knowledge_base`` collection and configuration items
    (their specifications) in ``configuration_items``: chunked, embedded through the cache, synced to Chroma
    with the same difference-only writes as the daily collections."""
    started = time.perf_counter()
    raw = Path(ticketportaal.raw_dir)
    fit = (embedder.max_chunk_tokens, embedder.count_tokens, TIMEZONE)
    kb = [c for a in read_jsonl(raw / "ticketportaal_kb.jsonl") for c in kb_chunks(a, *fit)]
    cis = [c for i in read_jsonl(raw / "ticketportaal_cis.jsonl") for c in ci_chunks(i, *fit)]
    frame = pl.concat(
        [
            chunk_frame(kb, "ticketportaal", "knowledge_base", embedder, ""),
            chunk_frame(cis, "ticketportaal", "configuration_items", embedder, ""),
        ]
    ).sort("chunk_id")
    index_store.write_if_changed(index_store.chunks_path(REFERENCE), frame)
    embedded = embed_missing([frame], index_store, embedder, context.log)
    counts = sync_days({REFERENCE: frame}, index_store, vector_store, embedder.model_id)[REFERENCE]
    vector_store.release()
    context.log.info(f"reference documents: {len(kb)} article chunks, {len(cis)} CI chunks, {counts}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": frame.height,
            "knowledge_base_chunks": len(kb),
            "configuration_item_chunks": len(cis),
            "embedded": len(embedded),
            **counts,
            "seconds": round(time.perf_counter() - started, 3),
        }
    )


daily_index_assets = [chunks, embeddings, chroma_collections, chroma_matches_record]
index_assets = [*daily_index_assets, reference_collections]
