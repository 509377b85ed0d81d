"""Opt down instead of out: fewer emails, or a break, rather than none.

- **Frequency** (`choose_frequency`): "every email" or one of
  OPTDOWN_FREQUENCIES (a weekly or monthly digest...), kept on the subscriber
  and carried to Campaign through the outbox as the profile field the brand
  maps (ACS_EMAIL_FREQUENCY_FIELD, V8_EMAIL_FREQUENCY_ATTRIBUTE; the local
  backend's column). "Every email" is sent as "".
- **Pause** (`pause`): suppressed by the site at once (`delivery.is_suppressed`)
  and on Campaign by the same blacklist an unsubscribe from all sets, until
  `resumes_at`. Pausing again while paused extends the pause. `sweep_pauses`
  (run by the outbox sweeper) emails a reminder OPTDOWN_REMINDER_DAYS before
  the date, once, then resumes: it queues the blacklist's removal. An
  unsubscribe from all during a pause ends it for good (`optouts.opt_out`),
  and nothing resumes a person whose opt-out is active.

Every choice, undo and resumption is an `OptDownRecord`: when, what was
chosen and what it replaced, the wording shown, the language, the page.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from . import outbox
from .delivery import active_optouts
from .emails import links_context, provided_links, queue_site_email
from .models import Change, OptDownRecord, Pause, Subscriber

REMINDER_TEMPLATE = "pause-reminder"
EVERY_EMAIL = ""
FREQUENCY_LABELS = {
    EVERY_EMAIL: _("Every email"),
    "weekly": _("Weekly digest"),
    "monthly": _("Monthly digest"),
    "daily": _("Daily digest"),
}
Kind = OptDownRecord.Kind


@dataclass(frozen=True)
class Shown:
    """What the page showed and who pressed: the evidence of a choice."""

    wording: str
    language: str
    source: str
    ip_address: str | None = None
    user_agent: str = ""


WORKER = Shown(wording="Emails resumed on the pause's date", language="", source="worker")


def offered_frequencies() -> list[str]:
    """The frequencies offered, "every email" first; none when turned off."""
    chosen = [value for value in settings.OPTDOWN_FREQUENCIES if value != EVERY_EMAIL]
    return [EVERY_EMAIL, *chosen] if chosen else []


def offered_pauses() -> list[int]:
    """The pauses offered, in days; none when turned off."""
    return sorted({int(days) for days in settings.OPTDOWN_PAUSE_DAYS if str(days).isdigit() and int(days)})


def frequency_label(value: str) -> str:
    """A frequency as the pages show it, in the active language."""
    label = FREQUENCY_LABELS.get(value)
    return str(label) if label is not None else value.replace("_", " ").capitalize()


def active_pause(subscriber: Subscriber) -> Pause | None:
    return Pause.objects.filter(subscriber=subscriber, ended_at__isnull=True).first()


def find_record(public_id: object) -> OptDownRecord | None:
    """The record a result page's signed value names."""
    found: OptDownRecord | None = OptDownRecord.objects.select_related("subscriber", "pause").by_public_id(
        public_id
    )
    if found is None or found.subscriber.status == Subscriber.Status.ERASED:
        return None
    return found


def _record(
    subscriber: Subscriber, kind: OptDownRecord.Kind, shown: Shown, *, choice: object = "", **fields: object
) -> OptDownRecord:
    return OptDownRecord.objects.create(
        subscriber=subscriber,
        kind=kind,
        choice=str(choice),
        wording=shown.wording[:500],
        wording_sha256=hashlib.sha256(shown.wording.encode()).hexdigest(),
        language=shown.language,
        source=shown.source[:64],
        ip_address=shown.ip_address,
        user_agent=shown.user_agent[:512],
        **fields,
    )


def _lock(subscriber: Subscriber) -> Subscriber:
    return Subscriber.objects.select_for_update().get(pk=subscriber.pk)


def _set_frequency(subscriber: Subscriber, value: str) -> None:
    Subscriber.objects.filter(pk=subscriber.pk).update(email_frequency=value)
    subscriber.email_frequency = value
    outbox.record(subscriber, Change.Kind.UPDATE_PROFILE, email_frequency=value)


def choose_frequency(subscriber: Subscriber, value: str, shown: Shown) -> OptDownRecord | None:
    """Receive email at this frequency; None when it is not one offered."""
    if value not in offered_frequencies():
        return None
    with transaction.atomic():
        previous = _lock(subscriber).email_frequency
        record = _record(subscriber, Kind.FREQUENCY, shown, choice=value, previous=previous)
        if value != previous:
            _set_frequency(subscriber, value)
        return record


def _resume_on_campaign(subscriber: Subscriber) -> None:
    """Lift the pause's blacklist, unless the person opted out of all email."""
    if not active_optouts(subscriber).filter(topic__isnull=True).exists():
        outbox.record(subscriber, Change.Kind.UPDATE_PROFILE, blacklist_email=False)


def pause(
    subscriber: Subscriber, days: int, shown: Shown, now: datetime | None = None
) -> OptDownRecord | None:
    """Stop marketing email for `days` (extend the pause, if one is on).

    None when that pause is not offered, or the person has opted out of all
    email (there is nothing to pause)."""
    now = now or timezone.now()
    if days not in offered_pauses():
        return None
    with transaction.atomic():
        _lock(subscriber)
        if active_optouts(subscriber).filter(topic__isnull=True).exists():
            return None
        current = active_pause(subscriber)
        if current is not None:
            previous = current.resumes_at
            current.resumes_at = max(previous, now) + timedelta(days=days)
            current.reminded_at = None
            current.save(update_fields=["resumes_at", "reminded_at"])
            return _record(
                subscriber,
                Kind.PAUSE_EXTENDED,
                shown,
                choice=days,
                previous=previous.isoformat(),
                pause=current,
            )
        created = Pause.objects.create(
            subscriber=subscriber, days=days, created_at=now, resumes_at=now + timedelta(days=days)
        )
        outbox.record(subscriber, Change.Kind.UPDATE_PROFILE, blacklist_email=True)
        return _record(subscriber, Kind.PAUSE, shown, choice=days, pause=created)


def _end(pause: Pause, by: Pause.Ended, now: datetime) -> bool:
    return bool(Pause.objects.filter(pk=pause.pk, ended_at__isnull=True).update(ended_at=now, ended_by=by))


def resume_now(subscriber: Subscriber, shown: Shown) -> OptDownRecord | None:
    """End the person's pause early; None when they have none."""
    now = timezone.now()
    with transaction.atomic():
        _lock(subscriber)
        current = active_pause(subscriber)
        if current is None or not _end(current, Pause.Ended.RESUMED_EARLY, now):
            return None
        _resume_on_campaign(subscriber)
        return _record(subscriber, Kind.RESUMED_EARLY, shown, pause=current)


def undoable(record: OptDownRecord) -> bool:
    """Whether the result page may still offer to undo this choice."""
    if record.undone_at is not None:
        return False
    if record.kind == Kind.FREQUENCY:
        return record.subscriber.email_frequency == record.choice
    if record.kind in (Kind.PAUSE, Kind.PAUSE_EXTENDED):
        return record.pause is not None and record.pause.active
    return False


def undo(record: OptDownRecord, shown: Shown) -> OptDownRecord | None:
    """Put back what the choice changed. None when there is nothing to undo
    (undone already, superseded by a later choice, or the pause is over)."""
    now = timezone.now()
    with transaction.atomic():
        subscriber = _lock(record.subscriber)
        record.subscriber = subscriber
        current = OptDownRecord.objects.select_related("pause").get(pk=record.pk)
        current.subscriber = subscriber
        if not undoable(current):
            return None
        OptDownRecord.objects.filter(pk=record.pk).update(undone_at=now)
        if current.kind == Kind.FREQUENCY:
            _set_frequency(subscriber, current.previous)
            return _record(subscriber, Kind.FREQUENCY_UNDONE, shown, choice=current.previous)
        paused = current.pause
        assert paused is not None
        if current.kind == Kind.PAUSE_EXTENDED:
            Pause.objects.filter(pk=paused.pk).update(
                resumes_at=datetime.fromisoformat(current.previous), reminded_at=None
            )
        else:
            _end(paused, Pause.Ended.UNDONE, now)
            _resume_on_campaign(subscriber)
        return _record(subscriber, Kind.PAUSE_UNDONE, shown, choice=current.choice, pause=paused)


def end_pauses_for_good(subscriber: Subscriber) -> None:
    """An unsubscribe from all email ends any pause: nothing will resume it."""
    Pause.objects.filter(subscriber=subscriber, ended_at__isnull=True).update(
        ended_at=timezone.now(), ended_by=Pause.Ended.UNSUBSCRIBED
    )


def resume_date(pause: Pause, language: str) -> str:
    """The day a pause ends, written in that language."""
    with translation.override(language or None):
        return formats.date_format(timezone.localtime(pause.resumes_at).date(), "DATE_FORMAT")


def _remind(pause: Pause, now: datetime) -> bool:
    with transaction.atomic():
        if not Pause.objects.filter(pk=pause.pk, ended_at__isnull=True, reminded_at__isnull=True).update(
            reminded_at=now
        ):
            return False
        subscriber = pause.subscriber
        context = {
            **links_context(subscriber, provided_links()),
            "resumeDate": resume_date(pause, subscriber.language),
        }
        queue_site_email(
            subscriber, REMINDER_TEMPLATE, to=subscriber.email, language=subscriber.language, context=context
        )
        return True


def _resume(pause: Pause, now: datetime) -> bool:
    with transaction.atomic():
        subscriber = _lock(pause.subscriber)
        opted_out = active_optouts(subscriber).filter(topic__isnull=True).exists()
        by = Pause.Ended.UNSUBSCRIBED if opted_out else Pause.Ended.RESUMED
        if not _end(pause, by, now):
            return False
        if not opted_out:
            outbox.record(subscriber, Change.Kind.UPDATE_PROFILE, blacklist_email=False)
            _record(subscriber, Kind.RESUMED, WORKER, pause=pause)
        return not opted_out


def sweep_pauses(now: datetime | None = None) -> tuple[int, int]:
    """Remind the people whose pause ends within OPTDOWN_REMINDER_DAYS (once),
    and resume those whose pause has ended. Safe to run from several
    sweepers: each step is a conditional update. Returns (reminded, resumed)."""
    now = now or timezone.now()
    active = Pause.objects.filter(ended_at__isnull=True).select_related("subscriber")
    resumed = sum(_resume(pause, now) for pause in active.filter(resumes_at__lte=now))
    soon = now + timedelta(days=settings.OPTDOWN_REMINDER_DAYS)
    due = active.filter(resumes_at__gt=now, resumes_at__lte=soon, reminded_at__isnull=True)
    reminded = sum(_remind(pause, now) for pause in due)
    return reminded, resumed


def export_optdown(subscriber: Subscriber) -> dict[str, object]:
    """The person's frequency, pauses and choices, for *Download my data*."""

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "email_frequency": subscriber.email_frequency or "every email",
        "pauses": [
            {
                "days": pause.days,
                "created_at": when(pause.created_at),
                "resumes_at": when(pause.resumes_at),
                "reminded_at": when(pause.reminded_at),
                "ended_at": when(pause.ended_at),
                "ended_by": pause.ended_by,
            }
            for pause in subscriber.pauses.order_by("created_at", "id")
        ],
        "choices": [
            {
                "kind": record.kind,
                "created_at": when(record.created_at),
                "choice": record.choice,
                "previous": record.previous,
                "wording": record.wording,
                "language": record.language,
                "source": record.source,
                "ip_address": record.ip_address,
                "user_agent": record.user_agent,
                "undone_at": when(record.undone_at),
            }
            for record in subscriber.optdowns.order_by("created_at", "id")
        ],
    }
