"""The embedded Campaign of the `local` backend: profiles, services,
subscriptions and transactional messages, on the site's own database.

Shaped like Adobe Campaign Standard's resources: opaque `@...` PKeys, profiles
not de-duplicated by email, one subscription per profile and service.
"""

import secrets

from django.db import models
from django.utils import timezone


def new_pkey() -> str:
    return "@" + secrets.token_urlsafe(32)


class LocalProfile(models.Model):
    pkey = models.CharField(max_length=64, unique=True, default=new_pkey)
    email = models.EmailField(db_index=True)
    first_name = models.CharField(max_length=30, blank=True)
    last_name = models.CharField(max_length=50, blank=True)
    preferred_language = models.CharField(max_length=16, default="none")
    black_list = models.BooleanField(default=False)
    black_list_email = models.BooleanField(default=False)
    email_frequency = models.CharField(max_length=32, blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "local Campaign profile"

    def __str__(self) -> str:
        return self.pkey


class LocalService(models.Model):
    name = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100)
    message_type = models.CharField(max_length=8, default="email")

    class Meta:
        verbose_name = "local Campaign service"

    def __str__(self) -> str:
        return self.name


class LocalSubscription(models.Model):
    profile = models.ForeignKey(LocalProfile, on_delete=models.CASCADE, related_name="subscriptions")
    service = models.ForeignKey(LocalService, on_delete=models.CASCADE, related_name="subscriptions")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "local Campaign subscription"
        constraints = [
            models.UniqueConstraint(fields=["profile", "service"], name="one_subscription_per_service")
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} -> {self.service_id}"


class LocalMessage(models.Model):
    """A transactional message the local Campaign sent (its event log)."""

    name = models.CharField(max_length=64)
    email = models.EmailField()
    language = models.CharField(max_length=8)
    context = models.JSONField(default=dict)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "local Campaign message"

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"
