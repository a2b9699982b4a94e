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

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

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


class ITEntityRuler:
    """Sets IT entities on a doc by pattern and by known CMDB names; a span's ``kb_id_`` carries the name key."""

    def __init__(self, nlp: Language):
        self.vocab = nlp.vocab
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.names: dict[str, KnownName] = {}

    def set_names(self, names: dict[str, KnownName], nlp: Language) -> None:
        self.names = names
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for key in names:
            self.matcher.add(key, [nlp.make_doc(key)])

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for match_id, start, end in self.matcher(doc):
            key = self.vocab.strings[match_id]
            spans.append(Span(doc, start, end, label=self.names[key].label, kb_id=key))
        for label, pattern in PATTERNS:
            for match in pattern.finditer(doc.text):
                span = doc.char_span(match.start(), match.end(), label=label, alignment_mode="expand")
                if span is not None:
                    spans.append(span)
        doc.ents = filter_spans([*doc.ents, *spans])  # longest wins; known names come first among equals
        return doc


@Language.factory(RULER)
def make_it_entity_ruler(nlp: Language, name: str) -> ITEntityRuler:
    return ITEntityRuler(nlp)


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


def _name_shaped(span: Span) -> bool:
    """Whether a statistical entity looks like a name: capitalized words, lower-case only for name particles
    (``Anouk de Vries``), some letters. Drops what an English model makes of Dutch sentences."""
    words = [t.text for t in span if not t.is_punct]
    if not words or len(span.text) < 3 or not any(ch.isalpha() for ch in span.text):
        return False
    if not (words[0][:1].isupper() or words[0][:1].isdigit()) or len(words) > 5:
        return False
    return all(w[:1].isupper() or w[:1].isdigit() or w.lower() in NAME_PARTICLES for w in words)


def entities_of(doc: Doc, names: dict[str, KnownName], statistical: bool) -> list[Entity]:
    """The doc's entities, canonical and once each (highest confidence kept); NER ones only if ``statistical``."""
    found: dict[tuple[str, str], Entity] = {}
    for span in doc.ents:
        if span.kb_id_ and span.kb_id_ in names:
            known = names[span.kb_id_]
            entity = Entity(known.label, known.text, KNOWN_CONFIDENCE, "known", span.kb_id_)
        elif span.label_ in {label for label, _ in PATTERNS}:
            entity = Entity(span.label_, canonical(span.label_, span.text), RULER_CONFIDENCE, "pattern")
        elif statistical and span.label_ in NER_LABELS and _name_shaped(span):
            entity = Entity(span.label_, canonical(span.label_, span.text), NER_CONFIDENCE, "ner")
        else:
            continue
        key = (entity.label, entity.text.lower())
        if key not in found or found[key].confidence < entity.confidence:
            found[key] = entity
    return sorted(found.values(), key=lambda e: (e.label, e.text))


def extract(nlp: Language, documents: list[tuple[str, str]], batch_size: int = 64) -> list[list[Entity]]:
    """Entities of each ``(problem statement, other text)``: the first through the whole pipeline, the second
    through the ruler alone; ``nlp.pipe`` in batches."""
    ruler: ITEntityRuler = nlp.get_pipe(RULER)
    names = ruler.names
    results = []
    primaries = nlp.pipe((primary for primary, _ in documents), batch_size=batch_size)
    for (_, rest), doc in zip(documents, primaries, strict=True):
        merged = {(e.label, e.text.lower()): e for e in entities_of(doc, names, statistical=True)}
        if rest:
            for entity in entities_of(ruler(nlp.make_doc(rest)), names, statistical=False):
                key = (entity.label, entity.text.lower())
                if key not in merged or merged[key].confidence < entity.confidence:
                    merged[key] = entity
        results.append(sorted(merged.values(), key=lambda e: (e.label, e.text)))
    return results
