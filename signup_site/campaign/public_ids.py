"""Rows named in links by a public id (a UUID), never by their database id."""

import uuid

from django.db import models


def parse_public_id(value: object) -> uuid.UUID | None:
    """A public id from a link payload or a form, or None when it is not one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(hex=str(value))
    except ValueError:
        return None


class PublicIdQuerySet[M: models.Model](models.QuerySet[M]):
    """Rows named in links by `public_id`, never by their database id."""

    def by_public_id(self, value: object) -> M | None:
        """The row with this public id; None for an unknown or malformed one
        (a signed link can still carry garbage if the signing key leaked)."""
        parsed = parse_public_id(value)
        return self.filter(public_id=parsed).first() if parsed else None
