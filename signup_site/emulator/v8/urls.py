"""The emulated Adobe Campaign v8 instance, mounted at /emulator/v8/ (so a
client's V8_URL is `<site>/emulator/v8`)."""

from django.urls import path

from . import views

urlpatterns = [
    path("nl/jsp/soaprouter.jsp", views.router, name="emulator-v8-router"),
    path("_control/<str:action>", views.control, name="emulator-v8-control"),
]
