"""The ticketportaal resource: the portal's MySQL/MariaDB database (read-only to SDC) and SDC's files for it."""

from pathlib import Path

from pydantic import Field

from sdc_resources.data_dir import default_data_path
from sdc_resources.sql_database import SqlDatabase, database_from_env

ENV_PREFIX = "TICKETPORTAAL"
NOT_CONFIGURED = (
    "The ticketportaal is not configured: set TICKETPORTAAL_HOST, TICKETPORTAAL_DATABASE, TICKETPORTAAL_USER "
    "and TICKETPORTAAL_PASSWORD, or TICKETPORTAAL_SQLITE to read a local copy"
)


class Ticketportaal(SqlDatabase):
    """The helpdesk database; its password comes from ``TICKETPORTAAL_PASSWORD`` through ``dg.EnvVar``."""

    raw_dir: str = Field(default_factory=lambda: str(default_data_path("raw", "ticketportaal")))
    quarantine_dir: str = Field(default_factory=lambda: str(default_data_path("quarantine", "ticketportaal")))

    @property
    def tickets_dir(self) -> Path:
        """The stored ticket records, one JSONL file per creation day."""
        return Path(self.raw_dir) / "tickets"

    def describe(self) -> str:
        return f"ticketportaal at {super().describe()}" if self.configured else NOT_CONFIGURED


def ticketportaal_from_env() -> Ticketportaal:
    return Ticketportaal(**database_from_env(ENV_PREFIX))
