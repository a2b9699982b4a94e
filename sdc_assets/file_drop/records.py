"""What a file-drop parser yields: records grouped by session key, and rejects."""

from __future__ import annotations

import hashlib
import json
import reprlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sdc_resources.file_drop import FileDrop
from sdc_resources.zone import TIMEZONE

PARSER_VERSION = 2
RAW_PREVIEW_CHARS = 2000
MAX_DEPTH = 64  # JSON deeper than this is refused: no export nests so, and deeper values crash JSON/polars code


def text_safe(text: str) -> str:
    """``text`` with lone surrogates (from ``\\ud800`` escapes) written as escapes, so it encodes as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def value_problem(value: Any) -> str | None:
    """Why a parsed JSON value cannot be kept as a record, or None: too deep, or text that is not Unicode."""
    if _depth_exceeds(value, MAX_DEPTH):
        return f"JSON nested deeper than {MAX_DEPTH} levels"
    try:
        json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"text that is not valid Unicode (a lone surrogate {exc.object[exc.start : exc.end]!a})"
    except (ValueError, TypeError, RecursionError) as exc:
        return f"cannot be stored as JSON: {type(exc).__name__}: {exc}"
    return None


def preview(value: Any) -> str:
    """A short text of any value for a quarantine entry, whatever its depth or content."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        short = reprlib.Repr()
        short.maxlevel, short.maxstring, short.maxother = 4, 200, 200
        text = short.repr(value)
    return text_safe(text[:RAW_PREVIEW_CHARS])


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
        object.__setattr__(self, "raw", text_safe(self.raw[:RAW_PREVIEW_CHARS]))
        object.__setattr__(self, "reason", text_safe(self.reason))


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

    @classmethod
    def of(cls, file_drop: FileDrop) -> ParseOptions:
        """The options the drop folder's settings give."""
        return cls(TIMEZONE, file_drop.local_timezone, timedelta(minutes=file_drop.chat_gap_minutes))

    def fingerprint(self) -> str:
        text = f"{PARSER_VERSION}|{self.timezone}|{self.local_timezone}|{self.chat_gap.total_seconds()}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]
