"""Syncro's assets: tickets per creation day → sessions; customers, contacts and machines → the customer cache."""

import functools
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

import dagster as dg

from sdc_assets.metadata import preview_table
from sdc_assets.partitions import DAILY, TIMEZONE
from sdc_assets.sessions.asset import DaySessions, sessions_assets
from sdc_assets.sessions.quarantine import build_quarantine_check, quarantine_failures
from sdc_assets.sessions.writing import PREVIEW_ROWS
from sdc_assets.syncro.customers import customer_cache_table
from sdc_assets.syncro.records import Problem, clean_comment, clean_listing, clean_ticket
from sdc_assets.syncro.tickets import comments_incomplete, creation_day, sorted_comments, ticket_session
from sdc_resources.atomic import write_atomic
from sdc_resources.jsonl import read_jsonl, write_jsonl_if_changed
from sdc_resources.parquet_files import write_parquet_if_changed
from sdc_resources.syncro import Syncro
from sdc_resources.syncro_client import SyncroApi, SyncroAuthError, SyncroNotFound

SOURCE = "syncro"
# Every step that calls Syncro takes the one slot of this pool (dagster.yaml), so at most one of them draws on
# the account's rate limit at a time; the shared pacer keeps sensors and the CLI within it too.
SYNCRO_POOL = "syncro"


def _not_configured(context: dg.AssetExecutionContext, syncro: Syncro) -> dict:
    message = syncro.describe()
    context.log.warning(f"{message}; nothing fetched, stored data left as it was")
    return {"dagster/row_count": 0, "status": message}


def write_problems(path: Path, problems: list[Problem]) -> None:
    """The quarantine file of one listing or day: its problems, one JSON object a line; none removes it."""
    quarantine_failures(path, [p.as_dict() for p in problems])


@dataclass
class FetchedTickets:
    """The tickets of a run's days, complete with comments, and what could not be read."""

    by_day: dict[str, list[dict]]
    problems_by_day: dict[str, list[Problem]]
    refused: list[Problem]
    """Tickets that could not be placed on a day at all (no id, no readable ``created_at``)."""


def fetch_tickets(client: SyncroApi, days: list[str], start: datetime, zone: tzinfo, log) -> FetchedTickets:
    """The tickets created on ``days`` (from ``start``, the first day's midnight), checked, with every comment,
    by day."""
    fetched = FetchedTickets({day: [] for day in days}, {day: [] for day in days}, [])
    listed = client.tickets(created_after=start - timedelta(seconds=1))
    for number, raw in enumerate(listed, start=1):
        ticket, problems = clean_ticket(raw, zone)
        if ticket is None:
            fetched.refused += problems
            continue
        day = creation_day(ticket, TIMEZONE, zone)
        if day not in fetched.by_day:
            continue
        if comments_incomplete(ticket, zone):
            more = [clean_comment(c, i, str(ticket["id"]), zone) for i, c in enumerate(client.comments(ticket["id"]))]
            problems += [p for _, found in more for p in found]
            ticket["comments"] = sorted_comments(ticket["comments"] + [c for c, _ in more if c is not None], zone)
        fetched.by_day[day].append(ticket)
        fetched.problems_by_day[day] += problems
        if number % 100 == 0:
            log(f"syncro: {number}/{len(listed)} listed tickets looked at")
    return fetched


@dg.asset(
    group_name="sources",
    **DAILY,
    kinds={"syncro", "json"},
    pool=SYNCRO_POOL,
    description="Syncro tickets by the local day they were created, with every comment, checked field by field: "
    "data/raw/syncro/tickets/<day>.jsonl. A ticket or field that cannot be read goes to data/quarantine/syncro/ "
    "with its endpoint, id, field and reason. Empty, with a message, when Syncro is not configured.",
)
def syncro_tickets_raw(context: dg.AssetExecutionContext, syncro: Syncro) -> dg.MaterializeResult:
    started = time.perf_counter()
    days = context.partition_keys
    if syncro.mode is None:
        status = _not_configured(context, syncro)
        for day in days:
            context.add_asset_metadata(status, partition_key=day)
        return dg.MaterializeResult(metadata={"status": status["status"]})
    client = syncro.client(progress=context.log.info)
    context.log.info(f"syncro: tickets created {days[0]} .. {days[-1]} from the {syncro.describe()}")
    fetched = fetch_tickets(client, days, context.partition_time_window.start, syncro.zone, context.log.info)
    if client.incomplete:  # an absent ticket would read as a deleted one
        raise dg.Failure(f"Syncro's ticket listing was incomplete, stored days left as they were: {client.incomplete}")
    raw_dir, quarantine = Path(syncro.raw_dir) / "tickets", Path(syncro.quarantine_dir)
    for day, tickets in fetched.by_day.items():
        changed = write_jsonl_if_changed(raw_dir / f"{day}.jsonl", tickets)
        write_problems(quarantine / f"tickets-{day}.rejects.jsonl", fetched.problems_by_day[day])
        preview = [
            {
                "id": t["id"],
                "number": t.get("number"),
                "subject": t.get("subject"),
                "status": t.get("status"),
                "customer": t.get("customer_business_then_name"),
                "comments": len(t.get("comments") or []),
            }
            for t in tickets[:PREVIEW_ROWS]
        ]
        context.add_asset_metadata(
            {
                "dagster/row_count": len(tickets),
                "comments": sum(len(t.get("comments") or []) for t in tickets),
                "changed": changed,
                "quarantined": len(fetched.problems_by_day[day]),
                "preview": preview_table(preview),
            },
            partition_key=day,
        )
    write_problems(quarantine / "tickets-undated.rejects.jsonl", fetched.refused)
    problems = [*fetched.refused, *(p for found in fetched.problems_by_day.values() for p in found)]
    for line in [*client.notices, *(f"{p.endpoint} {p.id} {p.field}: {p.reason}" for p in problems[:20])]:
        context.log.warning(f"syncro: {line}")
    return dg.MaterializeResult(
        metadata={
            "source": syncro.describe(),
            "requests": len(client.pacer.sent) if hasattr(client, "pacer") else 0,
            "quarantined_records": len(problems),
            "notices": dg.MetadataValue.json(client.notices),
            "path": dg.MetadataValue.path(str(raw_dir)),
            "seconds": round(time.perf_counter() - started, 3),
        }
    )


def _ticket_quarantine(syncro: Syncro, days: list[str]) -> list[Path]:
    folder = Path(syncro.quarantine_dir)
    return [*(folder / f"tickets-{day}.rejects.jsonl" for day in days), folder / "tickets-undated.rejects.jsonl"]


def _day_sessions(syncro: Syncro, day: str) -> DaySessions:
    records = read_jsonl(Path(syncro.raw_dir) / "tickets" / f"{day}.jsonl")
    build = functools.partial(ticket_session, zone=syncro.zone)
    quarantine = Path(syncro.quarantine_dir) / f"sessions-{day}.jsonl"
    return DaySessions.of_records(records, day, build, lambda t: f"ticket/{t.get('id')}", quarantine)


syncro_sessions = sessions_assets(
    SOURCE,
    "syncro_tickets_raw",
    "syncro",
    _day_sessions,
    lambda syncro, day: Path(syncro.raw_dir) / "tickets" / f"{day}.jsonl",
    "Syncro tickets as Sessions (comments as segments: author, tech or customer, internal flag).",
)


def _listing_asset(name: str, what: str, fetch, permission: str | None) -> dg.AssetsDefinition:
    """A listing stored as data/raw/syncro/<name>.jsonl. ``permission``: the listing is optional; when the key
    lacks it (403) or the account has no such endpoint (404), the asset succeeds, keeps what it had, warns, and
    the customer cache is built without it."""

    @dg.asset(
        name=name,
        group_name="sources",
        kinds={"syncro", "json"},
        pool=SYNCRO_POOL,
        description=f"Syncro's {what}, as the API returned them: data/raw/syncro/{name}.jsonl."
        + (
            f" Optional: without the '{permission}' permission the customer cache is built without them."
            if permission
            else ""
        ),
    )
    def listing(context: dg.AssetExecutionContext, syncro: Syncro) -> dg.MaterializeResult:
        if syncro.mode is None:
            return dg.MaterializeResult(metadata=_not_configured(context, syncro))
        client = syncro.client(progress=context.log.info)
        status_path = Path(syncro.raw_dir) / f"{name}.status.json"
        try:
            items = fetch(client)
        except (SyncroAuthError, SyncroNotFound) as exc:
            if permission is None:
                raise
            reason = f"skipped: {exc} (the key lacks the '{permission}' permission, or the account has no such listing)"
            context.log.warning(f"syncro: {what} {reason}")
            write_atomic(status_path, json.dumps({"ok": False, "reason": reason}).encode())
            return dg.MaterializeResult(metadata={"status": reason})
        if client.incomplete:
            raise dg.Failure(f"Syncro's {what} listing was incomplete, the stored one kept: {client.incomplete}")
        kept, problems = clean_listing(items, f"/{name.removeprefix('syncro_')}")
        changed = write_jsonl_if_changed(Path(syncro.raw_dir) / f"{name}.jsonl", kept)
        write_problems(_listing_quarantine(syncro, name), problems)
        fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
        write_atomic(status_path, json.dumps({"ok": True, "fetched_at": fetched_at}).encode())
        for line in client.notices:
            context.log.warning(f"syncro: {line}")
        context.log.info(
            f"syncro: {len(kept)} {what} ({'changed' if changed else 'unchanged'}), {len(problems)} refused"
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(kept),
                "changed": changed,
                "quarantined_records": len(problems),
                "notices": dg.MetadataValue.json(client.notices),
                "source": syncro.describe(),
            }
        )

    return listing


def _listing_quarantine(syncro: Syncro, name: str) -> Path:
    return Path(syncro.quarantine_dir) / f"{name}.rejects.jsonl"


LISTING_FETCHES = {
    "syncro_customers": lambda client: client.customers(),
    "syncro_contacts": lambda client: client.contacts(),
    "syncro_customer_assets": lambda client: client.customer_assets(),
}
syncro_customers = _listing_asset("syncro_customers", "customers", LISTING_FETCHES["syncro_customers"], None)
syncro_contacts = _listing_asset(
    "syncro_contacts", "contacts", LISTING_FETCHES["syncro_contacts"], "Customers - View Detail"
)
syncro_customer_assets = _listing_asset(
    "syncro_customer_assets",
    "customer assets (machines)",
    LISTING_FETCHES["syncro_customer_assets"],
    "Assets - List/Search",
)


@dg.asset(
    group_name="sources",
    deps=[syncro_customers, syncro_contacts, syncro_customer_assets],
    kinds={"polars", "parquet"},
    description="Every Syncro customer with business and person name, e-mails and their domains (shared mail "
    "providers left out), phones, contacts, and machine names: the table linking matches against. "
    "data/cache/customers.parquet.",
)
def customer_cache(context: dg.AssetExecutionContext, syncro: Syncro) -> dg.MaterializeResult:
    raw = Path(syncro.raw_dir)
    paths = [raw / f"{name}.jsonl" for name in LISTINGS]
    parts = listing_states(raw)
    for name, state in parts.items():
        if not state.startswith("fetched"):
            context.log.warning(f"customer cache: {name} {state}")
    table = customer_cache_table(*(read_jsonl(p) for p in paths))
    target = Path(syncro.cache_dir) / "customers.parquet"
    changed = write_parquet_if_changed(target, table, keep_empty=True)
    fetched = [datetime.fromtimestamp(p.stat().st_mtime, UTC) for p in paths if p.exists()]
    age = datetime.now(UTC) - min(fetched) if fetched else None
    age_hours = round(age.total_seconds() / 3600, 2) if age else -1.0
    preview = table.head(PREVIEW_ROWS).select(
        "customer_id", "display_name", "email_domains", "phones", "names", "machine_names"
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": table.height,
            "contacts": int(table["contacts"].list.len().sum() or 0),
            "machine_names": int(table["machine_names"].list.len().sum() or 0),
            "changed": changed,
            "fetched_at": min(fetched).isoformat(timespec="seconds") if fetched else "never",
            "parts": dg.MetadataValue.json(parts),
            "age_hours": age_hours,
            "path": dg.MetadataValue.path(str(target)),
            "preview": preview_table(preview.to_dicts()),
        }
    )


LISTINGS = tuple(LISTING_FETCHES)


def listings_as_stored(client: SyncroApi, raw: Path) -> bool:
    """Whether Syncro's customers, contacts and machines, each listed once, equal the stored listings. A listing
    not fetched last time, or one Syncro refuses or cuts short now, counts as changed: its run says why."""
    for name, fetch in LISTING_FETCHES.items():
        if not _listing_status(raw, name).startswith("fetched"):
            return False
        try:
            items = fetch(client)
        except (SyncroAuthError, SyncroNotFound):
            return False
        kept, _ = clean_listing(items, f"/{name.removeprefix('syncro_')}")
        if client.incomplete or sorted(kept, key=lambda i: i["id"]) != read_jsonl(raw / f"{name}.jsonl"):
            return False
    return True


def listing_states(raw: Path) -> dict[str, str]:
    """Per listing the customer cache is built from: what it holds of it."""
    return {name: _listing_status(raw, name) for name in LISTINGS}


def _listing_status(raw: Path, name: str) -> str:
    """What the cache holds of a listing: when it was fetched, or why it is missing or old."""
    status = raw / f"{name}.status.json"
    state = json.loads(status.read_text()) if status.exists() else {}
    if state.get("ok"):
        return f"fetched {state['fetched_at']}"
    if not (raw / f"{name}.jsonl").exists():
        return f"missing ({state.get('reason', 'never fetched')})"
    return f"kept from an earlier fetch ({state.get('reason', 'fetched before status was kept')})"


CUSTOMER_DATA = [syncro_customers, syncro_contacts, syncro_customer_assets, customer_cache]
customer_cache_job = dg.define_asset_job(
    "customer_cache_job",
    selection=CUSTOMER_DATA,
    description="Refresh Syncro's customers, contacts and machines and rebuild the customer cache.",
)
syncro_assets = [
    syncro_tickets_raw,
    build_quarantine_check("syncro_tickets_raw", "syncro", _ticket_quarantine),
    *syncro_sessions,
    *CUSTOMER_DATA,
    *(
        build_quarantine_check(name, "syncro", lambda syncro, _days, n=name: [_listing_quarantine(syncro, n)], False)
        for name in LISTINGS
    ),
]
