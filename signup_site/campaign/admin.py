"""The marketers' and operators' admin: topics and coupon pools, opt-outs
with their reasons, and whether everything reached Campaign. People and their
consent evidence are in `admin_people`."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import coupons, outbox
from .admin_people import ReadOnlyAdmin
from .models import (
    Change,
    Coupon,
    InboundRequest,
    LocalMessage,
    LocalProfile,
    LocalService,
    LocalSubscription,
    OptOut,
    PendingSignup,
    PrivacyRequest,
    Topic,
    TopicTranslation,
)


class TopicTranslationInline(admin.TabularInline):
    model = TopicTranslation
    extra = 1


class CouponImportForm(forms.Form):
    csv_file = forms.FileField(
        label=_("CSV file"), help_text=_("One code per line, in the first column; a header row is skipped.")
    )


def warn_of_low_pools(request: HttpRequest) -> None:
    """A banner per offer whose imported pool is below COUPON_LOW_THRESHOLD."""
    for level in coupons.pools_running_low(settings.COUPON_LOW_THRESHOLD):
        text = ngettext(
            "The coupon pool of %(offer)s has %(count)d code left: import more before it runs out.",
            "The coupon pool of %(offer)s has %(count)d codes left: import more before it runs out.",
            level.free,
        )
        messages.warning(request, text % {"offer": level.topic.label, "count": level.free})


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "service_name",
        "order",
        "active",
        "show_on_signup",
        "is_special_offer",
        "free_coupons",
    ]
    list_editable = ["order", "active", "show_on_signup"]
    prepopulated_fields = {"slug": ["label"]}
    readonly_fields = ["free_coupons"]
    inlines = [TopicTranslationInline]

    @admin.display(description=_("free pool coupons"))
    def free_coupons(self, topic: Topic) -> int | str:
        if not topic.is_special_offer or topic.coupon_source != Topic.CouponSource.POOL:
            return "-"
        free = topic.coupons.filter(holder_key__isnull=True).count()
        if free < settings.COUPON_LOW_THRESHOLD:
            return _("%(count)d (low)") % {"count": free}
        return free

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            warn_of_low_pools(request)
        return super().changelist_view(request, extra_context)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "GET":
            warn_of_low_pools(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:topic_id>/import-coupons/",
                self.admin_site.admin_view(self.import_coupons),
                name="campaign_topic_import_coupons",
            )
        ]
        return own + super().get_urls()

    def import_coupons(self, request: HttpRequest, topic_id: int) -> HttpResponse:
        topic = get_object_or_404(Topic, pk=topic_id)
        if not self.has_change_permission(request, topic):
            return HttpResponseRedirect(reverse("admin:index"))
        form = CouponImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                added, skipped = coupons.import_pool(topic, form.cleaned_data["csv_file"].read())
            except UnicodeDecodeError:
                form.add_error("csv_file", _("The file is not UTF-8 text."))
            else:
                added_text = ngettext("%(count)d code added.", "%(count)d codes added.", added)
                skipped_text = ngettext(
                    "%(count)d skipped (already known).", "%(count)d skipped (already known).", skipped
                )
                self.message_user(
                    request,
                    f"{added_text % {'count': added}} {skipped_text % {'count': skipped}}",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:campaign_topic_change", args=[topic.pk]))
        context = {**self.admin_site.each_context(request), "form": form, "topic": topic, "opts": Topic._meta}
        return render(request, "admin/campaign/import_coupons.html", context)


@admin.register(PendingSignup)
class PendingSignupAdmin(ReadOnlyAdmin):
    list_display = ["id", "subscriber", "language", "created_at", "confirmed_at"]
    list_filter = ["confirmed_at"]
    search_fields = ["subscriber__email"]


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "topic", "subscriber", "issued_at"]
    list_filter = ["topic", ("holder_key", admin.EmptyFieldListFilter)]
    search_fields = ["code", "subscriber__email"]
    readonly_fields = ["holder_key", "subscriber", "issued_at", "created_at"]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method == "GET":
            warn_of_low_pools(request)
        return super().changelist_view(request, extra_context)


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "subscriber",
        "attempts",
        "next_attempt_at",
        "failure",
        "short_error",
        "created_at",
    ]
    list_filter = ["status", "failure", "kind"]
    actions = ["retry"]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        waiting = Change.objects.filter(status__in=Change.UNFINISHED, failure__in=Change.OPERATOR_FAILURES)
        if waiting.exists():
            self.message_user(
                request,
                _(
                    "Campaign refused the site's credentials, or a setting is wrong: deliveries to "
                    "Campaign are held. See the last error of the changes marked so, fix the "
                    "configuration, and check it with: manage.py campaign check"
                ),
                messages.ERROR,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("last error"))
    def short_error(self, change: Change) -> str:
        return change.last_error[:80]

    @admin.action(description=_("Retry the selected parked changes"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Change]) -> None:
        count = retry_parked(list(queryset))
        message = ngettext("%(count)d change queued again.", "%(count)d changes queued again.", count)
        self.message_user(request, message % {"count": count})

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The retry action needs change permission; the form stays read-only.
        return obj is None and request.user.has_perm("campaign.change_change")


def retry_parked(changes: list[Change]) -> int:
    """Send parked changes round again (the retry action): due now, and a
    worker woken for them."""
    ids = [c.pk for c in changes if c.status == Change.Status.PARKED]
    updated = Change.objects.filter(id__in=ids).update(
        status=Change.Status.PENDING, next_attempt_at=timezone.now(), claimed_at=None
    )
    with transaction.atomic():
        outbox.wake_worker()
    return updated


@admin.register(InboundRequest)
class InboundRequestAdmin(ReadOnlyAdmin):
    """Sign-ups and link requests the worker has not acted on yet: a row
    here for long, with an error, is a failure to look at. The address and
    what was submitted are not shown: most rows are gone within seconds."""

    list_display = ["id", "kind", "status", "attempts", "next_attempt_at", "short_error", "created_at"]
    list_filter = ["kind", "status"]
    fields = ["kind", "status", "attempts", "next_attempt_at", "claimed_at", "created_at", "last_error"]

    @admin.display(description=_("last error"))
    def short_error(self, taken: InboundRequest) -> str:
        return taken.last_error[:80]


@admin.register(OptOut)
class OptOutAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "subscriber",
        "scope",
        "via",
        "reason",
        "reason_text",
        "ended_at",
        "ended_by",
    ]
    list_filter = ["reason", "via", "topic", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["subscriber__email", "reason_text"]
    change_list_template = "admin/campaign/optout/change_list.html"

    @admin.display(description=_("scope"))
    def scope(self, optout: OptOut) -> str:
        return optout.topic.label if optout.topic else str(_("All email"))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            queryset = response.context_data["cl"].queryset
            labels = dict(OptOut.Reason.choices)
            response.context_data["reason_counts"] = [
                (labels.get(row["reason"], _("No reason given")), row["n"])
                for row in queryset.values("reason").annotate(n=Count("id")).order_by("-n")
            ]
            response.context_data["topic_counts"] = [
                (row["topic__label"] or _("All email"), row["n"])
                for row in queryset.values("topic__label").annotate(n=Count("id")).order_by("-n")
            ]
            response.context_data["suppressed"] = OptOut.objects.filter(
                topic__isnull=True, ended_at__isnull=True
            ).count()
        return response


@admin.register(LocalProfile)
class LocalProfileAdmin(admin.ModelAdmin):
    list_display = ["pkey", "email", "first_name", "last_name", "preferred_language", "black_list_email"]
    search_fields = ["email"]


@admin.register(LocalService)
class LocalServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "label", "message_type"]


@admin.register(LocalSubscription)
class LocalSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["profile", "service", "created"]


@admin.register(LocalMessage)
class LocalMessageAdmin(ReadOnlyAdmin):
    list_display = ["created", "name", "email", "language"]


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(ReadOnlyAdmin):
    """Each erasure's way to Campaign; the address is shown only until the
    person has been told it is done (then it is gone)."""

    list_display = ["created_at", "status", "campaign_status", "regulation", "backend", "confirmed_at"]
    list_filter = ["status", "regulation"]
    readonly_fields = [
        "public_id",
        "status",
        "campaign_status",
        "campaign_reference",
        "regulation",
        "backend",
        "email",
        "address_hash",
        "created_at",
        "sent_at",
        "checked_at",
        "erased_at",
        "confirmed_at",
    ]
    exclude = ["subscriber"]


# Pauses and frequency choices: their own module, registered on import.
from . import admin_optdown  # noqa: E402, F401
