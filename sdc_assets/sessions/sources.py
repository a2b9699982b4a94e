"""Every source that writes sessions, and the assets that write them."""

import dagster as dg

from sdc_assets.file_drop.sources import FILE_SOURCES

SESSION_SOURCES = [*(s.name for s in FILE_SOURCES), "syncro", "ticketportaal"]
# Steps that read session files depend on these as well as on the enrichment that updates the files, so that
# any selection runs them after the sessions are written.
SESSION_ASSETS = [dg.AssetKey(f"{source}_sessions") for source in SESSION_SOURCES]
