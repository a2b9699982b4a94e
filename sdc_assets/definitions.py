"""The SDC code location: every asset, check, sensor and resource."""

from __future__ import annotations

import warnings
from datetime import timedelta

import dagster as dg

import sdc_resources.dagster_fixes  # noqa: F401  (a waiting run sleeps instead of spinning; see the module)
from sdc_assets.enrichment.assets import enrichment_assets
from sdc_assets.enrichment.sensors import relink_sensor
from sdc_assets.file_drop.assets import file_drop_assets
from sdc_assets.file_drop.sensors import drop_folder_sensor
from sdc_assets.graph.assets import graph_assets
from sdc_assets.index.assets import index_assets
from sdc_assets.partitions import TIMEZONE
from sdc_assets.sessions.store import SessionStore
from sdc_assets.syncro.assets import CUSTOMER_DATA, customer_cache_job, syncro_assets
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
from sdc_resources.settings import env
from sdc_resources.syncro import syncro_from_env
from sdc_resources.ticketportaal import ticketportaal_from_env
from sdc_resources.vector_store import VectorStore

customer_cache_schedule = dg.ScheduleDefinition(
    name="customer_cache_schedule",
    job=customer_cache_job,
    cron_schedule=env("SDC_CUSTOMER_CACHE_CRON", "0 6 * * *"),
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Refresh the customer cache from Syncro (default daily at 06:00; SDC_CUSTOMER_CACHE_CRON).",
)


# What the root applies (map_asset_specs, code references) is preview or beta in 1.13, and relied on.
_ROOT_APIS = ".*(map_asset_specs|map_resolved_asset_specs|execution_type|CodeReference|source_code_references).*"
warnings.filterwarnings("ignore", message=_ROOT_APIS, category=dg.PreviewWarning)
warnings.filterwarnings("ignore", message=_ROOT_APIS, category=dg.BetaWarning)
OWNERS = ["team:sdc"]
CUSTOMER_KEYS = {asset.key for asset in CUSTOMER_DATA}
# Linking matches against the customer cache; the daily schedule refreshes it. The freshness daemon
# (dagster.yaml) warns when it is more than 26 hours old and fails it after 36, also when the schedule stopped.
CUSTOMER_DATA_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=36), warn_window=timedelta(hours=26)
)


def _house_rules(spec: dg.AssetSpec) -> dg.AssetSpec:
    """What every asset gets at the root: its owners, and the customer data its freshness policy."""
    spec = spec.replace_attributes(owners=OWNERS)
    return dg.apply_freshness_policy(spec, CUSTOMER_DATA_FRESHNESS) if spec.key in CUSTOMER_KEYS else spec


def build_definitions() -> dg.Definitions:
    """Every layer's definitions, with owners, links to their code, and freshness applied here at the root."""
    return dg.Definitions(
        assets=dg.with_source_code_references(
            [
                *file_drop_assets,
                *syncro_assets,
                *ticketportaal_assets,
                *enrichment_assets,
                *index_assets,
                *graph_assets,
            ]
        ),
        jobs=[customer_cache_job],
        # One process per run, chosen by measurement (README, "One process per run"); SDC_EXECUTOR=multiprocess
        # gives every step its own process again.
        executor=dg.multiprocess_executor
        if env("SDC_EXECUTOR", "in_process") == "multiprocess"
        else dg.in_process_executor,
        schedules=[customer_cache_schedule, syncro_reconcile_schedule, ticketportaal_reconcile_schedule],
        sensors=[drop_folder_sensor, syncro_update_sensor, ticketportaal_update_sensor, relink_sensor],
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
    ).map_asset_specs(func=_house_rules)


defs = build_definitions()
