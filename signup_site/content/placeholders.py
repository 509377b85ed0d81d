"""The marketers' email copy: which placeholders each message has, checking a
text for them, and rendering it as a subject, plain text and HTML.

The copy is not a template. Django's template language (or Jinja) would give
a marketer's text `{% include %}`, `{% load %}`, `{% extends %}`, filters and
attribute lookups: ways to read other templates, settings-bearing objects or
whatever the context holds, and ways to break an email at send time. So the
copy knows one construct, `{{ name }}`, from a closed list per message, and
two bits of markup for the HTML part: blank lines between paragraphs and
`[label](link)` links. Everything else is text: in the HTML part it is
escaped, and so is every value put in (a first name is typed by the public).
Links and paragraphs are found in the marketer's text *before* values go in,
so a first name such as `[win](https://evil.example)` stays text.
(`string.Template` would do the substitution, but its `$name` clashes with
prices, and it says nothing about which names a message has.)
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Placeholder -> the key of the email's context (an ACS transactional event's
# `ctx` names, see campaign/mail.py), and what it holds, for the admin.
PLACEHOLDERS: dict[str, tuple[str, str | Promise]] = {
    "first_name": ("firstName", _("the person's first name (empty when they gave none)")),
    "confirm_url": ("confirmUrl", _("the link that confirms the sign-up or the new address")),
    "preferences_url": ("preferencesUrl", _("the Update Details link")),
    "unsubscribe_url": ("unsubscribeUrl", _("the unsubscribe link")),
    "coupon": ("couponCode", _("the gift coupon's code")),
    "offer_name": ("offerName", _("the special offer's name")),
    "resume_date": ("resumeDate", _("the day a pause ends, written in the person's language")),
}


@dataclass(frozen=True)
class MessageSpec:
    label: str | Promise
    placeholders: tuple[str, ...]
    required: tuple[str, ...] = ()  # in the body: the email is useless without them


# What each email's context carries (see the callers of queue_site_email and
# signups._send). Required: a confirmation without its link confirms nothing.
MESSAGES: dict[str, MessageSpec] = {
    "signup-confirm": MessageSpec(
        _("Sign-up confirmation"),
        ("first_name", "confirm_url", "preferences_url", "unsubscribe_url"),
        ("confirm_url",),
    ),
    "welcome": MessageSpec(_("Welcome"), ("first_name", "preferences_url", "unsubscribe_url")),
    "special-offer": MessageSpec(
        _("Special offer (with coupon)"),
        ("first_name", "coupon", "offer_name", "preferences_url", "unsubscribe_url"),
        ("coupon",),
    ),
    "preferences-link": MessageSpec(
        _("Email me my link"), ("first_name", "preferences_url", "unsubscribe_url"), ("preferences_url",)
    ),
    "email-change-confirm": MessageSpec(
        _("Confirm a new email address"), ("first_name", "confirm_url"), ("confirm_url",)
    ),
    "email-changed": MessageSpec(_("Email address changed (to the old address)"), ("first_name",)),
    "pause-reminder": MessageSpec(
        _("A pause ends soon (reminder)"),
        ("first_name", "resume_date", "preferences_url", "unsubscribe_url"),
        ("resume_date", "preferences_url"),
    ),
}

# `{{` ... `}}` whatever is inside, shortest first: `{{{ x }}}` is refused, not guessed at.
BRACES = re.compile(r"\{\{([^{}]*)\}\}")
NAME = re.compile(r"\s*([a-z_]+)\s*")
TAGS = re.compile(r"\{%|%\}|\{#|#\}")
# A link in the copy: [label](https://...) or [label]({{ some_url }}).
LINK = re.compile(r"\[([^\[\]\n]+)\]\((\{\{\s*[a-z_]+_url\s*\}\}|https?://[^\s()<>\"']+)\)")
BARE_URL = re.compile(r"https?://[^\s()<>\"']+")
# Punctuation that closes up to an empty placeholder: "Hello {{ first_name }}," -> "Hello,".
CLOSES_UP = ",.;:!?)"

BUTTON = (
    "display: inline-block; background: #0a58ca; color: #fff; padding: 0.6rem 1.2rem; "
    "border-radius: 0.375rem; text-decoration: none;"
)
LINK_STYLE = "color: #0a58ca;"


def problems(text: str, message: str, *, body: bool = False) -> list[str]:
    """What is wrong with the placeholders in `text` for `message`; [] when
    nothing. `body`: the text is the message's body, which must hold the
    placeholders the message needs (a confirmation without its link)."""
    spec = MESSAGES[message]
    found: list[str] = []
    used: set[str] = set()
    for match in BRACES.finditer(text):
        name = NAME.fullmatch(match.group(1))
        if name is None:
            found.append(
                gettext(
                    "“%(text)s” is not a placeholder: write one of the names listed, like {{ first_name }}."
                )
                % {"text": match.group(0)}
            )
        elif name.group(1) not in PLACEHOLDERS:
            found.append(gettext("There is no placeholder {{ %(name)s }}.") % {"name": name.group(1)})
        elif name.group(1) not in spec.placeholders:
            found.append(
                gettext("The “%(message)s” email has no {{ %(name)s }}.")
                % {"message": spec.label, "name": name.group(1)}
            )
        else:
            used.add(name.group(1))
    rest = BRACES.sub("", text)
    if TAGS.search(rest):
        found.append(
            gettext("Template tags ({% … %}, {# … #}) are not allowed: use only the placeholders listed.")
        )
    if "{{" in rest:
        found.append(gettext("A “{{” is not closed with “}}”."))
    if "}}" in rest:
        found.append(gettext("A “}}” has no “{{” before it."))
    if body:
        found += [
            gettext("This email must contain {{ %(name)s }}.") % {"name": name}
            for name in spec.required
            if name not in used
        ]
    if found:
        found.append(allowed_text(message))
    return found


def allowed_text(message: str) -> str:
    names = ", ".join(f"{{{{ {name} }}}}" for name in MESSAGES[message].placeholders)
    return gettext("The placeholders of this email: %(names)s.") % {"names": names}


def _pieces(text: str, values: Mapping[str, str]) -> Iterator[tuple[str, str | None]]:
    """`text` as (literal, None) and (value, placeholder name) pieces. An
    empty value takes the spaces before it with it when punctuation or the
    end of the line follows: "Hello {{ first_name }}," reads "Hello,"."""
    position = 0
    for match in BRACES.finditer(text):
        name = match.group(1).strip()
        value = str(values.get(PLACEHOLDERS.get(name, ("",))[0], "") or "")
        literal = text[position : match.start()]
        after = text[match.end() : match.end() + 1]
        if not value and (not after or after in CLOSES_UP or after == "\n"):
            literal = literal.rstrip(" ")
        yield literal, None
        yield value, name
        position = match.end()
    yield text[position:], None


def render_plain(text: str, values: Mapping[str, str]) -> str:
    """Placeholders replaced, nothing escaped: for a subject, a text part."""
    return "".join(piece for piece, _name in _pieces(text, values))


def render_plain_body(body: str, values: Mapping[str, str]) -> str:
    """The text part of the email: a link reads "label: URL"."""
    linked = LINK.sub(lambda link: f"{link.group(1)}: {link.group(2)}", normalise(body))
    return render_plain(linked, values) + "\n"


def render_escaped(text: str, values: Mapping[str, str]) -> str:
    """Placeholders replaced; the text and the values HTML-escaped."""
    return "".join(escape(piece) for piece, _name in _pieces(text, values))


def _anchor(href: str, label_html: str, style: str = LINK_STYLE) -> str:
    return f'<a href="{escape(href)}" style="{style}">{label_html}</a>'


def _autolinked(text: str, values: Mapping[str, str]) -> str:
    """Text as HTML, its URLs links: those the marketer wrote, and the URL
    placeholders' values. Other values stay text, whatever they look like."""
    html: list[str] = []
    for piece, name in _pieces(text, values):
        if name is not None:
            is_url = name.endswith("_url") and BARE_URL.fullmatch(piece)
            html.append(_anchor(piece, escape(piece)) if is_url else escape(piece))
            continue
        position = 0
        for url in BARE_URL.finditer(piece):
            html += [escape(piece[position : url.start()]), _anchor(url.group(0), escape(url.group(0)))]
            position = url.end()
        html.append(escape(piece[position:]))
    return "".join(html)


def _paragraph(paragraph: str, values: Mapping[str, str]) -> str:
    alone = LINK.fullmatch(paragraph)
    if alone:  # a link on its own is the email's button, as in the default emails
        label = render_escaped(alone.group(1), values)
        return f"<p>{_anchor(render_plain(alone.group(2), values), label, BUTTON)}</p>"
    lines = []
    for line in paragraph.split("\n"):
        html, position = [], 0
        for link in LINK.finditer(line):
            label = render_escaped(link.group(1), values)
            html += [_autolinked(line[position : link.start()], values)]
            html += [_anchor(render_plain(link.group(2), values), label)]
            position = link.end()
        html.append(_autolinked(line[position:], values))
        lines.append("".join(html))
    return "<p>" + "<br>\n".join(lines) + "</p>"


def render_html_body(body: str, values: Mapping[str, str]) -> SafeString:
    """The HTML part's content: a <p> per paragraph, links, everything escaped."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", normalise(body)) if p.strip()]
    # Safe: every piece of text and every value went through escape() above.
    return mark_safe("\n".join(_paragraph(p, values) for p in paragraphs))  # noqa: S308


def normalise(text: str) -> str:
    """Line ends as \\n, no trailing spaces: what a textarea sends varies by browser."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()
