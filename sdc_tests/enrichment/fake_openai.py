"""A real HTTP server on loopback that speaks OpenAI's chat-completions protocol with scripted answers.

``script`` maps a text to a queue of answers: a request whose first user message contains the text gets the
queue's next answer. An answer is the assistant's content, or ``STALL``, which holds the request until the test
ends (the client's timeout fires first). Requests nothing matches are answered ``none``.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STALL = object()


@dataclass
class FakeOpenAI:
    script: dict[str, list] = field(default_factory=dict)
    requests: list[dict] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    base_url: str = ""

    def answer(self, body: dict) -> dict | None:
        self.requests.append(body)
        user = next(str(m["content"]) for m in body["messages"] if m["role"] == "user")
        queue = next((answers for text, answers in self.script.items() if text in user and answers), None)
        reply = queue.pop(0) if queue else '{"customer_id": "none"}'
        if reply is STALL:
            self.released.wait(30)
            return None
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 10, "total_tokens": prompt_tokens + 10},
        }


def serve(fake: FakeOpenAI) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            if self.path != "/v1/chat/completions":
                self.send_error(404)
                return
            reply = fake.answer(json.loads(self.rfile.read(length)))
            if reply is None:
                return
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.base_url = f"http://127.0.0.1:{server.server_port}/v1"
    return server
