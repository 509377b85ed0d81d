"""The WSGI application as gunicorn calls it: whatever a request's
Content-Type names as its charset, the answer is a page or a 4xx, never a 500.

Through `signup_site.wsgi.application` itself, not the test client: Django
builds the request from the environ before any middleware runs, and the test
client builds its own."""

import encodings.aliases
from collections.abc import Iterator
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signup_site.campaign.models import OptOut, Subscriber
from signup_site.web.links import Purpose, make_token
from signup_site.wsgi import application
from tests.fuzz_support import TEXT, VALUE

pytestmark = pytest.mark.django_db

# Every codec name Python knows, text encodings or not (base64, rot13, zlib,
# undefined...), and names it does not.
CODECS = sorted({*encodings.aliases.aliases, *encodings.aliases.aliases.values(), "rot13", "undefined"})
CHARSETS = st.one_of(st.sampled_from(CODECS), TEXT.filter(lambda name: '"' not in name and "\\" not in name))
FORM = "application/x-www-form-urlencoded"
MULTIPART = b'--B\r\nContent-Disposition: form-data; name="email"\r\n\r\nwsgi@example.com\r\n--B--\r\n'


@pytest.fixture
def wsgi(seeded: None) -> Iterator[None]:
    """As the test client does: no closing the test's database connection
    at the end of each request (it holds the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call(method: str, path: str, query: str, content_type: str, body: bytes = b"") -> int:
    """One request through the WSGI application; its HTTP status."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": BytesIO(body),
        "wsgi.errors": BytesIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return statuses.append

    response = application(environ, start_response)
    b"".join(response)
    response.close()
    return int(statuses[0].split()[0])


@pytest.mark.parametrize("charset", ["rot13", "base64", "zlib", "undefined", "idna"])
def test_a_query_string_with_a_charset_that_is_not_text(wsgi: None, charset: str) -> None:
    assert call("GET", "/signup/", "lang=es&a=%ff", f"text/plain; charset={charset}") == 200


@pytest.fixture
def unsubscribe_path(db: None) -> str:
    """The opt-out page: a form that takes a POST without a CSRF token."""
    subscriber = Subscriber.objects.create(email="wsgi@example.com", person_key="wsgi@example.com")
    return f"/unsubscribe/{make_token(Purpose.UNSUBSCRIBE, s=subscriber.public_id.hex)}/"


@pytest.mark.parametrize("charset", ["rot13", "base64", "undefined", "idna"])
def test_a_multipart_form_with_a_charset_that_is_not_text(
    wsgi: None, unsubscribe_path: str, charset: str
) -> None:
    content_type = f"multipart/form-data; boundary=B; charset={charset}"
    assert call("POST", unsubscribe_path, "", content_type, MULTIPART) == 200


def test_too_many_query_fields_with_a_charset_is_a_400(wsgi: None) -> None:
    query = "&".join(f"f{n}=x" for n in range(2000))
    assert call("GET", "/signup/", query, "text/plain; charset=utf-8") == 400


def test_an_unreadable_content_type_reads_as_no_form(wsgi: None, unsubscribe_path: str) -> None:
    content_type = FORM + "; charset=" + "x" * 10_000  # longer than Django parses
    assert call("GET", "/signup/", "lang=es", content_type) == 200
    assert call("POST", unsubscribe_path, "", content_type, b"scope=all") == 200
    assert not OptOut.objects.exists()  # the form could not be read: nothing chosen, nothing done


@pytest.mark.parametrize("charset", ["\x00", "rot13", "*=rot13''abc", "*=utf-8''%ff"])
def test_a_form_in_an_unusable_charset_reads_as_utf8(wsgi: None, unsubscribe_path: str, charset: str) -> None:
    """As Django reads one in a charset it does not know."""
    content_type = FORM + "; charset" + ("" if charset.startswith("*") else "=") + charset
    assert call("POST", unsubscribe_path, "", content_type, b"scope=all") == 303  # to the goodbye page
    assert OptOut.objects.get().topic is None


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST"]),
    to_opt_out=st.booleans(),
    query=st.dictionaries(TEXT, VALUE, max_size=3).map(lambda q: urlencode(q, doseq=True)),
    kind=st.sampled_from(
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=B"]
    ),
    charset=CHARSETS,
    body=st.one_of(st.just(MULTIPART), st.binary(max_size=200)),
)
def test_no_charset_makes_a_500(
    wsgi: None,
    unsubscribe_path: str,
    method: str,
    to_opt_out: bool,
    query: str,
    kind: str,
    charset: str,
    body: bytes,
) -> None:
    path = unsubscribe_path if to_opt_out else "/signup/"
    status = call(method, path, query, f"{kind}; charset={charset}", body if method == "POST" else b"")
    assert status < 500
