"""The parse cache: one parse per content, recovery from crashes and vanished files."""

import dataclasses
import json
import os
import subprocess
import tracemalloc
from pathlib import Path

from sdc_assets.file_drop.assets import parse_inbox
from sdc_assets.file_drop.ingest import WORK_MARK, parse_file
from sdc_assets.file_drop.sources import SOURCES_BY_NAME

from ..conftest import drop

NOTES = SOURCES_BY_NAME["notes"]
DOC = json.dumps([{"id": "1", "created_at": "2025-03-10T10:00:00+01:00"}])


def _dropped(file_drop):
    (dropped,) = file_drop.list_files("notes", NOTES.patterns)
    return dropped


def test_same_content_is_parsed_once(file_drop):
    drop(file_drop, "notes", "a.json", DOC)
    dropped = _dropped(file_drop)
    first = parse_file(NOTES, dropped, dropped.sha256(), file_drop)
    unparseable = dataclasses.replace(NOTES, parse=None)  # a second parse would fail
    assert parse_file(unparseable, dropped, dropped.sha256(), file_drop) == first
    assert first.days == ["2025-03-10"]
    assert first.records == 1


def test_the_leftover_of_a_crashed_parse_is_replaced(file_drop):
    drop(file_drop, "notes", "a.json", DOC)
    dropped = _dropped(file_drop)
    parsed = parse_file(NOTES, dropped, dropped.sha256(), file_drop)
    cache = Path(parsed.parts[0]).parent
    (cache / "summary.json").unlink()
    (cache / "part-00000.parquet").write_bytes(b"half a file")
    again = parse_file(NOTES, dropped, dropped.sha256(), file_drop)
    assert again.records == 1
    assert (cache / "summary.json").exists()
    assert not [p for p in cache.parent.iterdir() if ".tmp-" in p.name]


def test_a_file_that_vanishes_before_it_is_read_is_skipped(file_drop, monkeypatch):
    path = drop(file_drop, "notes", "a.json", DOC)
    listed = file_drop.list_files("notes", NOTES.patterns)
    path.unlink()
    monkeypatch.setattr(type(file_drop), "list_files", lambda self, source, patterns: listed)
    messages = []
    assert parse_inbox(NOTES, file_drop, messages.append) == []
    assert messages == ["notes: a.json disappeared before it could be read; skipped"]


def test_work_folders_of_dead_parses_are_removed_and_live_ones_kept(file_drop):
    files = file_drop.raw_dir / "notes" / "files"
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = files / f"abc-1234-fp{WORK_MARK}{gone.pid}-1"
    live = files / f"abc-1234-fp{WORK_MARK}{os.getpid()}-1"
    for folder in (dead, live):
        folder.mkdir(parents=True)
        (folder / "part-00000.parquet").write_bytes(b"half")
    logged: list[str] = []
    parse_inbox(NOTES, file_drop, logged.append)
    assert not dead.exists()
    assert live.exists()
    assert any(dead.name in line for line in logged)


def test_a_broken_file_is_copied_to_the_quarantine_without_reading_it_whole(file_drop):
    broken = DOC[:-1] + ', {"id": "2", "content": "' + "x" * 20_000_000  # 20 MB: a string never closed
    drop(file_drop, "notes", "big.json", broken)
    dropped = _dropped(file_drop)
    tracemalloc.start()
    try:
        parsed = parse_file(NOTES, dropped, dropped.sha256(), file_drop)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert parsed.error
    assert parsed.records == 1
    (copy,) = [p for p in (file_drop.quarantine_dir / "notes").iterdir() if not p.name.endswith(".jsonl")]
    assert copy.read_bytes() == broken.encode()
    assert peak < len(broken) / 2  # streamed: the file is never in memory at once
