"""The marketers' admin for the consent wording and the email copy.

- Consent wording: each save publishes a new version; published versions
  are shown read-only, kept, and never deleted ("write a new version from
  this one" starts from a published text).
- Email copy: one per email and language, checked for broken placeholders
  on save; a preview with sample data (text and HTML), and "send me a test"
  to the staff user's own address.
"""

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from signup_site.campaign.errors import CampaignUnavailable
from signup_site.campaign.mail import RenderedEmail, render_email, send_site_email

from . import placeholders
from .consent import current_wording
from .models import ConsentWording, EmailCopy

# The preview's HTML is an email, framed by the admin's own page: inline
# styles as mail clients allow them, images from anywhere, nothing else.
EMAIL_PREVIEW_CSP: dict[str, list[str]] = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": ["https:", "data:"],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
}


@admin.register(ConsentWording)
class ConsentWordingAdmin(admin.ModelAdmin):
    list_display = ["version", "language", "is_current", "created_at", "created_by", "excerpt"]
    list_filter = ["language"]
    fields = ["language", "text"]
    readonly_fields = ["version", "created_at", "created_by"]

    @admin.display(description=_("shown now"), boolean=True)
    def is_current(self, wording: ConsentWording) -> bool:
        return current_wording(wording.language).version == wording.version

    @admin.display(description=_("wording"))
    def excerpt(self, wording: ConsentWording) -> str:
        return wording.text if len(wording.text) <= 80 else wording.text[:79] + "…"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["version", "language", "text", "created_at", "created_by"] if obj else ["language", "text"]

    # Published versions are evidence: viewable, never changed or deleted.
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A new version starts from the one it replaces: `?from=<id>`, or
        the current wording of `?language=` (the default language else)."""
        source_id = request.GET.get("from", "")
        source = ConsentWording.objects.filter(pk=source_id).first() if source_id.isdigit() else None
        if source is not None:
            return {"language": source.language, "text": source.text}
        language = request.GET.get("language") or settings.LANGUAGE_CODE
        current = current_wording(language)
        return {"language": current.language, "text": current.text}

    def save_model(self, request: HttpRequest, obj: ConsentWording, form: Any, change: bool) -> None:
        obj.created_by = request.user.get_username()
        obj.save()

    def response_add(self, request: HttpRequest, obj: ConsentWording, post_url_continue: Any = None) -> Any:
        self.message_user(
            request,
            gettext("Version %(version)s is published: the sign-up page in that language shows it now.")
            % {"version": obj.version},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:content_consentwording_changelist"))


def sample_context(message: str) -> dict[str, str]:
    """Made-up values for a preview or a test, for the placeholders this email has."""
    site = settings.SITE_URL.rstrip("/")
    samples = {
        "first_name": gettext("Alex"),
        "confirm_url": f"{site}/confirm/sample/",
        "preferences_url": f"{site}/preferences/sample/",
        "unsubscribe_url": f"{site}/unsubscribe/sample/",
        "coupon": "GIFT-7Q2M-XK4P",
        "offer_name": gettext("Email Special Offers"),
    }
    spec = placeholders.MESSAGES.get(message)
    names = spec.placeholders if spec else ()
    return {placeholders.PLACEHOLDERS[name][0]: samples[name] for name in names}


@admin.register(EmailCopy)
class EmailCopyAdmin(admin.ModelAdmin):
    list_display = ["message", "language", "subject", "updated_at", "updated_by"]
    list_filter = ["message", "language"]
    fields = ["message", "language", "subject", "preheader", "body"]

    def save_model(self, request: HttpRequest, obj: EmailCopy, form: Any, change: bool) -> None:
        obj.updated_by = request.user.get_username()
        obj.save()

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        context["placeholder_help"] = [
            (spec.label, [f"{{{{ {name} }}}}" for name in spec.placeholders], spec.required)
            for spec in placeholders.MESSAGES.values()
        ]
        context["placeholder_meaning"] = [
            (f"{{{{ {name} }}}}", meaning) for name, (_key, meaning) in placeholders.PLACEHOLDERS.items()
        ]
        return super().render_change_form(request, context, *args, **kwargs)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        own = [
            path("<int:copy_id>/preview/", view(self.preview), name="content_emailcopy_preview"),
            path(
                "<int:copy_id>/preview/html/", view(self.preview_html), name="content_emailcopy_preview_html"
            ),
            path("<int:copy_id>/send-test/", view(self.send_test), name="content_emailcopy_send_test"),
        ]
        return own + super().get_urls()

    def _rendered(self, request: HttpRequest, copy_id: int) -> tuple[EmailCopy, RenderedEmail]:
        copy = get_object_or_404(EmailCopy, pk=copy_id)
        if not self.has_view_permission(request, copy):
            raise PermissionDenied
        return copy, render_email(copy.message, copy.language, sample_context(copy.message), copy)

    def preview(self, request: HttpRequest, copy_id: int) -> HttpResponse:
        copy, rendered = self._rendered(request, copy_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": EmailCopy._meta,
            "original": copy,
            "title": gettext("Preview: %(copy)s") % {"copy": copy},
            "rendered": rendered,
            "preheader": copy.render(sample_context(copy.message)).preheader,
            "recipient": getattr(request.user, "email", ""),
        }
        return TemplateResponse(request, "admin/content/emailcopy/preview.html", context)

    @method_decorator(csp_override(EMAIL_PREVIEW_CSP))
    @method_decorator(xframe_options_sameorigin)
    def preview_html(self, request: HttpRequest, copy_id: int) -> HttpResponse:
        """The HTML part alone, for the preview page's sandboxed frame."""
        return HttpResponse(self._rendered(request, copy_id)[1].html)

    @method_decorator(require_POST)
    def send_test(self, request: HttpRequest, copy_id: int) -> HttpResponse:
        """The rendered email, subject marked [Test], to the staff user's own address."""
        return _send_test(request, *self._rendered(request, copy_id))


def _send_test(request: HttpRequest, copy: EmailCopy, rendered: RenderedEmail) -> HttpResponse:
    back = HttpResponseRedirect(reverse("admin:content_emailcopy_preview", args=[copy.pk]))
    recipient = getattr(request.user, "email", "")
    if not recipient:
        messages.error(
            request, gettext("Your user has no email address: add one under Users, then try again.")
        )
        return back
    test = RenderedEmail(f"[Test] {rendered.subject}", rendered.text, rendered.html)
    try:
        send_site_email(copy.message, recipient, copy.language, sample_context(copy.message), test)
    except CampaignUnavailable:
        messages.error(request, gettext("The mail server could not be reached. Try again in a moment."))
        return back
    messages.success(request, gettext("The test was sent to %(address)s.") % {"address": recipient})
    return back
