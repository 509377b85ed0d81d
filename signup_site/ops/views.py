"""The marketers' dashboard (staff only) and the operators' /metrics."""

import hmac
import ipaddress
from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

from signup_site.campaign.health import UNDELIVERED
from signup_site.campaign.models import Change, OptOut
from signup_site.web.proxies import client_ip

from . import figures
from .charts import Chart
from .metrics import PROCESS, OutboxCollector

PERIODS = [(7, gettext_lazy("7 days")), (30, gettext_lazy("30 days")), (90, gettext_lazy("90 days"))]
LONGEST_RANGE_DAYS = 366


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(label=gettext_lazy("Last"), choices=PERIODS, coerce=int, required=False)
    first = forms.DateField(
        label=gettext_lazy("or from"), required=False, widget=forms.DateInput({"type": "date"})
    )
    last = forms.DateField(label=gettext_lazy("to"), required=False, widget=forms.DateInput({"type": "date"}))

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        first, last = cleaned.get("first"), cleaned.get("last")
        if bool(first) != bool(last) and not self.errors:
            raise forms.ValidationError(_("Give both dates of the range, or neither."))
        if isinstance(first, date) and isinstance(last, date):
            if last < first:
                self.add_error("last", _("The end comes before the start."))
            elif (last - first).days >= LONGEST_RANGE_DAYS:
                self.add_error("last", _("A range is at most 366 days."))
        return cleaned

    def period(self) -> figures.Period:
        """The period asked for; the last 30 days when the form is empty or wrong."""
        if self.is_bound and self.is_valid():
            first, last = self.cleaned_data.get("first"), self.cleaned_data.get("last")
            if first and last:
                return figures.Period(first, last)
            if self.cleaned_data.get("days"):
                return figures.Period.last_days(self.cleaned_data["days"])
        return figures.Period.last_days(30)


def _summary(daily: figures.Daily, what: str, period: figures.Period) -> str:
    totals = daily.totals
    total = sum(totals)
    if not total:
        return _("No %(what)s from %(first)s to %(last)s.") % {
            "what": what,
            "first": period.first,
            "last": period.last,
        }
    peak = max(range(len(totals)), key=lambda n: totals[n])
    return _(
        "%(total)s %(what)s from %(first)s to %(last)s; the most on %(peak_day)s (%(peak)s). "
        "The figures are in the table after the chart."
    ) % {
        "total": f"{total:g}",
        "what": what,
        "first": period.first,
        "last": period.last,
        "peak_day": daily.days[peak],
        "peak": f"{totals[peak]:g}",
    }


def _charts(period: figures.Period) -> dict[str, Chart]:
    signups = figures.signups_per_day(period)
    by_reason = figures.optouts_per_day(period, "reason")
    by_topic = figures.optouts_per_day(period, "topic")
    coupons = figures.coupons_per_day(period)
    _latency_rows, latency = figures.delivery_latency(period)
    signups_total = figures.Daily(signups.days, signups.series[:1])
    return {
        "signups": Chart(
            "chart-signups",
            _("Sign-ups per day"),
            _summary(signups_total, _("sign-ups"), period),
            signups,
            stacked=False,
        ),
        "optouts_reason": Chart(
            "chart-optouts-reason",
            _("Opt-outs per day, by reason"),
            _summary(by_reason, _("opt-outs"), period),
            by_reason,
        ),
        "optouts_topic": Chart(
            "chart-optouts-topic",
            _("Opt-outs per day, by topic"),
            _summary(by_topic, _("opt-outs"), period),
            by_topic,
        ),
        "coupons": Chart(
            "chart-coupons",
            _("Coupons issued per day"),
            _summary(coupons, _("coupons issued"), period),
            coupons,
        ),
        "latency": Chart(
            "chart-latency",
            _("Delivery latency to Campaign per day (seconds)"),
            _(
                "The median and 95th percentile, per day, of the time from a change's creation to "
                "its delivery. The figures are in the table after the chart."
            ),
            latency,
            stacked=False,
        ),
    }


@never_cache
@staff_member_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Sign-ups, confirmations, opt-outs and coupons over a period, and the outbox now."""
    form = PeriodForm(request.GET or None)
    period = form.period()
    languages = dict(settings.LANGUAGES)
    latency_rows, _latency = figures.delivery_latency(period)
    context = {
        **admin.site.each_context(request),
        "title": _("Dashboard"),
        "form": form,
        "period": period,
        "charts": _charts(period),
        "overall": figures.confirmation_overall(period),
        "by_topic": figures.signup_breakdown(period, "topics__label", {None: _("No topic")}),
        "by_language": figures.signup_breakdown(
            period, "language", {k: str(v) for k, v in languages.items()}
        ),
        "coupons_total": sum(figures.coupons_per_day(period).totals),
        "backlog": figures.outbox_backlog(),
        "latency": latency_rows,
        "parked": Change.objects.filter(status=Change.Status.PARKED).count(),
        "optouts_waiting": OptOut.objects.filter(
            ended_at__isnull=True, change__status__in=UNDELIVERED
        ).count(),
    }
    return render(request, "admin/ops/dashboard.html", context)


def _authorised(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    # Compared in constant time, as bytes (compare_digest refuses non-ASCII str).
    if (
        token
        and sent.startswith("Bearer ")
        and hmac.compare_digest(sent.removeprefix("Bearer ").strip().encode(), token.encode())
    ):
        return True
    address = client_ip(request)
    if settings.METRICS_ALLOWED_NETWORKS and address:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(net) for net in settings.METRICS_ALLOWED_NETWORKS)
    return False


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format for a scraper with the token or from an allowed
    network; 403 for anyone else; 404 while neither is configured."""
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS:
        raise Http404
    if not _authorised(request):
        return HttpResponse(b"Not allowed.\n", status=403, content_type="text/plain; charset=utf-8")
    registry = CollectorRegistry(auto_describe=True)
    if settings.PROMETHEUS_MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(PROCESS)
    registry.register(OutboxCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
