"""The OpenAPI 3.1 document of `POST /api/signup`, written by hand as data.

Served at `/api/openapi.json`. The tests validate it with a real validator
(openapi-spec-validator) and fuzz the running endpoint against it
(schemathesis): every answer the endpoint gives must be one it describes.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from signup_site.campaign.signups import signup_topics
from signup_site.content.consent import DEFAULT_VERSION as CONSENT_VERSION

from .api import DEFAULT_RETRY_AFTER_SECONDS, MAX_BODY_BYTES

REF = "#/components/schemas/"


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF + schema}}}


def _html(description: str) -> dict[str, Any]:
    return {"text/html": {"schema": {"type": "string", "description": description}}}


def _topic_schema(slugs: list[str], *, form: bool) -> dict[str, Any]:
    """A topic: its slug, or its id (in a form, the id's digits)."""
    by_id = {"type": "string", "pattern": "^[0-9]{1,18}$"} if form else {"type": "integer", "minimum": 1}
    by_slug = {"type": "string", "enum": slugs} if slugs else {"type": "string"}
    return {"anyOf": [by_slug, by_id], "description": "A topic's slug (e.g. `newsletter`) or id."}


def _signup_schema(languages: list[str], slugs: list[str], *, form: bool) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["email", "topics"],
        "properties": {
            "email": {
                "type": "string",
                "format": "email",
                "maxLength": 254,
                "description": "The address to sign up; checked as the sign-up page checks it "
                "(no IP literals, quoted parts or special-use domains).",
                "examples": ["jane@example.com"],
            },
            "first_name": {"type": "string", "maxLength": 30},
            "last_name": {"type": "string", "maxLength": 50},
            "language": {
                "type": "string",
                "enum": languages,
                "description": "The language of the emails. Default: the language of the request "
                "(`lang`, then `Accept-Language`).",
            },
            "topics": {
                "type": "array",
                "minItems": 1,
                "items": _topic_schema(slugs, form=form),
                "description": "The topics ticked: at least one of those the sign-up page offers "
                "(their slugs are listed as they are when the document is served).",
            },
            "altcha": {
                "type": "string",
                "description": "The ALTCHA widget's payload: the proof of work a browser solved. "
                "Without a valid one, a client may be limited sooner (429).",
            },
        },
        "description": "Other fields are ignored, so an HTML form may carry its own.",
    }


def document(site_url: str, topic_slugs: list[str]) -> dict[str, Any]:
    """The document, its server the site's own absolute URL, with the slugs
    of the topics the sign-up page offers now."""
    languages = [code for code, _name in settings.LANGUAGES]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sign-up API",
            "version": "1.0.0",
            "summary": "Sign up for the brand's emails from another site: JSON or a plain HTML form.",
            "description": (
                "One endpoint, the sign-up page's twin: the same fields, checks and messages, the same "
                "consent evidence and the same confirmation email (double opt-in). It answers the same "
                "whether or not the address is already known. Cross-origin requests are allowed from "
                "the origins in the site's `SIGNUP_API_ALLOWED_ORIGINS` only. No cookie, session or "
                "CSRF token is needed."
            ),
        },
        "servers": [{"url": site_url}],
        "paths": {
            "/api/signup": {
                "post": {
                    "operationId": "signup",
                    "summary": "Start a sign-up: store it and email a link to confirm it",
                    "parameters": [
                        {
                            "name": "lang",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": f"The language of the answer and of the consent wording "
                            f"recorded: one of {', '.join(languages)}; other values are ignored.",
                        },
                        {
                            "name": "Accept-Language",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string"},
                            "description": "The language of the answer, when `lang` names none.",
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "description": f"JSON, or form-encoded as an HTML form posts it (`topics` "
                        f"repeated, once per topic). At most {MAX_BODY_BYTES} bytes.",
                        "content": {
                            "application/json": {"schema": {"$ref": REF + "SignupJson"}},
                            "application/x-www-form-urlencoded": {
                                "schema": {"$ref": REF + "SignupForm"},
                                "encoding": {"topics": {"style": "form", "explode": True}},
                            },
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "The sign-up is held until confirmed; an email with a link to "
                            "confirm it is on its way. The same for every address, known or not.",
                            "content": _json("Accepted"),
                        },
                        "303": {
                            "description": "A form-encoded request whose `Accept` prefers text/html (a "
                            "browser's form post): as 202, then the site's 'Check your email' page.",
                            "headers": {
                                "Location": {"schema": {"type": "string"}, "description": "That page."}
                            },
                        },
                        "400": {
                            "description": "The fields do not make a sign-up: what is wrong with each, "
                            "in the request's language. A browser's form post gets the sign-up page "
                            "showing the errors instead.",
                            "content": {
                                **_json("Invalid"),
                                **_html("The sign-up form with the errors, ready to send again."),
                            },
                        },
                        "405": {
                            "description": "Not a POST.",
                            "headers": {"Allow": {"schema": {"type": "string"}}},
                            "content": _json("Problem"),
                        },
                        "413": {
                            "description": f"Over {MAX_BODY_BYTES} bytes, or too many fields.",
                            "content": _json("Problem"),
                        },
                        "415": {
                            "description": "Neither application/json nor application/x-www-form-urlencoded.",
                            "headers": {"Accept-Post": {"schema": {"type": "string"}}},
                            "content": _json("Problem"),
                        },
                        "429": {
                            "description": "Too many sign-ups from this client, network or mailbox "
                            "lately: wait `Retry-After` seconds. A browser's form post gets a page "
                            "saying so.",
                            "headers": {
                                "Retry-After": {
                                    "required": True,
                                    "schema": {"type": "integer", "minimum": 0},
                                    "description": "Seconds to wait.",
                                }
                            },
                            "content": {
                                **_json("RateLimited"),
                                **_html("A page saying when to try again."),
                            },
                        },
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "SignupJson": _signup_schema(languages, topic_slugs, form=False),
                "SignupForm": _signup_schema(languages, topic_slugs, form=True),
                "Accepted": {
                    "type": "object",
                    "required": ["status", "message", "consent"],
                    "properties": {
                        "status": {"const": "accepted"},
                        "message": {"type": "string", "description": "What to tell the person."},
                        "consent": {
                            "type": "object",
                            "description": "The consent wording recorded with the sign-up: the "
                            "statement in `language`, as the sign-up page and the embed snippet show it.",
                            "required": ["version", "language", "sha256", "text"],
                            "properties": {
                                "version": {"type": "string", "examples": [CONSENT_VERSION]},
                                "language": {"type": "string", "enum": languages},
                                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                                "text": {"type": "string"},
                            },
                        },
                    },
                },
                "Invalid": {
                    "type": "object",
                    "required": ["error", "message", "errors"],
                    "properties": {
                        "error": {"const": "invalid"},
                        "message": {"type": "string"},
                        "errors": {
                            "type": "object",
                            "description": "Per field (`__all__`: the body as a whole), its errors.",
                            "additionalProperties": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["message", "code"],
                                    "properties": {"message": {"type": "string"}, "code": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"enum": ["method_not_allowed", "too_large", "unsupported_media_type"]},
                        "message": {"type": "string"},
                    },
                },
                "RateLimited": {
                    "type": "object",
                    "required": ["error", "message", "retry_after"],
                    "properties": {
                        "error": {"const": "rate_limited"},
                        "message": {"type": "string"},
                        "retry_after": {
                            "type": "integer",
                            "minimum": 0,
                            "examples": [DEFAULT_RETRY_AFTER_SECONDS],
                        },
                    },
                },
            }
        },
    }


@require_GET
def openapi_json(request: HttpRequest) -> JsonResponse:
    return JsonResponse(document(settings.SITE_URL, [topic.slug for topic in signup_topics()]))
