"""Our own database out of reach, for processes the tests start: they get a
DATABASE_URL that fails to connect until `restore()`, then reaches the test
database. SQLite: the URL names the file through a folder that does not exist
yet (restore makes it a link to the real one). PostgreSQL: a TCP proxy on
loopback that drops every connection until restored, then forwards."""

import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from tests.smtp_server import free_port


@dataclass
class Outage:
    url: str
    restore: Callable[[], None]


class DroppingProxy:
    """Accepts connections on loopback; drops them while closed, forwards them once open."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.opened = threading.Event()
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.listener.settimeout(0.2)
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _address = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.opened.is_set():
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                end.close()

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()
        for end in self.sockets:
            end.close()


@pytest.fixture
def database_outage(transactional_db: None) -> Iterator[Outage]:
    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        real = Path(settings["NAME"])
        missing = Path(tempfile.mkdtemp(prefix="outage-")) / "database"
        yield Outage(f"sqlite:///{missing / real.name}", lambda: missing.symlink_to(real.parent))
        return
    proxy = DroppingProxy((settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)))
    credentials = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    try:
        yield Outage(f"postgres://{credentials}@127.0.0.1:{proxy.port}/{settings['NAME']}", proxy.opened.set)
    finally:
        proxy.stop()
