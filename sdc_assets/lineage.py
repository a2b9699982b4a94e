"""Layers know each other by asset keys only: what a changed source re-runs is read from the asset graph."""

import dagster as dg

from sdc_assets.sessions.sources import SESSION_ASSETS


def downstream_of(*roots: str) -> dg.AssetSelection:
    """``roots`` and every asset downstream of them: what a change to ``roots`` makes stale."""
    return dg.AssetSelection.assets(*roots).downstream()


def source_run(raw: str) -> dg.AssetSelection:
    """What a change to a source's ``raw`` asset re-runs: it and everything downstream, and every source's
    sessions asset, so that each day the stages after the sessions run for has all five (a source without data
    that day has none, at the cost of a comparison) and the UI shows no upstream data missing."""
    return downstream_of(raw) | dg.AssetSelection.assets(*SESSION_ASSETS)


def keys_of(context: dg.SensorEvaluationContext, selection: dg.AssetSelection) -> list[dg.AssetKey]:
    """The asset keys ``selection`` holds in the code location the sensor runs in, upstream first."""
    return keys_in(context.repository_def.asset_graph, selection)


def keys_in(graph, selection: dg.AssetSelection) -> list[dg.AssetKey]:
    """The asset keys ``selection`` holds in ``graph``, upstream first."""
    chosen = selection.resolve(graph)
    return [key for key in graph.toposorted_asset_keys if key in chosen]
