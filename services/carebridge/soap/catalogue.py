"""The CAISI Integrator's services as Spyne declarations, built from the facts in
``contracts/caisi_integrator.json`` (read from OSCAR's own client stubs by
``carebridge_lab.stub_facts``).

Six services, 84 operations and 46 types are too many to spell by hand without drift;
each service module only supplies handlers for the operations it implements, and every
other operation still exists and answers a precise Fault.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from spyne import (
    Boolean,
    ByteArray,
    ComplexModel,
    DateTime,
    Double,
    Float,
    Integer32,
    Long,
    MethodContext,
    ServiceBase,
    Unicode,
    rpc,
)
from spyne.model.fault import Fault

from carebridge.soap.models import optional, repeated, required

_PRIMITIVES: dict[str, Any] = {
    "xs:string": Unicode, "xs:int": Integer32, "xs:long": Long, "xs:boolean": Boolean,
    "xs:float": Float, "xs:double": Double, "xs:dateTime": DateTime,
    "xs:base64Binary": ByteArray,
}

Handler = Callable[..., Any]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Element:
    """One element of a JAXB bean or operation wrapper: name, XSD type, cardinality."""

    name: str
    type: str
    min: int
    max: int | str

    @property
    def repeated(self) -> bool:
        return self.max == "unbounded"


@dataclass(frozen=True)
class Operation:
    name: str
    input: tuple[Element, ...]
    output: Element | None
    faults: tuple[str, ...]


@dataclass(frozen=True)
class ServiceFacts:
    port_type: str
    service: str
    port: str
    operations: tuple[Operation, ...]


def _elements(facts: Iterable[Mapping[str, Any]]) -> tuple[Element, ...]:
    return tuple(Element(f["name"], f["type"], f["min"], f["max"]) for f in facts)


@cache
def _facts() -> dict[str, Any]:
    text = (files("carebridge.contracts") / "caisi_integrator.json").read_text("utf-8")
    facts: dict[str, Any] = json.loads(text)
    return facts


def namespace(prefix: str) -> str:
    ns: str = _facts()["namespaces"][prefix]
    return ns


@cache
def type_fields(qname: str) -> tuple[Element, ...]:
    return _elements(_facts()["types"][qname].get("fields", ()))


@cache
def service_facts(port_type: str) -> ServiceFacts:
    raw = _facts()["services"][port_type]
    operations = tuple(
        Operation(o["name"], _elements(o["input"]),
                  _elements(o["output"])[0] if o["output"] else None, tuple(o["faults"]))
        for o in raw["operations"]
    )
    return ServiceFacts(port_type, raw["service"], raw["port"], operations)


@cache
def model(qname: str) -> Any:
    """The Spyne type of an XSD type name (``xs:int``, ``tns:cachedDemographicNote``)."""
    if qname in _PRIMITIVES:
        return _PRIMITIVES[qname]
    fact = _facts()["types"][qname]
    prefix, _, local = qname.partition(":")
    if "enum" in fact:
        enum = Unicode.customize(type_name=local, values=list(fact["enum"]))
        enum.__namespace__ = namespace(prefix)
        return enum
    base = model(fact["base"]) if "base" in fact else ComplexModel
    attrs: dict[str, Any] = {
        "__namespace__": namespace(prefix),
        "__type_name__": local,
        "_type_info": [(e.name, element_kind(e)) for e in _elements(fact.get("fields", ()))],
    }
    if fact.get("abstract"):
        attrs["Attributes"] = type("Attributes", (base.Attributes,), {"_abstract": True})
    return type(f"{prefix}_{local}", (base,), attrs)


@cache
def fault(qname: str) -> Any:
    """The Spyne Fault a WSDL declares for the real interface's checked exception (the
    real WSDL's ``<wsdl:fault name="ConnectException">``, detail ``tns:ConnectException``)."""
    prefix, _, local = qname.partition(":")
    attrs: dict[str, Any] = {
        "__namespace__": namespace(prefix), "__type_name__": local,
        "_type_info": [(e.name, element_kind(e)) for e in type_fields(qname)],
    }
    return type(f"{prefix}_{local}", (Fault,), attrs)


def element_kind(element: Element) -> Any:
    kind = model(element.type)
    fact = _facts()["types"].get(element.type, {})
    if "enum" in fact:  # a customized restriction would become an anonymous type
        enum = Unicode.customize(
            type_name=kind.get_type_name(), values=kind.Attributes.values,
            min_occurs=0 if element.repeated else element.min, nillable=False,
            max_occurs="unbounded" if element.repeated else 1)
        enum.__namespace__ = kind.get_namespace()
        return enum
    if element.repeated:
        return repeated(kind)
    return required(kind) if element.min else optional(kind)


def not_supported(service: str, operation: str, because: str | None = None) -> Handler:
    """A handler answering that ``operation`` is not served (and ``because``, when given)."""
    message = f"{service}.{operation} is not supported by this integrator"
    if because:
        message += f": {because}"

    def handler(ctx: MethodContext, *args: Any) -> Any:
        log.info("%s.%s called: not supported", service, operation)
        raise Fault("Server", message)
    return handler


def build_service(port_type: str, handlers: Mapping[str, Handler]) -> type[ServiceBase]:
    """A ServiceBase with every operation of ``port_type``; those without a handler fault."""
    facts = service_facts(port_type)
    unknown = set(handlers) - {o.name for o in facts.operations}
    if unknown:
        raise ValueError(f"{port_type} has no operations {sorted(unknown)}")
    attrs: dict[str, Any] = {"__service_name__": facts.service, "__port_types__": [port_type]}
    for operation in facts.operations:
        handler = handlers.get(operation.name) or not_supported(port_type, operation.name)
        returns: dict[str, Any] = {}
        if operation.output:
            returns = {"_returns": element_kind(operation.output), "_out_variable_name": "return"}
        attrs[operation.name] = rpc(
            *(element_kind(e) for e in operation.input),
            _args=tuple(e.name for e in operation.input),
            **returns,
            _port_type=port_type,
            # The HNR package's own exceptions would come out in the wrong namespace (Spyne
            # puts a Fault's element in the service's); the integrator never raises them.
            _faults=[fault(name) for name in operation.faults if name.startswith("tns:")],
            _operation_name=operation.name,
            _in_message_name=operation.name,
            _out_message_name=operation.name + "Response",
        )(_method(operation.name, handler))
    return type(port_type, (ServiceBase,), attrs)


def _method(name: str, handler: Handler) -> Handler:
    def method(ctx: MethodContext, *args: Any) -> Any:
        return handler(ctx, *args)
    method.__name__ = method.__qualname__ = name
    return method


def from_payload(qname: str, payload: Mapping[str, Any] | None,
                 facility_id: int | None = None) -> Any:
    """An imported record (the push's JSON) as an instance of the catalogue type.

    ``facility_id`` fills the ``integratorFacilityId`` fields the EMR leaves empty: on the
    wire every record names the facility it belongs to.
    """
    if payload is None:
        return None
    cls = model(qname)
    values: dict[str, Any] = {}
    for element in type_fields(qname):
        raw = payload.get(element.name)
        if element.name == "integratorFacilityId" and raw is None:
            raw = facility_id
        try:
            if element.repeated:
                items = raw if isinstance(raw, list) else ()
                values[element.name] = [_value(element.type, item, facility_id)
                                        for item in items if item is not None]
            else:
                values[element.name] = _value(element.type, raw, facility_id)
        except (ValueError, TypeError, KeyError, OverflowError):
            # A field a facility pushed malformed is left out, never the whole answer.
            log.warning("%s.%s of facility %s is malformed; left out", qname, element.name,
                        facility_id)
            values[element.name] = [] if element.repeated else None
    return cls(**values)


def _value(qname: str, raw: Any, facility_id: int | None) -> Any:
    if raw is None:
        return None
    if qname == "xs:dateTime":
        return dt.datetime.fromisoformat(raw) if isinstance(raw, str) else raw
    if qname == "xs:base64Binary":
        if isinstance(raw, bytes | bytearray):
            return [bytes(raw)]
        if not isinstance(raw, Mapping):
            raise TypeError("not Base64 data")
        return [base64.b64decode(raw["@base64"], validate=True)]
    if qname in ("xs:int", "xs:long"):
        number = int(raw)
        limit = 2**31 if qname == "xs:int" else 2**63
        if not -limit <= number < limit:
            raise ValueError("out of range")
        return number
    if qname == "xs:boolean":
        return bool(raw)
    if qname in ("xs:float", "xs:double"):
        return float(raw)
    if qname == "xs:string":
        return str(raw)
    fact = _facts()["types"][qname]
    if "enum" in fact:
        return raw if raw in fact["enum"] else None
    return from_payload(qname, raw, facility_id) if isinstance(raw, Mapping) else None


def to_mapping(qname: str, instance: Any) -> dict[str, Any]:
    """A received instance of a catalogue type as plain values (nested types as dicts,
    base64 as bytes), named as on the wire."""
    if instance is None:
        return {}
    out: dict[str, Any] = {}
    for element in type_fields(qname):
        value = getattr(instance, element.name, None)
        if element.repeated:
            out[element.name] = [_plain(element.type, v) for v in value or () if v is not None]
        else:
            out[element.name] = _plain(element.type, value)
    return out


def _plain(qname: str, value: Any) -> Any:
    if value is None:
        return None
    if qname == "xs:base64Binary":
        return b"".join(value) if isinstance(value, list | tuple) else bytes(value)
    if qname.startswith("xs:") or "enum" in _facts()["types"][qname]:
        return value
    return to_mapping(qname, value)
