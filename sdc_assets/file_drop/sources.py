"""The file-drop sources SDC knows: what files they read and how."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sdc_assets.file_drop import notes, screenconnect, sillytavern
from sdc_assets.file_drop.records import ParseOptions, Record, Rejected
from sdc_assets.sessions.model import Session


@dataclass(frozen=True)
class FileSource:
    name: str
    label: str
    patterns: tuple[str, ...]
    parse: Callable[[BinaryIO, str, ParseOptions], Iterator[Record | Rejected]]
    build_session: Callable[[str, list[Record], list[str], str], Session]


FILE_SOURCES = (
    FileSource(
        "screenconnect", "ScreenConnect CSV exports", ("*.csv",), screenconnect.parse, screenconnect.build_session
    ),
    FileSource("sillytavern", "SillyTavern chat logs", ("*.jsonl",), sillytavern.parse, sillytavern.build_session),
    FileSource("notes", "legacy notes JSON", ("*.json",), notes.parse, notes.build_session),
)
SOURCES_BY_NAME = {source.name: source for source in FILE_SOURCES}
