"""The limits' counters (web/limits.py): one row per counter and window."""

from django.db import models


class LimitCounter(models.Model):
    """Attempts counted in one fixed window: `name` is the counter and its
    window's start (`limits:ip:<address>:<window>`; a mailbox only as its keyed
    hash, never an address), `expires` when the row may go, in Unix seconds."""

    name = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.count}"
