"""The brand as pages and emails read it: `current_brand()`, cached.

On first use the one row is created from the BRAND_* environment variables
(settings.BRAND_DEFAULTS); from then on the admin edits it. While the
database cannot be read (an outage, before `migrate`), the environment's
values stand in, so even the error pages carry the brand.
"""

from dataclasses import dataclass, fields
from email.headerregistry import Address
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError
from django.urls import reverse

from .cache import CACHE_KEY, brand_cache
from .colours import colour_problem, darken, normalise_colour
from .models import Brand

DEFAULT_COLOUR = "#0a58ca"


@dataclass(frozen=True)
class BrandInfo:
    """The brand's settings without the logo's bytes (those are served by URL)."""

    name: str
    primary_colour: str
    sender_name: str
    sender_email: str
    reply_to: str
    postal_address: str
    privacy_url: str
    terms_url: str
    support_contact: str
    site_domain: str
    logo_sha256: str = ""
    logo_content_type: str = ""
    logo_width: int = 0
    logo_height: int = 0

    @property
    def from_address(self) -> str:
        """`Name <address>`, quoted as RFC 5322 needs (a comma or quote in the name)."""
        return str(Address(display_name=self.sender_name or self.name, addr_spec=self.sender_email))

    @property
    def domain(self) -> str:
        """The site's own domain: the brand's, else SITE_URL's host."""
        return self.site_domain or urlsplit(settings.SITE_URL).hostname or "localhost"

    @property
    def logo_path(self) -> str:
        if not self.logo_sha256:
            return ""
        extension = "png" if self.logo_content_type == "image/png" else "jpg"
        return reverse("brand-logo", args=[self.logo_sha256[:16], extension])

    @property
    def logo_url(self) -> str:
        """The logo's absolute URL, for emails ("" when there is none)."""
        return settings.SITE_URL + self.logo_path if self.logo_path else ""

    @property
    def accent_path(self) -> str:
        return reverse("brand-accent", args=[self.primary_colour.removeprefix("#")])

    @property
    def accent_hover(self) -> str:
        return darken(self.primary_colour)

    @property
    def support_href(self) -> str:
        contact = self.support_contact
        return "" if not contact else contact if "://" in contact else f"mailto:{contact}"

    @property
    def support_is_email(self) -> bool:
        return bool(self.support_contact) and "://" not in self.support_contact

    @property
    def postal_lines(self) -> list[str]:
        return [line.strip() for line in self.postal_address.splitlines() if line.strip()]


FIELDS = [field.name for field in fields(BrandInfo)]


def _accent(value: str) -> str:
    colour = normalise_colour(value)
    return colour if colour and not colour_problem(colour) else DEFAULT_COLOUR


def environment_defaults() -> dict[str, str]:
    """The brand the BRAND_* variables describe (settings.BRAND_DEFAULTS)."""
    defaults = dict(settings.BRAND_DEFAULTS)
    defaults["primary_colour"] = _accent(defaults.get("primary_colour", ""))
    return defaults


def _info(row: Brand) -> BrandInfo:
    return BrandInfo(**{name: getattr(row, name) for name in FIELDS})


def current_brand() -> BrandInfo:
    """The brand, from the cache, else the database (created from the
    environment on first boot), else the environment alone."""
    cached = brand_cache().get(CACHE_KEY)
    if isinstance(cached, BrandInfo):
        return cached
    try:
        row = Brand.objects.defer("logo").filter(pk=Brand.SINGLETON_PK).first()
        if row is None:
            row, _created = Brand.objects.get_or_create(
                pk=Brand.SINGLETON_PK, defaults=environment_defaults()
            )
    except DatabaseError:
        return BrandInfo(**environment_defaults())  # type: ignore[arg-type]
    info = _info(row)
    brand_cache().set(CACHE_KEY, info, settings.BRAND_CACHE_SECONDS)
    return info


def logo_bytes(sha256_prefix: str) -> tuple[bytes, str] | None:
    """The current logo's bytes and Content-Type, when its hash starts so."""
    row = (
        Brand.objects.filter(pk=Brand.SINGLETON_PK, logo_sha256__startswith=sha256_prefix)
        .exclude(logo_sha256="")
        .values_list("logo", "logo_content_type")
        .first()
    )
    return (bytes(row[0]), row[1]) if row else None
