"""The emulated Adobe Campaign v8 instance, mounted at /emulator/v8/ (so a
client's V8_URL is `<site>/emulator/v8`); its controls at `_control/<name>`."""

from django.urls import path

from . import control, views

urlpatterns = [
    path("nl/jsp/soaprouter.jsp", views.router, name="emulator-v8-router"),
    path("_control/<str:name>", control.control, name="emulator-v8-control"),
]
