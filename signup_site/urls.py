from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from signup_site.ops import views as ops
from signup_site.web import embed

urlpatterns = [
    # Development pages answer 404 unless DJANGO_DEBUG is on (checked per request).
    path("dev/", include("signup_site.web.dev_urls")),
    # The Campaign emulators answer 404 unless CAMPAIGN_EMULATOR and DEBUG are on.
    path("emulator/", include("signup_site.emulator.urls")),
    path("", include("signup_site.web.urls")),
    path("metrics", ops.metrics, name="ops-metrics"),
    # Staff pages beside the admin, under its prefix: the admin's own login guards them.
    path(f"{settings.ADMIN_URL}dashboard/", ops.dashboard, name="ops-dashboard"),
    path("", include("signup_site.brand.urls")),
    # Last, so that a DJANGO_ADMIN_URL such as signup/ cannot hide a public page
    # behind the admin's catch-all. Read when the URL configuration loads: this
    # is the site's own configuration, not library code. The embed page is an
    # admin page of the web app's, staff only like every admin page.
    path(f"{settings.ADMIN_URL}embed/", admin.site.admin_view(embed.embed_page), name="admin-embed"),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler400 = "signup_site.web.errors.bad_request"
handler404 = "signup_site.web.errors.not_found"
handler500 = "signup_site.web.errors.server_error"
