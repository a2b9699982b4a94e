"""The zone of SDC's days: ``SDC_TIMEZONE`` (default Europe/Amsterdam), read once when SDC starts."""

import os

TIMEZONE = os.environ.get("SDC_TIMEZONE", "Europe/Amsterdam")
