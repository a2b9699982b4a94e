"""The relink sensor: when the customer cache changes, or a person settles sessions in the decisions file,
the days with sessions waiting for review are linked again (and everything after linking re-runs)."""

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from sdc_assets.enrichment.decisions import DECISIONS_FILE, read_decisions
from sdc_assets.lineage import downstream_of
from sdc_assets.partitions import daily_partitions, range_run_requests
from sdc_resources.data_dir import default_data_path
from sdc_resources.settings import env_int

AFTER_LINKING = downstream_of("linked_sessions")
RELINK_JOB = dg.define_asset_job(
    "relink_to_graph", AFTER_LINKING, description="Linking again, and every stage after it."
)


@dataclass(frozen=True)
class RelinkPlan:
    days: set[str]
    why: str
    cursor: dict


def review_days(review_dir: Path, sessions: set[str] | None = None) -> set[str]:
    """The days with a review file (``<day>.csv``), or only those listing one of ``sessions``."""
    days = set()
    for path in review_dir.glob("????-??-??.csv"):
        if sessions is None:
            days.add(path.stem)
            continue
        with open(path, encoding="utf-8", newline="") as stream:
            if any(row.get("session_id") in sessions for row in csv.DictReader(stream)):
                days.add(path.stem)
    return days


def plan_relink(review_dir: Path, cache_event: tuple[int, bool] | None, cursor: dict) -> RelinkPlan:
    """What to re-run: every review day after a changed customer cache (``cache_event``: its storage id and
    whether it changed), the days of newly decided sessions after a changed decisions file."""
    decisions_path = review_dir / DECISIONS_FILE
    decisions_hash = hashlib.sha256(decisions_path.read_bytes()).hexdigest() if decisions_path.exists() else None
    new_cursor = {"cache": cache_event[0] if cache_event else cursor.get("cache"), "decisions": decisions_hash}
    if not cursor:  # the first tick only remembers where things are
        return RelinkPlan(set(), "first tick: nothing to compare with", new_cursor)
    if cache_event and cache_event[0] != cursor.get("cache") and cache_event[1]:
        return RelinkPlan(review_days(review_dir), "the customer cache changed", new_cursor)
    if decisions_hash != cursor.get("decisions") and decisions_hash:
        decided = set(read_decisions(decisions_path)[0])
        return RelinkPlan(review_days(review_dir, decided), f"{DECISIONS_FILE} changed", new_cursor)
    return RelinkPlan(set(), "no change to the customer cache or the decisions", new_cursor)


def _cache_event(instance: dg.DagsterInstance) -> tuple[int, bool] | None:
    records = instance.fetch_materializations(dg.AssetKey("customer_cache"), limit=1, ascending=False).records
    if not records:
        return None
    event = records[0]
    materialization = event.asset_materialization
    changed = materialization.metadata.get("changed") if materialization else None
    return event.storage_id, bool(changed.value) if changed is not None else True


@dg.sensor(
    target=RELINK_JOB,
    minimum_interval_seconds=env_int("SDC_RELINK_POLL_SECONDS", 120),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Links the days with sessions waiting for review again when the customer cache changed, and the "
    "days of sessions a person settled when data/review/decisions.csv changed.",
)
def relink_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    review_dir = default_data_path("review")
    cursor = json.loads(context.cursor) if context.cursor else {}
    plan = plan_relink(review_dir, _cache_event(context.instance), cursor)
    days = plan.days & set(daily_partitions.get_partition_keys())
    if not days:
        return dg.SensorResult(skip_reason=plan.why, cursor=json.dumps(plan.cursor))
    version = hashlib.sha256(json.dumps(plan.cursor, sort_keys=True).encode()).hexdigest()[:12]
    context.log.info(f"relink: {plan.why}; {len(days)} day(s): {sorted(days)[:10]}")
    return dg.SensorResult(run_requests=range_run_requests(days, "relink", version), cursor=json.dumps(plan.cursor))
