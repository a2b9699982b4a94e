"""Lists of ids past SQLite's 32,766 host variables go to Chroma and the embedding cache in bounded batches."""

import json

import numpy as np
import polars as pl

from sdc_assets.index.chroma_sync import sync_days
from sdc_assets.index.chunk_table import CHUNK_SCHEMA
from sdc_assets.index.vector_sync import drifted_days, held_by_day
from sdc_resources.index_store import IndexStore
from sdc_resources.vector_store import VectorStore

N = 40_000  # past SQLite's limit of variables in one statement


def test_chroma_is_compared_with_the_records_past_sqlites_limit(tmp_path):
    store = VectorStore(path=str(tmp_path / "chroma"), host=None)
    collection = store.collection("sessions", "test-model")
    ids = [f"chunk-{n:06d}" for n in range(N)]
    vectors = np.random.default_rng(7).random((N, 2))
    step = store.max_batch_size()
    for start in range(0, N, step):
        part = ids[start : start + step]
        days = [{"day": "2025-03-10" if n < N // 2 else "2025-03-11"} for n in range(start, start + len(part))]
        collection.add(ids=part, embeddings=vectors[start : start + step], metadatas=days)
    records = tmp_path / "indexed"
    records.mkdir()
    pl.DataFrame({"chunk_id": ids[: N // 2]}).write_parquet(records / "2025-03-10.parquet")
    pl.DataFrame({"chunk_id": ids[N // 2 :]}).write_parquet(records / "2025-03-11.parquet")
    files = sorted(records.glob("*.parquet"))
    assert drifted_days(held_by_day(store, ["sessions"]), files) == set()
    collection.delete(ids=[ids[-1]])  # lost behind the record of the 11th
    collection.add(ids=["stray"], embeddings=[[0.5, 0.5]], metadatas=[{"day": "2025-03-12"}])  # never recorded
    assert drifted_days(held_by_day(store, ["sessions"]), files) == {"2025-03-11", "2025-03-12"}
    (records / "2025-03-11.parquet").unlink()  # 19,999 held chunks of the 11th no record knows any more
    assert drifted_days(held_by_day(store, ["sessions"]), [records / "2025-03-10.parquet"]) == {
        "2025-03-11", "2025-03-12"
    }  # fmt: skip


def test_the_embedding_cache_answers_past_sqlites_limit(tmp_path):
    index = IndexStore(root=str(tmp_path / "index"))
    keys = [f"key-{n:06d}" for n in range(N)]
    index.put_vectors("test-model", {key: np.array([n, 1.0], dtype=np.float32) for n, key in enumerate(keys)})
    found = index.vectors(set(keys))
    assert len(found) == N and float(found[keys[-1]][0]) == N - 1


def test_a_day_of_40000_chunks_syncs_to_chroma_and_back_unchanged(tmp_path):
    """Every list a sync sends (the ids Chroma is asked whether it holds, the vectors added, the lexical rows
    and the embedding cache's keys) is longer than one SQLite statement may bind."""
    index = IndexStore(root=str(tmp_path / "index"))
    store = VectorStore(path=str(tmp_path / "chroma"), host=None)
    day = "2025-03-10"
    meta = json.dumps({"day": day, "source": "notes", "title": "Printer"})
    frame = pl.DataFrame(
        {"chunk_id": [f"c{n}" for n in range(N)], "session_id": [f"s{n // 4}" for n in range(N)], "source": "notes",
         "collection": "sessions", "chunk_type": "turn", "text": [f"printer {n}" for n in range(N)],
         "embed_text": "", "embed_key": [f"k{n}" for n in range(N)], "metadata": meta, "session_version": "1"},
        schema=CHUNK_SCHEMA,
    )  # fmt: skip
    index.put_vectors("m", {f"k{n}": np.array([1.0, n], dtype=np.float32) for n in range(N)})
    assert sync_days({day: frame}, index, store, "m", held_by_day(store, ["sessions"]))[day]["add"] == N
    assert store.collection("sessions").count() == N
    again = sync_days({day: frame}, index, store, "m", held_by_day(store, ["sessions"]))[day]
    assert (again["add"], again["upsert"], again["delete"], again["lexical_written"]) == (0, 0, 0, 0)
