"""The brand in the admin: one row, its logo uploaded into the database."""

import hashlib
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .brand import current_brand
from .images import MAX_LOGO_BYTES, NotAnImage, identify
from .models import Brand


class BrandForm(forms.ModelForm):
    logo_file = forms.FileField(
        label=_("logo"),
        required=False,
        help_text=_(
            "A PNG or JPEG image, at most %(size)d KB. SVG is refused: most mail clients do not show it."
        )
        % {"size": MAX_LOGO_BYTES // 1024},
    )
    remove_logo = forms.BooleanField(label=_("remove the logo"), required=False)

    class Meta:
        model = Brand
        fields = [
            "name",
            "logo_file",
            "remove_logo",
            "primary_colour",
            "sender_name",
            "sender_email",
            "reply_to",
            "postal_address",
            "privacy_url",
            "terms_url",
            "support_contact",
            "site_domain",
        ]
        widgets = {"primary_colour": forms.TextInput(attrs={"type": "color"})}

    def clean_logo_file(self) -> Any:
        upload = self.cleaned_data.get("logo_file")
        if not upload:
            return None
        if upload.size > MAX_LOGO_BYTES:
            raise forms.ValidationError(
                _("The logo is larger than %(size)d KB."), params={"size": MAX_LOGO_BYTES // 1024}
            )
        data = upload.read()
        try:
            image = identify(data)
        except NotAnImage:
            raise forms.ValidationError(
                _("The logo must be a PNG or JPEG image (SVG is not accepted).")
            ) from None
        return data, image


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    form = BrandForm
    readonly_fields = ["logo_preview", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "logo_preview", "logo_file", "remove_logo", "primary_colour"]}),
        (
            _("Emails"),
            {"fields": ["sender_name", "sender_email", "reply_to", "postal_address", "site_domain"]},
        ),
        (_("Links on every page and email"), {"fields": ["privacy_url", "terms_url", "support_contact"]}),
        (None, {"fields": ["updated_at"]}),
    ]

    @admin.display(description=_("current logo"))
    def logo_preview(self, brand: Brand) -> str:
        info = current_brand()
        if not info.logo_path:
            return str(_("None"))
        return format_html('<img src="{}" alt="" style="max-height: 64px">', info.logo_path)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """There is one brand: the list is its form (created from the environment on first boot)."""
        current_brand()
        return HttpResponseRedirect(reverse("admin:brand_brand_change", args=[Brand.SINGLETON_PK]))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "GET":
            brand = Brand.objects.filter(pk=Brand.SINGLETON_PK).first()
            if brand and not (brand.postal_address and brand.privacy_url):
                self.message_user(
                    request,
                    _("Emails go out without a postal address or privacy link until you fill them in."),
                    messages.WARNING,
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Brand, form: Any, change: bool) -> None:
        upload = form.cleaned_data.get("logo_file")
        if upload:
            data, image = upload
            obj.logo = data
            obj.logo_content_type = image.content_type
            obj.logo_sha256 = hashlib.sha256(data).hexdigest()
            obj.logo_width, obj.logo_height = image.width, image.height
        elif form.cleaned_data.get("remove_logo"):
            obj.logo, obj.logo_content_type, obj.logo_sha256 = b"", "", ""
            obj.logo_width = obj.logo_height = 0
        super().save_model(request, obj, form, change)
