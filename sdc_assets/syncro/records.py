"""Syncro's records as SDC reads them: checked field by field, normalized, or refused with a reason.

The API's documented shapes are the rule and anything else the exception a live account will still send:
a field missing or of another type, a time without an offset, a comment that is not an object, tags as
one string. A record without what identifies it (its ``id``; a ticket's ``created_at``) is refused; any
other field that cannot be read is dropped from the record and reported. Every report names the
endpoint, the record's id, the field and the reason, for the quarantine.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import tzinfo

from sdc_resources.syncro_client import has_offset, parse_time

TICKET_TIMES = ("updated_at", "resolved_at", "due_date")
COMMENT_TIMES = ("created_at", "updated_at")
PREVIEW_CHARS = 2000


@dataclass(frozen=True)
class Problem:
    """One field of one record that SDC could not read."""

    endpoint: str
    id: str | None
    field: str
    reason: str
    refused: bool
    """True: the whole record was left out; False: only the field was."""
    raw: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _raw(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)[:PREVIEW_CHARS]
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:PREVIEW_CHARS]


def record_id(item: object) -> int | None:
    """The record's integer id, or None when it has none that can be read."""
    if not isinstance(item, dict):
        return None
    value = item.get("id")
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def clean_listing(items: list, endpoint: str) -> tuple[list[dict], list[Problem]]:
    """The records of a listing that have an id (as ints), sorted by it, and a Problem per refused one."""
    kept, problems = [], []
    for item in items:
        number = record_id(item)
        if number is None:
            reason = "not an object" if not isinstance(item, dict) else "no integer 'id'"
            field = "" if not isinstance(item, dict) else "id"
            problems.append(Problem(endpoint, None, field, reason, True, _raw(item)))
            continue
        kept.append({**item, "id": number})
    return sorted(kept, key=lambda item: item["id"]), problems


def _time_field(record: dict, field: str, zone: tzinfo, problems: list, endpoint: str, ident: str) -> None:
    try:
        parse_time(record.get(field), zone)
    except ValueError as exc:
        problems.append(Problem(endpoint, ident, field, str(exc), False, _raw(record.get(field))))
        record[field] = None


def clean_comment(comment: object, position: int, ticket_id: str, zone: tzinfo) -> tuple[dict | None, list[Problem]]:
    endpoint, field = f"/tickets/{ticket_id}/comments", f"comments[{position}]"
    if not isinstance(comment, dict):
        reason = f"a comment must be an object, found {type(comment).__name__}"
        return None, [Problem(endpoint, ticket_id, field, reason, True, _raw(comment))]
    problems: list[Problem] = []
    comment = dict(comment)
    for name in COMMENT_TIMES:
        _time_field(comment, name, zone, problems, endpoint, ticket_id)
    if not isinstance(comment.get("body"), str | type(None)):
        comment["body"] = _raw(comment["body"])
    return comment, [Problem(p.endpoint, p.id, f"{field}.{p.field}", p.reason, False, p.raw) for p in problems]


def clean_ticket(ticket: object, zone: tzinfo) -> tuple[dict | None, list[Problem]]:
    """The ticket with every field SDC reads in its documented type, or None when it cannot be placed."""
    number = record_id(ticket)
    if number is None:
        reason = "not an object" if not isinstance(ticket, dict) else "no integer 'id'"
        return None, [Problem("/tickets", None, "id", reason, True, _raw(ticket))]
    ident = str(number)
    try:
        if parse_time(ticket.get("created_at"), zone) is None:
            raise ValueError("missing: the ticket has no day")
    except ValueError as exc:
        return None, [Problem("/tickets", ident, "created_at", str(exc), True, _raw(ticket))]
    problems: list[Problem] = []
    clean = {**ticket, "id": number}
    for name in TICKET_TIMES:
        _time_field(clean, name, zone, problems, "/tickets", ident)
    for name, kind in (("user", dict), ("properties", dict)):
        if clean.get(name) is not None and not isinstance(clean[name], kind):
            reason = f"expected an object, found {type(clean[name]).__name__}"
            problems.append(Problem("/tickets", ident, name, reason, False, _raw(clean[name])))
            clean[name] = None
    clean["tag_list"] = _tags(clean.get("tag_list"), ident, problems)
    comments = clean.get("comments") or []
    if not isinstance(comments, list):
        problems.append(Problem("/tickets", ident, "comments", "expected a list", False, _raw(comments)))
        comments = []
    kept = []
    for position, comment in enumerate(comments):
        fixed, found = clean_comment(comment, position, ident, zone)
        problems += found
        if fixed is not None:
            kept.append(fixed)
    clean["comments"] = kept
    naive = [name for name in ("created_at", *TICKET_TIMES) if clean.get(name) and not has_offset(clean[name])]
    if naive:
        clean["sdc_times_read_in"] = {"zone": str(zone), "fields": naive}
    return clean, problems


def _tags(value: object, ident: str, problems: list[Problem]) -> list[str]:
    """``tag_list`` as a list of strings: a comma-separated string is split, anything else reported."""
    if value is None:
        return []
    if isinstance(value, str):
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    if isinstance(value, list):
        return [str(tag) for tag in value if isinstance(tag, str | int | float) and str(tag).strip()]
    problems.append(Problem("/tickets", ident, "tag_list", f"expected a list, found {type(value).__name__}", False))
    return []
