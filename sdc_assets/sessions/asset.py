"""The sessions asset every source has: a day of the source's stored records in, a day of Session files out,
and its blocking check ``sessions_valid``, which can also be run alone."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from sdc_assets.partitions import DAILY, daily_partitions
from sdc_assets.sessions.model import Session
from sdc_assets.sessions.store import SessionStore
from sdc_assets.sessions.writing import invalid_files, write_session_day
from sdc_resources.day_marks import UNCHANGED, StageDays, files_state, settings_key

SESSIONS_CHECK = "sessions_valid"
SESSIONS_VERSION = 1  # raise when a source's records become other Sessions: every day is built again


@dataclass(frozen=True)
class DaySessions:
    """A source's sessions of one day, the records that could not become one (with their reasons), and the
    file those are quarantined to."""

    sessions: list[Session]
    failures: list[dict]
    quarantine: Path

    @classmethod
    def of_records(
        cls,
        records: list[dict],
        day: str,
        build: Callable[[dict, str], Session],
        key: Callable[[dict], str],
        quarantine: Path,
    ) -> "DaySessions":
        """A Session per source record; a record that cannot become one is a failure with ``key`` and the reason."""
        sessions, failures = [], []
        for record in records:
            try:
                sessions.append(build(record, day))
            except Exception as exc:  # one record that cannot become a session never fails its day
                failures.append({"session_key": key(record), "reason": f"{type(exc).__name__}: {exc}"})
        return cls(sessions, failures, quarantine)


def _write_days(context: dg.AssetExecutionContext, source: str, origin, read_day, raw_path) -> int:
    """Build and write each day of the run whose stored records changed since; the number unchanged."""
    store = context.resources.session_store
    marks = StageDays(store.marks(), f"{source}_sessions", settings_key(SESSIONS_VERSION), context.partition_keys)
    unchanged = 0
    for day in context.partition_keys:
        state = files_state([raw_path(origin, day)])
        if marks.unchanged(day, state):
            unchanged += 1
            context.add_asset_metadata({**UNCHANGED, "removed": 0}, partition_key=day)
            continue
        if raw_path(origin, day).exists() or store.partition_dir(source, day).exists():
            built = read_day(origin, day)
            write_session_day(context, store, source, day, built.sessions, built.failures, built.quarantine)
        else:  # a day the source had no data for, then and now
            context.add_asset_metadata({"dagster/row_count": 0, "written": 0, "removed": 0}, partition_key=day)
        marks.done(day, state, state)
    marks.save()
    return unchanged


def sessions_assets(
    source: str,
    upstream: str,
    resource: str,
    read_day: Callable[[Any, str], DaySessions],
    raw_path: Callable[[Any, str], Path],
    description: str,
) -> list[dg.AssetsDefinition | dg.AssetChecksDefinition]:
    """``<source>_sessions`` and its check: ``read_day(<resource>, day)`` builds a day from what ``upstream``
    stored at ``raw_path(<resource>, day)``; the asset writes it by difference (unchanged files stay, vanished
    sessions go), and a day whose stored file did not change since is not read again."""
    name = f"{source}_sessions"

    @dg.asset(
        name=name,
        group_name="sessions",
        deps=[upstream],
        kinds={"pydantic", "json"},
        required_resource_keys={resource, "session_store"},
        description=f"{description} One JSON file per session under data/sessions/{source}/<day>/, status "
        "needs_linking. Unchanged sessions are not rewritten; sessions the source no longer yields for the day "
        "are removed.",
        **DAILY,
    )
    def sessions(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        started = time.perf_counter()
        unchanged = _write_days(context, source, getattr(context.resources, resource), read_day, raw_path)
        return dg.MaterializeResult(
            metadata={
                "days_in_run": len(context.partition_keys),
                "days_unchanged": unchanged,
                "seconds": round(time.perf_counter() - started, 3),
            }
        )

    @dg.asset_check(
        asset=name,
        name=SESSIONS_CHECK,
        partitions_def=daily_partitions,
        blocking=True,
        description="Every stored session file of the days reads back as a valid Session named by its id; "
        "a failure stops the run before linking reads them.",
    )
    def valid(context: dg.AssetCheckExecutionContext, session_store: SessionStore) -> dg.AssetCheckResult:
        invalid = [problem for day in context.partition_keys for problem in invalid_files(session_store, source, day)]
        return dg.AssetCheckResult(
            passed=not invalid,
            metadata={"invalid_files": dg.MetadataValue.json(invalid[:50]), "days": len(context.partition_keys)},
        )

    return [sessions, valid]
