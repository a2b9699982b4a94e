"""The ticketportaal's assets: tickets per creation day → sessions; KB articles and CIs picked up by updated_at."""

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from sdc_assets.metadata import preview_table
from sdc_assets.partitions import DAILY, TIMEZONE
from sdc_assets.sessions.asset import DaySessions, sessions_assets
from sdc_assets.sessions.writing import PREVIEW_ROWS
from sdc_assets.ticketportaal.html_text import html_to_text
from sdc_assets.ticketportaal.installation import Installation
from sdc_assets.ticketportaal.queries import fetch_cis, fetch_kb, fetch_tickets
from sdc_assets.ticketportaal.tickets import creation_day, ticket_session, utc
from sdc_resources.jsonl import read_jsonl, write_jsonl_if_changed
from sdc_resources.sql_database import statement_counter
from sdc_resources.ticketportaal import Ticketportaal

SOURCE = "ticketportaal"
# Rows changed within this margin before the newest stored updated_at are read again: a row written in the
# same second as the last pick-up, after it, is not missed.
PICKUP_OVERLAP = timedelta(minutes=5)


def _not_configured(context, ticketportaal: Ticketportaal) -> dict:
    context.log.warning(f"{ticketportaal.describe()}; nothing read, stored data left as it was")
    return {"dagster/row_count": 0, "status": ticketportaal.describe()}


@dg.asset(
    group_name="sources",
    **DAILY,
    kinds={"mysql", "json"},
    description="Ticketportaal tickets by the local day they were created, each with requester, agent, category, "
    "comments (internal ones flagged), dynamic fields with their labels and related CIs: "
    "data/raw/ticketportaal/tickets/<day>.jsonl. Four queries per run, whatever the number of tickets.",
)
def ticketportaal_tickets_raw(context: dg.AssetExecutionContext, ticketportaal: Ticketportaal) -> dg.MaterializeResult:
    started = time.perf_counter()
    days = context.partition_keys
    if not ticketportaal.configured:
        status = _not_configured(context, ticketportaal)
        for day in days:
            context.add_asset_metadata(status, partition_key=day)
        return dg.MaterializeResult(metadata={"status": status["status"]})
    start, end = context.partition_time_window
    installation = ticketportaal.run(Installation.read, "ticketportaal schema")
    with statement_counter(ticketportaal.engine()) as statements:
        records = ticketportaal.run(lambda c: fetch_tickets(c, start, end, installation), "ticketportaal tickets")
    by_day: dict[str, list[dict]] = {day: [] for day in days}
    for record in records:
        by_day[creation_day(record, TIMEZONE)].append(record)
    for day, day_records in by_day.items():
        changed = write_jsonl_if_changed(ticketportaal.tickets_dir / f"{day}.jsonl", day_records, key="ticket_id")
        preview = [
            {
                "ticket": r["ticket_number"],
                "title": r["title"],
                "status": r["status"],
                "category": (r["category"] or {}).get("name"),
                "comments": len(r["comments"]),
                "fields": len(r["fields"]),
                "cis": len(r["configuration_items"]),
            }
            for r in day_records[:PREVIEW_ROWS]
        ]
        context.add_asset_metadata(
            {
                "dagster/row_count": len(day_records),
                "comments": sum(len(r["comments"]) for r in day_records),
                "field_values": sum(len(r["fields"]) for r in day_records),
                "ci_links": sum(len(r["configuration_items"]) for r in day_records),
                "changed": changed,
                "preview": preview_table(preview),
            },
            partition_key=day,
        )
    context.log.info(f"ticketportaal: {len(records)} tickets created {days[0]}..{days[-1]}, {len(statements)} queries")
    return dg.MaterializeResult(
        metadata={
            "source": ticketportaal.describe(),
            "tickets_in_run": len(records),
            "queries": len(statements),
            "missing_in_this_installation": dg.MetadataValue.json(installation.missing()),
            "path": dg.MetadataValue.path(str(ticketportaal.tickets_dir)),
            "seconds": round(time.perf_counter() - started, 3),
        }
    )


def _day_sessions(ticketportaal: Ticketportaal, day: str) -> DaySessions:
    records = read_jsonl(ticketportaal.tickets_dir / f"{day}.jsonl")
    quarantine = Path(ticketportaal.quarantine_dir) / f"sessions-{day}.jsonl"
    return DaySessions.of_records(records, day, ticket_session, lambda r: f"ticket/{r.get('ticket_id')}", quarantine)


ticketportaal_sessions = sessions_assets(
    SOURCE,
    "ticketportaal_tickets_raw",
    "ticketportaal",
    _day_sessions,
    lambda ticketportaal, day: ticketportaal.tickets_dir / f"{day}.jsonl",
    "Ticketportaal tickets as Sessions (description, comments with author, role and internal flag, resolution; "
    "category, dynamic fields and CIs in attributes).",
)


class PickupConfig(dg.Config):
    full_refresh: bool = False
    """Read every row again instead of those changed since the last pick-up."""


def pick_up(
    path: Path,
    key: str,
    fetch: Callable[[sa.Connection, datetime | None], tuple[list[dict], set[int]]],
    ticketportaal: Ticketportaal,
    full_refresh: bool,
) -> dict:
    """Merge the rows changed since the newest stored ``updated_at`` into the stored table; drop rows gone from
    the source. The rows, how many were read, new or changed and removed, and whether the file changed."""
    stored = {} if full_refresh else {row[key]: row for row in read_jsonl(path)}
    newest = max((utc(row["updated_at"]) for row in stored.values()), default=None)
    since = newest - PICKUP_OVERLAP if newest else None
    fetched, live = ticketportaal.run(lambda c: fetch(c, since), f"ticketportaal {path.stem}")
    merged = {k: row for k, row in stored.items() if k in live} | {row[key]: row for row in fetched}
    changed = write_jsonl_if_changed(path, list(merged.values()), key=key)
    return {
        "rows": list(merged.values()),
        "read": len(fetched),
        "new_or_changed": sum(1 for row in fetched if stored.get(row[key]) != row),
        "removed": len(stored.keys() - live),
        "changed": changed,
    }


def _pickup_asset(name: str, what: str, key: str, fetch, shape: Callable[[dict], dict], preview) -> dg.AssetsDefinition:
    @dg.asset(
        name=name,
        group_name="sources",
        kinds={"mysql", "json"},
        description=f"The ticketportaal's {what}, picked up by updated_at: data/raw/ticketportaal/{name}.jsonl.",
    )
    def pickup(
        context: dg.AssetExecutionContext, config: PickupConfig, ticketportaal: Ticketportaal
    ) -> dg.MaterializeResult:
        if not ticketportaal.configured:
            return dg.MaterializeResult(metadata=_not_configured(context, ticketportaal))
        path = Path(ticketportaal.raw_dir) / f"{name}.jsonl"
        installation = ticketportaal.run(Installation.read, "ticketportaal schema")

        def fetch_shaped(connection, since):
            rows, live = fetch(connection, since, installation)
            return [shape(row) for row in rows], live

        result = pick_up(path, key, fetch_shaped, ticketportaal, config.full_refresh)
        context.log.info(
            f"ticketportaal {name}: {result['new_or_changed']} new or changed, {result['removed']} removed"
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": len(result["rows"]),
                "read": result["read"],
                "new_or_changed": result["new_or_changed"],
                "removed": result["removed"],
                "changed": result["changed"],
                "missing_in_this_installation": dg.MetadataValue.json(installation.missing()),
                "path": dg.MetadataValue.path(str(path)),
                "preview": preview_table([preview(r) for r in result["rows"][:PREVIEW_ROWS]]),
            }
        )

    return pickup


ticketportaal_kb = _pickup_asset(
    "ticketportaal_kb",
    "published knowledge-base articles (HTML turned into text)",
    "kb_id",
    fetch_kb,
    lambda article: {**article, "text": html_to_text(article["content"])},
    lambda a: {"kb_id": a["kb_id"], "title": a["title"], "category": a["category"], "words": len(a["text"].split())},
)
ticketportaal_cis = _pickup_asset(
    "ticketportaal_cis",
    "configuration items that are not written off, with their specifications",
    "ci_id",
    fetch_cis,
    lambda item: item,
    lambda c: {k: c[k] for k in ("ci_number", "name", "type", "brand", "model", "status", "department")},
)

ticketportaal_assets = [ticketportaal_tickets_raw, *ticketportaal_sessions, ticketportaal_kb, ticketportaal_cis]
