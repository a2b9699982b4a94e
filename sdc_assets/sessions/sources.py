"""The assets that write sessions: one ``<source>_sessions`` per source system of the Session model."""

import dagster as dg

from sdc_assets.sessions.model import SourceSystem

# Steps that read session files depend on these as well as on the enrichment that updates the files, so that
# any selection runs them after the sessions are written.
SESSION_ASSETS = [dg.AssetKey(f"{source.value}_sessions") for source in SourceSystem]
