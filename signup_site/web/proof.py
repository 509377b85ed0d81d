"""ALTCHA proof of work: the site issues challenges and checks solutions.

The widget (npm `altcha`, served from static/altcha/) fetches a challenge
from `GET /challenge/`, solves it in a Web Worker and puts the solution in
the form's `altcha` field. A solution is good once: `redeem` records it as
spent in the cache (shared by every process) until its challenge expires,
so a replayed payload is refused. A form sent without one (no JavaScript)
is still taken, under the stricter "unproven" limits (web/limits.py).
"""

import hashlib
import time
from enum import StrEnum

import altcha
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

ALGORITHM = "PBKDF2/SHA-256"
# A payload is a few hundred bytes; anything far larger is not one.
MAX_PAYLOAD = 4096


class Proof(StrEnum):
    NONE = "none"  # no solution sent: no JavaScript, or a bot
    VERIFIED = "verified"
    INVALID = "invalid"  # forged, tampered with, or wrong
    EXPIRED = "expired"
    SPENT = "spent"  # already used once


# What a person reads when a solution is refused; a form error.
REFUSED = {
    Proof.INVALID: _("The check that you are not a robot failed. Please tick the box again and resend."),
    Proof.EXPIRED: _("The check that you are not a robot expired. Please tick the box again and resend."),
    Proof.SPENT: _(
        "That check that you are not a robot was already used. Please tick the box again and resend."
    ),
}


def new_challenge() -> altcha.Challenge:
    """A fresh challenge, signed with ALTCHA_HMAC_KEY, expiring in ALTCHA_EXPIRES_SECONDS."""
    return altcha.create_challenge(
        ALGORITHM,
        settings.ALTCHA_COST,
        expires_at=int(time.time()) + settings.ALTCHA_EXPIRES_SECONDS,
        hmac_secret=settings.ALTCHA_HMAC_KEY,
    )


@never_cache
@require_GET
def challenge(request: HttpRequest) -> JsonResponse:
    """A new challenge for the widget; never cached, one per fetch."""
    return JsonResponse(new_challenge().to_dict())


def redeem(payload: str) -> Proof:
    """Check a solution the widget sent and spend it: good once, until it expires."""
    if not payload:
        return Proof.NONE
    if len(payload) > MAX_PAYLOAD:
        return Proof.INVALID
    result = altcha.verify_solution(payload, settings.ALTCHA_HMAC_KEY)
    if result.expired:
        return Proof.EXPIRED
    if not result.verified:
        return Proof.INVALID
    parsed = altcha.Payload.from_base64(payload)
    expires_at = int(parsed.challenge.parameters.expires_at or 0)
    ttl = max(1, expires_at - int(time.time()) + 60)
    # The challenge's signature names it; `add` fails if it was spent before.
    spent = "altcha:spent:" + hashlib.sha256((parsed.challenge.signature or "").encode()).hexdigest()
    if not cache.add(spent, 1, timeout=ttl):
        return Proof.SPENT
    return Proof.VERIFIED


def widget_strings(request: HttpRequest) -> dict[str, dict[str, str]]:
    """A context processor: the widget's words in the page's language, from
    our own translations (templates/web/_proof.html hands them to it)."""
    return {
        "proof_strings": {
            "label": gettext("I am not a robot"),
            "verifying": gettext("Checking that you are not a robot…"),
            "verified": gettext("Checked: you are not a robot"),
            "waitAlert": gettext("Still checking, please wait…"),
            "verificationRequired": gettext("Please tick the box that says you are not a robot"),
            "error": gettext("The check failed. You can send the form anyway, or try again later."),
            "expired": gettext("The check expired. Tick the box again."),
            "loading": gettext("Loading…"),
            "reload": gettext("Reload"),
            "verify": gettext("Check"),
            "cancel": gettext("Cancel"),
            "footer": "",
        }
    }
