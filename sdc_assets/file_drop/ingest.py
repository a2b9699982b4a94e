"""Parsing dropped files once, and gathering the records of given days.

Each file is parsed once per content (and parse settings) into Parquet parts
under ``raw/<source>/files/``; its rejects go to ``quarantine/<source>/``.
A day's records are then those of every session whose first record falls on
that local day, across all current files of the source.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from sdc_assets.file_drop.records import ParseOptions, Record, Rejected, SourceParseError, preview
from sdc_assets.file_drop.sources import FileSource
from sdc_resources.atomic import write_atomic, write_atomic_with
from sdc_resources.file_drop import DroppedFile, FileDrop
from sdc_resources.jsonl import write_jsonl
from sdc_resources.run_health import process_alive

BATCH_ROWS = 20_000
WORK_MARK = ".tmp-"  # <cache folder>.tmp-<pid>-<thread>: a parse in progress
RECORD_SCHEMA = {
    "source_file": pl.String,
    "file_sha256": pl.String,
    "ordinal": pl.Int64,
    "location": pl.String,
    "session_key": pl.String,
    "time": pl.Datetime("us", "UTC"),
    "kind": pl.String,
    "payload": pl.String,
}


@dataclass
class ParsedFile:
    """The outcome of parsing one dropped file."""

    relpath: str
    sha256: str
    parts: list[str] = field(default_factory=list)
    records: int = 0
    rejected: int = 0
    error: str | None = None
    days: list[str] = field(default_factory=list)
    quarantine: str | None = None


def parse_file(
    source: FileSource,
    dropped: DroppedFile,
    sha256: str,
    file_drop: FileDrop,
    log: Callable[[str], object] = lambda _: None,
) -> ParsedFile:
    """Parse ``dropped`` into the record cache, or return the cached result for the same bytes.

    Whatever a file holds, this returns: a record that cannot be read or stored is quarantined with its
    line and reason, and a file whose rest cannot be read keeps the records before that point and is
    copied to the quarantine whole. The result is cached by content, so the same bytes are never parsed
    again. ``log`` hears about progress every ``BATCH_ROWS`` records of a large file.
    """
    options = ParseOptions.of(file_drop)
    name_hash = hashlib.sha256(dropped.relpath.encode()).hexdigest()[:8]
    cache = file_drop.raw_dir / source.name / "files" / f"{sha256[:32]}-{name_hash}-{options.fingerprint()}"
    summary_path = cache / "summary.json"
    if summary_path.exists():
        return ParsedFile(**json.loads(summary_path.read_text()))
    # Parse into a private folder and rename it into place: a sensor tick and a run may parse the same file at once.
    work = cache.with_name(f"{cache.name}{WORK_MARK}{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        parsed = _parse_into(work, cache, source, dropped, sha256, file_drop, log)
        write_atomic(work / "summary.json", json.dumps(asdict(parsed), indent=2).encode())
        try:
            os.rename(work, cache)
        except OSError:
            if summary_path.exists():  # another process finished the same file first; its result is the same
                return ParsedFile(**json.loads(summary_path.read_text()))
            shutil.rmtree(cache)  # the leftover of a parse that crashed
            os.rename(work, cache)
        return parsed
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _parse_into(
    work: Path,
    cache: Path,
    source: FileSource,
    dropped: DroppedFile,
    sha256: str,
    file_drop: FileDrop,
    log: Callable[[str], object],
) -> ParsedFile:
    """Parse the file into Parquet parts in ``work`` (named as they will be under ``cache``)."""
    options = ParseOptions.of(file_drop)
    parsed = ParsedFile(dropped.relpath, sha256)
    rejects: list[Rejected] = []
    batch: list[dict] = []
    last = "the start of the file"

    def flush() -> None:
        name = f"part-{len(parsed.parts):05d}.parquet"
        pl.DataFrame(batch, schema=RECORD_SCHEMA).write_parquet(work / name)
        parsed.parts.append(str(cache / name))
        batch.clear()

    with open(dropped.path, "rb") as stream:
        try:
            for item in source.parse(stream, dropped.relpath, options):
                if isinstance(item, Rejected):
                    rejects.append(item)
                    continue
                last = item.location
                try:
                    batch.append(_row(item, dropped.relpath, sha256, parsed.records))
                except Exception as exc:  # a record the record table cannot hold stays that record's problem
                    rejects.append(Rejected(item.location, f"cannot be stored: {exc}", preview(item.payload)))
                    continue
                parsed.records += 1
                if len(batch) >= BATCH_ROWS:
                    flush()
                    log(f"{source.name}: {dropped.relpath}: {parsed.records} records read")
        except SourceParseError as exc:
            parsed.error = exc.reason
            rejects.append(Rejected(exc.location, exc.reason))
        except Exception as exc:  # a parser bug or a file no parser foresaw: keep what was read before it
            parsed.error = f"unreadable after {last}: {type(exc).__name__}: {exc}"
            rejects.append(Rejected(f"after {last}", parsed.error))
    if batch:
        flush()
    parsed.rejected = len(rejects)
    parsed.days = sorted(session_days([str(work / Path(p).name) for p in parsed.parts], options))
    if rejects:
        parsed.quarantine = str(_quarantine(source, dropped, sha256, rejects, parsed.error, file_drop))
    return parsed


def remove_stale_work(source: FileSource, file_drop: FileDrop) -> list[Path]:
    """Remove the private parse folders that processes which no longer run left behind; the ones removed."""
    removed = []
    for folder in (file_drop.raw_dir / source.name / "files").glob(f"*{WORK_MARK}*"):
        pid = folder.name.rsplit(WORK_MARK, 1)[1].split("-", 1)[0]
        try:
            if pid.isdigit() and not process_alive(int(pid), folder.stat().st_mtime):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        except FileNotFoundError:
            continue
    return removed


def _row(record: Record, relpath: str, sha256: str, ordinal: int) -> dict:
    payload = json.dumps(record.payload, ensure_ascii=False, default=str)
    payload.encode("utf-8")  # text that is not Unicode fails here, for this record, not in the Parquet writer
    return {
        "source_file": relpath,
        "file_sha256": sha256,
        "ordinal": ordinal,
        "location": record.location,
        "session_key": record.session_key,
        "time": record.time,
        "kind": record.kind,
        "payload": payload,
    }


def _quarantine(
    source: FileSource,
    dropped: DroppedFile,
    sha256: str,
    rejects: list[Rejected],
    error: str | None,
    file_drop: FileDrop,
) -> Path:
    """Write the rejects (and, if the file could not be read to its end, a copy of it, streamed)."""
    folder = file_drop.quarantine_dir / source.name
    stem = f"{dropped.relpath.replace('/', '__')}.{sha256[:12]}"
    target = folder / f"{stem}.rejects.jsonl"
    write_jsonl(target, [{"file": dropped.relpath, "sha256": sha256, **asdict(r)} for r in rejects])
    if error is not None:
        copy = folder / stem
        if not copy.exists():
            write_atomic_with(copy, lambda temp: shutil.copyfile(dropped.path, temp))
    return target


def _with_day(frame: pl.LazyFrame, timezone: str) -> pl.LazyFrame:
    starts = frame.group_by("session_key").agg(pl.col("time").min().alias("session_start"))
    return starts.with_columns(
        pl.col("session_start").dt.convert_time_zone(timezone).dt.date().cast(pl.String).alias("day")
    )


def session_days(parts: list[str], options: ParseOptions) -> set[str]:
    """The local days on which the sessions in ``parts`` start."""
    if not parts:
        return set()
    days = _with_day(pl.scan_parquet(parts, schema=RECORD_SCHEMA), options.timezone).select("day").unique()
    return set(days.collect()["day"].to_list())


def records_of_days(files: Iterable[ParsedFile], days: Iterable[str], options: ParseOptions) -> pl.DataFrame:
    """Every record of the sessions that start on ``days``, with ``session_start`` and ``day``."""
    parts = [p for f in files for p in f.parts]
    if not parts:
        return pl.DataFrame(schema={**RECORD_SCHEMA, "session_start": pl.Datetime("us", "UTC"), "day": pl.String})
    frame = pl.scan_parquet(parts, schema=RECORD_SCHEMA)
    starts = _with_day(frame, options.timezone).filter(pl.col("day").is_in(list(days)))
    joined = frame.join(starts, on="session_key", how="inner")
    return joined.sort(["day", "session_key", "source_file", "ordinal"]).collect()


def row_record(row: dict) -> Record:
    """A row of the record table back as a Record."""
    return Record(row["session_key"], row["time"], row["kind"], row["location"], json.loads(row["payload"]))
