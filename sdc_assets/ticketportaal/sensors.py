"""The ticketportaal update sensor: tickets changed or commented since the cursor re-run their creation days;
a changed knowledge base or CMDB re-runs the reference assets."""

import json
import os
from datetime import UTC, datetime, timedelta

import dagster as dg
import sqlalchemy as sa

from sdc_assets.graph.assets import DERIVED_KEYS
from sdc_assets.partitions import TIMEZONE, daily_partitions, range_run_requests
from sdc_assets.ticketportaal.installation import Installation, PortalSchemaError
from sdc_assets.ticketportaal.queries import changed_tickets, reference_signature
from sdc_assets.ticketportaal.tickets import creation_day, utc
from sdc_resources.ticketportaal import Ticketportaal

TICKET_KEYS = [
    dg.AssetKey("ticketportaal_tickets_raw"),
    dg.AssetKey("ticketportaal_sessions"),
    *DERIVED_KEYS,
]
REFERENCE_KEYS = [dg.AssetKey(k) for k in ("ticketportaal_kb", "ticketportaal_cis", "reference_collections")]
FIRST_LOOKBACK = timedelta(hours=24)


def plan_ticket_runs(
    changed: list[dict], cursor: datetime, valid_days: set[str]
) -> tuple[list[dg.RunRequest], datetime]:
    """One run per contiguous range of the changed tickets' creation days, and the next cursor."""
    days = {creation_day(row, TIMEZONE) for row in changed} & valid_days
    newest = max([cursor, *(utc(row["changed_at"]) for row in changed)])
    return range_run_requests(days, "ticketportaal", newest.isoformat(), TICKET_KEYS), newest


@dg.sensor(
    asset_selection=[*TICKET_KEYS, *REFERENCE_KEYS],
    minimum_interval_seconds=int(os.environ.get("SDC_TICKETPORTAAL_POLL_SECONDS", "300")),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Asks the ticketportaal for tickets updated or commented since its cursor and re-runs their "
    "creation days; re-runs the KB and CI assets when those tables change. The cursor moves only when the "
    "database answered.",
)
def ticketportaal_update_sensor(
    context: dg.SensorEvaluationContext, ticketportaal: Ticketportaal
) -> dg.SensorResult | dg.SkipReason:
    if not ticketportaal.configured:
        return dg.SkipReason(ticketportaal.describe())
    state = json.loads(context.cursor) if context.cursor else {}
    since = utc(state["tickets"]) if state.get("tickets") else datetime.now(UTC) - FIRST_LOOKBACK

    def read(connection):
        return changed_tickets(connection, since), reference_signature(connection, Installation.read(connection))

    try:
        changed, signature = ticketportaal.run(read, "ticketportaal update check")
    except (sa.exc.DBAPIError, PortalSchemaError) as exc:
        return dg.SkipReason(f"the ticketportaal did not answer; cursor kept at {since.isoformat()}: {exc.orig}")
    requests, newest = plan_ticket_runs(changed, since, set(daily_partitions.get_partition_keys()))
    if signature != state.get("reference"):
        requests.append(
            dg.RunRequest(
                run_key=f"ticketportaal:reference:{signature}",
                asset_selection=REFERENCE_KEYS,
                tags={"sdc/trigger": "ticketportaal_update"},
            )
        )
    context.log.info(f"ticketportaal: {len(changed)} tickets changed since {since.isoformat()}, {len(requests)} run(s)")
    return dg.SensorResult(
        run_requests=requests, cursor=json.dumps({"tickets": newest.isoformat(), "reference": signature})
    )
