"""``linked_sessions`` and ``analyzed_sessions``: every session linked to its customer (or marked for review),
then given a title and summary."""

import hashlib
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from sdc_assets.enrichment.analyzed_day import analysis_sample, analyze_day
from sdc_assets.enrichment.customer_index import PLACEHOLDER_CLIENTS, CustomerIndex, Msp
from sdc_assets.enrichment.decisions import DECISIONS_FILE, read_decisions
from sdc_assets.enrichment.linked_day import REVIEW_METHODS, LinkRules, link_day, link_sample, review_csv
from sdc_assets.metadata import preview_table
from sdc_assets.partitions import DAILY
from sdc_assets.sessions.sources import SESSION_ASSETS
from sdc_assets.sessions.store import SessionStore
from sdc_assets.sessions.writing import PREVIEW_ROWS, quarantine_failures
from sdc_resources.atomic import write_atomic
from sdc_resources.data_dir import default_data_path
from sdc_resources.day_marks import UNCHANGED, StageDays, settings_key
from sdc_resources.llm import LLM, Budget
from sdc_resources.settings import env_float, env_list
from sdc_resources.syncro import Syncro


class LinkingConfig(dg.Config):
    threshold: float = Field(
        default_factory=lambda: env_float("SDC_LINK_THRESHOLD", 0.9),
        ge=0,
        le=1,
        description="Combined confidence the best customer must reach (0–1; SDC_LINK_THRESHOLD).",
    )
    margin: float = Field(
        default_factory=lambda: env_float("SDC_LINK_MARGIN", 0.06),
        ge=0,
        le=1,
        description="Lead over the runner-up the best customer needs (SDC_LINK_MARGIN).",
    )
    relink: bool = Field(
        default=False,
        description="Link every session again (never over a person's decision), not only those needing it.",
    )
    msp_names: list[str] = Field(
        default_factory=lambda: env_list("SDC_MSP_NAME"), description="The MSP's own company names (SDC_MSP_NAME)."
    )
    msp_domains: list[str] = Field(
        default_factory=lambda: env_list("SDC_MSP_DOMAINS"), description="The MSP's e-mail and web domains."
    )
    msp_staff: list[str] = Field(
        default_factory=lambda: env_list("SDC_MSP_STAFF"), description="The MSP's technicians' full names."
    )
    placeholder_clients: list[str] = Field(
        default_factory=lambda: env_list("SDC_LINK_PLACEHOLDERS", PLACEHOLDER_CLIENTS),
        description="Group names an RMM gives machines of no customer yet (SDC_LINK_PLACEHOLDERS).",
    )
    review_dir: str = Field(default_factory=lambda: str(default_data_path("review")))
    quarantine_dir: str = Field(default_factory=lambda: str(default_data_path("quarantine", "enrichment")))


def _rules(config: LinkingConfig, cache: Path, log) -> LinkRules:
    msp = Msp.of(config.msp_names, config.msp_domains, config.msp_staff, config.placeholder_clients)
    decisions, problems = read_decisions(Path(config.review_dir) / DECISIONS_FILE)
    for problem in problems if log else ():
        log.warning(problem)
    version = hashlib.sha256(cache.read_bytes()).hexdigest()[:16]
    return LinkRules(config.threshold, config.margin, msp, version, decisions)


def _without_cache(context, cache: Path, session_store: SessionStore, marks: StageDays) -> dg.MaterializeResult:
    """Nothing to link against: the days are done until there is a cache (it changes the settings)."""
    context.log.warning(f"no customer cache at {cache}: materialize customer_cache first; nothing linked")
    for day in context.partition_keys:
        marks.done(day, state := session_store.day_state(day), state)
    marks.save()
    return dg.MaterializeResult(metadata={"status": f"no customer cache at {cache}"})


def linking_settings(config: LinkingConfig, syncro: Syncro, llm: LLM, log=None) -> str:
    """What linking a day depends on besides its sessions: the settings, the customer cache, the decisions."""
    cache = Path(syncro.cache_dir) / "customers.parquet"
    if not cache.exists():
        return settings_key("no customer cache")
    rules = _rules(config, cache, log)
    return settings_key(config.model_dump_json(), rules.cache_version, rules.decisions, llm.describe())


def analysis_settings(llm: LLM) -> str:
    return settings_key(llm.describe())


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
    description="Every session needing a link, linked to its customer from every clue it holds (source ids, "
    "addresses, phones, domains, machine names, company and contact names in its fields and its text), or a "
    "person's decision in data/review/decisions.csv; status linked, or needs_review with the candidates in the "
    "session and in data/review/<day>.csv. Sessions waiting for review are linked again when the customer cache "
    "changes.",
    **DAILY,
)
def linked_sessions(
    context: dg.AssetExecutionContext, config: LinkingConfig, session_store: SessionStore, syncro: Syncro, llm: LLM
) -> dg.MaterializeResult:
    started = time.perf_counter()
    cache = Path(syncro.cache_dir) / "customers.parquet"
    settings = linking_settings(config, syncro, llm, context.log)
    marks = StageDays(session_store.marks(), "linked_sessions", settings, context.partition_keys, config.relink)
    if not cache.exists():
        return _without_cache(context, cache, session_store, marks)
    index = CustomerIndex.from_cache(pl.read_parquet(cache))
    rules = _rules(config, cache, context.log)
    totals: Counter[str] = Counter()
    budget, deferred, unchanged = llm.budget(), 0, 0
    for day in context.partition_keys:
        if marks.unchanged(day, before := session_store.day_state(day)):
            unchanged += 1
            context.add_asset_metadata({**UNCHANGED, "linked_now": 0}, partition_key=day)
            continue
        sessions = session_store.read_day(day)
        done = link_day(sessions, index, rules, config.relink, llm, budget)
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
        if not done.deferred and not done.failures:  # a day with sessions left for later is not done
            marks.done(day, before, session_store.day_state(day))
    marks.save()
    return dg.MaterializeResult(
        metadata={
            "days_unchanged": unchanged,
            "customers": len(index.customers),
            "decisions": len(rules.decisions),
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
    budget, totals, deferred, unchanged = llm.budget(), Counter(), 0, 0
    marks = StageDays(
        session_store.marks(), "analyzed_sessions", analysis_settings(llm), context.partition_keys,
        config.reanalyze, carry=["linked_sessions"],
    )  # fmt: skip
    for day in context.partition_keys:
        if marks.unchanged(day, before := session_store.day_state(day)):
            unchanged += 1
            context.add_asset_metadata({**UNCHANGED, "analyzed_now": 0}, partition_key=day)
            continue
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
        if not done.deferred and not done.failures:
            marks.done(day, before, session_store.day_state(day))
    marks.save()
    return dg.MaterializeResult(
        metadata={"days_unchanged": unchanged, **_llm_metadata(llm, budget, deferred, totals, started)}
    )


enrichment_assets = [linked_sessions, analyzed_sessions]
