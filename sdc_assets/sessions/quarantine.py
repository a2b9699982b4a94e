"""The ``no_quarantined_records`` check every raw asset has: it reads the quarantine files the source's records
went to, so it runs with each materialization and alone, for any days."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg

from sdc_assets.partitions import daily_partitions
from sdc_resources.jsonl import write_jsonl

QUARANTINE_CHECK = "no_quarantined_records"
SHOWN_REASONS = 5


def quarantine_failures(path: Path, failures: list[dict]) -> None:
    """Write the records that failed, one JSON object a line; no failures removes the file."""
    if failures:
        write_jsonl(path, failures)
    else:
        path.unlink(missing_ok=True)


def build_quarantine_check(
    asset: str,
    resource: str,
    quarantine_files: Callable[[Any, list[str]], list[Path]],
    partitioned: bool = True,
) -> dg.AssetChecksDefinition:
    """``no_quarantined_records`` on ``asset``: WARN while ``quarantine_files(<resource>, days)`` hold a record
    (the run still succeeds; the UI shows how many, where and why)."""

    @dg.asset_check(
        asset=asset,
        name=QUARANTINE_CHECK,
        partitions_def=daily_partitions if partitioned else None,
        required_resource_keys={resource},
        description="Every record of the source could be read; the ones that could not are counted, with the "
        "quarantine files and the first reasons.",
    )
    def no_quarantined_records(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        days = context.partition_keys if partitioned else []
        files = [p for p in quarantine_files(getattr(context.resources, resource), days) if p.exists()]
        lines = [line for path in files for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return dg.AssetCheckResult(
            passed=not lines,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "quarantined_records": len(lines),
                "files": dg.MetadataValue.json(sorted(str(p) for p in files)),
                "first_reasons": dg.MetadataValue.json([_reason(line) for line in lines[:SHOWN_REASONS]]),
            },
        )

    return no_quarantined_records


WHERE = ("file", "location", "endpoint", "id", "field", "session_key")


def _reason(line: str) -> str:
    """Where a quarantined record came from and why, from its line."""
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return line[:200]
    where = " ".join(str(record[k]) for k in WHERE if record.get(k) not in (None, ""))
    return f"{where}: {record.get('reason', '?')}"[:200]
