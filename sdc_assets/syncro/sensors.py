"""The Syncro update sensor: tickets changed since the cursor re-run exactly their creation days."""

from datetime import UTC, datetime, timedelta, tzinfo

import dagster as dg

from sdc_assets.lineage import source_run
from sdc_assets.partitions import TIMEZONE, daily_partitions, range_run_requests
from sdc_assets.syncro.records import clean_ticket
from sdc_assets.syncro.tickets import creation_day
from sdc_resources.pacer import PacerBusy
from sdc_resources.settings import env_int
from sdc_resources.syncro import Syncro
from sdc_resources.syncro_client import SyncroError, parse_time

TICKETS = source_run("syncro_tickets_raw")  # what changed tickets re-run: their days, through the graph
TICKETS_JOB = dg.define_asset_job(
    "syncro_tickets_to_graph", TICKETS, description="Syncro tickets of some days, through the sessions to the graph."
)
FIRST_LOOKBACK = timedelta(hours=24)  # how far back the very first tick looks; backfills cover older days


def plan_updates(
    tickets: list, cursor: datetime, valid_days: set[str], zone: tzinfo, log=None
) -> tuple[list[dg.RunRequest], datetime]:
    """Run requests for the creation days of ``tickets`` (one per contiguous range) and the next cursor."""
    days, newest = set(), cursor
    for raw in tickets:
        ticket, problems = clean_ticket(raw, zone)
        if ticket is None:
            if log:
                log.warning(f"syncro: a listed ticket skipped: {problems[0].field}: {problems[0].reason}")
            continue
        day, updated = creation_day(ticket, TIMEZONE, zone), parse_time(ticket.get("updated_at"), zone)
        if updated and updated > newest:
            newest = updated
        if day in valid_days:
            days.add(day)
    return range_run_requests(days, "syncro", newest.astimezone(UTC).isoformat()), newest


@dg.sensor(
    target=TICKETS_JOB,
    minimum_interval_seconds=env_int("SDC_SYNCRO_POLL_SECONDS", 300),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Asks Syncro for tickets updated since its cursor and re-runs their creation days. "
    "The cursor moves only when Syncro answered.",
)
def syncro_update_sensor(context: dg.SensorEvaluationContext, syncro: Syncro) -> dg.SensorResult | dg.SkipReason:
    if syncro.mode is None:
        return dg.SkipReason(syncro.describe())
    cursor = parse_time(context.cursor) if context.cursor else datetime.now(UTC) - FIRST_LOOKBACK
    client = syncro.sensor_client()
    try:
        tickets = client.tickets(since_updated_at=cursor)
    except (SyncroError, PacerBusy) as exc:
        return dg.SkipReason(f"Syncro did not answer; cursor kept at {cursor.isoformat()}: {exc}")
    if client.incomplete:
        return dg.SkipReason(
            f"Syncro's listing was incomplete; cursor kept at {cursor.isoformat()}: {client.incomplete}"
        )
    valid = set(daily_partitions.get_partition_keys())
    requests, newest = plan_updates(tickets, cursor, valid, syncro.zone, context.log)
    context.log.info(f"syncro: {len(tickets)} tickets updated since {cursor.isoformat()}, {len(requests)} run(s)")
    skip = None
    if not requests:
        skip = (
            f"{len(tickets)} ticket(s) updated since {cursor.isoformat()}, none created on a day of the partitions"
            if tickets
            else f"no ticket updated in Syncro since {cursor.isoformat()}"
        )
    return dg.SensorResult(run_requests=requests, cursor=newest.astimezone(UTC).isoformat(), skip_reason=skip)
