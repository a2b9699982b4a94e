"""The zone of SDC's days: ``SDC_TIMEZONE`` (default Europe/Amsterdam), read once when SDC starts."""

from sdc_resources.settings import env_zone

TIMEZONE = env_zone("SDC_TIMEZONE", "Europe/Amsterdam")
