"""The standard Session model every SDC source is turned into.

A session file's top-level keys are ``meta``, ``context``, ``insights`` and
``segments``. Times are timezone-aware and stored in UTC.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

SCHEMA_VERSION = 1
SESSION_NAMESPACE = uuid.UUID("5d0c2b8e-3f6a-4c51-9a57-2f0e5b8c1d47")


class SessionStatus(StrEnum):
    """Lifecycle: needs_linking → linked | needs_review → analyzed."""

    NEEDS_LINKING = "needs_linking"
    LINKED = "linked"
    NEEDS_REVIEW = "needs_review"
    ANALYZED = "analyzed"


class SourceSystem(StrEnum):
    SCREENCONNECT = "screenconnect"
    SILLYTAVERN = "sillytavern"
    NOTES = "notes"
    SYNCRO = "syncro"
    TICKETPORTAAL = "ticketportaal"


class AuthorRole(StrEnum):
    TECH = "tech"
    CUSTOMER = "customer"
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    UNKNOWN = "unknown"


class SegmentKind(StrEnum):
    MESSAGE = "message"
    NOTE = "note"
    TODO_ITEM = "todo_item"
    EVENT = "event"
    CONNECTION = "connection"
    COMMAND = "command"
    COMMAND_OUTPUT = "command_output"
    COMMENT = "comment"
    DESCRIPTION = "description"
    RESOLUTION = "resolution"


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class SessionMeta(_Strict):
    session_id: str = Field(description="Deterministic id: uuid5 of the source and its native ids.")
    source_system: SourceSystem
    source_ref: str = Field(description="The source-native reference, e.g. 'session/<guid>/2025-03-10'.")
    source_files: list[str] = Field(default_factory=list, description="Inbox-relative files it came from.")
    status: SessionStatus = SessionStatus.NEEDS_LINKING
    content_hash: str = Field(default="", description="sha256 of the content (context, insights, segments).")
    schema_version: int = SCHEMA_VERSION
    partition_day: str = Field(description="The local day (YYYY-MM-DD) the activity started.")
    source_created_at: AwareDatetime | None = None
    source_updated_at: AwareDatetime | None = None
    ingested_at: AwareDatetime | None = Field(
        default=None, description="When SDC last wrote a changed version of this session."
    )
    analyzed_hash: str | None = Field(
        default=None, description="The content_hash the title and summary were written for."
    )

    _normalize = field_validator("source_created_at", "source_updated_at", "ingested_at")(_utc)

    @classmethod
    def for_source(
        cls, source: SourceSystem, ref: str, files: list[str], day: str, **times: datetime | None
    ) -> SessionMeta:
        """The meta of a session built from ``source``'s record ``ref``, its id derived from both."""
        return cls(
            session_id=make_session_id(source, ref),
            source_system=source,
            source_ref=ref,
            source_files=files,
            partition_day=day,
            **times,
        )


class SessionContext(_Strict):
    customer_id: str | None = None
    contact_id: str | None = None
    customer_name: str | None = Field(default=None, description="Customer name exactly as the source wrote it.")
    contact_name: str | None = Field(default=None, description="Contact name exactly as the source wrote it.")
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    machine_names: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    attributes: dict[str, Any] = Field(default_factory=dict, description="Source fields kept as they came.")
    link_method: str | None = None
    link_confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    link_candidates: list[dict[str, Any]] = Field(
        default_factory=list, description="The customers linking considered: id, name, score, reason."
    )
    link_cache: str | None = Field(
        default=None, description="The version of the customer cache the link was decided against."
    )


class SessionInsights(_Strict):
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    duration_seconds: float | None = Field(default=None, ge=0.0)
    title: str | None = None
    summary: str | None = None
    user_notes: list[str] = Field(default_factory=list)

    _normalize = field_validator("started_at", "ended_at")(_utc)


class SessionSegment(_Strict):
    timestamp: AwareDatetime | None = None
    author: str | None = None
    author_role: AuthorRole = AuthorRole.UNKNOWN
    kind: SegmentKind
    text: str
    hidden: bool = Field(default=False, description="Hidden from the normal view: internal note, hidden chat message.")
    source_meta: dict[str, Any] = Field(default_factory=dict)

    _normalize = field_validator("timestamp")(_utc)


_ENRICHMENT = {
    "context": {"customer_id", "contact_id", "link_method", "link_confidence", "link_candidates", "link_cache"},
    "insights": {"summary"},
}


class Session(_Strict):
    meta: SessionMeta
    context: SessionContext = Field(default_factory=SessionContext)
    insights: SessionInsights = Field(default_factory=SessionInsights)
    segments: list[SessionSegment] = Field(default_factory=list)

    def compute_content_hash(self) -> str:
        """Hash of what the source said and where; lifecycle, enrichment and write times stay out."""
        content = self.model_dump(mode="json", include={"context", "insights", "segments"}, exclude=_ENRICHMENT)
        content["source"] = [
            self.meta.source_system,
            self.meta.source_ref,
            self.meta.partition_day,
            self.meta.source_files,
        ]
        content["source_times"] = [
            self.meta.model_dump(mode="json")[k] for k in ("source_created_at", "source_updated_at")
        ]
        canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def with_content_hash(self) -> Session:
        return self.model_copy(
            update={"meta": self.meta.model_copy(update={"content_hash": self.compute_content_hash()})}
        )

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


def make_session_id(source: SourceSystem, *native_ids: str) -> str:
    """A stable id for the same source record, whatever run or machine computes it."""
    return str(uuid.uuid5(SESSION_NAMESPACE, "|".join([source.value, *native_ids])))
