"""A real SMTP server (aiosmtpd) on loopback, for tests that read the bytes a
receiving mail server gets, as a mailbox provider would: raw messages,
parsed with Python's `email` package under its strict default policy."""

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from signup_site.settings import smtp_mailer


@dataclass
class Received:
    """One message as the server received it."""

    mail_from: str
    rcpt_to: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed: EmailMessage = email.message_from_bytes(self.raw, policy=email.policy.default)
        return parsed

    def header_lines(self) -> dict[str, str]:
        """The raw header fields, unfolded as RFC 5322 §2.2.3 says (CRLF WSP -> WSP)."""
        head = self.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        unfolded = head.replace("\r\n ", " ").replace("\r\n\t", "\t")
        fields: dict[str, str] = {}
        for line in unfolded.split("\r\n"):
            name, _, value = line.partition(":")
            fields[name.lower()] = value.strip()
        return fields

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Handler]:
    """Mail goes out over SMTP (as `EMAIL_URL=smtp://...` configures it) to a
    real server; the handler holds what it received."""
    handler = Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {"default": smtp_mailer(f"smtp://127.0.0.1:{port}")}
    try:
        yield handler
    finally:
        controller.stop()
