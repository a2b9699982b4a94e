"""SillyTavern chat logs (.jsonl) → Sessions.

A chat file holds an optional header line and one message per line; one file
often spans days of separate conversations, so it is split into sessions at
gaps of inactivity (``ParseOptions.chat_gap``). Hidden (``is_system``)
messages are kept and marked; keys SDC does not know are kept in
``source_meta``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from sdc_assets.file_drop.records import MAX_DEPTH, ParseOptions, Record, Rejected, value_problem
from sdc_assets.file_drop.text import decoded_lines
from sdc_assets.file_drop.timeparse import parse_sillytavern_date
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

HEADER_KEYS = {"chat_metadata", "user_name", "character_name"}
MESSAGE_KEYS = {"mes", "is_user", "send_date"}
PLACEHOLDER_NAMES = {"", "unused"}


def is_header(line: dict[str, Any]) -> bool:
    return not (MESSAGE_KEYS & line.keys()) and bool(HEADER_KEYS & line.keys())


def chat_identity(file: str) -> tuple[str | None, bool]:
    """The character (from ``chats/<character>/``) and whether it is a group chat."""
    parts = PurePosixPath(file).parts
    if "group chats" in parts:
        return None, True
    if len(parts) >= 2 and parts[-3:-2] == ("chats",):
        return parts[-2], False
    return (parts[-2] if len(parts) >= 2 else None), False


def parse(stream: BinaryIO, file: str, options: ParseOptions) -> Iterator[Record | Rejected]:
    """Yield one record per message, keyed by the session it falls into; a Rejected per unusable line."""
    header: dict[str, Any] = {}
    messages: list[tuple[str, dict[str, Any], datetime | None]] = []
    for line in decoded_lines(stream, file):
        where, text = f"line {line.number}", line.text.rstrip("\r\n")
        if not text.strip():
            continue
        if line.problem:
            yield Rejected(where, line.problem, text)
            continue
        try:
            obj = _json_line(text)
        except ValueError as exc:
            yield Rejected(where, str(exc), text)
            continue
        if not isinstance(obj, dict):
            yield Rejected(where, f"expected a JSON object, found {type(obj).__name__}", text)
        elif is_header(obj):
            if header or messages:
                yield Rejected(where, "a second header line in one chat", text)
            else:
                header = obj
        elif bad := next((k for k in ("mes", "name") if not isinstance(obj.get(k, ""), str)), None):
            yield Rejected(where, f"'{bad}' must be text, found {type(obj[bad]).__name__}", text)
        elif "mes" not in obj and "is_user" not in obj:
            yield Rejected(where, "neither a header nor a message (no 'mes' or 'is_user')", text)
        else:
            messages.append((where, obj, parse_sillytavern_date(obj.get("send_date"), options.local_zone)))
    yield from _sessions(file, header, messages, options)


def _json_line(text: str) -> Any:
    """One line's JSON value; ValueError with the reason when it is not JSON SDC can keep."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise ValueError(f"invalid JSON: {exc}") from None
    if problem := value_problem(value):
        raise ValueError(problem)
    return value


def _header_name(header: dict[str, Any], key: str) -> str | None:
    value = header.get(key)
    return value.strip() if isinstance(value, str) and value.strip() not in PLACEHOLDER_NAMES else None


def _fill_times(messages: list[tuple[str, dict[str, Any], datetime | None]]) -> list[tuple[datetime | None, bool]]:
    """Each message's time; an unparseable one borrows its previous, else next, neighbour's."""
    times = [t for _, _, t in messages]
    filled: list[tuple[datetime | None, bool]] = []
    for i, t in enumerate(times):
        if t is not None:
            filled.append((t, False))
            continue
        before = next((times[j] for j in range(i - 1, -1, -1) if times[j] is not None), None)
        after = next((times[j] for j in range(i + 1, len(times)) if times[j] is not None), None)
        filled.append((before or after, True))
    return filled


def _sessions(file: str, header: dict[str, Any], messages: list, options: ParseOptions) -> Iterator[Record | Rejected]:
    character, group = chat_identity(file)
    character = _header_name(header, "character_name") or character
    chat = {
        "file": file,
        "group_chat": group,
        "character": character,
        "user_name": _header_name(header, "user_name"),
        "create_date": header.get("create_date"),
        "chat_metadata": header.get("chat_metadata"),
    }
    start: datetime | None = None
    previous: datetime | None = None
    for (where, message, _), (when, inferred) in zip(messages, _fill_times(messages), strict=True):
        if when is None:
            yield Rejected(where, "no message in this chat has a readable send_date", json.dumps(message)[:500])
            continue
        if start is None or previous is None or when - previous > options.chat_gap:
            start = when
        previous = max(previous, when) if previous else when
        key = f"{file}@{start.isoformat()}"
        yield Record(key, when, "message", where, {"chat": chat, "message": message, "time_inferred": inferred})


def build_session(key: str, records: list[Record], files: list[str], day: str) -> Session:
    """One Session from the messages of one stretch of chat activity."""
    records = sorted(records, key=lambda r: int(r.location.split()[-1]))  # file order is chat order
    chat = records[0].payload["chat"]
    users = [r.payload["message"].get("name") for r in records if r.payload["message"].get("is_user")]
    user_name = chat.get("user_name") or next((u for u in users if u), None)
    characters = sorted(
        {
            str(r.payload["message"].get("name"))
            for r in records
            if not r.payload["message"].get("is_user") and r.payload["message"].get("name")
        }
    )
    started, ended = min(r.time for r in records), max(r.time for r in records)
    attributes = {k: v for k, v in chat.items() if v not in (None, {}, "")}
    attributes["participants"] = sorted({*characters, *(u for u in users if u)})
    return Session(
        meta=SessionMeta.for_source(SourceSystem.SILLYTAVERN, key, files, day, source_created_at=started),
        context=SessionContext(contact_name=user_name, attributes=attributes),
        insights=SessionInsights(
            started_at=started, ended_at=ended, duration_seconds=(ended - started).total_seconds()
        ),
        segments=[_segment(r, user_name) for r in records],
    ).with_content_hash()


def _segment(record: Record, user_name: str | None) -> SessionSegment:
    message = record.payload["message"]
    extra = message.get("extra") if isinstance(message.get("extra"), dict) else {}
    if message.get("is_user"):
        role = AuthorRole.USER
    elif extra.get("type") == "narrator" or (message.get("is_system") and not message.get("name")):
        role = AuthorRole.SYSTEM
    else:
        role = AuthorRole.ASSISTANT
    meta = {k: v for k, v in message.items() if k not in ("mes", "name", "is_user")}
    meta["location"] = record.location
    if record.payload["time_inferred"]:
        meta["time_inferred"] = True
    return SessionSegment(
        timestamp=record.time,
        author=str(message.get("name") or (user_name if message.get("is_user") else "")) or None,
        author_role=role,
        kind=SegmentKind.MESSAGE,
        text=message.get("mes") or "",
        hidden=bool(message.get("is_system")),
        source_meta=meta,
    )
