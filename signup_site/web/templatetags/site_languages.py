"""`{{ code|self_name }}`: a language named in itself, as the switcher shows it."""

from django import template

from signup_site.campaign import languages

register = template.Library()


@register.filter
def self_name(code: str) -> str:
    return languages.self_name(code)
