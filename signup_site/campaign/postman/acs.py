"""The ACS requests the site makes, as Adobe's "KB_postman_collection.json"
lays them out (Campaign Standard API guide; folders "Profiles management",
"Services management", "Transactional messaging"), with the site's own
choices: profiles found by email before any create, subscriptions made on the
profile's `subscriptions` link and removed by DELETE on the subscription's
own `href` (never the service's), events posted under `mc<tenant>`.

Links the API returns are followed, never assembled: a test saves
`subscriptions.href` from the created profile and the subscription's `href`
from the listing, and the next requests use them as they are.
"""

from ..config import ACSConfig
from . import NO_AUTH, Collection, Folder, Request, Setting, bearer, js_lines

BASE = "{{API_URL}}/{{ORGANIZATION}}/campaign"
PROFILES = BASE + "/profileAndServices/profile"
SERVICES = BASE + "/profileAndServices/service"
EVENTS = BASE + "/{{TRANSACTIONAL_API}}/{{EVENT_ID}}"
# "Setting up API access": every call carries these beside the bearer token;
# "Transactional messages": a body's Content-Type must name its charset.
HEADERS = (("X-Api-Key", "{{API_KEY}}"), ("Cache-Control", "no-cache"))
JSON_HEADERS = (*HEADERS, ("Content-Type", "application/json;charset=utf-8"))
EVENT_STATUSES = (
    "pending",
    "processing",
    "processed",
    "deliveryFailed",
    "routingFailed",
    "ignored",
    "tooOld",
    "targetingFailed",
)


def _status(code: int, what: str) -> list[str]:
    return [
        f'pm.test("HTTP {code}: {what}", function () {{',
        f"    pm.response.to.have.status({code});",
        "});",
    ]


def _json_test(title: str, *lines: str) -> list[str]:
    return [
        f'pm.test("{title}", function () {{',
        "    const body = pm.response.json();",
        *(f"    {line}" for line in lines),
        "});",
    ]


def _requests_auth() -> list[Request]:
    token = Request(
        "Getting an access token (IMS OAuth server-to-server)",
        "POST",
        "{{IMS_URL}}/ims/token/v3",
        form=(
            ("grant_type", "client_credentials"),
            ("client_id", "{{API_KEY}}"),
            ("client_secret", "{{CLIENT_SECRET}}"),
            ("scope", "{{SCOPES}}"),
        ),
        headers=(("Content-Type", "application/x-www-form-urlencoded"),),
        auth=NO_AUTH,
        description="Adobe IMS: `expires_in` is in seconds; there is no refresh token, ask again.",
        tests=js_lines(
            _status(200, "IMS issued a token"),
            _json_test(
                "a bearer token, saved as ACCESS_TOKEN",
                'pm.expect(body.access_token).to.be.a("string").and.not.empty;',
                'pm.expect(body.expires_in).to.be.a("number").above(0);',
                'pm.collectionVariables.set("ACCESS_TOKEN", body.access_token);',
            ),
        ),
    )
    return [token]


def _requests_profiles() -> list[Request]:
    create = Request(
        "Creating a profile",
        "POST",
        PROFILES,
        headers=JSON_HEADERS,
        body=(
            '{"email": "{{EMAIL}}", "firstName": "{{FIRST_NAME}}", "lastName": "{{LAST_NAME}}",'
            ' "preferredLanguage": "en_us"}'
        ),
        description="Profiles are not de-duplicated by email: the site looks the address up first.",
        tests=js_lines(
            _status(201, "the profile was created"),
            _json_test(
                "the full profile, its PKey saved as PKEY and its subscriptions link as SUBSCRIPTIONS_HREF",
                'pm.expect(body.PKey).to.be.a("string").and.match(/^@/);',
                'pm.expect(body.email).to.eql(pm.variables.get("EMAIL"));',
                'pm.expect(body.subscriptions.href).to.be.a("string").and.not.empty;',
                'pm.collectionVariables.set("PKEY", body.PKey);',
                'pm.collectionVariables.set("SUBSCRIPTIONS_HREF", body.subscriptions.href);',
            ),
        ),
    )
    get = Request(
        "Retrieving a profile by PKey",
        "GET",
        PROFILES + "/{{PKEY}}",
        headers=HEADERS,
        tests=js_lines(
            _status(200, "the profile"),
            _json_test(
                "a bare profile object with that PKey and address",
                'pm.expect(body.PKey).to.eql(pm.variables.get("PKEY"));',
                'pm.expect(body.email).to.eql(pm.variables.get("EMAIL"));',
                'pm.expect(body).to.have.property("blackListEmail");',
            ),
        ),
    )
    find = Request(
        "Retrieving a profile by email",
        "GET",
        PROFILES + "/byEmail?email={{EMAIL}}",
        headers=HEADERS,
        tests=js_lines(
            _status(200, "the profiles with that address"),
            _json_test(
                "a collection holding the created profile",
                'pm.expect(body.content).to.be.an("array").that.is.not.empty;',
                "const keys = body.content.map(function (profile) { return profile.PKey; });",
                'pm.expect(keys).to.include(pm.variables.get("PKEY"));',
            ),
        ),
    )
    patch = Request(
        "Updating a profile",
        "PATCH",
        PROFILES + "/{{PKEY}}",
        headers=JSON_HEADERS,
        body='{"lastName": "{{LAST_NAME}}", "phone": "3301020304", "blackListEmail": false}',
        description="Only the fields given change (Adobe's example patches `phone`).",
        tests=js_lines(
            _status(200, "the profile was updated"),
            _json_test(
                "the PKey and a link to read it back",
                'pm.expect(body.PKey).to.eql(pm.variables.get("PKEY"));',
                'pm.expect(body.href).to.be.a("string").and.not.empty;',
            ),
        ),
    )
    return [create, get, find, patch]


def _requests_services() -> list[Request]:
    listing = Request(
        "Retrieving all services",
        "GET",
        SERVICES,
        headers=HEADERS,
        tests=js_lines(
            _status(200, "the services"),
            _json_test(
                "a collection holding SERVICE_NAME, its PKey saved as SERVICE_PKEY",
                'pm.expect(body.content).to.be.an("array");',
                'const name = pm.variables.get("SERVICE_NAME");',
                "const found = body.content.find(function (service) { return service.name === name; });",
                "pm.expect(found, name + ' among the services').to.be.an('object');",
                'pm.expect(found.subscriptions.href).to.be.a("string");',
                'pm.collectionVariables.set("SERVICE_PKEY", found.PKey);',
            ),
        ),
    )
    by_text = Request(
        "Retrieving a service by its name (byText)",
        "GET",
        SERVICES + "/byText?text={{SERVICE_NAME}}",
        headers=HEADERS,
        description="A text search: the site keeps only the service whose `name` is exactly the one asked.",
        tests=js_lines(
            _status(200, "the services whose text matches"),
            _json_test(
                "the exact name among them, with the same PKey",
                'const name = pm.variables.get("SERVICE_NAME");',
                "const found = body.content.find(function (service) { return service.name === name; });",
                'pm.expect(found.PKey).to.eql(pm.variables.get("SERVICE_PKEY"));',
            ),
        ),
    )
    subscribe = Request(
        "Subscribing a profile to a service",
        "POST",
        "{{SUBSCRIPTIONS_HREF}}",
        headers=JSON_HEADERS,
        body='{"service": {"PKey": "{{SERVICE_PKEY}}"}}',
        description="POSTed to the profile's own `subscriptions` link.",
        tests=js_lines(
            _status(201, "the subscription was created"),
            _json_test(
                "a subscription object",
                'pm.expect(body.PKey).to.be.a("string").and.not.empty;',
                'pm.expect(body.href).to.be.a("string").and.not.empty;',
            ),
        ),
    )
    subscriptions = Request(
        "Retrieving a profile's subscriptions",
        "GET",
        "{{SUBSCRIPTIONS_HREF}}",
        headers=HEADERS,
        tests=js_lines(
            _status(200, "the profile's subscriptions"),
            _json_test(
                "SERVICE_NAME among them, its own link saved as SUBSCRIPTION_HREF",
                'const name = pm.variables.get("SERVICE_NAME");',
                "const found = body.content.find(function (item) { return item.serviceName === name; });",
                "pm.expect(found, 'subscribed to ' + name).to.be.an('object');",
                'pm.collectionVariables.set("SUBSCRIPTION_HREF", found.href);',
            ),
        ),
    )
    unsubscribe = Request(
        "Deleting a subscription (unsubscribing)",
        "DELETE",
        "{{SUBSCRIPTION_HREF}}",
        headers=HEADERS,
        description="DELETE on the subscription's own link (on the service's URL it deletes the service).",
        tests=_status(204, "the subscription is gone"),
    )
    return [listing, by_text, subscribe, subscriptions, unsubscribe]


def _requests_events() -> list[Request]:
    statuses = ", ".join(f'"{status}"' for status in EVENT_STATUSES)
    send = Request(
        "Sending a transactional event",
        "POST",
        EVENTS,
        headers=JSON_HEADERS,
        body='{"email": "{{EMAIL}}", "ctx": {"firstName": "{{FIRST_NAME}}"}}',
        description="Under `mc<tenant>` (TRANSACTIONAL_API), which is not always the organization.",
        tests=js_lines(
            [
                'pm.test("HTTP 2xx: the event was accepted", function () {',
                "    pm.expect(pm.response.code).to.be.within(200, 299);",
                "});",
            ],
            _json_test(
                "a pending event, its PKey saved as EVENT_PKEY",
                'pm.expect(body.PKey).to.be.a("string").and.not.empty;',
                'pm.expect(body.status).to.eql("pending");',
                'pm.collectionVariables.set("EVENT_PKEY", body.PKey);',
            ),
        ),
    )
    status = Request(
        "Retrieving the status of a transactional event",
        "GET",
        EVENTS + "/{{EVENT_PKEY}}",
        headers=HEADERS,
        tests=js_lines(
            _status(200, "the event"),
            _json_test(
                "one of the documented statuses",
                'pm.expect(body.PKey).to.eql(pm.variables.get("EVENT_PKEY"));',
                f"pm.expect([{statuses}]).to.include(body.status);",
            ),
        ),
    )
    return [send, status]


def acs_collection(config: ACSConfig, *, email: str, service: str, event_id: str) -> Collection:
    """The collection for this ACS organization."""
    return Collection(
        name=f"signup_site: Adobe Campaign Standard ({config.organization})",
        description=(
            "The requests signup_site makes to Adobe Campaign Standard, laid out as Adobe's request "
            "collection. Run it in order: each request's tests save what the next one needs."
        ),
        folders=[
            Folder("Authentication", _requests_auth(), "Adobe IMS, OAuth server-to-server."),
            Folder("Profiles management", _requests_profiles()),
            Folder("Services management", _requests_services()),
            Folder("Transactional messaging", _requests_events()),
        ],
        settings=[
            Setting("IMS_URL", config.ims_url),
            Setting("API_URL", config.api_url),
            Setting("ORGANIZATION", config.organization),
            Setting("TRANSACTIONAL_API", config.transactional_api),
            Setting("API_KEY", config.client_id),
            Setting("CLIENT_SECRET", config.client_secret, secret=True),
            Setting("SCOPES", ",".join(config.scopes)),
            Setting("EVENT_ID", event_id),
            Setting("SERVICE_NAME", service),
            Setting("EMAIL", email),
            Setting("FIRST_NAME", "Postman"),
            Setting("LAST_NAME", "Collection"),
        ],
        chained=[
            "ACCESS_TOKEN",
            "PKEY",
            "SUBSCRIPTIONS_HREF",
            "SERVICE_PKEY",
            "SUBSCRIPTION_HREF",
            "EVENT_PKEY",
        ],
        auth=bearer("{{ACCESS_TOKEN}}"),
    )
