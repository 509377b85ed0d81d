"""The schema documents the emulated instance serves through
`xtk:persist#GetEntityIfMoreRecent`: clients such as Adobe's acc-js-sdk read
method signatures from them before calling a method (`client.js`,
`getSchema`, `MethodCache.put`).

Only the methods the emulator serves, written from Adobe's pages:
- `xtk:session` `Logon`: the `SoapService.addMethod` example of "Web service
  calls" (login, password, parameters in; sessionToken, sessionInfo,
  securityToken out);
- `xtk:session` `Ingest` / `IngestExt`: "Specific FFDA Campaign APIs". The
  page shows only envelopes (`<urn:domDoc>` in, `pstrSUuids` out), so the
  parameter names follow Campaign's WSDL naming, a type prefix and the
  capitalised name (`login`/string -> `strLogin`, `output`/DOMDocument ->
  `pdomOutput`): `doc`/DOMDocument and `sUuids`/string;
- `xtk:queryDef` `ExecuteQuery`: "Web service calls" and "Data oriented
  APIs" (a const method: the queryDef itself is its input);
- `nms:subscription` `Subscribe` / `Unsubscribe`: "Business oriented APIs".
  That page types `create` as "Boolean"; acc-js-sdk only knows "boolean"
  (its type names are case-sensitive), so it is spelt that way here.
"""

import hashlib

from lxml import etree

SESSION = """
<schema namespace="xtk" name="session" implements="xtk:persist" xtkschema="xtk:schema"
        label="Sessions to the application server">
  <element name="session"/>
  <element name="sessionInfo"/>
  <methods>
    <method name="Logon" static="true">
      <parameters>
        <param name="login" type="string"/>
        <param name="password" type="string"/>
        <param name="parameters" type="DOMElement"/>
        <param name="sessionToken" type="string" inout="out"/>
        <param name="sessionInfo" type="DOMElement" inout="out"/>
        <param name="securityToken" type="string" inout="out"/>
      </parameters>
    </method>
    <method name="Logoff" static="true"/>
    <method name="Ingest" static="true">
      <parameters>
        <param name="doc" type="DOMDocument" desc="A row of a staging schema (xtkschema=...Stg)"/>
        <param name="sUuids" type="string" inout="out" desc="The new row's UUID; empty with _key"/>
      </parameters>
    </method>
    <method name="IngestExt" static="true">
      <parameters>
        <param name="doc" type="DOMDocument" desc="A row of a staging schema, reconciled on _key"/>
      </parameters>
    </method>
  </methods>
</schema>
"""

QUERY_DEF = """
<schema namespace="xtk" name="queryDef" xtkschema="xtk:schema" label="Query definition">
  <element name="queryDef"/>
  <methods>
    <method name="ExecuteQuery" const="true">
      <help>Retrieve data from a query</help>
      <parameters>
        <param name="output" type="DOMDocument" inout="out" desc="Output xml document"/>
      </parameters>
    </method>
  </methods>
</schema>
"""

SUBSCRIPTION = """
<schema namespace="nms" name="subscription" implements="xtk:persist" xtkschema="xtk:schema"
        label="Subscriptions">
  <element name="subscription"/>
  <methods>
    <method name="Subscribe" static="true">
      <parameters>
        <param name="serviceName" type="string" desc="List of information service names (comma separated)"/>
        <param name="recipient" type="DOMElement" desc="Recipient"/>
        <param name="create" type="boolean" desc="Create recipient if it does not exist"/>
      </parameters>
    </method>
    <method name="Unsubscribe" static="true">
      <parameters>
        <param name="serviceName" type="string" desc="List of information service names (comma separated)"/>
        <param name="recipient" type="DOMElement" desc="Recipient"/>
      </parameters>
    </method>
  </methods>
</schema>
"""

SCHEMAS = {"xtk:session": SESSION, "xtk:queryDef": QUERY_DEF, "nms:subscription": SUBSCRIPTION}


def schema_document(schema_id: str) -> etree._Element | None:
    """The compiled schema `schema_id` ("nms:subscription"), with its md5, or None."""
    text = SCHEMAS.get(schema_id)
    if text is None:
        return None
    root = etree.fromstring(text.strip(), etree.XMLParser(remove_blank_text=True))
    root.set("md5", hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().upper())
    return root
