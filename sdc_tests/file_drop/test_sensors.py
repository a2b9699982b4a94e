"""The drop-folder sensor, tick by tick, with build_sensor_context."""

import json

import dagster as dg
import pytest

from sdc_assets.file_drop.sensors import drop_folder_sensor
from sdc_tests.lineage import sensor_context

from ..conftest import drop

NOTES_10_11 = json.dumps([
    {"id": "1", "created_at": "2025-03-10T10:00:00+01:00"},
    {"id": "2", "created_at": "2025-03-11T10:00:00+01:00"},
])  # fmt: skip
SOURCES = ("screenconnect", "sillytavern", "notes", "syncro", "ticketportaal")
INDEX = [
    "linked_sessions",
    "analyzed_sessions",
    "chunks",
    "embeddings",
    "chroma_collections",
    "graph_nodes",
    "graph_edges",
]  # re-run downstream
NOTES_13 = json.dumps([{"id": "3", "created_at": "2025-03-13T10:00:00+01:00"}])


@pytest.fixture
def tick(file_drop):
    """Evaluate the sensor once with a cursor; return (run requests, new cursor, skip reason)."""

    def run(cursor: str | None = None):
        with dg.instance_for_test() as instance:
            context = sensor_context(instance=instance, cursor=cursor, resources={"file_drop": file_drop})
            result = drop_folder_sensor(context)
        return result.run_requests, result.cursor, result.skip_reason and result.skip_reason.skip_message

    return run


def _spans(requests) -> list[tuple]:
    spans = []
    for r in requests:
        tags = r.tags
        first = r.partition_key or tags["dagster/asset_partition_range_start"]
        last = r.partition_key or tags["dagster/asset_partition_range_end"]
        spans.append((r.asset_selection[0].path[0].removesuffix("_raw"), first, last))
    return sorted(spans)


def test_sensor_is_running_by_default_and_targets_every_file_asset():
    assert drop_folder_sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_an_unsettled_file_is_skipped_until_it_settles(tick, file_drop):
    path = drop(file_drop, "notes", "a.json", NOTES_10_11, age_seconds=0)
    requests, cursor, skip = tick()
    assert requests == []
    assert skip == "no new files (1 still settling)"
    assert json.loads(cursor) == {}
    drop(file_drop, "notes", "a.json", path.read_bytes(), age_seconds=31)
    requests, _, _ = tick(cursor)
    assert _spans(requests) == [("notes", "2025-03-10", "2025-03-11")]


def test_stable_files_request_one_run_per_source_over_the_span_of_their_days(tick, file_drop):
    drop(file_drop, "notes", "a.json", NOTES_10_11)
    drop(file_drop, "notes", "b.json", NOTES_13)
    drop(file_drop, "screenconnect", "x.csv", "SessionID,ConnectionID,ConnectedTime\ns1,c1,2025-03-12 09:00:00\n")
    requests, cursor, _ = tick()
    assert _spans(requests) == [("notes", "2025-03-10", "2025-03-13"), ("screenconnect", "2025-03-12", "2025-03-12")]
    single = next(r for r in requests if r.partition_key == "2025-03-12")
    selected = [k.path[0] for k in single.asset_selection]
    assert selected.index("screenconnect_raw") < selected.index("screenconnect_sessions")
    assert set(selected) == {"screenconnect_raw", *(f"{s}_sessions" for s in SOURCES), *INDEX}  # every source's
    assert len({r.run_key for r in requests}) == 2
    assert tick(cursor)[0] == []


def test_same_bytes_under_a_new_name_request_nothing(tick, file_drop):
    drop(file_drop, "notes", "a.json", NOTES_10_11)
    _, cursor, _ = tick()
    drop(file_drop, "notes", "archive/a-copy.json", NOTES_10_11)
    requests, cursor, _ = tick(cursor)
    assert requests == []
    assert "notes/archive/a-copy.json" in json.loads(cursor)


def test_a_changed_file_requests_its_old_and_new_days_with_a_new_run_key(tick, file_drop):
    drop(file_drop, "notes", "a.json", NOTES_10_11)
    first, cursor, _ = tick()
    drop(file_drop, "notes", "a.json", NOTES_13, age_seconds=100)
    second, cursor, _ = tick(cursor)
    assert _spans(second) == [("notes", "2025-03-10", "2025-03-13")]
    assert not {r.run_key for r in first} & {r.run_key for r in second}
    touched, cursor, _ = tick(cursor)
    assert touched == []


def test_a_removed_file_requests_the_days_it_touched(tick, file_drop):
    path = drop(file_drop, "notes", "a.json", NOTES_10_11)
    _, cursor, _ = tick()
    path.unlink()
    requests, cursor, _ = tick(cursor)
    assert _spans(requests) == [("notes", "2025-03-10", "2025-03-11")]
    assert json.loads(cursor) == {}


def test_a_touched_file_with_the_same_bytes_requests_nothing(tick, file_drop):
    path = drop(file_drop, "notes", "a.json", NOTES_10_11)
    _, cursor, _ = tick()
    drop(file_drop, "notes", "a.json", path.read_bytes(), age_seconds=50)
    assert tick(cursor)[0] == []


def test_days_outside_the_partitions_are_not_requested(tick, file_drop):
    drop(file_drop, "notes", "old.json", json.dumps([{"id": "1", "created_at": "2011-01-01"}, *json.loads(NOTES_13)]))
    requests, _, _ = tick()
    assert _spans(requests) == [("notes", "2025-03-13", "2025-03-13")]
