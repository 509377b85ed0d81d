"""The admin's people: subscribers listed by masked address, found by their
canonical address, and each person's page with everything the site holds
about them: consent evidence, changes on their way to Campaign and whether
they arrived, opt-outs and coupons. Consent evidence exports as CSV.

The full address is shown only on the person's page, and only to staff with
the `campaign.view_subscriber_email` permission; exporting evidence (which
carries the address) needs it too.
"""

from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .addresses import AddressRefused, canonical_address, mask_address
from .evidence import csv_lines, evidence_rows, records_between
from .models import Change, ConsentRecord, Coupon, OptOut, Subscriber

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldGroups

SEE_EMAIL = "campaign.view_subscriber_email"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence and logs: visible, never edited or deleted by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ConsentInline(ReadOnlyInline):
    model = ConsentRecord
    verbose_name_plural = _("consent evidence")
    fields = readonly_fields = (
        "created_at",
        "kind",
        "topics",
        "wording_version",
        "language",
        "ip_address",
        "source",
    )


class ChangeInline(ReadOnlyInline):
    model = Change
    verbose_name_plural = _("changes for Campaign, and their delivery")
    fields = readonly_fields = (
        "id",
        "kind",
        "status",
        "attempts",
        "failure",
        "created_at",
        "delivered_at",
        "short_error",
    )
    ordering = ["-id"]

    @admin.display(description=_("last error"))
    def short_error(self, change: Change) -> str:
        return change.last_error[:80]


class OptOutInline(ReadOnlyInline):
    model = OptOut
    fk_name = "subscriber"
    fields = readonly_fields = (
        "created_at",
        "scope",
        "via",
        "reason",
        "reason_text",
        "ended_at",
        "ended_by",
        "delivery",
    )

    @admin.display(description=_("scope"))
    def scope(self, optout: OptOut) -> str:
        return optout.topic.label if optout.topic else str(_("All email"))

    @admin.display(description=_("reached Campaign"))
    def delivery(self, optout: OptOut) -> str:
        return optout.change.get_status_display() if optout.change else "-"


class CouponInline(ReadOnlyInline):
    model = Coupon
    fields = readonly_fields = ("topic", "code", "issued_at")


def export_evidence(records: QuerySet[ConsentRecord], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(evidence_rows(records)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def may_export(request: HttpRequest) -> bool:
    return request.user.has_perms(["campaign.view_consentrecord", SEE_EMAIL])


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["masked_email", "status", "language", "created_at", "confirmed_at"]
    list_filter = ["status", "language", "email_frequency"]
    # The search box is ours (get_search_results); this only makes Django show it.
    search_fields = ["email"]
    search_help_text = _("An address or its beginning, in any spelling: jane@example.com, jane@")
    inlines = [ConsentInline, ChangeInline, OptOutInline, CouponInline]
    actions = ["export_consent"]
    readonly_fields = [
        "email",
        "masked_email",
        "masked_person_key",
        "public_id",
        "campaign_pkey",
        "email_frequency",  # chosen by the person, carried to Campaign by the outbox
        "created_at",
        "confirmed_at",
        "evidence_export",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # People arrive through the sign-up form, which spells their address
        # canonically and records their consent; never typed in here.
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> "_FieldGroups":
        address = "email" if request.user.has_perm(SEE_EMAIL) else "masked_email"
        fields: list[str | list[str] | tuple[str, ...]] = [address, "first_name", "last_name", "language"]
        fields += ["email_frequency", "status", "masked_person_key", "public_id", "campaign_pkey"]
        fields += ["created_at", "confirmed_at"]
        return [*fields, "evidence_export"] if may_export(request) else fields

    @admin.display(description=_("email"), ordering="email")
    def masked_email(self, subscriber: Subscriber) -> str:
        return mask_address(subscriber.email)

    @admin.display(description=_("person key"))
    def masked_person_key(self, subscriber: Subscriber) -> str:
        return mask_address(subscriber.person_key)

    @admin.display(description=_("consent evidence"))
    def evidence_export(self, subscriber: Subscriber) -> str:
        url = reverse("admin:campaign_consentrecord_export") + f"?subscriber={subscriber.public_id}"
        return format_html('<a href="{}">{}</a>', url, _("Download as CSV"))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Subscriber], search_term: str
    ) -> tuple[QuerySet[Subscriber], bool]:
        """Addresses are stored in their canonical spelling, so the term is
        spelled so too (`Jane@Café.example` finds `jane@xn--caf-dma.example`);
        a beginning that is no address yet (`jane@`) is matched as typed,
        lower-cased. The whole address matches as a prefix of itself."""
        term = search_term.strip()
        if not term:
            return queryset, False
        try:
            prefix = canonical_address(term)
        except AddressRefused:
            prefix = term.lower()
        return queryset.filter(email__startswith=prefix), False

    @admin.action(description=_("Export their consent evidence (CSV)"))
    def export_consent(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> HttpResponseBase:
        if not may_export(request):
            raise PermissionDenied
        records = ConsentRecord.objects.filter(subscriber__in=queryset)
        return export_evidence(records, f"consent-{timezone.localdate():%Y-%m-%d}.csv")


class EvidenceRangeForm(forms.Form):
    first = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        first, last = cleaned.get("first"), cleaned.get("last")
        if isinstance(first, date) and isinstance(last, date) and last < first:
            self.add_error("last", _("The end comes before the start."))
        return cleaned


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "subscriber", "topics", "wording_version", "language", "ip_address"]
    list_filter = ["kind", "wording_version", "language"]
    search_fields = ["subscriber__email"]
    actions = ["export_selected"]
    change_list_template = "admin/campaign/consentrecord/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="campaign_consentrecord_export",
            )
        ]
        return own + super().get_urls()

    @admin.action(description=_("Export the selected records (CSV)"))
    def export_selected(self, request: HttpRequest, queryset: QuerySet[ConsentRecord]) -> HttpResponseBase:
        if not may_export(request):
            raise PermissionDenied
        return export_evidence(queryset, f"consent-{timezone.localdate():%Y-%m-%d}.csv")

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        """One person's evidence (`?subscriber=<public id>`), or a date range's."""
        if not may_export(request):
            raise PermissionDenied
        if "subscriber" in request.GET:
            subscriber = Subscriber.objects.by_public_id(request.GET["subscriber"])
            if subscriber is None:
                return HttpResponse(_("No such subscriber."), status=404, content_type="text/plain")
            records = ConsentRecord.objects.filter(subscriber=subscriber)
            return export_evidence(records, f"consent-{subscriber.public_id}.csv")
        form = EvidenceRangeForm(request.GET if "first" in request.GET else None)
        if form.is_valid():
            first, last = form.cleaned_data["first"], form.cleaned_data["last"]
            return export_evidence(records_between(first, last), f"consent-{first}-to-{last}.csv")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": ConsentRecord._meta,
            "title": _("Export consent evidence"),
        }
        return render(request, "admin/campaign/consentrecord/export.html", context)
