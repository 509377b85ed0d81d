"""A web server that answers every request with a redirect and records what
reaches it, to prove the `acs` and `v8` clients follow none. (Neither
emulator can answer with a `Location`.)"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TARGET = "/elsewhere"


@dataclass
class Redirector:
    url: str
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path), in order

    def followed(self) -> bool:
        return any(path.startswith(TARGET) for _, path in self.requests)


@contextmanager
def redirecting_server(status: int = 302) -> Iterator[Redirector]:
    """Every path answers `status` with a `Location` on this server's
    `/elsewhere...`, which itself answers 200."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    redirector = Redirector(f"http://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            redirector.requests.append((self.command, self.path))
            if self.path.startswith(TARGET):
                body = b"followed"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
            else:
                body = b""
                self.send_response(status)
                self.send_header("Location", f"{redirector.url}{TARGET}{self.path}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield redirector
    finally:
        server.shutdown()
        server.server_close()
