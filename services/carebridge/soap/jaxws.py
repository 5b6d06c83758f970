"""JAX-WS conventions Spyne does not follow by itself.

A JAX-WS (JAXB) service leaves local elements unqualified: the wrapper element of
a document/literal wrapped operation is in the target namespace, its children
(``arg0``, ``return`` and everything inside) are in no namespace. Spyne reads
children by local name already; these helpers make what it writes match, and
make its generated WSDL say so.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

WSDL = "http://schemas.xmlsoap.org/wsdl/"
XSD = "http://www.w3.org/2001/XMLSchema"
SOAP11_BINDING = "http://schemas.xmlsoap.org/wsdl/soap/"


def unqualify_descendants(wrapper: etree._Element) -> None:
    """Move every element below ``wrapper`` into no namespace."""
    for element in wrapper.iterdescendants():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.split("}", 1)[1]
    etree.cleanup_namespaces(wrapper)


def apply_to_wsdl(root: etree._Element, port_names: Mapping[str, str]) -> None:
    """Rewrite a Spyne-built WSDL tree in place to the JAX-WS shape.

    ``port_names`` maps Spyne's port name (the port type's name) to the JAX-WS
    port name, e.g. ``{"FacilityWs": "FacilityWsPort"}``.
    """
    for schema in root.iter(f"{{{XSD}}}schema"):
        schema.set("elementFormDefault", "unqualified")
        for element in schema.iter(f"{{{XSD}}}element"):
            if element.get("nillable") == "true":
                del element.attrib["nillable"]
    _drop_unreferenced_elements(root)
    bindings = {b.get("name"): b for b in root.iter(f"{{{WSDL}}}binding")}
    for port in root.iter(f"{{{WSDL}}}port"):
        name = port_names.get(port.get("name", ""), port.get("name", ""))
        port.set("name", name)
        # JAX-WS RI names a port's binding <port>Binding.
        prefix, _, old = port.get("binding", "").rpartition(":")
        if old in bindings:
            bindings[old].set("name", name + "Binding")
            port.set("binding", f"{prefix}:{name}Binding" if prefix else name + "Binding")
    for operation in root.iter(f"{{{SOAP11_BINDING}}}operation"):
        operation.set("soapAction", "")
    faults = {f.get("message", "").rpartition(":")[2] for f in root.iter(f"{{{WSDL}}}fault")}
    for message in root.iter(f"{{{WSDL}}}message"):
        for part in message.iter(f"{{{WSDL}}}part"):
            part.set("name", "fault" if message.get("name") in faults else "parameters")
    for operation in root.iter(f"{{{WSDL}}}operation"):
        operation.attrib.pop("parameterOrder", None)


def _drop_unreferenced_elements(root: etree._Element) -> None:
    """Spyne declares a global element per complex type; JAX-WS only per message part."""
    used = {
        part.get("element", "").rpartition(":")[2] for part in root.iter(f"{{{WSDL}}}part")
    }
    for schema in root.iter(f"{{{XSD}}}schema"):
        for element in schema.findall(f"{{{XSD}}}element"):
            if element.get("name") not in used:
                schema.remove(element)
