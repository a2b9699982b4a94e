"""Materializing real partitions of the file-drop assets."""

import json
from pathlib import Path

import dagster as dg
import pytest

from sdc_assets.file_drop.assets import assets_by_source
from sdc_assets.partitions import days_between, partition_range_tags
from sdc_assets.sessions.model import Session

from ..conftest import copy_demo, drop


def _assets(source: str) -> list[dg.AssetsDefinition]:
    return assets_by_source[source]


def _materialize(source: str, resources: dict, first: str, last: str | None = None) -> dg.ExecuteInProcessResult:
    kwargs = {"tags": partition_range_tags(first, last)} if last else {"partition_key": first}
    with dg.instance_for_test() as instance:
        return dg.materialize(_assets(source), resources=resources, instance=instance, **kwargs)


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, dict]:
    """Each materialized partition's metadata values."""
    events = result.asset_materializations_for_node(asset)
    return {e.partition: {k: v.value for k, v in e.metadata.items()} for e in events}


def _columns(table: dg.TableMetadataValue) -> list[str]:
    return [c.name for c in table.schema.columns]


def _total(metadata: dict[str, dict], key: str) -> int:
    return sum(m[key] for m in metadata.values())


def _snapshot(root: str) -> dict:
    """Every session file's bytes and mtime."""
    files = sorted(Path(root).rglob("*.json"))
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


@pytest.mark.parametrize(
    ("source", "first", "last", "sessions"),
    [
        ("screenconnect", "2025-03-09", "2025-03-15", 14),
        ("sillytavern", "2025-03-10", "2025-03-15", 8),
        ("notes", "2025-03-09", "2025-03-15", 8),
    ],
)
def test_demo_partitions_materialize_and_rematerialize_byte_identical(
    source, first, last, sessions, resources, file_drop, session_store
):
    copy_demo(file_drop, source)
    result = _materialize(source, resources, first, last)
    assert result.success
    meta = _metadata(result, f"{source}_sessions")
    assert sorted(meta) == days_between(first, last)
    assert _total(meta, "dagster/row_count") == _total(meta, "written") == sessions
    assert all(_columns(m["preview"])[0] == "session_id" for m in meta.values() if m["dagster/row_count"])
    stored = _snapshot(session_store.root)
    assert len(stored) == sessions
    for path in stored:
        Session.model_validate_json(stored[path][0])

    again = _materialize(source, resources, first, last)
    meta = _metadata(again, f"{source}_sessions")
    assert all(m["unchanged_since_last_run"] for m in meta.values())  # its stored records did not change
    assert _snapshot(session_store.root) == stored


def test_raw_asset_reports_records_and_quarantine(resources, file_drop):
    copy_demo(file_drop, "notes")
    result = _materialize("notes", resources, "2025-03-09", "2025-03-15")
    meta = _metadata(result, "notes_raw")
    assert _total(meta, "dagster/row_count") == 9
    assert _total(meta, "sessions") == 8
    assert {day: m["dagster/row_count"] for day, m in meta.items() if m["dagster/row_count"]} == {
        "2025-03-09": 1,
        "2025-03-10": 3,
        "2025-03-12": 2,
        "2025-03-13": 1,
        "2025-03-14": 1,
        "2025-03-15": 1,
    }
    assert "notes[0]" in [r.data["location"] for r in meta["2025-03-10"]["preview"].records]
    assert meta["2025-03-11"]["preview"].records == []
    assert all(m["quarantined_records"] == 3 and m["files"] == 2 for m in meta.values())
    (check,) = result.get_asset_check_evaluations()[:1]
    assert check.check_name == "no_quarantined_records"
    assert not check.passed
    rejects = [
        json.loads(line)
        for path in (file_drop.quarantine_dir / "notes").glob("*.rejects.jsonl")
        for line in path.read_text().splitlines()
    ]
    assert {(r["file"], r["location"]) for r in rejects} == {
        ("legacy_notes_export.json", "notes[6]"),
        ("legacy_notes_export.json", "notes[7]"),
        ("notes_2025-03-09.json", "notes[2]"),
    }
    assert all(r["reason"] and r["raw"] for r in rejects)
    assert (file_drop.raw_dir / "notes" / "2025-03-10.parquet").exists()
    assert not (file_drop.raw_dir / "notes" / "2025-03-11.parquet").exists()


def _quarantine_check_alone(resources: dict, instance: dg.DagsterInstance, day: str = "2025-03-10"):
    key = dg.AssetCheckKey(dg.AssetKey("notes_raw"), "no_quarantined_records")
    job = dg.Definitions(assets=_assets("notes"), resources=resources).resolve_implicit_global_asset_job_def()
    alone = job.get_subset(asset_selection=set(), asset_check_selection={key})
    (evaluation,) = alone.execute_in_process(instance=instance, partition_key=day).get_asset_check_evaluations()
    return evaluation


def test_no_quarantined_records_run_alone_follows_the_files_in_the_inbox(resources, file_drop):
    copy_demo(file_drop, "notes")
    with dg.instance_for_test() as instance:
        dg.materialize(_assets("notes"), resources=resources, instance=instance, partition_key="2025-03-10")
        failing = _quarantine_check_alone(resources, instance)
        assert not failing.passed
        assert failing.metadata["quarantined_records"].value == 3
        assert any(r.startswith("legacy_notes_export.json notes[6]: ") for r in failing.metadata["first_reasons"].value)
        assert _quarantine_check_alone(resources, instance, "2024-01-01").passed  # files of other days only
        (file_drop.inbox("notes") / "legacy_notes_export.json").unlink()
        (file_drop.inbox("notes") / "notes_2025-03-09.json").unlink()
        assert _quarantine_check_alone(resources, instance).passed


def test_newest_note_version_across_files_wins(resources, file_drop, session_store):
    copy_demo(file_drop, "notes")
    _materialize("notes", resources, "2025-03-10")
    (printer,) = [
        s for s in session_store.read_partition("notes", "2025-03-10") if s.meta.source_ref == "note/n-000101"
    ]
    assert printer.segments[0].text.startswith("Toner besteld, driver herinstalleren")
    assert printer.meta.source_files == ["legacy_notes_export.json", "notes_2025-03-09.json"]


def test_removed_and_changed_files_converge(resources, file_drop, session_store):
    path = drop(
        file_drop,
        "notes",
        "a.json",
        json.dumps(
            [
                {"id": "1", "title": "Eén", "created_at": "2025-03-10T10:00:00+01:00"},
                {"id": "2", "title": "Twee", "created_at": "2025-03-10T11:00:00+01:00"},
            ]
        ),
    )
    _materialize("notes", resources, "2025-03-10")
    assert len(session_store.read_partition("notes", "2025-03-10")) == 2
    drop(
        file_drop,
        "notes",
        "a.json",
        json.dumps([{"id": "1", "title": "Eén!", "created_at": "2025-03-10T10:00:00+01:00"}]),
    )
    meta = _metadata(_materialize("notes", resources, "2025-03-10"), "notes_sessions")["2025-03-10"]
    assert (meta["written"], meta["unchanged"], meta["removed"]) == (1, 0, 1)
    assert [s.insights.title for s in session_store.read_partition("notes", "2025-03-10")] == ["Eén!"]
    path.unlink()
    _materialize("notes", resources, "2025-03-10")
    assert session_store.read_partition("notes", "2025-03-10") == []


def test_unreadable_file_is_quarantined_whole_and_the_rest_loads(resources, file_drop, session_store):
    copy_demo(file_drop, "screenconnect")
    drop(file_drop, "screenconnect", "garbage.csv", b"\x00\x01\x02 not a csv")
    result = _materialize("screenconnect", resources, "2025-03-10")
    assert result.success
    assert _metadata(result, "screenconnect_raw")["2025-03-10"]["unreadable_files"] == {
        "garbage.csv": "binary data (control bytes throughout), not a text export"
    }
    folder = file_drop.quarantine_dir / "screenconnect"
    (rejects,) = folder.glob("garbage.csv.*.rejects.jsonl")
    (copy,) = [p for p in folder.glob("garbage.csv.*") if p != rejects]
    assert copy.read_bytes() == b"\x00\x01\x02 not a csv"
    assert json.loads(rejects.read_text())["reason"] == "binary data (control bytes throughout), not a text export"
    assert len(session_store.read_partition("screenconnect", "2025-03-10")) == 2


def test_same_bytes_under_two_names_are_read_once(resources, file_drop, session_store):
    copy_demo(file_drop, "notes")
    drop(
        file_drop,
        "notes",
        "copy/legacy_notes_export.json",
        (file_drop.inbox("notes") / "legacy_notes_export.json").read_bytes(),
    )
    result = _materialize("notes", resources, "2025-03-10")
    assert _metadata(result, "notes_raw")["2025-03-10"]["files"] == 2
    assert len(session_store.read_partition("notes", "2025-03-10")) == 2
