"""The `v8` backend's configuration, read from settings when it is created.

A missing or malformed value raises `CampaignAuthError`: like revoked
credentials, it needs an operator, and the outbox keeps the change until then.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings

from ...errors import CampaignAuthError
from ..common import for_message, parse_message_map
from ..ims import parse_scopes

AUTH_MODES = ("ims", "logon")
MESSAGE_MODES = ("site", "rtevent")


@dataclass(frozen=True)
class V8Config:
    url: str
    auth: str
    login: str
    password: str = field(repr=False)
    ims_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]
    staging_schema: str
    messages: str
    event_types: Mapping[str, str]
    apply_delay: timedelta
    connect_timeout: float = 3.05
    read_timeout: float = 10.0

    @classmethod
    def from_settings(cls) -> "V8Config":
        auth = settings.V8_AUTH.lower()
        messages = settings.V8_MESSAGES.lower()
        if auth not in AUTH_MODES:
            raise CampaignAuthError(f"V8_AUTH must be ims or logon, not {settings.V8_AUTH!r}")
        if messages not in MESSAGE_MODES:
            raise CampaignAuthError(f"V8_MESSAGES must be site or rtevent, not {settings.V8_MESSAGES!r}")
        required = ["V8_URL"] + (
            ["V8_LOGIN", "V8_PASSWORD"]
            if auth == "logon"
            else ["V8_CLIENT_ID", "V8_CLIENT_SECRET", "V8_IMS_URL"]
        )
        missing = [name for name in required if not getattr(settings, name, "")]
        if missing:
            raise CampaignAuthError(f"The v8 backend with V8_AUTH={auth} needs {', '.join(missing)}")
        schema = settings.V8_PROFILE_STAGING_SCHEMA
        if ":" not in schema:
            raise CampaignAuthError(f"V8_PROFILE_STAGING_SCHEMA must be namespace:name, not {schema!r}")
        return cls(
            url=settings.V8_URL.rstrip("/"),
            auth=auth,
            login=settings.V8_LOGIN,
            password=settings.V8_PASSWORD,
            ims_url=settings.V8_IMS_URL.rstrip("/"),
            client_id=settings.V8_CLIENT_ID,
            client_secret=settings.V8_CLIENT_SECRET,
            scopes=parse_scopes(settings.V8_SCOPES),
            staging_schema=schema,
            messages=messages,
            event_types=parse_message_map(
                settings.V8_EVENT_TYPES, setting="V8_EVENT_TYPES", form="message=eventType"
            ),
            apply_delay=timedelta(minutes=settings.V8_STAGING_DELAY_MINUTES),
            connect_timeout=float(settings.V8_CONNECT_TIMEOUT_SECONDS),
            read_timeout=float(settings.V8_READ_TIMEOUT_SECONDS),
        )

    @property
    def router_url(self) -> str:
        """The SOAP router: every call is a POST here."""
        return f"{self.url}/nl/jsp/soaprouter.jsp"

    @property
    def staging_element(self) -> str:
        """The element name of staging rows: `nms:recipientStg` -> `recipientStg`."""
        return self.staging_schema.split(":", 1)[1]

    def event_type(self, message: str, language: str = "") -> str:
        """The rtEvent type of a message (in the person's language when one is
        configured); the message name itself when none is."""
        return for_message(self.event_types, message, language) or message
