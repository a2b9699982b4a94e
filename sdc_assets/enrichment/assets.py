"""``linked_sessions`` and ``analyzed_sessions``: every session linked to its customer (or marked for review),
then given a title and summary."""

import csv
import io
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from sdc_assets.enrichment.analysis import Analysis, extractive, llm_analysis
from sdc_assets.enrichment.linking import CustomerIndex, Link, link_session
from sdc_assets.enrichment.llm_linking import llm_link
from sdc_assets.metadata import markdown_table
from sdc_assets.partitions import DAILY
from sdc_assets.sessions.model import Session, SessionStatus
from sdc_assets.sessions.sources import SESSION_ASSETS
from sdc_assets.sessions.store import SessionStore
from sdc_assets.sessions.writing import PREVIEW_ROWS, quarantine_failures
from sdc_resources.atomic import write_atomic
from sdc_resources.data_dir import default_data_path
from sdc_resources.llm import LLM, BudgetExhausted
from sdc_resources.syncro import Syncro

REVIEW_COLUMNS = ["session_id", "source", "day", "title", "customer_name", "contact_name", "emails", "method"]


class LinkingConfig(dg.Config):
    threshold: float = Field(default=0.9, ge=0, le=1, description="Fuzzy score a name must reach (0–1).")
    margin: float = Field(default=0.06, ge=0, le=1, description="Lead over the runner-up a fuzzy match needs.")
    relink: bool = Field(default=False, description="Link every session again, not only those needing it.")
    review_dir: str = Field(default_factory=lambda: str(default_data_path("review")))
    quarantine_dir: str = Field(default_factory=lambda: str(default_data_path("quarantine", "enrichment")))


def apply_link(session: Session, link: Link) -> Session:
    """The session with its link (or its candidates) and the status that follows."""
    context = session.context.model_copy(
        update={
            "customer_id": link.customer_id,
            "contact_id": link.contact_id,
            "link_method": link.method,
            "link_confidence": link.confidence,
            "link_candidates": [c.as_dict() for c in link.candidates],
        }
    )
    status = SessionStatus.LINKED if link.linked else SessionStatus.NEEDS_REVIEW
    return session.model_copy(update={"context": context, "meta": session.meta.model_copy(update={"status": status})})


def review_csv(sessions: list[Session]) -> bytes:
    """The sessions needing review with their candidates, one row each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*REVIEW_COLUMNS, "candidates"])
    for s in sessions:
        candidates = "; ".join(
            f"{c['customer_id']} {c['name']} ({c['score']:.2f}, {c['reason']})" for c in s.context.link_candidates
        )
        writer.writerow(
            [
                s.meta.session_id,
                s.meta.source_system.value,
                s.meta.partition_day,
                s.insights.title or "",
                s.context.customer_name or "",
                s.context.contact_name or "",
                " ".join(s.context.emails),
                s.context.link_method or "",
                candidates,
            ]
        )
    return out.getvalue().encode()


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
    budget = llm.budget()
    deferred = 0
    for day in context.partition_keys:
        sessions = session_store.read_day(day)
        todo = [s for s in sessions if config.relink or s.meta.status == SessionStatus.NEEDS_LINKING]
        linked, failures = [], []
        for session in todo:
            try:
                link = link_session(session, index, config.threshold, config.margin)
                if not link.linked and link.candidates and llm.enabled:
                    link, errors = llm_link(session, link, llm, budget)
                    if link.method == "llm_failed":
                        failures.append({"session_key": session.meta.session_id, "reason": "; ".join(errors)})
            except BudgetExhausted:
                deferred += 1  # stays needs_linking: the next run asks
                continue
            except Exception as exc:  # one session that cannot be linked never stops its day
                reason = f"could not be linked: {type(exc).__name__}: {exc}"
                failures.append({"session_key": session.meta.session_id, "reason": reason})
                continue
            linked.append(apply_link(session, link))
        if todo:
            quarantine_failures(Path(config.quarantine_dir) / f"linking-{day}.jsonl", failures)
        written = session_store.save(linked)
        methods = Counter(s.context.link_method for s in linked)
        totals.update(methods)
        review = [s for s in linked if s.meta.status == SessionStatus.NEEDS_REVIEW]
        review_path = Path(config.review_dir) / f"{day}.csv"
        if review:
            write_atomic(review_path, review_csv(review))
        elif todo:
            review_path.unlink(missing_ok=True)
        sample = [
            {
                "source": s.meta.source_system.value,
                "customer_name": s.context.customer_name or "",
                "linked_to": s.context.customer_id or "",
                "method": s.context.link_method,
                "confidence": s.context.link_confidence,
            }
            for s in linked[:PREVIEW_ROWS]
        ]
        context.add_asset_metadata(
            {
                "dagster/row_count": len(sessions),
                "linked_now": len(todo),
                "written": len(written),
                "needs_review": len(review),
                "llm_failed_quarantined": len(failures),
                **{f"method_{m}": n for m, n in sorted(methods.items())},
                "sample": dg.MetadataValue.md(markdown_table(sample)),
            },
            partition_key=day,
        )
        if todo:
            context.log.info(f"{day}: {len(todo)} sessions linked: {dict(methods)}, {len(review)} need review")
    return dg.MaterializeResult(
        metadata={
            "customers": len(index.names),
            "llm": llm.describe(),
            "llm_calls": budget.calls,
            "llm_tokens": budget.tokens,
            "deferred_by_budget": deferred,
            "needs_review_in_run": sum(totals[m] for m in ("ambiguous", "no_match", "llm_none", "llm_failed")),
            **{f"method_{m}_in_run": n for m, n in sorted(totals.items())},
            "seconds": round(time.perf_counter() - started, 3),
        }
    )


class AnalysisConfig(dg.Config):
    reanalyze: bool = Field(default=False, description="Analyze every session again, changed or not.")
    quarantine_dir: str = Field(default_factory=lambda: str(default_data_path("quarantine", "enrichment")))


def apply_analysis(session: Session, analysis: Analysis) -> Session:
    """The session with its summary, a title where the source gave none, and the status that follows."""
    insights = session.insights.model_copy(
        update={"title": session.insights.title or analysis.title, "summary": analysis.summary}
    )
    status = SessionStatus.ANALYZED if session.meta.status == SessionStatus.LINKED else session.meta.status
    meta = session.meta.model_copy(update={"status": status, "analyzed_hash": session.meta.content_hash})
    return session.model_copy(update={"insights": insights, "meta": meta})


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
        todo = [s for s in sessions if config.reanalyze or s.meta.analyzed_hash != s.meta.content_hash]
        pending = {s.meta.session_id for s in todo}
        # Linked after their analysis: only the status moves on, nothing is asked again.
        promoted = [
            s.model_copy(update={"meta": s.meta.model_copy(update={"status": SessionStatus.ANALYZED})})
            for s in sessions
            if s.meta.session_id not in pending and s.meta.status == SessionStatus.LINKED
        ]
        done, failures, methods = promoted, [], Counter()
        for session in todo:
            analysis, method = None, "extractive"
            try:
                if llm.enabled:
                    answer = llm_analysis(session, llm, budget)
                    analysis, method = answer.value, "llm"
                    if analysis is None:
                        failures.append({"session_key": session.meta.session_id, "reason": "; ".join(answer.errors)})
                        method = "extractive_after_llm_failure"
                analyzed = apply_analysis(session, analysis or extractive(session))
            except BudgetExhausted:
                deferred += 1
                continue
            except Exception as exc:  # one session that cannot be analyzed never stops its day
                reason = f"could not be analyzed: {type(exc).__name__}: {exc}"
                failures.append({"session_key": session.meta.session_id, "reason": reason})
                continue
            methods[method] += 1
            done.append(analyzed)
        if todo:
            quarantine_failures(Path(config.quarantine_dir) / f"analysis-{day}.jsonl", failures)
        written = session_store.save(done)
        totals.update(methods)
        sample = [
            {
                "source": s.meta.source_system.value,
                "title": s.insights.title,
                "summary": (s.insights.summary or "")[:120],
            }
            for s in done[:PREVIEW_ROWS]
        ]
        context.add_asset_metadata(
            {
                "dagster/row_count": len(sessions),
                "analyzed_now": len(done) - len(promoted),
                "promoted_to_analyzed": len(promoted),
                "written": len(written),
                "quarantined": len(failures),
                **{f"method_{m}": n for m, n in sorted(methods.items())},
                "sample": dg.MetadataValue.md(markdown_table(sample)),
            },
            partition_key=day,
        )
    return dg.MaterializeResult(
        metadata={
            "llm": llm.describe(),
            "llm_calls": budget.calls,
            "llm_tokens": budget.tokens,
            "deferred_by_budget": deferred,
            **{f"method_{m}_in_run": n for m, n in sorted(totals.items())},
            "seconds": round(time.perf_counter() - started, 3),
        }
    )


enrichment_assets = [linked_sessions, analyzed_sessions]
