"""``linked_sessions`` materialized over the labeled set: statuses, stored links, the review file, re-runs."""

import csv
from pathlib import Path

import dagster as dg

from sdc_assets.enrichment.assets import linked_sessions
from sdc_assets.sessions.model import SessionStatus
from sdc_resources.atomic import write_atomic_with
from sdc_resources.llm import LLM
from sdc_resources.syncro import Syncro
from sdc_tests.enrichment.labeled import cache_table, labeled_sessions

DAY = "2025-03-10"


def _setup(data_dir: Path, session_store) -> tuple[dict, dict]:
    syncro = Syncro(cache_dir=str(data_dir / "cache"), raw_dir=str(data_dir / "raw"))
    write_atomic_with(Path(syncro.cache_dir) / "customers.parquet", cache_table().write_parquet)
    expected = {}
    by_source: dict[str, list] = {}
    for session, customer in labeled_sessions():
        by_source.setdefault(session.meta.source_system.value, []).append(session)
        expected[session.meta.session_id] = customer
    for source, sessions in by_source.items():
        session_store.write_partition(source, DAY, sessions)
    return {"session_store": session_store, "syncro": syncro, "llm": LLM(provider="none")}, expected


def _run(resources, instance, **config):
    run_config = {"ops": {"linked_sessions": {"config": config}}} if config else None
    result = dg.materialize(
        [linked_sessions], resources=resources, instance=instance, partition_key=DAY, run_config=run_config
    )
    assert result.success
    (event,) = result.asset_materializations_for_node("linked_sessions")
    return {k: v.value for k, v in event.metadata.items()}


def test_sessions_are_linked_or_marked_for_review_with_their_candidates(data_dir, session_store):
    resources, expected = _setup(data_dir, session_store)
    review_dir = data_dir / "review"
    with dg.instance_for_test() as instance:
        first = _run(resources, instance, review_dir=str(review_dir))
        stored = {s.meta.session_id: s for s in session_store.read_day(DAY)}
        assert len(stored) == len(expected) == first["linked_now"] == first["written"]
        for session_id, customer in expected.items():
            session = stored[session_id]
            if customer:
                assert session.meta.status == SessionStatus.LINKED
                assert session.context.customer_id == customer
                assert session.context.link_confidence > 0.8
            else:
                assert session.meta.status == SessionStatus.NEEDS_REVIEW
                assert session.context.customer_id is None
        review = list(csv.DictReader((review_dir / f"{DAY}.csv").open()))
        assert len(review) == first["needs_review"] == sum(1 for c in expected.values() if c is None)
        de_vries = next(r for r in review if r["customer_name"] == "De Vries")
        assert "101 Bakkerij de Vries B.V." in de_vries["candidates"]
        assert "105 De Vries Transport" in de_vries["candidates"]
        assert first["method_email"] == 13
        assert first["method_fuzzy"] + first["method_name_variant"] == 7  # the misspelt names
        assert first["method_contact_name"] == 4

        again = _run(resources, instance, review_dir=str(review_dir))
        assert (again["linked_now"], again["written"]) == (0, 0)
        relinked = _run(resources, instance, review_dir=str(review_dir), relink=True)
        assert relinked["linked_now"] == len(expected)
        assert relinked["written"] == 0  # the same answers

    # The sessions assets writing the same source content again leave the links in place.
    resources, _ = _setup(data_dir, session_store)
    assert all(s.meta.status != SessionStatus.NEEDS_LINKING for s in session_store.read_day(DAY))


def test_without_a_customer_cache_nothing_is_linked(data_dir, session_store):
    resources, _ = _setup(data_dir, session_store)
    (Path(resources["syncro"].cache_dir) / "customers.parquet").unlink()
    with dg.instance_for_test() as instance:
        result = dg.materialize([linked_sessions], resources=resources, instance=instance, partition_key=DAY)
    assert result.success
    assert all(s.meta.status == SessionStatus.NEEDS_LINKING for s in session_store.read_day(DAY))
