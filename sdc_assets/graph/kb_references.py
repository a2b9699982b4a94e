"""RESOLVED_BY from what the technician wrote: a done ticket whose resolution or comments point at a KB article.

The strongest evidence an article solved a ticket is the agent saying so: the portal's own link
(``kb_article.php?id=12``), a KB number (``KB-12``, ``KB #12``, ``kennisbank 12``, ``kb-artikel 12``) or the
article's title quoted in the text. Only published articles count; Microsoft's update numbers (``KB5034441``)
never do (at most four digits, and the id must be an article's). This holds across languages, where vector
similarity of a Dutch resolution to an English article does not.
"""

import re
from dataclasses import dataclass

from sdc_assets.sessions.model import SegmentKind, Session

_LINK = re.compile(r"kb_article\.php\?(?:[^\s#]*?&)?id=(\d+)", re.IGNORECASE)
_NUMBER = re.compile(
    r"\b(?:kb|kennisbank|knowledge[ -]?base)(?:[ -]?(?:artikel|article))?\s*(?:nr\.?|no\.?|[-_#:])?\s*(\d{1,4})\b",
    re.IGNORECASE,
)
_SPACE = re.compile(r"\s+")
MIN_TITLE = 12
"""A title shorter than this (``VPN``, ``Printer``) names a topic, not an article."""
# How sure a reference is, by where it was written and how it names the article.
CONFIDENCE = {
    (SegmentKind.RESOLUTION, "id"): 1.0,
    (SegmentKind.RESOLUTION, "title"): 0.9,
    (SegmentKind.COMMENT, "id"): 0.95,
    (SegmentKind.COMMENT, "title"): 0.85,
}


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text.casefold()).strip()


@dataclass(frozen=True)
class Articles:
    """The published KB articles a text may point at: their ids and their titles (normalized)."""

    ids: frozenset[str] = frozenset()
    titles: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, articles: list[dict]) -> "Articles":
        titles = {_normal(a.get("title") or ""): str(a["kb_id"]) for a in articles}
        return cls(
            frozenset(str(a["kb_id"]) for a in articles),
            tuple(sorted((t, kb) for t, kb in titles.items() if len(t) >= MIN_TITLE and " " in t)),
        )


@dataclass(frozen=True)
class Reference:
    kb_node: str
    confidence: float
    segment: str
    matched: str


def kb_references(session: Session, articles: Articles) -> list[Reference]:
    """The articles a session's resolution and comments point at, each once with its strongest evidence."""
    best: dict[str, Reference] = {}
    for segment in session.segments:
        if segment.kind not in (SegmentKind.RESOLUTION, SegmentKind.COMMENT):
            continue
        found = [(m.group(1), "id", m.group(0)) for pattern in (_LINK, _NUMBER) for m in pattern.finditer(segment.text)]
        text = _normal(segment.text)
        found += [(kb, "title", title) for title, kb in articles.titles if title in text]
        for kb, how, matched in found:
            if kb not in articles.ids:
                continue
            reference = Reference(f"kb_{kb}", CONFIDENCE[(segment.kind, how)], segment.kind.value, matched[:120])
            old = best.get(reference.kb_node)
            if old is None or (old.confidence, old.matched) < (reference.confidence, reference.matched):
                best[reference.kb_node] = reference
    return [best[kb] for kb in sorted(best)]
