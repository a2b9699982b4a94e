"""Linking a session to its customer from every clue it holds; then (elsewhere) an LLM's choice among the
customers the code found.

Pure functions over a :class:`CustomerIndex`. Clues (:mod:`~sdc_assets.enrichment.evidence`) are combined
per customer: several clues that agree beat one (``1 - Π(1 - confidence)`` over distinct clues). A session
is linked when the best customer reaches the threshold with a lead over the runner-up, and no other customer
has decisive evidence (an address, a phone, a machine, a name in a name field). Person names from another
organisation's mailbox are not evidence (a namesake). Every link names its method, a confidence and the
candidates that were considered; nothing outside those candidates can ever be chosen.
"""

from dataclasses import dataclass, field, replace

from sdc_assets.enrichment.customer_index import NO_MSP, CustomerIndex, Msp
from sdc_assets.enrichment.evidence import DECISIVE, PASSING, Clue, clues, own_domains, session_texts
from sdc_assets.enrichment.names import name_key
from sdc_assets.enrichment.namesakes import DENIAL
from sdc_assets.sessions.model import Session

# A kept decision: a person chose this customer (the review file fed back), or the source said so.
KEPT_METHODS = ("manual",)
MAX_CANDIDATES = 8
CONTACT_KINDS = {"email", "phone", "contact_name"}
# The order in which a link's method is named when clues are equally strong.
METHOD_ORDER = [
    "email", "phone", "company_name", "custom_property", "session_name", "machine", "customer_code",
    "email_domain", "domain", "address",
    "text_mention", "contact_name", "name_variant", "fuzzy",
]  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    name: str
    score: float
    reason: str
    contact_id: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Link:
    """The outcome for one session: a customer (or None), how, how sure, and what was considered."""

    customer_id: str | None
    contact_id: str | None
    method: str
    confidence: float
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def linked(self) -> bool:
        return self.customer_id is not None


def link_session(
    session: Session, index: CustomerIndex, threshold: float = 0.9, margin: float = 0.06, msp: Msp = NO_MSP
) -> Link:
    """The code's decision. An unlinked result carries the candidates for the LLM or for review; ``method``
    then says why (``ambiguous``, ``no_match``, or ``internal``: the MSP's own work)."""
    context = session.context
    if context.customer_id and context.link_method in (None, "source_id", *KEPT_METHODS):
        method = context.link_method or "source_id"  # an earlier automatic link is not evidence of itself
        name = index.customers.get(context.customer_id, context.customer_name or context.customer_id)
        candidate = Candidate(context.customer_id, name, 1.0, method, context.contact_id)
        return Link(context.customer_id, context.contact_id, method, 1.0, [candidate])
    found = _without_namesakes(clues(session, index, msp), own_domains(session, msp), index)
    if _unknown_company(session, found, msp):  # "Tom Vos" of "Vos Transport", a namesake of a contact
        found = [_halved(c) if c.person else c for c in found]
    if any(DENIAL.search(t.text) for t in session_texts(session)):  # "geen bestaande klant": a prospect
        found = [c if c.kind in DECISIVE else _halved(c) for c in found]
    by_customer: dict[str, list[Clue]] = {}
    for clue in found:
        by_customer.setdefault(clue.customer_id, []).append(clue)
    candidates = sorted(
        (_candidate(cid, clues_of, index) for cid, clues_of in by_customer.items()),
        key=lambda c: (-c.score, c.customer_id),
    )[:MAX_CANDIDATES]
    if (not candidates or candidates[0].score < threshold) and _internal(session, msp):
        return Link(None, None, "internal", 0.0, candidates)
    if not candidates:
        return Link(None, None, "no_match", 0.0)
    return _decide(candidates, by_customer, threshold, margin)


def _decide(candidates: list[Candidate], by_customer: dict[str, list[Clue]], threshold: float, margin: float) -> Link:
    top = candidates[0]
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    decisive = {cid for cid, found in by_customer.items() if any(c.kind in DECISIVE for c in found)}
    if len(decisive) > 1 or (decisive and top.customer_id not in decisive):
        return Link(None, None, "ambiguous", 0.0, candidates)
    if top.score < threshold:
        return Link(None, None, "no_match", 0.0, candidates)
    if top.score - runner_up < margin:
        return Link(None, None, "ambiguous", 0.0, candidates)
    strongest = _strongest(by_customer[top.customer_id])
    return Link(top.customer_id, top.contact_id, strongest.kind, top.score, candidates)


def _candidate(customer_id: str, found: list[Clue], index: CustomerIndex) -> Candidate:
    """A customer with the combined confidence of its distinct clues, its strongest clue as the reason."""
    distinct: dict[tuple[str, str], float] = {}
    for clue in found:  # near-misses of names never add up: only the closest one counts
        key = ("fuzzy", "") if clue.kind == "fuzzy" else (clue.kind, name_key(clue.value) or clue.value)
        distinct[key] = max(distinct.get(key, 0.0), clue.confidence)
    doubt = 1.0
    for confidence in distinct.values():
        doubt *= 1.0 - confidence
    strongest = _strongest(found)
    # the contact only from evidence of that person: an address, a number, a name; never from a domain
    personal = [c for c in found if c.contact_id and c.kind in CONTACT_KINDS]
    contact = next((c.contact_id for c in sorted(personal, key=lambda c: -c.confidence)), None)
    score = round(min(1.0 - doubt, 0.995), 3)
    return Candidate(customer_id, index.customers.get(customer_id, customer_id), score, strongest.reason, contact)


def _strongest(found: list[Clue]) -> Clue:
    return min(found, key=lambda c: (-c.confidence, METHOD_ORDER.index(c.kind)))


def _without_namesakes(found: list[Clue], domains: set[str], index: CustomerIndex) -> list[Clue]:
    """Person-name clues for a customer the session's own mail domain is not: a namesake elsewhere."""
    if not domains:
        return found
    return [c for c in found if not c.person or domains & index.domains_of.get(c.customer_id, set())]


def _halved(clue: Clue) -> Clue:
    return replace(clue, confidence=round(clue.confidence * PASSING, 3))


def _unknown_company(session: Session, found: list[Clue], msp: Msp) -> bool:
    """The session's customer field names an organisation that is none of the customers (only near-misses)."""
    name = session.context.customer_name
    if not name or name_key(name) in msp.placeholder_keys | msp.name_keys:
        return False
    return not any(c.where == "customer field" and c.kind != "fuzzy" for c in found)


def _internal(session: Session, msp: Msp) -> bool:
    """The session's customer fields name the MSP itself, or its only addresses are the MSP's."""
    keys = msp.name_keys
    for text in session_texts(session):
        if text.structured and keys and name_key(text.text) in keys:
            return True
    emails = [e.lower() for e in session.context.emails]
    return bool(emails) and all(e.rsplit("@", 1)[-1] in msp.domains for e in emails)
