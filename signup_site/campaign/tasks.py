"""Tasks run by the worker (`manage.py db_worker`)."""

from django.tasks import task

from .outbox import deliver_all


@task
def deliver_changes() -> int:
    """Deliver every due change in the outbox."""
    return deliver_all()
