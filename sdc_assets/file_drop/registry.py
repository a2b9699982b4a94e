"""The inbox registry: which dropped files the raw records hold (``raw/<source>/inbox.json``).

A run of ``<source>_raw`` records every file whose days it materialized (size, mtime, content hash, days)
and forgets every removed file whose days it materialized. ``sdc ingest`` skips a source whose inbox equals
its registry; the drop-folder sensor starts from the registries, so files ``sdc ingest`` read are not read
again, and its cursor holds only the changes it requested that no run has recorded yet.
"""

from __future__ import annotations

import json
from pathlib import Path

from sdc_assets.file_drop.ingest import ParsedFile
from sdc_assets.file_drop.records import ParseOptions
from sdc_assets.file_drop.sources import FileSource
from sdc_assets.partitions import contiguous_ranges, days_between
from sdc_resources.atomic import write_atomic
from sdc_resources.file_drop import FileDrop


def registry_path(source: FileSource, file_drop: FileDrop) -> Path:
    return file_drop.raw_dir / source.name / "inbox.json"


def ranges(days) -> list[list[str]]:
    return [list(r) for r in contiguous_ranges(days)]


def range_days(spans: list[list[str]]) -> set[str]:
    return {day for first, last in spans for day in days_between(first, last)}


def read_registry(source: FileSource, file_drop: FileDrop) -> dict[str, dict]:
    """relpath → ``{size, mtime_ns, sha256, days}`` (days as ranges); empty when the parse settings changed."""
    path = registry_path(source, file_drop)
    if not path.exists():
        return {}
    registry = json.loads(path.read_text())
    return registry["files"] if registry.get("options") == ParseOptions.of(file_drop).fingerprint() else {}


def inbox_listing(source: FileSource, file_drop: FileDrop) -> dict[str, tuple[int, int]]:
    """The inbox's files: relpath → (size, mtime_ns)."""
    return {f.relpath: (f.size, f.mtime_ns) for f in file_drop.list_files(source.name, source.patterns)}


def update_registry(
    source: FileSource, file_drop: FileDrop, listed: dict[str, tuple[int, int]], files: list[ParsedFile], days
) -> None:
    """After a run over ``days``: files listed before it whose days it covered are recorded, removed files
    whose days it covered are forgotten."""
    days, parsed = set(days), {f.relpath: f for f in files}
    entries = dict(read_registry(source, file_drop))
    for relpath in [r for r, e in entries.items() if r not in parsed and range_days(e["days"]) <= days]:
        del entries[relpath]
    for relpath, (size, mtime) in listed.items():
        if relpath in parsed and set(parsed[relpath].days) <= days:
            item = parsed[relpath]
            entries[relpath] = {"size": size, "mtime_ns": mtime, "sha256": item.sha256, "days": ranges(item.days)}
    content = {"options": ParseOptions.of(file_drop).fingerprint(), "files": entries}
    path = registry_path(source, file_drop)
    if not path.exists() or json.loads(path.read_text()) != content:
        write_atomic(path, json.dumps(content, indent=1, sort_keys=True).encode())


def inbox_unchanged(source: FileSource, file_drop: FileDrop) -> bool:
    """Whether the inbox holds exactly the files, with their sizes and mtimes, that the registry records."""
    known = {relpath: (e["size"], e["mtime_ns"]) for relpath, e in read_registry(source, file_drop).items()}
    return bool(known) and known == inbox_listing(source, file_drop)
