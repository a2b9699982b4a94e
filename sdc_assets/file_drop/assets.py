"""``<source>_raw`` and ``<source>_sessions``: the daily assets of each file-drop source."""

import functools
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import polars as pl

from sdc_assets.file_drop.ingest import (
    ParsedFile,
    parse_file,
    records_of_days,
    remove_stale_work,
    row_record,
)
from sdc_assets.file_drop.records import ParseOptions, Record
from sdc_assets.file_drop.registry import inbox_listing, update_registry
from sdc_assets.file_drop.sources import FILE_SOURCES, FileSource
from sdc_assets.metadata import preview_table
from sdc_assets.partitions import DAILY
from sdc_assets.sessions.asset import DaySessions, sessions_assets
from sdc_assets.sessions.model import Session
from sdc_assets.sessions.quarantine import build_quarantine_check
from sdc_assets.sessions.writing import PREVIEW_ROWS
from sdc_resources.file_drop import FileDrop
from sdc_resources.parquet_files import write_parquet_if_changed


def parse_inbox(source: FileSource, file_drop: FileDrop, log: Callable[[str], object]) -> list[ParsedFile]:
    """Parse (or take from cache) every current file of ``source``; identical copies count once."""
    for folder in remove_stale_work(source, file_drop):
        log(f"{source.name}: removed {folder.name}, left behind by a parse that did not finish")
    dropped = file_drop.list_files(source.name, source.patterns)
    parsed: list[ParsedFile] = []
    seen: set[str] = set()
    for number, item in enumerate(dropped, start=1):
        try:
            sha = item.sha256()
            if sha in seen:
                log(f"{source.name}: {item.relpath} has the same bytes as a file already read; skipped")
                continue
            result = parse_file(source, item, sha, file_drop, log)
        except FileNotFoundError:
            log(f"{source.name}: {item.relpath} disappeared before it could be read; skipped")
            continue
        seen.add(sha)
        log(
            f"{source.name}: file {number}/{len(dropped)} {item.relpath}: {result.records} records, "
            f"{result.rejected} quarantined{' (unreadable: ' + result.error + ')' if result.error else ''}"
        )
        parsed.append(result)
    return parsed


def build_sessions(source: FileSource, frame: pl.DataFrame) -> tuple[list[Session], list[dict]]:
    """Sessions from a day's record table, and the sessions that could not be built, with reasons."""
    groups: dict[str, tuple[str, list[Record], set[str]]] = {}
    for row in frame.iter_rows(named=True):
        day, records, files = groups.setdefault(row["session_key"], (row["day"], [], set()))
        records.append(row_record(row))
        files.add(row["source_file"])
    sessions, failures = [], []
    for key, (day, records, files) in groups.items():
        try:
            sessions.append(source.build_session(key, records, sorted(files), day))
        except Exception as exc:  # one session that cannot be built never fails its day
            failures.append({"session_key": key, "files": sorted(files), "reason": f"{type(exc).__name__}: {exc}"})
    return sessions, failures


def _raw_day_path(source: FileSource, file_drop: FileDrop, day: str) -> Path:
    return file_drop.raw_dir / source.name / f"{day}.parquet"


def _day_sessions(source: FileSource, file_drop: FileDrop, day: str) -> DaySessions:
    path = _raw_day_path(source, file_drop, day)
    frame = pl.read_parquet(path) if path.exists() else pl.DataFrame()
    sessions, failures = build_sessions(source, frame) if frame.height else ([], [])
    return DaySessions(sessions, failures, file_drop.quarantine_dir / source.name / f"sessions-{day}.jsonl")


def build_file_drop_assets(source: FileSource) -> list[dg.AssetsDefinition | dg.AssetChecksDefinition]:
    raw_name = f"{source.name}_raw"

    @dg.asset(
        name=raw_name,
        group_name="sources",
        **DAILY,
        kinds={"polars", "parquet"},
        description=f"The parsed records of {source.label} per day, as Parquet under data/raw/{source.name}/. "
        f"Reads every file in the {source.name} inbox; bad records go to data/quarantine/{source.name}/.",
    )
    def raw_asset(context: dg.AssetExecutionContext, file_drop: FileDrop) -> dg.MaterializeResult:
        started = time.perf_counter()
        listed = inbox_listing(source, file_drop)
        files = parse_inbox(source, file_drop, context.log.info)
        frame = records_of_days(files, context.partition_keys, ParseOptions.of(file_drop))
        for day in context.partition_keys:
            records = frame.filter(pl.col("day") == day)
            changed = write_parquet_if_changed(file_drop.raw_dir / source.name / f"{day}.parquet", records)
            preview = records.head(PREVIEW_ROWS).select("session_key", "time", "kind", "location", "source_file")
            context.add_asset_metadata(
                {
                    "dagster/row_count": records.height,
                    "sessions": records["session_key"].n_unique(),
                    "changed": changed,
                    "preview": preview_table(preview.to_dicts()),
                },
                partition_key=day,
            )
        update_registry(source, file_drop, listed, files, context.partition_keys)
        rejected = sum(f.rejected for f in files)
        context.log.info(f"{source.name}: {frame.height} records on {len(context.partition_keys)} day(s)")
        return dg.MaterializeResult(
            metadata={
                "files": len(files),
                "quarantined_records": rejected,
                "unreadable_files": dg.MetadataValue.json({f.relpath: f.error for f in files if f.error}),
                "path": dg.MetadataValue.path(str(file_drop.raw_dir / source.name)),
                "days_in_run": len(context.partition_keys),
                "seconds": round(time.perf_counter() - started, 3),
            }
        )

    def quarantine_files(file_drop: FileDrop, days: list[str]) -> list[Path]:
        """The rejects of the inbox's files that hold sessions of ``days``, or none at all (unreadable)."""
        files = [f for f in parse_inbox(source, file_drop, lambda _: None) if f.quarantine]
        return [Path(f.quarantine) for f in files if not f.days or set(f.days) & set(days)]

    return [
        raw_asset,
        build_quarantine_check(raw_name, "file_drop", quarantine_files),
        *sessions_assets(
            source.name,
            raw_name,
            "file_drop",
            functools.partial(_day_sessions, source),
            functools.partial(_raw_day_path, source),
            f"{source.label} as Sessions.",
        ),
    ]


assets_by_source = {source.name: build_file_drop_assets(source) for source in FILE_SOURCES}
"""Per file-drop source: its raw asset, its sessions asset and the sessions asset's check."""
file_drop_assets = [definition for definitions in assets_by_source.values() for definition in definitions]
