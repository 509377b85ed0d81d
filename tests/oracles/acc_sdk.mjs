// Adobe's own Campaign Classic / v8 client, @adobe/acc-js-sdk (pinned by
// package-lock.json), driven against the v8 emulator by tests/test_v8_sdk_oracle.py:
// what Adobe's SDK sends, and what it makes of the emulator's answers.
//
// Reads one JSON object on stdin:
//   {"url": V8_URL, "auth": "logon" | "ims", "login": ..., "password": ...,
//    "token": IMS bearer token, "calls": [call, ...]}
// where a call is one of
//   {"call": "ExecuteQuery", "xml": "<queryDef .../>"}
//   {"call": "Ingest" | "IngestExt", "xml": "<recipientStg ... xtkschema=\"nms:recipientStg\"/>"}
//   {"call": "Subscribe", "service": "NEWSLETTER", "xml": "<recipient .../>", "create": true}
//   {"call": "Unsubscribe", "service": "NEWSLETTER", "xml": "<recipient .../>"}
//   {"call": "ExpireSessions"}  (the emulator's control, between two calls)
// and writes one JSON object on stdout:
//   {"logon": null | error, "results": [{"ok": value} | {"error": error}, ...],
//    "refreshes": how many times the SDK called its refreshClient hook}
// An error is the SDK's CampaignException: {message, statusCode, errorCode, faultCode}.
import sdk from "@adobe/acc-js-sdk";

const DomUtil = sdk.DomUtil;

async function readInput() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf-8"));
}

function describe(error) {
  return {
    message: String(error && error.message),
    statusCode: error && error.statusCode,
    errorCode: (error && error.errorCode) || "",
    faultCode: String((error && error.faultCode) || ""),
  };
}

function element(xml) {
  return DomUtil.parse(xml).documentElement;
}

function attributes(node) {
  if (!node) return null;
  const found = {};
  for (const attribute of Array.from(node.attributes)) found[attribute.name] = attribute.value;
  return found;
}

// What an answer holds, as JSON: an element's XML, a string, or null.
function plain(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === "object" && value.nodeType) return DomUtil.toXMLString(value);
  return value;
}

async function run(client, input, call) {
  const NLWS = client.NLWS.xml; // the XML representation: DOM in, DOM out
  switch (call.call) {
    case "ExecuteQuery": {
      const output = await NLWS.xtkQueryDef.create(element(call.xml)).executeQuery();
      const rows = output ? Array.from(output.childNodes).filter((n) => n.nodeType === 1) : [];
      return { xml: plain(output), root: attributes(output), rows: rows.map(attributes) };
    }
    case "Ingest":
      return await NLWS.xtkSession.ingest(element(call.xml));
    case "IngestExt":
      return plain(await NLWS.xtkSession.ingestExt(element(call.xml)));
    case "Subscribe":
      return plain(await NLWS.nmsSubscription.subscribe(call.service, element(call.xml), call.create));
    case "Unsubscribe":
      return plain(await NLWS.nmsSubscription.unsubscribe(call.service, element(call.xml)));
    case "ExpireSessions": {
      const response = await fetch(`${input.url}/_control/expire`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sessions: true, tokens: false }),
      });
      return await response.json();
    }
    default:
      throw new Error(`unknown call ${call.call}`);
  }
}

const input = await readInput();
let refreshes = 0;
const options = {
  // Called on what the SDK takes for an expired session or token (HTTP 401,
  // or XSV-350008 anywhere in the answer): log on again, then the SDK resends once.
  refreshClient: async (client) => {
    refreshes += 1;
    await client.logon();
    return client;
  },
};
const connection =
  input.auth === "ims"
    ? sdk.ConnectionParameters.ofImsBearerToken(input.url, input.token, options)
    : sdk.ConnectionParameters.ofUserAndPassword(input.url, input.login, input.password, options);
const client = await sdk.init(connection);
const outcome = { logon: null, results: [], refreshes: 0 };
try {
  await client.logon();
} catch (error) {
  outcome.logon = describe(error);
}
if (!outcome.logon) {
  for (const call of input.calls) {
    try {
      outcome.results.push({ ok: await run(client, input, call) });
    } catch (error) {
      outcome.results.push({ error: describe(error) });
    }
  }
  if (input.auth !== "ims") await client.logoff();
}
outcome.refreshes = refreshes;
process.stdout.write(JSON.stringify(outcome));
