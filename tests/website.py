"""A small web site served on 127.0.0.1 for the fetching tests: routes with status, headers, delays and failures,
and a log of every request the site received (path, Host header, time)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    delay: float = 0.0  # seconds before answering
    fail_first: int = 0  # answer 503 to this many requests first
    retry_after: str | None = None  # sent with those 503s
    chunk_delay: float = 0.0  # send the body in 8 pieces, this long apart (a page that trickles)
    length: bool = True  # send Content-Length


@dataclass
class Hit:
    path: str
    host: str
    at: float
    agent: str


class Site:
    """Routes by path (with query); every request is logged, answered or not."""

    def __init__(self, routes: dict[str, Route] | None = None):
        self.routes: dict[str, Route] = dict(routes or {})
        self.log: list[Hit] = []
        self.lock = threading.Lock()
        self.served: dict[str, int] = {}
        self.base = ""
        self.in_flight = self.max_in_flight = 0

    def paths(self) -> list[str]:
        return [h.path for h in self.log]

    def handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                with site.lock:
                    site.log.append(
                        Hit(self.path, self.headers.get("Host", ""), time.monotonic(), self.headers.get("User-Agent"))
                    )
                    n = site.served[self.path] = site.served.get(self.path, 0) + 1
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                try:
                    self._answer(n)
                finally:
                    with site.lock:
                        site.in_flight -= 1

            def _answer(self, n: int):
                route = site.routes.get(self.path)
                if route is None:
                    self._send(404, b"<html><body>not found</body></html>", "text/html", {})
                    return
                if n <= route.fail_first:
                    extra = {"Retry-After": route.retry_after} if route.retry_after else {}
                    self._send(503, b"busy", "text/plain", extra)
                    return
                time.sleep(route.delay)
                self._send(route.status, route.body, route.content_type, route.headers, route)

            def _send(self, status, body, content_type, headers, route: Route | None = None):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    if route is None or route.length:
                        self.send_header("Content-Length", str(len(body)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    if route is not None and route.chunk_delay:
                        step = max(1, len(body) // 8)
                        for i in range(0, len(body), step):
                            self.wfile.write(body[i : i + step])
                            self.wfile.flush()
                            time.sleep(route.chunk_delay)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout under test)
                    pass

            def log_message(self, *args):  # quiet
                pass

        return Handler


@contextmanager
def serve(site: Site) -> Iterator[Site]:
    """Serve ``site`` on 127.0.0.1 (never any other address) on a free port; ``site.base`` is its root URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), site.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
