"""Syncro's assets: tickets per creation day → sessions; customers, contacts and machines → the customer cache."""

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import polars as pl

from sdc_assets.metadata import markdown_table
from sdc_assets.partitions import DAILY, TIMEZONE
from sdc_assets.sessions.writing import (
    PREVIEW_ROWS,
    sessions_check_spec,
    sessions_from_records,
    sessions_result,
    write_session_day,
)
from sdc_assets.syncro.customers import customer_cache_table
from sdc_assets.syncro.tickets import comments_incomplete, creation_day, merge_comments, ticket_session
from sdc_resources.atomic import write_atomic, write_atomic_with
from sdc_resources.jsonl import read_jsonl, write_jsonl_if_changed
from sdc_resources.session_store import SessionStore
from sdc_resources.syncro import Syncro
from sdc_resources.syncro_client import SyncroApi

SOURCE = "syncro"
CACHE_MAX_AGE = timedelta(hours=36)


def _not_configured(context: dg.AssetExecutionContext, syncro: Syncro) -> dict:
    message = syncro.describe()
    context.log.warning(f"{message}; nothing fetched, stored data left as it was")
    return {"dagster/row_count": 0, "status": message}


def fetch_tickets(client: SyncroApi, days: list[str], log) -> tuple[dict[str, list[dict]], list[dict]]:
    """The tickets created on ``days``, complete with comments, by day; and those without a usable id or time."""
    start = datetime.fromisoformat(days[0]).replace(tzinfo=ZoneInfo(TIMEZONE)) - timedelta(seconds=1)
    wanted = set(days)
    by_day: dict[str, list[dict]] = {day: [] for day in days}
    rejects = []
    listed = client.tickets(created_after=start)
    for number, ticket in enumerate(listed, start=1):
        try:
            day = creation_day(ticket, TIMEZONE)
            int(ticket["id"])
        except (KeyError, TypeError, ValueError) as exc:
            rejects.append({"session_key": f"ticket/{ticket.get('id')}", "reason": f"{type(exc).__name__}: {exc}"})
            continue
        if day not in wanted:
            continue
        if comments_incomplete(ticket):
            ticket = {**ticket, "comments": merge_comments(ticket.get("comments") or [], client.comments(ticket["id"]))}
        by_day[day].append(ticket)
        if number % 100 == 0:
            log(f"syncro: {number}/{len(listed)} listed tickets looked at")
    return by_day, rejects


@dg.asset(
    group_name="sources",
    **DAILY,
    kinds={"syncro", "json"},
    description="Syncro tickets by the local day they were created, with every comment, as the API returned them: "
    "data/raw/syncro/tickets/<day>.jsonl. Empty, with a message, when Syncro is not configured.",
)
def syncro_tickets_raw(context: dg.AssetExecutionContext, syncro: Syncro) -> dg.MaterializeResult:
    started = time.perf_counter()
    days = context.partition_keys
    if syncro.mode is None:
        status = _not_configured(context, syncro)
        for day in days:
            context.add_asset_metadata(status, partition_key=day)
        return dg.MaterializeResult(metadata={"status": status["status"]})
    client = syncro.client()
    context.log.info(f"syncro: tickets created {days[0]} .. {days[-1]} from the {syncro.describe()}")
    by_day, rejects = fetch_tickets(client, days, context.log.info)
    raw_dir = Path(syncro.raw_dir) / "tickets"
    for day, tickets in by_day.items():
        changed = write_jsonl_if_changed(raw_dir / f"{day}.jsonl", tickets)
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
                "preview": dg.MetadataValue.md(markdown_table(preview)),
            },
            partition_key=day,
        )
    quarantine = Path(syncro.quarantine_dir) / f"tickets-{days[0]}-{days[-1]}.rejects.jsonl"
    if rejects:
        write_atomic(quarantine, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rejects).encode())
        context.log.warning(f"syncro: {len(rejects)} tickets without a usable id or created_at, see {quarantine}")
    return dg.MaterializeResult(
        metadata={
            "source": syncro.describe(),
            "requests": len(client.pacer.sent) if hasattr(client, "pacer") else 0,
            "quarantined_records": len(rejects),
            "path": dg.MetadataValue.path(str(raw_dir)),
            "seconds": round(time.perf_counter() - started, 3),
        }
    )


@dg.asset(
    group_name="sessions",
    **DAILY,
    deps=[syncro_tickets_raw],
    kinds={"pydantic", "json"},
    check_specs=[sessions_check_spec("syncro_sessions")],
    description="Syncro tickets as Sessions (comments as segments: author, tech or customer, internal flag) under "
    "data/sessions/syncro/<day>/. Tickets gone from the day are removed.",
)
def syncro_sessions(
    context: dg.AssetExecutionContext, syncro: Syncro, session_store: SessionStore
) -> dg.MaterializeResult:
    started = time.perf_counter()
    invalid: list[str] = []
    for day in context.partition_keys:
        records = read_jsonl(Path(syncro.raw_dir) / "tickets" / f"{day}.jsonl")
        sessions, failures = sessions_from_records(records, day, ticket_session, lambda t: f"ticket/{t.get('id')}")
        quarantine = Path(syncro.quarantine_dir) / f"sessions-{day}.jsonl"
        invalid += write_session_day(context, session_store, SOURCE, day, sessions, failures, quarantine)
    return sessions_result(context, started, invalid)


def _listing_asset(name: str, what: str, fetch) -> dg.AssetsDefinition:
    @dg.asset(
        name=name,
        group_name="sources",
        kinds={"syncro", "json"},
        description=f"Syncro's {what}, as the API returned them: data/raw/syncro/{name}.jsonl.",
    )
    def listing(context: dg.AssetExecutionContext, syncro: Syncro) -> dg.MaterializeResult:
        if syncro.mode is None:
            return dg.MaterializeResult(metadata=_not_configured(context, syncro))
        items = fetch(syncro.client())
        changed = write_jsonl_if_changed(Path(syncro.raw_dir) / f"{name}.jsonl", items)
        context.log.info(f"syncro: {len(items)} {what} ({'changed' if changed else 'unchanged'})")
        return dg.MaterializeResult(
            metadata={"dagster/row_count": len(items), "changed": changed, "source": syncro.describe()}
        )

    return listing


syncro_customers = _listing_asset("syncro_customers", "customers", lambda client: client.customers())
syncro_contacts = _listing_asset("syncro_contacts", "contacts", lambda client: client.contacts())
syncro_customer_assets = _listing_asset(
    "syncro_customer_assets", "customer assets (machines)", lambda client: client.customer_assets()
)


@dg.asset(
    group_name="sources",
    deps=[syncro_customers, syncro_contacts, syncro_customer_assets],
    kinds={"polars", "parquet"},
    check_specs=[
        dg.AssetCheckSpec(
            "customer_cache_fresh",
            asset="customer_cache",
            description=f"Syncro's customers were fetched less than {CACHE_MAX_AGE.total_seconds() / 3600:.0f} h ago.",
        )
    ],
    description="Every Syncro customer with business and person name, e-mails and their domains (shared mail "
    "providers left out), phones, contacts, and machine names: the table linking matches against. "
    "data/cache/customers.parquet.",
)
def customer_cache(context: dg.AssetExecutionContext, syncro: Syncro) -> dg.MaterializeResult:
    raw = Path(syncro.raw_dir)
    paths = [raw / f"{name}.jsonl" for name in ("syncro_customers", "syncro_contacts", "syncro_customer_assets")]
    table = customer_cache_table(*(read_jsonl(p) for p in paths))
    target = Path(syncro.cache_dir) / "customers.parquet"
    changed = not (target.exists() and pl.read_parquet(target).equals(table))
    if changed:
        write_atomic_with(target, table.write_parquet)
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
            "age_hours": age_hours,
            "path": dg.MetadataValue.path(str(target)),
            "preview": dg.MetadataValue.md(markdown_table(preview.to_dicts())),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="customer_cache_fresh",
                passed=age is not None and age < CACHE_MAX_AGE,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"age_hours": age_hours},
            )
        ],
    )


customer_cache_job = dg.define_asset_job(
    "customer_cache_job",
    selection=[syncro_customers, syncro_contacts, syncro_customer_assets, customer_cache],
    description="Refresh Syncro's customers, contacts and machines and rebuild the customer cache.",
)
syncro_assets = [
    syncro_tickets_raw,
    syncro_sessions,
    syncro_customers,
    syncro_contacts,
    syncro_customer_assets,
    customer_cache,
]
