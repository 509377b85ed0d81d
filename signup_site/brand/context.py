"""`brand` in every template: the header, title and footer read it."""

from django.http import HttpRequest

from .brand import BrandInfo, current_brand


def brand(request: HttpRequest) -> dict[str, BrandInfo]:
    return {"brand": current_brand()}
