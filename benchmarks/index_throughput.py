"""Throughput of the index path (chunks → embeddings → Chroma) against a bare ``model.encode``.

Writes N synthetic MSP sessions over ten days into a scratch session store, then
materializes the real ``chunks``, ``embeddings`` and ``chroma_collections``
assets for those days in one run (the model is loaded before the clock starts),
runs them again on unchanged data, and encodes the same chunk texts with the
bare model (the default, USE multilingual v3 on numpy). Then encodes those texts with every backend of the
bundled sentence-transformers model all-MiniLM-L6-v2 (torch, onnx, onnx-int8) and compares their vectors
with torch fp32's. Prints tables, or with ``--json``
one object with the keys bare_chunks_per_s, pipeline_chunks_per_s, ratio,
first_seconds, rerun_seconds, rerun_embedded, chroma_docs_per_s, peak_rss_mb
and backends.

    python benchmarks/index_throughput.py --sessions 1000
"""

import argparse
import json
import random
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg

from sdc_assets.cli.runs import QUIET
from sdc_assets.index.assets import chroma_collections, chunks, embeddings
from sdc_assets.index.chunk_table import CHUNK_SCHEMA
from sdc_assets.index.chunking import normalize
from sdc_assets.partitions import days_between, partition_range_tags
from sdc_assets.sessions.model import (
    AuthorRole,
    SegmentKind,
    Session,
    SessionContext,
    SessionInsights,
    SessionMeta,
    SessionSegment,
    SourceSystem,
)
from sdc_assets.sessions.store import SessionStore
from sdc_resources.embedder import BACKENDS, BUNDLED_MODEL, USE_MODEL, Embedder
from sdc_resources.index_store import IndexStore
from sdc_resources.vector_store import VectorStore

FIRST_DAY = date(2025, 1, 6)
DAYS = 10
WORDS = ["printer", "spooler", "Outlook", "wachtwoord", "VPN", "firewall", "back-up", "Veeam", "schijf", "server"]
WORDS += ["laptop", "update", "driver", "netwerk", "wifi", "licentie", "Teams", "SharePoint", "MFA", "account"]
WORDS += ["klant", "herstart", "foutmelding", "toner", "scanner", "NAS", "share", "rechten", "profiel", "migratie"]


def _text(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def synthetic_session(i: int, rng: random.Random) -> Session:
    day = FIRST_DAY + timedelta(days=i % DAYS)
    start = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(minutes=i % 480)
    segments = [
        SessionSegment(
            timestamp=start,
            author="Klant",
            author_role=AuthorRole.CUSTOMER,
            kind=SegmentKind.DESCRIPTION,
            text=_text(rng, 10, 120),
        )
    ]
    for turn in range(rng.randint(2, 4)):
        tech = turn % 2 == 0
        segments.append(
            SessionSegment(
                timestamp=start + timedelta(minutes=5 * (turn + 1)),
                author="Jan" if tech else "Klant",
                author_role=AuthorRole.TECH if tech else AuthorRole.CUSTOMER,
                kind=SegmentKind.COMMENT,
                text=_text(rng, 10, 80),
            )
        )
    segments.append(
        SessionSegment(
            timestamp=start + timedelta(minutes=30),
            author="Jan",
            author_role=AuthorRole.TECH,
            kind=SegmentKind.RESOLUTION,
            text=_text(rng, 10, 40),
        )
    )
    return Session(
        meta=SessionMeta.for_source(
            SourceSystem.NOTES, f"bench/{i}", ["bench.json"], day.isoformat(), source_created_at=start
        ),
        context=SessionContext(customer_name=f"Klant {i % 60} B.V.", attributes={"status": "closed"}),
        insights=SessionInsights(title=_text(rng, 3, 8), started_at=start),
        segments=segments,
    ).with_content_hash()


def _run(resources: dict, first: str, last: str) -> tuple[float, dict]:
    started = time.perf_counter()
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [chunks, embeddings, chroma_collections],
            resources=resources,
            instance=instance,
            tags=partition_range_tags(first, last),
            run_config=QUIET,
        )
    seconds = time.perf_counter() - started
    metadata = {
        name: {k: v.value for e in result.asset_materializations_for_node(name)[:1] for k, v in e.metadata.items()}
        for name in ("chunks", "embeddings", "chroma_collections")
    }
    return seconds, metadata


def compare_backends(texts: list[str], models_dir: Path) -> dict:
    """Bare encode speed of every backend of the bundled sentence-transformers model on ``texts``, and the
    cosine of its vectors to torch fp32's."""
    figures, reference = {}, None
    for backend in BACKENDS:
        embedder = Embedder(model=BUNDLED_MODEL, backend=backend, models_dir=str(models_dir))
        started = time.perf_counter()
        embedder.encode(["warm-up"])
        load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        vectors = embedder.encode(texts)
        seconds = time.perf_counter() - started
        reference = vectors if reference is None else reference
        cosine = (vectors * reference).sum(axis=1)
        figures[backend] = {
            "chunks_per_s": round(len(texts) / seconds, 1),
            "cosine_min": round(float(cosine.min()), 4),
            "cosine_mean": round(float(cosine.mean()), 4),
            "export_and_load_seconds": round(load_seconds, 1),
        }
    return figures


def fastest_faithful(backends: dict, bar: float = 0.99) -> str:
    """The fastest backend whose vectors keep a mean cosine of at least ``bar`` to torch fp32's."""
    faithful = {name: f for name, f in backends.items() if f["cosine_mean"] >= bar}
    return max(faithful, key=lambda name: faithful[name]["chunks_per_s"])


def measure(sessions: int) -> dict:
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        store = SessionStore(root=str(Path(tmp) / "sessions"))
        by_day: dict[str, list[Session]] = {}
        for i in range(sessions):
            session = synthetic_session(i, rng)
            by_day.setdefault(session.meta.partition_day, []).append(session)
        for day, day_sessions in by_day.items():
            store.write_partition("notes", day, day_sessions)
        embedder = Embedder(models_dir=str(Path(tmp) / "models"))
        embedder.encode(["warm-up: the model loads before the clock starts"])
        index_store = IndexStore(root=str(Path(tmp) / "index"))
        resources = {
            "session_store": store,
            "index_store": index_store,
            "embedder": embedder,
            "vector_store": VectorStore(path=str(Path(tmp) / "chroma"), host=None),
        }
        first, last = min(by_day), max(by_day)
        first_seconds, first_meta = _run(resources, first, last)
        rerun_seconds, rerun_meta = _run(resources, first, last)
        texts = {}
        for day in days_between(first, last):
            frame = index_store.read(index_store.chunks_path(day), CHUNK_SCHEMA)
            texts.update(zip(frame["embed_key"], frame["embed_text"], strict=True))
        bare_texts = [normalize(t) for t in texts.values()]
        started = time.perf_counter()
        embedder.encode(bare_texts)
        bare_seconds = time.perf_counter() - started
        peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        backends = compare_backends(bare_texts, Path(tmp) / "models")
    chroma = first_meta["chroma_collections"]
    return {
        "sessions": sessions,
        "chunks": len(texts),
        "model": embedder.model_id,
        "backend": "numpy" if embedder.model_id == USE_MODEL else embedder.backend,
        "bare_seconds": round(bare_seconds, 2),
        "bare_chunks_per_s": round(len(texts) / bare_seconds, 1),
        "pipeline_chunks_per_s": round(len(texts) / first_seconds, 1),
        "ratio": round(first_seconds / bare_seconds, 3),
        "first_seconds": round(first_seconds, 2),
        "first_embedded": first_meta["embeddings"]["embedded_in_run"],
        "rerun_seconds": round(rerun_seconds, 2),
        "rerun_embedded": rerun_meta["embeddings"]["embedded_in_run"],
        "rerun_share": round(rerun_seconds / first_seconds, 3),
        "chroma_docs_per_s": round(chroma["add_in_run"] / chroma["seconds"], 1) if chroma["seconds"] else 0.0,
        "peak_rss_mb": peak_rss_mb,
        "stage_seconds": {name: meta["seconds"] for name, meta in first_meta.items()},
        "backends": backends,
        "fastest_faithful_backend": fastest_faithful(backends),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000, help="synthetic sessions (default 1000)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    figures = measure(args.sessions)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    f = figures
    print(f"{f['sessions']} sessions, {f['chunks']} chunks, model {f['model']}, backend {f['backend']}")
    print(f"{'path':<34}{'seconds':>9}{'chunks/s':>10}")
    print("-" * 53)
    print(f"{'(a) bare model.encode':<34}{f['bare_seconds']:>9.2f}{f['bare_chunks_per_s']:>10.1f}")
    print(f"{'(b) pipeline, first run':<34}{f['first_seconds']:>9.2f}{f['pipeline_chunks_per_s']:>10.1f}")
    print(f"{'    ratio (b)/(a)':<34}{f['ratio']:>9.3f}")
    print(
        f"{'(c) pipeline, unchanged re-run':<34}{f['rerun_seconds']:>9.2f}"
        f"{'':>10}  embedded {f['rerun_embedded']}, {f['rerun_share']:.1%} of first"
    )
    print(f"{'(d) Chroma add, docs/s':<34}{'':>9}{f['chroma_docs_per_s']:>10.1f}")
    print("first run by stage: " + ", ".join(f"{k} {v:.2f} s" for k, v in f["stage_seconds"].items()))
    print(f"peak RSS: {f['peak_rss_mb']} MB")
    print()
    print(f"{'backend (bare encode)':<22}{'chunks/s':>10}{'cos min':>9}{'cos mean':>10}{'export+load s':>15}")
    print("-" * 66)
    for name, b in f["backends"].items():
        print(
            f"{name:<22}{b['chunks_per_s']:>10.1f}{b['cosine_min']:>9.4f}{b['cosine_mean']:>10.4f}"
            f"{b['export_and_load_seconds']:>15.1f}"
        )
    print(f"fastest with mean cosine >= 0.99 to torch fp32: {f['fastest_faithful_backend']}")


if __name__ == "__main__":
    main()
