"""What a day's chunks require of the vector store, compared with the record of what it holds."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from sdc_resources.batches import batches

INDEXED_SCHEMA = {"chunk_id": pl.String, "collection": pl.String, "embed_key": pl.String, "meta_hash": pl.String}


def meta_hash(metadata_json: str) -> str:
    return hashlib.sha256(metadata_json.encode()).hexdigest()[:16]


@dataclass
class SyncPlan:
    """Chunk ids per collection: new, changed text (new vector), changed metadata only, gone."""

    add: dict[str, list[str]] = field(default_factory=dict)
    upsert: dict[str, list[str]] = field(default_factory=dict)
    update_metadata: dict[str, list[str]] = field(default_factory=dict)
    delete: dict[str, list[str]] = field(default_factory=dict)

    def merge(self, other: "SyncPlan") -> None:
        """Take ``other``'s ids as well (another day's: chunk ids never repeat across days)."""
        for kind in ("add", "upsert", "update_metadata", "delete"):
            for name, ids in getattr(other, kind).items():
                getattr(self, kind).setdefault(name, []).extend(ids)

    def counts(self) -> dict[str, int]:
        return {
            name: sum(map(len, getattr(self, name).values())) for name in ("add", "upsert", "update_metadata", "delete")
        }


def held_by_day(store, names: Iterable[str], page: int = 5000) -> dict[str, dict[str, str]]:
    """Day → chunk id → collection of every chunk the collections ``names`` hold: one paged read each."""
    held: dict[str, dict[str, str]] = {}
    for name in sorted(set(names) & store.existing_collections()):
        collection = store.collection(name)
        for offset in range(0, collection.count(), page):
            found = collection.get(include=["metadatas"], limit=page, offset=offset)
            for chunk_id, metadata in zip(found["ids"], found["metadatas"], strict=True):
                held.setdefault((metadata or {}).get("day", ""), {})[chunk_id] = name
    return held


def drifted_days(held: dict[str, dict[str, str]], records: list[Path]) -> set[str]:
    """The days whose chunks in Chroma (``held``) differ from their record (``indexed/<day>.parquet``): a chunk
    recorded but lost, or held but never recorded."""
    recorded = {record.stem: set(pl.read_parquet(record, columns=["chunk_id"])["chunk_id"]) for record in records}
    days = {day for day, ids in recorded.items() if ids != set(held.get(day, {}))}
    return days | {day for day in held if day and day not in recorded}


def as_held(indexed: pl.DataFrame, held: dict[str, str]) -> pl.DataFrame:
    """The record corrected by what Chroma really holds: a recorded chunk Chroma lost is written again, a chunk
    only Chroma holds is deleted (or rewritten, if wanted), so a run repairs a changed or restored store."""
    holding = pl.DataFrame(
        {"chunk_id": list(held), "collection": list(held.values())},
        schema={"chunk_id": pl.String, "collection": pl.String},
    )
    kept = indexed.join(holding, on=["chunk_id", "collection"], how="semi")
    extra = holding.join(kept, on="chunk_id", how="anti").with_columns(
        embed_key=pl.lit("", pl.String), meta_hash=pl.lit("", pl.String)
    )
    return pl.concat([kept, extra])


def plan_sync(desired: pl.DataFrame, indexed: pl.DataFrame) -> SyncPlan:
    """``desired``: chunk_id, collection, embed_key, meta_hash now; ``indexed``: the same as last written."""
    plan = SyncPlan()
    was = {row["chunk_id"]: row for row in indexed.iter_rows(named=True)}
    now = {row["chunk_id"]: row for row in desired.iter_rows(named=True)}

    def put(kind: str, collection: str, chunk_id: str) -> None:
        getattr(plan, kind).setdefault(collection, []).append(chunk_id)

    for chunk_id, row in now.items():
        old = was.get(chunk_id)
        if old is None:
            put("add", row["collection"], chunk_id)
        elif old["collection"] != row["collection"]:
            put("delete", old["collection"], chunk_id)
            put("add", row["collection"], chunk_id)
        elif old["embed_key"] != row["embed_key"]:
            put("upsert", row["collection"], chunk_id)
        elif old["meta_hash"] != row["meta_hash"]:
            put("update_metadata", row["collection"], chunk_id)
    for chunk_id, old in was.items():
        if chunk_id not in now:
            put("delete", old["collection"], chunk_id)
    return plan


class VectorStoreError(Exception):
    """Chunks that should be in the vector store are not; ``chunk_ids`` names them."""

    def __init__(self, chunk_ids: list[str]):
        super().__init__(f"{len(chunk_ids)} chunk(s) missing from the vector store after writing: {chunk_ids[:20]}")
        self.chunk_ids = chunk_ids


def chroma_metadata(metadata_json: str) -> dict:
    """The chunk's metadata as Chroma stores it, with ``day_num`` (YYYYMMDD) for range filters."""
    metadata = json.loads(metadata_json)
    return {**metadata, "day_num": int(metadata["day"].replace("-", ""))}


def apply_plan(store, plan: SyncPlan, rows: dict[str, dict], vectors: dict[str, np.ndarray], model: str) -> None:
    """Write ``plan`` to the collections in batches the client accepts, then check every written id is there.

    ``rows``: chunk_id → {text, embed_key, metadata}; ``vectors``: embed_key → vector of ``model``. Ids the
    record did not know but the store holds (a record lost in a crash) are upserted: Chroma ignores ``add`` of
    an existing id.
    """
    size = store.max_batch_size()
    for name, ids in plan.delete.items():
        collection = store.collection(name)
        for batch in batches(ids, size):
            collection.delete(ids=batch)
    for name in {*plan.add, *plan.upsert, *plan.update_metadata}:
        collection = store.collection(name, model)
        new = plan.add.get(name, [])
        known = {i for batch in batches(new, size) for i in collection.get(ids=batch, include=[])["ids"]}
        for method, ids in (
            ("add", [i for i in new if i not in known]),
            ("upsert", [*known, *plan.upsert.get(name, [])]),
        ):
            for batch in batches(ids, size):
                getattr(collection, method)(
                    ids=batch,
                    embeddings=[vectors[rows[i]["embed_key"]] for i in batch],
                    documents=[rows[i]["text"] for i in batch],
                    metadatas=[chroma_metadata(rows[i]["metadata"]) for i in batch],
                )
        for batch in batches(plan.update_metadata.get(name, []), size):
            collection.update(ids=batch, metadatas=[chroma_metadata(rows[i]["metadata"]) for i in batch])
        written = [*new, *plan.upsert.get(name, []), *plan.update_metadata.get(name, [])]
        present = {i for batch in batches(written, size) for i in collection.get(ids=batch, include=[])["ids"]}
        if missing := [i for i in written if i not in present]:
            raise VectorStoreError(missing)
