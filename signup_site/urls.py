from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    # Development pages answer 404 unless DJANGO_DEBUG is on (checked per request).
    path("dev/", include("signup_site.web.dev_urls")),
    # The Campaign emulators answer 404 unless CAMPAIGN_EMULATOR and DEBUG are on.
    path("emulator/", include("signup_site.emulator.urls")),
    path("", include("signup_site.web.urls")),
]

handler400 = "signup_site.web.errors.bad_request"
handler404 = "signup_site.web.errors.not_found"
handler500 = "signup_site.web.errors.server_error"
