"""What a day of portal tickets looks like, in a line: to notice what ``updated_at`` does not say.

The portal deletes comments, field values and ticket↔CI relations (and tickets) without touching
``tickets.updated_at``. A day's fingerprint digests each of its tickets' id, ``updated_at`` and the
count and sum of the ids of its comments, field values and CI relations: computed from the database
and from the stored raw records alike, a difference means the day must be read again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sdc_resources.jsonl import read_jsonl


def ticket_signature(ticket_id, updated_at, comments: list[int], fields: list[int], cis: list[int]) -> list:
    return [int(ticket_id), updated_at, len(comments), sum(comments), len(fields), sum(fields), len(cis), sum(cis)]


def fingerprint(signatures: list[list]) -> str:
    return hashlib.sha256(json.dumps(sorted(signatures)).encode()).hexdigest()[:16]


def record_signature(record: dict) -> list:
    """The signature of a stored raw ticket record (what ``fetch_tickets`` returned)."""
    return ticket_signature(
        record["ticket_id"],
        record.get("updated_at"),
        [c["comment_id"] for c in record.get("comments") or []],
        [f["field_id"] for f in record.get("fields") or []],
        [c["ci_id"] for c in record.get("configuration_items") or []],
    )


def stored_fingerprints(folder: Path, days: set[str]) -> dict[str, str]:
    """The fingerprint of each of ``days`` as SDC stored it (no file: no tickets)."""
    return {day: fingerprint([record_signature(r) for r in read_jsonl(folder / f"{day}.jsonl")]) for day in days}


def days_that_differ(database: dict[str, str], folder: Path, days: set[str]) -> set[str]:
    """The days among ``days`` whose tickets in the database differ from the stored ones."""
    stored = stored_fingerprints(folder, days)
    empty = fingerprint([])
    return {day for day in days if database.get(day, empty) != stored[day]}


def signature_file(raw_dir: str | Path) -> Path:
    """Where ``sdc ingest`` keeps the signature of the KB articles and CIs it last stored and indexed."""
    return Path(raw_dir) / "reference.signature"


def stored_signature(raw_dir: str | Path) -> str | None:
    path = signature_file(raw_dir)
    return path.read_text() if path.exists() else None
