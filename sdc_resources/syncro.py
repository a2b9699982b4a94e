"""The Syncro resource: which Syncro to read (live account, or a folder of captured responses) and how."""

from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
from pydantic import Field

from sdc_resources.data_dir import default_data_path
from sdc_resources.pacer import Pacer, SharedWindow
from sdc_resources.settings import env, env_var, env_zone
from sdc_resources.syncro_client import MAX_PAGES, LiveClient, ReplayClient, SyncroApi

SENSOR_TIMEOUT = (3.0, 10.0)  # a sensor tick must end well inside Dagster's 60 s: no retries, short waits
SENSOR_MAX_PAGES = 20
SENSOR_MAX_WAIT = 15.0
SENSOR_TIME_BUDGET = 40.0  # seconds of requests a tick may spend, within Dagster's 60 s

NOT_CONFIGURED = (
    "Syncro is not configured: set SYNCRO_SUBDOMAIN and SYNCRO_API_KEY (or SDC_SYNCRO_BASE_URL and "
    "SYNCRO_API_KEY), or SDC_SYNCRO_REPLAY_DIR to read captured responses"
)


class Syncro(dg.ConfigurableResource):
    """SyncroMSP's API. The key comes from ``SYNCRO_API_KEY`` through ``dg.EnvVar``, so it never shows in the UI."""

    subdomain: str | None = Field(default=None, description="<subdomain>.syncromsp.com")
    api_key: str | None = Field(default=None, description="API token; pass dg.EnvVar('SYNCRO_API_KEY').")
    base_url: str | None = Field(
        default_factory=lambda: env("SDC_SYNCRO_BASE_URL"),
        description="Overrides https://<subdomain>.syncromsp.com/api/v1 (a proxy, a test server).",
    )
    replay_dir: str | None = Field(
        default_factory=lambda: env("SDC_SYNCRO_REPLAY_DIR"),
        description="Read captured responses from this folder instead of the API.",
    )
    capture_dir: str | None = Field(
        default_factory=lambda: env("SDC_SYNCRO_CAPTURE_DIR"),
        description="Also save every live response here, in the layout replay_dir reads.",
    )
    raw_dir: str = Field(default_factory=lambda: str(default_data_path("raw", "syncro")))
    cache_dir: str = Field(default_factory=lambda: str(default_data_path("cache")))
    quarantine_dir: str = Field(default_factory=lambda: str(default_data_path("quarantine", "syncro")))
    requests_per_minute: int = Field(default=150, gt=0, le=180, description="Client-side limit; Syncro allows 180.")
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    retries: int = Field(default=5, ge=0, description="Retries of a request on 429, 5xx and timeouts.")
    backoff_factor: float = Field(default=1.0, ge=0, description="Seconds; doubled per consecutive failure.")
    backoff_max: float = Field(default=120.0, gt=0, description="Longest single wait, Retry-After included.")
    max_pages: int = Field(default=MAX_PAGES, ge=1, description="Pages read of one listing at most (with a warning).")
    timezone: str = Field(
        default_factory=lambda: env_zone("SDC_SYNCRO_TIMEZONE", env("SDC_TIMEZONE", "Europe/Amsterdam")),
        description="The account's time zone: times the API sends without an offset are read in it.",
    )

    @property
    def mode(self) -> str | None:
        """``replay``, ``live`` or None when not configured."""
        if self.replay_dir:
            return "replay"
        if self.api_key and (self.base_url or self.subdomain):
            return "live"
        return None

    def describe(self) -> str:
        """Where the data comes from, for logs and metadata (never the key)."""
        if self.mode == "replay":
            return f"replay of captured responses in {self.replay_dir}"
        if self.mode == "live":
            return f"live API at {self.url()}"
        return NOT_CONFIGURED

    def url(self) -> str:
        return (self.base_url or f"https://{self.subdomain}.syncromsp.com/api/v1").rstrip("/")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def pacer(self, max_wait: float | None = None) -> Pacer:
        """The account's rate limit, shared by every process that uses this data folder."""
        shared = SharedWindow(Path(self.cache_dir) / "syncro-rate.sqlite", self.url())
        return Pacer(self.requests_per_minute, shared=shared, max_wait=max_wait)

    def client(self, pacer: Pacer | None = None, progress: Callable[[str], object] | None = None) -> SyncroApi:
        """A client for this configuration; ``pacer`` lets tests inject a clock."""
        if self.mode == "replay":
            return ReplayClient(self.replay_dir)
        if self.mode is None:
            raise RuntimeError(NOT_CONFIGURED)
        return LiveClient(
            self.url(),
            self.api_key,
            pacer or self.pacer(),
            timeout=(self.connect_timeout, self.read_timeout),
            retries=self.retries,
            backoff_factor=self.backoff_factor,
            backoff_max=self.backoff_max,
            capture_dir=self.capture_dir,
            max_pages=self.max_pages,
            progress=progress,
        )

    def sensor_client(self, pacer: Pacer | None = None) -> SyncroApi:
        """A client for a sensor tick: short timeouts, no retries, few pages, no long wait for the rate limit
        (the next tick tries again), so a tick never runs into Dagster's time limit."""
        if self.mode != "live":
            return self.client(pacer)
        return LiveClient(
            self.url(),
            self.api_key,
            pacer or self.pacer(max_wait=SENSOR_MAX_WAIT),
            timeout=SENSOR_TIMEOUT,
            retries=0,
            max_pages=SENSOR_MAX_PAGES,
            time_budget=SENSOR_TIME_BUDGET,
        )


def syncro_from_env() -> Syncro:
    """The resource as definitions build it: secrets as EnvVars, and only when they are set."""
    return Syncro(
        subdomain=env_var("SYNCRO_SUBDOMAIN"),
        api_key=env_var("SYNCRO_API_KEY"),
    )
