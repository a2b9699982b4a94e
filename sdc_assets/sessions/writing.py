"""Writing a day of sessions from any source: store, quarantine, metadata and the validity check."""

import json
from pathlib import Path

import dagster as dg

from sdc_assets.metadata import markdown_table
from sdc_assets.sessions.model import Session
from sdc_assets.sessions.store import SessionStore
from sdc_resources.atomic import write_atomic

PREVIEW_ROWS = 10
QUARANTINE_CHECK = "no_quarantined_records"


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
            "preview": dg.MetadataValue.md(markdown_table([_preview_row(s) for s in sessions[:PREVIEW_ROWS]])),
        },
        partition_key=day,
    )
    if sessions or result.removed:
        context.log.info(
            f"{source} {day}: {len(sessions)} sessions ({len(result.written)} written, {len(result.removed)} removed)"
        )


def quarantine_check_spec(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(QUARANTINE_CHECK, asset=asset, description="Every record of the source could be read.")


def quarantine_check(count: int, quarantine: Path | None = None) -> dg.AssetCheckResult:
    """WARN when records were quarantined: the run still succeeds, the UI shows where to look."""
    metadata = {"quarantined_records": count}
    if quarantine is not None:
        metadata["quarantine"] = dg.MetadataValue.path(str(quarantine))
    return dg.AssetCheckResult(
        check_name=QUARANTINE_CHECK, passed=count == 0, severity=dg.AssetCheckSeverity.WARN, metadata=metadata
    )


def quarantine_failures(path: Path, failures: list[dict]) -> None:
    """Write the records that failed, one JSON object a line; no failures removes the file."""
    if failures:
        write_atomic(path, "".join(json.dumps(f, ensure_ascii=False) + "\n" for f in failures).encode())
    else:
        path.unlink(missing_ok=True)


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
