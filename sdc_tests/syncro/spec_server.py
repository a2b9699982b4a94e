"""A Syncro on loopback built from the official OpenAPI document's example bodies (``spec/``), with the
odd but legal answers a live account gives switched on one by one.

The listings are the spec's example records, cloned with their own ids and days; ``/customer_assets``
has no ``meta``, as in the spec. ``Quirks`` turns on: pages the server ignores (every page the same
body), a ``meta.total_pages`` far beyond the data, records listed on two pages, listings the key may
not read (403, with the spec's documented body) or the account lacks (404), and per-record mutations.
"""

from __future__ import annotations

import copy
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SPEC = Path(__file__).parent / "spec"
DAYS = ("2025-03-10", "2025-03-11", "2025-03-12")
MISSING = object()


def example(name: str) -> dict:
    return json.loads((SPEC / f"{name}.json").read_text())


def spec_world(tickets: int = 12, days: tuple[str, ...] = DAYS) -> dict:
    """Records shaped exactly like the spec's examples, with ids, names and times of their own."""
    ticket, comment = example("tickets")["tickets"][0], example("comments")["comments"][0]
    customer, contact = example("customers")["customers"][0], example("contacts")["contacts"][0]
    asset = example("customer_assets")["assets"][0]
    world: dict = {"tickets": [], "customers": [], "contacts": [], "assets": []}
    for n in range(tickets):
        day = days[n % len(days)]
        created = f"{day}T{8 + n % 9:02d}:{n % 60:02d}:31.034Z"
        comments = [
            {**comment, "id": 9000 + n * 10 + k, "ticket_id": 7000 + n, "created_at": f"{day}T{17 - k:02d}:00:00Z",
             "updated_at": f"{day}T{17 - k:02d}:00:00Z", "body": f"Stap {k} voor ticket {7000 + n}", "hidden": k == 1}
            for k in range(3)
        ]  # fmt: skip
        world["tickets"].append(
            {**ticket, "id": 7000 + n, "number": 1000 + n, "subject": f"Probleem {n}: {ticket['subject']}",
             "created_at": created, "updated_at": f"{day}T18:00:00Z", "customer_id": 1 + n % 5,
             "tag_list": ["spec"], "comments": comments[:1], "all_comments": comments}
        )  # fmt: skip
    for n in range(5):
        world["customers"].append(
            {**customer, "id": 1 + n, "business_name": f"Klant {n} B.V.", "business_then_name": f"Klant {n} B.V.",
             "email": f"info@klant{n}.nl", "contacts": []}
        )  # fmt: skip
        world["contacts"].append({**contact, "id": 100 + n, "customer_id": 1 + n, "name": f"Contact {n}"})
    for n in range(4):
        world["assets"].append({**asset, "id": 500 + n, "customer_id": 1 + n, "name": f"KLANT{n}-PC01"})
    return world


@dataclass
class Quirks:
    page_size: int = 4
    ignore_page: set[str] = field(default_factory=set)  # listings that answer every page with page 1
    total_pages: dict[str, int] = field(default_factory=dict)  # a meta.total_pages to claim
    duplicate: set[str] = field(default_factory=set)  # listings whose page n repeats page n-1's last record
    status: dict[str, int] = field(default_factory=dict)  # listings that answer 403 or 404
    mutations: list[tuple[str, int, str, object]] = field(default_factory=list)  # (listing, index, field, value)


@dataclass
class SpecSyncro:
    world: dict
    api_key: str
    quirks: Quirks = field(default_factory=Quirks)
    log: list[dict] = field(default_factory=list)
    base_url: str = ""

    def listing(self, key: str) -> list:
        items = copy.deepcopy(self.world[key])
        for listing, index, name, value in self.quirks.mutations:
            if listing != key or index >= len(items):
                continue
            if name == "":
                items[index] = value  # the whole record replaced (say, by a string)
            elif value is MISSING:
                items[index].pop(name, None)
            else:
                items[index][name] = value
        return items

    def answer(self, path: str, query: dict, auth: str | None) -> tuple[int, object]:
        self.log.append({"path": path, "query": query})
        if auth != f"Bearer {self.api_key}":
            return 401, example("error_401")
        key = {"/tickets": "tickets", "/customers": "customers", "/contacts": "contacts", "/customer_assets": "assets"}
        if path.startswith("/tickets/") and path.endswith("/comments"):
            ticket = next((t for t in self.world["tickets"] if f"/tickets/{t['id']}/" in path), None)
            if ticket is None:
                return 404, {"message": "Not found"}
            newest_first = sorted(ticket["all_comments"], key=lambda c: c["created_at"], reverse=True)
            return 200, self._page("comments", newest_first, query, int(query.get("per_page", 10)))
        if path not in key:
            return 404, {"message": "Not found"}
        if path in self.quirks.status:
            return self.quirks.status[path], example("error_401") if self.quirks.status[path] == 403 else {}
        items = [self._shown(t) for t in self.listing(key[path])] if path == "/tickets" else self.listing(key[path])
        return 200, self._page(key[path], items, query)

    @staticmethod
    def _shown(ticket: object) -> object:
        """A ticket as /tickets lists it: only its first comment embedded."""
        if isinstance(ticket, dict):
            return {k: v for k, v in ticket.items() if k != "all_comments"}
        return ticket

    def _page(self, key: str, items: list, query: dict, size: int | None = None) -> dict:
        size = size or self.quirks.page_size
        path = "/customer_assets" if key == "assets" else f"/{key}"
        page = 1 if path in self.quirks.ignore_page else int(query.get("page", 1))
        start = (page - 1) * size
        chunk = items[start : start + size]
        if path in self.quirks.duplicate and page > 1 and start - 1 < len(items):
            chunk = [items[start - 1], *chunk]  # the listing shifted: the previous page's last record again
        body: dict = {key: chunk}
        if key != "assets":  # the spec documents no meta for /customer_assets
            total = self.quirks.total_pages.get(path, max(1, -(-len(items) // size)))
            body["meta"] = {"total_pages": total, "page": page, "per_page": size}
        return body


def serve_spec(fake: SpecSyncro) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            status, body = fake.answer(url.path.removeprefix("/api/v1"), query, self.headers["Authorization"])
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.base_url = f"http://127.0.0.1:{server.server_port}/api/v1"
    return server
