from django.urls import include, path

urlpatterns = [
    path("acs/", include("signup_site.emulator.acs.urls")),
    path("v8/", include("signup_site.emulator.v8.urls")),
]
