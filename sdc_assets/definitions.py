"""The SDC code location: every asset, check, sensor and resource."""

from __future__ import annotations

import os

import dagster as dg

import sdc_resources.dagster_fixes  # noqa: F401  (a waiting run sleeps instead of spinning; see the module)
from sdc_assets.enrichment.assets import enrichment_assets
from sdc_assets.file_drop.assets import file_drop_assets
from sdc_assets.file_drop.sensors import drop_folder_sensor
from sdc_assets.graph.assets import graph_assets
from sdc_assets.index.assets import index_assets
from sdc_assets.partitions import TIMEZONE
from sdc_assets.sessions.store import SessionStore
from sdc_assets.syncro.assets import customer_cache_job, syncro_assets
from sdc_assets.syncro.reconcile import syncro_reconcile_schedule
from sdc_assets.syncro.sensors import syncro_update_sensor
from sdc_assets.ticketportaal.assets import ticketportaal_assets
from sdc_assets.ticketportaal.sensors import ticketportaal_reconcile_schedule, ticketportaal_update_sensor
from sdc_resources.embedder import Embedder
from sdc_resources.entity_model import EntityModel
from sdc_resources.file_drop import FileDrop
from sdc_resources.graph_store import graph_store_from_env
from sdc_resources.index_store import IndexStore
from sdc_resources.llm import llm_from_env
from sdc_resources.syncro import syncro_from_env
from sdc_resources.ticketportaal import ticketportaal_from_env
from sdc_resources.vector_store import VectorStore

customer_cache_schedule = dg.ScheduleDefinition(
    name="customer_cache_schedule",
    job=customer_cache_job,
    cron_schedule=os.environ.get("SDC_CUSTOMER_CACHE_CRON", "0 6 * * *"),
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Refresh the customer cache from Syncro (default daily at 06:00; SDC_CUSTOMER_CACHE_CRON).",
)


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[
            *file_drop_assets,
            *syncro_assets,
            *ticketportaal_assets,
            *enrichment_assets,
            *index_assets,
            *graph_assets,
        ],
        jobs=[customer_cache_job],
        # One process per run: each step process of the multiprocess default would import the code location
        # (torch, spaCy) again, which costs more than the steps of a typical run (README, "Runs").
        executor=dg.in_process_executor,
        schedules=[customer_cache_schedule, syncro_reconcile_schedule, ticketportaal_reconcile_schedule],
        sensors=[drop_folder_sensor, syncro_update_sensor, ticketportaal_update_sensor],
        resources={
            "syncro": syncro_from_env(),
            "ticketportaal": ticketportaal_from_env(),
            "file_drop": FileDrop(),
            "session_store": SessionStore(),
            "index_store": IndexStore(),
            "embedder": Embedder(),
            "vector_store": VectorStore(),
            "graph_store": graph_store_from_env(),
            "entity_model": EntityModel(),
            "llm": llm_from_env(),
        },
    )


defs = build_definitions()
