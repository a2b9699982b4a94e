"""The ``sdc`` command: ``ingest`` every source, ``search`` the index, build a ``demo-portal``."""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import dagster as dg

from sdc_assets.index.search import SCOPES
from sdc_resources.data_dir import default_data_path
from sdc_resources.redact import redact
from sdc_resources.settings import SettingError

log = logging.getLogger("sdc")
SOURCES = ["screenconnect", "sillytavern", "notes", "syncro", "ticketportaal"]
EXIT_INTERRUPTED = 130


class RedactingFormatter(logging.Formatter):
    """Log lines, tracebacks included, without the configured secrets."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(verbose: bool) -> Path:
    """Full details (tracebacks) to ``<data>/logs/sdc.log``; with ``verbose`` to stderr as well."""
    path = default_data_path("logs", "sdc.log")
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    handlers: list[logging.Handler] = [handler]
    if verbose:
        handlers.append(logging.StreamHandler(sys.stderr))
    for h in handlers:
        h.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.handlers[:] = handlers
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
    return path


def instance() -> dg.DagsterInstance:
    """The Dagster instance the UI shows: ``DAGSTER_HOME``, else ``<data>/dagster`` with this folder's
    ``dagster.yaml`` pointed at the data folder (what ``make demo`` and ``make dev`` set up)."""
    if "DAGSTER_HOME" not in os.environ:
        home = default_data_path("dagster")
        home.mkdir(parents=True, exist_ok=True)
        if Path("dagster.yaml").exists():
            config = Path("dagster.yaml").read_text().replace("base_dir: data/", f"base_dir: {default_data_path()}/")
            if not (home / "dagster.yaml").exists() or (home / "dagster.yaml").read_text() != config:
                (home / "dagster.yaml").write_text(config)
        os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.get()


def _told(quiet: bool) -> Callable[[str], None]:
    """A line to the log, and printed unless ``quiet``."""

    def tell(line: str) -> None:
        log.info(line)
        if not quiet:
            print(line, flush=True)

    return tell


def ingest_command(args: argparse.Namespace) -> int:
    from sdc_assets.cli import summary
    from sdc_assets.cli.ingest import Ingest, resolve
    from sdc_assets.cli.runs import Interrupted, Runner, StopOnSignal
    from sdc_assets.definitions import build_definitions

    log_path = setup_logging(args.verbose)
    resources = build_definitions().resources
    resolved = resolve(resources)
    runner = Runner(instance(), resources, verbose=args.verbose)
    say, progress = _told(quiet=False), _told(quiet=args.quiet)  # and written to the log
    job = Ingest(runner, resources, resolved, say, progress, syncro_days=args.syncro_days, relink=args.relink)
    try:
        with StopOnSignal():
            outcomes = job.run(args.source or SOURCES)
    except (Interrupted, KeyboardInterrupt) as exc:
        runner.fail_own_runs(f"sdc ingest was stopped ({exc or 'interrupted'})")
        print(f"\nsdc ingest: stopped ({exc or 'interrupted'}); its unfinished runs are marked failed", flush=True)
        return EXIT_INTERRUPTED
    for outcome in outcomes:
        log.info(f"{outcome.name}: {outcome.status}, {len(outcome.days)} day(s), {outcome.runs} run(s)")
    file_drop = resolved["file_drop"]
    summary.guarded(
        "Sessions", lambda: summary.print_sessions(resolved["session_store"], outcomes, file_drop.quarantine_dir)
    )
    cache = Path(resolved["syncro"].cache_dir) / "customers.parquet"
    review = default_data_path("review")
    summary.guarded("Customer links", lambda: summary.print_links(resolved["session_store"], review, cache))
    summary.guarded("Semantic index", lambda: summary.print_index(resolved["index_store"]))
    summary.guarded("Knowledge graph", lambda: summary.print_graph(resolved["graph_store"]))
    failed, quarantined = summary.print_result(outcomes, log_path)
    print(f"Open the Dagster UI: {summary.ui_command()}")
    if quarantined and not failed and not args.allow_quarantine:
        print(f"sdc ingest: exit 1: {quarantined} record(s) quarantined (listed above); --allow-quarantine accepts")
    return 1 if failed or (quarantined and not args.allow_quarantine) else 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day (YYYY-MM-DD)") from None


def search_command(args: argparse.Namespace) -> int:
    """Print the best documents: score, day, source, kind, the document's identity (and file), its best text;
    with ``--batch``, one JSON line of hits per query line."""
    from sdc_assets.definitions import build_definitions
    from sdc_assets.index.search import Query, search

    resources = build_definitions().resources
    store = resources["vector_store"]
    if not store.host and not (Path(store.path) / "chroma.sqlite3").exists():
        print(f"no index at {store.path}: run sdc ingest first (or set SDC_DATA_DIR to the data folder you use)")
        return 1
    index = (resources["embedder"], store, resources["index_store"].lexical, Path(resources["session_store"].root))
    if args.batch:
        return _search_batch(args.batch, index)
    query = Query(args.query, args.k, args.source, args.customer, args.since, args.kind)
    try:
        hits = search(query, *index)
    except ValueError as exc:
        print(exc)
        return 1
    if args.json:
        print(json.dumps([h.as_dict() for h in hits], indent=2, ensure_ascii=False))
        return 0
    if not hits:
        print("no matches")
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank}. {hit.score:.4f}  {hit.day}  {hit.source:<13} {hit.kind:<7} {hit.chunk_type:<11} {hit.customer}")
        ref = f" ({hit.source_ref})" if hit.kind in ("ticket", "session") and hit.source_ref else ""
        print(
            f"   {hit.identity}{ref}" + (f": {hit.title}" if hit.title else "") + (f"  {hit.path}" if hit.path else "")
        )
        print("   " + " ".join(hit.text.split())[:200] + "\n")
    return 0


def _search_batch(path: Path, index: tuple) -> int:
    """Answer every query of a JSON-lines file in this one process: one JSON line out per line in, in order."""
    from sdc_assets.index.search import KINDS, MODES, Query, search

    problems = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            spec = json.loads(line)
            since = date.fromisoformat(spec["since"]) if spec.get("since") else None
            kind = spec.get("kind")
            if kind is not None and kind not in KINDS:
                raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
            if spec.get("mode", "hybrid") not in MODES:
                raise ValueError(f"unknown mode {spec['mode']!r}; one of {', '.join(MODES)}")
            if not isinstance(spec.get("query"), str) or not spec["query"].strip():
                raise ValueError('no query: each line needs a non-empty "query"')
            query = Query(spec["query"], int(spec.get("k", 10)), spec.get("source"), spec.get("customer"), since, kind,
                          spec.get("mode", "hybrid"))  # fmt: skip
            hits = [h.as_dict() for h in search(query, *index)]
            print(json.dumps({"line": number, "query": spec["query"], "hits": hits}, ensure_ascii=False))
        except (ValueError, KeyError, TypeError) as exc:
            problems += 1
            print(json.dumps({"line": number, "error": f"{type(exc).__name__}: {exc}"}, ensure_ascii=False))
    return 1 if problems else 0


def demo_portal_command(args: argparse.Namespace) -> int:
    """A local SQLite copy of a portal with the portal's schema, loaded with the bundled sample data."""
    from sdc_resources.sql_database import SqlDatabase
    from sdc_resources.ticketportaal_schema import create_schema, load_rows, rows_from_json

    args.path.unlink(missing_ok=True)
    database = SqlDatabase(sqlite_path=str(args.path))
    create_schema(database.engine())
    rows = rows_from_json(json.loads(args.sample.read_text()))
    with database.connect() as connection:
        load_rows(connection, rows)
    database.engine().dispose()
    print(f"demo ticketportaal: {args.path} ({', '.join(f'{k} {len(v)}' for k, v in rows.items())})")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="sdc", description="Syncro Data Consolidator")
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("ingest", help="materialize every source, then linking, index and graph")
    run.add_argument("--source", action="append", choices=SOURCES, help="only this source (repeatable); default: all")
    run.add_argument("--quiet", action="store_true", help="no per-file progress")
    run.add_argument(
        "--syncro-days",
        type=_positive,
        default=30,
        help="how many days back a live Syncro is asked for tickets (default 30; older days: a backfill in the UI)",
    )
    run.add_argument("--verbose", action="store_true", help="print full tracebacks and details (always in the log)")
    run.add_argument(
        "--relink",
        action="store_true",
        help="link every stored session to its customer again (a person's decision is kept)",
    )
    run.add_argument(
        "--allow-quarantine",
        action="store_true",
        help="exit 0 when every source and stage succeeded even if records were quarantined",
    )
    run.set_defaults(handler=ingest_command)
    find = commands.add_parser("search", help="find sessions, tickets, KB articles and CIs by meaning")
    find.add_argument("query", nargs="?", default="", help="what to look for (leave out with --batch)")
    find.add_argument("--kind", choices=["ticket", "session", "kb", "ci"], help="only this kind of document")
    find.add_argument("--batch", type=Path, help="a JSON-lines file of queries: one JSON line of hits per query")
    find.add_argument(
        "--source",
        choices=SCOPES,
        help="only this source (ticketportaal includes its KB articles and CIs) or collection (kb, ci, sessions, "
        "tickets, knowledge_base, configuration_items); default: every collection",
    )
    find.add_argument("--customer", help="only this customer id")
    find.add_argument("--since", type=_day, help="only from this day on (YYYY-MM-DD)")
    find.add_argument("-k", type=_positive, default=5, help="how many documents (default 5)")
    find.add_argument("--json", action="store_true", help="print JSON for machines")
    find.set_defaults(handler=search_command)
    portal = commands.add_parser("demo-portal", help="build a local SQLite ticketportaal from sample data")
    portal.add_argument("path", type=Path, help="the SQLite file to (re)create")
    portal.add_argument("--sample", type=Path, default=Path("data/demo/ticketportaal/portal.json"))
    portal.set_defaults(handler=demo_portal_command)
    return root


def main(argv: list[str] | None = None) -> int:
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens, also through a pipe or a log
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except SettingError as exc:  # a variable SDC cannot use: say which, in a line
        print(f"sdc: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`sdc search … | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
