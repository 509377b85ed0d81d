"""An emulated Adobe Campaign v8 (Enterprise/FFDA) SOAP API, for tests and development.

Serves `POST /emulator/v8/nl/jsp/soaprouter.jsp` with `xtk:session#Logon`,
`#Logoff`, `#Ingest`, `#IngestExt`, `nms:subscription#Subscribe`,
`#Unsubscribe`, `xtk:queryDef#ExecuteQuery`, `nms:rtEvent#PushEvent` and
`xtk:persist#GetEntityIfMoreRecent` (the schema documents SDKs read method
signatures from), written from campaign-api.md §C and Adobe's v8 pages, apart
from the client: it imports nothing from `signup_site.campaign`. Adobe's
acc-js-sdk is run against it as an oracle (tests/test_v8_sdk_oracle.py).

- `xml`: the hardened request parser, answers and faults (HTTP 200).
- `xtk`: xtk expressions and queryDef execution.
- `store`: staging and the cloud tables; `replicate()` is the hourly workflow.
- `methods`: the SOAP methods, parameters read by position.
- `schemas`: the schema documents of the methods it serves.
- `views`: the router (auth, injected faults and latency, request log).
- `control`: the `_control/` endpoints (the control API of ../control.py).
"""
