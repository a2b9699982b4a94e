"""The SyncroMSP REST API (v1): live over HTTP, or replayed from captured responses.

Both clients share the paging and the endpoints; they differ only in how one
``GET`` is answered. The live client sends ``Authorization: Bearer`` (the key is
never in a URL or a log line), paces itself below Syncro's 180 requests a minute,
and retries 429 and 5xx with a bounded, jittered back-off that honours
``Retry-After``; every request, retries included, passes the pacer.
"""

import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from sdc_resources.atomic import write_atomic
from sdc_resources.pacer import Pacer
from sdc_resources.redact import redact

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)
# Query parameters that only narrow a listing: a replay answers them by filtering the unfiltered capture.
FILTER_PARAMS = ("created_after", "since_updated_at", "include_disabled")


class SyncroError(Exception):
    """Syncro did not answer usefully; the message names the endpoint, never the key."""


class SyncroAuthError(SyncroError):
    """401/403: the key is wrong or lacks a permission. Not retried."""


class SyncroNotFound(SyncroError):
    """404, or no captured response for the request in a replay."""


def capture_name(path: str, params: dict) -> str:
    """The file that holds the response to ``GET path?params``: endpoint, query and page in the name."""
    endpoint = path.strip("/").replace("/", "_")
    query = "".join(f"__{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()) if k != "page")
    return f"{endpoint}{query}__page={params.get('page', 1)}.json"


def parse_time(value: str | None) -> datetime | None:
    """An ISO 8601 time with its offset (``Z`` or ``+01:00``); None for empty values."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"time without an offset: {value!r}")
    return parsed


class SyncroApi:
    """The endpoints SDC reads, over one ``get`` that subclasses provide."""

    def get(self, path: str, params: dict) -> dict | list:
        raise NotImplementedError

    def pages(self, path: str, key: str, params: dict | None = None) -> Iterator[list[dict]]:
        """Each page's items: pages 1.. until ``meta.total_pages``, or an empty page when there is no meta."""
        page = 1
        while True:
            body = self.get(path, {**(params or {}), "page": page})
            items = body.get(key, []) if isinstance(body, dict) else []
            if not isinstance(items, list):
                raise SyncroError(f"GET {path} page {page}: '{key}' is not a list")
            meta = body.get("meta") if isinstance(body, dict) else None
            if items:
                yield items
            if meta and meta.get("total_pages") is not None:
                if page >= int(meta["total_pages"]):
                    return
            elif not items:
                return
            page += 1

    def listing(self, path: str, key: str, params: dict | None = None) -> list[dict]:
        return [item for page in self.pages(path, key, params) for item in page]

    def tickets(self, created_after: datetime | None = None, since_updated_at: datetime | None = None) -> list[dict]:
        """Tickets created or updated after the given times (filtered here too, so a replay answers the same)."""
        params = {}
        if created_after:
            params["created_after"] = created_after.isoformat()
        if since_updated_at:
            params["since_updated_at"] = since_updated_at.isoformat()
        tickets = self.listing("/tickets", "tickets", params)
        return [
            t
            for t in tickets
            if (not created_after or parse_time(t.get("created_at")) > created_after)
            and (not since_updated_at or parse_time(t.get("updated_at")) > since_updated_at)
        ]

    def comments(self, ticket_id: int) -> list[dict]:
        """Every comment of a ticket from its own paged endpoint; none when the ticket is gone."""
        try:
            return self.listing(f"/tickets/{int(ticket_id)}/comments", "comments")
        except SyncroNotFound:
            return []

    def customers(self) -> list[dict]:
        return self.listing("/customers", "customers", {"include_disabled": "true"})

    def contacts(self) -> list[dict]:
        return self.listing("/contacts", "contacts")

    def customer_assets(self) -> list[dict]:
        """Customers' machines (name, serial, type), the names linking matches remote sessions against."""
        return self.listing("/customer_assets", "assets")


class ReplayClient(SyncroApi):
    """Answers from a folder of captured responses (see ``capture_name``); no network."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise SyncroError(f"Syncro replay folder {self.folder} does not exist")

    def get(self, path: str, params: dict) -> dict | list:
        narrow = {k: v for k, v in params.items() if k not in FILTER_PARAMS}
        for name in dict.fromkeys([capture_name(path, params), capture_name(path, narrow)]):
            file = self.folder / name
            if file.is_file():
                try:
                    return json.loads(file.read_bytes())
                except ValueError as exc:
                    raise SyncroError(f"{file}: not a JSON response: {exc}") from exc
        raise SyncroNotFound(f"GET {path}: no captured response {capture_name(path, params)} in {self.folder}")


class PacedRetry(Retry):
    """urllib3's Retry, but every back-off goes through the pacer and every retry takes a place in it."""

    pacer: Pacer | None = None

    def new(self, **kw) -> "PacedRetry":
        retry = super().new(**kw)
        retry.pacer = self.pacer
        return retry

    def sleep(self, response=None) -> None:
        after = self.get_retry_after(response) if response is not None and self.respect_retry_after_header else None
        seconds = after if after is not None else max(self.get_backoff_time(), self.backoff_factor)
        self.pacer.wait(min(seconds, self.backoff_max))
        self.pacer.acquire()


class PacedAdapter(HTTPAdapter):
    """Takes a place in the pacer before each first attempt; retries take theirs in ``PacedRetry.sleep``."""

    def __init__(self, pacer: Pacer, retry: PacedRetry):
        self.pacer = pacer
        super().__init__(max_retries=retry)

    def send(self, request, **kwargs):
        self.pacer.acquire()
        return super().send(request, **kwargs)


class LiveClient(SyncroApi):
    """Syncro over HTTPS (or any base URL: a test server, a self-hosted proxy)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        pacer: Pacer,
        timeout: tuple[float, float] = (5.0, 30.0),
        retries: int = 5,
        backoff_factor: float = 1.0,
        backoff_max: float = 120.0,
        capture_dir: str | Path | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.pacer = pacer
        self.timeout = timeout
        self.capture_dir = Path(capture_dir) if capture_dir else None
        self._key = api_key  # only to redact it from what a server echoes
        retry = PacedRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            backoff_factor=backoff_factor,
            backoff_max=backoff_max,
            backoff_jitter=backoff_factor / 2,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        retry.pacer = pacer
        self.session = requests.Session()
        self.session.mount("http://", PacedAdapter(pacer, retry))
        self.session.mount("https://", PacedAdapter(pacer, retry))
        self.session.headers.update(
            {"Authorization": f"Bearer {api_key}", "Accept": "application/json", "User-Agent": "sdc/0.1"}
        )

    def get(self, path: str, params: dict) -> dict | list:
        url = f"{self.base_url}{path}"
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SyncroError(f"GET {path} failed after retries: {type(exc).__name__}") from None
        if response.status_code in (401, 403):
            raise SyncroAuthError(
                f"GET {path}: HTTP {response.status_code} {_error_text(response, self._key)}; check SYNCRO_API_KEY"
            )
        if response.status_code == 404:
            raise SyncroNotFound(f"GET {path}: HTTP 404")
        if response.status_code >= 400:
            raise SyncroError(f"GET {path}: HTTP {response.status_code} {_error_text(response, self._key)}")
        try:
            body = response.json()
        except ValueError:
            raise SyncroError(f"GET {path}: the answer is not JSON") from None
        if self.capture_dir:
            write_atomic(self.capture_dir / capture_name(path, params), response.content)
        return body


def _error_text(response: requests.Response, key: str) -> str:
    """Syncro's error message, whichever key it came in (``error``, ``message``, ``errors``), without secrets
    (a server may echo the request's headers)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for name in ("error", "message", "errors"):
            if body.get(name):
                return redact(re.sub(r"\s+", " ", json.dumps(body[name], ensure_ascii=False)), [key])[:200]
    return ""
