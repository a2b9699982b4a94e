"""The daily partitions every SDC asset shares.

A partition is the local calendar day on which an activity started, in the
zone ``SDC_TIMEZONE`` (default Europe/Amsterdam); the first day is
``SDC_PARTITION_START`` (default 2024-01-01: about three years of days, not six). Today is a partition too.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import dagster as dg

from sdc_resources.settings import env
from sdc_resources.zone import TIMEZONE

START_DATE = env("SDC_PARTITION_START", "2024-01-01")

daily_partitions = dg.DailyPartitionsDefinition(start_date=START_DATE, timezone=TIMEZONE, end_offset=1)

# Every daily asset: a backfill runs its whole range in one run, and the asset reads every key of it.
DAILY = {"partitions_def": daily_partitions, "backfill_policy": dg.BackfillPolicy.single_run()}
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)  # beta in 1.13, relied on
# Checks of a day's data are partitioned like their asset (preview in 1.13), so one can be run alone for a day.
warnings.filterwarnings("ignore", message=".*partitions_def on an AssetCheckSpec.*", category=dg.PreviewWarning)


def local_day(instant: datetime, zone: str | tzinfo = TIMEZONE) -> str:
    """The partition day of an aware instant: its calendar date in ``zone`` (``SDC_TIMEZONE`` by default)."""
    if instant.tzinfo is None:
        raise ValueError(f"an instant without a zone has no local day: {instant.isoformat()}")
    return instant.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone).date().isoformat()


def contiguous_ranges(days: Iterable[str]) -> list[tuple[str, str]]:
    """Sorted ``(first, last)`` runs of consecutive ISO days."""
    ordered = sorted({date.fromisoformat(d) for d in days})
    ranges: list[tuple[str, str]] = []
    for day in ordered:
        if ranges and date.fromisoformat(ranges[-1][1]) + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day.isoformat())
        else:
            ranges.append((day.isoformat(), day.isoformat()))
    return ranges


def days_between(first: str, last: str) -> list[str]:
    """Every ISO day from ``first`` to ``last``, both included."""
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def partition_range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run materialize every day from ``first`` to ``last``."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def span(days: Iterable[str]) -> tuple[str, str]:
    """The first and the last of ISO ``days``: one run covers them all, the days between included (a day
    whose inputs did not change costs one comparison)."""
    ordered = sorted(days)
    return ordered[0], ordered[-1]


def range_run_requests(
    days: Iterable[str], source: str, version: str, asset_selection: list[dg.AssetKey] | None = None
) -> list[dg.RunRequest]:
    """One run over the span of ``days`` (none without days), keyed by source, span and ``version`` (what
    changed), of ``asset_selection`` or else of the sensor's or schedule's target."""
    days = set(days)
    if not days:
        return []
    first, last = span(days)
    return [
        dg.RunRequest(
            run_key=f"{source}:{first}..{last}:{version}",
            asset_selection=asset_selection,
            tags={**partition_range_tags(first, last), "sdc/trigger": f"{source}_update"},
        )
    ]
