"""Legacy notes JSON → Sessions, one per note or to-do.

The export can be hundreds of MB, so it is streamed with ijson: memory holds
one note at a time. The top level is a list of notes or an object with a
``notes`` list. A note seen in several files (or twice in one) becomes one
Session: the version with the latest ``updated_at`` wins.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

import ijson

from sdc_assets.file_drop.records import ParseOptions, Record, Rejected, SourceParseError, preview, value_problem
from sdc_assets.file_drop.text import utf8_stream
from sdc_assets.file_drop.timeparse import parse_iso
from sdc_assets.sessions.model import (
    AuthorRole,
    SegmentKind,
    Session,
    SessionContext,
    SessionInsights,
    SessionMeta,
    SessionSegment,
    SourceSystem,
)

NOTE_TYPES = {"note", "todo"}
_LEAD = 4096


def parse(stream: BinaryIO, file: str, options: ParseOptions) -> Iterator[Record | Rejected]:
    """Yield a record per valid note and a Rejected per invalid one, streaming.

    The file is read in its own encoding (UTF-8, UTF-16, Windows-1252) as UTF-8; a note holding bytes that
    are not valid in it, or a NUL byte, is quarantined and the notes after it still load."""
    text, decoder = utf8_stream(stream, file)
    prefix = _top_level_prefix(text, file)
    index = -1
    seen_notes_key = prefix == "item"
    try:
        for index, note in enumerate(ijson.items(text, prefix, use_float=True)):
            seen_notes_key = True
            where = f"notes[{index}]"
            try:
                record = _record(note, where, options, decoder.damaged)
            except ValueError as exc:
                yield Rejected(where, str(exc), preview(note))
                continue
            except Exception as exc:  # any other failure of one note stays that note's
                yield Rejected(where, f"{type(exc).__name__}: {exc}", preview(note))
                continue
            yield record
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        at = f"after notes[{index}]" if index >= 0 else "before the first note"
        reason = f"invalid JSON: {_message(exc)}; the notes after this point could not be read"
        raise SourceParseError(file, at, reason) from None
    if not seen_notes_key and not _had_notes_key(stream, file):
        raise SourceParseError(file, "top level", "a JSON object without a 'notes' list")


def _message(exc: Exception) -> str:
    """ijson's message as text (its C parser gives bytes), on one line."""
    message = exc.args[0] if exc.args else str(exc)
    if isinstance(message, bytes):
        message = message.decode("utf-8", errors="replace")
    return " ".join(str(message).split())[:300]


def _had_notes_key(stream: BinaryIO, file: str) -> bool:
    stream.seek(0)
    text, _ = utf8_stream(stream, file)
    try:
        return any(
            prefix == "" and event == "map_key" and value == "notes" for prefix, event, value in ijson.parse(text)
        )
    except ijson.JSONError:
        return False


def _top_level_prefix(text, file: str) -> str:
    lead = text.peek(_LEAD).lstrip()
    if not lead:
        raise SourceParseError(file, "top level", "empty file")
    if lead.startswith(b"["):
        return "item"
    if lead.startswith(b"{"):
        return "notes.item"
    raise SourceParseError(file, "top level", "expected a JSON list of notes or an object with a 'notes' list")


def _text(note: dict[str, Any], key: str) -> str | None:
    value = note.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"'{key}' must be text, found {type(value).__name__}")
    return value.strip() or None


def _record(note: Any, where: str, options: ParseOptions, damaged: set[str] | frozenset = frozenset()) -> Record:
    if not isinstance(note, dict):
        raise ValueError(f"expected a note object, found {type(note).__name__}")
    if problem := value_problem(note):
        raise ValueError(problem)
    if damaged and "\ufffd" in preview(note):
        raise ValueError(f"holds text that cannot be read: {' or '.join(sorted(damaged))} in this file")
    note_id = note.get("id")
    if isinstance(note_id, bool) or not isinstance(note_id, str | int) or not str(note_id).strip():
        raise ValueError("note has no id")
    note_type = note.get("type") or "note"
    if not isinstance(note_type, str) or note_type not in NOTE_TYPES:
        raise ValueError(f"unknown type {note_type!r} (expected 'note' or 'todo')")
    for key in ("title", "content", "customer", "contact"):
        _text(note, key)
    items = note.get("items") or []
    if not isinstance(items, list) or not all(isinstance(i, dict | str) for i in items):
        raise ValueError("'items' must be a list of {text, done} objects")
    tags = note.get("tags") or []
    if not isinstance(tags, list):
        raise ValueError("'tags' must be a list")
    created, updated = (_date(note, k, options) for k in ("created_at", "updated_at"))
    when = created or updated
    if when is None:
        raise ValueError("note has no readable created_at or updated_at, so it has no day")
    payload = {"note": note, "created_at": _iso(created), "updated_at": _iso(updated)}
    return Record(f"note/{note_id}", when, note_type, where, payload)


def _date(note: dict[str, Any], key: str, options: ParseOptions) -> datetime | None:
    value = note.get(key)
    return parse_iso(value, options.local_zone) if isinstance(value, str) else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def build_session(key: str, records: list[Record], files: list[str], day: str) -> Session:
    """One Session from the newest version of a note."""
    latest = max(records, key=lambda r: (r.payload["updated_at"] or "", r.payload["created_at"] or ""))
    note, kind = latest.payload["note"], latest.kind
    created = datetime.fromisoformat(latest.payload["created_at"]) if latest.payload["created_at"] else None
    updated = datetime.fromisoformat(latest.payload["updated_at"]) if latest.payload["updated_at"] else None
    started = min(r.time for r in records)
    segments = []
    if content := _text(note, "content"):
        segments.append(
            SessionSegment(
                timestamp=created or started,
                author_role=AuthorRole.TECH,
                kind=SegmentKind.NOTE,
                text=content,
                source_meta={"location": latest.location},
            )
        )
    for i, item in enumerate(note.get("items") or []):
        item = item if isinstance(item, dict) else {"text": item}
        done = bool(item.get("done"))
        if not str(item.get("text") or "").strip():
            continue  # an item without text is no to-do
        segments.append(
            SessionSegment(
                timestamp=created or started,
                author_role=AuthorRole.TECH,
                kind=SegmentKind.TODO_ITEM,
                text=f"[{'x' if done else ' '}] {str(item.get('text') or '').strip()}",
                source_meta={"done": done, "index": i, **{k: v for k, v in item.items() if k not in ("text", "done")}},
            )
        )
    known = {"id", "type", "title", "content", "customer", "contact", "tags", "created_at", "updated_at", "items"}
    attributes = {"note_id": str(note["id"]), "type": kind, **{k: v for k, v in note.items() if k not in known}}
    if len(records) > 1:
        attributes["versions_seen"] = len(records)
    return Session(
        meta=SessionMeta.for_source(
            SourceSystem.NOTES, key, files, day, source_created_at=created, source_updated_at=updated
        ),
        context=SessionContext(
            customer_name=_text(note, "customer"),
            contact_name=_text(note, "contact"),
            tags=[str(t) for t in note.get("tags") or []],
            attributes=attributes,
        ),
        insights=SessionInsights(started_at=started, title=_text(note, "title")),
        segments=segments,
    ).with_content_hash()
