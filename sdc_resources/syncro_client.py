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
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo
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
# Query parameters a replay may answer from a capture made without them: filters (the client filters the
# unfiltered capture the same way as live) and the page size (the capture's meta says how its pages run).
FILTER_PARAMS = ("created_after", "since_updated_at", "include_disabled", "per_page")
CONNECT_RETRIES = 2  # a refused connection or an unknown host rarely heals in seconds: say so soon
MAX_PAGES = 1000  # per listing: far beyond any MSP's account, and a bound on a server that never ends
COMMENTS_PER_PAGE = 100
PROGRESS_PAGES = 10  # a progress line every this many pages of a long listing


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


def parse_time(value: object, zone: tzinfo | None = None) -> datetime | None:
    """An ISO 8601 time (``Z``, ``+01:00``); None for empty values. A time without an offset is read in
    ``zone`` (the account's time zone) and refused without one."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        if zone is None:
            raise ValueError(f"time without an offset: {value!r}")
        parsed = parsed.replace(tzinfo=zone)
    return parsed


def has_offset(value: object) -> bool:
    """Whether a time the API sent says its offset (else it was read in the account's zone)."""
    try:
        return parse_time(value) is not None
    except ValueError:
        return False


def api_time(value: datetime) -> str:
    """A time as SDC sends it in a query: full ISO 8601 in UTC (the spec types these as date-time)."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _newer(item: dict, than: dict) -> bool:
    return str(item.get("updated_at") or "") >= str(than.get("updated_at") or "")


class SyncroApi:
    """The endpoints SDC reads, over one ``get`` that subclasses provide.

    Every listing ends: at ``meta.total_pages``, at an empty page, at a page that repeats the previous
    page's ids (a server that ignores ``page``), or after ``max_pages`` with a notice. Items listed twice
    (listings shift while they are paged) come back once, the newest ``updated_at`` winning."""

    max_pages: int = MAX_PAGES
    progress: Callable[[str], object] = staticmethod(lambda _: None)

    def __init__(self):
        self.notices: list[str] = []
        """What a caller should show: how listings ended when they did not end the ordinary way."""
        self.incomplete: list[str] = []
        """Listings known to be cut short: a caller must not take their absences as deletions."""

    def get(self, path: str, params: dict) -> dict | list:
        raise NotImplementedError

    def pages(self, path: str, key: str, params: dict | None = None) -> Iterator[list]:
        """Each page's items, in order, until the listing ends (see the class)."""
        previous: list | None = None
        for page in range(1, self.max_pages + 1):
            body = self.get(path, {**(params or {}), "page": page})
            items = body.get(key, []) if isinstance(body, dict) else []
            if not isinstance(items, list):
                raise SyncroError(f"GET {path} page {page}: '{key}' is not a list")
            ids = [item.get("id") if isinstance(item, dict) else item for item in items]
            if not items:
                return
            meta = body.get("meta") if isinstance(body, dict) else None
            total = _total_pages(meta)
            if ids == previous:
                notice = f"GET {path}: page {page} repeats page {page - 1}"
                if total is not None and page <= total:  # the server says there is more, but will not give it
                    self.incomplete.append(f"{notice} although meta.total_pages is {total}")
                self.notices.append(f"{notice}; the listing ends there")
                return
            yield items
            if total is not None and page >= total:
                return
            if page % PROGRESS_PAGES == 0:
                self.progress(f"syncro: GET {path}: page {page} of {total or '?'} read")
            previous = ids
        notice = f"GET {path}: stopped after {self.max_pages} pages (max_pages); the listing may be incomplete"
        self.notices.append(notice)
        self.incomplete.append(notice)

    def listing(self, path: str, key: str, params: dict | None = None) -> list:
        """Every item of a listing, each id once (the newest version); items without an id are kept as
        they came, for the caller to refuse with a reason."""
        by_id: dict[object, dict] = {}
        without_id: list = []
        for page in self.pages(path, key, params):
            for item in page:
                item_id = item.get("id") if isinstance(item, dict) else None
                if item_id is None or isinstance(item_id, dict | list):
                    without_id.append(item)
                elif item_id not in by_id or _newer(item, by_id[item_id]):
                    by_id[item_id] = item
        return [*by_id.values(), *without_id]

    def tickets(self, created_after: datetime | None = None, since_updated_at: datetime | None = None) -> list:
        """Tickets created or updated after the given times; filtered here too, so that a replay answers the
        same. A ticket whose time cannot be read is kept, for the caller to refuse with a reason."""
        params = {}
        if created_after:
            params["created_after"] = api_time(created_after)
        if since_updated_at:
            params["since_updated_at"] = api_time(since_updated_at)
        return [
            t
            for t in self.listing("/tickets", "tickets", params)
            if _after(t, "created_at", created_after) and _after(t, "updated_at", since_updated_at)
        ]

    def comments(self, ticket_id: int) -> list:
        """Every comment of a ticket from its own paged endpoint; none when the ticket is gone."""
        try:
            return self.listing(f"/tickets/{int(ticket_id)}/comments", "comments", {"per_page": COMMENTS_PER_PAGE})
        except SyncroNotFound:
            return []

    def customers(self) -> list:
        return self.listing("/customers", "customers", {"include_disabled": "true"})

    def contacts(self) -> list:
        return self.listing("/contacts", "contacts")

    def customer_assets(self) -> list:
        """Customers' machines (name, serial, type), the names linking matches remote sessions against."""
        return self.listing("/customer_assets", "assets")


def _total_pages(meta: object) -> int | None:
    if not isinstance(meta, dict):
        return None
    try:
        return int(meta["total_pages"])
    except (KeyError, TypeError, ValueError):
        return None


def _after(item: object, field: str, bound: datetime | None) -> bool:
    """Whether ``item`` is after ``bound`` by ``field``; an item whose time cannot be judged is kept."""
    if bound is None or not isinstance(item, dict):
        return True
    try:
        value = parse_time(item.get(field), bound.tzinfo)
    except ValueError:
        return True
    return value is None or value > bound


class ReplayClient(SyncroApi):
    """Answers from a folder of captured responses (see ``capture_name``); no network."""

    def __init__(self, folder: str | Path):
        super().__init__()
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
    """urllib3's Retry, but every back-off goes through the pacer, every retry takes a place in it, and each
    one is told to ``progress``."""

    pacer: Pacer | None = None
    progress: Callable[[str], object] = staticmethod(lambda _: None)

    def new(self, **kw) -> "PacedRetry":
        retry = super().new(**kw)
        retry.pacer, retry.progress = self.pacer, self.progress
        return retry

    def sleep(self, response=None) -> None:
        after = self.get_retry_after(response) if response is not None and self.respect_retry_after_header else None
        seconds = min(
            after if after is not None else max(self.get_backoff_time(), self.backoff_factor), self.backoff_max
        )
        last = self.history[-1] if self.history else None
        what = (
            f"HTTP {last.status}"
            if last and last.status
            else f"no answer ({type(last.error).__name__ if last and last.error else 'error'})"
        )
        self.progress(f"syncro: {last.url if last else 'a request'}: {what}; retry in {seconds:.0f} s")
        self.pacer.wait(seconds)
        self.pacer.acquire()


class PacedAdapter(HTTPAdapter):
    """Takes a place in the pacer before each first attempt; retries take theirs in ``PacedRetry.sleep``."""

    def __init__(self, pacer: Pacer, retry: PacedRetry):
        self.pacer = pacer
        super().__init__(max_retries=retry)

    def send(self, request, **kwargs):
        with self.pacer.lock:  # this process's requests go out one at a time, each in its place
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
        max_pages: int = MAX_PAGES,
        progress: Callable[[str], object] | None = None,
        time_budget: float | None = None,
    ):
        super().__init__()
        self._deadline = time.monotonic() + time_budget if time_budget else None
        self.max_pages = max_pages
        if progress:
            self.progress = progress
        self.base_url = base_url.rstrip("/")
        self.pacer = pacer
        self.timeout = timeout
        self.retries = retries
        self.capture_dir = Path(capture_dir) if capture_dir else None
        self._key = api_key  # only to redact it from what a server echoes
        retry = PacedRetry(
            total=retries,
            connect=min(retries, CONNECT_RETRIES),
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
        retry.progress = self.progress
        self.session = requests.Session()
        self.session.mount("http://", PacedAdapter(pacer, retry))
        self.session.mount("https://", PacedAdapter(pacer, retry))
        self.session.headers.update(
            {"Authorization": f"Bearer {api_key}", "Accept": "application/json", "User-Agent": "sdc/0.1"}
        )

    def get(self, path: str, params: dict) -> dict | list:
        url = f"{self.base_url}{path}"
        where = f"GET {url}"
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise SyncroError(f"{where}: not sent, the time this caller may spend on Syncro is used up")
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SyncroError(f"{where}: no answer ({_network_reason(exc)}), retries included") from None
        if response.status_code in (401, 403):
            reason = _error_text(response, self._key)
            raise SyncroAuthError(
                f"{where}: HTTP {response.status_code} {reason}; check SYNCRO_API_KEY".replace("  ", " ")
            )
        if response.status_code == 404:
            raise SyncroNotFound(f"{where}: HTTP 404 (no such endpoint or record in this account)")
        if response.status_code >= 400:
            raise SyncroError(f"{where}: HTTP {response.status_code} {_error_text(response, self._key)}".rstrip())
        try:
            body = response.json()
        except ValueError:
            raise SyncroError(f"{where}: the answer is not JSON") from None
        if self.capture_dir:
            write_atomic(self.capture_dir / capture_name(path, params), response.content)
        return body


def _network_reason(exc: requests.RequestException) -> str:
    """What went wrong on the network, in the words a person checks: ``Connection refused``, ``timed out``."""
    text = str(exc)
    if found := re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text):
        return found.group(1).strip()
    if "timed out" in text.lower() or isinstance(exc, requests.Timeout):
        return "timed out"
    return type(exc).__name__


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
