"""`/healthz`: one endpoint for the load balancer and the operator's monitor."""

from dataclasses import asdict

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from signup_site.campaign.health import coupon_pools_low, outbox_health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when healthy; 503 when the database is unreachable or an opt-out
    has waited longer than HEALTH_OPTOUT_MAX_AGE_HOURS to reach Campaign.

    `database` and `campaign` say which dependency is in trouble. Campaign
    down or misconfigured is "degraded" with a 200: the pages still work
    (changes wait in the outbox), so a load balancer must keep the site in;
    a monitor alerts on the body. `coupon_pools_low` lists the offers whose
    imported pool is below COUPON_LOW_THRESHOLD: worth an alert, not a 503
    (sign-ups still work; only the gift waits for more codes)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        health = outbox_health()
        pools_low = coupon_pools_low(settings.COUPON_LOW_THRESHOLD)
    except DatabaseError:
        return JsonResponse({"status": "fail", "database": "unreachable"}, status=503)
    status = "fail" if health.optouts_late else "degraded" if health.campaign != "ok" else "ok"
    body = {
        "status": status,
        "database": "ok",
        **asdict(health),
        "optouts_late": health.optouts_late,
        "coupon_pools_low": pools_low,
    }
    return JsonResponse(body, status=503 if health.optouts_late else 200)
