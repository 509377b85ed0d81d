"""Hypothesis strategies the fuzz tests share: text as people (and attackers)
type it, form bodies of any shape, and one check that a response is not a 500."""

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.test import Client
from hypothesis import strategies as st

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

# Text no keyboard sends but a script can: NUL and other controls, bidi
# overrides, a byte-order mark, combining marks, digits of other scripts,
# letters that change length when case-folded, and very long values.
ODD = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\r\n",
        "\t\x0b\x0c\x1c\x85\u2028",
        "\u202ejane\u202c",
        "\ufeff",
        "e\u0301",
        "١٢٣",
        "ǅß İ ﬀ",
        "<script>alert(1)</script>",
        "{{ form }}{% csrf_token %}",
        "%00%ff%",
        "' OR 1=1 --",
        "a" * 255,
        "x" * 5000,
        "9" * 40,
        "-1",
        "None",
        "jane@example.com",
        "jane@xn--caf-dma.example",
        "Jane@Café.example",
        '"jane"@example.com',
        "jane@[127.0.0.1]",
        "jane@localhost",
    ]
)
# Any text without lone surrogates: a browser cannot send those (it must
# encode the body as UTF-8), and the test client cannot encode them either.
TEXT = st.one_of(ODD, st.text(st.characters(exclude_categories=["Cs"]), max_size=300))
# A field as a form body carries it: one value, several, or none (left out).
VALUE = st.one_of(TEXT, st.lists(TEXT, max_size=3))


def form_bodies(*fields: str, values: Any = VALUE) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies naming any of `fields`, with any values, and unknown fields besides."""
    known = st.fixed_dictionaries({}, optional={name: values for name in fields})
    extra = st.dictionaries(TEXT.filter(lambda name: name not in fields), VALUE, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, extra)


def last(value: Any) -> str | None:
    """The value a single-valued field reads from a body (a browser's last
    repeat wins), None when the body leaves it out."""
    if isinstance(value, list):
        return value[-1] if value else None
    return value


def post(client: Client, path: str, body: dict[str, Any] | bytes, multipart: bool = False) -> "Response":
    """POST as a browser would (urlencoded or multipart), or `bytes` as they are."""
    if isinstance(body, bytes):
        response = client.post(path, body, content_type="application/x-www-form-urlencoded")
    elif multipart:
        # The test client writes a field's name into the part's header as it
        # is: a name a browser would escape is left out, not sent malformed,
        # and so is one past Django's limit on a part's header (a 400).
        response = client.post(path, {name: value for name, value in body.items() if is_header_safe(name)})
    else:
        encoded = urlencode(body, doseq=True)
        response = client.post(path, encoded, content_type="application/x-www-form-urlencoded")
    assert_not_an_error(response)
    return response


def is_header_safe(name: str) -> bool:
    return len(name.encode()) < 500 and not any(char in name for char in '"\r\n\\')


def assert_not_an_error(response: "Response") -> None:
    """Bad input is a 4xx or a page: never a 500, never our database's 503."""
    assert response.status_code < 500, response.content.decode(errors="replace")[:2000]
