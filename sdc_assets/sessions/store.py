"""The session store: one JSON file per session under ``<root>/<source>/<day>/``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from pydantic import Field

from sdc_assets.sessions.model import Session
from sdc_resources.atomic import fsync_dir, write_atomic
from sdc_resources.data_dir import default_data_path
from sdc_resources.day_marks import DayMarks, files_state


@dataclass
class StoreResult:
    """What writing one partition changed."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


class SessionStore(dg.ConfigurableResource):
    """Session files, written atomically; a partition is rewritten only where it changed."""

    root: str = Field(
        default_factory=lambda: str(default_data_path("sessions")),
        description="Folder holding <source>/<YYYY-MM-DD>/<session_id>.json.",
    )

    def partition_dir(self, source: str, day: str) -> Path:
        return Path(self.root) / source / day

    def path(self, source: str, day: str, session_id: str) -> Path:
        return self.partition_dir(source, day) / f"{session_id}.json"

    def write_partition(self, source: str, day: str, sessions: list[Session]) -> StoreResult:
        """Make the partition hold exactly ``sessions``.

        A session whose content hash equals the stored one is left alone (its
        file, status and enrichment stay byte-identical); sessions no longer
        produced for the day are removed.
        """
        ids = [s.meta.session_id for s in sessions]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{source} {day}: duplicate session ids in one partition")
        result = StoreResult()
        folder = self.partition_dir(source, day)
        for session in sessions:
            path = folder / f"{session.meta.session_id}.json"
            if _stored_hash(path) == session.meta.content_hash:
                result.unchanged.append(session.meta.session_id)
                continue
            stamped = session.model_copy(
                update={"meta": session.meta.model_copy(update={"ingested_at": datetime.now(UTC)})}
            )
            write_atomic(path, stamped.to_json().encode(), sync_dir=False)
            result.written.append(session.meta.session_id)
        if result.written:
            fsync_dir(folder)
        if folder.is_dir():
            keep = set(ids)
            for stale in sorted(folder.glob("*.json")):
                if stale.stem not in keep:
                    stale.unlink()
                    result.removed.append(stale.stem)
            if not any(folder.iterdir()):
                folder.rmdir()
        return result

    def save(self, sessions: list[Session]) -> list[str]:
        """Write sessions changed by enrichment (same source content, new link or summary) where their file
        differs; the ids written."""
        written = []
        for session in sessions:
            path = self.path(session.meta.source_system.value, session.meta.partition_day, session.meta.session_id)
            content = session.to_json().encode()
            if not path.exists() or path.read_bytes() != content:
                write_atomic(path, content)
                written.append(session.meta.session_id)
        return written

    def stored_days(self) -> set[str]:
        """Every day some source has sessions stored for."""
        root = Path(self.root)
        return {p.name for p in root.glob("*/????-??-??") if p.is_dir()} if root.is_dir() else set()

    def day_state(self, day: str) -> str:
        """A digest of every source's session files of ``day``: it changes with any file written or removed."""
        return files_state(Path(self.root).glob(f"*/{day}/*.json"))

    def marks(self) -> DayMarks:
        """The marks of the stages that read the session files (``<root>/../state/session_marks.sqlite``)."""
        return DayMarks(Path(self.root).parent / "state" / "session_marks.sqlite")

    def read_day(self, day: str) -> list[Session]:
        """Every source's sessions of ``day``."""
        root = Path(self.root)
        sources = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        return [session for source in sources for session in self.read_partition(source, day)]

    def read_partition(self, source: str, day: str) -> list[Session]:
        folder = self.partition_dir(source, day)
        return [Session.model_validate_json(p.read_bytes()) for p in sorted(folder.glob("*.json"))]


def _stored_hash(path: Path) -> str | None:
    try:
        return json.loads(path.read_bytes())["meta"]["content_hash"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
