"""A real HTTP server on loopback that answers like Syncro's API v1, with faults on request.

Pages are small so every listing spans several. Tickets embed only their first
comment (as Syncro now does); ``/tickets/{id}/comments`` pages the rest, newest
first. ``faults`` is a queue: each entry answers the next matching request.
"""

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE_SIZES = {"tickets": 2, "customers": 2, "contacts": 3, "assets": 4}


@dataclass
class Fault:
    path: str  # the request path must start with this (after /api/v1)
    status: int = 0  # answer with this status ...
    retry_after: str | None = None
    stall: float = 0.0  # ... or wait this long before answering


@dataclass
class FakeSyncro:
    world: dict
    api_key: str
    faults: list[Fault] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)
    no_meta: set[str] = field(default_factory=set)  # listings answered without "meta"
    released: threading.Event = field(default_factory=threading.Event)

    def answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict, dict]:
        url = urlsplit(handler.path)
        path = url.path.removeprefix("/api/v1")
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.log.append({"path": path, "query": query, "url": handler.path, "auth": handler.headers["Authorization"]})
        fault = next((f for f in self.faults if path.startswith(f.path)), None)
        if fault:
            self.faults.remove(fault)
            if fault.stall:
                self.released.wait(fault.stall)
            if fault.status:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                return fault.status, {"error": f"fault {fault.status}"}, headers
        if handler.headers["Authorization"] != f"Bearer {self.api_key}":
            return 401, {"error": "Not authorized"}, {}
        page = int(query.get("page", 1))
        if path == "/tickets":
            tickets = [t for t in self.world["tickets"] if _after(t["created_at"], query.get("created_after"))]
            tickets = [t for t in tickets if _after(t["updated_at"], query.get("since_updated_at"))]
            tickets = [{**t, "comments": t["comments"][:1]} for t in tickets]
            return self._page("tickets", tickets, page)
        if match := re.fullmatch(r"/tickets/(\d+)/comments", path):
            ticket = next((t for t in self.world["tickets"] if t["id"] == int(match[1])), None)
            if ticket is None:
                return 404, {"message": "Not found"}, {}
            newest_first = sorted(ticket["comments"], key=lambda c: c["created_at"], reverse=True)
            return self._page("comments", newest_first, page, int(query.get("per_page", 2)))
        if path in ("/customers", "/contacts", "/customer_assets"):
            key = {"/customers": "customers", "/contacts": "contacts", "/customer_assets": "assets"}[path]
            return self._page(key, self.world[key], page)
        return 404, {"message": "Not found"}, {}

    def _page(self, key: str, items: list, page: int, size: int | None = None) -> tuple[int, dict, dict]:
        size = size or PAGE_SIZES[key]
        total_pages = max(1, -(-len(items) // size))
        body = {key: items[(page - 1) * size : page * size]}
        if key not in self.no_meta:
            body["meta"] = {"total_pages": total_pages, "page": page, "per_page": size, "total_entries": len(items)}
        return 200, body, {}


def _after(value: str, bound: str | None) -> bool:
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return bound is None or parse(value) > parse(bound)


def serve(fake: FakeSyncro) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, body, headers = fake.answer(self)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up on a stalled answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
