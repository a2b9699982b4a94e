"""The drop-folder sensor: new, changed or removed files → runs of exactly the days they touch.

A file is read once its mtime is at least ``settle_seconds`` old (writers,
``cp -p`` and rsync all set the final mtime when they finish). Its content
hash decides what is new: the same bytes under another name trigger nothing,
a changed file triggers again (for the days of its old and new version), and
a removed file re-runs the days it had touched so its sessions go away.
"""

import functools
import hashlib
import json
import operator
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from sdc_assets.file_drop.ingest import parse_file, remove_stale_work
from sdc_assets.file_drop.sources import FILE_SOURCES, FileSource
from sdc_assets.lineage import downstream_of, keys_of
from sdc_assets.partitions import contiguous_ranges, daily_partitions, days_between, partition_range_tags
from sdc_resources.file_drop import DroppedFile, FileDrop


@dataclass
class DropPlan:
    """What one tick decided: days to run per source, why, and the next cursor."""

    days: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    triggers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    settling: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    cursor: dict[str, dict] = field(default_factory=dict)


def _ranges(days: set[str] | list[str]) -> list[list[str]]:
    return [list(r) for r in contiguous_ranges(days)]


def _days(ranges: list[list[str]]) -> set[str]:
    return {day for first, last in ranges for day in days_between(first, last)}


def plan_drops(
    sources: tuple[FileSource, ...],
    file_drop: FileDrop,
    cursor: dict[str, dict],
    now: float,
    log: Callable[[str], object] = lambda _: None,
) -> DropPlan:
    """Compare the drop folders with ``cursor`` (``{source/relpath: {size, mtime_ns, sha256, days}}``)."""
    plan = DropPlan(cursor=dict(cursor))
    for source in sources:
        for folder in remove_stale_work(source, file_drop):
            log(f"removed {folder.name}, left behind by a parse that did not finish")
        current = {f"{source.name}/{f.relpath}": f for f in file_drop.list_files(source.name, source.patterns)}
        for key, dropped in current.items():
            seen = cursor.get(key)
            if seen and (seen["size"], seen["mtime_ns"]) == (dropped.size, dropped.mtime_ns):
                continue
            if now - dropped.mtime_ns / 1e9 < file_drop.settle_seconds:
                plan.settling.append(key)
                continue
            try:
                _observe(source, key, dropped, seen, current, plan, file_drop, log)
            except FileNotFoundError:  # moved away between listing and reading; the next tick sees it gone
                continue
            except Exception as exc:  # one file's failure never holds back the others; it waits for new bytes
                log(f"{key}: could not be read ({type(exc).__name__}: {exc}); skipped until it changes")
                plan.cursor[key] = {"size": dropped.size, "mtime_ns": dropped.mtime_ns, "sha256": "", "days": []}
        for key in [k for k in cursor if k.startswith(f"{source.name}/") and k not in current]:
            plan.days[source.name] |= _days(cursor[key]["days"])
            plan.triggers[source.name].append(f"{key}@removed-{cursor[key]['sha256'][:12]}")
            del plan.cursor[key]
    return plan


def _observe(
    source: FileSource,
    key: str,
    dropped: DroppedFile,
    seen: dict | None,
    current: dict,
    plan: DropPlan,
    file_drop: FileDrop,
    log: Callable[[str], object],
) -> None:
    """Record a settled new or changed file in ``plan``: its days, or why it triggers nothing."""
    sha = dropped.sha256()
    entry = {"size": dropped.size, "mtime_ns": dropped.mtime_ns, "sha256": sha, "days": []}
    if seen and seen["sha256"] == sha:
        plan.cursor[key] = {**entry, "days": seen["days"]}
        return
    same_source = (k for k, v in plan.cursor.items() if k.startswith(f"{source.name}/") and v["sha256"] == sha)
    if twin := next((k for k in same_source if k != key and k in current), None):
        plan.duplicates.append(f"{key} (same bytes as {twin})")
        plan.cursor[key] = entry
        return
    parsed = parse_file(source, dropped, sha, file_drop, log)
    plan.cursor[key] = {**entry, "days": _ranges(parsed.days)}
    plan.days[source.name] |= set(parsed.days) | _days(seen["days"] if seen else [])
    plan.triggers[source.name].append(f"{key}@{sha[:12]}")


def source_selection(source: str) -> dg.AssetSelection:
    """What a dropped file of ``source`` re-runs: its days, from the raw files through the graph."""
    return downstream_of(f"{source}_raw")


def run_requests(
    plan: DropPlan, keys: Callable[[str], list[dg.AssetKey]], log: dg.DagsterLogManager | None = None
) -> list[dg.RunRequest]:
    """One run per source (of ``keys(source)``) and contiguous range of days, keyed by the files that caused it."""
    valid = set(daily_partitions.get_partition_keys())
    requests = []
    for source, days in sorted(plan.days.items()):
        outside = sorted(days - valid)
        if outside and log:
            log.warning(f"{source}: {len(outside)} day(s) outside the partitions ({outside[0]}..{outside[-1]}) skipped")
        digest = hashlib.sha256("|".join(sorted(plan.triggers[source])).encode()).hexdigest()[:16]
        selection = keys(source)
        for first, last in contiguous_ranges(days & valid):
            run_key = f"{source}:{digest}:{first}..{last}"
            tags = {"sdc/trigger": ", ".join(plan.triggers[source])[:1000]}
            if first == last:
                requests.append(
                    dg.RunRequest(run_key=run_key, asset_selection=selection, partition_key=first, tags=tags)
                )
            else:
                requests.append(
                    dg.RunRequest(
                        run_key=run_key, asset_selection=selection, tags={**tags, **partition_range_tags(first, last)}
                    )
                )
    return requests


@dg.sensor(
    name="drop_folder_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    target=functools.reduce(operator.or_, (source_selection(s.name) for s in FILE_SOURCES)),
    description="Watches the inbox folders of the file sources and runs exactly the days a new, changed or "
    "removed file touches, through the sessions to the index and the graph.",
)
def drop_folder_sensor(context: dg.SensorEvaluationContext, file_drop: FileDrop) -> dg.SensorResult:
    cursor = json.loads(context.cursor) if context.cursor else {}
    plan = plan_drops(FILE_SOURCES, file_drop, cursor, time.time(), context.log.info)
    requests = run_requests(plan, lambda source: keys_of(context, source_selection(source)), context.log)
    for duplicate in plan.duplicates:
        context.log.info(f"duplicate drop ignored: {duplicate}")
    skip = None
    if not requests:
        skip = f"no new files ({len(plan.settling)} still settling)" if plan.settling else "no new files"
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(plan.cursor, sort_keys=True), skip_reason=skip)
