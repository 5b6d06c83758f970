"""Building a Spyne WSGI application the carebridge way.

Every service gets the same plumbing: the safe SOAP protocol, request bodies
validated against the checked-in WSDL's schema, WS-Security on every call, JAX-WS
output and WSDL shape, and the request context (``ctx.udc``) handed to methods.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from spyne import Application, MethodContext, ServiceBase
from spyne.model.fault import Fault
from spyne.server.wsgi import WsgiApplication

from carebridge.config import Settings
from carebridge.soap import jaxws as jaxws_shape
from carebridge.soap.exceptions import SoapError
from carebridge.soap.faults import ClientFault, fault_for
from carebridge.soap.protocol import CarebridgeSoap11
from carebridge.soap.wsse.authenticate import SECURITY, Caller, authenticate, security_header
from carebridge.store.database import Database

log = logging.getLogger(__name__)

CAISI_PROVIDER = "{http://oscarehr.org/caisi}requestingCaisiProviderNo"


@dataclass(frozen=True)
class RequestContext:
    """What a service method knows about its caller (Spyne's ``ctx.udc``)."""

    caller: Caller
    provider_no: str | None


@dataclass(frozen=True)
class ServiceEnv:
    db: Database
    settings: Settings


class _Application(Application):
    """Every operation's errors are answered from the one table in ``soap.faults``."""

    def call_wrapper(self, ctx: MethodContext) -> Any:
        try:
            return super().call_wrapper(ctx)
        except Fault:
            raise
        except Exception as exc:
            fault = fault_for(exc)
            if fault is None:
                raise
            # An outage, not a bug: one line, no traceback (whose SQL could carry patient data).
            log.warning("%s failed: %s", _operation(ctx), type(exc).__name__)
            raise fault from None


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """xsd:dateTime in UTC (without an offset it is taken as UTC); a time whose UTC falls
    outside years 1-9999 (0001-01-01T00:00:00+01:00) is refused as the client's error."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ClientFault(f"{value.isoformat()} is outside the years 1 to 9999 in UTC"
                          ) from None


_thread_schemas = threading.local()


def contract_schema(wsdl_path: Path) -> etree.XMLSchema:
    """The XML Schema inside a WSDL's types, compiled once per thread: lxml keeps one error
    log per schema object, so request threads sharing one would read each other's errors."""
    schemas: dict[Path, etree.XMLSchema] = _thread_schemas.__dict__.setdefault("by_path", {})
    if wsdl_path not in schemas:
        schemas[wsdl_path] = _compile_contract_schema(wsdl_path)
    return schemas[wsdl_path]


def _compile_contract_schema(wsdl_path: Path) -> etree.XMLSchema:
    tree = etree.parse(str(wsdl_path), etree.XMLParser(resolve_entities=False, no_network=True))
    schemas = tree.findall(f".//{{{_XSD}}}schema")
    if not schemas:
        raise ValueError(f"{wsdl_path} has no xs:schema in its types")
    # A WSDL's schemas import each other by namespace alone (HnrService has two): each is
    # handed to the compiler as its own document, found through a resolver, never a file.
    documents = {}
    for schema in schemas:
        # QName values (type="tns:...") need the WSDL's prefixes in scope.
        standalone = etree.Element(schema.tag, attrib=dict(schema.attrib),
                                   nsmap={**tree.getroot().nsmap, **schema.nsmap})
        standalone.extend(copy.deepcopy(child) for child in schema)
        for imported in standalone.findall(f"{{{_XSD}}}import"):
            namespace = imported.get("namespace")
            if imported.get("schemaLocation") is None and any(
                    other.get("targetNamespace") == namespace for other in schemas):
                imported.set("schemaLocation", _SIBLING + (namespace or ""))
        documents[_SIBLING + (schema.get("targetNamespace") or "")] = etree.tostring(standalone)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    parser.resolvers.add(_SiblingSchemas(documents))
    # Read with the WSDL's own location as base, so relative xs:imports resolve.
    first = next(iter(documents.values()))
    return etree.XMLSchema(etree.fromstring(first, parser, base_url=str(wsdl_path)))


_XSD = "http://www.w3.org/2001/XMLSchema"
_SIBLING = "urn:carebridge:wsdl-schema:"


class _SiblingSchemas(etree.Resolver):
    def __init__(self, documents: Mapping[str, bytes]) -> None:
        super().__init__()
        self._documents = documents

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        if system_url is not None and system_url in self._documents:
            return self.resolve_string(self._documents[system_url], context)
        return None


def soap_application(
    services: Sequence[type[ServiceBase]],
    *,
    tns: str,
    name: str,
    env: ServiceEnv,
    contract: Path,
    port_names: Mapping[str, str],
    jaxws: bool = True,
) -> WsgiApplication:
    """``jaxws``: JAX-WS element form and WSDL shape (OSCAR's contract); off, Spyne's own."""
    understood = (SECURITY, CAISI_PROVIDER)
    app = _Application(
        list(services),
        tns=tns,
        name=name,
        in_protocol=CarebridgeSoap11(
            understood_headers=understood, body_schema=lambda: contract_schema(contract),
            authenticate=_authenticate,
        ),
        out_protocol=CarebridgeSoap11(understood_headers=understood, jaxws_output=jaxws),
    )
    app.carebridge = env
    wsgi = WsgiApplication(app, max_content_length=env.settings.server.max_request_bytes)
    if jaxws:
        wsgi.doc.wsdl11.event_manager.add_listener(
            "wsdl_document_built", lambda doc: jaxws_shape.apply_to_wsdl(doc.root_elt, port_names)
        )
    return wsgi


def _authenticate(ctx: MethodContext) -> None:
    """Before the body is validated or deserialized (``CarebridgeSoap11``): a caller who
    cannot authenticate is told nothing about the schema."""
    env: ServiceEnv = ctx.app.carebridge
    headers = ctx.in_header_doc or ()
    provider_no = None
    for header in headers:
        if header.tag == CAISI_PROVIDER:
            provider_no = (header.text or "").strip() or None
    try:
        security = security_header(headers)
        with env.db.transaction() as session:
            caller = authenticate(
                session,
                security,
                box=env.db.secret_box,
                freshness_seconds=env.settings.security.wsse_freshness_seconds,
            )
    except Exception as exc:
        fault = fault_for(exc)
        if fault is None:
            raise
        if not isinstance(exc, SoapError):  # one line, no traceback: SQL names a nonce
            log.warning("authentication failed: %s", type(exc).__name__)
        raise fault from None
    ctx.udc = RequestContext(caller, provider_no)
    if provider_no:
        log.info("%s by facility %s for provider %s", _operation(ctx), caller.facility_name,
                 provider_no)


def _operation(ctx: MethodContext) -> str:
    tag = getattr(ctx, "method_request_string", None) or "?"
    return tag.split("}", 1)[-1]
