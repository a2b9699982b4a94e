"""A loopback HTTP server that refuses every request and echoes the request's headers in its error body,
as careless proxies and APIs do: Syncro-style (``error``) and OpenAI-style (``error.message``) at once."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_echo(status: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = dict(self.headers.items())
            body = json.dumps(
                {
                    "error": {
                        "message": f"Refused {self.headers.get('Authorization')}. You sent: {headers}",
                        "type": "invalid_request_error",
                    },
                    "message": f"Authorization: {self.headers.get('Authorization')}",
                    "headers": headers,
                }
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
