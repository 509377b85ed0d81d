"""SOAP envelopes for Adobe Campaign v8: built with lxml, read with a hardened parser.

Shapes followed:
- the request: Adobe's `acc-js-sdk` (`src/soap.js`, `SoapMethodCall`): a method
  element in the `urn:<schema>` namespace, positional parameters each typed with
  `xsi:type`, the `sessiontoken` always first, XML parameters in the
  `literalxml` encoding;
- the reply: `<MethodResponse>` matched on its local name (some answers use
  `urn:wpp:default`), outputs read by position or name (`pstrSUuids`,
  `pdomOutput`); faults in `SOAP-ENV:Fault` whatever the HTTP status
  (campaign-api.md §C);
- the literals of xtk expressions: `escapeXtk` of `acc-js-sdk` (`src/index.js`).

Nothing here sends anything: `client.py` does. Values only ever reach the XML
through lxml (attributes and text), never through string concatenation.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

NS_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_XSD = "http://www.w3.org/2001/XMLSchema"
NS_APACHE = "http://xml.apache.org/xml-soap"
SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
LITERAL_XML = "http://xml.apache.org/xml-soap/literalxml"
FAULT_CODE = re.compile(r"\b([A-Z]{3}-\d{6})\b")
DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)

type Value = str | bool | int | etree._Element | None
type Param = tuple[str, Value]


class MalformedReply(Exception):
    """The reply is not a SOAP answer we accept (broken, or carrying a DTD)."""


@dataclass(frozen=True)
class Fault:
    """A `SOAP-ENV:Fault`. `codes` are the `ABC-123456` codes in it, the
    faultstring's then the detail's; `code` is the first, or "" (some faults
    carry none). Campaign may wrap the code that matters in another: an expired
    IMS token comes as SOP-330007 with XSV-350114 in the detail (acc-js-sdk
    issue #108), so callers look in `codes`, not only at `code`."""

    code: str
    message: str
    codes: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.message


def element(tag: str, attributes: Mapping[str, object] | None = None, **kwargs: object) -> etree._Element:
    """A data element (`<recipientStg email=".."/>`); values are escaped by lxml.

    Booleans become "true"/"false" (xtk's casting accepts them); None is left out.
    Raises ValueError for text XML cannot carry (control characters).
    """
    node = etree.Element(tag)
    for name, value in {**(attributes or {}), **kwargs}.items():
        if value is None:
            continue
        node.set(name, _text(value))
    return node


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def build_envelope(schema: str, method: str, session_token: str, params: Sequence[Param]) -> bytes:
    """The request body of `schema#method` with `sessiontoken` first, then `params` in order.

    Campaign reads parameters by position; their names only document them.
    """
    envelope = etree.Element(
        f"{{{NS_ENV}}}Envelope", nsmap={"SOAP-ENV": NS_ENV, "xsi": NS_XSI, "xsd": NS_XSD, "ns": NS_APACHE}
    )
    etree.SubElement(envelope, f"{{{NS_ENV}}}Header")
    body = etree.SubElement(envelope, f"{{{NS_ENV}}}Body")
    call = etree.SubElement(body, f"{{urn:{schema}}}{method}", nsmap={"m": f"urn:{schema}"})
    call.set(f"{{{NS_ENV}}}encodingStyle", SOAP_ENCODING)
    for name, value in (("sessiontoken", session_token), *params):
        _add_param(call, name, value)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def with_session_token(envelope: bytes, session_token: str) -> bytes:
    """`envelope` (built by `build_envelope`) with `session_token` in its
    `<sessiontoken>`: how a request is signed, and signed again after a new
    logon, without rebuilding it from its parameters."""
    root = parse_xml(envelope)
    call = _children(_body_of(root))[0]
    _children(call)[0].text = session_token
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _add_param(call: etree._Element, name: str, value: Value) -> None:
    param = etree.SubElement(call, name)
    if isinstance(value, etree._Element):
        param.set(f"{{{NS_XSI}}}type", "ns:Element")
        param.set(f"{{{NS_ENV}}}encodingStyle", LITERAL_XML)
        param.append(value)
        return
    if isinstance(value, bool):
        param.set(f"{{{NS_XSI}}}type", "xsd:boolean")
    elif isinstance(value, int):
        param.set(f"{{{NS_XSI}}}type", "xsd:int")
    else:
        param.set(f"{{{NS_XSI}}}type", "xsd:string")
    if value is not None:
        param.text = _text(value)


def xtk_literal(value: str) -> str:
    """A quoted string literal for an xtk expression (acc-js-sdk `escapeXtk`):
    backslashes and single quotes are escaped, so no value can end the literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _parser() -> etree.XMLParser:
    # One parser per call: lxml parsers must not be used by two threads at once.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(body: bytes) -> etree._Element:
    """Parse a reply with no DTD, no entity expansion and no network; any
    DOCTYPE (the carrier of XXE and "billion laughs") rejects the reply."""
    if not body.strip():
        raise MalformedReply("empty reply")
    if DOCTYPE.search(body):  # refused before lxml sees it; the docinfo check covers other encodings
        raise MalformedReply("the reply carries a DOCTYPE: refused")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedReply(f"not XML: {exc}") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise MalformedReply("the reply carries a DOCTYPE: refused")
    return root


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _children(node: etree._Element) -> list[etree._Element]:
    return [child for child in node if isinstance(child.tag, str)]


def _body_of(root: etree._Element) -> etree._Element:
    if root.tag != f"{{{NS_ENV}}}Envelope":
        raise MalformedReply("no SOAP envelope")
    for child in _children(root):
        if child.tag == f"{{{NS_ENV}}}Body":
            return child
    raise MalformedReply("no SOAP body")


def find_fault(root: etree._Element) -> Fault | None:
    """The fault in a parsed envelope, if it holds one."""
    for child in _children(_body_of(root)):
        if child.tag == f"{{{NS_ENV}}}Fault":
            parts = {_local(part): "".join(part.itertext()).strip() for part in _children(child)}
            message = parts.get("faultstring", "") or parts.get("faultcode", "") or "SOAP fault"
            detail = parts.get("detail", "")
            codes = tuple(dict.fromkeys(FAULT_CODE.findall(message) + FAULT_CODE.findall(detail)))
            full = f"{message} ({detail})" if detail and detail not in message else message
            return Fault(code=codes[0] if codes else "", message=full[:1000], codes=codes)
    return None


def method_response(root: etree._Element, method: str) -> etree._Element:
    """The `<methodResponse>` element of a parsed, fault-free envelope."""
    for child in _children(_body_of(root)):
        if _local(child) == f"{method}Response":
            return child
    raise MalformedReply(f"no {method}Response in the reply")


@dataclass(frozen=True)
class Reply:
    """A reply as read: its outputs when it is a method response, else its
    fault, else what makes it unusable (`problem`)."""

    outputs: "Outputs | None" = None
    fault: Fault | None = None
    problem: str = ""


def read_reply(body: bytes, method: str) -> Reply:
    """Read the reply to `method`; never raises (the client maps what it finds)."""
    try:
        root = parse_xml(body)
        fault = find_fault(root)
        if fault is not None:
            return Reply(fault=fault)
        return Reply(outputs=Outputs.of(method_response(root, method)))
    except MalformedReply as exc:
        return Reply(problem=str(exc))


@dataclass(frozen=True)
class Outputs:
    """The positional outputs of a method response."""

    nodes: tuple[etree._Element, ...]

    @classmethod
    def of(cls, response: etree._Element) -> "Outputs":
        return cls(tuple(_children(response)))

    def text(self, name: str, position: int) -> str:
        node = self._find(name, position)
        return (node.text or "").strip() if node is not None else ""

    def document(self, name: str, position: int) -> etree._Element | None:
        """The XML carried by a `pdom...`/`pelem...` output (its first child element)."""
        node = self._find(name, position)
        if node is None:
            return None
        children = _children(node)
        return children[0] if children else None

    def _find(self, name: str, position: int) -> etree._Element | None:
        for node in self.nodes:
            if _local(node) == name:
                return node
        return self.nodes[position] if position < len(self.nodes) else None


def rows(output: etree._Element | None, tag: str) -> list[etree._Element]:
    """The rows of a queryDef answer: the element itself (`get`) or the
    `<tag>` children of a `<tag-collection>` (`select`)."""
    if output is None:
        return []
    if _local(output) == f"{tag}-collection":
        return [child for child in _children(output) if _local(child) == tag]
    return [output] if _local(output) == tag and (output.attrib or len(output)) else []


def child_attribute(row: etree._Element, path: str) -> str:
    """`link/@name` or `@name` of a queryDef row ("" when absent)."""
    *links, attribute = path.split("/")
    node: etree._Element | None = row
    for link in links:
        node = next((c for c in _children(node) if _local(c) == link), None) if node is not None else None
    return node.get(attribute.removeprefix("@"), "") if node is not None else ""
