"""chroma_collections against an embedded Chroma: converges, writes only what changed, finds by meaning."""

from pathlib import Path

import dagster as dg
import pytest

from sdc_assets.file_drop.assets import assets_by_source
from sdc_assets.index.assets import chroma_collections, chunks, daily_index_assets
from sdc_assets.index.chunk_table import CHUNK_SCHEMA
from sdc_assets.partitions import partition_range_tags
from sdc_assets.sessions.model import Session
from sdc_resources.vector_store import _client

from ..conftest import copy_demo

NOTES = assets_by_source["notes"]
INDEX = daily_index_assets


def _run(assets, resources, first="2025-03-09", last="2025-03-15") -> dg.ExecuteInProcessResult:
    with dg.instance_for_test() as instance:
        result = dg.materialize(assets, resources=resources, instance=instance, tags=partition_range_tags(first, last))
    assert result.success
    return result


def _counts(result) -> dict[str, int]:
    events = result.asset_materializations_for_node("chroma_collections")
    return {
        k: sum(e.metadata[k].value for e in events)
        for k in ("dagster/row_count", "add", "upsert", "update_metadata", "delete")
    }


def _check_passed(result) -> bool:
    (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name == "chroma_matches_record"]
    return check.passed


def test_every_chunk_lands_once_and_a_rerun_writes_nothing(index_resources, file_drop):
    copy_demo(file_drop, "notes")
    first = _run([*NOTES, *INDEX], index_resources)
    counts = _counts(first)
    assert counts["add"] == counts["dagster/row_count"] > 0
    assert _check_passed(first)
    assert _client.cache_info().currsize == 0  # the steps gave the store's memory back (the graph needs it)
    sessions = index_resources["vector_store"].collection("sessions")  # and it opens again
    assert sessions.count() == counts["dagster/row_count"]
    store = index_resources["index_store"]
    for day in ("2025-03-10", "2025-03-13"):
        expected = set(store.read(store.chunks_path(day), CHUNK_SCHEMA)["chunk_id"])
        assert set(sessions.get(where={"day": day}, include=[])["ids"]) == expected
    again = _counts(_run(INDEX, index_resources))
    assert [again[k] for k in ("add", "upsert", "update_metadata", "delete")] == [0, 0, 0, 0]
    assert sessions.count() == counts["dagster/row_count"]


def _index_then_change_chroma_behind_the_record(index_resources, file_drop):
    """Index the notes, then delete one chunk of 2025-03-10 from Chroma and add a stray one on 2025-03-13;
    the sessions collection and the lost chunk's id."""
    copy_demo(file_drop, "notes")
    _run([*NOTES, *INDEX], index_resources)
    sessions = index_resources["vector_store"].collection("sessions")
    lost = sessions.get(where={"day": "2025-03-10"}, include=[])["ids"][0]
    sessions.delete(ids=[lost])
    sessions.add(ids=["stray"], documents=["x"], embeddings=[[0.0] * 512], metadatas=[{"day": "2025-03-13"}])
    return sessions, lost


def test_chroma_matches_record_fails_alone_when_chroma_lost_or_gained_chunks(index_resources, file_drop):
    _, lost = _index_then_change_chroma_behind_the_record(index_resources, file_drop)
    defs = dg.Definitions(assets=INDEX, resources=index_resources)
    check = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=set(),
        asset_check_selection={dg.AssetCheckKey(dg.AssetKey("chroma_collections"), "chroma_matches_record")},
    )
    with dg.instance_for_test() as instance:
        alone = check.execute_in_process(
            instance=instance, tags=partition_range_tags("2025-03-09", "2025-03-15"), raise_on_error=False
        )
    (evaluation,) = alone.get_asset_check_evaluations()
    assert not evaluation.passed
    mismatches = evaluation.metadata["mismatches"].value
    assert sorted(mismatches) == ["2025-03-10", "2025-03-13"]
    assert mismatches["2025-03-10"]["first_missing_in_chroma"] == [lost]
    assert mismatches["2025-03-13"]["first_only_in_chroma"] == ["stray"]
    assert not alone.asset_materializations_for_node("chroma_collections")


def test_an_unchanged_day_keeps_its_chunk_table_and_index_record_files(index_resources, file_drop):
    copy_demo(file_drop, "notes")
    _run([*NOTES, *INDEX], index_resources)
    store = index_resources["index_store"]
    paths = [store.chunks_path("2025-03-10"), store.indexed_path("2025-03-10")]
    before = [p.stat().st_mtime_ns for p in paths]
    _run([*NOTES, *INDEX], index_resources)
    assert [p.stat().st_mtime_ns for p in paths] == before


def test_a_removed_session_loses_its_chunks(index_resources, file_drop):
    copy_demo(file_drop, "notes")
    _run([*NOTES, *INDEX], index_resources)
    sessions = index_resources["vector_store"].collection("sessions")
    before = set(sessions.get(where={"day": "2025-03-09"}, include=[])["ids"])
    assert before
    (file_drop.inbox("notes") / "notes_2025-03-09.json").unlink()
    result = _run([*NOTES, *INDEX], index_resources, "2025-03-09", "2025-03-10")
    assert sessions.get(where={"day": "2025-03-09"}, include=[])["ids"] == []
    assert _counts(result)["delete"] == len(before)
    assert _check_passed(result)


def test_a_metadata_only_change_updates_metadata_without_embedding(index_resources, file_drop, session_store):
    copy_demo(file_drop, "notes")
    _run([*NOTES, *INDEX], index_resources)
    (path,) = session_store.partition_dir("notes", "2025-03-13").glob("*.json")
    linked = Session.model_validate_json(path.read_bytes())
    linked.context.customer_id = "4711"
    path.write_text(linked.to_json())
    result = _run(INDEX, index_resources, "2025-03-13", "2025-03-13")
    counts = _counts(result)
    assert counts["update_metadata"] == counts["dagster/row_count"] > 0
    assert counts["upsert"] == counts["add"] == 0
    (embedded,) = result.asset_materializations_for_node("embeddings")
    assert embedded.metadata["embedded"].value == 0
    metadatas = index_resources["vector_store"].collection("sessions").get(where={"day": "2025-03-13"})["metadatas"]
    assert {m["customer_id"] for m in metadatas} == {"4711"}


def test_a_paraphrase_finds_the_right_session_first(index_resources, file_drop, embedder):
    copy_demo(file_drop, "notes")
    _run([*NOTES, *INDEX], index_resources)
    sessions = index_resources["vector_store"].collection("sessions")
    for query, ref in [
        ("the file server's system drive filled up and we had to free disk space", "note/n-000103"),
        ("Outlook keeps prompting laptops for passwords after moving to Microsoft 365", "note/n-000102"),
    ]:
        hits = sessions.query(query_embeddings=embedder.encode([query]), n_results=1, include=["metadatas"])
        (session_id,) = [m["session_id"] for m in hits["metadatas"][0]]
        (match,) = [
            s
            for s in index_resources["session_store"].read_day(hits["metadatas"][0][0]["day"])
            if s.meta.session_id == session_id
        ]
        assert match.meta.source_ref == ref, query


def test_chunks_without_vectors_are_refused_by_name(index_resources, file_drop):
    copy_demo(file_drop, "notes")
    _run([*NOTES, chunks], index_resources, "2025-03-10", "2025-03-10")
    with dg.instance_for_test() as instance, pytest.raises(dg.Failure, match="have no vector") as failure:
        dg.materialize([chroma_collections], resources=index_resources, instance=instance, partition_key="2025-03-10")
    store = index_resources["index_store"]
    expected = sorted(store.read(store.chunks_path("2025-03-10"), CHUNK_SCHEMA)["chunk_id"])
    assert failure.value.metadata["chunk_ids"].value == expected
    assert not store.indexed_path("2025-03-10").exists()


def test_a_rerun_repairs_what_chroma_lost_or_gained_behind_the_record(index_resources, file_drop):
    sessions, lost = _index_then_change_chroma_behind_the_record(index_resources, file_drop)
    repaired = _run(INDEX, index_resources)
    assert _check_passed(repaired)
    assert _counts(repaired)["delete"] == 1
    assert sessions.get(ids=[lost], include=[])["ids"] == [lost]
    assert sessions.get(ids=["stray"], include=[])["ids"] == []


def test_switching_the_model_empties_its_collections_and_fills_them_with_the_new_vectors(index_resources, file_drop):
    from sdc_assets.index.search import OtherModel, Query, search
    from sdc_resources.embedder import BUNDLED_MODEL, Embedder

    copy_demo(file_drop, "notes")
    first = _counts(_run([*NOTES, *INDEX], index_resources))
    store = index_resources["vector_store"]
    assert store.models() == {"sessions": index_resources["embedder"].model_id}
    minilm = Embedder(model=BUNDLED_MODEL, backend="torch")
    stores = (store, index_resources["index_store"].lexical, Path(index_resources["session_store"].root))
    with pytest.raises(OtherModel, match="run sdc ingest"):
        search(Query("disk space"), minilm, *stores)

    switched = {**index_resources, "embedder": minilm}
    again = _counts(_run(INDEX, switched))
    assert again["add"] == first["add"]  # every chunk written again, with a 384-d vector
    assert store.models() == {"sessions": BUNDLED_MODEL}
    assert len(store.collection("sessions").get(limit=1, include=["embeddings"])["embeddings"][0]) == 384
    assert search(Query("disk space", k=3), minilm, *stores)
