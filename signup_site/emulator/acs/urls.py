"""The ACS emulator, mounted at /emulator/acs/: point ACS_API_URL at
`<site>/emulator/acs` and ACS_IMS_URL at `<site>/emulator`. Its controls are
at `_control/<name>` (see ../control.py).

Each resource answers with and without a trailing slash: Adobe's pages write
`.../profileAndServices/profile` and POST to `.../subscriptions` while the
hrefs the API returns end `.../subscriptions/`, and Adobe's SDK
(aio-lib-campaign-standard, whose OpenAPI paths end in an empty `{FILTERS}`)
sends `.../profileAndServices/profile/`. The emulator's own links keep the
form Adobe's pages show (the named route). A path under `<org>/campaign/`
that names no resource is a 404; one outside it, an unknown organization's
included, is Adobe I/O's "Check your URI" 500 (gateway.py).
"""

from collections.abc import Callable

from django.http import HttpResponse
from django.urls import URLPattern, path, re_path

from . import control, extended, privacy, views

CAMPAIGN = "<str:org>/campaign/"
PROFILES = CAMPAIGN + "profileAndServices/profile"
SERVICES = CAMPAIGN + "profileAndServices/service"
EXT_PROFILES = CAMPAIGN + "profileAndServicesExt/profile"
HISTORY = CAMPAIGN + "profileAndServices/history/<str:pkey>"


def either_slash(route: str, view: Callable[..., HttpResponse], name: str) -> list[URLPattern]:
    """`route` (named: the emulator's hrefs are built from it), and the same
    with its trailing slash toggled."""
    toggled = route[:-1] if route.endswith("/") else route + "/"
    return [path(route, view, name=name), path(toggled, view)]


urlpatterns = [
    path("_control/<str:name>", control.control, name="emulator-acs-control"),
    *either_slash(PROFILES, views.profiles, "emulator-acs-profiles"),
    *either_slash(PROFILES + "/byEmail", views.profiles_by_email, "emulator-acs-profiles-by-email"),
    *either_slash(PROFILES + "/<str:pkey>", views.profile, "emulator-acs-profile"),
    *either_slash(
        PROFILES + "/<str:pkey>/subscriptions/",
        views.profile_subscriptions,
        "emulator-acs-profile-subscriptions",
    ),
    *either_slash(SERVICES, views.services, "emulator-acs-services"),
    *either_slash(SERVICES + "/byText", views.services_by_text, "emulator-acs-services-by-text"),
    *either_slash(SERVICES + "/<str:pkey>", views.service, "emulator-acs-service"),
    *either_slash(
        SERVICES + "/<str:pkey>/subscriptions/",
        views.service_subscriptions,
        "emulator-acs-service-subscriptions",
    ),
    *either_slash(
        SERVICES + "/<str:service>/subscriptions/<str:pkey>",
        views.subscription,
        "emulator-acs-subscription",
    ),
    # Before the events: "privacy/privacyTool" has their shape.
    *either_slash(CAMPAIGN + "privacy/privacyTool", privacy.privacy_tool, "emulator-acs-privacy-tool"),
    *either_slash(
        CAMPAIGN + "privacy/privacyTool/<str:pkey>", privacy.privacy_request, "emulator-acs-privacy-request"
    ),
    *either_slash(EXT_PROFILES, extended.ext_profiles, "emulator-acs-ext-profiles"),
    *either_slash(EXT_PROFILES + "/<str:pkey>", extended.ext_profile, "emulator-acs-ext-profile"),
    *either_slash(
        CAMPAIGN + "profileAndServices/resourceType/<str:name>",
        extended.resource_type,
        "emulator-acs-resource-type",
    ),
    *either_slash(
        CAMPAIGN + "profileAndServicesExt/resourceType/<str:name>",
        extended.ext_resource_type,
        "emulator-acs-ext-resource-type",
    ),
    *either_slash(HISTORY, extended.history, "emulator-acs-history"),
    *either_slash(HISTORY + "/events/", extended.history_events, "emulator-acs-history-events"),
    *either_slash(HISTORY + "/events/<str:event>", extended.history_event, "emulator-acs-history-event"),
    *either_slash(CAMPAIGN + "<str:api>/<str:event_id>", views.event, "emulator-acs-event"),
    *either_slash(
        CAMPAIGN + "<str:api>/<str:event_id>/<str:pkey>", views.event_status, "emulator-acs-event-status"
    ),
    path(CAMPAIGN, views.no_resource, name="emulator-acs-campaign"),
    path(CAMPAIGN + "<path:rest>", views.no_resource),
    # No organization at all: Adobe I/O routes nothing here.
    re_path(r"^(?!_control/)", views.no_resource, kwargs={"org": ""}),
]
