"""ScreenConnect (ConnectWise Control) CSV exports → Sessions.

Reads the report engine's Session, SessionConnection, SessionEvent and
SessionConnectionEvent exports (header = the selected field names, parent
fields prefixed with the parent's name) and the RMM data view's human-header
export. One SDC Session is one ScreenConnect session on one local day: every
connection and event of that session on that day, in time order. The unit
works whatever report combination is dropped, since each row carries its own
time; a connection that runs past midnight stays on the day it started.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

from sdc_assets.file_drop.csv_rows import Row, csv_rows, line_fields
from sdc_assets.file_drop.records import ParseOptions, Record, Rejected, SourceParseError
from sdc_assets.file_drop.text import decoded_lines
from sdc_assets.file_drop.timeparse import detect_culture_format, parse_culture_time
from sdc_assets.partitions import local_day
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

SESSION_FIELDS = (
    "SessionType",
    "Name",
    "Host",
    "CreatedTime",
    "IsEnded",
    "Code",
    *(f"CustomProperty{i}" for i in range(1, 9)),
    "GuestMachineName",
    "GuestLoggedOnUserName",
    "GuestLoggedOnUserDomain",
    "GuestOperatingSystemName",
    "GuestPrivateNetworkAddress",
    "GuestLastActivityTime",
)
EVENT_KINDS = {
    "AddedNote": SegmentKind.NOTE,
    "QueuedCommand": SegmentKind.COMMAND,
    "RanCommand": SegmentKind.COMMAND_OUTPUT,
    "QueuedMessage": SegmentKind.MESSAGE,
    "SentMessage": SegmentKind.MESSAGE,
    "Connected": SegmentKind.CONNECTION,
    "Disconnected": SegmentKind.CONNECTION,
}


def classify_header(header: list[str]) -> str:
    """Which export a header row belongs to: rmm, event, connection or session."""
    names = set(header)
    if "Connected Time" in names and names & {"Participant Name", "Computer", "Session Name"}:
        return "rmm"
    if "EventType" in names:
        return "event"
    if "ConnectionID" in names or "ConnectedTime" in names:
        return "connection"
    if "SessionID" in names:
        return "session"
    raise ValueError(f"not a ScreenConnect export header: {', '.join(header[:12])}")


def parse(stream: BinaryIO, file: str, options: ParseOptions) -> Iterator[Record | Rejected]:
    """Yield one record per usable row and a Rejected per malformed one."""
    shape: dict[str, object] = {}
    items = csv_rows(decoded_lines(stream, file), lambda text: _is_row_start(text, shape))
    header_item = next((i for i in items if not (isinstance(i, Row) and not any(f.strip() for f in i.fields))), None)
    if header_item is None:
        raise SourceParseError(file, "line 1", "empty file: no header row")
    if isinstance(header_item, Rejected):
        raise SourceParseError(file, header_item.location, f"unreadable header row: {header_item.reason}")
    header = [h.strip().lstrip("\ufeff") for h in header_item.fields]
    try:
        report = classify_header(header)
    except ValueError as exc:
        raise SourceParseError(file, header_item.where, str(exc)) from None
    time_columns = [i for i, h in enumerate(header) if h.endswith("Time")]
    shape.update(width=len(header), time_columns=time_columns)
    body = list(items)
    fmt = detect_culture_format(
        r.fields[i] for r in body if isinstance(r, Row) and len(r.fields) == len(header) for i in time_columns
    )
    for item in body:
        if isinstance(item, Rejected):
            yield item
            continue
        raw = ",".join(item.fields)
        if not any(cell.strip() for cell in item.fields):
            continue
        if len(item.fields) != len(header):
            yield Rejected(item.where, f"expected {len(header)} fields, found {len(item.fields)}", raw)
            continue
        try:
            yield _record(report, dict(zip(header, item.fields, strict=True)), item.where, fmt, options)
        except ValueError as exc:
            yield Rejected(item.where, str(exc), raw)


def _is_row_start(text: str, shape: dict) -> bool:
    """Whether the line ``text`` begins a row of this export: no more fields than the header, every time column
    among its complete fields a time, and at least one (a line of command output rarely is)."""
    if not shape or (found := line_fields(text)) is None:
        return False
    fields, complete = found
    if len(fields) > shape["width"] or (complete and len(fields) != shape["width"]):
        return False
    times = [fields[i].strip() for i in shape["time_columns"] if i < len(fields)]
    return any(times) and all(_is_time(t) for t in times if t)


def _is_time(text: str) -> bool:
    try:
        parse_culture_time(text, None)
    except ValueError:
        return False
    return True


def _time(row: dict[str, str], column: str, fmt: str | None) -> datetime | None:
    return parse_culture_time(row.get(column, ""), fmt)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _session_fields(row: dict[str, str], report: str) -> dict[str, str]:
    fields = {}
    for name in SESSION_FIELDS:
        value = row.get(name) if report == "session" else row.get(f"Session{name}", row.get(name))
        if value and value.strip():
            fields[name] = value.strip()
    return fields


def _record(report: str, row: dict[str, str], where: str, fmt: str | None, options: ParseOptions) -> Record:
    if report == "rmm":
        return _rmm_record(row, where, fmt, options)
    session_id = row.get("SessionID", "").strip()
    if not session_id:
        raise ValueError("row has no SessionID")
    payload: dict[str, Any] = {
        "report": report,
        "session_id": session_id,
        "connection_id": row.get("ConnectionID", "").strip() or None,
        "session": _session_fields(row, report),
        "columns": row,
    }
    if report == "session":
        when = _time(row, "CreatedTime", fmt)
        missing = "session row has no CreatedTime"
    elif report == "connection":
        connected, disconnected = _time(row, "ConnectedTime", fmt), _time(row, "DisconnectedTime", fmt)
        payload |= _connection_fields(row, connected, disconnected, row.get("DurationSeconds"))
        when = connected or disconnected
        missing = "connection row has neither ConnectedTime nor DisconnectedTime"
    else:
        when = _time(row, "Time", fmt)
        payload |= {
            "event_type": row.get("EventType", "").strip(),
            "data": row.get("Data", ""),
            "host": row.get("Host", "").strip() or None,
            "participant": (row.get("ConnectionParticipantName") or row.get("ParticipantName") or "").strip() or None,
            "process_type": (row.get("ConnectionProcessType") or row.get("ProcessType") or "").strip() or None,
        }
        missing = "event row has no Time"
    if when is None:
        raise ValueError(missing)
    return Record(_day_key(f"session/{session_id}", when, options), when, report, where, payload)


def _connection_fields(row: dict[str, str], connected, disconnected, duration: str | None) -> dict[str, Any]:
    return {
        "participant": (row.get("ParticipantName") or row.get("Participant Name") or "").strip() or None,
        "process_type": row.get("ProcessType", "").strip() or None,
        "network_address": row.get("NetworkAddress", "").strip() or None,
        "connected_at": _iso(connected),
        "disconnected_at": _iso(disconnected),
        "duration_seconds": _duration(duration),
    }


def _rmm_record(row: dict[str, str], where: str, fmt: str | None, options: ParseOptions) -> Record:
    connected, disconnected = _time(row, "Connected Time", fmt), _time(row, "Disconnected Time", fmt)
    when = connected or disconnected
    if when is None:
        raise ValueError("row has neither Connected Time nor Disconnected Time")
    computer = (row.get("Computer ID") or row.get("Computer") or "").strip() or "unknown-computer"
    name = (row.get("Session Name") or "").strip()
    payload = {
        "report": "rmm",
        "session": {"Name": name} if name else {},
        "client": (row.get("Client") or "").strip() or None,
        "location": (row.get("Location") or "").strip() or None,
        "computer": (row.get("Computer") or "").strip() or None,
        "columns": row,
        **_connection_fields(row, connected, disconnected, row.get("Duration")),
    }
    payload["process_type"] = "Host"
    return Record(_day_key(f"rmm/{computer}/{name}", when, options), when, "connection", where, payload)


def _day_key(ref: str, when: datetime, options: ParseOptions) -> str:
    return f"{ref}/{local_day(when, options.zone)}"


def _duration(value: str | None) -> float | None:
    """Seconds from ``DurationSeconds`` or an RMM ``Duration`` such as ``00:35:10``."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        if ":" in text:
            seconds = 0.0
            for part in text.split(":"):
                seconds = seconds * 60 + float(part)
            return seconds
        return float(text)
    except ValueError:
        return None


def build_session(key: str, records: list[Record], files: list[str], day: str) -> Session:
    """One Session from all records of a ScreenConnect session on one day."""
    records = sorted(records, key=lambda r: (r.time, r.location))
    attrs: dict[str, Any] = {}
    for record in records:
        for name, value in record.payload.get("session", {}).items():
            attrs.setdefault(name, value)
    segments = [_segment(r) for r in records]
    times = [r.time for r in records if r.time] + [
        datetime.fromisoformat(r.payload["disconnected_at"]) for r in records if r.payload.get("disconnected_at")
    ]
    started, ended = min(times), max(times)
    first = records[0].payload
    customer = attrs.get("CustomProperty1") or next(
        (r.payload["client"] for r in records if r.payload.get("client")), None
    )
    machines = {attrs.get("GuestMachineName"), *(r.payload.get("computer") for r in records)}
    if attrs.get("SessionType") == "Access":
        machines.add(attrs.get("Name"))
    guests = [
        r.payload["participant"]
        for r in records
        if r.payload.get("process_type") == "Guest" and r.payload.get("participant")
    ]
    attributes = {**attrs, **({"session_id": first["session_id"]} if first.get("session_id") else {})}
    if location := next((r.payload["location"] for r in records if r.payload.get("location")), None):
        attributes["Location"] = location
    return Session(
        meta=SessionMeta.for_source(SourceSystem.SCREENCONNECT, key, files, day, source_created_at=started),
        context=SessionContext(
            customer_name=customer,
            contact_name=guests[0] if guests else None,
            machine_names=sorted(m for m in machines if m),
            attributes=attributes,
        ),
        insights=SessionInsights(
            started_at=started,
            ended_at=ended,
            duration_seconds=(ended - started).total_seconds(),
            user_notes=[s.text for s in segments if s.kind == SegmentKind.NOTE],
        ),
        segments=segments,
    ).with_content_hash()


def _role(payload: dict[str, Any]) -> AuthorRole:
    if payload.get("process_type") == "Guest":
        return AuthorRole.CUSTOMER
    if payload.get("process_type") == "Host" or payload.get("host"):
        return AuthorRole.TECH
    return AuthorRole.UNKNOWN


def _segment(record: Record) -> SessionSegment:
    p = record.payload
    meta = {"location": record.location, "report": p["report"]}
    if record.kind == "session":
        attrs = p["session"]
        text = f"Session created: {attrs.get('Name', '?')} ({attrs.get('SessionType', 'unknown type')})"
        return SessionSegment(
            timestamp=record.time,
            author=attrs.get("Host"),
            author_role=AuthorRole.TECH,
            kind=SegmentKind.EVENT,
            text=text,
            source_meta=meta,
        )
    if record.kind == "connection":
        who = p.get("participant") or "unknown participant"
        text = f"{who} ({p.get('process_type') or 'participant'}) connected"
        if p.get("network_address"):
            text += f" from {p['network_address']}"
        if p.get("disconnected_at"):
            text += f", disconnected {p['disconnected_at']}"
        if p.get("duration_seconds") is not None:
            text += f" ({p['duration_seconds']:.0f} s)"
        meta |= {k: p[k] for k in ("connection_id", "connected_at", "disconnected_at", "duration_seconds") if p.get(k)}
        return SessionSegment(
            timestamp=record.time,
            author=p.get("participant"),
            author_role=_role(p),
            kind=SegmentKind.CONNECTION,
            text=text,
            source_meta=meta,
        )
    event_type = p.get("event_type") or "UnknownEvent"
    data = (p.get("data") or "").strip()
    who = p.get("host") or p.get("participant")
    meta |= {"event_type": event_type, **({"connection_id": p["connection_id"]} if p.get("connection_id") else {})}
    return SessionSegment(
        timestamp=record.time,
        author=who,
        author_role=_role(p),
        kind=EVENT_KINDS.get(event_type, SegmentKind.EVENT),
        text=data or (f"{event_type} ({who})" if who else event_type),
        source_meta=meta,
    )
