"""Ticketportaal tickets as Sessions: pure functions over the records ``queries.fetch_tickets`` returns."""

from datetime import datetime

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

STAFF_ROLES = {"agent", "admin"}
TICKET_FIELDS = ("ticket_number", "status", "priority", "ticket_type", "source", "satisfaction_rating", "resolved_at")
CI_SUMMARY = ("ci_number", "name", "type", "brand", "model", "serial_number", "asset_tag", "status")


def utc(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def creation_day(record: dict, zone: str) -> str:
    """The local day (the partition) on which the ticket was created."""
    return local_day(utc(record["created_at"]), zone)


def _role(person: dict | None) -> AuthorRole:
    if not person:
        return AuthorRole.UNKNOWN
    return AuthorRole.TECH if person.get("role") in STAFF_ROLES else AuthorRole.CUSTOMER


def _name(person: dict | None) -> str | None:
    return (person.get("name") or person.get("email")) if person else None


def _segments(record: dict) -> list[SessionSegment]:
    requester = record.get("requester")
    segments = []
    if (record.get("description") or "").strip():
        segments.append(
            SessionSegment(
                timestamp=utc(record["created_at"]),
                author=_name(requester),
                author_role=_role(requester),
                kind=SegmentKind.DESCRIPTION,
                text=record["description"].strip(),
            )
        )
    for comment in record.get("comments") or []:
        if not (comment.get("comment") or "").strip():
            continue
        author = comment.get("author")
        segments.append(
            SessionSegment(
                timestamp=utc(comment.get("created_at")),
                author=_name(author),
                author_role=_role(author),
                kind=SegmentKind.COMMENT,
                text=comment["comment"].strip(),
                hidden=bool(comment.get("is_internal")),
                source_meta={
                    "comment_id": comment["comment_id"],
                    "internal": bool(comment.get("is_internal")),
                    "user_id": author.get("user_id") if author else None,
                },
            )
        )
    if (record.get("resolution") or "").strip():
        agent = record.get("agent")
        segments.append(
            SessionSegment(
                timestamp=utc(record.get("resolved_at")),
                author=_name(agent),
                author_role=AuthorRole.TECH if agent else AuthorRole.UNKNOWN,
                kind=SegmentKind.RESOLUTION,
                text=record["resolution"].strip(),
            )
        )
    return segments


def _attributes(record: dict) -> dict:
    attributes = {k: record[k] for k in TICKET_FIELDS if record.get(k) not in (None, "")}
    if record.get("category"):
        attributes["category"] = record["category"]["name"]
        attributes["category_id"] = record["category"]["category_id"]
    for key, person in (("requester", record.get("requester")), ("assigned_agent", record.get("agent"))):
        if person:
            attributes[key] = {k: person.get(k) for k in ("user_id", "name", "email", "department")}
    if fields := {f["field_label"]: f["field_value"] for f in record.get("fields") or [] if f.get("field_value")}:
        attributes["fields"] = fields
    if cis := record.get("configuration_items"):
        attributes["configuration_items"] = [{k: ci.get(k) for k in CI_SUMMARY} for ci in cis]
    return attributes


def ticket_session(record: dict, day: str) -> Session:
    """One Session per ticket: description, comments (internal ones hidden) and resolution as segments."""
    ticket_id = record["ticket_id"]
    created = utc(record["created_at"])
    requester = record.get("requester") or {}
    segments = _segments(record)
    times = [s.timestamp for s in segments if s.timestamp]
    machines = [ci["name"] for ci in record.get("configuration_items") or [] if ci.get("type") == "Hardware"]
    return Session(
        meta=SessionMeta.for_source(
            SourceSystem.TICKETPORTAAL,
            f"ticket/{ticket_id}",
            [f"ticketportaal:tickets/{ticket_id}"],
            day,
            source_created_at=created,
            source_updated_at=utc(record.get("updated_at")),
        ),
        context=SessionContext(
            contact_name=_name(requester),
            emails=[requester["email"]] if requester.get("email") else [],
            machine_names=machines,
            attributes=_attributes(record),
        ),
        insights=SessionInsights(
            started_at=created,
            ended_at=utc(record.get("resolved_at")) or (max(times) if times else None),
            title=record.get("title") or None,
        ),
        segments=segments,
    ).with_content_hash()
