"""Development-only pages, mounted under /dev/ when DJANGO_DEBUG is on."""

from django.urls import path

from . import views

urlpatterns = [
    path("mailbox/", views.mailbox_list, name="dev-mailbox"),
    path("mailbox/<str:email_id>/", views.mailbox_detail, name="dev-mailbox-email"),
]
