"""Email addresses: one canonical spelling per mailbox, and the person behind it.

A mailbox can be spelled many ways: `Jane@Café.example`, `jane@cafe\u0301.example`
(a combining accent), `jane@xn--caf-dma.example` (the domain's A-label),
`"jane"@...` (a quoted local part). Every lookup, limit and key the site keeps
is by one spelling, `canonical_address`, so that no second spelling counts as a
second person. `person_key` then folds the aliases one mailbox receives.

The canonical form is all ASCII:
- the domain as its IDNA 2008 A-label (`xn--...`), lower case. Django's SMTP
  backend never speaks SMTPUTF8: it converts a Unicode domain itself, with
  Python's `idna` codec, which is IDNA 2003 (`straße.de` becomes `strasse.de`,
  another registrant's domain). Storing the A-label means what is validated is
  what is sent, byte for byte, and what Campaign stores and is searched by.
- the local part in ASCII only, lower case. That SMTP backend cannot send to
  a Unicode local part at all, and Django's own email validator never
  accepted one, so refusing it changes nothing for anyone the site could mail.
"""

from enum import StrEnum

from email_validator import EmailNotValidError, validate_email

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


class Refusal(StrEnum):
    """Why an address is refused: each reason has its own words on the form."""

    QUOTED = "quoted"  # "jane"@example.com, "ja\ne"@example.com
    IP_LITERAL = "ip_literal"  # jane@[192.0.2.1]
    NOT_A_DOMAIN = "not_a_domain"  # jane@localhost, jane@example.test: no public domain
    TOO_LONG = "too_long"  # over 64 characters before the @, or 254 in all (RFC 5321 §4.5.3.1)
    NOT_ASCII = "not_ascii"  # josé@example.com: the site cannot send to it
    MALFORMED = "malformed"  # anything else


class AddressRefused(ValueError):
    """Not an address the site accepts; `reason` says why, `detail` in email-validator's words."""

    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# email-validator raises one exception type for every syntax error, so its
# (pinned) wording picks our reason. The wording only chooses the message a
# person reads, never whether an address passes; tests pin each reason.
_REASONS = (
    ("Quoting the part before the @-sign", Refusal.QUOTED),
    ("in brackets", Refusal.IP_LITERAL),
    ("bracketed IP address", Refusal.IP_LITERAL),
    ("too long", Refusal.TOO_LONG),
    ("periods cannot be separated by so many characters", Refusal.TOO_LONG),
    ("It should have a period", Refusal.NOT_A_DOMAIN),
    ("not within a valid top-level domain", Refusal.NOT_A_DOMAIN),
    ("special-use or reserved name", Refusal.NOT_A_DOMAIN),
    ("Internationalized characters before the @-sign", Refusal.NOT_ASCII),
)


def _refusal(detail: str) -> Refusal:
    return next((reason for words, reason in _REASONS if words in detail), Refusal.MALFORMED)


def canonical_address(address: str) -> str:
    """The one spelling of the mailbox `address` names, or `AddressRefused`.

    Surrounding white space is dropped; quoted local parts, IP literals,
    single-label and special-use domains (`localhost`, `.test`, `.local`),
    over-long addresses and non-ASCII local parts are refused. The domain is
    normalised as UTS 46 and IDNA 2008 say (NFC, case folded, full-width
    forms mapped) and written as its A-label; the local part is lower-cased.
    No DNS is asked: the site works offline and never waits on a resolver.
    """
    try:
        found = validate_email(
            address.strip(),
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            strict=True,  # enforces the 64-character limit before the @
            check_deliverability=False,
            globally_deliverable=True,
        )
    except EmailNotValidError as error:
        raise AddressRefused(_refusal(str(error)), str(error)) from error
    # Without SMTPUTF8 the local part is ASCII, so it is always there.
    assert found.ascii_local_part is not None
    return f"{found.ascii_local_part.lower()}@{found.ascii_domain}"


def same_address(a: str, b: str) -> bool:
    """Whether two addresses from elsewhere (Campaign, a page's snapshot) are
    one mailbox: compared canonically, or trimmed and lower-cased where one is
    not an address the site would accept today."""

    def comparable(address: str) -> str:
        try:
            return canonical_address(address)
        except AddressRefused:
            return address.strip().lower()

    return comparable(a) == comparable(b)


def person_key(address: str) -> str:
    """The identity behind an address, folding the aliases that reach one mailbox.

    `a.b+x@gmail.com`, `ab@googlemail.com` and `AB@gmail.com` are one person.
    Sub-addresses (`+tag`) are folded for every domain, since nearly all
    providers deliver them to the base mailbox; dots only for Gmail, the one
    provider known to ignore them. A local part that starts with `+` has no
    base mailbox to fold into, so it stays whole. Raises `AddressRefused` like
    `canonical_address`.
    """
    local, _, domain = canonical_address(address).rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.replace(".", "")
    return f"{local}@{domain}"


MASK = "\u2022\u2022\u2022"  # three bullets


def mask_address(address: str) -> str:
    """An address as the admin lists it: enough to tell people apart at a
    glance, too little to read off a screen and mail (`j•••@e•••.com`)."""
    local, at, domain = address.rpartition("@")
    if not at:
        return f"{address[:1]}{MASK}"
    name, dot, tld = domain.rpartition(".")
    masked_domain = f"{name[:1]}{MASK}{dot}{tld}" if dot else f"{domain[:1]}{MASK}"
    return f"{local[:1]}{MASK}@{masked_domain}"
