"""The drop-folder sensor: new, changed or removed files → a run over the days they touch.

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
from sdc_assets.file_drop.registry import range_days, ranges, read_registry
from sdc_assets.file_drop.sources import FILE_SOURCES, FileSource
from sdc_assets.lineage import keys_of, source_run
from sdc_assets.partitions import daily_partitions, partition_range_tags, span
from sdc_resources.file_drop import DroppedFile, FileDrop
from sdc_resources.settings import env_int


@dataclass
class DropPlan:
    """What one tick decided: days to run per source, why, and the next cursor."""

    days: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    triggers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    settling: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    cursor: dict[str, dict] = field(default_factory=dict)


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
            plan.days[source.name] |= range_days(cursor[key]["days"])
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
    plan.cursor[key] = {**entry, "days": ranges(parsed.days)}
    plan.days[source.name] |= set(parsed.days) | range_days(seen["days"] if seen else [])
    plan.triggers[source.name].append(f"{key}@{sha[:12]}")


def source_selection(source: str) -> dg.AssetSelection:
    """What a dropped file of ``source`` re-runs: its days, from the raw files through the graph."""
    return source_run(f"{source}_raw")


def run_requests(
    plan: DropPlan, keys: Callable[[str], list[dg.AssetKey]], log: dg.DagsterLogManager | None = None
) -> list[dg.RunRequest]:
    """One run per source (of ``keys(source)``) over the span of the days it touches, keyed by the files that
    caused it."""
    valid = set(daily_partitions.get_partition_keys())
    requests = []
    for source, days in sorted(plan.days.items()):
        outside = sorted(days - valid)
        if outside and log:
            log.warning(f"{source}: {len(outside)} day(s) outside the partitions ({outside[0]}..{outside[-1]}) skipped")
        if not days & valid:
            continue
        digest = hashlib.sha256("|".join(sorted(plan.triggers[source])).encode()).hexdigest()[:16]
        first, last = span(days & valid)
        tags = {"sdc/trigger": ", ".join(plan.triggers[source])[:1000]}
        if first == last:
            target = {"partition_key": first, "tags": tags}
        else:
            target = {"tags": {**tags, **partition_range_tags(first, last)}}
        requests.append(
            dg.RunRequest(run_key=f"{source}:{digest}:{first}..{last}", asset_selection=keys(source), **target)
        )
    return requests


INBOX_JOB = dg.define_asset_job(
    "inbox_to_graph",
    functools.reduce(operator.or_, (source_selection(s.name) for s in FILE_SOURCES)),
    description="Dropped files of a source: its days, through the sessions to the index and the graph.",
)


@dg.sensor(
    name="drop_folder_sensor",
    minimum_interval_seconds=env_int("SDC_DROP_POLL_SECONDS", 10),
    default_status=dg.DefaultSensorStatus.RUNNING,
    target=INBOX_JOB,
    description="Watches the inbox folders of the file sources and runs exactly the days a new, changed or "
    "removed file touches, through the sessions to the index and the graph.",
)
def drop_folder_sensor(context: dg.SensorEvaluationContext, file_drop: FileDrop) -> dg.SensorResult:
    known = {f"{s.name}/{relpath}": e for s in FILE_SOURCES for relpath, e in read_registry(s, file_drop).items()}
    pending = json.loads(context.cursor) if context.cursor else {}
    plan = plan_drops(FILE_SOURCES, file_drop, seen_files(known, pending), time.time(), context.log.info)
    requests = run_requests(plan, lambda source: keys_of(context, source_selection(source)), context.log)
    for duplicate in plan.duplicates:
        context.log.info(f"duplicate drop ignored: {duplicate}")
    skip = None
    if not requests:
        skip = f"no new files ({len(plan.settling)} still settling)" if plan.settling else "no new files"
    cursor = json.dumps(still_pending(known, plan.cursor), sort_keys=True)
    return dg.SensorResult(run_requests=requests, cursor=cursor, skip_reason=skip)


def seen_files(known: dict[str, dict], pending: dict[str, dict]) -> dict[str, dict]:
    """The files as the sensor last saw them: what the runs recorded (the registries), then what it requested
    since that no run recorded yet (a removal requested: ``{"removed": sha256}``)."""
    return {key: entry for key, entry in {**known, **pending}.items() if "removed" not in entry}


def still_pending(known: dict[str, dict], seen: dict[str, dict]) -> dict[str, dict]:
    """The cursor: only what the sensor saw that the registries do not record yet, so it stays small."""
    pending = {key: entry for key, entry in seen.items() if known.get(key) != entry}
    return pending | {key: {"removed": entry["sha256"]} for key, entry in known.items() if key not in seen}
