"""Cutting a Session into self-contained chunks for the semantic index.

One generic chunker for every source: a header chunk, a description chunk, one
chunk per ticket comment or per turn group (consecutive chat segments of one
author), a resolution chunk,
and dynamic-fields and related-CI chunks where the source has them. Long texts
are split at sentence boundaries to fit the embedding model's window. Only
what the source said enters a chunk's text: SDC's lifecycle status, write
times and other volatile fields stay in metadata, so they never cause a
re-embedding.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sdc_assets.sessions.model import SegmentKind, Session, SessionSegment

DEFAULT_MAX_TOKENS = 200
CHARS_PER_TOKEN_MAX = 16  # a text longer than this many characters per token of the window never fits it
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n{2,}")
_WHITESPACE = re.compile(r"\s+")
TURN_KINDS_SKIPPED = {SegmentKind.CONNECTION}
FIELD_KEYS = ("fields", "properties")
CI_KEYS = ("configuration_items",)
TURN_CHUNKS = ("turn", "comment")
HEADER_ATTRIBUTES = ("ticket_number", "status", "priority", "category", "problem_type", "ticket_type")
TRIVIAL_WORDS = 3  # a comment or turn of fewer words and no digit ("Assigned.", "Top, dank je!") is no chunk


@dataclass(frozen=True)
class Chunk:
    """A self-contained text with its type and the metadata to filter on."""

    chunk_id: str
    session_id: str
    chunk_type: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    embed_text: str = ""
    """What is embedded when not the whole text: the document's title, then the chunk's words (a turn's without
    its author-and-time line, so the same words said twice in a session share one vector; who and when stay in
    the text and the metadata). A comment like "Zelfde probleem, opgelost" says nothing without its ticket."""


def normalize(text: str) -> str:
    """The form of a text that is embedded and hashed: NFC, single spaces, trimmed."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def embed_key(model_id: str, text: str) -> str:
    """The identity of an embedding: the model and the normalized text, nothing else."""
    return hashlib.sha256(f"{model_id}\x00{normalize(text)}".encode()).hexdigest()


def word_tokens(text: str) -> int:
    """A cheap upper estimate of word-piece tokens (about 1.3 per word for Dutch and English)."""
    return int(len(text.split()) * 1.3) + 1


def split_to_fit(text: str, max_tokens: int, count: Callable[[str], int] = word_tokens) -> list[str]:
    """``text`` as pieces of at most ``max_tokens``, cut at sentence ends, else at words, else inside a word.

    Each sentence is counted once and pieces are packed by the sum of their sentences' counts, which bounds
    the piece's own count (a tokenizer's special tokens are counted with every sentence). A text is never
    handed to ``count`` in one piece longer than ``max_tokens * CHARS_PER_TOKEN_MAX`` characters, so a
    20 MB message without a sentence end costs no more memory than any other."""
    limit = max_tokens * CHARS_PER_TOKEN_MAX
    if len(text) <= limit and count(text) <= max_tokens:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for sentence in (s.strip() for s in _SENTENCE_END.split(text) if s.strip()):
        for bounded in _bounded(sentence, limit):
            for part, tokens in _split_long_sentence(bounded, max_tokens, count):
                if current and used + tokens > max_tokens:
                    pieces.append(" ".join(current))
                    current, used = [], 0
                current.append(part)
                used += tokens
    if current:
        pieces.append(" ".join(current))
    return pieces


def _bounded(sentence: str, limit: int) -> list[str]:
    """The sentence in runs of whole words of at most ``limit`` characters (a longer word cut in slices)."""
    if len(sentence) <= limit:
        return [sentence]
    runs: list[str] = []
    current: list[str] = []
    size = 0
    for word in sentence.split():
        for part in (word[i : i + limit] for i in range(0, len(word), limit)):
            if current and size + len(part) + 1 > limit:
                runs.append(" ".join(current))
                current, size = [], 0
            current.append(part)
            size += len(part) + 1
    if current:
        runs.append(" ".join(current))
    return runs


def _split_long_sentence(sentence: str, max_tokens: int, count: Callable[[str], int]) -> list[tuple[str, int]]:
    """The sentence with its count, or runs of its words (of a lone word's characters) sized by its tokens per
    word (per character), each with its count."""
    tokens = count(sentence)
    if tokens <= max_tokens:
        return [(sentence, tokens)]
    words = sentence.split()
    if len(sentence) <= 1:
        return [(sentence, tokens)]
    if len(words) == 1:  # one long word (a hash, base64, a path): slices of its characters
        size = max(1, int(len(sentence) * max_tokens / tokens * 0.9))
        runs = [sentence[i : i + size] for i in range(0, len(sentence), size)]
    else:
        size = max(1, int(len(words) * max_tokens / tokens * 0.9))  # < len(words), so the recursion ends
        runs = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    return [piece for run in runs for piece in _split_long_sentence(run, max_tokens, count)]


def trivial(body: str) -> bool:
    """A tiny acknowledgement: fewer than ``TRIVIAL_WORDS`` words and no digit (no number, no identifier)."""
    return len(body.split()) < TRIVIAL_WORDS and not any(ch.isdigit() for ch in body)


def _turn_groups(segments: list[SessionSegment]) -> list[list[SessionSegment]]:
    groups: list[list[SessionSegment]] = []
    for segment in segments:
        if segment.kind in TURN_KINDS_SKIPPED or segment.kind in (SegmentKind.DESCRIPTION, SegmentKind.RESOLUTION):
            continue
        if not segment.text.strip():
            continue
        last = groups[-1][-1] if groups else None
        if (
            last
            and segment.kind != SegmentKind.COMMENT
            and (last.author, last.author_role)
            == (
                segment.author,
                segment.author_role,
            )
        ):
            groups[-1].append(segment)
        else:
            groups.append([segment])
    return groups


def _turn_text(group: list[SessionSegment]) -> tuple[str, str]:
    """The turn's prefix line (author, role, time) and its body."""
    first = group[0]
    when = first.timestamp.strftime("%Y-%m-%d %H:%M") if first.timestamp else "unknown time"
    who = f"{first.author} ({first.author_role.value})" if first.author else first.author_role.value
    prefix = f"{who}, {when}:"
    lines = []
    for segment in group:
        label = "" if segment.kind in (SegmentKind.MESSAGE, SegmentKind.COMMENT) else f"[{segment.kind.value}] "
        lines.append(f"{label}{segment.text.strip()}")
    return prefix, "\n".join(lines)


def _header_text(session: Session) -> str:
    attributes = session.context.attributes
    lines = [
        f"Title: {session.insights.title}" if session.insights.title else None,
        f"Source: {session.meta.source_system.value}",
        f"Customer: {session.context.customer_name}" if session.context.customer_name else None,
        f"Contact: {session.context.contact_name}" if session.context.contact_name else None,
    ]
    lines += [
        f"{key.replace('_', ' ').capitalize()}: {attributes[key]}" for key in HEADER_ATTRIBUTES if attributes.get(key)
    ]
    if session.context.machine_names:
        lines.append(f"Machines: {', '.join(session.context.machine_names)}")
    if session.context.tags:
        lines.append(f"Tags: {', '.join(session.context.tags)}")
    if session.insights.started_at:
        lines.append(f"Started: {session.insights.started_at:%Y-%m-%d %H:%M} UTC")
    return "\n".join(line for line in lines if line)


def _mapping_text(value: Any) -> str | None:
    if isinstance(value, dict) and value:
        return "\n".join(f"{k}: {v}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list) and value:
        return "\n".join(
            ", ".join(f"{k}: {v}" for k, v in item.items() if v not in (None, ""))
            if isinstance(item, dict)
            else str(item)
            for item in value
        )
    return None


def chunk_session(
    session: Session, max_tokens: int = DEFAULT_MAX_TOKENS, count: Callable[[str], int] = word_tokens
) -> list[Chunk]:
    """Every chunk of ``session``, with deterministic ids."""
    meta = session.meta
    base = {
        "source": meta.source_system.value,
        "day": meta.partition_day,
        "session_id": meta.session_id,
        "ref": meta.source_ref,
        "customer_id": session.context.customer_id or "",
        "customer_name": session.context.customer_name or "",
        "title": session.insights.title or "",
        "started_at": session.insights.started_at.isoformat() if session.insights.started_at else "",
    }
    texts: list[tuple[str, str, str, dict[str, Any]]] = [("header", "", _header_text(session), {})]
    for chunk_type, kind, prefix in (
        ("description", SegmentKind.DESCRIPTION, "Problem:"),
        ("resolution", SegmentKind.RESOLUTION, "Resolution:"),
    ):
        if body := "\n".join(s.text.strip() for s in session.segments if s.kind == kind and s.text.strip()):
            texts.append((chunk_type, prefix, body, {}))
    for group in _turn_groups(session.segments):
        first = group[0]
        extra = {
            "author": first.author or "",
            "author_role": first.author_role.value,
            "time": first.timestamp.isoformat() if first.timestamp else "",
            "hidden": any(s.hidden for s in group),
        }
        chunk_type = "comment" if first.kind == SegmentKind.COMMENT else "turn"
        prefix, body = _turn_text(group)
        if not trivial(body):
            texts.append((chunk_type, prefix, body, extra))
    attributes = session.context.attributes
    for chunk_type, keys, prefix in (
        ("fields", FIELD_KEYS, "Fields:"),
        ("related_cis", CI_KEYS, "Related configuration items:"),
    ):
        for key in keys:
            if body := _mapping_text(attributes.get(key)):
                texts.append((chunk_type, prefix, body, {}))
    return _cut(texts, meta.session_id, base, session.insights.title or "", max_tokens, count)


def _cut(texts: list, session_id: str, base: dict, title: str, max_tokens: int, count: Callable[[str], int]) -> list:
    """The chunks of ``texts`` (type, prefix, body, extra metadata), each piece fitting the model's window with
    its prefix and the document's title, which is embedded with every chunk but the header (that holds it)."""
    chunks: list[Chunk] = []
    counters: dict[str, int] = {}
    for chunk_type, prefix, body, extra in texts:
        room = max_tokens - (count(prefix) if prefix else 0) - (count(title) if title else 0)
        for piece in split_to_fit(body, room, count):
            ordinal = counters.get(chunk_type, 0)
            counters[chunk_type] = ordinal + 1
            text = f"{prefix}\n{piece}" if prefix else piece
            said = piece if chunk_type in TURN_CHUNKS else text
            embedded = f"{title}\n{said}" if title and chunk_type != "header" else said
            chunks.append(
                Chunk(
                    chunk_id=f"{session_id}:{chunk_type}:{ordinal}",
                    session_id=session_id,
                    chunk_type=chunk_type,
                    text=text,
                    embed_text="" if embedded == text else embedded,
                    metadata={**base, **extra, "chunk_type": chunk_type},
                )
            )
    return chunks
