"""The admin's "Embed the sign-up form" page: a copy-paste HTML form for the
brand's other sites, posting to `/api/signup`, and the same as a `curl` call.

Built from the live topics and SITE_URL, in the language chosen on the page:
the form shows the consent wording in that language, and its action names
the language (`?lang=`), so the wording recorded with each sign-up is the
wording the form showed, whatever the visitor's browser asks for.
"""

import json
import shlex

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from signup_site.campaign.signups import signup_topics
from signup_site.content.consent import current_wording

from .consent import sign_shown
from .forms import SignupForm, language_choices

# Where the ALTCHA widget's script is served from our static files (the
# proof-of-work challenge of the sign-up page).
# The widget build with its worker inline: a page of another site cannot
# start a worker from this site's address.
ALTCHA_WIDGET_SCRIPT = "altcha/main/altcha.min.js"


def snippet_language(request: HttpRequest) -> str:
    # Not `lang`: that one switches the admin's own language (web.middleware).
    chosen = request.GET.get("snippet_language", "")
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def static_root() -> str:
    return f"{settings.SITE_URL}/{settings.STATIC_URL.lstrip('/')}"


def snippet_html(language: str) -> str:
    """The HTML form to paste into another site's page, in `language`."""
    action = f"{settings.SITE_URL}{reverse('signup-api')}?lang={language}"
    with translation.override(language):
        topics = [(topic.slug, topic.display_label, topic.display_description) for topic in signup_topics()]
        wording = current_wording(language)
        return render_to_string(
            "web/embed_snippet.html",
            {
                "action": action,
                "form": SignupForm(),
                "topics": topics,
                "languages": language_choices(),
                "language": language,
                "consent_text": wording.text,
                "consent_shown": sign_shown(wording),
                "challenge_url": f"{settings.SITE_URL}{reverse('altcha-challenge')}",
                "altcha_script_url": f"{static_root()}{ALTCHA_WIDGET_SCRIPT}",
            },
        ).strip()


def curl_example(language: str) -> str:
    """The same sign-up as JSON, as a `curl` command."""
    slugs = [topic.slug for topic in signup_topics()[:1]] or ["newsletter"]
    body = {"email": "jane@example.com", "first_name": "Jane", "language": language, "topics": slugs}
    url = f"{settings.SITE_URL}{reverse('signup-api')}"
    return (
        f"curl -i -X POST {shlex.quote(url)} \\\n"
        f"  -H 'Content-Type: application/json' -H 'Accept-Language: {language}' \\\n"
        f"  --data {shlex.quote(json.dumps(body, ensure_ascii=False))}"
    )


def embed_page(request: HttpRequest) -> HttpResponse:
    """Staff only: mounted under the admin with `admin.site.admin_view`."""
    language = snippet_language(request)
    context = {
        **admin.site.each_context(request),
        "title": _("Embed the sign-up form"),
        "snippet": snippet_html(language),
        "curl": curl_example(language),
        "language": language,
        "languages": language_choices(),
        "openapi_url": f"{settings.SITE_URL}{reverse('signup-api-openapi')}",
        "altcha_script_url": static_root() + ALTCHA_WIDGET_SCRIPT,
        "allowed_origins": settings.CORS_ALLOWED_ORIGINS,
    }
    return render(request, "admin/web/embed.html", context)
