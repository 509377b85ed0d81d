"""Fan-out wake-ups: a backlog spread over every idle worker process; and
the wake-ups a drain spares by waiting for what comes due soon (`due_soon`).

Several worker processes (`manage.py worker --processes P`, or workers on
several machines) can drain the outbox together: the claims keep them apart
(`outbox`). But a backlog recorded in one transaction wakes one task, which
one process takes, and the others stay idle. So the task, as its drain
starts, calls `spread_wake_up`: when more changes are due than this
process's slots take on at once, it enqueues one more wake-up, for an idle
process to join; that one does the same, until the backlog fits in the
slots at work or every process is busy.

It costs one small query per drain (a second, and the task's row, only when
the backlog is larger than the slots), none per change. Only where tasks
run in another process (the database and RQ backends: with the immediate
backend the wake-up would run inside this drain, and call in another, and
so on); and on the database backend not while a wake-up is still waiting to
be taken (READY): that one brings the next process already, so wake-ups do
not pile up.
"""

from collections.abc import Callable
from time import monotonic

from django.db.models import Min
from django.tasks import Task
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from .models import Change

# The task backend whose tasks run in a worker process beside the database's
# (named, not imported: it is installed only with Redis).
RQ_BACKEND = "django_tasks_rq.backend.RQBackend"


def spread_wake_up(wake_up: Task[[], int], slots: int) -> bool:
    """Enqueue `wake_up` once more if more than `slots` changes are due and
    (on the database backend) no `wake_up` is waiting to be taken; whether
    it did."""
    in_database = in_this_database(wake_up)
    if not in_database and not _in_rq(wake_up):
        return False
    due = Change.objects.filter(status=Change.Status.PENDING, next_attempt_at__lte=timezone.now())
    # The count stops past `slots`: a backlog of thousands costs no more.
    if due[: slots + 1].count() <= slots:
        return False
    if in_database and _waiting(wake_up):
        return False
    wake_up.enqueue()
    return True


def in_this_database(task: Task[[], int]) -> bool:
    """Whether `task` is queued as a row of the site's database (django-tasks-db)."""
    return isinstance(task.get_backend(), DatabaseBackend)


def _in_rq(task: Task[[], int]) -> bool:
    return any(
        f"{kind.__module__}.{kind.__qualname__}" == RQ_BACKEND for kind in type(task.get_backend()).__mro__
    )


def _waiting(wake_up: Task[[], int]) -> bool:
    return DBTaskResult.objects.ready().filter(task_path=wake_up.module_path).exists()


# How long a worker's drain waits for a change that is due soon, rather
# than end and be woken for it: a 429 holds the changes for its Retry-After
# (a second, say), and ending meant a second more for the task's wake-up
# and the worker's poll, each time: half of Campaign's rate lost.
LINGER_SECONDS = 5.0
# A drain waits so only while it is younger than this: a worker asked to
# stop lets its task finish, and one that always found a change due within
# seconds (Campaign down, the retries coming round) never finished; `make
# bench` saw a worker ignore SIGTERM for a minute. After this the drain ends
# as before, and the changes' own wake-ups start the next one.
LINGER_PASS_SECONDS = 20.0


def lingering() -> Callable[[], float | None]:
    """`due_soon`, for a drain starting now: None once it is LINGER_PASS_SECONDS old."""
    started = monotonic()
    return lambda: due_soon() if monotonic() - started < LINGER_PASS_SECONDS else None


def due_soon() -> float | None:
    """Seconds until the next change comes due, if within LINGER_SECONDS
    (one due already but held behind its person's earlier one is left to the
    slot delivering that one)."""
    now = timezone.now()
    later = Change.objects.filter(status=Change.Status.PENDING, next_attempt_at__gt=now)
    soonest = later.aggregate(soonest=Min("next_attempt_at"))["soonest"]
    if soonest is None or (soonest - now).total_seconds() > LINGER_SECONDS:
        return None
    return (soonest - now).total_seconds()
