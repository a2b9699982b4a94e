"""``sdc ingest``: every source, then linking, index and graph for every day they touched.

Each source is tried on its own: one that fails is reported in a line (what, why, what to check) and the
others, and the downstream stages for whatever did load, still run. The command ends with a table of
what succeeded, what failed and what was quarantined, and exits 0 only when everything succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

from sdc_assets.cli.runs import Runner
from sdc_assets.cli.up_to_date import stale_days
from sdc_assets.enrichment.assets import enrichment_assets
from sdc_assets.file_drop.assets import assets_by_source, parse_inbox
from sdc_assets.file_drop.registry import inbox_unchanged
from sdc_assets.file_drop.sources import SOURCES_BY_NAME
from sdc_assets.graph.assets import graph_assets
from sdc_assets.index.assets import daily_index_assets, index_assets
from sdc_assets.index.chunk_table import REFERENCE
from sdc_assets.partitions import START_DATE, TIMEZONE, daily_partitions, local_day, span
from sdc_assets.syncro.assets import listing_states, listings_as_stored, syncro_assets, syncro_sessions
from sdc_assets.syncro.records import clean_ticket
from sdc_assets.syncro.tickets import creation_day, stored_as_listed
from sdc_assets.ticketportaal.assets import ticketportaal_assets, ticketportaal_sessions
from sdc_assets.ticketportaal.fingerprints import days_that_differ, signature_file, stored_signature
from sdc_assets.ticketportaal.installation import Installation
from sdc_assets.ticketportaal.queries import day_fingerprints, reference_signature
from sdc_resources.atomic import write_atomic
from sdc_resources.jsonl import read_jsonl
from sdc_resources.redact import redact

log = logging.getLogger("sdc")
SYNCRO_DAYS = 30  # how far back a live ``sdc ingest`` asks Syncro for tickets (--syncro-days)
DERIVED = "linking, index, graph"
# Every source's sessions run with the stages after them, so that each day those run for has all five (a source
# without data that day has none): the UI then shows no upstream data missing. An unchanged day costs a comparison.
DERIVED_ASSETS = [
    *(a for assets in assets_by_source.values() for a in assets[2:]),
    *syncro_sessions,
    *ticketportaal_sessions,
    *enrichment_assets,
    *daily_index_assets,
    *graph_assets,
]
HINTS = {
    "syncro": "check SYNCRO_SUBDOMAIN (or SDC_SYNCRO_BASE_URL), SYNCRO_API_KEY and its permissions",
    "ticketportaal": "check the TICKETPORTAAL_* settings and that the portal database answers",
}


@dataclass
class Outcome:
    """How one source or stage went."""

    name: str
    status: str = "ok"  # ok | unchanged (no run was needed) | failed | skipped
    days: set[str] = field(default_factory=set)
    runs: int = 0
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    quarantine: list[Path] = field(default_factory=list)
    """The quarantine files of this run's inputs (never those of files no longer in the inbox)."""

    def fail(self, line: str) -> None:
        self.status = "failed"
        self.failures.append(line)


@dataclass
class Ingest:
    """One ``sdc ingest``: the runs it starts and how each source and stage went."""

    runner: Runner
    resources: dict
    """As the runs get them (secrets as ``dg.EnvVar``)."""
    resolved: dict
    """The same, resolved, for the reads this command does itself (which days a source has)."""
    say: Callable[[str], object] = print
    progress: Callable[[str], object] = print
    syncro_days: int = SYNCRO_DAYS
    relink: bool = False
    """Link every stored session again (never over a person's decision), on every day sessions are stored."""
    outcomes: list[Outcome] = field(default_factory=list)

    def run_days(self, outcome: Outcome, job: str, assets: list, days: set[str], ops: dict | None = None) -> None:
        """One run over the span of ``days``; the days between that did not change cost a comparison each."""
        if not days:
            return
        first, last = span(days)
        self.say(f"{outcome.name}: materializing {first} .. {last} ({len(days)} day(s) touched)")
        result = self.runner.materialize(assets, first, last, ops, job=job)
        outcome.runs += 1
        if not result.ok:
            outcome.fail(f"{first} .. {last} (run {result.run_id}): {'; '.join(result.failures)}")

    def attempt(self, name: str, work: Callable[[Outcome], None]) -> Outcome:
        """Run ``work`` for one source; an exception fails that source alone, in one line."""
        outcome = Outcome(name)
        try:
            work(outcome)
        except Exception as exc:
            log.exception("%s failed", name)
            first_line = (str(exc).strip().splitlines() or [""])[0]
            outcome.fail(redact(f"{type(exc).__name__}: {first_line}"))
        if outcome.status == "ok" and not outcome.runs:
            outcome.status = "unchanged"
        if outcome.status == "failed":
            hint = HINTS.get(name, "see the log")
            self.say(f"{name}: FAILED: {outcome.failures[0]} ({hint})")
        self.outcomes.append(outcome)
        return outcome

    def file_source(self, outcome: Outcome) -> None:
        """Every day the inbox's files touch, and every day stored from earlier files (so that the sessions of a
        file removed or changed since leave), as the drop-folder sensor does."""
        source, file_drop = SOURCES_BY_NAME[outcome.name], self.resolved["file_drop"]
        file_drop.inbox(outcome.name).mkdir(parents=True, exist_ok=True)  # where to drop them, from the first run
        files = parse_inbox(source, file_drop, self.progress)
        stored = {p.stem for p in (file_drop.raw_dir / outcome.name).glob("*.parquet")}
        if not files and not stored:
            outcome.status = "skipped"
            outcome.notes.append(f"no {' or '.join(source.patterns)} files in {file_drop.inbox(outcome.name)}")
            return
        outcome.notes += [
            f"{f.relpath} could not be read to its end ({f.records} records before that); copied to the quarantine"
            for f in files
            if f.error
        ]
        outcome.notes += [
            f"{path} ignored: not a {' or '.join(source.patterns)} file"
            for path in file_drop.others(outcome.name, source.patterns)
        ]
        days = {day for f in files for day in f.days}
        outcome.days = (days | stored) & _valid_days()
        if outside := sorted(days - outcome.days):
            which = sorted({f.relpath for f in files if set(f.days) & set(outside)})
            note = (
                f"records on {len(outside)} day(s) before the first partition ({START_DATE}) or in the future were "
                f"skipped: {', '.join(outside[:5])}{' …' if len(outside) > 5 else ''}, in {', '.join(which[:5])}"
            )
            self.say(f"{outcome.name}: {note}")
            outcome.notes.append(note)
        if inbox_unchanged(source, file_drop):
            outcome.notes.append("the inbox holds the files the last run read: nothing to do")
        else:
            self.run_days(outcome, f"ingest_{outcome.name}", assets_by_source[outcome.name], outcome.days)
        folder = file_drop.quarantine_dir / outcome.name
        outcome.quarantine = [Path(f.quarantine) for f in files if f.quarantine] + _existing(
            folder / f"sessions-{day}.jsonl" for day in sorted(outcome.days)
        )

    def syncro(self, outcome: Outcome) -> None:
        """The customer cache, then the creation days of Syncro's tickets (replay: all; live: the last 30 days)."""
        syncro = self.resolved["syncro"]
        if syncro.mode is None:
            outcome.status = "skipped"
            outcome.notes.append(syncro.describe())
            return
        client = syncro.client(progress=self.progress)
        cache = Path(syncro.cache_dir) / "customers.parquet"
        if cache.exists() and listings_as_stored(client, Path(syncro.raw_dir)):
            outcome.notes.append("customers, contacts and machines equal what is stored: nothing to do")
        else:
            self.say(f"syncro: customers, contacts and machines from the {syncro.describe()}")
            result = self.runner.materialize(
                [a for a in syncro_assets if not a.partitions_def], job="ingest_syncro_customers"
            )
            outcome.runs += 1
            if not result.ok:
                outcome.fail(f"customer cache (run {result.run_id}): {'; '.join(result.failures)}")
        outcome.notes += [
            f"customer cache: {name} {state}"
            for name, state in listing_states(Path(syncro.raw_dir)).items()
            if not state.startswith("fetched")
        ]
        since = None if syncro.mode == "replay" else datetime.now(UTC) - timedelta(days=self.syncro_days)
        tickets = [t for raw in client.tickets(created_after=since) for t in [clean_ticket(raw, syncro.zone)[0]] if t]
        if client.incomplete:  # absent tickets would read as deleted ones: no day is touched
            outcome.fail(f"the ticket listing was incomplete, stored days left as they were: {client.incomplete[0]}")
            return
        listed: dict[str, list[dict]] = {}
        for ticket in tickets:
            listed.setdefault(creation_day(ticket, TIMEZONE, syncro.zone), []).append(ticket)
        first = local_day(since) if since else "0001-01-01"
        folder = Path(syncro.raw_dir) / "tickets"
        stored = {p.stem for p in folder.glob("*.jsonl") if p.stem >= first}
        outcome.days = (set(listed) | stored) & _valid_days()  # stored days too: a ticket deleted in Syncro leaves
        changed = {
            d for d in outcome.days if not stored_as_listed(listed.get(d, []), read_jsonl(folder / f"{d}.jsonl"))
        }
        if not changed:
            outcome.notes.append("every day's tickets equal what is stored: nothing to do")
        outcome.notes += client.notices
        self.run_days(outcome, "ingest_syncro_tickets", [a for a in syncro_assets if a.partitions_def], changed)
        outcome.quarantine = sorted(Path(syncro.quarantine_dir).glob("*.jsonl"))

    def ticketportaal(self, outcome: Outcome) -> None:
        """KB articles and CIs (into their collections), then every creation day of the portal's tickets."""
        portal = self.resolved["ticketportaal"]
        if not portal.configured:
            outcome.status = "skipped"
            outcome.notes.append(portal.describe())
            return
        database, signature = portal.run(_portal_state, "ticketportaal fingerprints")
        if stored_signature(portal.raw_dir) != signature:
            self.say(f"ticketportaal: knowledge base and configuration items from the {portal.describe()}")
            reference = [a for a in [*ticketportaal_assets, *index_assets] if not a.partitions_def]
            result = self.runner.materialize(reference, job="ingest_ticketportaal_reference")
            outcome.runs += 1
            if result.ok:
                write_atomic(signature_file(portal.raw_dir), signature.encode())
            else:
                outcome.fail(f"knowledge base and CIs (run {result.run_id}): {'; '.join(result.failures)}")
        stored = {p.stem for p in portal.tickets_dir.glob("*.jsonl")}  # deleted tickets leave
        outcome.days = (set(database) | stored) & _valid_days()
        changed = days_that_differ(database, portal.tickets_dir, outcome.days)
        if not changed:
            outcome.notes.append("every day's tickets equal what is stored: nothing to do")
        self.run_days(
            outcome, "ingest_ticketportaal_tickets", [a for a in ticketportaal_assets if a.partitions_def], changed
        )
        outcome.quarantine = sorted(Path(portal.quarantine_dir).glob("*.jsonl"))

    def reindex_reference(self, outcome: Outcome, model: str) -> None:
        """KB articles and CIs embedded again with ``model`` from their stored copies (the portal need not be
        reachable), so the graph never compares two models' vectors."""
        if not self.resolved["index_store"].chunks_path(REFERENCE).exists():
            return
        result = self.runner.materialize(
            [a for a in index_assets if not a.partitions_def], job="ingest_reindex_reference"
        )
        outcome.runs += 1
        if not result.ok:
            outcome.fail(f"knowledge base and CIs with {model} (run {result.run_id}): {'; '.join(result.failures)}")

    def derived(self, outcome: Outcome) -> None:
        """Linking, analysis, chunks, embeddings, Chroma and the graph for every day a source touched or stored
        that some stage has not finished for its current files and settings."""
        touched = {day for o in self.outcomes for day in o.days}
        stored = self.resolved["session_store"].stored_days() & _valid_days()
        everything = self.relink
        if self.relink:
            outcome.notes.append("every stored session linked again (--relink)")
        model = self.resolved["embedder"].model_id
        if any(held != model for held in self.resolved["vector_store"].held_models().values()):
            self.reindex_reference(outcome, model)
            everything = True
            outcome.notes.append(f"every stored day indexed again: the index held another model's than {model}")
        candidates = touched | stored
        if not candidates:
            outcome.status = "skipped"
            outcome.notes.append("no sessions stored yet: nothing to link, index or graph")
            return
        stale = candidates if everything else stale_days(candidates, self.resolved)
        outcome.days = stale or candidates  # with nothing to do, the days compared (as the sources count theirs)
        if not stale:
            outcome.notes.append("every day's sessions, chunks, vectors and graph are up to date")
            return
        ops = {"linked_sessions": {"config": {"relink": True}}} if self.relink else None
        self.run_days(outcome, "ingest_sessions_to_graph", DERIVED_ASSETS, outcome.days, ops)
        folder = Path(self.resolved["file_drop"].quarantine_dir) / "enrichment"
        outcome.quarantine = _existing(
            folder / f"{step}-{day}.jsonl" for day in sorted(outcome.days) for step in ("linking", "analysis")
        )

    def run(self, sources: list[str]) -> list[Outcome]:
        self.runner.clear_dead_runs()
        for name in sources:
            if name in SOURCES_BY_NAME:
                self.attempt(name, self.file_source)
        if "syncro" in sources:
            self.attempt("syncro", self.syncro)
        if "ticketportaal" in sources:
            self.attempt("ticketportaal", self.ticketportaal)
        self.say("linking, index and graph: customers, chunks, embeddings, Chroma and the graph")
        self.attempt(DERIVED, self.derived)
        return self.outcomes


def _portal_state(connection) -> tuple[dict[str, str], str]:
    """The fingerprint of every creation day's tickets, and the signature of the KB articles and CIs."""
    installation = Installation.read(connection)
    return day_fingerprints(connection, installation, None, TIMEZONE), reference_signature(connection, installation)


def _valid_days() -> set[str]:
    return set(daily_partitions.get_partition_keys())


def resolve(resources: dict) -> dict:
    """The resources with their ``dg.EnvVar`` fields read, for this command's own reads."""
    return {
        key: value.process_config_and_initialize() if isinstance(value, dg.ConfigurableResource) else value
        for key, value in resources.items()
    }


def _existing(paths) -> list[Path]:
    return [path for path in paths if path.exists()]
