"""One canonical address per mailbox (`campaign.addresses`): every spelling
of a mailbox is one canonical address and one person key, distinct mailboxes
never share a key, and what is refused is refused for the reason it names.

The expected A-labels come from Python's own `punycode` codec (RFC 3492), not
from the `idna` package that email-validator uses: an oracle that shares code
with what it checks agrees with its bugs.
"""

import ipaddress
import unicodedata
from dataclasses import dataclass

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from signup_site.campaign.addresses import (
    AddressRefused,
    Refusal,
    canonical_address,
    person_key,
    same_address,
)

LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-"
ASCII_LABEL_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
# Letters IDNA 2008 allows in a label, precomposed and lower case: Latin,
# Cyrillic, Greek (final sigma too), Japanese, Chinese; ß and ς are the two
# that IDNA 2003 would have mapped to other letters.
UNICODE_LETTERS = "áéíóúñüöäåøçłžšßяжщыωλπςあ中"
TLDS = ("com", "org", "net", "es", "de", "example")
GMAIL = ("gmail.com", "googlemail.com")
# The label separators UTS 46 reads as a full stop.
FULL_STOPS = ".\u3002\uff0e\uff61"
SPACE = st.text(" \t\r\n\u00a0\u3000", max_size=3)


def a_label(label: str) -> str:
    """IDNA 2008's ASCII form of a valid label already in NFC and lower case."""
    return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")


@dataclass(frozen=True)
class Mailbox:
    """A mailbox in canonical parts: the local part in lower-case ASCII, the
    domain's labels in NFC and lower case, its top-level domain last."""

    local: str
    labels: tuple[str, ...]

    @property
    def address(self) -> str:
        """The canonical spelling, built without the code under test."""
        return f"{self.local}@{'.'.join(a_label(label) for label in self.labels)}"

    @property
    def is_gmail(self) -> bool:
        return ".".join(self.labels) in GMAIL

    @property
    def person(self) -> str:
        """The person key the rules promise: `+tag` dropped; for Gmail, dots too, one domain."""
        local = self.local.split("+", 1)[0] or self.local
        if self.is_gmail:
            return f"{local.replace('.', '')}@gmail.com"
        return f"{local}@{self.address.rpartition('@')[2]}"


locals_parts = st.lists(st.text(LOCAL_CHARS, min_size=1, max_size=8), min_size=1, max_size=3).map(".".join)
labels = st.text(ASCII_LABEL_CHARS + UNICODE_LETTERS, min_size=1, max_size=10).filter(
    lambda label: len(a_label(label)) <= 63
)
domains = st.one_of(
    st.sampled_from(GMAIL).map(lambda domain: tuple(domain.split("."))),
    st.tuples(st.lists(labels, min_size=1, max_size=3), st.sampled_from(TLDS)).map(
        lambda parts: (*parts[0], parts[1])
    ),
)
mailboxes = st.builds(Mailbox, locals_parts, domains)


def can_change_case(char: str) -> bool:
    # ß upper-cases to SS, and final sigma to a capital sigma that lower-cases
    # to the other sigma: a case change that is no respelling.
    upper = char.upper()
    return len(upper) == 1 and upper != char and upper.lower() == char


@st.composite
def respelled_labels(draw: st.DrawFn, label: str) -> str:
    """One label as a person might type it: the A-label in any case, or the
    Unicode label with capitals, full-width forms, decomposed accents."""
    if draw(st.booleans()):
        return "".join(c.upper() if draw(st.booleans()) else c for c in a_label(label))
    typed = ""
    for char in label:
        if can_change_case(char) and draw(st.booleans()):
            char = char.upper()
        if char.isascii() and draw(st.booleans()):
            char = chr(ord(char) + 0xFEE0)  # the full-width form
        typed += char
    return unicodedata.normalize(draw(st.sampled_from(["NFC", "NFD"])), typed)


@st.composite
def respellings(draw: st.DrawFn, mailbox: Mailbox) -> str:
    """The mailbox's address spelled another way, naming the same mailbox."""
    local = "".join(c.upper() if draw(st.booleans()) else c for c in mailbox.local)
    parts = [draw(respelled_labels(label)) for label in mailbox.labels]
    domain = parts[0] + "".join(draw(st.sampled_from(FULL_STOPS)) + part for part in parts[1:])
    return draw(SPACE) + local + "@" + domain + draw(SPACE)


@st.composite
def aliases(draw: st.DrawFn, mailbox: Mailbox) -> Mailbox:
    """Another address of the same person: a `+tag`; for Gmail, dots anywhere
    and googlemail.com."""
    local, domain = mailbox.local, mailbox.labels
    if mailbox.is_gmail:
        bare = local.replace(".", "")
        local = "".join(("." if i and draw(st.booleans()) else "") + c for i, c in enumerate(bare))
        domain = (draw(st.sampled_from(["gmail", "googlemail"])), "com")
    if draw(st.booleans()):
        local += "+" + draw(st.text(LOCAL_CHARS + "+", max_size=10))
    return Mailbox(local, domain)


@st.composite
def neighbours(draw: st.DrawFn, mailbox: Mailbox) -> Mailbox:
    """A mailbox one small edit away: a character of the local part or of a
    label replaced (e by é, say), or a dot put into the local part."""
    local, domain = mailbox.local, list(mailbox.labels)
    edit = draw(st.sampled_from(["local", "label", "dot"]))
    if edit == "local":
        i = draw(st.integers(0, len(local) - 1))
        assume(local[i] != ".")
        local = local[:i] + draw(st.sampled_from(LOCAL_CHARS)) + local[i + 1 :]
    elif edit == "label" and len(domain) > 1:
        which = draw(st.integers(0, len(domain) - 2))
        label = domain[which]
        i = draw(st.integers(0, len(label) - 1))
        domain[which] = (
            label[:i] + draw(st.sampled_from(ASCII_LABEL_CHARS + UNICODE_LETTERS)) + label[i + 1 :]
        )
        assume(len(a_label(domain[which])) <= 63)
    else:
        i = draw(st.integers(1, len(local)))
        assume(i < len(local) and "." not in local[i - 1 : i + 1])
        local = local[:i] + "." + local[i:]
    return Mailbox(local, tuple(domain))


# Properties.


@given(mailboxes, st.data())
def test_every_spelling_of_a_mailbox_is_its_one_canonical_address(
    mailbox: Mailbox, data: st.DataObject
) -> None:
    spelling = data.draw(respellings(mailbox), label="spelling")
    assert canonical_address(spelling) == mailbox.address
    assert person_key(spelling) == person_key(mailbox.address) == mailbox.person


@given(mailboxes, st.data())
def test_every_alias_of_a_person_has_their_key(mailbox: Mailbox, data: st.DataObject) -> None:
    alias = data.draw(aliases(mailbox), label="alias")
    spelling = data.draw(respellings(alias), label="spelling")
    assert canonical_address(spelling) == alias.address
    assert person_key(spelling) == mailbox.person


@given(mailboxes, mailboxes)
def test_distinct_mailboxes_never_share_a_key(a: Mailbox, b: Mailbox) -> None:
    assert (person_key(a.address) == person_key(b.address)) == (a.person == b.person)
    assert (canonical_address(a.address) == canonical_address(b.address)) == (a.address == b.address)


@given(mailboxes, st.data())
def test_a_mailbox_one_edit_away_is_another_person(mailbox: Mailbox, data: st.DataObject) -> None:
    other = data.draw(neighbours(mailbox), label="neighbour")
    assume(other != mailbox)
    # A dot in a Gmail address is the one edit that leaves the person alone.
    assert (person_key(other.address) == person_key(mailbox.address)) == (other.person == mailbox.person)


@given(st.one_of(st.emails(), st.text(max_size=80), mailboxes.flatmap(respellings)))
def test_anything_typed_is_refused_or_a_canonical_address(typed: str) -> None:
    try:
        canonical = canonical_address(typed)
    except AddressRefused:
        return
    local, _, _domain = canonical.rpartition("@")
    assert canonical.isascii() and canonical == canonical.lower()
    assert len(local) <= 64 and len(canonical) <= 254
    assert canonical_address(canonical) == canonical
    assert person_key(person_key(canonical)) == person_key(canonical)


@given(mailboxes)
def test_a_quoted_local_part_is_refused_however_escaped(mailbox: Mailbox) -> None:
    domain = mailbox.address.rpartition("@")[2]
    escaped = "".join("\\" + c for c in mailbox.local)
    for typed in (f'"{mailbox.local}"@{domain}', f'"{escaped}"@{domain}'):
        with pytest.raises(AddressRefused) as refused:
            canonical_address(typed)
        assert refused.value.reason == Refusal.QUOTED


@given(st.ip_addresses())
def test_an_ip_literal_is_refused(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    literal = f"[{ip}]" if ip.version == 4 else f"[IPv6:{ip}]"
    with pytest.raises(AddressRefused) as refused:
        canonical_address(f"jane@{literal}")
    assert refused.value.reason == Refusal.IP_LITERAL


@given(locals_parts, labels)
def test_a_single_label_domain_is_refused(local: str, label: str) -> None:
    with pytest.raises(AddressRefused) as refused:
        canonical_address(f"{local}@{label}")
    assert refused.value.reason == Refusal.NOT_A_DOMAIN


@given(st.text(LOCAL_CHARS, min_size=65, max_size=120), domains)
def test_more_than_64_characters_before_the_at_is_refused(local: str, domain: tuple[str, ...]) -> None:
    with pytest.raises(AddressRefused) as refused:
        canonical_address(Mailbox(local, domain).address)
    assert refused.value.reason == Refusal.TOO_LONG


@given(st.lists(labels, min_size=1, max_size=3), st.sampled_from(TLDS))
def test_more_than_254_characters_in_all_is_refused(domain: list[str], tld: str) -> None:
    # Long enough as an A-label, whatever it is as typed.
    padding = ["p" * 60] * 3
    mailbox = Mailbox("l" * 64, (*domain, *padding, tld))
    assume(len(mailbox.address) > 254 and len(mailbox.address.rpartition("@")[2]) <= 253)
    with pytest.raises(AddressRefused) as refused:
        canonical_address(mailbox.address)
    assert refused.value.reason == Refusal.TOO_LONG


# Examples: the spellings the abuse report found, and the decisions.


@pytest.mark.parametrize(
    "spelling",
    [
        "jane@café.example",
        "jane@cafe\u0301.example",  # a combining accent
        "jane@xn--caf-dma.example",
        " Jane@CAFÉ.Example ",
        "JANE@XN--CAF-DMA.EXAMPLE",
    ],
)
def test_the_reported_spellings_are_one_address(spelling: str) -> None:
    assert canonical_address(spelling) == "jane@xn--caf-dma.example"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ('"qq"@gmail.com', Refusal.QUOTED),
        ('"q\\q"@gmail.com', Refusal.QUOTED),
        ("x@localhost", Refusal.NOT_A_DOMAIN),
        ("x@printer.local", Refusal.NOT_A_DOMAIN),
        ("x@example.test", Refusal.NOT_A_DOMAIN),
        ("x@[127.0.0.1]", Refusal.IP_LITERAL),
        ("x@[IPv6:2001:db8::1]", Refusal.IP_LITERAL),
        ("a" * 65 + "@example.com", Refusal.TOO_LONG),
        ("josé@example.com", Refusal.NOT_ASCII),
        ("jane@", Refusal.MALFORMED),
        ("jane.example.com", Refusal.MALFORMED),
        ("Jane <jane@example.com>", Refusal.MALFORMED),
    ],
)
def test_refusals_name_their_reason(typed: str, reason: Refusal) -> None:
    with pytest.raises(AddressRefused) as refused:
        canonical_address(typed)
    assert refused.value.reason == reason


def test_the_domain_is_kept_as_its_idna_2008_a_label() -> None:
    # Django's SMTP backend would convert a Unicode domain with Python's IDNA
    # 2003 codec, which spells straße.de as strasse.de: another domain.
    assert "straße.de".encode("idna") == b"strasse.de"
    assert canonical_address("kim@straße.de") == "kim@xn--strae-oqa.de"
    assert canonical_address("kim@strasse.de") == "kim@strasse.de"


def test_a_local_part_of_only_a_tag_is_not_folded_away() -> None:
    assert person_key("+a@example.com") == "+a@example.com"
    assert person_key("+a@example.com") != person_key("+b@example.com")


def test_an_accent_makes_another_domain() -> None:
    assert person_key("jane@cafe.example") != person_key("jane@café.example")


def test_same_address_reads_campaign_spellings_and_keys_that_are_not_addresses() -> None:
    assert same_address("jane@café.example", "JANE@xn--caf-dma.example")
    assert not same_address("jane@café.example", "jane@cafe.example")
    assert same_address("@ABC-pkey", "@abc-pkey ")
    assert not same_address("@abc-pkey", "jane@example.com")
