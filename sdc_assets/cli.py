"""The ``sdc`` command: ``sdc ingest`` materializes every day the inbox files touch."""

import argparse
import json
import os
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import sqlalchemy as sa

from sdc_assets.definitions import build_definitions
from sdc_assets.enrichment.assets import enrichment_assets
from sdc_assets.file_drop.assets import file_drop_assets, parse_inbox
from sdc_assets.file_drop.sources import FILE_SOURCES, SOURCES_BY_NAME
from sdc_assets.graph.assets import graph_assets
from sdc_assets.index.assets import daily_index_assets, index_assets
from sdc_assets.index.search import SCOPES, search
from sdc_assets.partitions import TIMEZONE, contiguous_ranges, daily_partitions, partition_range_tags
from sdc_assets.sessions.model import Session, SessionStatus
from sdc_assets.syncro.assets import syncro_assets
from sdc_assets.syncro.tickets import creation_day
from sdc_assets.ticketportaal.assets import ticketportaal_assets
from sdc_assets.ticketportaal.queries import ticket_created_days
from sdc_resources.file_drop import FileDrop
from sdc_resources.graph_store import GraphStore, graph_edges, graph_nodes
from sdc_resources.session_store import SessionStore
from sdc_resources.sql_database import SqlDatabase
from sdc_resources.ticketportaal_schema import create_schema, load_rows, rows_from_json
from sdc_resources.vector_store import VectorStore

LIVE_INGEST_DAYS = 30
SOURCES = [*(s.name for s in FILE_SOURCES), "syncro", "ticketportaal"]
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _instance() -> dg.DagsterInstance:
    if "DAGSTER_HOME" not in os.environ and Path("dagster.yaml").exists():
        os.environ["DAGSTER_HOME"] = str(Path.cwd())
    return dg.DagsterInstance.get()


def _run(assets: list, first: str, last: str, instance: dg.DagsterInstance, resources: dict) -> bool:
    result = dg.materialize(
        assets,
        instance=instance,
        resources=resources,
        run_config=QUIET,
        tags=partition_range_tags(first, last),
        raise_on_error=False,
    )
    return result.success


def ingest(sources: list[str], quiet: bool = False) -> int:
    """Materialize every asset for every day the inbox touches: sources, sessions, then the index."""
    resources = build_definitions().resources
    file_drop, store = resources["file_drop"], resources["session_store"]
    instance = _instance()
    valid = set(daily_partitions.get_partition_keys())
    failed = False
    touched: set[str] = set()
    quarantine: dict[str, list[Path]] = {}
    for name in (n for n in sources if n in SOURCES_BY_NAME):
        source = SOURCES_BY_NAME[name]
        files = parse_inbox(source, file_drop, (lambda _: None) if quiet else print)
        quarantine[name] = [Path(f.quarantine) for f in files if f.quarantine]
        days = {day for f in files for day in f.days}
        if outside := sorted(days - valid):
            print(f"{name}: {len(outside)} day(s) before the first partition or in the future skipped: {outside}")
        assets = [a for a in file_drop_assets if a.key.path[0] in (f"{name}_raw", f"{name}_sessions")]
        for first, last in contiguous_ranges(days & valid):
            print(f"{name}: materializing {first} .. {last}")
            failed |= not _run(assets, first, last, instance, resources)
        touched |= days & valid
        quarantine[name] += sorted((file_drop.quarantine_dir / name).glob("sessions-*.jsonl"))
    if "syncro" in sources:
        days, ok = ingest_syncro(resources, instance, valid)
        failed |= not ok
        touched |= days
        quarantine["syncro"] = sorted(Path(resources["syncro"].quarantine_dir).glob("*.jsonl"))
    if "ticketportaal" in sources:
        days, ok = ingest_ticketportaal(resources, instance, valid)
        failed |= not ok
        touched |= days
        quarantine["ticketportaal"] = sorted(Path(resources["ticketportaal"].quarantine_dir).glob("*.jsonl"))
    for first, last in contiguous_ranges(touched):
        print(f"linking, index and graph: customers, chunks, embeddings, Chroma and the graph for {first} .. {last}")
        failed |= not _run([*enrichment_assets, *daily_index_assets, *graph_assets], first, last, instance, resources)
    print_summary(file_drop, store, quarantine)
    print_link_summary(store)
    print_index_summary(resources["vector_store"])
    print_graph_summary(resources["graph_store"])
    return 1 if failed else 0


def ingest_ticketportaal(resources: dict, instance: dg.DagsterInstance, valid: set[str]) -> tuple[set[str], bool]:
    """KB articles and CIs (into their collections), then every creation day of the portal's tickets."""
    portal = resources["ticketportaal"]
    if not portal.configured:
        print(f"ticketportaal: skipped. {portal.describe()}")
        return set(), True
    print(f"ticketportaal: knowledge base and configuration items from the {portal.describe()}")
    reference = [a for a in [*ticketportaal_assets, *index_assets] if not a.partitions_def]
    ok = dg.materialize(
        reference,
        instance=instance,
        resources=resources,
        run_config=QUIET,
    ).success
    days = portal.run(lambda c: ticket_created_days(c, TIMEZONE), "ticketportaal days") & valid
    daily = [a for a in ticketportaal_assets if a.partitions_def]
    for first, last in contiguous_ranges(days):
        print(f"ticketportaal: materializing {first} .. {last}")
        ok &= _run(daily, first, last, instance, resources)
    return days, ok


def print_link_summary(store: SessionStore) -> None:
    sessions = [Session.model_validate_json(p.read_bytes()) for p in Path(store.root).glob("*/*/*.json")]
    methods = Counter(s.context.link_method or s.meta.status.value for s in sessions)
    review = sum(1 for s in sessions if s.meta.status == SessionStatus.NEEDS_REVIEW)
    print("\nCustomer links: " + (", ".join(f"{m} {n}" for m, n in sorted(methods.items())) or "none"))
    print(f"  {review} sessions need review: data/review/<day>.csv")


def print_graph_summary(graph_store: GraphStore) -> None:
    with graph_store.connect() as connection:
        nodes = connection.execute(
            sa.select(graph_nodes.c.node_type, sa.func.count()).group_by(graph_nodes.c.node_type)
        ).all()
        edges = connection.execute(
            sa.select(graph_edges.c.edge_type, sa.func.count()).group_by(graph_edges.c.edge_type)
        ).all()
    print(f"\nKnowledge graph ({graph_store.describe()})")
    print("  nodes: " + (", ".join(f"{kind} {count}" for kind, count in sorted(nodes)) or "none"))
    print("  edges: " + (", ".join(f"{kind} {count}" for kind, count in sorted(edges)) or "none"))


def demo_portal(json_path: Path, sqlite_path: Path) -> int:
    """A local SQLite copy of a portal with the portal's schema, loaded with the bundled sample data."""
    sqlite_path.unlink(missing_ok=True)
    database = SqlDatabase(sqlite_path=str(sqlite_path))
    create_schema(database.engine())
    rows = rows_from_json(json.loads(json_path.read_text()))
    with database.connect() as connection:
        load_rows(connection, rows)
    database.engine().dispose()
    print(f"demo ticketportaal: {sqlite_path} ({', '.join(f'{k} {len(v)}' for k, v in rows.items())})")
    return 0


def ingest_syncro(resources: dict, instance: dg.DagsterInstance, valid: set[str]) -> tuple[set[str], bool]:
    """The customer cache, then the creation days of Syncro's tickets (replay: all; live: the last 30 days)."""
    syncro = resources["syncro"]
    if syncro.mode is None:
        print(f"syncro: skipped. {syncro.describe()}")
        return set(), True
    print(f"syncro: customers, contacts and machines from the {syncro.describe()}")
    ok = dg.materialize(
        [a for a in syncro_assets if not a.partitions_def], instance=instance, resources=resources, run_config=QUIET
    ).success
    since = None if syncro.mode == "replay" else datetime.now(UTC) - timedelta(days=LIVE_INGEST_DAYS)
    days = {creation_day(t, TIMEZONE) for t in syncro.client().tickets(created_after=since)} & valid
    daily = [a for a in syncro_assets if a.partitions_def]
    for first, last in contiguous_ranges(days):
        print(f"syncro: materializing {first} .. {last}")
        ok &= _run(daily, first, last, instance, resources)
    table = pl.read_parquet(Path(syncro.cache_dir) / "customers.parquet")
    print(f"syncro: customer cache {table.height} customers, {Path(syncro.cache_dir) / 'customers.parquet'}")
    return days, ok


def print_index_summary(vector_store: VectorStore) -> None:
    counts = {name: vector_store.collection(name).count() for name in sorted(vector_store.existing_collections())}
    print("\nSemantic index (Chroma): " + (", ".join(f"{n}: {c} chunks" for n, c in counts.items()) or "empty"))
    print('Search it: .venv/bin/sdc search "outlook vraagt om wachtwoord" -k 5')


def print_summary(file_drop: FileDrop, store: SessionStore, quarantine: dict[str, list[Path]]) -> None:
    """Sessions per source and day, the quarantine of the current inbox files, and where things are."""
    print("\nSessions per source and day")
    for name in quarantine:
        per_day = Counter(p.parent.name for p in (Path(store.root) / name).glob("*/*.json"))
        days = ", ".join(f"{day}: {count}" for day, count in sorted(per_day.items())) or "none"
        print(f"  {name:<14} {sum(per_day.values()):>4} sessions  ({days})")
    print("\nQuarantined records")
    for name, paths in quarantine.items():
        entries = [json.loads(line) for path in paths for line in path.read_text().splitlines()]
        print(f"  {name:<14} {len(entries):>4}  {file_drop.quarantine_dir / name}")
        for entry in entries[:5]:
            where = f"{entry.get('file', entry.get('session_key'))} {entry.get('location', '')}".strip()
            print(f"      {where}: {entry['reason'][:100]}")
    print(f"\nSession files: {Path(store.root).resolve()}/<source>/<day>/<session_id>.json")
    print(f"Parsed records: {file_drop.raw_dir.resolve()}/<source>/<day>.parquet")
    print("Open the Dagster UI: make dev  → http://127.0.0.1:3000")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sdc", description="Syncro Data Consolidator")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("ingest", help="materialize every day that the inbox files touch")
    run.add_argument(
        "--source",
        action="append",
        choices=SOURCES,
        help="only this source (repeatable); default: all",
    )
    run.add_argument("--quiet", action="store_true", help="no per-file progress")
    find = commands.add_parser("search", help="find session chunks by meaning")
    find.add_argument("query")
    find.add_argument(
        "--source",
        choices=SCOPES,
        help="only this source (ticketportaal includes its KB articles and CIs) or collection (kb, ci, sessions, "
        "tickets, knowledge_base, configuration_items); default: every collection",
    )
    find.add_argument("--customer", help="only this customer id")
    find.add_argument("--since", type=date.fromisoformat, help="only sessions from this day on (YYYY-MM-DD)")
    find.add_argument("-k", type=_positive, default=5, help="how many chunks (default 5)")
    find.add_argument("--json", action="store_true", help="print JSON for machines")
    portal = commands.add_parser("demo-portal", help="build a local SQLite ticketportaal from sample data")
    portal.add_argument("path", type=Path, help="the SQLite file to (re)create")
    portal.add_argument("--sample", type=Path, default=Path("data/demo/ticketportaal/portal.json"))
    args = parser.parse_args(argv)
    if args.command == "ingest":
        return ingest(args.source or SOURCES, quiet=args.quiet)
    if args.command == "demo-portal":
        return demo_portal(args.sample, args.path)
    return search_command(args)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def search_command(args: argparse.Namespace) -> int:
    """Print the best chunks: score, day, source, the document's identity (and file), and the text."""
    resources = build_definitions().resources
    hits = search(
        args.query,
        resources["embedder"],
        resources["vector_store"],
        Path(resources["session_store"].root),
        k=args.k,
        source=args.source,
        customer=args.customer,
        since=args.since,
    )
    if args.json:
        print(json.dumps([h.as_dict() for h in hits], indent=2, ensure_ascii=False))
        return 0
    if not hits:
        print("no matches")
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank}. {hit.score:.3f}  {hit.day}  {hit.source:<13} {hit.kind:<7} {hit.chunk_type:<11} {hit.customer}")
        print(f"   {hit.identity}" + (f": {hit.title}" if hit.title else "") + (f"  {hit.path}" if hit.path else ""))
        print("   " + " ".join(hit.text.split())[:200] + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
