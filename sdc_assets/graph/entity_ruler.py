"""The spaCy half of entity extraction: a pipeline component that sets IT entities by pattern and by known CMDB
names, and the extraction over a pipeline. Imported only where the pipeline is built (spaCy loads thinc and
torch: seconds), never when the code location loads."""

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from sdc_assets.graph.entities import (
    KNOWN_CONFIDENCE,
    NAME_PARTICLES,
    NER_CONFIDENCE,
    NER_LABELS,
    PATTERNS,
    RULER,
    RULER_CONFIDENCE,
    Entity,
    KnownName,
    canonical,
)  # fmt: skip


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
