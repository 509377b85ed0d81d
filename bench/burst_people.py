"""`python -m bench.burst_people N FILE`, in the burst's site environment
(bench/test_burst.py): N people who signed up before the burst, through the
site's own code (the sign-up as the page takes it in, then the worker's
step that holds it), as a launch email's recipients would have. Their
confirmation emails count as sent before the burst: those changes are marked
delivered, so the drain measured is the burst's alone. Writes the N
confirmation paths (as the emailed links carry them) to FILE, as JSON.
"""

import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

BATCH = 500


def main(count: int, out: Path) -> None:
    import django

    django.setup()
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from signup_site.campaign import outbox, signups
    from signup_site.campaign.models import Change, PendingSignup, Topic
    from signup_site.content.consent import current_wording
    from signup_site.web.links import site_links

    wording = current_wording("en")
    evidence = signups.Evidence("127.0.0.1", "bench", "/signup/", "en", wording.version, wording.sha256)
    topics = tuple(signups.signup_topics()[:1]) or tuple(Topic.objects.all()[:1])
    # In batches, one commit each: the bench's setup, not what it measures.
    for first in range(0, count, BATCH):
        with transaction.atomic():
            for n in range(first, min(count, first + BATCH)):
                request = signups.SignupRequest(f"launch{n}@example.com", "", "", "en", topics)
                signups.start_signup(request, evidence, site_links)
    taking = True
    while taking:
        with transaction.atomic():
            taking = all(outbox.take_in_one() for _ in range(BATCH))
    Change.objects.filter(status__in=Change.UNFINISHED).update(status=Change.Status.DONE)
    DBTaskResult.objects.all().delete()  # their wake-ups: nothing is left to wake for
    paths = [urlsplit(site_links.confirm_url(signup)).path for signup in PendingSignup.objects.all()]
    out.write_text(json.dumps(paths))


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
