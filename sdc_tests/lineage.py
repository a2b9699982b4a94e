"""Sensors and schedules read what to run from the code location's asset graph: the tests give them the real one."""

import dagster as dg

from sdc_assets.definitions import defs
from sdc_assets.lineage import keys_of


def sensor_context(**kwargs) -> dg.SensorEvaluationContext:
    return dg.build_sensor_context(definitions=defs, **kwargs)


def keys(selection: dg.AssetSelection) -> list[dg.AssetKey]:
    """What a sensor of the code location resolves ``selection`` to."""
    return keys_of(sensor_context(), selection)
