"""Email address normalisation."""

GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def normalise_email(address: str) -> str:
    """The address as stored: trimmed and lower-cased.

    The local part is case-sensitive in theory; no mailbox provider the site
    mails treats it so, and one spelling per person is what de-duplication needs.
    """
    return address.strip().lower()


def person_key(address: str) -> str:
    """The identity behind an address, folding the aliases that reach one mailbox.

    `a.b+x@gmail.com`, `ab@googlemail.com` and `AB@gmail.com` are one person.
    Sub-addresses (`+tag`) are folded for every domain, since nearly all
    providers deliver them to the base mailbox; dots only for Gmail, the one
    provider known to ignore them.
    """
    local, _, domain = normalise_email(address).rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        domain = "gmail.com"
        local = local.replace(".", "")
    return f"{local}@{domain}"
