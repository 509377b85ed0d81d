"""The Campaign v8 SOAP calls the site makes (campaign-api.md §C), as a
collection: the configured authentication (an IMS token, or
`xtk:session#Logon`), the three staging examples of Adobe's "New Campaign v8
APIs" (Ingest without `_key` answers the new row's UUID, Ingest with `_key`
answers it empty, IngestExt upserts), `nms:subscription#Subscribe` /
`#Unsubscribe` and `xtk:queryDef#ExecuteQuery`.

Faults come with HTTP 200, so every request's tests look for `Fault` in the
body besides the status.
"""

from ..config import V8Config
from . import NO_AUTH, Collection, Folder, Request, Setting, bearer, js_lines

ROUTER = "{{V8_URL}}/nl/jsp/soaprouter.jsp"
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:urn="urn:{schema}">\n'
    "  <soapenv:Body>\n"
    "    <urn:{method}>\n"
    "      <urn:sessiontoken>{{{{SESSION_TOKEN}}}}</urn:sessiontoken>\n"
    "{params}"
    "    </urn:{method}>\n"
    "  </soapenv:Body>\n"
    "</soapenv:Envelope>\n"
)
NO_FAULT = [
    'pm.test("HTTP 200 without a SOAP fault (faults come with HTTP 200)", function () {',
    "    pm.response.to.have.status(200);",
    "    pm.expect(pm.response.text()).to.not.match(/<(\\w+:)?Fault[\\s>]/);",
    "});",
]
# An output element, empty (`<x/>`, `<x></x>`) or not: group 1 is its text.
OUTPUT = "new RegExp('<(?:\\\\w+:)?' + name + '\\\\b[^>]*?(?:/>|>([^<]*)<)')"
OUTPUT_OF = [f"function output(name) {{ const m = pm.response.text().match({OUTPUT}); return m; }}"]
UUID = "/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i"


def envelope(schema: str, method: str, *params: str) -> str:
    """The spec's envelope: `urn:`-qualified parameters, the session token first."""
    lines = "".join(f"      {param}\n" for param in params)
    return ENVELOPE.format(schema=schema, method=method, params=lines)


def _soap(
    logon: bool, name: str, schema: str, method: str, params: tuple[str, ...], tests: list[str], **kw: str
) -> Request:
    return Request(
        name,
        "POST",
        ROUTER,
        headers=(
            ("Content-Type", "text/xml; charset=utf-8"),
            ("SOAPAction", f"{schema}#{method}"),
            *(HEADERS_FOR_SESSION if logon else ()),
        ),
        body=envelope(schema, method, *params),
        tests=js_lines(NO_FAULT, tests),
        description=kw.get("description", ""),
    )


# With `logon`, each call carries the session (cookie) and the security token;
# with `ims`, the bearer token (the collection's auth) and an empty session token.
HEADERS_FOR_SESSION = (
    ("Cookie", "__sessiontoken={{SESSION_TOKEN}}"),
    ("X-Security-Token", "{{SECURITY_TOKEN}}"),
)


def _response(method: str) -> list[str]:
    return [
        f'pm.test("a {method}Response", function () {{',
        f"    pm.expect(pm.response.text()).to.match(/<(\\w+:)?{method}Response[\\s>/]/);",
        "});",
    ]


def _auth_requests(config: V8Config) -> list[Request]:
    if config.auth == "ims":
        return [
            Request(
                "Getting an access token (IMS OAuth server-to-server)",
                "POST",
                "{{IMS_URL}}/ims/token/v3",
                form=(
                    ("grant_type", "client_credentials"),
                    ("client_id", "{{CLIENT_ID}}"),
                    ("client_secret", "{{CLIENT_SECRET}}"),
                    ("scope", "{{SCOPES}}"),
                ),
                headers=(("Content-Type", "application/x-www-form-urlencoded"),),
                auth=NO_AUTH,
                tests=[
                    'pm.test("HTTP 200: a bearer token, saved as ACCESS_TOKEN", function () {',
                    "    pm.response.to.have.status(200);",
                    "    const body = pm.response.json();",
                    '    pm.expect(body.access_token).to.be.a("string").and.not.empty;',
                    '    pm.collectionVariables.set("ACCESS_TOKEN", body.access_token);',
                    "});",
                ],
            )
        ]
    logon = Request(
        "Logging on (xtk:session#Logon)",
        "POST",
        ROUTER,
        headers=(("Content-Type", "text/xml; charset=utf-8"), ("SOAPAction", "xtk:session#Logon")),
        body=envelope(
            "xtk:session",
            "Logon",
            "<urn:strLogin>{{LOGIN}}</urn:strLogin>",
            "<urn:strPassword>{{PASSWORD}}</urn:strPassword>",
            "<urn:elemParameters><parameters/></urn:elemParameters>",
        ),
        auth=NO_AUTH,
        description="LOGIN and PASSWORD go into XML as they are: escape `&` and `<` in them.",
        tests=js_lines(
            NO_FAULT,
            OUTPUT_OF,
            [
                'pm.test("a session and a security token, saved", function () {',
                '    const session = output("pstrSessionToken"), security = output("pstrSecurityToken");',
                "    pm.expect(session && session[1]).to.match(/^___/);",
                "    pm.expect(security && security[1]).to.match(/^@/);",
                '    pm.collectionVariables.set("SESSION_TOKEN", session[1]);',
                '    pm.collectionVariables.set("SECURITY_TOKEN", security[1]);',
                "});",
            ],
        ),
    )
    return [logon]


def _staging_requests(config: V8Config) -> list[Request]:
    element, schema = config.staging_element, config.staging_schema
    row = f'email="{{{{EMAIL}}}}" firstName="{{{{FIRST_NAME}}}}" xtkschema="{schema}"'
    uuid_test = [
        'pm.test("pstrSUuids carries the new row\'s UUID", function () {',
        '    const uuids = output("pstrSUuids");',
        "    pm.expect(uuids, 'a pstrSUuids output').to.not.equal(null);",
        f"    pm.expect(uuids[1]).to.match({UUID});",
        "});",
    ]
    empty_test = [
        'pm.test("pstrSUuids is empty: the row was reconciled by _key", function () {',
        '    const uuids = output("pstrSUuids");',
        "    pm.expect(uuids, 'a pstrSUuids output').to.not.equal(null);",
        "    pm.expect(uuids[1] || '').to.eql('');",
        "});",
    ]
    logon = config.auth == "logon"
    return [
        _soap(
            logon,
            "Ingesting a profile without a key (xtk:session#Ingest)",
            "xtk:session",
            "Ingest",
            (f"<urn:domDoc><{element} {row}/></urn:domDoc>",),
            js_lines(_response("Ingest"), OUTPUT_OF, uuid_test),
            description="Ingest inserts only; without `_key` the answer is the new staging row's UUID.",
        ),
        _soap(
            logon,
            "Ingesting a profile with a key (xtk:session#Ingest, _key)",
            "xtk:session",
            "Ingest",
            (f'<urn:domDoc><{element} _key="@email" {row}/></urn:domDoc>',),
            js_lines(_response("Ingest"), OUTPUT_OF, empty_test),
        ),
        _soap(
            logon,
            "Upserting a profile (xtk:session#IngestExt)",
            "xtk:session",
            "IngestExt",
            (f'<urn:domDoc><{element} _key="@email" {row} lastName="{{{{LAST_NAME}}}}"/></urn:domDoc>',),
            _response("IngestExt"),
            description="What the site sends for a confirmed sign-up: insert or update by address.",
        ),
        _soap(
            logon,
            "Finding a profile by email (xtk:queryDef#ExecuteQuery)",
            "xtk:queryDef",
            "ExecuteQuery",
            (
                '<urn:entity><queryDef schema="nms:recipient" operation="select" lineCount="1">'
                '<select><node expr="@id"/><node expr="@email"/><node expr="@firstName"/>'
                '<node expr="@lastName"/><node expr="@blackListEmail"/></select>'
                "<where><condition expr=\"Lower(@email) = '{{EMAIL}}'\"/></where>"
                '<orderBy><node expr="@id"/></orderBy></queryDef></urn:entity>',
            ),
            js_lines(
                _response("ExecuteQuery"),
                [
                    'pm.test("a pdomOutput with the rows found", function () {',
                    "    pm.expect(pm.response.text()).to.match(/<(\\w+:)?pdomOutput[\\s>/]/);",
                    "});",
                ],
            ),
            description="Staged writes show here once Campaign's workflow has applied them (hourly).",
        ),
    ]


def _subscription_requests(logon: bool) -> list[Request]:
    recipient = '<urn:elemRecipient><recipient _key="@email" email="{{EMAIL}}"/></urn:elemRecipient>'
    service = "<urn:strServiceName>{{SERVICE_NAME}}</urn:strServiceName>"
    return [
        _soap(
            logon,
            "Subscribing a profile to a service (nms:subscription#Subscribe)",
            "nms:subscription",
            "Subscribe",
            (service, recipient, "<urn:bCreate>true</urn:bCreate>"),
            _response("Subscribe"),
        ),
        _soap(
            logon,
            "Unsubscribing a profile from a service (nms:subscription#Unsubscribe)",
            "nms:subscription",
            "Unsubscribe",
            (service, recipient),
            _response("Unsubscribe"),
            description="Never with an empty service name: Campaign would put the person on the denylist.",
        ),
    ]


def v8_collection(config: V8Config, *, email: str, service: str) -> Collection:
    """The collection for this v8 instance and its V8_AUTH."""
    settings = [Setting("V8_URL", config.url), Setting("EMAIL", email), Setting("SERVICE_NAME", service)]
    settings += [Setting("FIRST_NAME", "Postman"), Setting("LAST_NAME", "Collection")]
    if config.auth == "ims":
        settings += [
            Setting("IMS_URL", config.ims_url),
            Setting("CLIENT_ID", config.client_id),
            Setting("CLIENT_SECRET", config.client_secret, secret=True),
            Setting("SCOPES", ",".join(config.scopes)),
        ]
    else:
        settings += [Setting("LOGIN", config.login), Setting("PASSWORD", config.password, secret=True)]
    return Collection(
        name=f"signup_site: Adobe Campaign v8 ({config.auth})",
        description=(
            "The SOAP calls signup_site makes to Adobe Campaign v8 (xtk:session#Ingest/IngestExt, "
            "nms:subscription#Subscribe/Unsubscribe, xtk:queryDef#ExecuteQuery). Run it in order."
        ),
        folders=[
            Folder("Authentication", _auth_requests(config)),
            Folder("Profiles management", _staging_requests(config)),
            Folder("Services management", _subscription_requests(config.auth == "logon")),
        ],
        settings=settings,
        chained=["ACCESS_TOKEN", "SESSION_TOKEN", "SECURITY_TOKEN"],
        auth=bearer("{{ACCESS_TOKEN}}") if config.auth == "ims" else NO_AUTH,
    )
