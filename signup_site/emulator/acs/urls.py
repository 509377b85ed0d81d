"""The ACS emulator, mounted at /emulator/acs/: point ACS_API_URL at
`<site>/emulator/acs` and ACS_IMS_URL at `<site>/emulator`. Its controls are
at `_control/<name>` (see ../control.py)."""

from django.urls import path

from . import control, views

CAMPAIGN = "<str:org>/campaign/"
PROFILES = CAMPAIGN + "profileAndServices/profile"
SERVICES = CAMPAIGN + "profileAndServices/service"

urlpatterns = [
    path("_control/<str:name>", control.control, name="emulator-acs-control"),
    path(PROFILES, views.profiles, name="emulator-acs-profiles"),
    path(PROFILES + "/byEmail", views.profiles_by_email, name="emulator-acs-profiles-by-email"),
    path(PROFILES + "/<str:pkey>", views.profile, name="emulator-acs-profile"),
    path(
        PROFILES + "/<str:pkey>/subscriptions/",
        views.profile_subscriptions,
        name="emulator-acs-profile-subscriptions",
    ),
    path(SERVICES, views.services, name="emulator-acs-services"),
    path(SERVICES + "/byText", views.services_by_text, name="emulator-acs-services-by-text"),
    path(SERVICES + "/<str:pkey>", views.service, name="emulator-acs-service"),
    path(
        SERVICES + "/<str:pkey>/subscriptions/",
        views.service_subscriptions,
        name="emulator-acs-service-subscriptions",
    ),
    path(
        SERVICES + "/<str:service>/subscriptions/<str:pkey>",
        views.subscription,
        name="emulator-acs-subscription",
    ),
    path(CAMPAIGN + "<str:api>/<str:event_id>", views.event, name="emulator-acs-event"),
    path(
        CAMPAIGN + "<str:api>/<str:event_id>/<str:pkey>", views.event_status, name="emulator-acs-event-status"
    ),
]
