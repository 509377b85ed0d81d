"""Development-only pages, mounted under /dev/ when DJANGO_DEBUG is on."""

from django.urls import path

from . import mailbox

urlpatterns = [
    path("mailbox/", mailbox.mailbox_list, name="dev-mailbox"),
    path("mailbox/<str:email_id>/", mailbox.mailbox_detail, name="dev-mailbox-email"),
]
