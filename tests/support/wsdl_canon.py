"""A WSDL 1.1 document reduced to what a client depends on, for contract comparison.

Prefixes, declaration order, documentation and the endpoint address drop out;
names, namespaces, types, occurrence bounds, element form, sequence order,
messages, operations, bindings (style, soapAction, use) and service/port names stay.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD = "http://www.w3.org/2001/XMLSchema"


def _qname(element: etree._Element, value: str | None) -> str | None:
    if value is None:
        return None
    prefix, _, local = value.rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    return f"{{{namespace}}}{local}" if namespace else local


def _particles(element: etree._Element) -> list[Any]:
    out: list[Any] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        if local == "element":
            out.append({
                "name": child.get("name"), "ref": _qname(child, child.get("ref")),
                "type": _qname(child, child.get("type")),
                "min": child.get("minOccurs", "1"), "max": child.get("maxOccurs", "1"),
                "nillable": child.get("nillable", "false"),
                "children": _particles(child),
            })
        elif local in ("sequence", "choice", "all", "complexContent", "extension",
                       "complexType"):
            inner = _particles(child)
            if local in ("sequence", "complexType") and not inner:
                continue  # <complexType/> and <complexType><sequence/></complexType> agree
            out.append({local: inner, "base": _qname(child, child.get("base"))})
        elif local == "any":
            out.append({"any": child.get("namespace", "##any"),
                        "min": child.get("minOccurs", "1"), "max": child.get("maxOccurs", "1")})
    return out


def canonical(document: bytes) -> dict[str, Any]:
    root = etree.fromstring(document)
    schemas = {}
    for schema in root.iter(f"{{{XSD}}}schema"):
        tns = schema.get("targetNamespace")
        schemas[tns] = {
            "elementFormDefault": schema.get("elementFormDefault", "unqualified"),
            "imports": sorted((i.get("namespace"), i.get("schemaLocation"))
                              for i in schema.findall(f"{{{XSD}}}import")),
            "types": {t.get("name"): _particles(t)
                      for t in schema.findall(f"{{{XSD}}}complexType")},
            "elements": {e.get("name"): (_qname(e, e.get("type")), _particles(e))
                         for e in schema.findall(f"{{{XSD}}}element")},
        }
    messages = {
        m.get("name"): [(p.get("name"), _qname(p, p.get("element"))) for p in m]
        for m in root.findall(f"{{{WSDL}}}message")
    }
    port_types = {
        pt.get("name"): {
            op.get("name"): {io.tag.split("}")[1]: _qname(io, io.get("message")) for io in op
                             if io.tag.split("}")[1] in ("input", "output", "fault")}
            for op in pt.findall(f"{{{WSDL}}}operation")
        }
        for pt in root.findall(f"{{{WSDL}}}portType")
    }
    bindings = {}
    for binding in root.findall(f"{{{WSDL}}}binding"):
        soap_binding = binding.find(f"{{{SOAP}}}binding")
        operations = {}
        for op in binding.findall(f"{{{WSDL}}}operation"):
            soap_op = op.find(f"{{{SOAP}}}operation")
            operations[op.get("name")] = {
                "soapAction": soap_op.get("soapAction") if soap_op is not None else None,
                "style": soap_op.get("style") if soap_op is not None else None,
                "use": sorted({b.get("use") for b in op.iter(f"{{{SOAP}}}body")}),
            }
        bindings[binding.get("name")] = {
            "type": _qname(binding, binding.get("type")),
            "style": soap_binding.get("style") if soap_binding is not None else None,
            "transport": soap_binding.get("transport") if soap_binding is not None else None,
            "operations": operations,
        }
    services = {
        s.get("name"): {p.get("name"): _qname(p, p.get("binding"))
                        for p in s.findall(f"{{{WSDL}}}port")}
        for s in root.findall(f"{{{WSDL}}}service")
    }
    return {
        "targetNamespace": root.get("targetNamespace"),
        "schemas": schemas,
        "messages": messages,
        "portTypes": port_types,
        "bindings": bindings,
        "services": services,
    }
