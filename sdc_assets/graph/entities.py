"""Entities in session text: an IT entity ruler in front of spaCy's statistical NER.

Statistical models miss (or mislabel) what an MSP's text is full of: host names, IP and
e-mail addresses, ticket and CI numbers, and the products and machines in the CMDB. The
``sdc_it_entities`` component finds those by pattern and by the names known from the
configuration items, and sets them as entities before ``ner`` runs, so NER labels only
what is left. Statistical NER reads a session's problem statement (title, description,
resolution); the ruler reads all of its text.
"""

import hashlib
import json
import re
from dataclasses import dataclass

RULER = "sdc_it_entities"
RULER_VERSION = 1
RULER_CONFIDENCE = 0.9
KNOWN_CONFIDENCE = 0.95
NER_CONFIDENCE = 0.5
NER_LABELS = {"ORG", "PRODUCT", "PERSON", "GPE", "FAC"}
NAME_PARTICLES = {"de", "van", "der", "den", "het", "ter", "ten", "te", "la", "le", "von", "of", "and", "&", "for"}
# Most specific first: a CI number is not also a ticket number, an e-mail's domain not also a host.
PATTERNS = [
    ("EMAIL", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("IP_ADDRESS", re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")),
    ("CI_NUMBER", re.compile(r"\bCI-\d{4}-\d{3,6}\b")),
    ("TICKET_NUMBER", re.compile(r"\b[A-Z]{2,4}-\d{4}-\d{3,6}\b|(?<![\w#&])#\d{3,7}\b")),
    ("HOSTNAME", re.compile(r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:local|lan|intern|internal|corp|home)\b", re.I)),
    ("HOSTNAME", re.compile(r"\b(?:[A-Z]{2,5}-){1,3}[A-Z0-9]*\d[A-Z0-9]*\b")),
]


@dataclass(frozen=True)
class KnownName:
    """A name from the CMDB: its label, canonical text and the CIs it belongs to."""

    label: str
    text: str
    ci_ids: tuple[int, ...]
    field: str


def known_names(cis: list[dict]) -> dict[str, KnownName]:
    """Lower-cased phrase → what it names: CI names (hosts for hardware), numbers, serials, asset tags and
    products (brand + model, and models with a digit in them)."""
    names: dict[str, KnownName] = {}

    def add(text: str | None, label: str, ci_id: int, field: str) -> None:
        if not text or len(text.strip()) < 3:
            return
        key = " ".join(text.lower().split())
        old = names.get(key)
        ids = tuple(sorted({*(old.ci_ids if old else ()), ci_id}))
        names[key] = KnownName(old.label if old else label, old.text if old else " ".join(text.split()), ids, field)

    for ci in cis:
        ci_id = ci["ci_id"]
        add(ci.get("ci_number"), "CI_NUMBER", ci_id, "ci_number")
        add(ci.get("name"), "HOSTNAME" if ci.get("type") == "Hardware" else "PRODUCT", ci_id, "name")
        add(ci.get("serial_number"), "SERIAL_NUMBER", ci_id, "serial_number")
        add(ci.get("asset_tag"), "ASSET_TAG", ci_id, "asset_tag")
        if ci.get("brand") and ci.get("model"):
            add(f"{ci['brand']} {ci['model']}", "PRODUCT", ci_id, "product")
        if ci.get("model") and any(ch.isdigit() for ch in ci["model"]):
            add(ci["model"], "PRODUCT", ci_id, "product")
    return names


def known_names_fingerprint(names: dict[str, KnownName]) -> str:
    payload = json.dumps(sorted((k, v.label, v.text) for k, v in names.items()), ensure_ascii=False)
    return hashlib.sha256(f"{RULER_VERSION}:{payload}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Entity:
    label: str
    text: str
    confidence: float
    method: str  # "known" (a CMDB name), "pattern" or "ner"
    name_key: str = ""


def canonical(label: str, text: str) -> str:
    text = " ".join(text.split()).strip(" .,;:()[]'\"")
    if label == "EMAIL":
        return text.lower()
    if label == "HOSTNAME" and "." in text:
        return text.lower()
    if label in {"HOSTNAME", "CI_NUMBER", "TICKET_NUMBER", "SERIAL_NUMBER", "ASSET_TAG"}:
        return text.upper()
    return text
