"""Linking a session to its customer: exact evidence first, then fuzzy names, then (elsewhere) an LLM's choice.

Pure functions over a :class:`CustomerIndex` built from the customer cache. Every link names
its method, a confidence and the candidates that were considered; a session is linked only
when one customer is certain enough, otherwise it needs review (or the LLM) with the
candidates the code found. Nothing outside those candidates can ever be chosen.
"""

import re
import unicodedata
from dataclasses import dataclass, field

import polars as pl
from rapidfuzz import fuzz, process

from sdc_assets.sessions.model import Session
from sdc_assets.syncro.customers import SHARED_MAIL_DOMAINS, normalize_email, normalize_phone

# Dutch, Belgian and common foreign legal forms: they say nothing about which customer it is.
LEGAL_FORMS = {
    "bv", "nv", "vof", "cv", "bvba", "sprl", "srl", "gmbh", "ltd", "inc", "llc", "co",
    "stichting", "vereniging", "cooperatie", "ua", "eenmanszaak", "holding",
}  # fmt: skip
# Confidence of each kind of exact evidence.
EXACT = {
    "source_id": 1.0,
    "email": 0.99,
    "phone": 0.97,
    "company_name": 0.97,
    "machine": 0.95,
    "email_domain": 0.92,
}


def name_key(name: str | None) -> str:
    """A name as compared: accents, case, punctuation and legal forms gone (``Bakkerij de Vries B.V.`` →
    ``bakkerij de vries``)."""
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    ascii_name = ascii_name.replace(".", "")  # B.V. → bv, V.O.F. → vof
    words = re.sub(r"[^a-z0-9]+", " ", ascii_name).split()
    return " ".join(w for w in words if w not in LEGAL_FORMS)


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


@dataclass
class CustomerIndex:
    """Lookups over the customer cache: by id, e-mail, domain, phone, machine and name."""

    names: dict[str, str] = field(default_factory=dict)  # customer_id → display name
    contacts: dict[str, str] = field(default_factory=dict)  # contact_id → customer_id
    emails: dict[str, set[tuple[str, str | None]]] = field(default_factory=dict)
    domains: dict[str, set[str]] = field(default_factory=dict)
    domains_of: dict[str, set[str]] = field(default_factory=dict)  # customer_id → its e-mail domains
    phones: dict[str, set[tuple[str, str | None]]] = field(default_factory=dict)
    machines: dict[str, set[str]] = field(default_factory=dict)
    company_keys: dict[str, set[str]] = field(default_factory=dict)  # name key → customer ids
    fuzzy: list[tuple[str, str, str | None]] = field(default_factory=list)  # (name key, customer, contact)

    @classmethod
    def from_cache(cls, table: pl.DataFrame) -> "CustomerIndex":
        index = cls()
        for row in table.filter(~pl.col("disabled")).iter_rows(named=True):
            cid = row["customer_id"]
            index.names[cid] = row["display_name"] or cid
            for email in row["emails"]:
                index.emails.setdefault(email, set()).add((cid, None))
            index.domains_of[cid] = set(row["email_domains"])
            for domain in row["email_domains"]:
                index.domains.setdefault(domain, set()).add(cid)
            for phone in row["phones"]:
                index.phones.setdefault(phone, set()).add((cid, None))
            for machine in row["machine_names"]:
                index.machines.setdefault(machine.lower(), set()).add(cid)
            for name in {row["business_name"], row["display_name"], row["person_name"]} - {None}:
                if key := name_key(name):
                    index.company_keys.setdefault(key, set()).add(cid)
                    index.fuzzy.append((key, cid, None))
            for contact in row["contacts"]:
                index.contacts[contact["contact_id"]] = cid
                if contact["email"]:
                    index.emails.setdefault(contact["email"], set()).add((cid, contact["contact_id"]))
                for number in {contact["phone"], contact.get("mobile")} - {None}:
                    index.phones.setdefault(number, set()).add((cid, contact["contact_id"]))
                if key := name_key(contact["name"]):
                    index.fuzzy.append((key, cid, contact["contact_id"]))
        return index


def _exact_evidence(session: Session, index: CustomerIndex) -> list[Candidate]:
    context = session.context
    found: list[Candidate] = []

    def add(pairs, reason: str, what: str) -> None:
        for pair in pairs:
            cid, contact = pair if isinstance(pair, tuple) else (pair, None)
            found.append(Candidate(cid, index.names.get(cid, cid), EXACT[reason], f"{reason}: {what}", contact))

    for email in filter(None, map(normalize_email, context.emails)):
        add(index.emails.get(email, ()), "email", email)
        domain = email.split("@", 1)[1]
        if domain not in SHARED_MAIL_DOMAINS:
            add(index.domains.get(domain, ()), "email_domain", domain)
    for phone in filter(None, map(normalize_phone, context.phones)):
        add(index.phones.get(phone, ()), "phone", phone)
    for machine in context.machine_names:
        add(index.machines.get(machine.strip().lower(), ()), "machine", machine)
    if key := name_key(context.customer_name):
        add(index.company_keys.get(key, ()), "company_name", context.customer_name)
    return found


def _fuzzy_candidates(session: Session, index: CustomerIndex, limit: int = 5) -> list[Candidate]:
    """The best-scoring customers for the session's customer and contact names (one entry per customer)."""
    choices = [key for key, _, _ in index.fuzzy]
    best: dict[str, Candidate] = {}
    for label, name in (
        ("customer name", session.context.customer_name),
        ("contact name", session.context.contact_name),
    ):
        query = name_key(name)
        if len(query) < 3 or not choices or (label == "contact name" and len(query.split()) < 2):
            continue  # a first name alone names nobody
        for _, score, position in process.extract(query, choices, scorer=fuzz.token_sort_ratio, limit=limit * 3):
            _, cid, contact = index.fuzzy[position]
            if cid not in best or best[cid].score < score / 100:
                best[cid] = Candidate(cid, index.names[cid], round(score / 100, 3), f"fuzzy {label}: {name}", contact)
    return sorted(best.values(), key=lambda c: (-c.score, c.customer_id))[:limit]


def link_session(session: Session, index: CustomerIndex, threshold: float = 0.9, margin: float = 0.06) -> Link:
    """The exact → fuzzy part of the waterfall. An unlinked result carries the candidates for the LLM or
    for review; ``method`` then says why (``ambiguous``, ``no_match``)."""
    context = session.context
    from_source = context.link_method in (None, "source_id")  # an earlier link is not evidence of itself
    if context.customer_id and from_source:
        contact = context.contact_id
        name = index.names.get(context.customer_id, context.customer_name or context.customer_id)
        candidate = Candidate(context.customer_id, name, 1.0, "source_id", contact)
        return Link(context.customer_id, contact, "source_id", 1.0, [candidate])
    exact = _exact_evidence(session, index)
    customers = {c.customer_id for c in exact}
    if len(customers) == 1:
        strongest = max(exact, key=lambda c: c.score)
        contact = next((c.contact_id for c in exact if c.contact_id), None)
        method = strongest.reason.split(":", 1)[0]
        return Link(strongest.customer_id, contact, method, strongest.score, _dedupe(exact))
    if len(customers) > 1:
        return Link(None, None, "ambiguous", 0.0, _dedupe(exact))
    fuzzy = _fuzzy_candidates(session, index)
    if fuzzy and fuzzy[0].score >= threshold:
        runner_up = fuzzy[1].score if len(fuzzy) > 1 else 0.0
        if fuzzy[0].score - runner_up >= margin and not _domain_conflict(session, fuzzy[0], index):
            top = fuzzy[0]
            return Link(top.customer_id, top.contact_id, "fuzzy", round(top.score * 0.95, 3), fuzzy)
        return Link(None, None, "ambiguous", 0.0, fuzzy)
    return Link(None, None, "no_match", 0.0, fuzzy)


def _domain_conflict(session: Session, candidate: Candidate, index: CustomerIndex) -> bool:
    """The session's own (not shared) e-mail domain is not the candidate's: a namesake, not the customer."""
    domains = {e.split("@", 1)[1] for e in filter(None, map(normalize_email, session.context.emails))}
    own = domains - SHARED_MAIL_DOMAINS
    return bool(own) and not own & index.domains_of.get(candidate.customer_id, set())


def _dedupe(candidates: list[Candidate]) -> list[Candidate]:
    """One candidate per customer, its strongest evidence, strongest first."""
    best: dict[str, Candidate] = {}
    for candidate in candidates:
        if candidate.customer_id not in best or best[candidate.customer_id].score < candidate.score:
            best[candidate.customer_id] = candidate
    return sorted(best.values(), key=lambda c: (-c.score, c.customer_id))
