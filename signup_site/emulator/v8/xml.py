"""SOAP in and out for the emulated v8 router: a hardened request parser and
the shapes of answers and faults (campaign-api.md §C).

Written apart from the client's code on purpose: nothing here comes from
`signup_site.campaign`.
"""

from dataclasses import dataclass

from lxml import etree

ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
NSMAP = {"SOAP-ENV": ENV, "xsi": XSI, "xsd": XSD, "ns": "http://xml.apache.org/xml-soap"}
LITERAL_XML = "http://xml.apache.org/xml-soap/literalxml"
# These answers come in this namespace (Adobe's sample Ingest answers; the
# GetEntityIfMoreRecent answers in acc-js-sdk's tests); others in urn:<schema>.
WPP_DEFAULT = "urn:wpp:default"
WPP_METHODS = frozenset({"Ingest", "IngestExt", "GetEntityIfMoreRecent"})


class BadRequest(Exception):
    """The request is not a SOAP call the router can read."""


@dataclass(frozen=True)
class Call:
    """A parsed SOAP call: `schema#method` and its positional parameters."""

    schema: str
    method: str
    params: tuple[etree._Element, ...]  # the parameter elements, sessiontoken first

    @property
    def action(self) -> str:
        return f"{self.schema}#{self.method}"

    def text(self, position: int) -> str:
        """A scalar parameter's text ("" when missing)."""
        if position >= len(self.params):
            return ""
        return (self.params[position].text or "").strip()

    def element(self, position: int) -> etree._Element | None:
        """The XML carried by a parameter: its first child element."""
        if position >= len(self.params):
            return None
        children = [child for child in self.params[position] if isinstance(child.tag, str)]
        return children[0] if children else None

    def logged(self) -> list[str]:
        """Parameters as text for the request log (the session token hidden)."""
        shown = []
        for position, param in enumerate(self.params):
            inner = self.element(position)
            if position == 0:
                shown.append("<hidden>" if (param.text or "").strip() else "")
            elif inner is not None:
                shown.append(etree.tostring(inner, encoding="unicode"))
            else:
                shown.append((param.text or "").strip())
        return shown


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )


def local_name(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def parse_call(body: bytes) -> Call:
    """Read the method element of a SOAP request; no DTD is accepted."""
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise BadRequest(f"not XML: {exc}") from None
    if root.getroottree().docinfo.doctype:
        raise BadRequest("DOCTYPE not allowed")
    if root.tag != f"{{{ENV}}}Envelope":
        raise BadRequest("not a SOAP envelope")
    bodies = [child for child in root if child.tag == f"{{{ENV}}}Body"]
    calls = [child for child in bodies[0] if isinstance(child.tag, str)] if bodies else []
    if not calls:
        raise BadRequest("no method element in the SOAP body")
    call = calls[0]
    namespace = etree.QName(call).namespace or ""
    params = tuple(child for child in call if isinstance(child.tag, str))
    return Call(schema=namespace.removeprefix("urn:"), method=local_name(call), params=params)


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{ENV}}}Envelope", nsmap=NSMAP)
    body = etree.SubElement(envelope, f"{{{ENV}}}Body")
    return envelope, body


def _serialise(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def response(schema: str, method: str, outputs: list[tuple[str, str, str | etree._Element | None]]) -> bytes:
    """`<MethodResponse>` with outputs (name, xsi type, text or element), in order."""
    envelope, body = _envelope()
    namespace = WPP_DEFAULT if method in WPP_METHODS else f"urn:{schema}"
    answer = etree.SubElement(body, f"{{{namespace}}}{method}Response", nsmap={None: namespace})
    for name, xsi_type, value in outputs:
        node = etree.SubElement(answer, f"{{{namespace}}}{name}")
        node.set(f"{{{XSI}}}type", xsi_type)
        if isinstance(value, etree._Element):
            node.set(f"{{{ENV}}}encodingStyle", LITERAL_XML)
            node.append(value)
        elif value is not None:
            node.text = value
    return _serialise(envelope)


# "Error while executing" is the server's fault; "Error while reading
# parameters" (SOP-330007) the client's: Adobe's Message Center page and
# acc-js-sdk issue #108 both show it as SOAP-ENV:Client.
SERVER_FAULTS = frozenset({"SOP-330006", "SOP-330011"})


def fault(code: str, message: str, detail: str = "") -> bytes:
    """A SOAP fault whose faultstring starts with Campaign's error code, when
    it has one (some of Campaign's faults carry none: `code` "")."""
    envelope, body = _envelope()
    node = etree.SubElement(body, f"{{{ENV}}}Fault")
    etree.SubElement(node, "faultcode").text = (
        "SOAP-ENV:Server" if code in SERVER_FAULTS else "SOAP-ENV:Client"
    )
    text = etree.SubElement(node, "faultstring")
    text.set(f"{{{XSI}}}type", "xsd:string")
    text.text = f"{code} {message}".strip()
    if detail:
        extra = etree.SubElement(node, "detail")
        extra.set(f"{{{XSI}}}type", "xsd:string")
        extra.text = detail
    return _serialise(envelope)


class Fault(Exception):
    """Raised by method handlers; the router answers it as a SOAP fault."""

    def __init__(self, code: str, message: str, detail: str = "") -> None:
        super().__init__(f"{code} {message}")
        self.code, self.message, self.detail = code, message, detail

    def body(self) -> bytes:
        return fault(self.code, self.message, self.detail)


def reading_parameters(call: Call) -> str:
    """The text of SOP-330007, as Campaign words it (no final period: acc-js-sdk
    issue #108 quotes it followed by ". " and the detail)."""
    return f"Error while reading parameters of method '{call.method}' of service '{call.schema}'"


def executing(call: Call, detail: str) -> Fault:
    """SOP-330011: the method failed while executing (with the inner error)."""
    return Fault(
        "SOP-330011",
        f"Error while executing the method '{call.method}' of service '{call.schema}'.",
        detail,
    )
