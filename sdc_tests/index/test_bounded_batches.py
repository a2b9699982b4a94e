"""Lists of ids past SQLite's 32,766 host variables go to Chroma and the embedding cache in bounded batches."""

import numpy as np
import polars as pl

from sdc_assets.index.vector_sync import drifted_days
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
        collection.add(
            ids=part, embeddings=vectors[start : start + step], metadatas=[{"day": "2025-03-10"}] * len(part)
        )
    records = tmp_path / "indexed"
    records.mkdir()
    pl.DataFrame({"chunk_id": ids[: N // 2]}).write_parquet(records / "2025-03-10.parquet")
    pl.DataFrame({"chunk_id": ids[N // 2 :]}).write_parquet(records / "2025-03-11.parquet")
    files = sorted(records.glob("*.parquet"))
    assert drifted_days(store, files) == set()
    collection.delete(ids=[ids[-1]])  # lost behind the record of the 11th
    collection.add(ids=["stray"], embeddings=[[0.5, 0.5]], metadatas=[{"day": "2025-03-12"}])  # never recorded
    assert drifted_days(store, files) == {"2025-03-11", "2025-03-12"}
    (records / "2025-03-11.parquet").unlink()  # 39,990 held chunks no record knows: read back in batches
    pl.DataFrame({"chunk_id": ids[:10]}).write_parquet(records / "2025-03-10.parquet")
    assert drifted_days(store, [records / "2025-03-10.parquet"]) == {"2025-03-10", "2025-03-12"}


def test_the_embedding_cache_answers_past_sqlites_limit(tmp_path):
    index = IndexStore(root=str(tmp_path / "index"))
    keys = [f"key-{n:06d}" for n in range(N)]
    index.put_vectors("test-model", {key: np.array([n, 1.0], dtype=np.float32) for n, key in enumerate(keys)})
    found = index.vectors(set(keys))
    assert len(found) == N and float(found[keys[-1]][0]) == N - 1
