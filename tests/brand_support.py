"""Setting the brand as a marketer does: through the admin's change form."""

import struct
import zlib
from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from signup_site.brand.brand import current_brand

BRAND: dict[str, str] = {
    "name": "Acme Café",
    "primary_colour": "#7a1f5c",
    "sender_name": "Acme Café News",
    "sender_email": "hello@acme.example",
    "reply_to": "help@acme.example",
    "postal_address": "Acme Ltd\n1 Market Street\nSpringfield 12345",
    "privacy_url": "https://acme.example/privacy",
    "terms_url": "https://acme.example/terms",
    "support_contact": "help@acme.example",
    "site_domain": "news.acme.example",
}
POSTAL_LINE = "Acme Ltd, 1 Market Street, Springfield 12345"


def png(width: int = 120, height: int = 40) -> bytes:
    """A real (tiny, one-colour) PNG image of that size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x7a\x1f\x5c" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def admin_client() -> Client:
    client = Client()
    marketer = User.objects.filter(username="marketer").first()
    client.force_login(marketer or User.objects.create_superuser("marketer", "marketer@example.com", "pw"))
    return client


def post_brand(client: Client, logo: bytes | None = None, logo_name: str = "logo.png", **changes: Any) -> Any:
    """Submit the brand's change form with BRAND and `changes`; the response."""
    current_brand()  # first boot: the row exists, as the change list's redirect makes it
    data: dict[str, Any] = {**BRAND, **changes}
    if logo is not None:
        data["logo_file"] = SimpleUploadedFile(logo_name, logo, content_type="image/png")
    return client.post("/admin/brand/brand/1/change/", data)


def set_brand(logo: bytes | None = None, **changes: Any) -> Client:
    """Set the brand through the admin; returns the logged-in admin client."""
    client = admin_client()
    response = post_brand(client, logo, **changes)
    assert response.status_code == 302, response.content.decode()[-3000:]
    return client
