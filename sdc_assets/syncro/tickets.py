"""Syncro tickets as Sessions: pure functions over the API's JSON, once :mod:`records` has checked it."""

import re
from datetime import UTC, datetime, timedelta, tzinfo

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
from sdc_resources.syncro_client import parse_time

# A comment whose subject says so carries the fix.
_RESOLUTION_SUBJECT = re.compile(r"resol|opgelost|oplossing|fixed|solution", re.IGNORECASE)
_INITIAL_SUBJECT = re.compile(r"initial issue|probleem|melding", re.IGNORECASE)
_NEVER = datetime.min.replace(tzinfo=UTC)
# Ticket fields kept in the session's attributes (the raw JSON keeps everything).
TICKET_FIELDS = (
    "number",
    "subject",
    "status",
    "problem_type",
    "priority",
    "ticket_type_name",
    "due_date",
    "resolved_at",
    "location_name",
    "sla_name",
    "contract_name",
    "billing_status",
)


def creation_day(ticket: dict, partition_zone: str, account_zone: tzinfo) -> str:
    """The local day (the partition) on which the ticket was created."""
    return local_day(parse_time(ticket["created_at"], account_zone), partition_zone)


def comments_incomplete(ticket: dict, zone: tzinfo, slack: timedelta = timedelta(minutes=1)) -> bool:
    """Whether the embedded comments may be cut back: Syncro now embeds only the first one.

    With at most one embedded comment and a ticket touched after it, ``/tickets/{id}/comments`` is asked.
    """
    embedded = ticket.get("comments") or []
    if len(embedded) > 1:
        return False
    when = embedded[-1].get("created_at") if embedded else ticket.get("created_at")
    last, updated = parse_time(when, zone), parse_time(ticket.get("updated_at"), zone)
    return updated is None or last is None or updated > last + slack


def stored_as_listed(listed: list[dict], stored: list[dict]) -> bool:
    """Whether a day's stored tickets are the listed ones: the same tickets, every field equal and every listed
    comment held as it is (the stored copy may hold more: those fetched from ``/tickets/{id}/comments``)."""
    held = {t["id"]: t for t in stored}
    if held.keys() != {t["id"] for t in listed}:
        return False
    for ticket in listed:
        copy = held[ticket["id"]]
        if {k: v for k, v in ticket.items() if k != "comments"} != {k: v for k, v in copy.items() if k != "comments"}:
            return False
        comments = {c.get("id"): c for c in copy.get("comments") or []}
        if any(comments.get(c.get("id")) != c for c in ticket.get("comments") or []):
            return False
    return True


def sorted_comments(comments: list[dict], zone: tzinfo) -> list[dict]:
    """Comments each once (by id, the later copy winning), oldest first: the API's order is no promise."""
    by_id = {c.get("id"): c for c in comments}
    return sorted(by_id.values(), key=lambda c: (parse_time(c.get("created_at"), zone) or _NEVER, str(c.get("id"))))


def _segment(comment: dict, position: int, ticket: dict, zone: tzinfo) -> SessionSegment:
    tech = comment.get("user_id") is not None
    subject = comment.get("subject") or ""
    if _RESOLUTION_SUBJECT.search(subject):
        kind = SegmentKind.RESOLUTION
    elif position == 0 or _INITIAL_SUBJECT.search(subject):
        kind = SegmentKind.DESCRIPTION
    else:
        kind = SegmentKind.COMMENT
    author = comment.get("tech") or (None if tech else ticket.get("contact_fullname"))
    return SessionSegment(
        timestamp=parse_time(comment.get("created_at"), zone),
        author=author or None,
        author_role=AuthorRole.TECH if tech else AuthorRole.CUSTOMER,
        kind=kind,
        text=str(comment.get("body") or "").strip(),
        hidden=bool(comment.get("hidden")),
        source_meta={
            "comment_id": comment.get("id"),
            "subject": subject,
            "internal": bool(comment.get("hidden")),
            "user_id": comment.get("user_id"),
        },
    )


def _str_id(value) -> str | None:
    return str(value) if value not in (None, "") else None


def ticket_session(ticket: dict, day: str, zone: tzinfo) -> Session:
    """One Session per (checked) ticket: its comments as segments, oldest first, its fields in context and
    attributes. Times without an offset are read in the account's ``zone``, and the session says so."""
    ticket_id = ticket["id"]
    created = parse_time(ticket["created_at"], zone)
    comments = [c for c in sorted_comments(ticket.get("comments") or [], zone) if str(c.get("body") or "").strip()]
    segments = [_segment(c, i, ticket, zone) for i, c in enumerate(comments)]
    user = ticket.get("user") or {}
    attributes = {k: ticket[k] for k in TICKET_FIELDS if ticket.get(k) not in (None, "", [], {})}
    if ticket.get("ticket_type_name"):
        attributes["ticket_type"] = ticket["ticket_type_name"]
    if user or ticket.get("user_id"):
        attributes["assigned_tech"] = {
            "id": user.get("id", ticket.get("user_id")),
            "name": user.get("full_name"),
            "email": user.get("email"),
        }
    if ticket.get("properties"):
        attributes["properties"] = ticket["properties"]
    if ticket.get("sdc_times_read_in"):
        attributes["times_read_in_account_zone"] = ticket["sdc_times_read_in"]
    resolved = parse_time(ticket.get("resolved_at"), zone)
    times = [s.timestamp for s in segments if s.timestamp]
    return Session(
        meta=SessionMeta.for_source(
            SourceSystem.SYNCRO,
            f"ticket/{ticket_id}",
            [f"syncro:/tickets/{ticket_id}"],
            day,
            source_created_at=created,
            source_updated_at=parse_time(ticket.get("updated_at"), zone),
        ),
        context=SessionContext(
            customer_id=_str_id(ticket.get("customer_id")),
            contact_id=_str_id(ticket.get("contact_id")),
            customer_name=ticket.get("customer_business_then_name") or None,
            contact_name=ticket.get("contact_fullname") or None,
            tags=[str(t) for t in ticket.get("tag_list") or []],
            attributes=attributes,
        ),
        insights=SessionInsights(
            started_at=created,
            ended_at=resolved or (max(times) if times else None),
            title=ticket.get("subject") or None,
        ),
        segments=segments,
    ).with_content_hash()
