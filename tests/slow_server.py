"""A misbehaving web server on loopback, for the tests of what a Campaign call
does when the answer trickles in or never ends: a raw socket in a thread,
answering exactly the bytes a test asks for, as slowly as it asks.

Neither emulator can do this (they answer through Django, whole). The server
answers IMS token requests (`/ims/token/v3`) with a good token unless told
otherwise, and every other request with the next of the `Reply`s a test
queued (the last one again and again). It records what reached it and how
many body bytes it managed to send before the client hung up.
"""

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

TOKEN_PATH = "/ims/token/v3"
BLOCK = b"x" * (64 * 1024)


@dataclass(frozen=True)
class Reply:
    """One answer. `body` is sent as it is, unless `size` asks for a body of
    that many filler bytes, streamed (never built in memory). `framing`: a
    Content-Length (`length`, or `declared` to claim one other than the real
    size), `chunked`, or neither (`close`: the body ends when the connection
    does). `trickle` seconds pass before each byte of the body (and of the
    status line and headers too, with `trickle_head`); `delay` before anything."""

    status: int = 200
    body: bytes = b"{}"
    size: int = 0
    content_type: str = "application/json"
    framing: Literal["length", "chunked", "close"] = "length"
    declared: int | None = None
    trickle: float = 0.0
    trickle_head: bool = False
    delay: float = 0.0

    def head(self, length: int) -> bytes:
        lines = [f"HTTP/1.1 {self.status} Whatever", f"Content-Type: {self.content_type}"]
        if self.framing == "length":
            lines.append(f"Content-Length: {self.declared if self.declared is not None else length}")
        elif self.framing == "chunked":
            lines.append("Transfer-Encoding: chunked")
        else:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


def token_reply() -> Reply:
    body = {"access_token": "slow-server-token", "token_type": "bearer", "expires_in": 86399}
    return Reply(body=json.dumps(body).encode())


@dataclass
class Received:
    method: str
    path: str


class HungUp(Exception):
    """The client closed the connection (or the server is stopping)."""


@dataclass
class SlowServer:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    body_bytes_sent: int = 0
    hang_ups: int = 0  # connections the client closed while the server was still answering
    ims: Reply = field(default_factory=token_reply)
    _replies: list[Reply] = field(default_factory=lambda: [Reply()])
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def answer(self, *replies: Reply) -> None:
        """Answer the next API requests with `replies`, in turn, then the last one for ever."""
        with self._lock:
            self._replies = list(replies)

    def api_requests(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if not r.path.endswith(TOKEN_PATH)]

    def token_requests(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path.endswith(TOKEN_PATH)]

    def hung_up(self) -> bool:
        """Whether the client closed a connection the server was still answering."""
        with self._lock:
            return self.hang_ups > 0

    def sent(self) -> int:
        """Body bytes sent so far (that the kernel took)."""
        with self._lock:
            return self.body_bytes_sent

    # --- the server's side ------------------------------------------------------

    def serve(self, listener: socket.socket) -> None:
        listener.settimeout(0.1)  # to notice `stop`
        while not self._stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(30)
            threading.Thread(target=self._converse, args=(connection,), daemon=True).start()

    def _converse(self, connection: socket.socket) -> None:
        pending = b""
        with connection:
            try:
                while not self._stop.is_set():
                    request, pending = _read_request(connection, pending)
                    if request is None:
                        return
                    reply = self._next(request)
                    self._send(connection, reply)
                    if reply.framing == "close":
                        return
            except HungUp:
                with self._lock:
                    self.hang_ups += 1
            except OSError:
                return

    def _next(self, request: Received) -> Reply:
        with self._lock:
            self.received.append(request)
            if request.path.endswith(TOKEN_PATH):
                return self.ims
            return self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]

    def _send(self, connection: socket.socket, reply: Reply) -> None:
        self._pause(reply.delay)
        length = reply.size or len(reply.body)
        head = reply.head(length)
        self._write(connection, head, reply.trickle if reply.trickle_head else 0.0)
        for piece in _body(reply):
            if reply.framing == "chunked":
                piece = b"%x\r\n%s\r\n" % (len(piece), piece)
            self._write(connection, piece, reply.trickle, body=len(piece))
        if reply.framing == "chunked":
            self._write(connection, b"0\r\n\r\n", 0.0)

    def _write(self, connection: socket.socket, data: bytes, trickle: float, body: int = 0) -> None:
        try:
            if not trickle:
                connection.sendall(data)
                self._count(body)
                return
            for index in range(len(data)):
                self._pause(trickle)
                connection.sendall(data[index : index + 1])
            self._count(body)
        except OSError as exc:  # EPIPE, ECONNRESET: the client hung up
            raise HungUp from exc

    def _count(self, body: int) -> None:
        if body:
            with self._lock:
                self.body_bytes_sent += body

    def _pause(self, seconds: float) -> None:
        if seconds and self._stop.wait(seconds):
            raise HungUp


def _body(reply: Reply) -> Iterator[bytes]:
    if not reply.size:
        if reply.trickle and reply.framing == "chunked":
            yield from (reply.body[i : i + 1] for i in range(len(reply.body)))  # one byte a chunk
        elif reply.body:
            yield reply.body
        return
    left = reply.size
    while left > 0:
        piece = BLOCK[: min(left, len(BLOCK))]
        left -= len(piece)
        yield piece


def _read_request(connection: socket.socket, pending: bytes) -> tuple[Received | None, bytes]:
    """One request (its body read and dropped); None when the client closed."""
    while b"\r\n\r\n" not in pending:
        data = connection.recv(65536)
        if not data:
            return None, b""
        pending += data
    head, _, rest = pending.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    while len(rest) < length:
        data = connection.recv(65536)
        if not data:
            return None, b""
        rest += data
    return Received(method, path), rest[length:]


@contextmanager
def slow_server() -> Iterator[SlowServer]:
    """A server on 127.0.0.1; stopped (every answer in progress cut short) on exit."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    server = SlowServer(url=f"http://127.0.0.1:{listener.getsockname()[1]}")
    thread = threading.Thread(target=server.serve, args=(listener,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server._stop.set()
        thread.join(timeout=5)
        listener.close()
