from django.urls import include, path

urlpatterns = [
    path("acs/", include("signup_site.emulator.acs.urls")),
    path("v8/", include("signup_site.emulator.v8.urls")),
    # Adobe IMS, shared by both: clients use <site>/emulator as their IMS URL.
    path("ims/", include("signup_site.emulator.ims.urls")),
]
