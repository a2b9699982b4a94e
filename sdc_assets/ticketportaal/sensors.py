"""The ticketportaal update sensor: tickets changed or commented since the cursor re-run their creation days;
a changed knowledge base or CMDB re-runs the reference assets."""

import hashlib
import json
from datetime import UTC, datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from sdc_assets.lineage import keys_of, source_run
from sdc_assets.partitions import TIMEZONE, daily_partitions, range_run_requests
from sdc_assets.ticketportaal.fingerprints import days_that_differ, stored_signature
from sdc_assets.ticketportaal.installation import Installation, PortalSchemaError
from sdc_assets.ticketportaal.queries import changed_tickets, database_now, day_fingerprints, reference_signature
from sdc_assets.ticketportaal.tickets import creation_day, utc
from sdc_resources.settings import env, env_int
from sdc_resources.ticketportaal import Ticketportaal

TICKETS = source_run("ticketportaal_tickets_raw")  # what changed tickets re-run: their days, through the graph
REFERENCE_KEYS = [dg.AssetKey(k) for k in ("ticketportaal_kb", "ticketportaal_cis", "reference_collections")]
TICKETS_JOB = dg.define_asset_job(
    "ticketportaal_tickets_to_graph",
    TICKETS,
    description="Portal tickets of some days, to the graph.",
)
UPDATE_JOB = dg.define_asset_job(
    "ticketportaal_to_graph",
    TICKETS | dg.AssetSelection.assets(*REFERENCE_KEYS),
    description="Changed portal tickets through the graph; a changed KB or CMDB into its collections.",
)
FIRST_LOOKBACK = timedelta(hours=24)
FINGERPRINT_DAYS = 30  # recent days compared on every tick; older ones by the daily reconciliation


def plan_ticket_runs(
    changed: list[dict],
    cursor: datetime,
    valid_days: set[str],
    now: datetime,
    extra_days: set[str] = frozenset(),
    seen_future: dict[str, str] | None = None,
    asset_selection: list[dg.AssetKey] | None = None,
) -> tuple[list[dg.RunRequest], datetime, dict[str, str]]:
    """One run per contiguous range of the changed tickets' creation days (and ``extra_days``), the next cursor
    (never past the database's ``now``), and the rows dated after it (ticket id → time). A row dated in the
    future comes back on every tick until the clock passes it: its day is run once per value (``seen_future``)."""
    future = {str(row["ticket_id"]): row["changed_at"] for row in changed if utc(row["changed_at"]) > now}
    # Run already, when it was ahead of the clock: whether it still is, or the clock has just passed it.
    again = {str(r["ticket_id"]) for r in changed if (seen_future or {}).get(str(r["ticket_id"])) == r["changed_at"]}
    fresh = [row for row in changed if str(row["ticket_id"]) not in again]
    days = ({creation_day(row, TIMEZONE) for row in fresh} | set(extra_days)) & valid_days
    newest = min(max([cursor, *(utc(row["changed_at"]) for row in changed)]), max(cursor, now))
    # The key names what is asked for, not when: ticks that see the same change ask for the same run.
    version = hashlib.sha256(json.dumps([sorted(days), sorted(r["changed_at"] for r in fresh)]).encode()).hexdigest()
    return range_run_requests(days, "ticketportaal", version[:16], asset_selection), newest, future


@dg.sensor(
    target=UPDATE_JOB,
    minimum_interval_seconds=env_int("SDC_TICKETPORTAAL_POLL_SECONDS", 300),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Asks the ticketportaal for tickets updated or commented since its cursor, and compares the "
    f"fingerprints of the last {FINGERPRINT_DAYS} days' tickets (comments, fields, CI relations: the portal deletes "
    "them without touching updated_at) with what SDC stored; re-runs the days that changed, and the KB and CI "
    "assets when those tables change. The cursor never passes the database's own clock.",
)
def ticketportaal_update_sensor(
    context: dg.SensorEvaluationContext, ticketportaal: Ticketportaal
) -> dg.SensorResult | dg.SkipReason:
    if not ticketportaal.configured:
        return dg.SkipReason(ticketportaal.describe())
    state = json.loads(context.cursor) if context.cursor else {}
    since = utc(state["tickets"]) if state.get("tickets") else datetime.now(UTC) - FIRST_LOOKBACK

    def read(connection):
        installation = Installation.read(connection)
        now = database_now(connection)
        recent = day_fingerprints(connection, installation, now - timedelta(days=FINGERPRINT_DAYS), TIMEZONE)
        return changed_tickets(connection, since), reference_signature(connection, installation), recent, now

    try:
        changed, signature, recent, now = ticketportaal.run(read, "ticketportaal update check")
    except (sa.exc.DBAPIError, PortalSchemaError) as exc:
        return dg.SkipReason(f"the ticketportaal did not answer; cursor kept at {since.isoformat()}: {exc}")
    stored = {p.stem for p in ticketportaal.tickets_dir.glob("*.jsonl")}
    window = {d for d in recent} | {
        d for d in stored if d >= (now - timedelta(days=FINGERPRINT_DAYS)).date().isoformat()
    }
    differ = days_that_differ(recent, ticketportaal.tickets_dir, window)
    valid = set(daily_partitions.get_partition_keys())
    tickets = keys_of(context, TICKETS)
    requests, newest, future = plan_ticket_runs(changed, since, valid, now, differ, state.get("future"), tickets)
    if future:
        ids = ", ".join(f"{tid} ({when})" for tid, when in list(future.items())[:10])
        context.log.warning(
            f"ticketportaal: rows dated after the database's clock {now.isoformat()}: {ids}; "
            "the cursor stays at the clock so that later changes are still seen"
        )
    if signature != state.get("reference", stored_signature(ticketportaal.raw_dir)):  # first tick: sdc ingest's
        requests.append(
            dg.RunRequest(
                run_key=f"ticketportaal:reference:{signature}",
                asset_selection=REFERENCE_KEYS,
                tags={"sdc/trigger": "ticketportaal_update"},
            )
        )
    context.log.info(
        f"ticketportaal: {len(changed)} tickets changed since {since.isoformat()}, "
        f"{len(differ)} recent day(s) differ from what is stored, {len(requests)} run(s)"
    )
    skip = None
    if not requests:
        skip = (
            f"no ticket updated or commented since {since.isoformat()}, the last {FINGERPRINT_DAYS} days' tickets "
            "equal what is stored, and the KB articles and CIs did not change"
            if not changed
            else f"{len(changed)} ticket(s) changed since {since.isoformat()}, none created on a day of the partitions"
        )
    return dg.SensorResult(
        run_requests=requests,
        cursor=json.dumps({"tickets": newest.isoformat(), "reference": signature, "future": future}),
        skip_reason=skip,
    )


@dg.schedule(
    name="ticketportaal_reconcile_schedule",
    cron_schedule=env("SDC_TICKETPORTAAL_RECONCILE_CRON", "45 5 * * *"),
    execution_timezone=TIMEZONE,
    target=TICKETS_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily: every day whose tickets in the portal differ from what SDC stored (a deleted ticket, "
    "comment, field value or CI relation, at any age) is re-run.",
)
def ticketportaal_reconcile_schedule(context: dg.ScheduleEvaluationContext, ticketportaal: Ticketportaal):
    if not ticketportaal.configured:
        return dg.SkipReason(ticketportaal.describe())
    try:
        database = ticketportaal.run(
            lambda c: day_fingerprints(c, Installation.read(c), None, TIMEZONE), "ticketportaal reconciliation"
        )
    except (sa.exc.DBAPIError, PortalSchemaError) as exc:
        return dg.SkipReason(f"the ticketportaal did not answer; nothing reconciled: {exc}")
    days = set(database) | {p.stem for p in ticketportaal.tickets_dir.glob("*.jsonl")}
    differ = days_that_differ(database, ticketportaal.tickets_dir, days) & set(daily_partitions.get_partition_keys())
    if not differ:
        return dg.SkipReason("every day's tickets equal what is stored")
    context.log.info(f"ticketportaal: {len(differ)} day(s) differ from what is stored: {sorted(differ)[:10]}")
    version = hashlib.sha256(json.dumps(sorted(differ)).encode()).hexdigest()[:16]
    return range_run_requests(differ, "ticketportaal_reconcile", version)
