import asyncio
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.definitions.freshness_evaluator import TimeWindowFreshnessPolicyEvaluator
from dagster._core.loader import LoadingContextForTest
from dagster._core.test_utils import freeze_time

from sdc_assets.definitions import defs
from sdc_assets.file_drop.sensors import source_selection
from sdc_assets.partitions import contiguous_ranges, days_between
from sdc_assets.sessions.sources import SESSION_ASSETS
from sdc_assets.syncro.sensors import TICKETS as SYNCRO_TICKETS
from sdc_assets.ticketportaal.sensors import TICKETS as PORTAL_TICKETS
from sdc_tests.lineage import keys

FILE_ASSETS = {f"{s}_{k}" for s in ("screenconnect", "sillytavern", "notes") for k in ("raw", "sessions")}
INDEX_ASSETS = {"chunks", "embeddings", "chroma_collections"}
REFERENCE_INDEX = {"reference_collections"}
SYNCRO_DAILY = {"syncro_tickets_raw", "syncro_sessions"}
SYNCRO_CUSTOMERS = {"syncro_customers", "syncro_contacts", "syncro_customer_assets", "customer_cache"}
PORTAL_DAILY = {"ticketportaal_tickets_raw", "ticketportaal_sessions"}
PORTAL_REFERENCE = {"ticketportaal_kb", "ticketportaal_cis"}
GRAPH = {"graph_nodes", "graph_edges"}
ENRICHMENT = {"linked_sessions", "analyzed_sessions"}
UNPARTITIONED = SYNCRO_CUSTOMERS | PORTAL_REFERENCE | REFERENCE_INDEX  # reference data, refreshed whole


def test_definitions_load_with_every_activity_asset_daily_partitioned():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert (
        keys
        == FILE_ASSETS
        | INDEX_ASSETS
        | SYNCRO_DAILY
        | SYNCRO_CUSTOMERS
        | PORTAL_DAILY
        | UNPARTITIONED
        | GRAPH
        | ENRICHMENT
    )
    for key in graph.get_all_asset_keys():
        partitions = graph.get(key).partitions_def
        if key.to_user_string() in UNPARTITIONED:
            assert partitions is None
            continue
        assert isinstance(partitions, dg.DailyPartitionsDefinition)
        assert partitions.timezone == "Europe/Amsterdam"


def test_lineage_runs_from_raw_to_sessions():
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("syncro_sessions")).parent_keys == {dg.AssetKey("syncro_tickets_raw")}
    assert graph.get(dg.AssetKey("customer_cache")).parent_keys == {
        dg.AssetKey(k) for k in SYNCRO_CUSTOMERS - {"customer_cache"}
    }
    for source in ("screenconnect", "sillytavern", "notes"):
        assert graph.get(dg.AssetKey(f"{source}_sessions")).parent_keys == {dg.AssetKey(f"{source}_raw")}


def test_index_assets_follow_every_session_asset():
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey("linked_sessions")).parent_keys == {
        dg.AssetKey(f"{s}_sessions") for s in ("screenconnect", "sillytavern", "notes", "syncro", "ticketportaal")
    } | {dg.AssetKey("customer_cache")}
    assert graph.get(dg.AssetKey("analyzed_sessions")).parent_keys == {dg.AssetKey("linked_sessions")}
    assert graph.get(dg.AssetKey("chunks")).parent_keys == {*SESSION_ASSETS, dg.AssetKey("analyzed_sessions")}
    assert graph.get(dg.AssetKey("reference_collections")).parent_keys == {dg.AssetKey(k) for k in PORTAL_REFERENCE}
    assert graph.get(dg.AssetKey("embeddings")).parent_keys == {dg.AssetKey("chunks")}


def test_sensor_and_resources_are_defined():
    for sensor in ("drop_folder_sensor", "syncro_update_sensor", "ticketportaal_update_sensor"):
        assert defs.resolve_sensor_def(sensor).default_status == dg.DefaultSensorStatus.RUNNING
    schedule = defs.resolve_schedule_def("customer_cache_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert {
        "file_drop",
        "session_store",
        "index_store",
        "embedder",
        "vector_store",
        "syncro",
        "ticketportaal",
        "graph_store",
        "entity_model",
    } <= set(defs.resources)


def test_contiguous_ranges():
    assert contiguous_ranges(["2025-03-13", "2025-03-10", "2025-03-11", "2025-03-11"]) == [
        ("2025-03-10", "2025-03-11"),
        ("2025-03-13", "2025-03-13"),
    ]
    assert days_between("2025-02-27", "2025-03-01") == ["2025-02-27", "2025-02-28", "2025-03-01"]


def test_the_graph_follows_the_linked_sessions_and_the_index():
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey("graph_nodes")).parent_keys
    assert {dg.AssetKey(k) for k in ("analyzed_sessions", "chroma_collections", "reference_collections")} <= parents
    assert graph.get(dg.AssetKey("graph_edges")).parent_keys == {dg.AssetKey("graph_nodes")}


def test_a_changed_source_re_runs_its_own_days_through_the_graph_with_every_sources_sessions_and_nothing_else():
    downstream = ["linked_sessions", "analyzed_sessions", "chunks", "embeddings", "chroma_collections", *GRAPH]
    sessions = {key.to_user_string() for key in SESSION_ASSETS}  # all five: no day of the graph misses one
    for selection, raw in [
        (SYNCRO_TICKETS, "syncro_tickets_raw"),
        (PORTAL_TICKETS, "ticketportaal_tickets_raw"),
        (source_selection("notes"), "notes_raw"),
    ]:
        resolved = [k.to_user_string() for k in keys(selection)]
        assert resolved.index(raw) < resolved.index(raw.replace("_tickets_raw", "_raw").replace("_raw", "_sessions"))
        assert set(resolved) == {raw, *sessions, *downstream}


@pytest.mark.parametrize(
    ("hours", "state"),
    [(1, FreshnessState.PASS), (30, FreshnessState.WARN), (40, FreshnessState.FAIL)],
)
def test_customer_data_goes_stale_when_no_run_refreshes_it(hours, state):
    """The freshness daemon's own evaluator on SDC's policy: stale without any run, e.g. when the schedule
    stopped (the hand-written check this replaces could only notice in a run)."""
    graph = defs.resolve_asset_graph()
    with dg.instance_for_test() as instance:
        for name in sorted(SYNCRO_CUSTOMERS):
            instance.report_runless_asset_event(dg.AssetMaterialization(name))
        later = datetime.now(UTC) + timedelta(hours=hours)
        with freeze_time(later):
            for name in sorted(SYNCRO_CUSTOMERS):
                node = graph.get(dg.AssetKey(name))
                evaluated = asyncio.run(
                    TimeWindowFreshnessPolicyEvaluator().evaluate_freshness(LoadingContextForTest(instance), node)
                )
                assert evaluated == state, name


def test_every_asset_has_owners_and_a_link_to_its_code():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners == ["team:sdc"], key
        assert "dagster/code_references" in node.metadata, key
