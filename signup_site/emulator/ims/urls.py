from django.urls import path

from . import views

urlpatterns = [
    path("token/v3", views.token, name="emulator-ims-token"),
    path("_control/<str:name>", views.control, name="emulator-ims-control"),
]
