"""Syncing chunk tables to Chroma and the lexical index: one plan for a group of days, written in batches."""

import json

import dagster as dg
import polars as pl

from sdc_assets.index.vector_sync import (
    INDEXED_SCHEMA,
    SyncPlan,
    VectorStoreError,
    apply_plan,
    as_held,
    meta_hash,
    plan_sync,
)
from sdc_resources.index_store import IndexStore
from sdc_resources.lexical_index import LexicalRow
from sdc_resources.vector_store import VectorStore

SYNC_CHUNKS = 20_000  # the chunks of one Chroma plan: memory stays flat however many days a run holds

OWN_CHUNKS = ("header", "specs")  # the chunks that name their document: a session's header, a CI's specs


def lexical_rows(frame: pl.DataFrame) -> list[LexicalRow]:
    """The chunks as the lexical index holds them: searched by their document's title and their own text, the
    header's identifiers also as the document's own."""
    rows = []
    for row in frame.iter_rows(named=True):
        meta = json.loads(row["metadata"])
        title = meta.get("title") or ""
        rows.append(
            LexicalRow(
                row["chunk_id"], row["collection"], meta.get("day", ""), meta.get("source", row["source"]),
                meta.get("customer_id") or "", int(meta.get("day_num") or 0), f"{title}\n{row['text']}",
                row["text"] if row["chunk_type"] in OWN_CHUNKS else "",
            )
        )  # fmt: skip
    return rows


def sync_days(
    frames: dict[str, pl.DataFrame], index_store: IndexStore, vector_store: VectorStore, model: str,
    held: dict[str, dict[str, str]] | None = None,
) -> dict[str, dict]:  # fmt: skip
    """Bring Chroma in line with the chunk tables ``frames`` (day, or REFERENCE → table) in one plan, then write
    each record of what it holds.

    Only the difference to a record is written (with ``held``, Chroma's chunks per day, the record as corrected
    by what Chroma holds); per table the counts of added, upserted, metadata-updated and deleted chunks. A
    collection holding another model's vectors (the model was switched) is emptied first and filled anew."""
    desired = {day: _desired(frame) for day, frame in frames.items()}
    indexed = {day: index_store.read(index_store.indexed_path(day), INDEXED_SCHEMA) for day in frames}
    names = {name for table in [*frames.values(), *indexed.values()] for name in table["collection"]}
    if dropped := vector_store.drop_other_models(names, model):
        indexed = {day: table.filter(~pl.col("collection").is_in(dropped)) for day, table in indexed.items()}
        for ids in (held or {}).values():  # what the run's later groups are compared with
            for chunk_id in [i for i, name in ids.items() if name in dropped]:
                del ids[chunk_id]
    if held is not None:
        indexed = {day: as_held(table, held.get(day, {})) for day, table in indexed.items()}
    plans, plan = {day: plan_sync(desired[day], indexed[day]) for day in frames}, SyncPlan()
    for day_plan in plans.values():
        plan.merge(day_plan)
    rows = {r["chunk_id"]: r for frame in frames.values() for r in frame.iter_rows(named=True)}
    to_write = [i for ids in (*plan.add.values(), *plan.upsert.values()) for i in ids]
    vectors = index_store.vectors({rows[i]["embed_key"] for i in to_write})
    if unembedded := sorted(i for i in to_write if rows[i]["embed_key"] not in vectors):
        raise dg.Failure(
            f"{', '.join(sorted(frames))}: {len(unembedded)} chunk(s) have no vector; materialize embeddings "
            f"first: {unembedded[:10]}",
            metadata={"chunk_ids": unembedded},
        )
    try:
        apply_plan(vector_store, plan, rows, vectors, model)
    except VectorStoreError as exc:
        raise dg.Failure(f"{', '.join(sorted(frames))}: {exc}", metadata={"chunk_ids": exc.chunk_ids}) from exc
    counts = {}
    for day, frame in frames.items():
        lexical = index_store.lexical.sync_day(day, lexical_rows(frame))
        record = index_store.indexed_path(day)
        if any(plans[day].counts().values()) or not record.exists():  # unchanged records keep their mtime
            index_store.write(record, desired[day])
        counts[day] = {
            **plans[day].counts(),
            "lexical_written": lexical["written"],
            "collections_emptied": len(dropped),
        }
    return counts


def _desired(frame: pl.DataFrame) -> pl.DataFrame:
    meta = pl.col("metadata").map_elements(meta_hash, return_dtype=pl.String).alias("meta_hash")
    return frame.select("chunk_id", "collection", "embed_key", meta)


def day_groups(days: list[str], index_store: IndexStore, chunks: int = SYNC_CHUNKS) -> list[list[str]]:
    """``days`` in consecutive groups of about ``chunks`` chunks at most: what one Chroma plan holds."""
    groups: list[list[str]] = [[]]
    size = 0
    for day in days:
        path = index_store.chunks_path(day)
        rows = pl.scan_parquet(path).select(pl.len()).collect().item() if path.exists() else 0
        if groups[-1] and size + rows > chunks:
            groups.append([])
            size = 0
        groups[-1].append(day)
        size += rows
    return [group for group in groups if group]
