"""OSCAR's CAISI Integrator client stubs, declared again from their facts, for a JAX-WS client.

OSCAR calls the integrator through stubs wsimport once made from the real integrator's
WSDLs (package ``org.oscarehr.caisi_integrator.ws``). Their facts are in
services/carebridge/contracts/caisi_integrator.json; this writes Java declarations with the
same annotations (``@WebService``, ``@RequestWrapper``/``@ResponseWrapper`` with the wrapper
names, ``@WebParam``/``@WebResult`` names with ``targetNamespace=""``, ``@XmlType`` names
and ``propOrder``, field types), so the client's requests and its reading of replies follow
the real stubs, not carebridge's WSDL. Only the service and port names come from the
``?wsdl`` at run time, as in OSCAR.

Dates are ``XMLGregorianCalendar`` where the stubs use ``Calendar`` behind an adapter: the
same ``xs:dateTime`` on the wire.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PACKAGE = "org.oscarehr.caisi_integrator.ws"
CATALOGUE = (Path(__file__).resolve().parents[1] / "services" / "carebridge" / "contracts"
             / "caisi_integrator.json")
_PRIMITIVE = {"xs:int": ("int", "Integer"), "xs:long": ("long", "Long"),
              "xs:boolean": ("boolean", "Boolean"), "xs:float": ("float", "Float"),
              "xs:double": ("double", "Double")}
_OBJECTS = {"xs:string": "String", "xs:dateTime": "XMLGregorianCalendar",
            "xs:base64Binary": "byte[]"}
_IMPORTS = ("import java.util.List;\nimport javax.xml.bind.annotation.*;\n"
            "import javax.xml.datatype.XMLGregorianCalendar;\n")


def class_name(qname: str) -> str:
    """The Java class of a type; the HNR package's (own abstractModel, gender) get "Hnr"."""
    prefix, _, local = qname.partition(":")
    return ("Hnr" if prefix == "hnr" else "") + local[0].upper() + local[1:]


def java_type(element: dict[str, Any]) -> str:
    kind = element["type"]
    if kind in _PRIMITIVE:
        single = _PRIMITIVE[kind][0 if element["min"] and element["max"] == 1 else 1]
    else:
        single = _OBJECTS.get(kind) or class_name(kind)
    if element["max"] == "unbounded":
        boxed = _PRIMITIVE[kind][1] if kind in _PRIMITIVE else single
        return f"List<{boxed}>"
    return single


def _attribute(field: dict[str, Any]) -> str:
    """The Java field: ``return`` is a keyword, so the stubs call it ``_return``."""
    return "_return" if field["name"] == "return" else field["name"]


def _xml_type(name: str, fields: list[dict[str, Any]], namespace: str | None) -> str:
    order = ", ".join(f'"{_attribute(f)}"' for f in fields)
    ns = f', namespace = "{namespace}"' if namespace else ""
    return f'@XmlType(name = "{name}"{ns}, propOrder = {{{order}}})'


def _bean(name: str, fields: list[dict[str, Any]], *, xml_name: str, namespace: str | None,
          base: str | None = None, abstract: bool = False) -> str:
    lines = [f"package {PACKAGE};", "", _IMPORTS,
             "@XmlAccessorType(XmlAccessType.FIELD)", _xml_type(xml_name, fields, namespace),
             f"public {'abstract ' if abstract else ''}class {name}"
             f"{' extends ' + base if base else ''} implements java.io.Serializable {{"]
    for field in fields:
        attribute = _attribute(field)
        if attribute != field["name"]:
            lines.append(f'    @XmlElement(name = "{field["name"]}")')
        lines.append(f"    public {java_type(field)} {attribute};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _enum(name: str, values: list[str], xml_name: str, namespace: str | None) -> str:
    ns = f', namespace = "{namespace}"' if namespace else ""
    constants = ", ".join(f'@XmlEnumValue("{v}") {v}' for v in values)
    return (f"package {PACKAGE};\n\nimport javax.xml.bind.annotation.*;\n\n"
            f'@XmlType(name = "{xml_name}"{ns})\n@XmlEnum\npublic enum {name} {{ {constants} }}\n')


def _interface(port_type: str, facts: dict[str, Any], tns: str) -> str:
    lines = [f"package {PACKAGE};", "", _IMPORTS, "import javax.jws.*;",
             "import javax.xml.ws.*;", "",
             f'@WebService(targetNamespace = "{tns}", name = "{port_type}")',
             f"public interface {port_type} {{"]
    for op in facts["operations"]:
        name = op["name"]
        wrapper = name[0].upper() + name[1:]
        lines += [
            "    @WebMethod",
            f'    @RequestWrapper(localName = "{name}", targetNamespace = "{tns}", '
            f'className = "{PACKAGE}.{wrapper}")',
            f'    @ResponseWrapper(localName = "{name}Response", targetNamespace = "{tns}", '
            f'className = "{PACKAGE}.{wrapper}Response")',
        ]
        returns = "void"
        if op["output"]:
            lines.append('    @WebResult(name = "return", targetNamespace = "")')
            returns = java_type(op["output"][0])
        params = ", ".join(f'@WebParam(name = "{p["name"]}", targetNamespace = "") '
                           f'{java_type(p)} p{i}' for i, p in enumerate(op["input"]))
        throws = ", ".join(f"{class_name(f)}_Exception" for f in op["faults"])
        lines.append(f"    {returns} {name}({params}){' throws ' + throws if throws else ''};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _service(port_type: str, facts: dict[str, Any], tns: str) -> str:
    name = facts["service"]
    return (f"package {PACKAGE};\n\nimport java.net.URL;\nimport javax.xml.namespace.QName;\n"
            f"import javax.xml.ws.*;\n\n@WebServiceClient(name = \"{name}\", targetNamespace = "
            f"\"{tns}\")\npublic class {name} extends Service {{\n"
            f"    public {name}(URL wsdl) {{ super(wsdl, new QName(\"{tns}\", \"{name}\")); }}\n"
            f"    @WebEndpoint(name = \"{facts['port']}\")\n"
            f"    public {port_type} get{facts['port']}() {{\n"
            f"        return super.getPort(new QName(\"{tns}\", \"{facts['port']}\"), "
            f"{port_type}.class);\n    }}\n}}\n")


def _web_fault(qname: str, namespaces: dict[str, str]) -> str:
    """The checked exception wsimport makes of a wsdl:fault: @WebFault, faultInfo bean."""
    prefix, _, local = qname.partition(":")
    bean = class_name(qname)
    return (f"package {PACKAGE};\n\nimport javax.xml.ws.WebFault;\n\n"
            f'@WebFault(name = "{local}", targetNamespace = "{namespaces[prefix]}")\n'
            f"public class {bean}_Exception extends Exception {{\n"
            f"    private final {bean} faultInfo;\n"
            f"    public {bean}_Exception(String message, {bean} faultInfo) {{\n"
            f"        super(message); this.faultInfo = faultInfo; }}\n"
            f"    public {bean}_Exception(String message, {bean} faultInfo, Throwable cause) {{\n"
            f"        super(message, cause); this.faultInfo = faultInfo; }}\n"
            f"    public {bean} getFaultInfo() {{ return faultInfo; }}\n}}\n")


def write_stubs(out: Path) -> list[Path]:
    """The stub sources under ``out``; returns their paths."""
    facts = json.loads(CATALOGUE.read_text("utf-8"))
    namespaces = facts["namespaces"]
    tns = namespaces["tns"]
    sources: dict[str, str] = {}
    for qname, fact in facts["types"].items():
        prefix, _, local = qname.partition(":")
        namespace = namespaces[prefix] if prefix != "tns" else None
        name = class_name(qname)
        if "enum" in fact:
            sources[name] = _enum(name, fact["enum"], local, namespace)
        else:
            sources[name] = _bean(name, fact.get("fields", []), xml_name=local,
                                  namespace=namespace,
                                  base=class_name(fact["base"]) if "base" in fact else None,
                                  abstract=bool(fact.get("abstract")))
    for port_type, service in facts["services"].items():
        for op in service["operations"]:
            wrapper = op["name"][0].upper() + op["name"][1:]
            sources[wrapper] = _bean(wrapper, op["input"], xml_name=op["name"], namespace=None)
            sources[wrapper + "Response"] = _bean(wrapper + "Response", op["output"],
                                                  xml_name=op["name"] + "Response",
                                                  namespace=None)
        sources[port_type] = _interface(port_type, service, tns)
        for op in service["operations"]:
            for qname in op["faults"]:
                sources[class_name(qname) + "_Exception"] = _web_fault(qname, namespaces)
        sources[service["service"]] = _service(port_type, service, tns)
    directory = out / PACKAGE.replace(".", "/")
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in sorted(sources.items()):
        path = directory / f"{name}.java"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
