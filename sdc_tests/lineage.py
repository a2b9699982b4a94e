"""Sensors and schedules read what to run from the code location's asset graph: the tests give them the real one."""

import dagster as dg

from sdc_assets.definitions import defs
from sdc_assets.lineage import keys_in


def sensor_context(**kwargs) -> dg.SensorEvaluationContext:
    return dg.build_sensor_context(definitions=defs, **kwargs)


def keys(selection: dg.AssetSelection) -> list[dg.AssetKey]:
    """What a sensor of the code location resolves ``selection`` to (no sensor context: that would make an
    instance nobody closes, and Dagster's current defs-state storage would point at it once it is gone)."""
    return keys_in(defs.resolve_asset_graph(), selection)
