"""What a file-drop parser yields: records grouped by session key, and rejects."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PARSER_VERSION = 1
RAW_PREVIEW_CHARS = 2000


class SourceParseError(Exception):
    """A file, or the rest of one, that cannot be read at all."""

    def __init__(self, file: str, location: str, reason: str):
        super().__init__(f"{file}: {location}: {reason}")
        self.file = file
        self.location = location
        self.reason = reason


@dataclass(frozen=True)
class Record:
    """One parsed source record; records sharing ``session_key`` form one Session."""

    session_key: str
    time: datetime | None
    kind: str
    location: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Rejected:
    """A record that could not be used, with where it was and why."""

    location: str
    reason: str
    raw: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "raw", self.raw[:RAW_PREVIEW_CHARS])


@dataclass(frozen=True)
class ParseOptions:
    """Settings that change what a parser produces (and so key its cache)."""

    timezone: str = "Europe/Amsterdam"
    local_timezone: str = "Europe/Amsterdam"
    chat_gap: timedelta = field(default=timedelta(hours=2))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def local_zone(self) -> ZoneInfo:
        return ZoneInfo(self.local_timezone)

    def fingerprint(self) -> str:
        text = f"{PARSER_VERSION}|{self.timezone}|{self.local_timezone}|{self.chat_gap.total_seconds()}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]
