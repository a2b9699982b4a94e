"""The SDC code location: every asset, check, sensor and resource."""

from __future__ import annotations

import dagster as dg

from sdc_assets.file_drop.assets import file_drop_assets
from sdc_assets.file_drop.sensors import drop_folder_sensor
from sdc_assets.index.assets import index_assets
from sdc_resources.embedder import Embedder
from sdc_resources.file_drop import FileDrop
from sdc_resources.index_store import IndexStore
from sdc_resources.session_store import SessionStore
from sdc_resources.vector_store import VectorStore


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[*file_drop_assets, *index_assets],
        sensors=[drop_folder_sensor],
        resources={
            "file_drop": FileDrop(),
            "session_store": SessionStore(),
            "index_store": IndexStore(),
            "embedder": Embedder(),
            "vector_store": VectorStore(),
        },
    )


defs = build_definitions()
