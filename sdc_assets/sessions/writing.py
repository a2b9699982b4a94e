"""Writing a day of sessions from any source: store, quarantine, metadata; reading stored files back."""

from pathlib import Path

import dagster as dg

from sdc_assets.metadata import preview_table
from sdc_assets.sessions.model import Session
from sdc_assets.sessions.quarantine import quarantine_failures
from sdc_assets.sessions.store import SessionStore

PREVIEW_ROWS = 10


def write_session_day(
    context: dg.AssetExecutionContext,
    store: SessionStore,
    source: str,
    day: str,
    sessions: list[Session],
    failures: list[dict],
    quarantine: Path,
) -> None:
    """Store the day's sessions, quarantine what could not be built, report per partition."""
    result = store.write_partition(source, day, sessions)
    quarantine_failures(quarantine, failures)
    for failure in failures:
        context.log.warning(f"{source} {day}: session {failure['session_key']} quarantined: {failure['reason']}")
    context.add_asset_metadata(
        {
            "dagster/row_count": len(sessions),
            "written": len(result.written),
            "unchanged": len(result.unchanged),
            "removed": len(result.removed),
            "quarantined": len(failures),
            "path": dg.MetadataValue.path(str(store.partition_dir(source, day))),
            "preview": preview_table([_preview_row(s) for s in sessions[:PREVIEW_ROWS]]),
        },
        partition_key=day,
    )
    if sessions or result.removed:
        context.log.info(
            f"{source} {day}: {len(sessions)} sessions ({len(result.written)} written, {len(result.removed)} removed)"
        )


def invalid_files(store: SessionStore, source: str, day: str) -> list[str]:
    """The stored session files of a day that do not read back as the Session their name says."""
    invalid = []
    for path in sorted(store.partition_dir(source, day).glob("*.json")):
        try:
            if Session.model_validate_json(path.read_bytes()).meta.session_id != path.stem:
                invalid.append(f"{path}: session_id does not match the file name")
        except ValueError as exc:
            invalid.append(f"{path}: {exc}")
    return invalid


def _preview_row(session: Session) -> dict:
    return {
        "session_id": session.meta.session_id[:8],
        "started_at": session.insights.started_at.isoformat() if session.insights.started_at else "",
        "customer": session.context.customer_name or "",
        "title": session.insights.title or "",
        "segments": len(session.segments),
    }
