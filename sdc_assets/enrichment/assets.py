"""``linked_sessions`` and ``analyzed_sessions``: every session linked to its customer (or marked for review),
then given a title and summary."""

import time
from collections import Counter
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from sdc_assets.enrichment.analyzed_day import analysis_sample, analyze_day
from sdc_assets.enrichment.linked_day import REVIEW_METHODS, link_day, link_sample, review_csv
from sdc_assets.enrichment.linking import CustomerIndex
from sdc_assets.metadata import preview_table
from sdc_assets.partitions import DAILY
from sdc_assets.sessions.sources import SESSION_ASSETS
from sdc_assets.sessions.store import SessionStore
from sdc_assets.sessions.writing import PREVIEW_ROWS, quarantine_failures
from sdc_resources.atomic import write_atomic
from sdc_resources.data_dir import default_data_path
from sdc_resources.llm import LLM, Budget
from sdc_resources.syncro import Syncro


class LinkingConfig(dg.Config):
    threshold: float = Field(default=0.9, ge=0, le=1, description="Fuzzy score a name must reach (0–1).")
    margin: float = Field(default=0.06, ge=0, le=1, description="Lead over the runner-up a fuzzy match needs.")
    relink: bool = Field(default=False, description="Link every session again, not only those needing it.")
    review_dir: str = Field(default_factory=lambda: str(default_data_path("review")))
    quarantine_dir: str = Field(default_factory=lambda: str(default_data_path("quarantine", "enrichment")))


def _llm_metadata(llm: LLM, budget: Budget, deferred: int, totals: Counter, started: float) -> dict:
    """What a run of an enrichment step asked of the LLM, and how the sessions went."""
    return {
        "llm": llm.describe(),
        "llm_calls": budget.calls,
        "llm_tokens": budget.tokens,
        "deferred_by_budget": deferred,
        **{f"method_{m}_in_run": n for m, n in sorted(totals.items())},
        "seconds": round(time.perf_counter() - started, 3),
    }


@dg.asset(
    group_name="enrichment",
    deps=[*SESSION_ASSETS, "customer_cache"],
    kinds={"rapidfuzz", "json"},
    description="Every session needing a link, linked to its customer by source ids, e-mail, phone, machine or "
    "company name (exact), then by fuzzy names; status linked, or needs_review with the candidates in the session "
    "and in data/review/<day>.csv.",
    **DAILY,
)
def linked_sessions(
    context: dg.AssetExecutionContext, config: LinkingConfig, session_store: SessionStore, syncro: Syncro, llm: LLM
) -> dg.MaterializeResult:
    started = time.perf_counter()
    cache = Path(syncro.cache_dir) / "customers.parquet"
    if not cache.exists():
        context.log.warning(f"no customer cache at {cache}: materialize customer_cache first; nothing linked")
        return dg.MaterializeResult(metadata={"status": f"no customer cache at {cache}"})
    index = CustomerIndex.from_cache(pl.read_parquet(cache))
    totals: Counter[str] = Counter()
    budget, deferred = llm.budget(), 0
    for day in context.partition_keys:
        sessions = session_store.read_day(day)
        done = link_day(sessions, index, config.threshold, config.margin, config.relink, llm, budget)
        if done.todo:
            quarantine_failures(Path(config.quarantine_dir) / f"linking-{day}.jsonl", done.failures)
        written = session_store.save(done.linked)
        totals.update(done.methods)
        deferred += done.deferred
        review_path = Path(config.review_dir) / f"{day}.csv"
        if done.review:
            write_atomic(review_path, review_csv(done.review))
        elif done.todo:
            review_path.unlink(missing_ok=True)
        context.add_asset_metadata(
            {
                "dagster/row_count": len(sessions),
                "linked_now": done.todo,
                "written": len(written),
                "needs_review": len(done.review),
                "llm_failed_quarantined": len(done.failures),
                **{f"method_{m}": n for m, n in sorted(done.methods.items())},
                "sample": preview_table(link_sample(done, PREVIEW_ROWS)),
            },
            partition_key=day,
        )
        if done.todo:
            methods, review = dict(done.methods), len(done.review)
            context.log.info(f"{day}: {done.todo} sessions linked: {methods}, {review} need review")
    return dg.MaterializeResult(
        metadata={
            "customers": len(index.names),
            "needs_review_in_run": sum(totals[m] for m in REVIEW_METHODS),
            **_llm_metadata(llm, budget, deferred, totals, started),
        }
    )


class AnalysisConfig(dg.Config):
    reanalyze: bool = Field(default=False, description="Analyze every session again, changed or not.")
    quarantine_dir: str = Field(default_factory=lambda: str(default_data_path("quarantine", "enrichment")))


@dg.asset(
    group_name="enrichment",
    deps=[linked_sessions],
    kinds={"langchain", "json"},
    description="A title (at most 80 characters, where the source gave none) and a summary (at most 600) for every "
    "session, by the LLM or, with provider none, extracted from the session; linked sessions become analyzed. "
    "Sessions analyzed for their current content are not sent again.",
    **DAILY,
)
def analyzed_sessions(
    context: dg.AssetExecutionContext, config: AnalysisConfig, session_store: SessionStore, llm: LLM
) -> dg.MaterializeResult:
    started = time.perf_counter()
    budget, totals, deferred = llm.budget(), Counter(), 0
    for day in context.partition_keys:
        sessions = session_store.read_day(day)
        done = analyze_day(sessions, config.reanalyze, llm, budget)
        if done.todo:
            quarantine_failures(Path(config.quarantine_dir) / f"analysis-{day}.jsonl", done.failures)
        written = session_store.save(done.done)
        totals.update(done.methods)
        deferred += done.deferred
        context.add_asset_metadata(
            {
                "dagster/row_count": len(sessions),
                "analyzed_now": len(done.analyzed),
                "promoted_to_analyzed": len(done.promoted),
                "written": len(written),
                "quarantined": len(done.failures),
                **{f"method_{m}": n for m, n in sorted(done.methods.items())},
                "sample": preview_table(analysis_sample(done, PREVIEW_ROWS)),
            },
            partition_key=day,
        )
    return dg.MaterializeResult(metadata=_llm_metadata(llm, budget, deferred, totals, started))


enrichment_assets = [linked_sessions, analyzed_sessions]
