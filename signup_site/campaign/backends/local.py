"""The `local` backend: an embedded Campaign on the site's own database.

It keeps the same rules as Adobe Campaign Standard where the site could trip
over them: profiles are not de-duplicated by email, PKeys are opaque, unknown
services are rejected, and messages go out through Django's email backend.
"""

from django.db import IntegrityError, transaction

from ..errors import CampaignRejected, ProfileNotFound
from ..local_models import LocalMessage, LocalProfile, LocalService, LocalSubscription
from ..mail import send_site_email
from .base import (
    CampaignBackend,
    ErasureRequest,
    ErasureStatus,
    Message,
    Profile,
    ProfileFields,
    Service,
    from_campaign_language,
    to_campaign_language,
)


def _profile(row: LocalProfile) -> Profile:
    return Profile(
        pkey=row.pkey,
        email=row.email,
        first_name=row.first_name,
        last_name=row.last_name,
        language=from_campaign_language(row.preferred_language),
        blacklist_email=row.black_list_email,
        email_frequency=row.email_frequency,
    )


def _apply(row: LocalProfile, fields: ProfileFields) -> None:
    if fields.email is not None:
        row.email = fields.email
    if fields.first_name is not None:
        row.first_name = fields.first_name[:30]
    if fields.last_name is not None:
        row.last_name = fields.last_name[:50]
    if fields.language is not None:
        row.preferred_language = to_campaign_language(fields.language)
    if fields.blacklist_email is not None:
        row.black_list_email = fields.blacklist_email
    if fields.email_frequency is not None:
        row.email_frequency = fields.email_frequency


class LocalBackend(CampaignBackend):
    def _row(self, pkey: str) -> LocalProfile:
        try:
            return LocalProfile.objects.get(pkey=pkey)
        except LocalProfile.DoesNotExist:
            raise ProfileNotFound("No profile under that key") from None

    def _service(self, name: str) -> LocalService:
        try:
            return LocalService.objects.get(name=name)
        except LocalService.DoesNotExist:
            raise CampaignRejected(f"Unknown service {name!r}") from None

    def find_profile(self, email: str) -> Profile | None:
        row = LocalProfile.objects.filter(email__iexact=email).order_by("id").first()
        return _profile(row) if row else None

    def create_profile(self, fields: ProfileFields) -> Profile:
        if not fields.email:
            raise CampaignRejected("A profile needs an email address")
        row = LocalProfile()
        _apply(row, fields)
        row.save()
        return _profile(row)

    def get_profile(self, pkey: str) -> Profile:
        return _profile(self._row(pkey))

    def update_profile(self, pkey: str, fields: ProfileFields) -> None:
        row = self._row(pkey)
        _apply(row, fields)
        row.save()

    def list_services(self) -> list[Service]:
        return [Service(name=s.name, label=s.label) for s in LocalService.objects.order_by("name")]

    def subscriptions(self, pkey: str) -> frozenset[str]:
        row = self._row(pkey)
        return frozenset(
            LocalSubscription.objects.filter(profile=row).values_list("service__name", flat=True)
        )

    def subscribe(self, pkey: str, service: str) -> None:
        row, svc = self._row(pkey), self._service(service)
        try:
            with transaction.atomic():
                LocalSubscription.objects.get_or_create(profile=row, service=svc)
        except IntegrityError:
            pass  # subscribed concurrently: the outcome is the same

    def unsubscribe(self, pkey: str, service: str) -> None:
        row, svc = self._row(pkey), self._service(service)
        LocalSubscription.objects.filter(profile=row, service=svc).delete()

    def send_message(self, message: Message) -> None:
        send_site_email(message.name, message.email, message.language, message.context)
        LocalMessage.objects.create(
            name=message.name,
            email=message.email,
            language=message.language,
            context=dict(message.context),
        )

    def request_erasure(self, request: ErasureRequest) -> str:
        """The embedded Campaign erases at once: every profile with the address
        (their subscriptions with them) and the messages sent to it."""
        with transaction.atomic():
            LocalProfile.objects.filter(email__iexact=request.email).delete()
            LocalMessage.objects.filter(email__iexact=request.email).delete()
        return "local:" + request.name

    def erasure_status(self, reference: str) -> ErasureStatus:
        # Erased as it was filed: every reference this backend gave is complete.
        if not reference.startswith("local:"):
            raise ProfileNotFound("Not a reference the local backend gave")
        return ErasureStatus(state="complete", done=True)
