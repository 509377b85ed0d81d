"""The exceptions every backend raises, answering "what should the caller do?".

No `requests`, XML or database exception escapes a backend: each maps its
failures onto these, so the delivery worker decides retry or stop without
knowing which Campaign is behind.
"""


class CampaignError(Exception):
    """Base class. `retry_after` is a hint in seconds, when Campaign gave one."""

    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CampaignUnavailable(CampaignError):
    """Campaign is down, slow or throttling: try again later."""

    retryable = True


class CampaignThrottled(CampaignUnavailable):
    """Campaign is up but refuses the pace (HTTP 429): try again after
    `retry_after` seconds, as it asks, not after an outage's backoff."""


class CampaignRejected(CampaignError):
    """Campaign refused the data (validation, unknown field): retrying won't help."""


class ProfileNotFound(CampaignError):
    """No profile under that key: re-resolve the person by email."""


class CampaignAuthError(CampaignError):
    """Credentials are wrong or revoked: an operator must act; then retry."""

    retryable = True


class CampaignMisconfigured(CampaignAuthError):
    """A setting is missing or malformed; the message names it. Like revoked
    credentials, an operator must act (`manage.py check` reports it too)."""


class CampaignPending(CampaignError):
    """Campaign accepted the work and is still doing it (a privacy request it
    processes in its own time): ask again after `retry_after` seconds. Not a
    failure: the outbox reschedules the change without an error."""

    retryable = True
