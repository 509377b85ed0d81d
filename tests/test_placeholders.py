"""The email copy's placeholders, on their own: whatever a person types as
their name, it reaches the HTML part as text, never as markup or a link."""

import re

from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from signup_site.content import placeholders

BODY = (
    "Hi {{ first_name }}, see [this]({{ preferences_url }}).\n\n"
    "Or https://example.com/x\n\n[Go]({{ confirm_url }})"
)
VALUES = {"confirmUrl": "https://site.example/confirm/t/", "preferencesUrl": "https://site.example/p/"}


def markup(html: str) -> list[str]:
    return re.findall(r"<[^>]*>", html)


@given(st.text(max_size=40))
def test_a_first_name_is_only_ever_text(name: str) -> None:
    html = placeholders.render_html_body(BODY, {**VALUES, "firstName": name})
    assert markup(html) == markup(placeholders.render_html_body(BODY, {**VALUES, "firstName": "Ann"}))
    if name.strip():
        assert escape(name).strip() in html
    assert name.strip() in placeholders.render_plain_body(BODY, {**VALUES, "firstName": name})


@given(st.text(alphabet="{}% #abcdefghijklmnopqrstuvwxyz_", max_size=30))
def test_any_copy_is_either_refused_or_renders(text: str) -> None:
    if not placeholders.problems(text, "welcome", body=True):
        placeholders.render_html_body(text, {})
        rendered = placeholders.render_plain(text, {})
        assert "{{" not in rendered and "{%" not in rendered and "{#" not in rendered


def test_every_placeholder_a_message_has_is_accepted_and_filled() -> None:
    for message, spec in placeholders.MESSAGES.items():
        text = " ".join(f"{{{{ {name} }}}}" for name in spec.placeholders)
        assert placeholders.problems(text, message, body=True) == []
        values = {placeholders.PLACEHOLDERS[name][0]: f"<{name}>" for name in spec.placeholders}
        assert placeholders.render_plain(text, values) == " ".join(f"<{name}>" for name in spec.placeholders)
