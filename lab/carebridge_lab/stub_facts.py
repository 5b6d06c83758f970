"""The CAISI Integrator's wire contract as facts, read from OSCAR's JAX-WS client stubs.

OSCAR talks to the integrator through stubs wsimport generated from the integrator's
WSDLs (decompiled in openo-beta/Open-O, ``src/main/java/ca/openosp/openo/caisi_integrator/ws``
and, for the HNR types, ``src/main/java/ca/openosp/openo/ws``). Their annotations are the
contract: ``@XmlType`` names and ``propOrder``, field types, ``@WebMethod`` wrappers,
``@WebParam``/``@WebResult`` names, ``@WebFault``s. This reads those facts and writes
``services/carebridge/contracts/caisi_integrator.json``, from which carebridge builds the
services; rerun it when the stubs change:

    python -m carebridge_lab.stub_facts STUB_DIR [HNR_STUB_DIR] > .../caisi_integrator.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

TNS = "http://ws.caisi_integrator.oscarehr.org/"
HNR_TNS = "http://ws.hnr.oscarehr.org/"

_XML_TYPE = re.compile(r'@XmlType\(name = "([^"]*)"(?:, propOrder = \{([^}]*)\})?\)')
_CLASS = re.compile(r"public (?:abstract )?(class|enum) (\w+)(?: extends (\w+))?")
_FIELD = re.compile(r"^    protected ([\w<>\[\]]+) (\w+);", re.M)
_ENUM_VALUE = re.compile(
    r'^    (?:@XmlEnumValue\("([^"]+)"\)\s+)?([A-Z][A-Z0-9_]*)(?:\("[^"]*"\))?[,;]', re.M)
_WEB_SERVICE = re.compile(r'@WebService\(targetNamespace = "([^"]+)", name = "(\w+)"\)')
_METHOD = re.compile(
    r'@RequestWrapper\(localName = "(\w+)"[^)]*\)\s+'
    r'@ResponseWrapper\(localName = "(\w+)"[^)]*\)\s+'
    r'(?:@WebResult\(name = "(\w+)"[^)]*\)\s+)?'
    r'([\w<>\[\]]+) (\w+)\(([^;]*)\)( throws [\w, ]+)?;')
_FAULT = re.compile(r'@WebFault\(name = "(\w+)", targetNamespace = "([^"]+)"\)')
_SERVICE = re.compile(r'@WebServiceClient\(name = "(\w+)", wsdlLocation = "file:(\w+)\.wsdl"')
_ENDPOINT = re.compile(r'@WebEndpoint\(name = "(\w+)"\)')

_SIMPLE = {
    "String": ("string", False), "Integer": ("int", False), "int": ("int", True),
    "Long": ("long", False), "long": ("long", True), "Boolean": ("boolean", False),
    "boolean": ("boolean", True), "Float": ("float", False), "float": ("float", True),
    "Double": ("double", False), "double": ("double", True), "byte[]": ("base64Binary", False),
    "Calendar": ("dateTime", False), "XMLGregorianCalendar": ("dateTime", False),
    "DataHandler": ("base64Binary", False),
}


def field_fact(java_type: str, name: str, annotations: str,
               type_names: dict[tuple[str, str], str], namespace: str) -> dict[str, Any]:
    """One element of a JAXB bean: the XSD type and cardinality JAXB derives from Java."""
    element_name = re.search(r'@XmlElement\([^)]*name = "(\w+)"', annotations)
    repeated = java_type.startswith("List<")
    inner = java_type[5:-1] if repeated else java_type
    if inner in _SIMPLE:
        xsd, primitive = _SIMPLE[inner]
        kind = f"xs:{xsd}"
    else:
        primitive = False
        kind = type_names.get((namespace, inner)) or next(
            qname for (_ns, java), qname in type_names.items() if java == inner)
    required = primitive or "required = true" in annotations
    fact: dict[str, Any] = {"name": element_name.group(1) if element_name else name,
                            "type": kind, "min": 1 if required and not repeated else 0,
                            "max": "unbounded" if repeated else 1}
    if "nillable = true" in annotations:
        fact["nillable"] = True
    return fact


Sources = dict[tuple[str, str], str]


def read_types(sources: Sources) -> dict[tuple[str, str], Any]:
    """Every ``@XmlType`` bean and enum, keyed by (namespace, Java class name)."""
    heads = {}
    for (namespace, java), text in sources.items():
        xml_type, declared = _XML_TYPE.search(text), _CLASS.search(text)
        if xml_type and declared and declared.group(2) == java:
            heads[namespace, java] = (xml_type, declared, text)
    prefix = {TNS: "tns", HNR_TNS: "hnr"}
    type_names = {key: f"{prefix[key[0]]}:{m.group(1)}" for key, (m, _d, _t) in heads.items()}
    types: dict[tuple[str, str], Any] = {}
    for (namespace, java), (xml_type, declared, text) in sorted(heads.items()):
        fact: dict[str, Any] = {"qname": type_names[namespace, java]}
        if declared.group(1) == "enum":
            fact["enum"] = [value or constant for value, constant in _ENUM_VALUE.findall(text)]
        else:
            if declared.group(3) and (namespace, declared.group(3)) in type_names:
                fact["base"] = type_names[namespace, declared.group(3)]
            if "abstract class" in text:
                fact["abstract"] = True
            body = text[declared.end():]
            fields = {}
            previous = 0
            for match in _FIELD.finditer(body):
                annotations = body[previous:match.start()]
                annotations = annotations[annotations.rfind(";") + 1:]
                fields[match.group(2)] = field_fact(match.group(1), match.group(2), annotations,
                                                    type_names, namespace)
                previous = match.end()
            order = [name.strip().strip('"') for name in (xml_type.group(2) or "").split(",")]
            fact["fields"] = [fields[name] for name in order if name]
            if set(fields) - set(order):
                raise ValueError(f"{java}: fields outside propOrder {set(fields) - set(order)}")
        types[namespace, java] = fact
    return types


def read_services(sources: Sources, types: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """Each ``@WebService`` interface: its service and port names and its operations."""
    faults = {}
    for (_ns, java), text in sources.items():
        fault = _FAULT.search(text)
        if fault:
            prefix = "hnr" if fault.group(2) == HNR_TNS else "tns"
            faults[java] = f"{prefix}:{fault.group(1)}"
    services: dict[str, Any] = {}
    for (namespace, java), text in sorted(sources.items()):
        web_service = _WEB_SERVICE.search(text)
        if not web_service or " interface " not in text:
            continue
        client = sources[namespace, f"{java}Service"]
        service = _SERVICE.search(client)
        endpoint = _ENDPOINT.search(client)
        assert service and endpoint, java
        operations = []
        for match in _METHOD.finditer(text):
            request, response, _result, returns, method, _params, throws = match.groups()
            request_type = types[namespace, request[0].upper() + request[1:]]
            response_type = types[namespace, response[0].upper() + response[1:]]
            assert request_type["qname"] == "tns:" + request and method == request, method
            operations.append({
                "name": method,
                "input": request_type["fields"],
                "output": response_type["fields"],
                "void": returns == "void",
                "faults": [faults[name.strip()] for name in (throws or "")[8:].split(",")
                           if name.strip()],
            })
        services[web_service.group(2)] = {
            "service": service.group(1), "wsdl": service.group(2) + ".wsdl",
            "port": endpoint.group(1), "operations": sorted(operations, key=lambda o: o["name"]),
        }
    return services


def reachable(services: dict[str, Any], beans: dict[str, Any]) -> set[str]:
    """The types some operation's input, output or fault refers to, directly or not."""
    todo = [f["type"] for s in services.values() for o in s["operations"]
            for f in o["input"] + o["output"]]
    todo += [fault for s in services.values() for o in s["operations"] for fault in o["faults"]]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in beans:
            continue
        seen.add(name)
        todo += [f["type"] for f in beans[name].get("fields", [])]
        todo += [beans[name]["base"]] if "base" in beans[name] else []
    return seen


def main(argv: list[str]) -> None:
    sources: Sources = {}
    for directory, namespace in zip(argv[1:], (TNS, HNR_TNS), strict=False):
        for path in sorted(Path(directory).glob("*.java")):
            sources[namespace, path.stem] = path.read_text(encoding="utf-8")
    types = read_types(sources)
    services = read_services(sources, types)
    beans = {fact.pop("qname"): fact for fact in types.values()}
    used = reachable(services, beans)
    catalogue = {
        "source": "OSCAR's CAISI Integrator client stubs (openo-beta/Open-O, decompiled)",
        "namespaces": {"tns": TNS, "hnr": HNR_TNS},
        "types": {name: beans[name] for name in sorted(used)},
        "services": services,
    }
    json.dump(catalogue, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
