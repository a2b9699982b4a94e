"""Poison input: every file source, through `sdc ingest` and through the drop-folder sensor.

Each poison record is quarantined with its file, line and reason; the good records around it load; the
command says so and exits 1; a second run does the same without parsing anything again."""

import json
import shutil
import time
from pathlib import Path

from sdc_assets import cli
from sdc_assets.file_drop.sensors import plan_drops, run_requests
from sdc_assets.file_drop.sources import FILE_SOURCES
from sdc_assets.partitions import days_between
from sdc_assets.sessions.store import SessionStore
from sdc_resources.file_drop import FileDrop

from .conftest import DEMO, REPO, settle
from .poison import write_corpus

SOURCES = ["screenconnect", "sillytavern", "notes"]


def _ingest(capsys) -> tuple[int, str]:
    code = cli.main(["ingest", "--quiet", *(arg for s in SOURCES for arg in ("--source", s))])
    return code, capsys.readouterr().out


def _quarantined(data: Path, source: str) -> dict[tuple[str, str], str]:
    entries = {}
    for path in (data / "quarantine" / source).glob("*.rejects.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            entries[(entry["file"], entry["location"])] = entry["reason"]
    return entries


def test_poison_records_are_quarantined_and_the_good_ones_load(tmp_path, monkeypatch, capsys):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    data = tmp_path / "data"
    expected = write_corpus(data / "inbox")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("SDC_DATA_DIR", str(data))

    code, out = _ingest(capsys)
    assert code == 1, out  # quarantined records are not a success
    store = SessionStore(root=str(data / "sessions"))
    for source, files in expected.items():
        sessions = [s for day in (data / "sessions" / source).iterdir() for s in store.read_partition(source, day.name)]
        assert len(sessions) == sum(f.sessions for f in files), source
        texts = " ".join(seg.text for s in sessions for seg in s.segments)
        assert source != "screenconnect" or "x" * 200_000 in texts  # a field over csv's default 128 KiB
        for want in (t for f in files for t in f.texts):
            assert want in texts, (source, want)  # UTF-8 kept as UTF-8 around a line with bad bytes
        quarantined = _quarantined(data, source)
        for f in files:
            for location, reason in f.rejects.items():
                assert reason in quarantined[(f.relpath, location)], (f.relpath, location, quarantined)
                assert f"{f.relpath} {location}: " in out
            if f.unreadable:
                assert (
                    data / "quarantine" / source / f"{f.relpath}.{_sha12(data / 'inbox' / source / f.relpath)}"
                ).read_bytes()
    assert "a quote opened here is never closed: the row runs into line 9" in out
    assert not list(data.glob("raw/*/files/*.tmp-*"))

    parsed = {p: p.stat().st_mtime_ns for p in data.glob("raw/*/files/*/summary.json")}
    code, again = _ingest(capsys)
    assert code == 1
    derived = "  linking, index, graph"  # the second time every inbox and day is up to date: nothing to run

    def same(lines: list[str]) -> list[str]:
        return [line for line in lines if not line.startswith(derived) and "nothing to do" not in line]

    unchanged = [line.replace("  ok       ", "  unchanged") for line in same(_result_lines(out))]
    assert same(_result_lines(again)) == unchanged  # each source: no run needed
    assert "linking, index, graph  unchanged" in again and "are up to date" in again
    assert {p: p.stat().st_mtime_ns for p in data.glob("raw/*/files/*/summary.json")} == parsed  # not parsed again


def _days(request) -> list[str]:
    if request.partition_key:
        return [request.partition_key]
    return days_between(
        request.tags["dagster/asset_partition_range_start"], request.tags["dagster/asset_partition_range_end"]
    )


def _sha12(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _result_lines(out: str) -> list[str]:
    return out[out.index("\nResult") :].splitlines()


def test_the_sensor_requests_the_good_files_days_beside_poison_files(tmp_path):
    file_drop = FileDrop(data_dir=str(tmp_path / "data"), settle_seconds=30)
    write_corpus(file_drop.inbox("x").parent)
    shutil.copytree(DEMO / "notes", file_drop.inbox("notes"), dirs_exist_ok=True)
    for path in file_drop.inbox("x").parent.rglob("*"):
        if path.is_file():
            settle(path)
    logged: list[str] = []
    plan = plan_drops(FILE_SOURCES, file_drop, {}, time.time(), logged.append)
    requested = {day for r in run_requests(plan, lambda source: []) for day in _days(r)}
    assert {"2025-03-09", "2025-03-10", "2025-03-11", "2025-03-12"} <= requested
    assert set(plan.days) == {"screenconnect", "sillytavern", "notes"}
    assert plan.days["notes"] >= {"2025-03-09", "2025-03-10", "2025-03-11"}  # the demo's days and the poison file's
    assert "2025-03-12" in plan.days["screenconnect"]
    assert "2025-03-10" in plan.days["sillytavern"]
    binary = "screenconnect/binary.csv"
    assert plan.cursor[binary]["days"] == []  # read once, quarantined, not read again until it changes
    again = plan_drops(FILE_SOURCES, file_drop, plan.cursor, time.time(), logged.append)
    assert not again.days
