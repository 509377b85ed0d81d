"""Existing subscribers: their addresses in canonical spelling, their person
keys recomputed, where that is safe.

- An address whose canonical spelling no other subscriber holds is rewritten
  to it (oldest subscriber first). Where one does, both rows stay: merging two
  people's consent records, sign-ups, opt-outs and Campaign profiles is not a
  migration's call. The row left behind still gets the canonical person key,
  which is what "one coupon per person" counts.
- Every person key is recomputed from the canonical spelling, and so is every
  coupon's holder key (a person key itself), whoever holds it, deleted
  subscribers included. Where the person already holds a coupon for that
  offer under the new key (the spellings this migration unites already won
  two), the second keeps its old key: the first keeps the person from a third.
- Addresses the site refuses today (`localhost`, IP literals, quoted local
  parts, over-long ones) are left as they are.
- Unconfirmed email changes get the canonical spelling of their new address.

Logs name subscriber ids, never addresses. Reversing it changes nothing: a
canonical address is a valid address to the code before it.
"""

import logging

from django.db import migrations

from signup_site.campaign.addresses import AddressRefused, canonical_address, person_key

logger = logging.getLogger(__name__)


def canonicalise(apps, schema_editor):
    Subscriber = apps.get_model("campaign", "Subscriber")
    Coupon = apps.get_model("campaign", "Coupon")
    PendingEmailChange = apps.get_model("campaign", "PendingEmailChange")

    taken = set(Subscriber.objects.values_list("email", flat=True))
    refused, kept = [], []
    for subscriber in Subscriber.objects.order_by("id"):
        try:
            email = canonical_address(subscriber.email)
        except AddressRefused:
            refused.append(subscriber.pk)
            continue
        changed = []
        if email != subscriber.email:
            if email in taken:
                kept.append(subscriber.pk)
            else:
                taken.add(email)
                subscriber.email = email
                changed.append("email")
        key = person_key(email)
        if key != subscriber.person_key:
            subscriber.person_key = key
            changed.append("person_key")
        if changed:
            subscriber.save(update_fields=changed)

    for coupon in Coupon.objects.filter(holder_key__isnull=False).order_by("id"):
        try:
            key = person_key(coupon.holder_key)
        except AddressRefused:
            continue
        if key == coupon.holder_key:
            continue
        if not Coupon.objects.filter(topic_id=coupon.topic_id, holder_key=key).exists():
            coupon.holder_key = key
            coupon.save(update_fields=["holder_key"])

    for change in PendingEmailChange.objects.filter(confirmed_at__isnull=True):
        try:
            new_email = canonical_address(change.new_email)
        except AddressRefused:
            continue
        if new_email != change.new_email:
            change.new_email = new_email
            change.save(update_fields=["new_email"])

    if refused:
        logger.warning("subscribers whose address is refused today, left as they were: %s", refused)
    if kept:
        logger.warning("subscribers whose canonical address another holds, kept apart: %s", kept)


class Migration(migrations.Migration):
    dependencies = [("campaign", "0005_change_failure")]
    operations = [migrations.RunPython(canonicalise, migrations.RunPython.noop)]
