"""What the graph is built from: each day's sessions with their portal records, the entities read from them
(cached per session), the KB articles their resolutions match, and the portal's reference data."""

import functools
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from sdc_assets.graph.build import Graph, day_graph, is_resolved, ner_texts, reference_graph, session_node_id
from sdc_assets.graph.entities import RULER, Entity, KnownName, known_names_fingerprint
from sdc_assets.graph.kb_references import Articles
from sdc_assets.graph.scoped import DayGraph
from sdc_assets.graph.similarity import Vectors, kb_vectors, resolved_by
from sdc_assets.index.chunk_table import CHUNK_SCHEMA, REFERENCE
from sdc_assets.index.collections import COLLECTION_OF_SOURCE
from sdc_assets.sessions.model import Session
from sdc_assets.sessions.store import SessionStore
from sdc_assets.ticketportaal.installation import Installation
from sdc_assets.ticketportaal.queries import fetch_reference
from sdc_resources.atomic import write_atomic_with
from sdc_resources.entity_model import EntityModel
from sdc_resources.index_store import IndexStore
from sdc_resources.jsonl import read_jsonl
from sdc_resources.redact import redact
from sdc_resources.ticketportaal import Ticketportaal

ENTITY_SCHEMA = {"session_id": pl.String, "version": pl.String, "entities": pl.String}


class Timings(Counter):
    """Seconds spent per phase of a step."""

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        mark = time.perf_counter()
        try:
            yield
        finally:
            self[phase] += time.perf_counter() - mark


def entities_for_day(
    sessions: list[Session], cache: Path, nlp: Callable, model: str, names: dict[str, KnownName], batch_size: int
) -> tuple[dict[str, list[Entity]], int]:
    """Entities per session id, extracted only for sessions whose content, model or CMDB names changed; and how
    many sessions were read."""
    fingerprint = known_names_fingerprint(names)
    versions = {
        s.meta.session_id: hashlib.sha256(f"{s.meta.content_hash}|{model}|{fingerprint}".encode()).hexdigest()[:24]
        for s in sessions
    }
    old = pl.read_parquet(cache) if cache.exists() else pl.DataFrame(schema=ENTITY_SCHEMA)
    kept = {r["session_id"]: r for r in old.iter_rows(named=True) if versions.get(r["session_id"]) == r["version"]}
    todo = [s for s in sessions if s.meta.session_id not in kept]
    fresh: list[list[Entity]] = []
    if todo:
        from sdc_assets.graph.entity_ruler import extract  # spaCy, only when there is text to read

        fresh = extract(nlp(), [ner_texts(s) for s in todo], batch_size)
    rows = list(kept.values()) + [
        {
            "session_id": s.meta.session_id,
            "version": versions[s.meta.session_id],
            "entities": json.dumps([e.__dict__ for e in found], ensure_ascii=False),
        }
        for s, found in zip(todo, fresh, strict=True)
    ]
    frame = pl.DataFrame(rows, schema=ENTITY_SCHEMA).sort("session_id")
    if todo or frame.height != old.height:
        write_atomic_with(cache, frame.write_parquet)
    return {r["session_id"]: [Entity(**e) for e in json.loads(r["entities"])] for r in rows}, len(todo)


def kb_articles(ticketportaal: Ticketportaal) -> list[dict]:
    """The published KB articles as last synced."""
    return read_jsonl(Path(ticketportaal.raw_dir) / "ticketportaal_kb.jsonl")


def read_reference(ticketportaal: Ticketportaal) -> tuple[Graph | None, list[dict], str]:
    """The reference graph, the CIs (for the entity ruler) and what became of the reference: without a portal,
    or one that cannot be read, the days' graphs are still built and the reference rows are left as they are."""
    cis = read_jsonl(Path(ticketportaal.raw_dir) / "ticketportaal_cis.jsonl")
    if not ticketportaal.configured:
        return None, cis, ticketportaal.describe()
    try:
        tables = ticketportaal.run(
            lambda c: fetch_reference(c, Installation.read(c)), "ticketportaal users and categories"
        )
    except Exception as exc:
        return None, cis, f"not synced, the portal could not be read: {redact(str(exc).splitlines()[0])}"
    return reference_graph(tables["users"], tables["categories"], kb_articles(ticketportaal), cis), cis, "synced"


def ticket_node_of(session: Session) -> str | None:
    """The session's ticket node, or None for a session that is no ticket."""
    if COLLECTION_OF_SOURCE[session.meta.source_system.value] != "tickets":
        return None
    return session_node_id(session.meta.source_system.value, session.meta.source_ref, session.meta.session_id)


@dataclass
class DayReader:
    """Reads and builds one day's graph at a time, loading the entity pipeline only when a session needs it."""

    session_store: SessionStore
    index_store: IndexStore
    ticketportaal: Ticketportaal
    entity_model: EntityModel
    entity_cache: Path
    names: dict[str, KnownName]
    resolution_threshold: float
    neighbours: int
    timings: Timings = field(default_factory=Timings)
    tickets: set[str] = field(default_factory=set)

    @functools.cached_property
    def _articles(self) -> Articles:
        return Articles.of(kb_articles(self.ticketportaal))

    @functools.cached_property
    def _kb(self) -> Vectors:
        return kb_vectors(self.index_store, REFERENCE)

    @functools.cached_property
    def _pipeline(self):
        import sdc_assets.graph.entity_ruler  # noqa: F401  registers the ruler component with spaCy

        pipeline = self.entity_model.load()
        pipeline.add_pipe(RULER, before="ner").set_names(self.names, pipeline)
        return pipeline

    def day(self, day: str) -> DayGraph:
        sessions = self.session_store.read_day(day)
        portal = {f"ticket/{r['ticket_id']}": r for r in read_jsonl(self.ticketportaal.tickets_dir / f"{day}.jsonl")}
        with self.timings.timed("entities"):
            entities, read = entities_for_day(
                sessions,
                self.entity_cache / f"{day}.parquet",
                lambda: self._pipeline,
                self.entity_model.model,
                self.names,
                self.entity_model.batch_size,
            )
        with self.timings.timed("vector_matches"):
            frame = self.index_store.read(self.index_store.chunks_path(day), CHUNK_SCHEMA)
            done = {s.meta.session_id for s in sessions if is_resolved(s)}
            resolved = resolved_by(frame, done, self._kb, self.index_store, self.resolution_threshold, self.neighbours)
        self.tickets |= {node for s in sessions if (node := ticket_node_of(s))}
        graph = day_graph(sessions, portal, entities, self.names, resolved, self._articles)
        return DayGraph(day, len(sessions), sum(len(v) for v in entities.values()), graph, read)
