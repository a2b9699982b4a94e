"""Linking a day of sessions: each session that needs it linked to its customer, or marked for review with its
candidates; what could not be linked quarantined with its reason, what the LLM budget did not reach deferred."""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from sdc_assets.enrichment.linking import CustomerIndex, Link, link_session
from sdc_assets.enrichment.llm_linking import llm_link
from sdc_assets.sessions.model import Session, SessionStatus
from sdc_resources.llm import LLM, Budget, BudgetExhausted

REVIEW_COLUMNS = ["session_id", "source", "day", "title", "customer_name", "contact_name", "emails", "method"]
REVIEW_METHODS = ("ambiguous", "no_match", "llm_none", "llm_failed")


@dataclass
class LinkedDay:
    """A day's linking: the sessions linked now (those in review among them), failures and deferrals."""

    todo: int = 0
    linked: list[Session] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    deferred: int = 0

    @property
    def review(self) -> list[Session]:
        return [s for s in self.linked if s.meta.status == SessionStatus.NEEDS_REVIEW]

    @property
    def methods(self) -> Counter[str]:
        return Counter(s.context.link_method for s in self.linked)


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


def link_day(
    sessions: list[Session],
    index: CustomerIndex,
    threshold: float,
    margin: float,
    relink: bool,
    llm: LLM,
    budget: Budget,
) -> LinkedDay:
    """Link the sessions needing it (all with ``relink``): by code first, by the LLM where code found candidates
    but no answer. A session that cannot be linked never stops its day; one the budget does not reach stays
    needs_linking, so the next run asks."""
    day = LinkedDay()
    for session in sessions:
        if not (relink or session.meta.status == SessionStatus.NEEDS_LINKING):
            continue
        day.todo += 1
        try:
            link = link_session(session, index, threshold, margin)
            if not link.linked and link.candidates and llm.enabled:
                link, errors = llm_link(session, link, llm, budget)
                if link.method == "llm_failed":
                    day.failures.append({"session_key": session.meta.session_id, "reason": "; ".join(errors)})
        except BudgetExhausted:
            day.deferred += 1
            continue
        except Exception as exc:
            reason = f"could not be linked: {type(exc).__name__}: {exc}"
            day.failures.append({"session_key": session.meta.session_id, "reason": reason})
            continue
        day.linked.append(apply_link(session, link))
    return day


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


def link_sample(day: LinkedDay, rows: int) -> list[dict]:
    """The first sessions linked, as the UI shows them."""
    return [
        {
            "source": s.meta.source_system.value,
            "customer_name": s.context.customer_name or "",
            "linked_to": s.context.customer_id or "",
            "method": s.context.link_method,
            "confidence": s.context.link_confidence,
        }
        for s in day.linked[:rows]
    ]
