"""Layers know each other by asset keys only: what a changed source re-runs is read from the asset graph."""

import dagster as dg


def downstream_of(*roots: str) -> dg.AssetSelection:
    """``roots`` and every asset downstream of them: what a change to ``roots`` makes stale."""
    return dg.AssetSelection.assets(*roots).downstream()


def keys_of(context: dg.SensorEvaluationContext, selection: dg.AssetSelection) -> list[dg.AssetKey]:
    """The asset keys ``selection`` holds in the code location the sensor runs in, upstream first."""
    return keys_in(context.repository_def.asset_graph, selection)


def keys_in(graph, selection: dg.AssetSelection) -> list[dg.AssetKey]:
    """The asset keys ``selection`` holds in ``graph``, upstream first."""
    chosen = selection.resolve(graph)
    return [key for key in graph.toposorted_asset_keys if key in chosen]
