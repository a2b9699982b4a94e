"""``<source>_raw`` and ``<source>_sessions``: the daily assets of each file-drop source."""

import json
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import polars as pl

from sdc_assets.file_drop.ingest import ParsedFile, parse_file, records_of_days, row_record
from sdc_assets.file_drop.records import Record
from sdc_assets.file_drop.sources import FILE_SOURCES, FileSource
from sdc_assets.metadata import markdown_table
from sdc_assets.partitions import DAILY
from sdc_assets.sessions.model import Session
from sdc_resources.atomic import write_atomic, write_atomic_with
from sdc_resources.file_drop import FileDrop
from sdc_resources.session_store import SessionStore

PREVIEW_ROWS = 10


def parse_inbox(source: FileSource, file_drop: FileDrop, log: Callable[[str], object]) -> list[ParsedFile]:
    """Parse (or take from cache) every current file of ``source``; identical copies count once."""
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
        except (ValueError, KeyError, TypeError) as exc:
            failures.append({"session_key": key, "files": sorted(files), "reason": f"{type(exc).__name__}: {exc}"})
    return sessions, failures


def _write_parquet_if_changed(path: Path, frame: pl.DataFrame) -> bool:
    if frame.is_empty():
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed
    if path.exists() and pl.read_parquet(path).equals(frame):
        return False
    write_atomic_with(path, frame.write_parquet)
    return True


def build_file_drop_assets(source: FileSource) -> list[dg.AssetsDefinition]:
    raw_name, sessions_name = f"{source.name}_raw", f"{source.name}_sessions"

    @dg.asset(
        name=raw_name,
        group_name="sources",
        **DAILY,
        kinds={"polars", "parquet"},
        check_specs=[
            dg.AssetCheckSpec(
                "no_quarantined_records",
                asset=raw_name,
                description="Every record of the source's files could be read.",
            )
        ],
        description=f"The parsed records of {source.label} per day, as Parquet under data/raw/{source.name}/. "
        f"Reads every file in the {source.name} inbox; bad records go to data/quarantine/{source.name}/.",
    )
    def raw_asset(context: dg.AssetExecutionContext, file_drop: FileDrop) -> dg.MaterializeResult:
        started = time.perf_counter()
        files = parse_inbox(source, file_drop, context.log.info)
        frame = records_of_days(files, context.partition_keys, file_drop.parse_options())
        for day in context.partition_keys:
            records = frame.filter(pl.col("day") == day)
            changed = _write_parquet_if_changed(file_drop.raw_dir / source.name / f"{day}.parquet", records)
            preview = records.head(PREVIEW_ROWS).select("session_key", "time", "kind", "location", "source_file")
            context.add_asset_metadata(
                {
                    "dagster/row_count": records.height,
                    "sessions": records["session_key"].n_unique(),
                    "changed": changed,
                    "preview": dg.MetadataValue.md(markdown_table(preview.to_dicts())),
                },
                partition_key=day,
            )
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
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="no_quarantined_records",
                    passed=rejected == 0,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={
                        "quarantined_records": rejected,
                        "quarantine": dg.MetadataValue.path(str(file_drop.quarantine_dir / source.name)),
                    },
                )
            ],
        )

    @dg.asset(
        name=sessions_name,
        group_name="sessions",
        **DAILY,
        deps=[raw_asset],
        kinds={"pydantic", "json"},
        check_specs=[
            dg.AssetCheckSpec(
                "sessions_valid",
                asset=sessions_name,
                description="Every stored session file reads back as a valid Session.",
            )
        ],
        description=f"{source.label} as Sessions: one JSON file per session under "
        f"data/sessions/{source.name}/<day>/, status needs_linking. Unchanged sessions are not rewritten; "
        "sessions the source no longer yields for the day are removed.",
    )
    def sessions_asset(
        context: dg.AssetExecutionContext, file_drop: FileDrop, session_store: SessionStore
    ) -> dg.MaterializeResult:
        started = time.perf_counter()
        invalid: list[str] = []
        for day in context.partition_keys:
            path = file_drop.raw_dir / source.name / f"{day}.parquet"
            frame = pl.read_parquet(path) if path.exists() else pl.DataFrame()
            sessions, failures = build_sessions(source, frame) if frame.height else ([], [])
            result = session_store.write_partition(source.name, day, sessions)
            _quarantine_failures(file_drop.quarantine_dir / source.name / f"sessions-{day}.jsonl", failures)
            for failure in failures:
                context.log.warning(
                    f"{source.name} {day}: session {failure['session_key']} quarantined: {failure['reason']}"
                )
            invalid += _invalid_files(session_store, source.name, day)
            context.add_asset_metadata(
                {
                    "dagster/row_count": len(sessions),
                    "written": len(result.written),
                    "unchanged": len(result.unchanged),
                    "removed": len(result.removed),
                    "quarantined": len(failures),
                    "path": dg.MetadataValue.path(str(session_store.partition_dir(source.name, day))),
                    "preview": dg.MetadataValue.md(markdown_table([_preview_row(s) for s in sessions[:PREVIEW_ROWS]])),
                },
                partition_key=day,
            )
            if sessions or result.removed:
                context.log.info(
                    f"{source.name} {day}: {len(sessions)} sessions ({len(result.written)} written, "
                    f"{len(result.removed)} removed)"
                )
        return dg.MaterializeResult(
            metadata={
                "days_in_run": len(context.partition_keys),
                "seconds": round(time.perf_counter() - started, 3),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="sessions_valid",
                    passed=not invalid,
                    metadata={"invalid_files": dg.MetadataValue.json(invalid[:50])},
                )
            ],
        )

    return [raw_asset, sessions_asset]


def _quarantine_failures(path: Path, failures: list[dict]) -> None:
    if failures:
        write_atomic(path, "".join(json.dumps(f, ensure_ascii=False) + "\n" for f in failures).encode())
    else:
        path.unlink(missing_ok=True)


def _invalid_files(store: SessionStore, source: str, day: str) -> list[str]:
    invalid = []
    for path in sorted(store.partition_dir(source, day).glob("*.json")):
        try:
            if Session.model_validate_json(path.read_bytes()).meta.session_id != path.stem:
                invalid.append(f"{path}: session_id does not match the file name")
        except ValueError as exc:
            invalid.append(f"{path}: {exc}")
    return invalid


def _preview_row(session: Session) -> dict:
    return {
        "session_id": session.meta.session_id[:8],
        "started_at": session.insights.started_at.isoformat() if session.insights.started_at else "",
        "customer": session.context.customer_name or "",
        "title": session.insights.title or "",
        "segments": len(session.segments),
    }


file_drop_assets = [asset for source in FILE_SOURCES for asset in build_file_drop_assets(source)]
