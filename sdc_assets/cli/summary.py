"""What ``sdc ingest`` prints at the end: sessions, quarantine, links, index, graph, and the result table.

Every part reads what is on disk and in the stores as it is; a part that cannot be read (a store that
does not exist yet on a first run) says so in its line and never stops the others.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from sdc_assets.cli.ingest import Outcome
from sdc_assets.sessions.model import Session, SessionStatus
from sdc_assets.sessions.store import SessionStore
from sdc_resources.data_dir import default_data_path
from sdc_resources.graph_store import GraphStore, graph_edges, graph_nodes
from sdc_resources.index_store import IndexStore
from sdc_resources.redact import redact

log = logging.getLogger("sdc")
QUARANTINE_LINES = 5  # per source in the quarantine section
RESULT_LINES = 10  # quarantined records listed per source in the result table


def guarded(title: str, part: Callable[[], None]) -> None:
    """Print one part of the summary; if it cannot be read, say so in a line and go on."""
    try:
        part()
    except Exception as exc:
        log.exception("summary part %s", title)
        print(f"\n{title}: could not be read ({redact(f'{type(exc).__name__}: {exc}')[:200]})")


def quarantine_entries(paths: list[Path]) -> list[dict]:
    entries = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as handle:
            entries += [json.loads(line) for line in handle if line.strip()]
    return entries


def entry_line(entry: dict) -> str:
    """One quarantined record: where it was (file and line, session, or Syncro endpoint, id and field), why."""
    if "endpoint" in entry:  # a Syncro problem
        where = f"{entry['endpoint']} id {entry.get('id') or '?'} field {entry.get('field') or '?'}"
    else:
        where = f"{entry.get('file', entry.get('session_key', ''))} {entry.get('location', '')}".strip()
    return f"{where}: {' '.join(str(entry.get('reason', '')).split())[:160]}"


def command_prefix() -> str:
    """What a printed command needs in front to use this data folder (nothing for the default ./data)."""
    data = default_data_path()
    return "" if data == Path("data").absolute() else f"SDC_DATA_DIR={shlex.quote(str(data))} "


def print_sessions(store: SessionStore, outcomes: list[Outcome], quarantine_root: Path) -> None:
    """Sessions per source and day, and the quarantine of the current inputs."""
    print("\nSessions per source and day")
    for outcome in (o for o in outcomes if o.name != "linking, index, graph"):
        per_day = Counter(p.parent.name for p in (Path(store.root) / outcome.name).glob("*/*.json"))
        days = ", ".join(f"{day}: {count}" for day, count in sorted(per_day.items())) or "none"
        print(f"  {outcome.name:<14} {sum(per_day.values()):>4} sessions  ({days})")
    print("\nQuarantined records")
    for outcome in outcomes:
        entries = quarantine_entries(outcome.quarantine)
        if outcome.name == "linking, index, graph" and not entries:
            continue
        folder = quarantine_root / ("enrichment" if outcome.name == "linking, index, graph" else outcome.name)
        print(f"  {outcome.name:<14} {len(entries):>4}  {folder}")
        for entry in entries[:QUARANTINE_LINES]:
            print(f"      {entry_line(entry)}")
        if len(entries) > QUARANTINE_LINES:
            print(f"      ... and {len(entries) - QUARANTINE_LINES} more, listed below and in {folder}")
    print(f"\nSession files: {Path(store.root).resolve()}/<source>/<day>/<session_id>.json")


def print_links(store: SessionStore, review_dir: Path, cache: Path) -> None:
    sessions = [Session.model_validate_json(p.read_bytes()) for p in Path(store.root).glob("*/*/*.json")]
    methods = Counter(s.context.link_method or s.meta.status.value for s in sessions)
    review = sum(1 for s in sessions if s.meta.status == SessionStatus.NEEDS_REVIEW)
    print("\nCustomer links: " + (", ".join(f"{m} {n}" for m, n in sorted(methods.items())) or "none"))
    if review:
        print(f"  {review} sessions need review: {review_dir}/<day>.csv")
    if sessions and not cache.exists():
        print(f"  no customer cache yet, so nothing was linked: {command_prefix()}.venv/bin/sdc ingest --source syncro")


def print_index(index_store: IndexStore) -> None:
    """What Chroma holds per collection, from SDC's record of it (opening Chroma would rewrite its files), and
    a search command per kind of document with a title from the user's own data."""
    records = index_store.index_records()
    held = pl.scan_parquet(records).group_by("collection").len().collect() if records else pl.DataFrame()
    counts = dict(sorted(zip(held["collection"], held["len"], strict=True))) if held.height else {}
    print("\nSemantic index (Chroma): " + (", ".join(f"{n}: {c} chunks" for n, c in counts.items()) or "empty"))
    kinds = (
        (("tickets", "sessions"), ""),
        (("knowledge_base",), " --source kb"),
        (("configuration_items",), " --source ci"),
    )
    tables = index_store.chunk_tables()[::-1]  # the newest days first
    examples = [
        (query, flag) for names, flag in kinds if (query := _example_query(tables, [n for n in names if counts.get(n)]))
    ]
    for n, (query, flag) in enumerate(examples):
        print(f"{'Search it:' if n == 0 else '':<10} {command_prefix()}.venv/bin/sdc search {shlex.quote(query)}{flag}")


def _example_query(tables: list[Path], names: list[str]) -> str | None:
    """A title from the chunk tables, so the printed example finds something in the user's own data."""
    for name in names:
        titles: set[str] = set()
        for table in tables:
            frame = pl.read_parquet(table, columns=["collection", "metadata"]).filter(pl.col("collection") == name)
            titles |= {t for m in frame["metadata"].head(50) if (t := json.loads(m).get("title"))}
            if len(titles) >= 10:
                break
        if titles:
            ordered = sorted(titles, key=lambda t: (len(t), t))
            return ordered[len(ordered) // 2]
    return None


def print_graph(graph_store: GraphStore) -> None:
    print(f"\nKnowledge graph ({graph_store.describe()})")
    with graph_store.connect() as connection:
        if not sa.inspect(connection).has_table(graph_nodes.name):
            print("  empty: nothing has been written to the graph yet")
            return
        nodes = connection.execute(
            sa.select(graph_nodes.c.node_type, sa.func.count()).group_by(graph_nodes.c.node_type)
        ).all()
        edges = connection.execute(
            sa.select(graph_edges.c.edge_type, sa.func.count()).group_by(graph_edges.c.edge_type)
        ).all()
    print("  nodes: " + (", ".join(f"{kind} {count}" for kind, count in sorted(nodes)) or "none"))
    print("  edges: " + (", ".join(f"{kind} {count}" for kind, count in sorted(edges)) or "none"))


def ui_command() -> str:
    port = os.environ.get("SDC_UI_PORT", "3000")
    return f"{command_prefix()}make dev  → http://127.0.0.1:{port}"


def print_result(outcomes: list[Outcome], log_path: Path) -> tuple[int, int]:
    """The closing table: per source and stage its status, days and quarantined records, then every failure
    and quarantined record in a line. Returns the number of failed parts and of quarantined records."""
    print("\nResult")
    print(f"  {'part':<22} {'status':<9} {'days':>5} {'quarantined':>12}")
    failed = quarantined = 0
    details: list[str] = []
    for outcome in outcomes:
        entries = quarantine_entries(outcome.quarantine)
        failed += outcome.status == "failed"
        quarantined += len(entries)
        print(f"  {outcome.name:<22} {outcome.status:<9} {len(outcome.days):>5} {len(entries):>12}")
        details += [f"  {outcome.name} FAILED: {line}" for line in outcome.failures]
        details += [f"  {outcome.name} note: {note}" for note in outcome.notes if outcome.status != "skipped"]
        details += [f"  {outcome.name} skipped: {note}" for note in outcome.notes if outcome.status == "skipped"]
        details += [f"  {outcome.name} quarantined: {entry_line(e)}" for e in entries[:RESULT_LINES]]
        if len(entries) > RESULT_LINES:
            details.append(f"  {outcome.name} quarantined: ... and {len(entries) - RESULT_LINES} more")
    for line in details:
        print(redact(line))
    if failed:
        print(f"Details and tracebacks: {log_path} (or run with --verbose); every run is in the UI: {ui_command()}")
    return failed, quarantined
