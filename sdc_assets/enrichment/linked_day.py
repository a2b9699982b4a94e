"""Linking a day of sessions: each session that needs it linked to its customer, or marked for review with its
candidates; what could not be linked quarantined with its reason, what the LLM budget did not reach deferred."""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from sdc_assets.enrichment.customer_index import NO_MSP, CustomerIndex, Msp
from sdc_assets.enrichment.linking import Candidate, Link, link_session
from sdc_assets.enrichment.llm_linking import llm_link
from sdc_assets.sessions.model import Session, SessionStatus
from sdc_resources.llm import LLM, Budget, BudgetExhausted

REVIEW_COLUMNS = ["session_id", "source", "day", "title", "customer_name", "contact_name", "emails", "method"]
REVIEW_METHODS = ("ambiguous", "no_match", "llm_none", "llm_failed")
SETTLED_METHODS = ("internal", "manual")  # unlinked, yet nothing for a person to review


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


@dataclass(frozen=True)
class LinkRules:
    """How a day is linked: the thresholds, the MSP, the version of the customer cache, and what people decided
    (session id → customer id, or None for "no customer")."""

    threshold: float = 0.9
    margin: float = 0.06
    msp: Msp = NO_MSP
    cache_version: str | None = None
    decisions: dict[str, str | None] = field(default_factory=dict)

    def needs_link(self, session: Session, relink: bool) -> bool:
        """Whether the session is linked (again) now: it was never linked; ``relink`` (never over a person's
        decision); a person decided now; or it waits for review and the customer cache changed since."""
        status, context = session.meta.status, session.context
        if session.meta.session_id in self.decisions:
            return not (
                context.link_method == "manual" and context.customer_id == self.decisions[session.meta.session_id]
            )
        if context.link_method == "manual":
            return False
        if relink or status == SessionStatus.NEEDS_LINKING:
            return True
        return status == SessionStatus.NEEDS_REVIEW and context.link_cache != self.cache_version


def apply_link(session: Session, link: Link, cache_version: str | None = None) -> Session:
    """The session with its link (or its candidates) and the status that follows."""
    context = session.context.model_copy(
        update={
            "customer_id": link.customer_id,
            "contact_id": link.contact_id,
            "link_method": link.method,
            "link_confidence": link.confidence,
            "link_candidates": [c.as_dict() for c in link.candidates],
            "link_cache": cache_version,
        }
    )
    settled = link.linked or link.method in SETTLED_METHODS
    status = SessionStatus.LINKED if settled else SessionStatus.NEEDS_REVIEW
    return session.model_copy(update={"context": context, "meta": session.meta.model_copy(update={"status": status})})


def link_day(
    sessions: list[Session], index: CustomerIndex, rules: LinkRules, relink: bool, llm: LLM, budget: Budget
) -> LinkedDay:
    """Link the sessions needing it (:meth:`LinkRules.needs_link`): a person's decision first, then code, then
    the LLM where code found candidates but no answer. A session that cannot be linked never stops its day;
    one the budget does not reach stays as it was, so the next run asks."""
    day = LinkedDay()
    for session in sessions:
        if not rules.needs_link(session, relink):
            continue
        day.todo += 1
        try:
            link = _decided(session, index, rules) or link_session(
                session, index, rules.threshold, rules.margin, rules.msp
            )
            if not link.linked and link.candidates and llm.enabled and link.method != "manual":
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
        day.linked.append(apply_link(session, link, rules.cache_version))
    return day


def _decided(session: Session, index: CustomerIndex, rules: LinkRules) -> Link | None:
    """A person's decision for the session, as a link (``manual``, certain)."""
    if session.meta.session_id not in rules.decisions:
        return None
    customer = rules.decisions[session.meta.session_id]
    if customer is None:
        return Link(None, None, "manual", 1.0)
    return Link(
        customer, None, "manual", 1.0, [Candidate(customer, index.customers.get(customer, customer), 1.0, "manual")]
    )


def review_csv(sessions: list[Session]) -> bytes:
    """The sessions needing review with their candidates, one row each, and an empty ``customer_id`` column: fill
    it in and save the rows as data/review/decisions.csv to settle them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*REVIEW_COLUMNS, "candidates", "customer_id"])  # the last one for a person to fill in
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
                "",
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
