"""Tickets deleted in Syncro: ``since_updated_at`` never lists them, so a daily reconciliation compares the
ids Syncro still lists for recent days with the ids stored, and re-runs the days that lost tickets. The
re-run rewrites the day without them, so their sessions, chunks, vectors and graph rows go too."""

import hashlib
import json
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import dagster as dg

from sdc_assets.partitions import TIMEZONE, local_day, range_run_requests
from sdc_assets.syncro.records import clean_ticket, record_id
from sdc_assets.syncro.sensors import TICKETS_JOB
from sdc_assets.syncro.tickets import creation_day
from sdc_resources.jsonl import read_jsonl
from sdc_resources.pacer import PacerBusy
from sdc_resources.settings import env
from sdc_resources.syncro import Syncro
from sdc_resources.syncro_client import SyncroError

RECONCILE_DAYS = 14  # recent days compared each time; older deletions: a backfill of the day


def listed_ids(tickets: list, zone: tzinfo) -> dict[str, set[int]]:
    """Per creation day, the ids of the tickets Syncro listed."""
    by_day: dict[str, set[int]] = {}
    for raw in tickets:
        ticket, _ = clean_ticket(raw, zone)
        if ticket is not None:
            by_day.setdefault(creation_day(ticket, TIMEZONE, zone), set()).add(ticket["id"])
    return by_day


def days_that_lost_tickets(raw_dir: Path, listed: dict[str, set[int]], first_day: str) -> dict[str, list[int]]:
    """Per stored day from ``first_day`` on, the stored tickets Syncro no longer lists."""
    lost = {}
    for path in sorted((raw_dir / "tickets").glob("*.jsonl")):
        if path.stem < first_day:
            continue
        gone = sorted({record_id(t) for t in read_jsonl(path)} - listed.get(path.stem, set()) - {None})
        if gone:
            lost[path.stem] = gone
    return lost


@dg.schedule(
    name="syncro_reconcile_schedule",
    cron_schedule=env("SDC_SYNCRO_RECONCILE_CRON", "30 5 * * *"),
    execution_timezone=TIMEZONE,
    target=TICKETS_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=f"Daily: the days of the last {RECONCILE_DAYS} whose stored tickets Syncro no longer lists "
    "(deleted tickets) are re-run, so those tickets leave the sessions, the index and the graph.",
)
def syncro_reconcile_schedule(context: dg.ScheduleEvaluationContext, syncro: Syncro):
    if syncro.mode is None:
        return dg.SkipReason(syncro.describe())
    since = datetime.now(UTC) - timedelta(days=RECONCILE_DAYS)
    client = syncro.sensor_client()
    try:
        tickets = client.tickets(created_after=since)
    except (SyncroError, PacerBusy) as exc:
        return dg.SkipReason(f"Syncro did not answer; nothing reconciled: {exc}")
    if client.incomplete:  # a cut listing would make every unlisted ticket look deleted
        return dg.SkipReason(f"the listing was incomplete, nothing reconciled: {'; '.join(client.incomplete)}")
    first_day = local_day(since)
    lost = days_that_lost_tickets(Path(syncro.raw_dir), listed_ids(tickets, syncro.zone), first_day)
    for day, ids in lost.items():
        context.log.info(f"syncro: {day}: tickets {ids} are no longer in Syncro; the day is re-run")
    if not lost:
        return dg.SkipReason(f"every stored ticket since {first_day} is still in Syncro")
    version = hashlib.sha256(json.dumps(lost, sort_keys=True).encode()).hexdigest()[:16]
    return range_run_requests(lost, "syncro_reconcile", version)
