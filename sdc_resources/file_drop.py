"""The drop folders: where the file sources land and where their derived files go."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from pydantic import Field

from sdc_resources.data_dir import default_data_path
from sdc_resources.settings import env, env_float, env_zone
from sdc_resources.zone import TIMEZONE

HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class DroppedFile:
    """A file in a drop folder, as last seen on disk."""

    source: str
    path: Path
    relpath: str
    size: int
    mtime_ns: int

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with open(self.path, "rb") as handle:
            while chunk := handle.read(HASH_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()


class FileDrop(dg.ConfigurableResource):
    """Inbox folders per source, the parsed-record and quarantine folders, and parse settings."""

    data_dir: str = Field(default_factory=lambda: str(default_data_path()), description="SDC's data folder.")
    screenconnect_inbox: str | None = Field(
        default_factory=lambda: env("SDC_INBOX_SCREENCONNECT"),
        description="Default: <data_dir>/inbox/screenconnect.",
    )
    sillytavern_inbox: str | None = Field(
        default_factory=lambda: env("SDC_INBOX_SILLYTAVERN"),
        description="Default: <data_dir>/inbox/sillytavern.",
    )
    notes_inbox: str | None = Field(
        default_factory=lambda: env("SDC_INBOX_NOTES"), description="Default: <data_dir>/inbox/notes."
    )
    settle_seconds: float = Field(
        default_factory=lambda: env_float("SDC_SETTLE_SECONDS", 30),
        ge=0,
        description="How long a file's mtime must lie in the past before it is read.",
    )
    local_timezone: str = Field(
        default_factory=lambda: env_zone("SDC_LOCAL_TIMEZONE", TIMEZONE),
        description="Zone of naive local times (SillyTavern dates, notes without offset).",
    )
    chat_gap_minutes: float = Field(
        default_factory=lambda: env_float("SDC_CHAT_GAP_MINUTES", 120),
        gt=0,
        description="Inactivity that splits a chat file into sessions.",
    )

    def inbox(self, source: str) -> Path:
        configured = getattr(self, f"{source}_inbox", None)
        return Path(configured) if configured else Path(self.data_dir) / "inbox" / source

    @property
    def raw_dir(self) -> Path:
        return Path(self.data_dir) / "raw"

    @property
    def quarantine_dir(self) -> Path:
        return Path(self.data_dir) / "quarantine"

    def _visible(self, source: str) -> list[tuple[Path, str]]:
        """Every regular file under the source's inbox, with its relative path; hidden names left out."""
        root = self.inbox(source)
        found = []
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            parts = path.relative_to(root).parts
            if any(part.startswith(".") for part in parts) or not path.is_file():
                continue
            found.append((path, path.relative_to(root).as_posix()))
        return found

    def list_files(self, source: str, patterns: tuple[str, ...]) -> list[DroppedFile]:
        """Every file under the source's inbox matching ``patterns`` (in any case: ``X.CSV`` too), hidden and
        partial files excluded."""
        found = []
        for path, relpath in self._visible(source):
            if any(fnmatch.fnmatch(path.name.lower(), pattern.lower()) for pattern in patterns):
                try:
                    stat = os.stat(path)
                except FileNotFoundError:
                    continue
                found.append(DroppedFile(source, path, relpath, stat.st_size, stat.st_mtime_ns))
        return found

    def others(self, source: str, patterns: tuple[str, ...]) -> list[str]:
        """The inbox's files that no pattern matches: never read, and so reported."""
        return [
            relpath
            for path, relpath in self._visible(source)
            if not any(fnmatch.fnmatch(path.name.lower(), pattern.lower()) for pattern in patterns)
        ]
