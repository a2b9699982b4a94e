"""Chunks and embeddings of real partitions: nothing is embedded twice."""

import dagster as dg
import numpy as np
import pytest

from sdc_assets.file_drop.assets import assets_by_source
from sdc_assets.index.assets import chunks, embeddings
from sdc_assets.index.chunk_table import CHUNK_SCHEMA
from sdc_assets.partitions import partition_range_tags
from sdc_assets.sessions.model import Session
from sdc_resources import embedder as embedder_module

from ..conftest import copy_demo

NOTES = assets_by_source["notes"]


def _run(assets, resources, first="2025-03-09", last="2025-03-15") -> dict[str, dict]:
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, resources=resources, instance=instance, tags=partition_range_tags(first, last))
    assert result.success
    return {
        name: {
            e.partition: {k: v.value for k, v in e.metadata.items()}
            for e in result.asset_materializations_for_node(name)
        }
        for name in ("chunks", "embeddings")
        if any(dg.AssetKey(name) in a.keys for a in assets)
    }


def _total(metadata: dict, key: str) -> int:
    return sum(m[key] for m in metadata.values())


def test_a_second_materialization_embeds_nothing(index_resources, file_drop):
    copy_demo(file_drop, "notes")
    first = _run([*NOTES, chunks, embeddings], index_resources)
    assert _total(first["chunks"], "sessions") == 8
    assert _total(first["chunks"], "dagster/row_count") == _total(first["embeddings"], "dagster/row_count") >= 16
    assert _total(first["embeddings"], "embedded") > 0
    second = _run([chunks, embeddings], index_resources)
    assert _total(second["chunks"], "sessions_chunked") == 0
    assert _total(second["embeddings"], "embedded") == 0
    assert all(m["unchanged_since_last_run"] for m in second["embeddings"].values())  # one comparison a day


def test_changing_one_session_embeds_only_its_changed_chunks(index_resources, file_drop, session_store):
    copy_demo(file_drop, "notes")
    _run([*NOTES, chunks, embeddings], index_resources)
    store = index_resources["index_store"]
    before = store.read(store.chunks_path("2025-03-13"), CHUNK_SCHEMA)
    (path,) = session_store.partition_dir("notes", "2025-03-13").glob("*.json")
    session = Session.model_validate_json(path.read_bytes())
    session.segments[0].text += " Scanner werkt weer na herstart van de receptie-pc."
    session_store.write_partition("notes", "2025-03-13", [session.with_content_hash()])

    after = _run([chunks, embeddings], index_resources, "2025-03-13", "2025-03-13")
    assert after["chunks"]["2025-03-13"]["sessions_chunked"] == 1
    assert after["embeddings"]["2025-03-13"]["embedded"] == 1
    changed = store.read(store.chunks_path("2025-03-13"), CHUNK_SCHEMA)
    assert set(changed["chunk_id"]) == set(before["chunk_id"])
    assert len(set(changed["embed_key"]) - set(before["embed_key"])) == 1


def test_vectors_are_unit_length_and_keyed_by_model_and_text(index_resources, file_drop):
    copy_demo(file_drop, "notes")
    _run([*NOTES, chunks, embeddings], index_resources, "2025-03-10", "2025-03-10")
    store = index_resources["index_store"]
    frame = store.read(store.chunks_path("2025-03-10"), CHUNK_SCHEMA)
    vectors = store.vectors(frame["embed_key"])
    assert set(vectors) == set(frame["embed_key"])
    assert all(v.shape == (512,) and abs(np.linalg.norm(v) - 1) < 1e-4 for v in vectors.values())


def test_a_chunk_that_fails_to_embed_fails_the_run_with_its_id(index_resources, file_drop, monkeypatch):
    copy_demo(file_drop, "notes")
    embedder = index_resources["embedder"]
    model = embedder.load()

    class NanForToner:
        """The real model, except that texts about toner come back as NaN."""

        def encode(self, texts, **kwargs):
            vectors = model.encode(texts, **kwargs)
            vectors[[i for i, text in enumerate(texts) if "Toner" in text]] = np.nan
            return vectors

    monkeypatch.setattr(embedder_module, "_load_model", lambda *args: NanForToner())
    with dg.instance_for_test() as instance, pytest.raises(dg.Failure, match=r"embedding failed.*:turn:0") as failure:
        dg.materialize(
            [*NOTES, chunks, embeddings], resources=index_resources, instance=instance, partition_key="2025-03-10"
        )
    store = index_resources["index_store"]
    frame = store.read(store.chunks_path("2025-03-10"), CHUNK_SCHEMA)
    toner = frame.filter(frame["text"].str.contains("Toner"))
    assert failure.value.metadata["chunk_ids"].value == toner["chunk_id"].to_list()
    assert store.cached_keys(frame["embed_key"]) == set()
