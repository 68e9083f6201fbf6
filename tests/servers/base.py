import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WireServer:
    """A threaded HTTP server whose routes are methods ``route_<name>(request) -> Reply``."""

    routes: dict[str, str] = {}  # path -> method name

    def __init__(self):
        self.script: list = []
        self.requests: list[dict] = []
        self.slow_seconds = 2.0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
                request = {
                    "path": self.path,
                    "json": body,
                    "raw": raw,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
                with server.lock:
                    server.requests.append(request)
                    behaviour = server.script.pop(0) if server.script else "ok"
                path = self.path.split("?")[0]
                name, match = None, None
                for pattern, method in server.routes.items():
                    match = re.fullmatch(pattern, path)
                    if match:
                        name, request["params"] = method, match.groupdict()
                        break
                if name is None:
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                if isinstance(behaviour, dict):  # a recorded response, sent as it was
                    return self._send(200, behaviour["reply"])
                if behaviour == "slow":
                    time.sleep(server.slow_seconds)
                    behaviour = "ok"
                if behaviour == "malformed":
                    return self._send_raw(
                        200, b'{"id": "x", "choices": [ {oops', "application/json"
                    )
                status, payload, headers = getattr(server, name)(request, behaviour)
                self._send(status, payload, headers)

            def _send(self, status, payload, headers=None):
                self._send_raw(status, json.dumps(payload).encode(), "application/json", headers)

            def _send_raw(self, status, data, content_type, headers=None):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that timed out on purpose closed its socket

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
