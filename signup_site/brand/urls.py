from django.urls import re_path

from . import views

urlpatterns = [
    re_path(r"^brand/logo/(?P<sha>[0-9a-f]{16})\.(?P<extension>png|jpg)$", views.logo, name="brand-logo"),
    re_path(r"^brand/accent/(?P<colour>[0-9a-f]{6})\.css$", views.accent, name="brand-accent"),
]
